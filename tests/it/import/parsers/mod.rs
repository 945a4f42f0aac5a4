//! Each manager's parser through the library's importer registry, one
//! module per manager, plus detection, errors, robustness and a cheap
//! truncation fuzz across them.
//!
//! Two sources of input:
//! * the shared third-party fixtures (`../shared/fixtures/<manager>/`, or
//!   `$CLAVITOR_SHARED_FIXTURES`): every file is parsed and checked field by
//!   field against values visible in it; when absent the tests say
//!   `SKIPPED` loudly and still run on
//! * the project's own samples (`tests/fixtures/<manager>/`), written for
//!   the cases the shared files lack: BOM, CRLF, multi-line and quoted
//!   cells, empty rows, Unicode, older header variants, typed records,
//!   trash, encrypted exports.

use std::path::{Path, PathBuf};
use std::sync::Once;

use clavitor::fieldspec;
use clavitor::import::{
    importers, Confidence, CustomField, ImportError, Importer, Input, Item, Parsed,
};

mod coverage;
mod dashlane;
mod detection;
mod enpass;
mod errors;
mod keepass;
mod keepassxc;
mod keeper;
mod lastpass;
mod nordpass;
mod onepassword;
mod protonpass;
mod roboform;
mod robustness;
mod truncation;

/// The 1Password, LastPass, Dashlane and KeePass formats (errors.rs, truncation.rs).
const MINE: &[&str] = &[
    "1password-1pux",
    "1password-1pif",
    "1password-csv",
    "lastpass-csv",
    "dashlane-csv",
    "dashlane-zip",
    "dashlane-json",
    "keepass-xml",
    "keepassxc-csv",
];

fn importer(name: &str) -> &'static dyn Importer {
    importers()
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("importer {name} is registered"))
}

fn own(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The shared fixture, or `None` (announced once) when ../shared is absent.
/// `CLAVITOR_SHARED_FIXTURES` points elsewhere (a worktree outside the
/// checkout that holds `shared/`).
fn shared(rel: &str) -> Option<PathBuf> {
    static WARN: Once = Once::new();
    let root = std::env::var_os("CLAVITOR_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    if !root.is_dir() {
        WARN.call_once(|| {
            // Written to stderr directly: the test harness captures
            // `eprintln!` of passing tests, and this must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ../shared/fixtures not found; only this project's samples were tested \
                 (set CLAVITOR_SHARED_FIXTURES to point at them)"
            );
        });
        return None;
    }
    Some(root.join(rel))
}

/// Parses a file that `name` must detect with certainty.
fn parse(name: &str, path: &Path) -> Parsed {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.display().to_string();
    let input = Input {
        name: &file,
        bytes: &bytes,
    };
    let imp = importer(name);
    assert_eq!(
        imp.detect(&input),
        Confidence::Yes,
        "{name} should detect {file}"
    );
    let mut parsed = imp
        .parse(&input, false)
        .unwrap_or_else(|e| panic!("{name} on {file}: {e}"));
    parsed
        .items
        .iter_mut()
        .for_each(clavitor::import::map::fit_type);
    check_invariants(name, &parsed);
    parsed
}

fn parse_shared(name: &str, rel: &str) -> Option<Parsed> {
    shared(rel).map(|p| parse(name, &p))
}

fn parse_bytes(name: &str, file: &str, bytes: &[u8], skip: bool) -> Result<Parsed, ImportError> {
    // The pipeline fits every item to its type (map.rs) before mapping.
    let mut parsed = importer(name).parse(&Input { name: file, bytes }, skip)?;
    parsed
        .items
        .iter_mut()
        .for_each(clavitor::import::map::fit_type);
    Ok(parsed)
}

/// What every parsed item must satisfy for the pipeline.
fn check_invariants(name: &str, parsed: &Parsed) {
    for item in &parsed.items {
        let def = fieldspec::entry_type(&item.item_type)
            .unwrap_or_else(|| panic!("unknown type {}", item.item_type));
        assert!(!def.system, "{}", item.title);
        for key in item.typed.keys() {
            assert!(
                def.field(key).is_some(),
                "{}: typed `{key}` is not a {} field",
                item.title,
                item.item_type
            );
        }
        for (top, value) in [
            ("username", &item.username),
            ("password", &item.password),
            ("totp", &item.totp),
        ] {
            assert!(
                value.is_empty() || def.field(top).is_some(),
                "{}: {top} on a {}",
                item.title,
                item.item_type
            );
        }
        assert_eq!(
            item.card.is_some(),
            item.item_type == "card",
            "{}",
            item.title
        );
        assert_eq!(
            item.identity.is_some(),
            item.item_type == "identity",
            "{}",
            item.title
        );
        assert_eq!(item.source, name);
        assert!(
            item.fields
                .iter()
                .all(|f| !f.value.trim().is_empty() && !f.label.is_empty()),
            "{}",
            item.title
        );
        for t in [&item.created_at, &item.updated_at].into_iter().flatten() {
            assert!(humantime::parse_rfc3339(t).is_ok(), "{} is RFC 3339", t);
        }
    }
}

fn by_title<'a>(parsed: &'a Parsed, title: &str) -> &'a Item {
    parsed
        .items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| {
            panic!(
                "no item titled {title:?} in {:?}",
                parsed.items.iter().map(|i| &i.title).collect::<Vec<_>>()
            )
        })
}

fn only(parsed: &Parsed) -> &Item {
    assert_eq!(parsed.items.len(), 1, "{:?}", parsed.items);
    &parsed.items[0]
}

fn field<'a>(item: &'a Item, label: &str) -> &'a CustomField {
    item.fields
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("{}: no field {label:?} in {:?}", item.title, item.fields))
}

fn shown(item: &Item, label: &str, value: &str) {
    let f = field(item, label);
    assert_eq!(
        (f.value.as_str(), f.hidden),
        (value, false),
        "{}: {label}",
        item.title
    );
}

fn hidden(item: &Item, label: &str, value: &str) {
    let f = field(item, label);
    assert_eq!(
        (f.value.as_str(), f.hidden),
        (value, true),
        "{}: {label}",
        item.title
    );
}

fn card(item: &Item) -> &clavitor::import::Card {
    item.card.as_ref().expect("card")
}

fn identity(item: &Item) -> &clavitor::import::Identity {
    item.identity.as_ref().expect("identity")
}

/// The NordPass, Keeper, RoboForm, Enpass and Proton Pass formats (robustness.rs).
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

fn sample(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared fixtures directory, or `None` after a loud notice.
fn shared_dir() -> Option<PathBuf> {
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
fn parse_as(format: &str, name: &str, bytes: &[u8]) -> Parsed {
    importer(format)
        .parse(&Input { name, bytes }, false)
        .unwrap_or_else(|e| panic!("{name} with {format}: {e}"))
}

fn parse_sample(format: &str, rel: &str) -> Parsed {
    parse_as(format, rel, &sample(rel))
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
