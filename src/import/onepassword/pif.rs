//! 1Password Interchange Format (`.1pif`, 1Password 4–7): one JSON object
//! per line, records separated by `***<uuid>***` lines. Two item shapes
//! occur: the classic one (`typeName`, `title`, `location`,
//! `secureContents`) and the OPVault-style one 1Password for Windows writes
//! (`category`, `overview`, `details`). Folders are records of type
//! `system.folder.Regular`, referenced by items' `folderUuid`.
//!
//! Decisions: trashed items and `system.Tombstone` records are skipped as
//! "in trash"; folders and saved searches are not items; password history
//! is not imported (the normalized item has no place for it).

use std::collections::HashMap;

use serde_json::Value as Json;

use super::category::Category;
use super::fields::apply;
use super::json::{detail_fields, int, list, strings, text};
use crate::import::read::{
    add_field, expiry_of, fill, folder_path, lossy, rfc3339_epoch, text as decode, url as add_url,
    Sep, Sink, IN_TRASH,
};
use crate::import::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The `1password-1pif` importer.
pub(crate) struct Pif;

/// Whether a line separates 1PIF records (`***5642bee8-…***`).
fn is_separator(line: &str) -> bool {
    let l = line.trim();
    l.len() > 6 && l.starts_with("***") && l.ends_with("***")
}

/// The file's records as (first line number, JSON text).
fn records(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        if is_separator(line) {
            if !current.trim().is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            current.clear();
            continue;
        }
        if current.trim().is_empty() {
            current.clear();
            start = i + 1;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.trim().is_empty() {
        out.push((start, current));
    }
    out
}

impl Importer for Pif {
    fn name(&self) -> &'static str {
        "1password-1pif"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let text = lossy(input.bytes);
        let Some((_, first)) = records(&text).into_iter().next() else {
            return Confidence::No;
        };
        let Ok(json) = serde_json::from_str::<Json>(&first) else {
            return Confidence::No;
        };
        let classic =
            json.get("typeName").is_some_and(Json::is_string) && json.get("uuid").is_some();
        let opvault = json.get("category").is_some_and(Json::is_string)
            && json.get("overview").is_some_and(Json::is_object);
        if classic || opvault {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let text = decode(input)?;
        let mut out = Sink::new(input.name, skip_invalid);
        let mut parsed = Vec::new();
        for (line, raw) in records(&text) {
            match serde_json::from_str::<Json>(&raw) {
                Ok(json) if json.is_object() => parsed.push((line, json)),
                Ok(_) => out.invalid(format!("line {line}"), "expected a JSON object")?,
                Err(e) => out.invalid(
                    format!("line {line}"),
                    format!("expected a JSON object: {e}"),
                )?,
            }
        }
        let folders = folders(&parsed);
        for (line, json) in &parsed {
            let record = format!("line {line}");
            let type_name = text_of(json, "typeName");
            if type_name.starts_with("system.folder.") {
                out.skip(record, "a folder, not an item");
                continue;
            }
            if type_name == "system.SavedSearch" {
                out.skip(record, "a saved search, not an item");
                continue;
            }
            if type_name == "system.Tombstone"
                || json.get("trashed").and_then(Json::as_bool).unwrap_or(false)
            {
                out.skip(record, IN_TRASH);
                continue;
            }
            match item(json, &folders) {
                Ok(item) => out.push(item),
                Err(message) => out.invalid(record, message)?,
            }
        }
        Ok(out.finish())
    }
}

fn text_of(v: &Json, key: &str) -> String {
    text(v, key)
}

/// Folder uuid → full path, following `folderUuid` parents (depth-capped:
/// a cycle in a damaged file must not loop).
fn folders(records: &[(usize, Json)]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for (_, r) in records {
        if text(r, "typeName").starts_with("system.folder.") {
            names.insert(text(r, "uuid"), (text(r, "title"), text(r, "folderUuid")));
        }
    }
    let mut paths = HashMap::new();
    for uuid in names.keys() {
        let mut parts = Vec::new();
        let mut cur = uuid.clone();
        while let Some((title, parent)) = names.get(&cur) {
            parts.push(title.clone());
            if parts.len() > 32 || parent.is_empty() {
                break;
            }
            cur = parent.clone();
        }
        parts.reverse();
        paths.insert(uuid.clone(), folder_path(parts, Sep::Flat));
    }
    paths
}

/// One 1PIF item in either shape.
fn item(json: &Json, folders: &HashMap<String, String>) -> Result<Item, String> {
    let opvault = json.get("overview").is_some_and(Json::is_object);
    let (category, overview, details) = if opvault {
        let details = json.get("details").unwrap_or(&Json::Null);
        (
            Category::from_uuid(&text(json, "category")),
            &json["overview"],
            details,
        )
    } else {
        let details = json.get("secureContents").unwrap_or(&Json::Null);
        (
            Category::from_type_name(&text(json, "typeName")),
            json,
            details,
        )
    };
    if !details.is_null() && !details.is_object() {
        return Err("expected `secureContents`/`details` to be an object".into());
    }
    let folder_id = Some(text(json, "folderUuid"))
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| text(json, "folder"));
    let fave = int(json, "faveIndex")
        .or_else(|| int(json, "fave"))
        .unwrap_or(0);
    let created = int(json, "createdAt").or_else(|| int(json, "created"));
    let updated = int(json, "updatedAt").or_else(|| int(json, "updated"));
    let mut item = Item {
        item_type: category.item_type().into(),
        title: text(overview, "title"),
        folder: folders.get(&folder_id).cloned().unwrap_or_default(),
        notes: text(details, "notesPlain"),
        favorite: fave > 0,
        created_at: created.and_then(rfc3339_epoch),
        updated_at: updated.and_then(rfc3339_epoch),
        source: "1password-1pif".into(),
        ..Default::default()
    };
    add_url(
        &mut item,
        &text(overview, if opvault { "url" } else { "location" }),
    );
    for u in list(overview, "URLs").iter().chain(list(details, "URLs")) {
        add_url(
            &mut item,
            &Some(text(u, "url"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| text(u, "u")),
        );
    }
    let fields = detail_fields(details, "fields");
    apply(category, &mut item, fields);
    flat_fallback(&mut item, details);
    let tags_from = json.get("openContents").unwrap_or(overview);
    add_field(
        &mut item,
        "tags",
        &strings(tags_from, "tags").join(", "),
        false,
    );
    Ok(item)
}

/// Older 1PIF items keep card and identity values as flat `secureContents`
/// keys (`ccnum`, `firstname`…) rather than, or as well as, in sections:
/// they fill slots still empty and are never duplicated as custom fields.
fn flat_fallback(item: &mut Item, d: &Json) {
    if let Some(card) = item.card.as_mut() {
        fill(&mut card.cardholder, &text(d, "cardholder"));
        fill(&mut card.number, &text(d, "ccnum"));
        fill(&mut card.cvv, &text(d, "cvv"));
        fill(
            &mut card.brand,
            &super::fields::card_brand(&text(d, "type")),
        );
        fill(
            &mut card.expiry,
            &expiry_of(&text(d, "expiry_mm"), &text(d, "expiry_yy")),
        );
    }
    if let Some(id) = item.identity.as_mut() {
        for (slot, key) in [
            (&mut id.first_name, "firstname"),
            (&mut id.middle_name, "initial"),
            (&mut id.last_name, "lastname"),
            (&mut id.company, "company"),
            (&mut id.email, "email"),
            (&mut id.address1, "address1"),
            (&mut id.address2, "address2"),
            (&mut id.city, "city"),
            (&mut id.state, "state"),
            (&mut id.zip, "zip"),
            (&mut id.country, "country"),
            (&mut id.phone, "defphone"),
        ] {
            if slot.is_empty() {
                fill(slot, &text(d, key));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_on_separator_lines() {
        let text = "***5642bee8-a5ff-11dc-8314-0800200c9a66***\n{\"a\":1}\n***x-y***\n\n{\"b\":2}";
        let r = records(text);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].0, 2);
        assert_eq!(r[1].0, 5);
    }
}
