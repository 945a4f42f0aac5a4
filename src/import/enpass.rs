//! Enpass: JSON (`enpass-json`) and CSV (`enpass-csv`) exports.
//!
//! Decisions:
//! * The item type comes from the category (login, password, creditcard,
//!   note, identity, license) or, for finance/computer/misc templates, from
//!   the template name (wifi, database, crypto) and the field types; what
//!   has no FIELD_SPEC type is a login when it holds credentials, else a
//!   note, with its other fields kept as custom fields.
//! * Trashed items are skipped ("in trash"); archived items are imported
//!   (the user kept them).
//! * Enpass folders are tag-like: the first is the item's folder, others
//!   are kept as "Also in Enpass folder" fields.
//! * Deleted fields and section headings are ignored; sensitive fields
//!   are concealed.

mod csv;
mod fields;
mod json;

use super::{Confidence, ImportError, Importer, Input, Parsed};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&EnpassJson, &EnpassCsv];

/// Enpass's JSON export.
pub struct EnpassJson;

/// Enpass's CSV export.
pub struct EnpassCsv;

impl Importer for EnpassJson {
    fn name(&self) -> &'static str {
        json::NAME
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let head = crate::import::read::head(input);
        if !head.trim_start().starts_with('{') || !head.contains("\"items\"") {
            return Confidence::No;
        }
        match crate::import::read::json_of(input) {
            Some(root) if json::looks_like(&root) => Confidence::Yes,
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        json::parse(input, skip_invalid)
    }
}

impl Importer for EnpassCsv {
    fn name(&self) -> &'static str {
        csv::NAME
    }

    /// Certain only with Enpass's `Title,Field,Value` header; a first row
    /// of label/value pairs with login labels at odd positions is plausible.
    fn detect(&self, input: &Input<'_>) -> Confidence {
        if crate::import::read::is_zip(input.bytes) {
            return Confidence::No;
        }
        let Some(first) = crate::import::read::first_row(input) else {
            return Confidence::No;
        };
        if csv::is_header(&first) {
            return Confidence::Yes;
        }
        let labels = ["username", "password", "email", "url", "website"];
        let is_label = |c: &String| {
            labels.contains(&crate::import::read::norm(c.trim_start_matches('*')).as_str())
        };
        // Another manager's header has such names at every position;
        // Enpass has them only where labels go.
        let paired = first.iter().skip(1).step_by(2).any(is_label);
        let in_values = first.iter().skip(2).step_by(2).any(is_label);
        let titled = first.first().is_some_and(|t| {
            !["name", "title", "type", "url", "folder"]
                .contains(&crate::import::read::norm(t).as_str())
        });
        if paired && !in_values && titled && first.len() >= 3 {
            Confidence::Maybe
        } else {
            Confidence::No
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        csv::parse(input, skip_invalid)
    }
}
