//! Proton Pass: the JSON export (`protonpass-json`), the same JSON inside
//! the export ZIP as `Proton Pass/data.json` (`protonpass-zip`), and the
//! CSV export (`protonpass-csv`).
//!
//! Decisions:
//! * Proton Pass has vaults, not folders: the vault name becomes the
//!   folder (so "Personal" items land in a "Personal" folder).
//! * Trashed items (`state` 2) are skipped ("in trash"); `pinned` is the
//!   favourite flag.
//! * Aliases are kept as notes with an "Alias email" field: the address
//!   is the user's, even though only Proton can forward mail to it.
//! * Custom items and types this code does not know become notes with
//!   every field kept; passkeys are kept whole as hidden fields.
//! * Encrypted exports (`"encrypted": true`, a PGP file or a ZIP holding
//!   `data.pgp`) are refused with a message saying how to export
//!   unencrypted.
//! * Proton Pass itself dedupes on title + username + URL; this importer
//!   returns every item and leaves duplicates to the import pipeline.

mod content;
mod csv;
mod json;

use super::{Confidence, ImportError, Importer, Input, Parsed};
use crate::import::read as sup;

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&ProtonPassJson, &ProtonPassZip, &ProtonPassCsv];

/// The JSON export.
pub struct ProtonPassJson;

/// The export ZIP.
pub struct ProtonPassZip;

/// The CSV export.
pub struct ProtonPassCsv;

/// Where the export ZIP keeps its data.
const DATA_JSON: &str = "Proton Pass/data.json";

fn is_pgp(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.trim_ascii_start()
        .starts_with(b"-----BEGIN PGP MESSAGE-----")
}

impl Importer for ProtonPassJson {
    fn name(&self) -> &'static str {
        "protonpass-json"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let head = sup::head(input);
        if !head.trim_start().starts_with('{') || !head.contains("\"vaults\"") {
            return Confidence::No;
        }
        match sup::json_of(input) {
            Some(root) if json::looks_like(&root) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        if is_pgp(input.bytes) {
            return Err(sup::file_error(input.name, json::ENCRYPTED));
        }
        let text = sup::text(input)?;
        json::parse_text(input, &text, self.name(), skip_invalid)
    }
}

impl Importer for ProtonPassZip {
    fn name(&self) -> &'static str {
        "protonpass-zip"
    }

    /// A ZIP with `Proton Pass/data.json` (or `data.pgp`); an armored PGP
    /// message is plausibly an encrypted Proton Pass export.
    fn detect(&self, input: &Input<'_>) -> Confidence {
        if is_pgp(input.bytes) {
            let name = input.name.to_ascii_lowercase();
            return if name.contains("proton") {
                Confidence::Yes
            } else {
                Confidence::Maybe
            };
        }
        if !sup::is_zip(input.bytes) {
            return Confidence::No;
        }
        let Ok(zip) = sup::Zip::open(input.name, input.bytes) else {
            return Confidence::No;
        };
        let ours = zip
            .names()
            .iter()
            .any(|n| n == DATA_JSON || (n.starts_with("Proton Pass/") && n.ends_with(".pgp")));
        if ours {
            Confidence::Yes
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        if is_pgp(input.bytes) {
            return Err(sup::file_error(input.name, json::ENCRYPTED));
        }
        let mut zip = sup::Zip::open(input.name, input.bytes)?;
        let names = zip.names();
        let member = names.iter().find(|n| *n == DATA_JSON).or_else(|| {
            names
                .iter()
                .find(|n| n.ends_with("/data.json") || *n == "data.json")
        });
        let Some(member) = member.cloned() else {
            if names.iter().any(|n| n.ends_with(".pgp")) {
                return Err(sup::file_error(input.name, json::ENCRYPTED));
            }
            return Err(sup::file_error(
                input.name,
                format!("expected `{DATA_JSON}` in the ZIP; is this a Proton Pass export?"),
            ));
        };
        let bytes = zip.read(&member)?;
        let inner = Input {
            name: input.name,
            bytes: &bytes,
        };
        let text = sup::text(&inner)?;
        json::parse_text(input, &text, self.name(), skip_invalid)
    }
}

impl Importer for ProtonPassCsv {
    fn name(&self) -> &'static str {
        csv::NAME
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        match sup::header(input) {
            Some(h) if csv::is_header(&h) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        csv::parse(input, skip_invalid)
    }
}
