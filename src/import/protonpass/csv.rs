//! Proton Pass CSV export: `type,name,url,email,username,password,note,
//! totp,createTime,modifyTime,vault` (older files lack `email` and/or
//! `vault`). URLs are joined with ", "; card and identity rows carry their
//! content as JSON in `note`. The file is rectangular.

use serde_json::Value;

use super::content;
use crate::import::read::{self as sup, Header, Row, Shape, Sink, Table};
use crate::import::{ImportError, Input, Item, Parsed};

/// The importer name, also each item's `source`.
pub(super) const NAME: &str = "protonpass-csv";

struct Cols {
    kind: Option<usize>,
    name: Option<usize>,
    url: Option<usize>,
    email: Option<usize>,
    username: Option<usize>,
    password: Option<usize>,
    note: Option<usize>,
    totp: Option<usize>,
    created: Option<usize>,
    modified: Option<usize>,
    vault: Option<usize>,
}

/// True for Proton Pass's header (for detection).
pub(super) fn is_header(h: &Header) -> bool {
    [
        "type",
        "name",
        "url",
        "username",
        "password",
        "note",
        "totp",
        "createtime",
        "modifytime",
    ]
    .iter()
    .all(|c| h.has(c))
}

pub(super) fn parse(input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
    let text = sup::text(input)?;
    let mut table = Table::parse(input.name, &text, Shape::Rectangular)?;
    // The columns every Proton Pass CSV version has had.
    if table
        .require(&["name", "url", "username", "password", "note", "totp"])
        .is_err()
    {
        return Err(sup::file_error(
            input.name,
            "expected a Proton Pass CSV header `type,name,url,email,username,password,note,totp,…`",
        ));
    }
    let f = |n: &str| table.col(&[n]);
    let cols = Cols {
        kind: f("type"),
        name: f("name"),
        url: f("url"),
        email: f("email"),
        username: f("username"),
        password: f("password"),
        note: f("note"),
        totp: f("totp"),
        created: f("createTime"),
        modified: f("modifyTime"),
        vault: f("vault"),
    };
    let mut sink = Sink::new(input.name, skip_invalid);
    sink.push_rows(&table, |row| Ok(map_row(row, &cols)))?;
    Ok(sink.finish())
}

fn map_row(row: &Row, c: &Cols) -> Item {
    let kind = match row.text(c.kind) {
        "" => "login",
        k => k,
    };
    let raw_note = row.get(c.note).trim_end();
    // Card and identity rows hold their content (and the real note) as JSON.
    let json_body = match kind {
        "login" | "note" | "alias" => None,
        _ => sup::value(raw_note).ok().filter(Value::is_object),
    };
    let mut it = match &json_body {
        Some(body) => {
            let mut it = content::item(kind, row.text(c.name), body, NAME);
            it.notes = sup::s(body, "note").trim_end().to_string();
            it
        }
        None => {
            let kind = if kind == "login" { "login" } else { "note" };
            let mut it = content::item(kind, row.text(c.name), &Value::Null, NAME);
            it.notes = raw_note.to_string();
            it
        }
    };
    it.folder = sup::folder_path([row.text(c.vault)], sup::Sep::Flat);
    it.created_at = row
        .text(c.created)
        .parse()
        .ok()
        .and_then(sup::rfc3339_epoch);
    it.updated_at = row
        .text(c.modified)
        .parse()
        .ok()
        .and_then(sup::rfc3339_epoch);
    let (email, username) = (row.text(c.email), row.text(c.username));
    if kind == "alias" {
        sup::field(
            &mut it,
            "Alias email",
            if email.is_empty() { username } else { email },
            false,
        );
        return it;
    }
    if it.item_type != "login" {
        return it;
    }
    for u in row.text(c.url).split(", ") {
        sup::url(&mut it, u);
    }
    it.email = email.to_string();
    it.username = username.to_string();
    // Before the email column existed, `username` usually held the email.
    if c.email.is_none() && username.contains('@') {
        it.email = std::mem::take(&mut it.username);
    }
    it.password = row.get(c.password).to_string();
    it.totp = row.text(c.totp).to_string();
    it
}
