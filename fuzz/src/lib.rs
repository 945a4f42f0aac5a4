//! Shared bodies of the fuzz targets. Each importer has its own target
//! (`fuzz_targets/import_<format>.rs`, one line calling [`import_one`]), so
//! every parser gets its own corpus, its own coverage and its own minutes;
//! `import_all` throws the same bytes at all of them.

use clavitor::crypto::Key32;
use clavitor::import::map::{self, SealKeys};
use clavitor::import::{classify, dedup, importers, pipeline, Importer, Input};

/// The importer registered as `format`. A name that is not registered is a
/// bug in the target, not a finding.
fn importer(format: &str) -> &'static dyn Importer {
    importers()
        .into_iter()
        .find(|i| i.name() == format)
        .unwrap_or_else(|| panic!("fuzz target names unknown format {format}"))
}

/// Detection, then a strict and a lenient parse of the same input.
pub fn detect_and_parse(importer: &dyn Importer, input: &Input<'_>) {
    let _ = importer.detect(input);
    let strict = importer.parse(input, false);
    let lenient = importer.parse(input, true);
    // A file that parses strictly parses leniently too, to the same items.
    if let Ok(strict) = strict {
        let lenient = lenient.expect("strict success implies lenient success");
        assert_eq!(strict.items, lenient.items, "{}", importer.name());
    }
}

/// Everything `clavitor import FILE --format FORMAT` does with a file before
/// the network: detect, parse strictly and leniently, normalise and
/// deduplicate, then map, seal, validate and classify every item.
pub fn import_one(format: &str, name: &str, bytes: &[u8]) {
    let input = Input { name, bytes };
    detect_and_parse(importer(format), &input);
    let Ok(parsed) = pipeline::parse(&input, Some(format), true) else {
        return;
    };
    let key = Key32::from_slice(&[7u8; 32]).expect("32 bytes");
    let keys = SealKeys {
        vault_id: "00112233445566778899aabbccddeeff",
        k2: &key,
        k3: &key,
    };
    for item in &parsed.items {
        let _ = dedup::item_key(item);
        let _ = classify::category(&item.urls);
        if let Ok(entry) = map::entry_json(item, "ffeeddccbbaa99887766554433221100", &keys, &[]) {
            let _ = map::validate(&entry);
            // What export writes comes back as the same kind of item.
            let _ = map::item_from_entry(&entry);
        }
    }
}
