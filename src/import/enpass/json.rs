//! Enpass JSON export: `{"folders": [{uuid, title, parent_uuid}],
//! "items": [{title, note, category, template_type, favorite, trashed,
//! archived, createdAt, updated_at, folders: [uuid], fields: [{label,
//! type, value, sensitive, deleted, uid}]}]}`; times are epoch seconds.

use std::collections::HashMap;

use serde_json::Value;

use super::fields::{self, Field};
use crate::import::read::{self as sup, Sink};
use crate::import::{ImportError, Input, Item, Parsed};

/// The importer name, also each item's `source`.
pub(super) const NAME: &str = "enpass-json";

/// Deepest folder nesting followed; guards against parent cycles.
const MAX_DEPTH: usize = 32;

pub(super) fn parse(input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
    let text = sup::text(input)?;
    let root = sup::json(input.name, &text)?;
    let Some(items) = root.get("items").and_then(Value::as_array) else {
        return Err(sup::file_error(
            input.name,
            "expected an Enpass JSON export: an object with an `items` array",
        ));
    };
    let folders = folder_paths(sup::arr(&root, "folders"));
    let mut sink = Sink::new(input.name, skip_invalid);
    for (i, v) in items.iter().enumerate() {
        let record = format!("item {}", i + 1);
        if !v.is_object() {
            sink.invalid(record, "expected an item object")?;
            continue;
        }
        if v.get("fields")
            .is_some_and(|f| !f.is_array() && !f.is_null())
        {
            sink.invalid(record, "expected `fields` to be an array")?;
            continue;
        }
        if sup::truthy(v.get("trashed")) {
            sink.skip(record, "in trash");
            continue;
        }
        sink.push(map_item(v, &folders));
    }
    Ok(sink.finish())
}

/// True for the JSON shape of an Enpass export (for detection).
pub(super) fn looks_like(root: &Value) -> bool {
    let Some(items) = root.get("items").and_then(Value::as_array) else {
        return false;
    };
    let first = items.first();
    root.get("folders").is_some_and(Value::is_array)
        && first.is_none_or(|i| {
            i.get("category").is_some()
                && (i.get("template_type").is_some() || i.get("fields").is_some())
        })
        && (first.is_some() || root.as_object().is_some_and(|o| o.len() == 2))
}

fn map_item(v: &Value, folders: &HashMap<String, String>) -> Item {
    let list: Vec<&Value> = sup::arr(v, "fields")
        .iter()
        .filter(|f| !sup::truthy(f.get("deleted")))
        .collect();
    let raw: Vec<(String, String, String, bool, Option<i64>)> = list
        .iter()
        .map(|f| {
            (
                sup::s(f, "label"),
                sup::s(f, "type"),
                sup::s(f, "value"),
                sup::truthy(f.get("sensitive")),
                f.get("uid").and_then(Value::as_i64),
            )
        })
        .collect();
    let kinds: Vec<&str> = raw
        .iter()
        .filter(|r| !r.2.trim().is_empty())
        .map(|r| r.1.as_str())
        .collect();
    let kind = fields::target(&sup::s(v, "category"), &sup::s(v, "template_type"), &kinds);
    let mut it = fields::new_item(kind, &sup::s(v, "title"), NAME);
    it.notes = sup::s(v, "note").trim_end().to_string();
    it.favorite = sup::truthy(v.get("favorite"));
    it.created_at =
        sup::epoch_of(v.get("createdAt").or(v.get("created_at"))).and_then(sup::rfc3339_epoch);
    it.updated_at =
        sup::epoch_of(v.get("updated_at").or(v.get("updatedAt"))).and_then(sup::rfc3339_epoch);
    let mut paths = sup::arr(v, "folders")
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|u| folders.get(u));
    if let Some(first) = paths.next() {
        it.folder = first.clone();
    }
    // Enpass folders work like tags; an item has one folder, so the
    // others are kept visible as fields.
    for other in paths {
        sup::field(&mut it, "Also in Enpass folder", other, false);
    }
    for (label, kind, value, sensitive, uid) in &raw {
        fields::apply(
            &mut it,
            &Field {
                label,
                kind,
                value,
                sensitive: *sensitive,
                uid: *uid,
            },
        );
    }
    it
}

/// uuid → `/` path, following `parent_uuid`.
fn folder_paths(list: &[Value]) -> HashMap<String, String> {
    let by_id: HashMap<String, (String, String)> = list
        .iter()
        .map(|f| {
            (
                sup::s(f, "uuid"),
                (sup::s(f, "title"), sup::s(f, "parent_uuid")),
            )
        })
        .collect();
    by_id
        .keys()
        .map(|id| {
            let mut names = Vec::new();
            let mut seen = Vec::new();
            let mut cur = id.as_str();
            // Stops at the root, at a parent seen before (a cycle in a
            // damaged file) or at MAX_DEPTH.
            while let Some((title, parent)) = by_id.get(cur) {
                names.push(title.as_str());
                seen.push(cur);
                if parent.is_empty() || seen.contains(&parent.as_str()) || names.len() >= MAX_DEPTH
                {
                    break;
                }
                cur = parent;
            }
            names.reverse();
            (id.clone(), sup::folder_path(names, sup::Sep::Flat))
        })
        .collect()
}
