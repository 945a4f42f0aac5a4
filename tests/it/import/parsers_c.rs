//! Parsers for NordPass, Keeper, RoboForm, Enpass and Proton Pass exports,
//! through the library's importer registry.
//!
//! Two sources of input:
//! * the shared third-party fixtures (`../shared/fixtures/<manager>/`, or
//!   `$CLAVITOR_SHARED_FIXTURES`): every file is parsed and checked field by
//!   field against values visible in it; when absent the tests say
//!   `SKIPPED` loudly and still run on
//! * the project's own samples (`tests/fixtures/<manager>/`), written for
//!   the cases the shared files lack: BOM, CRLF, multi-line and quoted
//!   cells, empty rows, Unicode, older header variants, typed records,
//!   trash, encrypted Proton Pass exports.

use std::path::{Path, PathBuf};

use clavitor::import::{
    importers, Confidence, CustomField, ImportError, Importer, Input, Item, Parsed,
};

mod enpass;
mod keeper;
mod nordpass;
mod protonpass;
mod roboform;
mod robustness;

// ------------------------------------------------------------------ helpers

/// This branch's importers.
const OURS: [&str; 9] = [
    "nordpass-csv",
    "keeper-csv",
    "keeper-json",
    "roboform-csv",
    "enpass-json",
    "enpass-csv",
    "protonpass-json",
    "protonpass-zip",
    "protonpass-csv",
];

fn importer(name: &str) -> &'static dyn Importer {
    importers()
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("{name} is registered"))
}

fn sample(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared fixtures directory, or `None` after a loud notice.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("CLAVITOR_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    if dir.is_dir() {
        return Some(dir);
    }
    // Written to the real stderr, not `eprintln!`: the test harness would
    // swallow that for a passing test, and this must be seen.
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED: ../shared/fixtures not found (set CLAVITOR_SHARED_FIXTURES); \
             only the project's own import samples were checked !!!\n"
        );
    });
    None
}

fn read_shared(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Parses strictly; a failure names the file.
fn parse(format: &str, name: &str, bytes: &[u8]) -> Parsed {
    importer(format)
        .parse(&Input { name, bytes }, false)
        .unwrap_or_else(|e| panic!("{name} with {format}: {e}"))
}

fn parse_sample(format: &str, rel: &str) -> Parsed {
    parse(format, rel, &sample(rel))
}

fn by_title<'a>(p: &'a Parsed, title: &str) -> &'a Item {
    p.items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("an item titled {title:?}"))
}

fn field<'a>(it: &'a Item, label: &str) -> &'a CustomField {
    it.fields
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("{}: a field {label:?} in {:?}", it.title, it.fields))
}

fn typed<'a>(it: &'a Item, name: &str) -> &'a str {
    it.typed.get(name).map_or("", String::as_str)
}

/// Names of the importers that are sure of this input.
fn sure(name: &str, bytes: &[u8]) -> Vec<&'static str> {
    importers()
        .into_iter()
        .filter(|i| i.detect(&Input { name, bytes }) == Confidence::Yes)
        .map(|i| i.name())
        .collect()
}

fn every_source_is(p: &Parsed, source: &str) {
    assert!(
        p.items.iter().all(|i| i.source == source),
        "every item's source is {source}"
    );
}

/// Every file of a shared fixture directory must be covered by a test.
fn assert_covers(dir: &Path, manager: &str, covered: &[&str]) {
    let mut files: Vec<String> = std::fs::read_dir(dir.join(manager))
        .expect("fixture directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    files.sort();
    let mut want: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        files, want,
        "shared/fixtures/{manager} has files no test checks"
    );
}
