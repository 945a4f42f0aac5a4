//! End-to-end import benchmark (not a timed test): 10,000 generated
//! Bitwarden JSON items imported through the real `clavitor` binary into a
//! real server on 127.0.0.1 — parse, classify, seal (K2/K3), validate,
//! upload in batches. Prints `import 10000 bitwarden items: X.XX s` (the
//! median of three runs, each into a fresh server and vault) and writes the
//! figures to `target/bench-import.json`.
//!
//! Run with `cargo bench --bench import_10k` (bench profile = release).

// The benchmark uses a part of the integration tests' harness.
#[allow(dead_code)]
#[path = "../tests/it/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/it/import/harness.rs"]
mod import_common;

use std::time::Instant;

use common::json;

const ITEMS: usize = 10_000;
const RUNS: usize = 3;
const TARGET_SECONDS: f64 = 2.0;

/// Some well-known and some unknown sites, so classification does real work.
const SITES: &[&str] = &[
    "github.com",
    "mail.google.com",
    "www.amazon.co.uk",
    "chase.com",
    "netflix.com",
    "aws.amazon.com",
    "www.irs.gov",
    "booking.com",
    "example-credit-union.org",
    "intranet.example.net",
    "shop.example.de",
    "portal.example.ac.uk",
    "login.example.com",
    "www.reddit.com",
    "my.example-energy.com",
];

fn export_file(n: usize) -> Vec<u8> {
    let folders: Vec<_> = (0..20)
        .map(|i| json!({"id": format!("folder-{i}"), "name": format!("Folder {i}/Sub")}))
        .collect();
    let items: Vec<_> = (0..n)
        .map(|i| {
            let site = SITES[i % SITES.len()];
            let mut item = json!({
                "id": format!("item-{i}"),
                "folderId": format!("folder-{}", i % 20),
                "type": 1,
                "name": format!("Account {i} at {site}"),
                "notes": if i % 3 == 0 { format!("Note for item {i}\nsecond line") } else { String::new() },
                "favorite": i % 50 == 0,
                "revisionDate": "2024-06-01T12:00:00.000Z",
                "creationDate": "2023-06-01T12:00:00.000Z",
                "deletedDate": null,
                "login": {
                    "uris": [{"match": null, "uri": format!("https://{site}/login")}],
                    "username": format!("user{i}@example.com"),
                    "password": format!("P@ssw0rd-{i}-{:08x}", i.wrapping_mul(2654435761)),
                    "totp": if i % 10 == 0 { "JBSWY3DPEHPK3PXP" } else { "" },
                },
            });
            if i % 4 == 0 {
                item["fields"] = json!([{"name": "PIN", "value": format!("{:04}", i % 10000), "type": 1}, {"name": "Customer no.", "value": format!("C-{i}"), "type": 0}]);
            }
            item
        })
        .collect();
    serde_json::to_vec(&json!({"encrypted": false, "folders": folders, "items": items})).unwrap()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` (make test)
    // runs this binary without it, in debug, where three 10k imports only
    // slow the suite (tests/import_*.rs cover the import itself).
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benches/import_10k.rs: not run under `cargo test`; use `make bench`");
        return;
    }
    let bytes = export_file(ITEMS);
    let mut runs = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let o = import_common::owner_with("log: {level: warn}\n");
        let file = o.server.dir.path().join("bitwarden-10k.json");
        std::fs::write(&file, &bytes).unwrap();
        let started = Instant::now();
        let out = o.server.cli(&["--json", "import", file.to_str().unwrap()]);
        let secs = started.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "import failed: {}",
            import_common::stderr(&out)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["imported"], ITEMS, "{summary}");
        assert_eq!(o.count(), ITEMS);
        eprintln!("run {run}: {secs:.2} s ({} bytes)", bytes.len());
        runs.push(secs);
    }
    runs.sort_by(f64::total_cmp);
    let median = runs[RUNS / 2];
    println!("import {ITEMS} bitwarden items: {median:.2} s");
    let report = json!({
        "bench": "import_10k",
        "items": ITEMS,
        "file_bytes": bytes.len(),
        "seconds": (median * 100.0).round() / 100.0,
        "runs": runs.iter().map(|s| (s * 100.0).round() / 100.0).collect::<Vec<_>>(),
        "target_seconds": TARGET_SECONDS,
        "within_target": median < TARGET_SECONDS,
    });
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is target/tmp")
        .join("bench-import.json");
    std::fs::write(&target, format!("{report:#}\n")).unwrap();
    eprintln!("wrote {}", target.display());
}
