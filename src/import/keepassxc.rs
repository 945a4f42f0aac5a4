//! KeePassXC CSV export:
//! `"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"`
//! (2.6+), or the older `"Group","Title","Username","Password","URL","Notes"`
//! that KeePassX also writes. Columns are found by name.
//!
//! Decisions: `Group` is the full path from the root group with `/`
//! separators; the first component (the root group, `Root` by default but
//! renamable) is dropped. Entries under `<root>/Recycle Bin` (KeePassXC's
//! bin) are skipped as "in trash". `Icon` is not imported.

use super::{Confidence, ImportError, Importer, Input, Item, Parsed};
use crate::import::read::{
    header_names, iso_rfc3339, url as add_url, Row, Shape, Sink, Table, IN_TRASH,
};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&KeePassXcCsv];

/// The `keepassxc-csv` importer.
struct KeePassXcCsv;

const REQUIRED: &[&str] = &["group", "title", "username", "password", "url", "notes"];

impl Importer for KeePassXcCsv {
    fn name(&self) -> &'static str {
        "keepassxc-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let headers = header_names(input);
        let all = REQUIRED.iter().all(|r| headers.iter().any(|h| h == r));
        // KeePassXC writes `Group` first; with TOTP/Icon it is unmistakable.
        if all && headers.first().is_some_and(|h| h == "group") {
            Confidence::Yes
        } else if all {
            Confidence::Maybe
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let table = out.read_table(input, Shape::Rectangular, REQUIRED, "KeePassXC CSV")?;
        out.push_rows(&table, |row| item(&table, row).ok_or(IN_TRASH))?;
        Ok(out.finish())
    }
}

/// One row; `None` when it is in the recycle bin.
fn item(table: &Table, row: &Row) -> Option<Item> {
    let get = |name: &str| row.get(table.col(&[name]));
    let parts: Vec<&str> = get("group")
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let inner = parts.get(1..).unwrap_or_default();
    if inner.first().is_some_and(|p| *p == "Recycle Bin") {
        return None;
    }
    let mut item = Item {
        item_type: "login".into(),
        title: get("title").to_string(),
        folder: inner.join("/"),
        username: get("username").to_string(),
        password: get("password").to_string(),
        notes: get("notes").to_string(),
        totp: get("totp").trim().to_string(),
        created_at: iso_rfc3339(get("created")),
        updated_at: iso_rfc3339(get("last modified")),
        source: "keepassxc-csv".into(),
        ..Default::default()
    };
    add_url(&mut item, get("url"));
    if item.username.is_empty()
        && item.password.is_empty()
        && item.urls.is_empty()
        && item.totp.is_empty()
    {
        item.item_type = "note".into();
    }
    Some(item)
}
