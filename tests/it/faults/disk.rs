//! A full disk: writes are refused with `503 CV-5034` and change nothing,
//! every acknowledged write stays, the server keeps answering, and writes
//! work again once there is room. Two ways to fill it: the database cap
//! (`limits.max_db_size`, anywhere) and a real full filesystem (a tiny
//! tmpfs, where the test may mount one).

use crate::common;
use crate::faults as fault;
use common::*;
use fault::*;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes notes until one is refused; returns the acknowledged ids and the refusal.
fn fill(server: &TestServer, vault: &TestVault, limit: usize) -> (Vec<String>, Response) {
    let mut acked = Vec::new();
    for i in 0..limit {
        let (id, body) = note(&format!("fill {i}"), 3000);
        let a = try_call(
            server.port,
            "POST",
            "/api/v1/entries",
            &vault.token,
            Some(&body),
            &[],
        )
        .expect("the server answers while the disk fills");
        if a.status == 201 {
            acked.push(id);
        } else {
            return (acked, a);
        }
    }
    panic!("{limit} writes of 3 KB did not fill the disk");
}

/// The refusal is a clear 503 storage-full (or fail-closed audit) error, never a 500.
fn assert_full(a: &Response, what: &str) {
    assert_eq!(
        a.status,
        503,
        "{what}: {}",
        String::from_utf8_lossy(&a.body)
    );
    assert!(
        ["CV-5034", "CV-5031"].contains(&a.code().as_str()),
        "{what}: {}",
        String::from_utf8_lossy(&a.body)
    );
    assert!(!a.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .is_empty());
}

/// While full: more writes get 503, listing still works, health still answers.
fn assert_serving_while_full(server: &TestServer, vault: &TestVault) {
    for i in 0..5 {
        let (_, body) = note(&format!("refused {i}"), 3000);
        let a = try_call(
            server.port,
            "POST",
            "/api/v1/entries",
            &vault.token,
            Some(&body),
            &[],
        )
        .unwrap();
        assert_full(&a, "write on a full disk");
    }
    assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    // The owner's listing is audited, fail-closed (issue 12 item 7): its
    // small row may still fit in a page with room left (200), otherwise the
    // listing releases nothing (503 CV-5031) — never a listing without a row.
    let listing = vault.call(server, "GET", "/api/v1/entries", None);
    if listing.0 != 200 {
        assert_error(&listing, 503, "CV-5031");
    }
}

/// The entry ids in the server's database file, read directly (read-only).
fn ids_in_file(server: &TestServer) -> std::collections::BTreeSet<String> {
    let cfg = std::fs::read_to_string(&server.config_path).unwrap();
    let data = cfg
        .lines()
        .find_map(|l| l.strip_prefix("data_dir: "))
        .expect("data_dir in the config");
    let db = rusqlite::Connection::open_with_flags(
        std::path::Path::new(data.trim()).join("clavitor.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db
        .prepare("SELECT entry_id FROM entries WHERE deleted = 0")
        .unwrap();
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    ids
}

fn assert_all_present(server: &TestServer, vault: &TestVault, acked: &[String]) {
    let listing = vault.call(server, "GET", "/api/v1/entries", None);
    // The listing is audited, fail-closed (issue 12 item 7): on a full disk
    // it may be refused for want of room for its row. The acknowledged
    // entries must then still be in the database file.
    let listed: std::collections::BTreeSet<String> = if listing.0 == 200 {
        listing.1["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["entry_id"].as_str().unwrap().to_string())
            .collect()
    } else {
        assert_error(&listing, 503, "CV-5031");
        ids_in_file(server)
    };
    let lost: Vec<_> = acked
        .iter()
        .filter(|id| !listed.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged entries lost: {lost:?}",
        lost.len()
    );
}

#[test]
fn database_cap_refuses_writes_with_503_keeps_serving_and_recovers_with_a_bigger_cap() {
    let mut server = TestServer::start_with("log: {level: info}\nlimits: {max_db_size: 256KiB}\n");
    let mut vault = TestVault::create(&server);
    let (acked, refusal) = fill(&server, &vault, 400);
    assert!(!acked.is_empty());
    assert_full(&refusal, "first refused write");
    assert_serving_while_full(&server, &vault);
    assert_all_present(&server, &vault, &acked);
    assert_eq!(integrity_check(&server.data_dir()), "ok");

    // Room again: a bigger cap (read at start-up) and a restart.
    let cfg = std::fs::read_to_string(&server.config_path)
        .unwrap()
        .replace("256KiB", "4MiB");
    server.write_config(&cfg);
    server.restart();
    if vault.call(&server, "GET", "/api/v1/entries", None).0 != 200 {
        vault.login(&server);
    }
    assert_all_present(&server, &vault, &acked);
    let (id, body) = note("after the cap grew", 3000);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    assert_eq!(entry_state(&server, &vault, &id).0, 200);
    let (st, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, &v["ok"]), (200, &json!(true)), "{v}");
    assert_no_panic(&server);
}

/// A tmpfs mounted for the test and unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let st = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(st.success(), "remount {size}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn full_filesystem_refuses_writes_with_503_keeps_serving_and_recovers_when_space_returns() {
    let scratch = tempfile::tempdir().unwrap();
    let mnt = scratch.path().join("disk");
    let Some(disk) = Tmpfs::mount(&mnt, "1m") else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN); the max_db_size test covers the refusal");
        return;
    };
    let port = free_port();
    let config = scratch.path().join("clavitor.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: \"127.0.0.1:{port}\"\ndata_dir: {}\nworkers: 2\nregistration: open\nlog: {{level: info}}\n{}",
            mnt.join("data").display(),
            edition_defaults(scratch.path(), "")
        ),
    )
    .unwrap();
    // The harness's server, pointed at the small disk.
    let mut server = TestServer::start();
    server.kill9();
    server.port = port;
    server.url = format!("http://127.0.0.1:{port}");
    server.config_path = config;
    server.spawn();
    let vault = TestVault::create(&server);

    let (acked, refusal) = fill(&server, &vault, 2000);
    assert!(!acked.is_empty());
    assert_full(&refusal, "first write on a full filesystem");
    assert_serving_while_full(&server, &vault);
    assert_all_present(&server, &vault, &acked);

    // Space returns (the filesystem grows): writes work again, no restart.
    disk.resize("16m");
    let (id, body) = note("after space returned", 3000);
    let (st, v) = vault.call(&server, "POST", "/api/v1/entries", Some(&body));
    assert_eq!(st, 201, "write after space returned: {v}");
    assert_eq!(entry_state(&server, &vault, &id).0, 200);
    assert_all_present(&server, &vault, &acked);
    assert_eq!(integrity_check(&mnt.join("data")), "ok");
    let (st, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, &v["ok"]), (200, &json!(true)), "{v}");
    assert_no_panic(&server);
    server.kill9();
    drop(disk);
}
