//! Keeper: CSV (`keeper-csv`) and JSON (`keeper-json`) exports.
//!
//! Both describe the same records: title, login, password, website, notes,
//! folders and custom fields; typed (v3) records add a `$type` (login,
//! bankCard, sshKeys, databaseCredentials, wifiCredentials, passport, …)
//! and typed fields (`$oneTimeCode`, `$paymentCard`, `$keyPair`, `$host`,
//! `$name`, …). Each reader builds [`record::Record`]s; `record` and
//! `fields` map them onto items.
//!
//! Decisions:
//! * Folder paths use `\` between levels and `\\` for a backslash in a
//!   name; a shared folder is the first levels of the path.
//! * A record filed in several folders goes in the first; the others are
//!   kept as "Also in Keeper folder" fields (an item has one folder).
//! * Keeper types with no FIELD_SPEC type (serverCredentials, bankAccount,
//!   membership, healthInsurance, …) become a login when they hold a login,
//!   password, URL or TOTP, else a note; their other data become fields.
//! * Identity documents (passport, driverLicense, ssnCard, birthCertificate,
//!   contact, address) become identities; document numbers go to the
//!   identity's passport / licence / SSN.

mod csv;
mod fields;
mod json;
mod record;
mod values;

use super::{Confidence, ImportError, Importer, Input, Parsed};
use crate::import::read as sup;

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&KeeperCsv, &KeeperJson];

/// Keeper's CSV export (no header line).
pub struct KeeperCsv;

/// Keeper's JSON export.
pub struct KeeperJson;

impl Importer for KeeperCsv {
    fn name(&self) -> &'static str {
        csv::NAME
    }

    /// The file has no header, so only Keeper-only pair keys (`$record_uid`,
    /// `$type`, `TFC:Keeper`) or a header naming its columns make it certain;
    /// rows of seven or more cells whose first row is no header are
    /// plausible.
    fn detect(&self, input: &Input<'_>) -> Confidence {
        if sup::is_zip(input.bytes) || input.name.to_ascii_lowercase().ends_with(".json") {
            return Confidence::No;
        }
        let Some(first) = sup::first_row(input) else {
            return Confidence::No;
        };
        if csv::is_header(&first) || csv::has_keeper_keys(&first) {
            return Confidence::Yes;
        }
        let header_words = [
            "name", "url", "username", "password", "title", "type", "login", "notes", "email",
        ];
        let looks_like_header = first
            .iter()
            .any(|c| header_words.contains(&sup::norm(c).as_str()));
        if first.len() >= 7
            && !looks_like_header
            && input.name.to_ascii_lowercase().ends_with(".csv")
        {
            Confidence::Maybe
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        csv::parse(input, skip_invalid)
    }
}

impl Importer for KeeperJson {
    fn name(&self) -> &'static str {
        json::NAME
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let head = sup::head(input);
        let start = head.trim_start();
        if !(start.starts_with('{') || start.starts_with('[')) {
            return Confidence::No;
        }
        // Cheap text checks first; a full parse only for likely files.
        if !(head.contains("\"records\"")
            || head.contains("\"login_url\"")
            || head.contains("\"$type\""))
        {
            return Confidence::No;
        }
        match sup::json_of(input) {
            Some(root) if json::looks_like(&root) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        json::parse(input, skip_invalid)
    }
}

/// Splits a Keeper folder path: `\` separates levels, `\\` is a literal
/// backslash inside a name.
fn split_path(path: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'\\') => {
                chars.next();
                parts.last_mut().expect("parts starts non-empty").push('\\');
            }
            '\\' => parts.push(String::new()),
            c => parts.last_mut().expect("parts starts non-empty").push(c),
        }
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_on_single_backslashes() {
        assert_eq!(
            split_path(r"Development\Name/with\\both/slashes\Android"),
            ["Development", r"Name/with\both/slashes", "Android"]
        );
        assert_eq!(
            split_path(r"Name\\with\\backslashes"),
            [r"Name\with\backslashes"]
        );
        assert_eq!(split_path(""), Vec::<String>::new());
        assert_eq!(split_path(r"a\\\b"), [r"a\", "b"]);
    }
}
