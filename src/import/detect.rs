//! Choosing the importer for a file, and describing a file nobody claims.
//!
//! `--format auto` asks every importer's [`Importer::detect`] and takes the
//! single highest confidence; a tie or no claim is
//! [`ImportError::Unrecognised`] with a [`hint`] of what the file looks like
//! ("a CSV with columns …", "a ZIP containing …"). The sniffing helpers
//! here ([`json_keys`]) and in `read` are shared by the importers so that
//! detection stays cheap: no importer builds a full document to say "no".

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

use super::read::{first_row, is_zip, Zip};
use super::{Confidence, ImportError, Importer, Input};

/// Column names shown in hints. Anything else prints as `?`: a file without
/// a header has data in its first row, and a hint must never echo a secret.
const KNOWN_COLUMNS: &[&str] = &[
    "title",
    "name",
    "url",
    "urls",
    "uri",
    "login_uri",
    "website",
    "web site",
    "hostname",
    "username",
    "login",
    "login name",
    "login_username",
    "user",
    "user name",
    "email",
    "e-mail",
    "password",
    "pass",
    "pwd",
    "login_password",
    "notes",
    "note",
    "comments",
    "extra",
    "folder",
    "group",
    "grouping",
    "category",
    "collections",
    "favorite",
    "fav",
    "type",
    "fields",
    "totp",
    "otpauth",
    "otp",
    "login_totp",
    "reprompt",
    "httprealm",
    "formactionorigin",
    "guid",
    "timecreated",
    "timelastused",
    "timepasswordchanged",
    "username2",
    "username3",
    "otpsecret",
    "matchurl",
    "rffieldsv2",
    "cardholdername",
    "cardnumber",
    "cvc",
    "expirydate",
    "zipcode",
    "phone",
    "address",
    "city",
    "state",
    "country",
    "company",
    "tags",
    "path",
    "last modified",
    "created",
    "modified",
    "id",
];

/// The importers selected by `--format`: `auto` (or nothing) means all; a
/// manager name (`bitwarden`) means that manager's formats; otherwise an
/// exact importer name. `Err` carries the known names for a usage error.
pub fn candidates(
    all: &[&'static dyn Importer],
    format: Option<&str>,
) -> Result<Vec<&'static dyn Importer>, Vec<&'static str>> {
    let f = match format.map(str::trim) {
        None | Some("auto") | Some("") => return Ok(all.to_vec()),
        Some(f) => f.to_ascii_lowercase(),
    };
    let picked: Vec<_> = all
        .iter()
        .copied()
        .filter(|i| {
            // A whole name ("lastpass-csv"), a manager ("onepassword") or
            // the prefix users type ("1password").
            i.name() == f
                || manager(i.name()) == f
                || i.name().split('-').next() == Some(f.as_str())
        })
        .collect();
    if picked.is_empty() {
        Err(all.iter().map(|i| i.name()).collect())
    } else {
        Ok(picked)
    }
}

/// The manager part of an importer name: `bitwarden` of `bitwarden-json`.
pub fn manager(importer: &str) -> &str {
    match importer.split('-').next().unwrap_or(importer) {
        // Module and fixture directories cannot start with a digit.
        "1password" => "onepassword",
        m => m,
    }
}

/// The single most confident importer among `candidates`.
pub fn choose(
    candidates: &[&'static dyn Importer],
    input: &Input<'_>,
) -> Result<&'static dyn Importer, ImportError> {
    let scored: Vec<_> = candidates
        .iter()
        .map(|i| (i.detect(input), *i))
        .filter(|(c, _)| *c > Confidence::No)
        .collect();
    let best = scored.iter().map(|(c, _)| *c).max();
    let top: Vec<_> = scored
        .iter()
        .filter(|(c, _)| Some(*c) == best)
        .map(|(_, i)| *i)
        .collect();
    match top.as_slice() {
        [one] => Ok(*one),
        [] => Err(ImportError::Unrecognised {
            file: input.name.to_string(),
            hint: Some(hint(input)),
        }),
        many => {
            let names: Vec<_> = many.iter().map(|i| i.name()).collect();
            Err(ImportError::Unrecognised {
                file: input.name.to_string(),
                hint: Some(format!(
                    "{}, which matches several formats ({}): choose one with --format",
                    hint(input),
                    names.join(", ")
                )),
            })
        }
    }
}

/// What a file looks like, for error messages. Never quotes file content
/// beyond known column names and ZIP member names.
pub fn hint(input: &Input<'_>) -> String {
    let b = input.bytes;
    let trimmed = b
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(b)
        .trim_ascii_start();
    if trimmed.is_empty() {
        return "an empty file".into();
    }
    if b.starts_with(b"PK") {
        return match Zip::open(input.name, b).map(|z| z.names()) {
            Ok(names) if names.is_empty() && is_zip(b) => "an empty ZIP archive".into(),
            Ok(names) => {
                let shown: Vec<String> = names.iter().take(8).map(|n| clip(n, 60)).collect();
                let more = names.len().saturating_sub(8);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("a ZIP containing {}{tail}", shown.join(", "))
            }
            _ => "a ZIP archive that cannot be read (truncated or damaged?)".into(),
        };
    }
    if trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        return match json_keys(b) {
            Some(keys) if keys.is_empty() => "an empty JSON object".into(),
            Some(keys) => {
                let shown: Vec<String> = keys.iter().take(12).map(|k| clip(k, 40)).collect();
                format!("JSON with top-level keys {}", shown.join(", "))
            }
            None if serde_json::from_slice::<IgnoredAny>(trimmed).is_ok() => {
                "JSON that is not an object".into()
            }
            None => "text starting like JSON that does not parse (truncated?)".into(),
        };
    }
    if trimmed.starts_with(b"<") {
        return "an XML or HTML document".into();
    }
    let cols = first_row(input).filter(|r| r.len() > 1);
    if let Some(cols) = cols.map(|r| r.iter().map(|c| c.to_lowercase()).collect::<Vec<_>>()) {
        let shown: Vec<&str> = cols
            .iter()
            .take(16)
            .map(|c| {
                if KNOWN_COLUMNS.contains(&c.as_str()) {
                    c.as_str()
                } else {
                    "?"
                }
            })
            .collect();
        let more = if cols.len() > 16 { ", …" } else { "" };
        return format!("a CSV with columns {}{more}", shown.join(", "));
    }
    let head = &b[..b.len().min(4096)];
    if head.contains(&0) || std::str::from_utf8(head).is_err() {
        return format!(
            "binary data ({} bytes), not a text, JSON or ZIP export",
            b.len()
        );
    }
    "text without comma-separated columns".into()
}

fn clip(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() > max {
        format!("{}…", clean.chars().take(max).collect::<String>())
    } else {
        clean
    }
}

/// The keys of a JSON object document, in order, without building its
/// values. `None` when the bytes are not one JSON object (a UTF-8 BOM is allowed).
pub fn json_keys(bytes: &[u8]) -> Option<Vec<String>> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(k);
            }
            Ok(keys)
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let keys = (&mut de).deserialize_map(Keys).ok()?;
    de.end().ok()?;
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint_of(b: &[u8]) -> String {
        hint(&Input {
            name: "f",
            bytes: b,
        })
    }

    #[test]
    fn hints_describe_without_quoting_data() {
        assert_eq!(hint_of(b""), "an empty file");
        assert_eq!(
            hint_of(b"name,url,S3cret!\nx,y,z"),
            "a CSV with columns name, url, ?"
        );
        assert_eq!(
            hint_of(b"{\"a\":1,\"b\":[2]}"),
            "JSON with top-level keys a, b"
        );
        assert!(hint_of(b"{\"a\":").contains("does not parse"));
        assert!(hint_of(b"PK\x03\x04garbage").contains("cannot be read"));
        assert!(hint_of(&[0, 1, 2, 255, 254]).starts_with("binary data"));
    }

    #[test]
    fn json_keys_are_top_level_only() {
        assert_eq!(
            json_keys(b"\xEF\xBB\xBF{\"x\":{\"y\":1},\"z\":null}").unwrap(),
            ["x", "z"]
        );
        assert!(json_keys(b"[1]").is_none());
        assert!(json_keys(b"{} trailing").is_none());
    }

    #[test]
    fn manager_names() {
        assert_eq!(manager("bitwarden-json"), "bitwarden");
        assert_eq!(manager("firefox"), "firefox");
    }
}
