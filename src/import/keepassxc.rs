//! Importer(s) for this manager's export formats.

use super::Importer;

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[];
