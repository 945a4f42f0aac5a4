//! Bitwarden CSV exports. Personal:
//! `folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp`;
//! organization: `collections,type,name,notes,fields,reprompt,login_uri,…`
//! (older versions lack `reprompt`; newer columns are ignored). Only logins
//! and secure notes are in Bitwarden CSVs. `fields` holds one `name: value`
//! per line (a line without `: ` continues the previous value);
//! `login_uri` and `collections` are comma-separated (the first collection
//! becomes the folder).

use super::read::{header, Row, Shape, Sink, Table};
use super::{Confidence, CustomField, ImportError, Importer, Input, Item, Parsed};

/// Bitwarden's CSV export (personal and organization).
pub struct BitwardenCsv;

const REQUIRED: [&str; 5] = [
    "type",
    "name",
    "login_uri",
    "login_username",
    "login_password",
];

impl Importer for BitwardenCsv {
    fn name(&self) -> &'static str {
        "bitwarden-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match header(input) {
            Some(h) if h.has_all(&REQUIRED) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let t = out.read_table(input, Shape::Rectangular, &REQUIRED, "Bitwarden CSV")?;
        out.push_rows(&t, |row| Ok(to_item(&t, row)))?;
        Ok(out.finish())
    }
}

fn to_item(t: &Table, row: &Row) -> Item {
    let get = |names: &[&str]| row.get(t.col(names)).to_string();
    let folder = match t.col(&["folder"]) {
        Some(c) => row.get(Some(c)).to_string(),
        None => get(&["collections"])
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
    };
    let kind = get(&["type"]).trim().to_ascii_lowercase();
    let favorite = matches!(get(&["favorite"]).trim(), "1" | "true" | "TRUE" | "True");
    Item {
        item_type: if kind == "note" { "note" } else { "login" }.into(),
        title: get(&["name"]),
        folder,
        urls: get(&["login_uri"])
            .split(',')
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect(),
        username: get(&["login_username"]),
        password: get(&["login_password"]),
        totp: get(&["login_totp"]),
        notes: get(&["notes"]),
        favorite,
        fields: fields(&get(&["fields"])),
        source: "bitwarden-csv".into(),
        ..Default::default()
    }
}

/// `name: value` lines; continuation lines extend the previous value.
fn fields(raw: &str) -> Vec<CustomField> {
    let mut out: Vec<CustomField> = Vec::new();
    for line in raw.lines() {
        match (line.split_once(": "), out.last_mut()) {
            (Some((label, value)), _) => out.push(CustomField {
                label: label.trim().into(),
                value: value.into(),
                hidden: false,
            }),
            (None, Some(prev)) => {
                prev.value.push('\n');
                prev.value.push_str(line);
            }
            (None, None) if !line.trim().is_empty() => out.push(CustomField {
                label: line.trim_end_matches(':').trim().into(),
                value: String::new(),
                hidden: false,
            }),
            (None, None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Parsed, ImportError> {
        BitwardenCsv.parse(
            &Input {
                name: "bw.csv",
                bytes: text.as_bytes(),
            },
            false,
        )
    }

    #[test]
    fn personal_and_organization_rows() {
        let p = parse(
            "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
             Work/Dev,1,login,GitHub,\"two\nlines\",\"a: 1\nb: x\ny\",0,\"https://github.com,https://gist.github.com\",alice,pw,JBSWY3DPEHPK3PXP\n\
             ,,note,Wifi,psk,,0,,,,\n",
        )
        .unwrap();
        let gh = &p.items[0];
        assert_eq!(
            (gh.folder.as_str(), gh.favorite, gh.urls.len()),
            ("Work/Dev", true, 2)
        );
        assert_eq!(gh.fields[1].value, "x\ny");
        assert_eq!(gh.notes, "two\nlines");
        assert_eq!(p.items[1].item_type, "note");
        let org = parse(
            "collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
             \"Eng,Ops\",login,AWS,,,0,https://aws.amazon.com,root,pw,\n",
        )
        .unwrap();
        assert_eq!(org.items[0].folder, "Eng");
    }

    #[test]
    fn ragged_rows_fail_or_are_skipped() {
        let text = "type,name,login_uri,login_username,login_password\nlogin,A,u,n\n";
        let e = parse(text).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let p = BitwardenCsv
            .parse(
                &Input {
                    name: "bw.csv",
                    bytes: text.as_bytes(),
                },
                true,
            )
            .unwrap();
        assert_eq!((p.items.len(), p.skipped.len()), (0, 1));
    }
}
