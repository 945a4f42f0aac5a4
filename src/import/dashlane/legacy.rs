//! Dashlane's older CSV export ("File → Export → Unsecured archive
//! (readable) in CSV format" of the Dashlane 4–6 desktop apps): one file,
//! no header row, every value quoted, a credential a row as
//! `"title","website","login","password","note"`. Recognised by that
//! shape, since there is no header to recognise.
//!
//! Decisions: rows of any other width (secure notes and wallet items that
//! some versions put in the same file, with their own columns) are not
//! guessed at: they are reported as invalid records (skipped with
//! `--skip-invalid`), naming the line.

use crate::import::read::{first_row, norm, rows, text as decode, Row, Sink};
use crate::import::{ImportError, Input, Item, Parsed};

/// The columns of a credential row, in order.
const WIDTH: usize = 5;

/// Words a header row would have; a legacy file has data in its first row.
const HEADER_WORDS: [&str; 10] = [
    "title", "name", "url", "website", "login", "username", "password", "note", "type", "email",
];

/// Whether the file looks like the headerless export: a first record of
/// five fields that is not a header, whose website field is empty or
/// looks like a site.
pub(super) fn looks_like(input: &Input<'_>) -> bool {
    let Some(first) = first_row(input) else {
        return false;
    };
    let header = first
        .iter()
        .any(|c| HEADER_WORDS.contains(&norm(c).as_str()));
    let site = &first.get(1).map(String::as_str).unwrap_or_default();
    let site_like = site.is_empty() || (site.contains('.') && !site.contains(char::is_whitespace));
    first.len() == WIDTH && !header && site_like
}

/// Parses a headerless file.
pub(super) fn parse(
    input: &Input<'_>,
    source: &str,
    skip_invalid: bool,
) -> Result<Parsed, ImportError> {
    let text = decode(input)?;
    let mut out = Sink::new(input.name, skip_invalid);
    for row in rows(input.name, &text)? {
        if row.fields.len() != WIDTH {
            out.invalid(
                row.record(),
                format!(
                    "has {} fields, expected {WIDTH} (\"title\",\"website\",\"login\",\"password\",\"note\")",
                    row.fields.len()
                ),
            )?;
            continue;
        }
        let item = credential(&row, source);
        out.push_record(|| row.record(), item);
    }
    Ok(out.finish())
}

fn credential(row: &Row, source: &str) -> Item {
    let f = |i: usize| row.get(Some(i));
    Item {
        item_type: "login".into(),
        title: f(0).trim().to_string(),
        urls: vec![f(1).trim().to_string()],
        username: f(2).to_string(),
        password: f(3).to_string(),
        notes: f(4).to_string(),
        source: source.into(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(b: &[u8]) -> Input<'_> {
        Input {
            name: "dashlane.csv",
            bytes: b,
        }
    }

    #[test]
    fn shape_detection_and_rows() {
        let text = b"\"GitHub\",\"github.com\",\"octo\",\"pw,1\",\"two\nlines\"\n\"Bank\",\"\",\"me\",\"pw\",\"\"\n\"odd\",\"row\"\n";
        assert!(looks_like(&input(text)));
        assert!(!looks_like(&input(b"title,url,login,password,note\n")));
        assert!(!looks_like(&input(b"a,b c,d,e,f\n")));
        let p = parse(&input(text), "dashlane-csv", true).unwrap();
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].password, "pw,1");
        assert_eq!(p.skipped[0].0, "line 4");
        assert!(parse(&input(text), "dashlane-csv", false).is_err());
    }
}
