//! `kill -9` again and again while clients write: after every restart each
//! acknowledged create, update and batch (import) is there, batches are all
//! or nothing, and `PRAGMA integrity_check` is ok. Bounded: a few cycles of
//! about a second each.

use crate::common;
use crate::faults as fault;
use common::*;
use fault::*;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CYCLES: usize = 4;
const WRITERS: usize = 2;
/// The kill comes after this many acknowledged writes in a cycle, or this long.
const KILL_AFTER_ACKS: usize = 60;
const KILL_AFTER: Duration = Duration::from_millis(1500);
const BATCH: usize = 25;

/// What clients were told, per entry: the version and title last acknowledged.
#[derive(Default)]
struct Ledger {
    entries: BTreeMap<String, (i64, String)>,
    /// Batches sent: (ids, acknowledged).
    batches: Vec<(Vec<String>, bool)>,
}

/// One writer's loop for a cycle: creates, updates of its own entries (If-Match), and batches.
fn writer(
    port: u16,
    token: String,
    me: usize,
    cycle: usize,
    ledger: Arc<Mutex<Ledger>>,
    acks: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) {
    let started = Instant::now();
    let mut mine: Vec<String> = ledger
        .lock()
        .unwrap()
        .entries
        .keys()
        .filter(|k| k.ends_with(&format!("{me:02x}")))
        .cloned()
        .collect();
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(10) {
        i += 1;
        // Ids end with the writer number so each writer updates only its own entries.
        let new_id = || {
            let mut id = clavitor::crypto::hex(&clavitor::crypto::random_bytes::<16>());
            id.replace_range(30.., &format!("{me:02x}"));
            id
        };
        match i % 10 {
            0 => {
                let ids: Vec<String> = (0..BATCH).map(|_| new_id()).collect();
                let entries: Vec<Value> = ids
                    .iter()
                    .enumerate()
                    .map(|(k, id)| json!({"entry_id": id, "type": "note", "title": format!("batch c{cycle} w{me} #{i}.{k}")}))
                    .collect();
                let got = try_call(
                    port,
                    "POST",
                    "/api/v1/entries/batch",
                    &token,
                    Some(&json!({"entries": entries})),
                    &[],
                );
                let acked = got.as_ref().is_some_and(|a| a.status == 201);
                let mut l = ledger.lock().unwrap();
                if acked {
                    for (k, id) in ids.iter().enumerate() {
                        l.entries
                            .insert(id.clone(), (1, format!("batch c{cycle} w{me} #{i}.{k}")));
                    }
                    mine.extend(ids.iter().cloned());
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                l.batches.push((ids, acked));
            }
            1 | 4 | 7 if !mine.is_empty() => {
                let id = mine[i % mine.len()].clone();
                let (version, _) = ledger.lock().unwrap().entries[&id].clone();
                let title = format!("update c{cycle} w{me} #{i}");
                let body = json!({"type": "note", "title": title});
                let if_match = format!("\"{version}\"");
                let got = try_call(
                    port,
                    "PUT",
                    &format!("/api/v1/entries/{id}"),
                    &token,
                    Some(&body),
                    &[("If-Match", &if_match)],
                );
                match got {
                    Some(a) if a.status == 200 => {
                        let v = a.json()["version"].as_i64().unwrap();
                        assert_eq!(
                            v,
                            version + 1,
                            "an acknowledged update moves the version by one"
                        );
                        ledger.lock().unwrap().entries.insert(id, (v, title));
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(a) if a.status == 409 => {
                        // An update in flight at the last kill committed after all: learn the
                        // current state as any client would, and go on.
                        if let Some(cur) = try_call(
                            port,
                            "GET",
                            &format!("/api/v1/entries/{id}"),
                            &token,
                            None,
                            &[],
                        ) {
                            let v = cur.json();
                            if cur.status == 200 {
                                let now = (
                                    v["version"].as_i64().unwrap(),
                                    v["title"].as_str().unwrap().to_string(),
                                );
                                assert!(now.0 > version, "409 but the version did not move: {v}");
                                ledger.lock().unwrap().entries.insert(id, now);
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {
                let id = new_id();
                let title = format!("create c{cycle} w{me} #{i}");
                let body = json!({"entry_id": id, "type": "note", "title": title, "notes": "x".repeat(200)});
                if try_call(port, "POST", "/api/v1/entries", &token, Some(&body), &[])
                    .is_some_and(|a| a.status == 201)
                {
                    ledger
                        .lock()
                        .unwrap()
                        .entries
                        .insert(id.clone(), (1, title));
                    mine.push(id);
                    acks.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
    }
}

#[test]
fn repeated_kill9_during_writes_loses_no_acknowledged_write() {
    let mut server = TestServer::start_with("log: {level: info}\n");
    let mut vault = TestVault::create(&server);
    let ledger: Arc<Mutex<Ledger>> = Arc::default();
    for cycle in 0..CYCLES {
        let acks = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..WRITERS)
            .map(|me| {
                let (l, a, s, t) = (
                    ledger.clone(),
                    acks.clone(),
                    stop.clone(),
                    vault.token.clone(),
                );
                let port = server.port;
                std::thread::spawn(move || writer(port, t, me, cycle, l, a, s))
            })
            .collect();
        let t = Instant::now();
        while acks.load(Ordering::SeqCst) < KILL_AFTER_ACKS && t.elapsed() < KILL_AFTER {
            std::thread::sleep(Duration::from_millis(5));
        }
        server.kill9();
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, Ordering::SeqCst);
        for th in threads {
            th.join().expect("writer");
        }
        assert!(
            acks.load(Ordering::SeqCst) > 0,
            "cycle {cycle}: nothing acknowledged:\n{}",
            server.log()
        );
        assert_eq!(integrity_check(&server.data_dir()), "ok", "cycle {cycle}");

        server.spawn();
        if vault.call(&server, "GET", "/api/v1/entries", None).0 != 200 {
            vault.login(&server);
        }
        let l = ledger.lock().unwrap();
        let mut lost = Vec::new();
        for (id, (version, title)) in &l.entries {
            let (st, v, t) = entry_state(&server, &vault, id);
            // The acknowledged version, or a later one whose update was in flight at the kill.
            if st != 200 || v < *version || (v == *version && t != *title) {
                lost.push(format!(
                    "{id}: acknowledged v{version} {title:?}, found {st} v{v} {t:?}"
                ));
            }
        }
        assert!(
            lost.is_empty(),
            "cycle {cycle}: {} acknowledged writes lost:\n{}",
            lost.len(),
            lost.join("\n")
        );
        // Batches are one transaction: all of a batch or none of it.
        for (ids, acked) in &l.batches {
            let present = ids
                .iter()
                .filter(|id| entry_state(&server, &vault, id).0 == 200)
                .count();
            assert!(
                present == ids.len() || (!acked && present == 0),
                "cycle {cycle}: batch (acknowledged: {acked}) is partly present: {present} of {}",
                ids.len()
            );
        }
        eprintln!(
            "cycle {cycle}: {} acknowledged writes this cycle; {} entries and {} batches checked",
            acks.load(Ordering::SeqCst),
            l.entries.len(),
            l.batches.len()
        );
    }
    let (st, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, &v["ok"]), (200, &json!(true)), "{v}");
    assert_no_panic(&server);
}

/// The CLI import (once importers and `clavitor import` exist) killed mid-way:
/// what it reported as imported is there, and a re-run completes the file.
#[test]
fn repeated_kill9_during_cli_import_loses_nothing_acknowledged() {
    let csv: String = std::iter::once("name,url,username,password,note\n".to_string())
        .chain(
            (0..1500)
                .map(|i| format!("Site {i},https://site{i}.example.com/login,user{i},pw{i},\n")),
        )
        .collect();
    let bytes = csv.as_bytes();
    let detected = clavitor::import::importers().into_iter().any(|imp| {
        imp.detect(&clavitor::import::Input {
            name: "chrome.csv",
            bytes,
        }) != clavitor::import::Confidence::No
            && imp
                .parse(
                    &clavitor::import::Input {
                        name: "chrome.csv",
                        bytes,
                    },
                    false,
                )
                .is_ok_and(|p| p.items.len() == 1500)
    });
    let mut server = TestServer::start_with("log: {level: info}\n");
    let has_cli = server.cli(&["import", "--help"]).status.success();
    if !detected || !has_cli {
        eprintln!("SKIPPED: no importer parses a Chrome-style CSV yet, or `clavitor import` is missing (importers land in another branch)");
        return;
    }
    let file = server.dir.path().join("chrome.csv");
    std::fs::write(&file, &csv).unwrap();
    let pass = server.dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let init = server.cli(&[
        "init",
        "--server",
        &server.url,
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    for cycle in 0..2 {
        let mut cmd = std::process::Command::new(bin());
        cmd.args(["import", file.to_str().unwrap()])
            .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(300 + 200 * cycle as u64));
        server.kill9();
        let _ = child.wait();
        assert_eq!(integrity_check(&server.data_dir()), "ok");
        server.spawn();
    }
    let out = server.cli(&["import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "re-run after kills: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server.cli(&["list", "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).expect("list --json");
    let titles: std::collections::BTreeSet<String> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["title"].as_str().map(str::to_string))
        .collect();
    let missing = (0..1500)
        .filter(|i| !titles.contains(&format!("Site {i}")))
        .count();
    assert_eq!(
        missing, 0,
        "items missing after kill -9 and a re-run of the import"
    );
    assert_eq!(integrity_check(&server.data_dir()), "ok");
    assert_no_panic(&server);
}
