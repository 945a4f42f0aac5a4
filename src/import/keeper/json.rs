//! Keeper JSON export: `{"shared_folders": [...], "records": [...]}` from
//! the web vault or Commander, or a bare array of records (old Commander).
//! Record dates (`last_modified`) are epoch seconds or milliseconds; typed
//! field dates are epoch milliseconds.

use serde_json::{Map, Value};

use super::record::{to_item, Record};
use super::split_path;
use crate::import::read::{self as sup, Sink};
use crate::import::{ImportError, Input, Parsed};

/// The importer name, also each item's `source`.
pub(super) const NAME: &str = "keeper-json";

pub(super) fn parse(input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
    let text = sup::text(input)?;
    let root = sup::json(input.name, &text)?;
    let records: &[Value] = match &root {
        Value::Array(records) => records,
        Value::Object(o) => match o.get("records") {
            Some(Value::Array(records)) => records,
            _ => {
                return Err(sup::file_error(
                    input.name,
                    "expected a Keeper JSON export: an object with a `records` array",
                ))
            }
        },
        _ => {
            return Err(sup::file_error(
                input.name,
                "expected a Keeper JSON export: an object with a `records` array",
            ))
        }
    };
    let mut sink = Sink::new(input.name, skip_invalid);
    for (i, r) in records.iter().enumerate() {
        match read(r) {
            Ok(rec) => sink.push(to_item(rec, NAME)),
            Err(msg) => sink.invalid(format!("item {}", i + 1), msg)?,
        }
    }
    Ok(sink.finish())
}

/// Whether the JSON looks like a Keeper export (for detection).
pub(super) fn looks_like(root: &Value) -> bool {
    let first = match root {
        Value::Array(a) => a.first(),
        Value::Object(o) => match o.get("records") {
            Some(Value::Array(a)) if o.contains_key("shared_folders") => {
                return a.iter().all(Value::is_object)
            }
            Some(Value::Array(a)) => a.first(),
            _ => return false,
        },
        _ => return false,
    };
    let Some(Value::Object(r)) = first else {
        return false;
    };
    r.contains_key("title")
        && [
            "login_url",
            "$type",
            "custom_fields",
            "login",
            "last_modified",
        ]
        .iter()
        .any(|k| r.contains_key(*k))
}

fn read(r: &Value) -> Result<Record, String> {
    let Value::Object(o) = r else {
        return Err("expected a record object".into());
    };
    let custom = match o.get("custom_fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => return Err("expected `custom_fields` to be an object".into()),
    };
    let folders = match o.get("folders") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(fs)) => fs.iter().map(folder).filter(|p| !p.is_empty()).collect(),
        Some(_) => return Err("expected `folders` to be an array".into()),
    };
    Ok(Record {
        title: string(o, "title")?,
        login: string(o, "login")?,
        password: string(o, "password")?,
        login_url: string(o, "login_url")?,
        notes: string(o, "notes")?,
        kind: string(o, "$type")?,
        fields: custom,
        folders,
        modified: sup::epoch_of(o.get("last_modified")),
    })
}

/// A string member; absent or null is "", any other type is an error.
fn string(o: &Map<String, Value>, key: &str) -> Result<String, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(format!("expected `{key}` to be a string")),
    }
}

/// `{"folder": …}`, `{"shared_folder": …}` or both (a folder inside a
/// shared folder) as one `/` path.
fn folder(f: &Value) -> String {
    let shared = f
        .get("shared_folder")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let own = f.get("folder").and_then(Value::as_str).unwrap_or_default();
    sup::folder_path(
        split_path(shared).into_iter().chain(split_path(own)),
        sup::Sep::Flat,
    )
}
