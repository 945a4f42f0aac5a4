//! Proton Pass JSON export (`data.json`, alone or in the export ZIP):
//! `{"version","userId","encrypted":false,"vaults":{id:{name,description,
//! items:[{itemId, shareId, data:{metadata:{name,note}, extraFields, type,
//! content}, state, aliasEmail, createTime, modifyTime, pinned}]}}}`.
//! Times are epoch seconds; `state` 2 is the trash.

use serde_json::Value;

use super::content;
use crate::import::read::{self as sup, Sink};
use crate::import::{ImportError, Input, Item, Parsed};

/// Tells the user how to get a file we can read.
pub(super) const ENCRYPTED: &str =
    "this Proton Pass export is encrypted (PGP); export again from Proton Pass with encryption turned off (ZIP or JSON)";

/// Parses the JSON text of an export; `source` names the importer.
pub(super) fn parse_text(
    input: &Input<'_>,
    text: &str,
    source: &str,
    skip_invalid: bool,
) -> Result<Parsed, ImportError> {
    let root = sup::json(input.name, text)?;
    if sup::truthy(root.get("encrypted")) {
        return Err(sup::file_error(input.name, ENCRYPTED));
    }
    let Some(vaults) = root.get("vaults").and_then(Value::as_object) else {
        return Err(sup::file_error(
            input.name,
            "expected a Proton Pass export: an object with a `vaults` object",
        ));
    };
    let mut sink = Sink::new(input.name, skip_invalid);
    let mut n = 0;
    for vault in vaults.values() {
        let folder = sup::folder_path([sup::s(vault, "name")], sup::Sep::Flat);
        let items = match vault.get("items") {
            Some(Value::Array(items)) => items.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => {
                n += 1;
                sink.invalid(
                    format!("item {n}"),
                    "expected the vault's `items` to be an array",
                )?;
                continue;
            }
        };
        for v in items {
            n += 1;
            let record = format!("item {n}");
            match map(v, &folder, source) {
                Ok(Some(item)) => sink.push(item),
                Ok(None) => sink.skip(record, "in trash"),
                Err(msg) => sink.invalid(record, msg)?,
            }
        }
    }
    Ok(sink.finish())
}

/// True for the shape of a Proton Pass export (for detection).
pub(super) fn looks_like(root: &Value) -> bool {
    root.get("vaults").is_some_and(Value::is_object)
        && root.get("encrypted").is_some()
        && (root.get("userId").is_some() || root.get("version").is_some())
}

/// One item; `None` when it is in the trash.
fn map(v: &Value, folder: &str, source: &str) -> Result<Option<Item>, String> {
    let Some(data) = v.get("data").filter(|d| d.is_object()) else {
        return Err("expected an item with a `data` object".into());
    };
    if v.get("state").and_then(Value::as_i64) == Some(2) {
        return Ok(None);
    }
    let kind = sup::s(data, "type");
    if kind.is_empty() {
        return Err("expected `data.type` (login, note, creditCard, identity, alias, …)".into());
    }
    let meta = data.get("metadata").unwrap_or(&Value::Null);
    let body = data.get("content").unwrap_or(&Value::Null);
    let mut it = content::item(&kind, &sup::s(meta, "name"), body, source);
    it.notes = sup::s(meta, "note").trim_end().to_string();
    it.folder = folder.to_string();
    it.favorite = sup::truthy(v.get("pinned"));
    it.created_at = sup::epoch_of(v.get("createTime")).and_then(sup::rfc3339_epoch);
    it.updated_at = sup::epoch_of(v.get("modifyTime")).and_then(sup::rfc3339_epoch);
    if kind == "alias" {
        // The alias address lives outside `content`.
        sup::field(&mut it, "Alias email", &sup::s(v, "aliasEmail"), false);
    }
    content::extra_fields(&mut it, sup::arr(data, "extraFields"));
    Ok(Some(it))
}
