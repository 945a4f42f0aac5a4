//! Forgiving serde building blocks for JSON exports, whose field types
//! drift between versions (a number where a string was, `null` for "none").
//!
//! * [`Text`]: any scalar as a string (`null` → ""), objects/arrays → "".
//! * [`Flag`]: `true`, `1`, `"true"`, `"1"` → true; anything else false.
//! * [`Lenient<T>`]: one record that may fail on its own, so a bad item is
//!   reported (or skipped) without failing the whole document.
//!
//! Errors never quote the document: serde's messages for wrong types
//! include the offending value, so [`json_error`] keeps only the position.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// A string from any JSON scalar.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text(pub String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Text, D::Error> {
                Text::deserialize(d)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Text, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Text, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean from whatever the exporter wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flag, D::Error> {
        let t = Text::deserialize(d)?;
        Ok(Flag(matches!(
            t.0.trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "yes"
        )))
    }
}

/// One record that failed or parsed on its own.
#[derive(Debug)]
pub struct Lenient<T>(pub Result<T, String>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lenient<T>, D::Error> {
        let v = Value::deserialize(d)?;
        let what = match &v {
            Value::Object(_) => "an object with unexpected field types",
            Value::Null => "null",
            Value::Array(_) => "an array",
            _ => "a scalar",
        };
        Ok(Lenient(serde_json::from_value(v).map_err(|_| {
            format!("expected an item object, got {what}")
        })))
    }
}

/// Deserializes a nested value leniently: a wrong shape becomes `None`.
pub fn opt<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

/// A JSON error without document content: position and kind only.
pub fn json_error(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Eof => "the file ends early (truncated?)",
        serde_json::error::Category::Syntax => "invalid JSON syntax",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Io => "a read error",
    };
    format!("line {} column {}: {kind}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, Default)]
    #[serde(default)]
    struct R {
        a: Text,
        b: Flag,
        #[serde(deserialize_with = "opt")]
        c: Option<Vec<Text>>,
    }

    #[test]
    fn scalars_bend_and_bad_records_stay_local() {
        let v: Vec<Lenient<R>> =
            serde_json::from_str(r#"[{"a":5,"b":"true","c":[1,null]},{"a":null,"c":"x"},7]"#)
                .unwrap();
        let first = v[0].0.as_ref().unwrap();
        assert_eq!((first.a.as_str(), first.b.0), ("5", true));
        assert_eq!(first.c.as_ref().unwrap()[1].as_str(), "");
        assert!(v[1].0.as_ref().unwrap().c.is_none());
        assert!(v[2].0.as_ref().unwrap_err().contains("scalar"));
    }

    #[test]
    fn json_errors_never_quote_values() {
        let e = serde_json::from_str::<Vec<u8>>(r#"["hunter2"]"#).unwrap_err();
        let m = json_error(&e);
        assert!(!m.contains("hunter2") && m.contains("line 1"), "{m}");
    }
}
