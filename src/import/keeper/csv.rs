//! Keeper CSV export: no header, one record a row —
//! `folder, title, login, password, website address, notes, shared folder`
//! then any number of custom field name,value pairs (ragged by design).
//! Commander adds `$record_uid` and `$type` pairs and flattens typed
//! values (`$host` "host:port", `$name` "Last, First Middle",
//! `$paymentCard` "number MM/YYYY cvv", lists one value a line).

use serde_json::Value;

use super::record::{to_item, Record};
use super::split_path;
use crate::import::read::{self as sup, Row, Sep, Sink};
use crate::import::{ImportError, Input, Parsed};

/// The importer name, also each item's `source`.
pub(super) const NAME: &str = "keeper-csv";

/// The fixed columns every row has.
const FIXED: usize = 6;

pub(super) fn parse(input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
    let mut sink = Sink::new(input.name, skip_invalid);
    // Some tools write a header line; Keeper itself does not.
    for row in sup::rows_without_header(input, is_header)? {
        if row.fields.len() < FIXED {
            sink.invalid(
                row.record(),
                format!("expected at least {FIXED} fields (folder, title, login, password, website address, notes), found {}", row.fields.len()),
            )?;
            continue;
        }
        let item = to_item(record(&row), NAME);
        sink.push_record(|| row.record(), item);
    }
    Ok(sink.finish())
}

/// True for a header line naming the fixed columns.
pub(super) fn is_header(cells: &[String]) -> bool {
    let want = ["folder", "title", "login", "password"];
    cells.len() >= want.len() && cells.iter().zip(want).all(|(c, w)| sup::norm(c) == w)
}

/// True when some trailing pair key is one only Keeper writes.
pub(super) fn has_keeper_keys(cells: &[String]) -> bool {
    cells
        .iter()
        .skip(FIXED + 1)
        .step_by(2)
        .any(|k| matches!(k.trim(), "$record_uid" | "$type" | "TFC:Keeper"))
}

fn record(row: &Row) -> Record {
    let cell = |i: usize| row.fields.get(i).map_or("", String::as_str);
    let mut rec = Record {
        title: cell(1).trim().to_string(),
        login: cell(2).trim().to_string(),
        password: cell(3).to_string(),
        login_url: cell(4).trim().to_string(),
        notes: cell(5).trim_end().to_string(),
        ..Record::default()
    };
    let shared = strip_flags(cell(6).trim());
    let path = sup::folder_path(
        split_path(shared).into_iter().chain(split_path(cell(0))),
        Sep::Flat,
    );
    if !path.is_empty() {
        rec.folders.push(path);
    }
    let pairs = row.fields.get(FIXED + 1..).unwrap_or_default();
    for pair in pairs.chunks(2) {
        let (key, value) = match pair {
            [k, v] => (k.trim(), v.as_str()),
            _ => continue, // an odd trailing name without a value
        };
        if key.is_empty() || value.trim().is_empty() {
            continue;
        }
        match key {
            "$record_uid" => {}
            "$type" => rec.kind = value.trim().to_string(),
            _ => rec.fields.push((key.to_string(), value_of(key, value))),
        }
    }
    rec
}

/// Lists (URLs, one-time codes) are written one value a line.
fn value_of(key: &str, value: &str) -> Value {
    let listy = key == "TFC:Keeper" || key.starts_with("$url") || key.starts_with("$oneTimeCode");
    if listy && value.contains('\n') {
        Value::Array(
            value
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| Value::String(l.trim().into()))
                .collect(),
        )
    } else {
        Value::String(value.to_string())
    }
}

/// Commander appends `#edit` / `#reshare` permission flags to a shared
/// folder's name.
fn strip_flags(mut name: &str) -> &str {
    loop {
        match name
            .strip_suffix("#edit")
            .or_else(|| name.strip_suffix("#reshare"))
        {
            Some(rest) => name = rest,
            None => return name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_stripped() {
        assert_eq!(strip_flags("Team#edit#reshare"), "Team");
        assert_eq!(strip_flags("Team"), "Team");
    }
}
