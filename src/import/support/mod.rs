//! Helpers shared by the 1Password, LastPass, Dashlane, KeePass and
//! KeePassXC importers: text decoding, CSV tables, ZIP members, the
//! error-or-skip collector, timestamps and the last step that fits an item
//! to its FIELD_SPEC type.
//!
//! Submodules: `table` (CSV), `archive` (ZIP), `time`, `values` (months,
//! expiry, card brands, names, which labels are secret).
//!
//! Invariant: no message built here contains a field value — only file
//! names, record positions and what was expected.

mod archive;
mod table;
mod time;
mod values;

use std::borrow::Cow;

use crate::fieldspec;

use crate::import::{CustomField, ImportError, Item, Parsed};

pub(crate) use archive::*;
pub(crate) use table::*;
pub(crate) use time::*;
pub(crate) use values::*;

/// A file-level error (the record cannot be named).
pub(crate) fn file_error(file: &str, message: impl Into<String>) -> ImportError {
    ImportError::File {
        file: file.to_string(),
        message: message.into(),
    }
}

/// Decodes an export's bytes as text: UTF-8 with or without a BOM, or
/// UTF-16 with a BOM (what Windows tools write when asked for "Unicode").
pub(crate) fn text<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(file, rest);
    }
    let utf16 = |rest: &[u8], le: bool| -> Result<Cow<'a, str>, ImportError> {
        if rest.len() % 2 != 0 {
            return Err(file_error(
                file,
                "expected UTF-16 text: the file has an odd number of bytes",
            ));
        }
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| file_error(file, "expected UTF-16 text after the byte-order mark"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    utf8(file, bytes)
}

fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, ImportError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        file_error(
            file,
            format!(
                "expected UTF-8 text; invalid byte at offset {}",
                e.valid_up_to()
            ),
        )
    })
}

/// Text for detection only: lossy, never fails (UTF-16 with a BOM is
/// decoded so detection sees the same header `parse` will).
pub(crate) fn sniff(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        if let Ok(t) = text("", bytes) {
            return t;
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Gathers a parse's items; decides whether a bad record fails the whole
/// file or is skipped (`--skip-invalid`).
pub(crate) struct Collector {
    file: String,
    skip_invalid: bool,
    parsed: Parsed,
}

impl Collector {
    pub(crate) fn new(file: &str, skip_invalid: bool) -> Self {
        Collector {
            file: file.to_string(),
            skip_invalid,
            parsed: Parsed::default(),
        }
    }

    /// The file name errors are reported against.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Accepts an item after fitting it to its type.
    pub(crate) fn push(&mut self, mut item: Item) {
        fit_to_type(&mut item);
        self.parsed.items.push(item);
    }

    /// A record that cannot be imported: fails the file unless skipping.
    pub(crate) fn invalid(
        &mut self,
        record: String,
        message: impl Into<String>,
    ) -> Result<(), ImportError> {
        let message = message.into();
        if self.skip_invalid {
            self.parsed.skipped.push((record, message));
            Ok(())
        } else {
            Err(ImportError::Record {
                file: self.file.clone(),
                record,
                message,
            })
        }
    }

    /// A record left out on purpose (trash, folder placeholders).
    pub(crate) fn skip(&mut self, record: String, reason: &str) {
        self.parsed.skipped.push((record, reason.to_string()));
    }

    /// Adds what another collector gathered (ZIP members).
    pub(crate) fn absorb(&mut self, other: Parsed) {
        self.parsed.items.extend(other.items);
        self.parsed.skipped.extend(other.skipped);
    }

    pub(crate) fn finish(self) -> Parsed {
        self.parsed
    }
}

/// The reason recorded for items the source had deleted.
pub(crate) const IN_TRASH: &str = "in trash";

/// Adds a custom field unless the value is blank or the same label and value
/// are already there (several sources repeat a value under two columns).
pub(crate) fn add_field(item: &mut Item, label: &str, value: &str, hidden: bool) {
    if value.trim().is_empty() {
        return;
    }
    let label = label.trim();
    if item
        .fields
        .iter()
        .any(|f| f.value == value && f.label.eq_ignore_ascii_case(label))
    {
        return;
    }
    item.fields.push(CustomField {
        label: label.to_string(),
        value: value.to_string(),
        hidden,
    });
}

/// Adds a URL unless blank or already present.
pub(crate) fn add_url(item: &mut Item, url: &str) {
    let url = url.trim();
    if !url.is_empty() && !item.urls.iter().any(|u| u == url) {
        item.urls.push(url.to_string());
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

/// Joins folder path parts with `/`, trimming them and dropping empty ones.
pub(crate) fn folder_path<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Moves top-level values the item's FIELD_SPEC type has no field for
/// (e.g. a username on an identity) into custom fields, and `typed` keys the
/// type does not define likewise, so the pipeline never drops data.
pub(crate) fn fit_to_type(item: &mut Item) {
    let Some(def) = fieldspec::entry_type(&item.item_type) else {
        item.item_type = "note".into();
        return fit_to_type(item);
    };
    if item.item_type == "identity" {
        let identity = item.identity.get_or_insert_with(Default::default);
        if fill(&mut identity.email, &item.email) {
            item.email.clear();
        }
    }
    for (name, label, hidden) in [
        ("username", "username", false),
        ("email", "email", false),
        ("password", "password", true),
        ("totp", "one-time password", true),
    ] {
        if def.field(name).is_some() {
            continue;
        }
        let slot = match name {
            "username" => &mut item.username,
            "email" => &mut item.email,
            "password" => &mut item.password,
            _ => &mut item.totp,
        };
        let value = std::mem::take(slot);
        add_field(item, label, &value, hidden);
    }
    let stray: Vec<String> = item
        .typed
        .keys()
        .filter(|k| def.field(k).is_none())
        .cloned()
        .collect();
    for key in stray {
        if let Some(value) = item.typed.remove(&key) {
            add_field(item, &key, &value, looks_secret(&key));
        }
    }
    item.typed.retain(|_, v| !v.trim().is_empty());
    if item.item_type != "card" {
        item.card = None;
    }
    if item.item_type != "identity" {
        item.identity = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_decodes_boms() {
        assert_eq!(text("f", b"\xEF\xBB\xBFa,b").unwrap(), "a,b");
        assert_eq!(text("f", b"\xFF\xFEa\x00").unwrap(), "a");
        assert!(matches!(
            text("f", b"\xFF\x00\xC3"),
            Err(ImportError::File { .. })
        ));
        assert!(matches!(
            text("f", b"\xFF\xFEa"),
            Err(ImportError::File { .. })
        ));
        assert_eq!(sniff(b"\xFF\xFEG\x00,\x00T\x00"), "G,T");
    }

    #[test]
    fn fit_moves_unsupported_values_to_fields() {
        let mut item = Item {
            item_type: "identity".into(),
            username: "gengels".into(),
            email: "g@example.invalid".into(),
            ..Default::default()
        };
        item.typed.insert("hostname".into(), "db".into());
        fit_to_type(&mut item);
        assert!(item.username.is_empty());
        assert_eq!(item.identity.as_ref().unwrap().email, "g@example.invalid");
        assert_eq!(item.fields.len(), 2);
        assert!(item.typed.is_empty());
    }
}
