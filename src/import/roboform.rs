//! RoboForm CSV export (`roboform-csv`).
//!
//! Header `Name,Url,MatchUrl,Login,Pwd,Note,Folder,RfFieldsV2` (older:
//! `Name,URL,MatchUrl,Login,Pwd,Note,Folder`, or
//! `Name,Url,Login,Pwd,Note,Folder,Rf_fields` whose extra fields are shaped
//! `Label$:type:value`). `RfFieldsV2` is ragged by design: each extra form
//! field of a login takes one more column, shaped
//! `Label$,id,name,type,value` (`type` `pwd` is concealed; the label
//! `TOTP KEY` holds the TOTP secret).
//!
//! Decisions:
//! * A row with no URL, login or password is a safenote; a URL without
//!   credentials (a bookmark) stays a login so its URL is kept.
//! * `Folder` is a `/` path with a leading `/`.
//! * RoboForm writes a `'` before values starting with `@` or `'` (so a
//!   spreadsheet does not read them as formulas); it is removed again.
//! * An extra field that does not have the five-part shape is kept whole
//!   as a hidden "RoboForm field"; a field repeating the login or password
//!   is not duplicated.

use super::{Confidence, ImportError, Importer, Input, Item, Parsed};
use crate::import::read::{self as sup, field, Row, Shape, Sink, Table};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&RoboFormCsv];

/// RoboForm's CSV export.
pub struct RoboFormCsv;

const NAME: &str = "roboform-csv";

/// Column indices found in the header.
struct Cols {
    name: Option<usize>,
    url: Option<usize>,
    match_url: Option<usize>,
    login: Option<usize>,
    pwd: Option<usize>,
    note: Option<usize>,
    folder: Option<usize>,
    /// Where the ragged extra fields start.
    extra: usize,
}

impl Importer for RoboFormCsv {
    fn name(&self) -> &'static str {
        NAME
    }

    /// `Pwd`, `MatchUrl` and `Rf_fields` are RoboForm's own column names.
    fn detect(&self, input: &Input<'_>) -> Confidence {
        let Some(h) = sup::header(input) else {
            return Confidence::No;
        };
        if h.has("pwd") && (h.has("matchurl") || h.has("rf_fields")) && h.has("name") {
            Confidence::Yes
        } else if h.has("pwd") && h.has("login") && h.has("name") {
            Confidence::Maybe
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let text = sup::text(input)?;
        let mut table = Table::parse(input.name, &text, Shape::Ragged)?;
        let header = table.header.clone();
        if table.require(&["name"]).is_err() || !header.has("pwd") {
            return Err(sup::file_error(input.name, "expected a RoboForm CSV header line `Name,Url,MatchUrl,Login,Pwd,Note,Folder,RfFieldsV2`"));
        }
        let known = ["name", "url", "matchurl", "login", "pwd", "note", "folder"]
            .map(|c| header.find(&[c]));
        let cols = Cols {
            name: known[0],
            url: known[1],
            match_url: known[2],
            login: known[3],
            pwd: known[4],
            note: known[5],
            folder: known[6],
            extra: header
                .find(&["rffieldsv2"])
                .unwrap_or_else(|| known.iter().flatten().max().map_or(0, |m| m + 1)),
        };
        let mut sink = Sink::new(input.name, skip_invalid);
        sink.push_rows(&table, |row| Ok(map_row(row, &cols)))?;
        Ok(sink.finish())
    }
}

fn map_row(row: &Row, c: &Cols) -> Item {
    let url = row.text(c.url);
    let match_url = row.text(c.match_url);
    let login = unescape(row.text(c.login));
    let pwd = unescape(row.get(c.pwd));
    let extras: Vec<&str> = row
        .fields
        .iter()
        .skip(c.extra)
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect();
    let safenote = url.is_empty()
        && match_url.is_empty()
        && login.is_empty()
        && pwd.is_empty()
        && extras.is_empty();
    let mut it = sup::item(
        if safenote { "note" } else { "login" },
        row.text(c.name),
        NAME,
    );
    it.notes = row.get(c.note).trim_end().to_string();
    it.folder = sup::folder_path([row.text(c.folder)], sup::Sep::Slash);
    sup::url(&mut it, url);
    sup::url(&mut it, match_url);
    it.username = login.to_string();
    it.password = pwd.to_string();
    for cell in extras {
        extra_field(&mut it, cell);
    }
    it
}

/// One extra-field column: `RfFieldsV2`'s `Label$,id,name,type,value`,
/// or the older `Rf_fields` column's `Label$:type:value`; either value may
/// itself contain the separator.
fn extra_field(it: &mut Item, cell: &str) {
    let colon_shape = cell
        .find('$')
        .is_some_and(|i| cell[i + 1..].starts_with(':'));
    let parts = if colon_shape {
        let mut p = cell.splitn(3, ':');
        (p.next(), p.next(), p.next())
    } else {
        let mut p = cell.splitn(5, ',');
        let (label, _id, _name) = (p.next(), p.next(), p.next());
        (label, p.next(), p.next())
    };
    let (Some(label), Some(kind), Some(value)) = parts else {
        return field(it, "RoboForm field", cell, true);
    };
    let label = label.trim().trim_end_matches('$').trim();
    let value = unescape(value);
    if value.trim().is_empty() || value == it.username || value == it.password {
        return;
    }
    if label.eq_ignore_ascii_case("totp key") && it.totp.is_empty() {
        it.totp = value.trim().to_string();
        return;
    }
    let hidden = kind.trim().eq_ignore_ascii_case("pwd");
    field(
        it,
        if label.is_empty() {
            "RoboForm field"
        } else {
            label
        },
        value,
        hidden,
    );
}

/// Removes the `'` RoboForm puts before a leading `@` or `'`.
fn unescape(v: &str) -> &str {
    match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with('@') || rest.starts_with('\'') => rest,
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_formula_guard() {
        assert_eq!(unescape("'@secret"), "@secret");
        assert_eq!(unescape("''quoted"), "'quoted");
        assert_eq!(unescape("'plain"), "'plain");
        assert_eq!(unescape(""), "");
    }

    #[test]
    fn extra_fields() {
        let mut it = sup::item("login", "t", NAME);
        it.username = "jane".into();
        extra_field(&mut it, "User ID$,,,txt,jane");
        extra_field(&mut it, "TOTP KEY$,,,txt,JBSWY3DPEHPK3PXP");
        extra_field(&mut it, "PIN$,f1,pin,pwd,12,34");
        extra_field(&mut it, "odd");
        assert_eq!(it.totp, "JBSWY3DPEHPK3PXP");
        assert_eq!(it.fields.len(), 2);
        // The older `Rf_fields` shape: `Label$:type:value`.
        let mut old = sup::item("login", "t", NAME);
        old.username = "jane".into();
        extra_field(&mut old, "User ID$:txt:jane");
        extra_field(&mut old, "Answer$:pwd:a:b,c");
        assert_eq!(old.fields.len(), 1);
        assert_eq!(
            (
                old.fields[0].label.as_str(),
                old.fields[0].value.as_str(),
                old.fields[0].hidden
            ),
            ("Answer", "a:b,c", true)
        );
        assert_eq!(
            (
                it.fields[0].label.as_str(),
                it.fields[0].value.as_str(),
                it.fields[0].hidden
            ),
            ("PIN", "12,34", true)
        );
        assert_eq!(
            (it.fields[1].label.as_str(), it.fields[1].hidden),
            ("RoboForm field", true)
        );
    }
}
