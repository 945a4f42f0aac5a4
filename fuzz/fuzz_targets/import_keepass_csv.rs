//! The `keepass-csv` importer on arbitrary bytes (see `clavitor_fuzz::import_one`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clavitor_fuzz::import_one("keepass-csv", "export.csv", data);
});
