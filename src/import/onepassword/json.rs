//! Reading 1Password's JSON (1PUX and 1PIF) leniently: a missing or
//! mistyped member reads as empty rather than failing the item, because the
//! shape varies between 1Password versions; structure that an item cannot do
//! without is checked by the callers.

use serde_json::Value as Json;

use super::fields::{card_brand, month_year, Field, Value};
use crate::import::read::{date_epoch, DateAt};

/// A string member, or "" (numbers are rendered: some exports store PINs
/// and ports as numbers).
pub(super) fn text(v: &Json, key: &str) -> String {
    as_text(v.get(key))
}

pub(super) fn as_text(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// An integer member given as a number or as digits.
pub(super) fn int(v: &Json, key: &str) -> Option<i64> {
    match v.get(key)? {
        Json::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An array member, or an empty slice.
pub(super) fn list<'a>(v: &'a Json, key: &str) -> &'a [Json] {
    v.get(key)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// String members of an array member (tags).
pub(super) fn strings(v: &Json, key: &str) -> Vec<String> {
    list(v, key)
        .iter()
        .filter_map(Json::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Converts a field value of 1Password type `kind` (the single key of a
/// 1PUX `value` object, or a 1PIF `k`) into a [`Value`]; `None` for
/// references, booleans and empty values.
pub(super) fn value(kind: &str, v: &Json, id: &str) -> Option<Value> {
    let s = as_text(Some(v));
    let value = match kind {
        "concealed" | "password" if id.starts_with("TOTP_") => Value::Totp(s),
        "concealed" | "password" => Value::Concealed(s),
        "totp" | "otp" => Value::Totp(s),
        "url" | "URL" => Value::Url(s),
        "date" => match s.trim().parse::<i64>() {
            Ok(secs) => Value::Text(date_epoch(secs, DateAt::UtcDay).unwrap_or(s)),
            Err(_) => Value::Text(s),
        },
        "monthYear" => Value::Text(month_year(&s)),
        "creditCardType" | "cctype" => Value::Text(card_brand(&s)),
        "email" => match v {
            Json::Object(_) => Value::Text(text(v, "email_address")),
            _ => Value::Text(s),
        },
        "address" => match v {
            Json::Object(_) => Value::Address {
                street: text(v, "street"),
                city: text(v, "city"),
                state: text(v, "state"),
                zip: text(v, "zip"),
                country: text(v, "country"),
            },
            _ => Value::Text(s),
        },
        "sshKey" => match v {
            Json::Object(_) => {
                let meta = v.get("metadata").unwrap_or(&Json::Null);
                Value::SshKey {
                    private_key: text(v, "privateKey"),
                    public_key: text(meta, "publicKey"),
                    fingerprint: text(meta, "fingerprint"),
                    key_type: text(meta, "keyType"),
                }
            }
            _ => Value::Concealed(s),
        },
        // A file field: the bytes are not in the export's JSON.
        "file" => Value::Text(
            Some(text(v, "fileName"))
                .filter(|n| !n.is_empty())
                .map(|n| format!("{n} (attachment not imported)"))
                .unwrap_or_default(),
        ),
        "reference" => return None,
        _ => Value::Text(s),
    };
    let empty = match &value {
        Value::Text(t) | Value::Concealed(t) | Value::Totp(t) | Value::Url(t) => {
            t.trim().is_empty()
        }
        Value::Address {
            street,
            city,
            state,
            zip,
            country,
        } => [street, city, state, zip, country]
            .iter()
            .all(|p| p.trim().is_empty()),
        Value::SshKey { private_key, .. } => private_key.is_empty(),
    };
    (!empty).then_some(value)
}

/// The fields of a `sections` list, in either spelling: 1PUX
/// (`title`, `id`, `value: {kind: v}`) or 1PIF (`t`, `n`, `k`, `v`).
pub(super) fn section_fields(sections: &[Json]) -> Vec<Field> {
    let mut out = Vec::new();
    for section in sections {
        let title = text(section, "title");
        for f in list(section, "fields") {
            let (id, label, parsed) = if let Some(Json::Object(obj)) = f.get("value") {
                let id = text(f, "id");
                let parsed = obj.iter().next().and_then(|(k, v)| value(k, v, &id));
                (id, text(f, "title"), parsed)
            } else {
                let id = text(f, "n");
                let parsed = f.get("v").and_then(|v| value(&text(f, "k"), v, &id));
                (id, text(f, "t"), parsed)
            };
            if let Some(value) = parsed {
                out.push(Field {
                    section: title.clone(),
                    id,
                    label,
                    value,
                });
            }
        }
    }
    out
}

/// Every field of an item's `details` (1PUX) or `secureContents` (1PIF):
/// the login form's (under `form_key`), the top-level `password`, then the
/// sections'.
pub(super) fn detail_fields(details: &Json, form_key: &str) -> Vec<Field> {
    let mut fields = form_fields(list(details, form_key));
    let password = text(details, "password");
    if !password.is_empty() {
        fields.push(Field {
            section: String::new(),
            id: "password".into(),
            label: "password".into(),
            value: Value::Concealed(password),
        });
    }
    fields.extend(section_fields(list(details, "sections")));
    fields
}

/// Login form fields (`loginFields` in 1PUX, `fields` in 1PIF): the
/// designated username and password, and other filled-in text fields.
/// Checkboxes, buttons and empty inputs are form state, not credentials.
pub(super) fn form_fields(fields: &[Json]) -> Vec<Field> {
    let mut out = Vec::new();
    for f in fields {
        let value = text(f, "value");
        let kind = Some(text(f, "fieldType"))
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| text(f, "type"));
        if value.trim().is_empty() || matches!(kind.as_str(), "C" | "B" | "I" | "R" | "S") {
            continue;
        }
        let name = text(f, "name");
        let (id, label) = match text(f, "designation").as_str() {
            "username" => ("username".to_string(), "username".to_string()),
            "password" => ("password".to_string(), "password".to_string()),
            _ => (name.clone(), name),
        };
        let value = if kind == "P" {
            Value::Concealed(value)
        } else {
            Value::Text(value)
        };
        out.push(Field {
            section: String::new(),
            id,
            label,
            value,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_of_each_kind_render() {
        assert_eq!(
            value("monthYear", &json!(209912), ""),
            Some(Value::Text("12/2099".into()))
        );
        assert_eq!(
            value("date", &json!(347198460), ""),
            Some(Value::Text("1981-01-01".into()))
        );
        assert_eq!(
            value(
                "email",
                &json!({"email_address": "a@b.invalid", "provider": null}),
                ""
            ),
            Some(Value::Text("a@b.invalid".into()))
        );
        assert_eq!(
            value("concealed", &json!("x"), "TOTP_1"),
            Some(Value::Totp("x".into()))
        );
        assert_eq!(value("string", &json!(""), ""), None);
        assert_eq!(value("reference", &json!("abc"), ""), None);
        assert_eq!(value("string", &json!({"odd": 1}), ""), None);
    }
}
