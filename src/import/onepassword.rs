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

use super::Importer;

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&pux::Pux, &pif::Pif, &csv::Csv];
