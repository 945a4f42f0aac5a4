//! The import pipeline end to end through the real CLI and server:
//! round trips without duplicates, duplicates against the vault, scopes by
//! category, dry runs, and files that must be refused without importing
//! anything (unless `--skip-invalid`).

use super::harness as import_common;
use crate::common;

use std::path::PathBuf;

use common::*;
use import_common::*;

fn write(o: &Owner, name: &str, bytes: &[u8]) -> PathBuf {
    let p = o.server.dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn import_export_reimport_creates_no_duplicates() {
    let o = owner();
    for f in [
        "bitwarden/personal.json",
        "bitwarden/personal.csv",
        "chrome/passwords-with-note.csv",
        "firefox/logins.csv",
        "safari/passwords.csv",
    ] {
        o.import(&own(f), &[]);
    }
    let n = o.count();
    assert_eq!(n, 22);
    let before = o.export();
    // The export itself, as JSON and as CSV, then every original file again.
    let json_out = o.server.dir.path().join("export.json");
    let csv_out = o.server.dir.path().join("export.csv");
    for (fmt, path) in [("json", &json_out), ("csv", &csv_out)] {
        let out = o.server.cli(&[
            "--json",
            "export",
            "--format",
            fmt,
            "--output",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(one_object(&stdout(&out))["exported"], n);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let s = o.import(&json_out, &[]);
    assert_eq!(
        (
            s["format"].as_str(),
            s["imported"].as_u64(),
            s["merged"].as_u64()
        ),
        (Some("clavitor-json"), Some(0), Some(n as u64)),
        "{s}"
    );
    let s = o.import(&csv_out, &[]);
    assert_eq!(
        (s["format"].as_str(), s["imported"].as_u64()),
        (Some("clavitor-csv"), Some(0)),
        "{s}"
    );
    for f in [
        "bitwarden/personal.json",
        "bitwarden/personal.csv",
        "chrome/passwords-with-note.csv",
        "firefox/logins.csv",
        "safari/passwords.csv",
    ] {
        assert_eq!(o.import(&own(f), &[])["imported"], 0, "{f}");
    }
    assert_eq!(o.count(), n);
    assert_eq!(o.export(), before, "nothing changed");

    // Into an empty vault, the JSON export restores the same items.
    let fresh = owner();
    assert_eq!(fresh.import(&json_out, &[])["imported"], n);
    let strip = |items: Vec<Value>| -> Vec<Value> {
        let mut v: Vec<Value> = items
            .into_iter()
            .map(|mut i| {
                i.as_object_mut()
                    .unwrap()
                    .retain(|k, _| k != "created_at" && k != "updated_at");
                i
            })
            .collect();
        v.sort_by_key(|i| i.to_string());
        v
    };
    assert_eq!(strip(fresh.export()), strip(before));
}

#[test]
fn newer_imports_replace_existing_entries_and_older_ones_do_not() {
    let o = owner();
    let doc = |password: &str, revised: Option<&str>| {
        let mut item = json!({"type": 1, "name": "Shop", "login": {"uris": [{"uri": "https://shop.example-store.com/login"}], "username": "me", "password": password}});
        if let Some(r) = revised {
            item["revisionDate"] = json!(r);
        }
        serde_json::to_vec(&json!({"encrypted": false, "folders": [], "items": [item]})).unwrap()
    };
    o.import(&write(&o, "a.json", &doc("first", None)), &[]);
    // No timestamp: the existing entry wins.
    let s = o.import(&write(&o, "b.json", &doc("second", None)), &[]);
    assert_eq!(
        (s["imported"].as_u64(), s["merged"].as_u64()),
        (Some(0), Some(1))
    );
    // Older than the entry: the entry wins.
    o.import(
        &write(&o, "c.json", &doc("old", Some("2001-01-01T00:00:00Z"))),
        &[],
    );
    assert_eq!(item(&o.export(), "Shop")["password"], "first");
    // Newer: replaced in place (same entry, URLs united, scopes kept).
    let s = o.import(
        &write(&o, "d.json", &doc("newest", Some("2999-01-01T00:00:00Z"))),
        &[],
    );
    assert_eq!(
        (s["imported"].as_u64(), s["merged"].as_u64()),
        (Some(0), Some(1))
    );
    let items = o.export();
    assert_eq!(items.len(), 1);
    assert_eq!(item(&items, "Shop")["password"], "newest");
    let (_, list) = call(
        &o.server.url,
        "GET",
        "/api/v1/entries",
        Some(&o.token),
        None,
    );
    let e = &list["entries"][0];
    assert_eq!(
        (e["version"].as_i64(), e["username"].as_str()),
        (Some(2), Some("me"))
    );
    let shopping = o
        .scopes()
        .into_iter()
        .find(|(n, _)| n == "shopping")
        .unwrap()
        .1;
    assert_eq!(e["scopes"], json!([shopping]));
}

#[test]
fn two_items_matching_one_entry_replace_it_once() {
    let o = owner();
    let note = |text: &str, revised: &str| json!({"type": 2, "name": "Codes", "notes": text, "revisionDate": revised});
    let file = |items: Vec<Value>| {
        serde_json::to_vec(&json!({"encrypted": false, "items": items})).unwrap()
    };
    o.import(
        &write(
            &o,
            "a.json",
            &file(vec![note("old", "2001-01-01T00:00:00Z")]),
        ),
        &[],
    );
    // Two different notes with the same title (both kept within the file), both newer.
    let s = o.import(
        &write(
            &o,
            "b.json",
            &file(vec![
                note("new 1", "2999-01-01T00:00:00Z"),
                note("new 2", "2999-01-02T00:00:00Z"),
            ]),
        ),
        &[],
    );
    assert_eq!(
        (s["imported"].as_u64(), s["merged"].as_u64()),
        (Some(0), Some(2)),
        "{s}"
    );
    let items = o.export();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["notes"], "new 1");
}

#[test]
fn batches_shrink_to_fit_a_small_server_limit() {
    let o = owner_with("limits: {max_body: 16KiB, max_import_body: 32KiB, idle_timeout_s: 30}\n");
    let items: Vec<Value> = (0..300)
        .map(|i| json!({"type": 1, "name": format!("Site {i}"), "notes": "n".repeat(200), "login": {"uris": [{"uri": format!("https://s{i}.example.com")}], "username": "u", "password": format!("pw{i}")}}))
        .collect();
    let f = write(
        &o,
        "many.json",
        &serde_json::to_vec(&json!({"encrypted": false, "items": items})).unwrap(),
    );
    assert_eq!(o.import(&f, &[])["imported"], 300);
    assert_eq!(o.count(), 300);
}

#[test]
fn entries_are_scoped_by_category_and_scopes_are_reused() {
    let o = owner();
    let (_, made) = call(
        &o.server.url,
        "POST",
        "/api/v1/scopes",
        Some(&o.token),
        Some(&json!({"name": "Developer"})),
    );
    o.import(&own("bitwarden/personal.json"), &[]);
    o.import(&own("chrome/old-no-note.csv"), &[]);
    let scopes = o.scopes();
    let names: Vec<&str> = scopes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| n.eq_ignore_ascii_case("developer"))
            .count(),
        1,
        "{names:?}"
    );
    let id = |name: &str| {
        scopes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap()
            .1
            .clone()
    };
    let (_, list) = call(
        &o.server.url,
        "GET",
        "/api/v1/entries",
        Some(&o.token),
        None,
    );
    let scope_of = |title: &str| {
        list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["title"] == title)
            .unwrap()["scopes"]
            .clone()
    };
    assert_eq!(scope_of("GitHub"), json!([made["scope_id"]]));
    assert_eq!(scope_of("Steam"), json!([id("entertainment")]));
    assert_eq!(scope_of("www.reddit.com"), json!([id("social")]));
    assert_eq!(scope_of("www.irs.gov"), json!([id("government")]));
    assert_eq!(scope_of("Visa Platinum"), json!([id("other")]), "no URL");
}

#[test]
fn dry_run_uploads_nothing_and_needs_no_login() {
    let o = owner();
    let s = o.import(&own("bitwarden/personal.json"), &["--dry-run"]);
    assert_eq!(s["imported"], 7);
    assert_eq!(o.count(), 0);
    assert!(o.scopes().is_empty());
    let out = o.server.cli(&["logout"]);
    assert!(out.status.success());
    let out = o.server.cli(&[
        "import",
        own("safari/passwords.csv").to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("would import 3 entries"),
        "{}",
        stdout(&out)
    );
    assert!(
        !stderr(&out).contains('\r'),
        "no progress bar without a terminal"
    );
}

#[test]
fn ragged_csv_imports_nothing_unless_skip_invalid() {
    let o = owner();
    let csv = b"name,url,username,password,note\nok,https://a.example,u,p,\nbroken,https://b.example,u\nalso ok,https://c.example,v,q,n\n";
    let f = write(&o, "ragged.csv", csv);
    let out = o.import_raw(&f, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("ragged.csv") && err.contains("line 3") && err.contains("expected 5"),
        "{err}"
    );
    assert_eq!(o.count(), 0);
    let s = o.import(&f, &["--skip-invalid"]);
    assert_eq!(s["imported"], 2);
    assert_eq!(s["skipped"][0]["record"], "line 3");
    assert_eq!(o.count(), 2);
}

#[test]
fn bad_files_get_clear_errors_and_import_nothing() {
    let o = owner();
    let zip = std::fs::read(own("bitwarden/personal.json")).unwrap();
    let cases: Vec<(&str, Vec<u8>, Vec<&str>, &str)> = vec![
        ("truncated.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00garbage".to_vec(), vec![], "ZIP archive that cannot be read"),
        ("garbage.bin", (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(), vec![], "binary data"),
        ("empty.csv", Vec::new(), vec![], "an empty file"),
        ("bw.json", zip.clone(), vec!["--format", "chrome-csv"], "--format chrome-csv: this is not a chrome-csv export; it looks like JSON with top-level keys encrypted, folders, items"),
        ("bw.json", zip.clone(), vec!["--format", "safari"], "--format safari"),
        ("truncated.json", zip[..zip.len() / 2].to_vec(), vec!["--format", "bitwarden-json"], "truncated"),
        ("unknown.csv", b"site,login,secret\na,b,hunter2\n".to_vec(), vec![], "a CSV with columns ?, login, ?"),
    ];
    for (name, bytes, args, expect) in cases {
        let f = write(&o, name, &bytes);
        let out = o.import_raw(&f, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
    let out = o.import_raw(&own("chrome/old-no-note.csv"), &["--format", "netscape"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "unknown format is a usage error"
    );
    assert!(
        stderr(&out).contains("bitwarden-json") && stderr(&out).contains("safari-csv"),
        "{}",
        stderr(&out)
    );
    let out = o.import_raw(&o.server.dir.path().join("missing.csv"), &[]);
    assert!(stderr(&out).contains("missing.csv") && out.status.code() == Some(1));
    assert_eq!(o.count(), 0);
}

#[test]
fn files_over_the_limit_are_refused_before_reading() {
    let o = owner();
    let f = o.server.dir.path().join("huge.csv");
    let file = std::fs::File::create(&f).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap();
    let started = std::time::Instant::now();
    let out = o.import_raw(&f, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("huge.csv") && err.contains("100.0 MiB") && err.contains("64 MiB"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // Just under the limit: refused as unrecognisable, not by size, and nothing hangs.
    std::fs::File::create(&f)
        .unwrap()
        .set_len(60 * 1024 * 1024)
        .unwrap();
    let out = o.import_raw(&f, &[]);
    assert!(stderr(&out).contains("binary data"), "{}", stderr(&out));
    assert_eq!(o.count(), 0);
}

#[test]
fn agents_cannot_import_or_export() {
    let o = owner();
    for cmd in [vec!["import", "x.csv"], vec!["export"]] {
        let out = o
            .server
            .cli_env(&cmd, &[("CLAVITOR_CREDENTIAL", "cvc1.AAAA")]);
        assert_eq!(out.status.code(), Some(3), "{cmd:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("owner only"));
    }
}
