//! The `1password-1pux` importer on arbitrary bytes (see `clavitor_fuzz::import_one`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clavitor_fuzz::import_one("1password-1pux", "export.1pux", data);
});
