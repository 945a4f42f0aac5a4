//! 1Password: 1PUX (1Password 8), 1PIF (1Password 4–7) and CSV (Mac,
//! Windows and 1Password 8 column sets). The formats share one field model
//! (`fields.rs`): a field's 1Password key decides where it lands.

mod category;
mod csv;
mod fields;
mod json;
mod pif;
mod pux;
mod rules;

// Shared by every importer of this branch; see the module's doc comment.
#[path = "support/mod.rs"]
pub(crate) mod support;

use super::Importer;

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&pux::Pux, &pif::Pif, &csv::Csv];
