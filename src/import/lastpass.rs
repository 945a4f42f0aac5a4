//! LastPass CSV export: `url,username,password,totp,extra,name,grouping,fav`
//! (older exports lack `totp`). Columns are found by name, so their order
//! does not matter.
//!
//! * Secure notes have url `http://sn`; when their `extra` starts with
//!   `NoteType:` it is `Key:Value` lines of a typed note (credit card,
//!   bank account, address, passport…), mapped in `lastpass/notes.rs`.
//! * `http://group` rows are empty-folder placeholders, not items: they are
//!   reported in `skipped`.
//! * `grouping` is the folder, `\`-separated; `fav` is `1` for favourites.
//! * Browser-extension exports indent rows: non-secret columns (url, name,
//!   grouping, fav) are trimmed; username, password and notes are kept as is.

mod notes;

use super::{Confidence, ImportError, Importer, Input, Item, Parsed};
use crate::import::read::{
    folder_path, header_names, url as add_url, Row, Sep, Shape, Sink, Table,
};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&LastPassCsv];

/// The `lastpass-csv` importer.
struct LastPassCsv;

const REQUIRED: &[&str] = &["url", "username", "password", "extra", "name", "grouping"];

impl Importer for LastPassCsv {
    fn name(&self) -> &'static str {
        "lastpass-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let headers = header_names(input);
        if REQUIRED.iter().all(|r| headers.iter().any(|h| h == r)) {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let table = out.read_table(input, Shape::Rectangular, REQUIRED, "LastPass CSV")?;
        out.push_rows(&table, |row| {
            item(&table, row).ok_or("empty folder placeholder (http://group)")
        })?;
        Ok(out.finish())
    }
}

/// One row; `None` for a folder placeholder.
fn item(table: &Table, row: &Row) -> Option<Item> {
    let get = |name: &str| row.get(table.col(&[name]));
    let url = get("url").trim();
    if url.eq_ignore_ascii_case("http://group") {
        return None;
    }
    let mut item = Item {
        item_type: "login".into(),
        title: get("name").trim().to_string(),
        folder: folder_path([get("grouping")], Sep::Backslash),
        favorite: get("fav").trim() == "1",
        source: "lastpass-csv".into(),
        ..Default::default()
    };
    let extra = get("extra");
    if url.eq_ignore_ascii_case("http://sn") {
        item.item_type = "note".into();
        notes::apply(&mut item, extra);
    } else {
        item.notes = extra.to_string();
        // "http://" is what LastPass writes for an entry without a URL.
        if url != "http://" {
            add_url(&mut item, url);
        }
    }
    // Secure notes can carry credentials too (typed notes set their own).
    if item.username.is_empty() {
        item.username = get("username").to_string();
    }
    if item.password.is_empty() {
        item.password = get("password").to_string();
    }
    item.totp = get("totp").trim().to_string();
    Some(item)
}
