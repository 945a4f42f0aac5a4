//! Every importer has its own fuzz target (issue 4: "fuzz every parser"),
//! declared in fuzz/Cargo.toml, so a new format cannot be registered
//! without one.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn every_registered_importer_has_a_fuzz_target() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    let mut fuzzed = BTreeSet::new();
    for entry in std::fs::read_dir(fuzz.join("fuzz_targets")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(rest) = text.split("import_one(\"").nth(1) else {
            continue;
        };
        let format = rest.split('"').next().unwrap().to_string();
        assert!(
            manifest.contains(&format!("name = \"{stem}\"")),
            "fuzz/fuzz_targets/{stem}.rs is not a [[bin]] in fuzz/Cargo.toml"
        );
        fuzzed.insert(format);
    }
    let registered: BTreeSet<String> = clavitor::import::importers()
        .iter()
        .map(|i| i.name().to_string())
        .collect();
    let missing: Vec<_> = registered.difference(&fuzzed).collect();
    let unknown: Vec<_> = fuzzed.difference(&registered).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "importers without a fuzz target: {missing:?}; fuzz targets naming no importer: {unknown:?}"
    );
}
