//! 1Password CSV exports, three dialects told apart by the header:
//!
//! * **Mac (1Password 7)**: `Title`, `Type`, `Username`, `Password`, `URL`,
//!   `Notes`, `Tags`, `Created Date`… plus one `label(key)` column per field
//!   key of every category (`number(ccnum)`). Quotes inside fields are
//!   escaped with a backslash (`\"`), not doubled, so the reader is
//!   configured with `\` as its escape character for this dialect only.
//! * **Windows (1Password 7)**: `UUID`, `TITLE`, `SCOPE`, `AUTOSUBMIT`…
//!   plus per-section columns `SECTION n: <id>` (the section's title) and
//!   `<id> n: <LABEL>` / `n: <LABEL>` (a field). There is no type column:
//!   the category is inferred from which fields are filled.
//! * **1Password 8** and hand-picked columns: `Title`, `Url`, `Username`,
//!   `Password`, `OTPAuth`, `Favorite`, `Archived`, `Tags`, `Notes`
//!   (optionally `Type`/`Category`).
//!
//! Archived rows are imported (see `pux.rs`); Mac `Tags` are a property
//! list (`{( "a", "b" )}`) and become a `tags` custom field.

use std::collections::HashMap;

use super::category::Category;
use super::fields::{apply, Field, Value};
use crate::import::read::{
    add_field, header_names, looks_secret, rfc3339_epoch, text as decode, url as add_url, Row,
    Shape, Sink, Table,
};
use crate::import::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The `1password-csv` importer.
pub(crate) struct Csv;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dialect {
    Mac,
    Windows,
    Plain,
}

fn dialect(headers: &[String]) -> Option<Dialect> {
    let has = |n: &str| headers.iter().any(|h| h == n);
    let keyed = headers.iter().filter(|h| key_column(h).is_some()).count();
    if has("title") && has("type") && keyed >= 5 {
        Some(Dialect::Mac)
    } else if has("uuid") && has("title") && has("scope") && has("autosubmit") {
        Some(Dialect::Windows)
    } else if has("title") && (has("password") || has("username") || has("notes")) {
        Some(Dialect::Plain)
    } else {
        None
    }
}

/// Splits a Mac `label(key)` column into (label, key).
fn key_column(header: &str) -> Option<(&str, &str)> {
    let inner = header.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let (label, key) = (inner[..open].trim(), &inner[open + 1..]);
    let plain_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain_key && !label.is_empty()).then_some((label, key))
}

impl Importer for Csv {
    fn name(&self) -> &'static str {
        "1password-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let headers = header_names(input);
        let has = |n: &str| headers.iter().any(|h| h == n);
        match dialect(&headers) {
            Some(Dialect::Mac | Dialect::Windows) => Confidence::Yes,
            // 1Password 8's own column set; Safari's lacks Favorite/Archived.
            Some(Dialect::Plain) if has("otpauth") && has("favorite") && has("archived") => {
                Confidence::Yes
            }
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let text = decode(input)?;
        let table = Table::parse(input.name, &text, Shape::Rectangular)?;
        let headers = table.header.lower();
        let dialect = dialect(&headers).ok_or_else(|| ImportError::Record {
            file: input.name.to_string(),
            record: "line 1".into(),
            message: "expected a 1Password CSV header (Title with Username, Password or Notes)"
                .into(),
        })?;
        let mut out = Sink::new(input.name, skip_invalid);
        let table = if dialect == Dialect::Mac {
            Table::parse_escaped(input.name, &text, Shape::Rectangular)?
        } else {
            table
        };
        let table = out.checked(table)?;
        for row in &table.rows {
            let item = match dialect {
                Dialect::Windows => windows_row(&table, row),
                _ => keyed_row(&table, row),
            };
            out.push(item);
        }
        Ok(out.finish())
    }
}

fn base(table: &Table, row: &Row, category: Category) -> Item {
    let get = |names: &[&str]| row.get(table.col(names)).to_string();
    let flag = |names: &[&str]| {
        matches!(
            get(names).trim().to_ascii_lowercase().as_str(),
            "true" | "1" | "yes"
        )
    };
    let mut item = Item {
        item_type: category.item_type().into(),
        title: get(&["title", "name"]),
        username: get(&["username"]),
        email: get(&["email"]),
        password: get(&["password"]),
        notes: get(&["notes", "notesplain", "note"]),
        favorite: flag(&["favorite", "favourite"]),
        created_at: get(&["created date", "createdat"])
            .trim()
            .parse()
            .ok()
            .and_then(rfc3339_epoch),
        updated_at: get(&["modified date", "updatedat"])
            .trim()
            .parse()
            .ok()
            .and_then(rfc3339_epoch),
        source: "1password-csv".into(),
        ..Default::default()
    };
    let totp = get(&["otpauth", "otp", "one-time password", "totp"]);
    item.totp = totp;
    for url in get(&["url", "urls", "website", "location"]).lines() {
        add_url(&mut item, url);
    }
    if let Some(i) = table.col(&["urls"]) {
        for url in row.get(Some(i)).lines() {
            add_url(&mut item, url);
        }
    }
    add_field(&mut item, "tags", &tags(&get(&["tags"])), false);
    item
}

/// Mac and plain dialects: known columns, then every `label(key)` column.
fn keyed_row(table: &Table, row: &Row) -> Item {
    let type_col = table.col(&["type", "category"]);
    let filled = |names: &[&str]| !row.get(table.col(names)).trim().is_empty();
    let category = match row.get(type_col).trim() {
        // 1Password 8 has no type column: a row without credentials is a note.
        "" if !filled(&["username"])
            && !filled(&["password"])
            && !filled(&["url", "urls"])
            && !filled(&["otpauth", "otp"]) =>
        {
            Category::SecureNote
        }
        "" => Category::Login,
        name => Category::from_display(name),
    };
    let mut item = base(table, row, category);
    let mut fields = Vec::new();
    for (i, header) in table.header.names().iter().enumerate() {
        let Some((label, key)) = key_column(header) else {
            continue;
        };
        let value = row.get(Some(i));
        if value.trim().is_empty() {
            continue;
        }
        let mut f = field("", key, label, value);
        if category == Category::CreditCard && key == "type" {
            f.value = Value::Text(super::fields::card_brand(value));
        }
        fields.push(f);
    }
    apply(category, &mut item, fields);
    item
}

/// A text field, concealed when its label names a secret (the CSV does not
/// say which fields 1Password concealed).
fn field(section: &str, id: &str, label: &str, value: &str) -> Field {
    let value = if looks_secret(label) {
        Value::Concealed(value.to_string())
    } else if label.eq_ignore_ascii_case("expiry date")
        || label.eq_ignore_ascii_case("expiration date")
    {
        Value::Text(super::fields::month_year(value))
    } else {
        Value::Text(value.to_string())
    };
    Field {
        section: section.to_string(),
        id: id.to_string(),
        label: label.to_string(),
        value,
    }
}

/// Windows dialect: `n: LABEL` and `<section> n: LABEL` columns.
fn windows_row(table: &Table, row: &Row) -> Item {
    // `SECTION n: <id>` columns hold the title of section <id>.
    let titles: HashMap<&str, &str> = table
        .header
        .names()
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let id = h.strip_prefix("SECTION ")?.split_once(": ")?.1;
            Some((id, row.get(Some(i))))
        })
        .collect();
    let mut fields = Vec::new();
    for (i, header) in table.header.names().iter().enumerate() {
        let value = row.get(Some(i));
        if value.trim().is_empty() {
            continue;
        }
        let Some((prefix, rest)) = header.split_once(": ") else {
            continue;
        };
        let mut words = prefix.rsplitn(2, ' ');
        let number = words.next().unwrap_or("");
        let section = words.next().unwrap_or("");
        if section.eq_ignore_ascii_case("SECTION") || number.parse::<u32>().is_err() {
            continue; // a section title column, or not a field column
        }
        let title = titles.get(section).copied().unwrap_or("");
        fields.push(field(title, "", &rest.to_lowercase(), value));
    }
    let has = |label: &str| fields.iter().any(|f| f.label == label);
    let category = if has("cardholder name")
        || has("verification number")
        || has("expiry date") && has("number")
    {
        Category::CreditCard
    } else if has("first name") || has("last name") {
        Category::Identity
    } else if ["username", "password", "url"]
        .iter()
        .any(|c| !row.get(table.col(&[c])).trim().is_empty())
    {
        Category::Login
    } else {
        Category::SecureNote
    };
    let mut item = base(table, row, category);
    if let Some(i) = table.col(&["account-key"]) {
        add_field(&mut item, "account key", row.get(Some(i)), true);
    }
    let master = row.get(table.col(&["master-password"]));
    if master != item.password {
        add_field(&mut item, "master password", master, true);
    }
    apply(category, &mut item, fields);
    item
}

/// Mac tags `{(\n "a",\n b\n)}` or a plain comma list → "a, b".
fn tags(raw: &str) -> String {
    let inner = raw.trim().trim_start_matches("{(").trim_end_matches(")}");
    inner
        .split([',', '\n'])
        .map(|t| t.trim().trim_matches('"').trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_key_columns_split() {
        assert_eq!(key_column("number(ccnum)"), Some(("number", "ccnum")));
        assert_eq!(
            key_column("member ID (additional)(additional_no)"),
            Some(("member ID (additional)", "additional_no"))
        );
        assert_eq!(key_column("Title"), None);
    }

    #[test]
    fn tags_parse_from_property_lists() {
        assert_eq!(tags("{(\n    \"Starter Kit\"\n)}"), "Starter Kit");
        assert_eq!(tags("{(\n)}"), "");
        assert_eq!(tags("a,b"), "a, b");
    }
}
