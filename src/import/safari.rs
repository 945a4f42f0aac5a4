//! Safari, iCloud Keychain and the macOS Passwords app:
//! `Title,URL,Username,Password,Notes,OTPAuth`; older Safari versions
//! write `Title,Url,Username,Password`. `OTPAuth` holds an `otpauth://`
//! URI.

use super::read::{header, Shape, Sink};
use super::{Confidence, ImportError, Importer, Input, Item, Parsed};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&SafariCsv];

/// Safari's password CSV.
pub struct SafariCsv;

const REQUIRED: [&str; 4] = ["title", "url", "username", "password"];

impl Importer for SafariCsv {
    fn name(&self) -> &'static str {
        "safari-csv"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match header(input) {
            Some(h) if h.is(&REQUIRED, &["notes", "otpauth"]) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let mut out = Sink::new(input.name, skip_invalid);
        let t = out.read_table(input, Shape::Rectangular, &REQUIRED, "Safari CSV")?;
        let (title, url, user, pass, notes, otp) = (
            t.col(&["title"]),
            t.col(&["url"]),
            t.col(&["username"]),
            t.col(&["password"]),
            t.col(&["notes"]),
            t.col(&["otpauth"]),
        );
        out.push_rows(&t, |row| {
            Ok(Item {
                item_type: "login".into(),
                title: row.get(title).into(),
                urls: vec![row.get(url).to_string()],
                username: row.get(user).into(),
                password: row.get(pass).into(),
                notes: row.get(notes).into(),
                totp: row.get(otp).into(),
                source: "safari-csv".into(),
                ..Default::default()
            })
        })?;
        Ok(out.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_and_old_headers() {
        let new = Input {
            name: "s.csv",
            bytes: b"\xEF\xBB\xBFTitle,URL,Username,Password,Notes,OTPAuth\nA,https://a.com,u,p,\"n\nm\",otpauth://totp/a?secret=JBSWY3DPEHPK3PXP",
        };
        assert_eq!(SafariCsv.detect(&new), Confidence::Yes);
        let p = SafariCsv.parse(&new, false).unwrap();
        assert_eq!(p.items[0].notes, "n\nm");
        assert!(p.items[0].totp.starts_with("otpauth://"));
        let old = Input {
            name: "s.csv",
            bytes: b"Title,Url,Username,Password\nA,https://a.com,u,p",
        };
        assert_eq!(SafariCsv.parse(&old, false).unwrap().items[0].username, "u");
    }
}
