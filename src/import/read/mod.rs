//! The one reading toolkit every importer uses (issue 15 replaced three):
//!
//! * [`text`](text::text) — the decoder: BOM, UTF-16 LE/BE, UTF-8, else
//!   Windows-1252; [`head`]/[`lossy`] for detection.
//! * [`Row`] / [`Table`] / [`Header`] — the CSV row type, header lookup by
//!   aliases, and the width policy (short rows missing only optional
//!   trailing columns are accepted and noted).
//! * [`Sink`] — counts every record as pushed (later imported or merged)
//!   or skipped with a reason; applies `--skip-invalid`.
//! * [`folder_path`] — the folder-path function, with each manager's own
//!   separator ([`Sep`]).
//! * [`Zip`] — ZIP members with limits; `time` — the time parser;
//!   `values` — card expiry/brand, names, secret-looking labels; `json` —
//!   lenient member look-ups; `ssh` — key type and fingerprint.
//!
//! Mapping onto FIELD_SPEC is not here: it happens once, in `map.rs`.
//! Invariant: no message built here contains a value read from the input.

mod csv;
mod json;
mod sink;
mod ssh;
mod text;
mod time;
mod values;
mod zip;

pub(crate) use self::csv::{
    first_row, header, header_names, norm, rows, rows_without_header, Header, Row, Shape, Table,
};
pub(crate) use self::json::{arr, json, json_of, s, scalar, truthy, value};
pub(crate) use self::sink::Sink;
pub(crate) use self::ssh::ssh_key;
pub(crate) use self::text::{head, lossy, text};
pub(crate) use self::time::{
    date_epoch, epoch_of, iso_rfc3339, rfc3339_epoch, rfc3339_millis, DateAt,
};
pub(crate) use self::values::{
    card_brand, expiry, expiry_of, looks_secret, month_number, split_name,
};
pub(crate) use self::zip::{base_name, is_zip, Zip};

use crate::import::{CustomField, ImportError, Item};

/// A whole-file error (the record cannot be named).
pub(crate) fn file_error(file: &str, message: impl Into<String>) -> ImportError {
    ImportError::File {
        file: file.to_string(),
        message: message.into(),
    }
}

/// The reason recorded for items the source had deleted.
pub(crate) const IN_TRASH: &str = "in trash";

/// A new item of `item_type` with its title and importer name.
pub(crate) fn item(item_type: &str, title: &str, source: &str) -> Item {
    Item {
        item_type: item_type.to_string(),
        title: title.trim().to_string(),
        source: source.to_string(),
        ..Item::default()
    }
}

/// Adds a custom field unless its value is blank.
pub(crate) fn field(item: &mut Item, label: &str, value: &str, hidden: bool) {
    if value.trim().is_empty() {
        return;
    }
    item.fields.push(CustomField {
        label: label.trim().to_string(),
        value: value.to_string(),
        hidden,
    });
}

/// Like [`field`], unless the same label and value are already there
/// (several sources repeat a value under two columns).
pub(crate) fn add_field(item: &mut Item, label: &str, value: &str, hidden: bool) {
    let label = label.trim();
    let repeated = item
        .fields
        .iter()
        .any(|f| f.value == value && f.label.eq_ignore_ascii_case(label));
    if !repeated {
        field(item, label, value, hidden);
    }
}

/// Adds a URL unless blank or already present.
pub(crate) fn url(item: &mut Item, u: &str) {
    let u = u.trim();
    if !u.is_empty() && !item.urls.iter().any(|x| x == u) {
        item.urls.push(u.to_string());
    }
}

/// Stores `value` in `slot` when the slot is empty; returns false (so the
/// caller keeps the value elsewhere) when the slot already holds a
/// different value.
pub(crate) fn fill(slot: &mut String, value: &str) -> bool {
    if value.trim().is_empty() || slot == value {
        return true;
    }
    if slot.is_empty() {
        *slot = value.to_string();
        return true;
    }
    false
}

/// Appends a paragraph to the notes.
pub(crate) fn append_note(item: &mut Item, text: &str) {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return;
    }
    if !item.notes.is_empty() {
        item.notes.push_str("\n\n");
    }
    item.notes.push_str(text);
}

/// Sets `typed[name]` unless the value is blank.
pub(crate) fn typed(item: &mut Item, name: &str, value: &str) {
    if !value.trim().is_empty() {
        item.typed
            .insert(name.to_string(), value.trim().to_string());
    }
}

/// How a manager writes a folder path: levels joined by `/` (Bitwarden,
/// NordPass, RoboForm, KeePassXC CSV, 1Password, Dashlane…), by `\`
/// (LastPass `grouping`, Keeper), or a single name that does not nest
/// (a Proton Pass vault, one KeePass group of a tree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sep {
    Slash,
    Backslash,
    Flat,
}

/// The folder-path function: each of `levels` is split by the manager's
/// separator, parts trimmed and empty ones dropped, and everything joined
/// with `/`, clavitor's separator. A `/` that is part of a name (where the
/// manager does not nest by `/`) becomes U+2215 DIVISION SLASH, which
/// looks the same and stays one folder.
pub(crate) fn folder_path<S: AsRef<str>>(levels: impl IntoIterator<Item = S>, sep: Sep) -> String {
    let mut parts: Vec<String> = Vec::new();
    for level in levels {
        let level = level.as_ref();
        let names: Vec<&str> = match sep {
            Sep::Slash => level.split('/').collect(),
            Sep::Backslash => level.split('\\').collect(),
            Sep::Flat => vec![level],
        };
        parts.extend(
            names
                .into_iter()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| n.replace('/', "\u{2215}")),
        );
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_paths_follow_each_managers_separator() {
        assert_eq!(folder_path([" Work / /Dev/ "], Sep::Slash), "Work/Dev");
        assert_eq!(folder_path(["a/b"], Sep::Slash), "a/b");
        assert_eq!(folder_path(["Shared\\a\\b"], Sep::Backslash), "Shared/a/b");
        assert_eq!(folder_path(["x/y\\z"], Sep::Backslash), "x\u{2215}y/z");
        assert_eq!(folder_path(["a/b", "c"], Sep::Flat), "a\u{2215}b/c");
        assert_eq!(folder_path([""; 0], Sep::Flat), "");
    }

    #[test]
    fn fields_urls_and_fill() {
        let mut i = Item::default();
        add_field(&mut i, "PIN", "1", true);
        add_field(&mut i, "pin", "1", true);
        field(&mut i, "blank", " ", false);
        assert_eq!(i.fields.len(), 1);
        url(&mut i, " https://x ");
        url(&mut i, "https://x");
        assert_eq!(i.urls, ["https://x"]);
        let mut slot = String::new();
        assert!(fill(&mut slot, "a") && fill(&mut slot, "a") && !fill(&mut slot, "b"));
    }
}
