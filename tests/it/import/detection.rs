//! Auto-detection across every registered importer: each fixture file
//! (shared third-party ones under `../shared/fixtures/<manager>/`, and
//! this crate's under `tests/fixtures/<manager>/`) must be claimed by a
//! format of its own manager — or, for a manager without an importer in
//! this build yet, by nobody.

use std::path::{Path, PathBuf};

use clavitor::import::detect::{choose, manager};
use clavitor::import::{importers, ImportError, Input};

fn files(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(root).unwrap().flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        let m = dir.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            out.push((m.clone(), f.path()));
        }
    }
    out.sort();
    out
}

fn check(root: &Path) -> (usize, Vec<String>) {
    let all = importers();
    let have = |m: &str| all.iter().any(|i| manager(i.name()) == m);
    let mut checked = 0;
    let mut skipped = Vec::new();
    for (m, path) in files(root) {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let input = Input {
            name: &name,
            bytes: &bytes,
        };
        let picked = choose(&all, &input);
        if have(&m) {
            let got = picked.unwrap_or_else(|e| panic!("{name}: not detected: {e}"));
            assert_eq!(
                manager(got.name()),
                m,
                "{name} was taken for {}",
                got.name()
            );
            checked += 1;
        } else {
            match picked {
                Err(ImportError::Unrecognised { .. }) => {}
                Ok(i) => panic!("{name} ({m}, no importer yet) was claimed by {}", i.name()),
                Err(e) => panic!("{name}: {e}"),
            }
            skipped.push(format!(
                "{m}/{}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    (checked, skipped)
}

#[test]
fn every_fixture_is_detected_as_its_own_manager() {
    let registered: Vec<_> = importers().iter().map(|i| i.name()).collect();
    eprintln!("registered importers: {}", registered.join(", "));
    let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let (n, skipped) = check(&own);
    assert!(n >= 12, "own samples checked: {n}");
    assert!(skipped.is_empty(), "{skipped:?}");
    let shared = match std::env::var_os("CLAVITOR_SHARED_FIXTURES") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
    };
    if !shared.is_dir() {
        eprintln!(
            "SKIPPED: ../shared/fixtures not found ({}); detection checked on tests/fixtures only",
            shared.display()
        );
        return;
    }
    let (n, skipped) = check(&shared);
    eprintln!("shared fixtures detected as their manager: {n}");
    if !skipped.is_empty() {
        eprintln!(
            "skipped (no importer registered for their manager in this build; each was claimed by none): {}",
            skipped.join(", ")
        );
    }
    assert!(n >= 7, "{n}");
}
