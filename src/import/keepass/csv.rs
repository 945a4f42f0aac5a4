//! KeePass's own CSV export, "KeePass CSV (1.x)": what KeePass 1.x writes
//! and KeePass 2.x still offers (File → Export → KeePass CSV (1.x)).
//!
//! Header (KeePass 2, and KeePass 1.x with its default field selection):
//! `"Account","Login Name","Password","Web Site","Comments"`. KeePass 1.x
//! can add `Group` or `Group Tree` (levels joined by `\`), `UUID`, `Icon`,
//! `Creation Time`, `Last Access`, `Last Modification`, `Expires`,
//! `Attachment Description` and `Attachment`. Every value is quoted, with
//! `"` and `\` escaped by a backslash (`\"`, `\\`). Files from Windows
//! KeePass 1.x are often in the ANSI code page (read as Windows-1252).
//!
//! Decisions: `Group Tree` (or else `Group`) is the folder; KeePass 1.x's
//! internal `Meta-Info` entries (user `SYSTEM`, URL `$`) are skipped and
//! reported; a `Last Modification` or `Creation Time` is kept when it
//! parses; other optional columns are kept as custom fields.

use crate::import::read::{
    field, folder_path, header, iso_rfc3339, text as decode, Row, Sep, Shape, Sink, Table,
};
use crate::import::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The `keepass-csv` importer.
pub(super) struct KeePassCsv;

const NAME: &str = "keepass-csv";

/// The columns every KeePass CSV (1.x) has.
const REQUIRED: [&str; 5] = ["account", "login name", "password", "web site", "comments"];

/// Optional KeePass 1.x columns kept as custom fields (label, hidden).
const EXTRA: [(&str, bool); 4] = [
    ("uuid", false),
    ("expires", false),
    ("last access", false),
    ("attachment description", false),
];

/// What KeePass 1.x stores its settings in (not entries).
const META: &str = "KeePass's internal settings entry (Meta-Info), not a password";

impl Importer for KeePassCsv {
    fn name(&self) -> &'static str {
        NAME
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match header(input) {
            Some(h) if h.has_all(&REQUIRED) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let text = decode(input)?;
        let mut table = Table::parse_escaped(input.name, &text, Shape::Rectangular)?;
        if let Err(missing) = table.require(&["account", "login name", "password"]) {
            return Err(ImportError::Record {
                file: input.name.to_string(),
                record: "line 1".into(),
                message: format!("expected a KeePass CSV header \"Account\",\"Login Name\",\"Password\",\"Web Site\",\"Comments\"; `{missing}` is missing"),
            });
        }
        out.push_rows(&table, |row| item(&table, row).ok_or(META))?;
        Ok(out.finish())
    }
}

/// One row; `None` for a Meta-Info entry.
fn item(t: &Table, row: &Row) -> Option<Item> {
    let get = |n: &str| row.get(t.col(&[n]));
    let (title, user, url) = (get("account"), get("login name"), get("web site"));
    if title == "Meta-Info" && user == "SYSTEM" && url == "$" {
        return None;
    }
    let folder = match t.col(&["group tree"]) {
        Some(c) if !row.text(Some(c)).is_empty() => folder_path([row.get(Some(c))], Sep::Backslash),
        _ => folder_path([get("group")], Sep::Flat),
    };
    let created = iso_rfc3339(get("creation time"));
    let mut item = Item {
        item_type: "login".into(),
        title: title.to_string(),
        folder,
        urls: vec![url.trim().to_string()],
        username: user.to_string(),
        password: get("password").to_string(),
        notes: get("comments").to_string(),
        updated_at: iso_rfc3339(get("last modification")).or(created.clone()),
        created_at: created,
        source: NAME.into(),
        ..Default::default()
    };
    for (col, hidden) in EXTRA {
        if let Some(i) = t.col(&[col]) {
            field(&mut item, t.header.raw(i), row.get(Some(i)), hidden);
        }
    }
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Parsed {
        KeePassCsv
            .parse(
                &Input {
                    name: "k.csv",
                    bytes: text,
                },
                false,
            )
            .unwrap()
    }

    #[test]
    fn keepass2_export_with_backslash_escapes() {
        let p = parse(
            b"\"Account\",\"Login Name\",\"Password\",\"Web Site\",\"Comments\"\r\n\
              \"Mail\",\"ada\",\"p\\\"w\\\\d\",\"https://mail.example\",\"two\r\nlines\"\r\n",
        );
        let i = &p.items[0];
        assert_eq!(i.password, "p\"w\\d");
        assert_eq!(i.notes, "two\r\nlines");
        assert_eq!(i.urls, ["https://mail.example"]);
    }

    #[test]
    fn keepass1_group_tree_meta_and_ansi() {
        let p = parse(
            b"\"Group\",\"Group Tree\",\"Account\",\"Login Name\",\"Password\",\"Web Site\",\"Comments\",\"Creation Time\"\n\
              \"Sub\",\"Internet\\\\Sub\",\"B\xe4cker\",\"u\",\"p\",\"\",\"\",\"2019-05-01T10:00:00\"\n\
              \"General\",\"\",\"Meta-Info\",\"SYSTEM\",\"\",\"$\",\"bin\",\"\"\n",
        );
        assert_eq!(p.items.len(), 1);
        let i = &p.items[0];
        assert_eq!(
            (i.title.as_str(), i.folder.as_str()),
            ("Bäcker", "Internet/Sub")
        );
        assert_eq!(i.created_at.as_deref(), Some("2019-05-01T10:00:00Z"));
        assert_eq!(p.skipped, [("line 3".to_string(), META.to_string())]);
        let detected = KeePassCsv.detect(&Input {
            name: "x.csv",
            bytes: b"\"Account\",\"Login Name\",\"Password\",\"Web Site\",\"Comments\"\n",
        });
        assert_eq!(detected, Confidence::Yes);
    }
}
