//! Chrome and Chromium-based browsers (Edge, Brave, Opera, Vivaldi):
//! `name,url,username,password,note` — older versions have no `note`
//! column (some write `notes`). `name` is usually the site's host; Android
//! app logins keep their `android://…` URL.

use super::read::{header, Shape, Sink};
use super::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&ChromeCsv];

/// Chrome's password CSV.
pub struct ChromeCsv;

const REQUIRED: [&str; 4] = ["name", "url", "username", "password"];

impl Importer for ChromeCsv {
    fn name(&self) -> &'static str {
        "chrome-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match header(input) {
            Some(h) if h.is(&REQUIRED, &["note", "notes"]) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let t = out.read_table(input, Shape::Rectangular, &REQUIRED, "Chrome CSV")?;
        let col = |n: &[&str]| t.col(n);
        let (name, url, user, pass, note) = (
            col(&["name"]),
            col(&["url"]),
            col(&["username"]),
            col(&["password"]),
            col(&["note", "notes"]),
        );
        out.push_rows(&t, |row| {
            let (title, url) = android(row.get(name), row.get(url));
            Ok(Item {
                item_type: "login".into(),
                title,
                urls: vec![url],
                username: row.get(user).into(),
                password: row.get(pass).into(),
                notes: row.get(note).into(),
                source: "chrome-csv".into(),
                ..Default::default()
            })
        })?;
        Ok(out.finish())
    }
}

/// Android app logins: Chrome writes `android://<hash>@<package>/` as both
/// name and URL; they become `androidapp://<package>` named by the package.
fn android(name: &str, url: &str) -> (String, String) {
    let package = url
        .trim()
        .strip_prefix("android://")
        .map(|rest| {
            rest.rsplit('@')
                .next()
                .unwrap_or(rest)
                .trim_end_matches('/')
        })
        .filter(|p| !p.is_empty());
    match package {
        Some(p) => {
            let title = if name.trim().is_empty() || name.trim().starts_with("android://") {
                p.to_string()
            } else {
                name.to_string()
            };
            (title, format!("androidapp://{p}"))
        }
        None => (name.to_string(), url.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_and_without_note() {
        let p = ChromeCsv
            .parse(
                &Input {
                    name: "c.csv",
                    bytes: b"name,url,username,password,note\r\nx.com,https://x.com,u,\"p,\"\"q\",\"a\r\nb\"\r\n",
                },
                false,
            )
            .unwrap();
        assert_eq!(p.items[0].password, "p,\"q");
        assert_eq!(p.items[0].notes, "a\r\nb");
        let old = Input {
            name: "c.csv",
            bytes: b"name,url,username,password\nx,https://x,u,p",
        };
        assert_eq!(ChromeCsv.detect(&old), Confidence::Yes);
        assert_eq!(
            android(
                "android://AbC@com.example.app/",
                "android://AbC@com.example.app/"
            ),
            (
                "com.example.app".to_string(),
                "androidapp://com.example.app".to_string()
            )
        );
        let other = Input {
            name: "c.csv",
            bytes: b"name,url,username,password,extra\nx,y,z,w,v",
        };
        assert_eq!(ChromeCsv.detect(&other), Confidence::No);
    }
}
