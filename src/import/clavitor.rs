//! clavitor's own exports (`clavitor export`), so an export can be
//! imported again: JSON `{"items":[normalized items]}` and CSV
//! `title,folder,url,username,password,totp,notes,type` (several URLs on
//! separate lines of the `url` field). The CSV holds only those columns;
//! the JSON is the complete form.

use serde::Deserialize;

use super::detect::json_keys;
use super::lenient::{json_error, Lenient};
use super::read::{header, text, Shape, Sink};
use super::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&ClavitorJson, &ClavitorCsv];

/// The columns of `clavitor export --format csv`, in order.
pub const CSV_COLUMNS: [&str; 8] = [
    "title", "folder", "url", "username", "password", "totp", "notes", "type",
];

/// `clavitor export --format json`.
pub struct ClavitorJson;
/// `clavitor export --format csv`.
pub struct ClavitorCsv;

#[derive(Deserialize)]
struct Export {
    items: Vec<Lenient<Item>>,
}

impl Importer for ClavitorJson {
    fn name(&self) -> &'static str {
        "clavitor-json"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match json_keys(input.bytes) {
            Some(k) if k == ["items"] => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let export: Export =
            serde_json::from_str(&text(input)?).map_err(|e| ImportError::File {
                file: input.name.into(),
                message: format!("not a clavitor JSON export: {}", json_error(&e)),
            })?;
        let mut out = Parsed::default();
        for (i, item) in export.items.into_iter().enumerate() {
            let record = format!("item {}", i + 1);
            match item.0 {
                Ok(mut item) => {
                    item.source = "clavitor-json".into();
                    out.items.push(item);
                }
                Err(reason) if skip_invalid => out.skipped.push((record, reason)),
                Err(message) => {
                    return Err(ImportError::Record {
                        file: input.name.into(),
                        record,
                        message,
                    })
                }
            }
        }
        Ok(out)
    }
}

impl Importer for ClavitorCsv {
    fn name(&self) -> &'static str {
        "clavitor-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match header(input) {
            Some(h) if h.is(&CSV_COLUMNS, &[]) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let t = out.read_table(input, Shape::Rectangular, &CSV_COLUMNS, "clavitor CSV")?;
        out.push_rows(&t, |row| {
            let get = |n: &str| row.get(t.col(&[n])).to_string();
            Ok(Item {
                item_type: get("type"),
                title: get("title"),
                folder: get("folder"),
                urls: get("url").split_whitespace().map(str::to_string).collect(),
                username: get("username"),
                password: get("password"),
                totp: get("totp"),
                notes: get("notes"),
                source: "clavitor-csv".into(),
                ..Default::default()
            })
        })?;
        Ok(out.finish())
    }
}
