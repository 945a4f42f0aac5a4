//! Helpers shared by the NordPass, Keeper, RoboForm, Enpass and Proton Pass
//! importers: decoding text, reading CSV rows with their line numbers,
//! applying the skip-invalid policy, epoch times, card expiry, names, ZIP
//! members and JSON look-ups.
//!
//! Invariant: no message built here contains a value read from the input.

mod archive;
mod card;
mod csv_rows;
mod json;
mod ssh;
mod text;
mod time;

pub(crate) use self::archive::{is_zip, Zip};
pub(crate) use self::card::{card_brand, expiry};
pub(crate) use self::csv_rows::{first_row, header_rows, norm, rows, BadRow, Header, Row, Shape};
pub(crate) use self::json::{arr, json, json_of, s, scalar, truthy, value};
pub(crate) use self::ssh::ssh_key;
pub(crate) use self::text::{head, text};
pub(crate) use self::time::{date_epoch, epoch_of, rfc3339_epoch};

use crate::import::{CustomField, ImportError, Input, Item, Parsed};

/// A whole-file error.
pub(crate) fn file_error(file: &str, message: impl Into<String>) -> ImportError {
    ImportError::File {
        file: file.to_string(),
        message: message.into(),
    }
}

/// Collects items and applies the skip-invalid policy in one place.
pub(crate) struct Sink<'a> {
    file: &'a str,
    skip_invalid: bool,
    parsed: Parsed,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(input: &'a Input<'_>, skip_invalid: bool) -> Self {
        Sink {
            file: input.name,
            skip_invalid,
            parsed: Parsed::default(),
        }
    }

    pub(crate) fn push(&mut self, item: Item) {
        self.parsed.items.push(item);
    }

    /// A bad record: fails the file, or is reported in `skipped` with
    /// `--skip-invalid`. `message` says what was expected, never a value.
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
                file: self.file.to_string(),
                record,
                message,
            })
        }
    }

    /// A record deliberately left out (trash, unsupported kind).
    pub(crate) fn skip(&mut self, record: String, reason: &str) {
        self.parsed.skipped.push((record, reason.to_string()));
    }

    /// Pushes what `map` makes of each non-blank record (`None`: left out);
    /// a malformed record is [`Sink::invalid`].
    pub(crate) fn push_rows(
        &mut self,
        rows: impl IntoIterator<Item = Result<Row, BadRow>>,
        mut map: impl FnMut(&Row) -> Option<Item>,
    ) -> Result<(), ImportError> {
        for row in rows {
            match row {
                Ok(row) if row.is_blank() => {}
                Ok(row) => {
                    if let Some(item) = map(&row) {
                        self.push(item);
                    }
                }
                Err((record, msg)) => self.invalid(record, msg)?,
            }
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Parsed {
        self.parsed
    }
}

/// A new item of `item_type` with its title and importer name.
pub(crate) fn item(item_type: &str, title: &str, source: &str) -> Item {
    Item {
        item_type: item_type.to_string(),
        title: title.trim().to_string(),
        source: source.to_string(),
        ..Item::default()
    }
}

/// Adds a custom field unless its value is empty.
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

/// Adds a URL unless empty or already present.
pub(crate) fn url(item: &mut Item, u: &str) {
    let u = u.trim();
    if !u.is_empty() && !item.urls.iter().any(|x| x == u) {
        item.urls.push(u.to_string());
    }
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

/// Sets `typed[name]` unless the value is empty.
pub(crate) fn typed(item: &mut Item, name: &str, value: &str) {
    if !value.trim().is_empty() {
        item.typed
            .insert(name.to_string(), value.trim().to_string());
    }
}

/// Joins folder names into a `/` path. A `/` inside one name would read as
/// nesting, so it becomes U+2215 DIVISION SLASH (looks the same, stays one
/// folder); empty names are dropped.
pub(crate) fn folder_path<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    names
        .into_iter()
        .map(|n| n.as_ref().trim().replace('/', "\u{2215}"))
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// A source folder path that already uses `/` between levels, cleaned of
/// leading, trailing and doubled slashes ("/Work//Dev/" → "Work/Dev").
pub(crate) fn slash_path(path: &str) -> String {
    path.split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Splits "First Middle Last" into its parts; one word is a first name.
pub(crate) fn split_name(full: &str) -> (String, String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => Default::default(),
        [first] => (first.to_string(), String::new(), String::new()),
        [first, middle @ .., last] => (first.to_string(), middle.join(" "), last.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split() {
        assert_eq!(split_name("Ada"), ("Ada".into(), "".into(), "".into()));
        assert_eq!(
            split_name(" Ada  King  Lovelace "),
            ("Ada".into(), "King".into(), "Lovelace".into())
        );
    }
}
