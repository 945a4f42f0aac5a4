//! 1Password Unencrypted Export (`.1pux`): a ZIP holding `export.data`,
//! JSON `{accounts: [{attrs, vaults: [{attrs: {name}, items: [...]}]}]}`.
//! The loose `export.data` (someone unzipped it) is accepted too.
//!
//! Decisions: the vault name is the folder (prefixed by the account name
//! when the export holds several accounts); trashed items (`trashed: true`
//! or `state: "deleted"`) are skipped as "in trash"; archived items
//! (`state: "archived"`) are imported, because archiving in 1Password keeps
//! an item on purpose; tags are kept as a `tags` custom field.

use serde_json::Value as Json;

use super::category::Category;
use super::fields::apply;
use super::json::{detail_fields, int, list, strings, text};
use crate::import::read::{
    add_field, base_name, file_error, folder_path, is_zip, json, lossy, rfc3339_epoch,
    text as decode, url as add_url, Sep, Sink, Zip, IN_TRASH,
};
use crate::import::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The `1password-1pux` importer.
pub(crate) struct Pux;

impl Importer for Pux {
    fn name(&self) -> &'static str {
        "1password-1pux"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        if is_zip(input.bytes) {
            let Ok(archive) = Zip::open(input.name, input.bytes) else {
                return Confidence::No;
            };
            let has_data = archive
                .names()
                .iter()
                .any(|n| base_name(n) == "export.data");
            return if has_data {
                Confidence::Yes
            } else {
                Confidence::No
            };
        }
        let text = lossy(input.bytes);
        let start = text.trim_start();
        // The shape check parses the JSON: only worth it when it starts right.
        if start.starts_with('{') && start.contains("\"accounts\"") && start.contains("\"vaults\"")
        {
            if let Ok(json) = serde_json::from_str::<Json>(start) {
                if json.get("accounts").is_some_and(Json::is_array) {
                    return Confidence::Yes;
                }
            }
        }
        Confidence::No
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let data;
        let bytes = if is_zip(input.bytes) {
            let mut archive = Zip::open(input.name, input.bytes)?;
            let member = archive
                .names()
                .into_iter()
                .find(|n| base_name(n) == "export.data")
                .ok_or_else(|| {
                    file_error(
                        input.name,
                        "expected an `export.data` member: not a 1PUX export",
                    )
                })?;
            data = archive.read(&member)?;
            &data[..]
        } else {
            input.bytes
        };
        let doc = decode(&Input {
            name: input.name,
            bytes,
        })?;
        let json: Json = json(input.name, &doc)?;
        let accounts = json
            .get("accounts")
            .and_then(Json::as_array)
            .ok_or_else(|| {
                file_error(input.name, "expected a JSON object with an `accounts` list")
            })?;
        let mut out = Sink::new(input.name, skip_invalid);
        let mut n = 0usize;
        for (a, account) in accounts.iter().enumerate() {
            let Some(vaults) = account.get("vaults").and_then(Json::as_array) else {
                out.invalid(
                    format!("account {}", a + 1),
                    "expected an object with a `vaults` list",
                )?;
                continue;
            };
            let account_name = account
                .get("attrs")
                .map(|at| text(at, "accountName"))
                .unwrap_or_default();
            for vault in vaults {
                let vault_name = vault
                    .get("attrs")
                    .map(|at| text(at, "name"))
                    .unwrap_or_default();
                // Account and vault names are names, not paths.
                let folder = if accounts.len() > 1 && !account_name.is_empty() {
                    folder_path([&account_name, &vault_name], Sep::Flat)
                } else {
                    folder_path([&vault_name], Sep::Flat)
                };
                for raw in list(vault, "items") {
                    n += 1;
                    let record = format!("item {n}");
                    match item(raw, &folder) {
                        Ok(Some(item)) => out.push(item),
                        Ok(None) => out.skip(record, IN_TRASH),
                        Err(message) => out.invalid(record, message)?,
                    }
                }
            }
        }
        Ok(out.finish())
    }
}

/// One 1PUX item; `None` when it is in the trash.
fn item(raw: &Json, folder: &str) -> Result<Option<Item>, String> {
    if !raw.is_object() {
        return Err("expected a JSON object for the item".into());
    }
    let trashed = raw.get("trashed").and_then(Json::as_bool).unwrap_or(false);
    if trashed || matches!(text(raw, "state").as_str(), "deleted" | "trashed") {
        return Ok(None);
    }
    let overview = raw
        .get("overview")
        .filter(|o| o.is_object())
        .ok_or("expected an `overview` object")?;
    let details = match raw.get("details") {
        None | Some(Json::Null) => &Json::Null,
        Some(d) if d.is_object() => d,
        Some(_) => return Err("expected `details` to be an object".into()),
    };
    let category = Category::from_uuid(&text(raw, "categoryUuid"));
    let mut item = Item {
        item_type: category.item_type().into(),
        title: text(overview, "title"),
        folder: folder.to_string(),
        notes: text(details, "notesPlain"),
        favorite: int(raw, "favIndex").unwrap_or(0) > 0,
        created_at: int(raw, "createdAt").and_then(rfc3339_epoch),
        updated_at: int(raw, "updatedAt").and_then(rfc3339_epoch),
        source: "1password-1pux".into(),
        ..Default::default()
    };
    add_url(&mut item, &text(overview, "url"));
    for u in list(overview, "urls") {
        add_url(&mut item, &text(u, "url"));
    }
    let fields = detail_fields(details, "loginFields");
    apply(category, &mut item, fields);
    if let Some(doc) = details.get("documentAttributes") {
        let name = text(doc, "fileName");
        add_field(
            &mut item,
            "document",
            &format!("{name} (file not imported)"),
            false,
        );
    }
    add_field(
        &mut item,
        "tags",
        &strings(overview, "tags").join(", "),
        false,
    );
    Ok(Some(item))
}
