//! Every importer in `clavitor::import::importers()` (detect, then parse
//! with and without `skip_invalid`) on the same bytes: foreign export files
//! are untrusted input. New importers are covered as they are registered.
#![no_main]

use clavitor::import::{importers, Input};
use libfuzzer_sys::fuzz_target;

/// File names steer detection by extension; the first byte picks one.
const NAMES: &[&str] = &[
    "export.csv",
    "export.json",
    "export.xml",
    "export.zip",
    "export.1pux",
    "export.1pif",
    "export.txt",
    "export",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let input = Input {
        name: NAMES[pick as usize % NAMES.len()],
        bytes,
    };
    for importer in importers() {
        clavitor_fuzz::detect_and_parse(importer, &input);
    }
});
