//! `clavitor backup --output FILE` taken while the server writes is a
//! database a fresh server serves from: copied into a new data directory as
//! `clavitor.db` beside the same keyring, it starts, the owner logs in and
//! reads an entry, and the audit chain verifies.

use crate::common;
use common::*;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The background writer stops after this many entries or this long.
const MAX_WRITES: usize = 200;
const WRITER_LIMIT: Duration = Duration::from_secs(15);

#[test]
fn a_fresh_server_serves_from_a_backup_taken_under_writes() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (kept_id, body) = vault.login_entry("Mail server", "alice", "correct horse");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );

    // Writes keep arriving while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let bodies: Vec<Value> = (0..MAX_WRITES)
        .map(|i| vault.login_entry(&format!("bulk {i}"), "u", "p").1)
        .collect();
    let writer = {
        let (stop, written, url, token) = (
            stop.clone(),
            written.clone(),
            server.url.clone(),
            vault.token.clone(),
        );
        std::thread::spawn(move || {
            let started = Instant::now();
            for body in &bodies {
                if stop.load(Ordering::SeqCst) || started.elapsed() > WRITER_LIMIT {
                    break;
                }
                let (st, v) = call(&url, "POST", "/api/v1/entries", Some(&token), Some(body));
                assert_eq!(st, 201, "{v}");
                written.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while written.load(Ordering::SeqCst) < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }

    let backup = server.dir.path().join("backup.db");
    let out = server.cli(&[
        "backup",
        "--json",
        "--config",
        server.config_path.to_str().unwrap(),
        "--output",
        backup.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["integrity"], "ok", "{report}");
    // Issue 12 item 7: the copy is readable by its owner only, whatever the umask.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "backup file mode {mode:o}");
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();

    // A write after the backup is not in it.
    let (late_id, body) = vault.login_entry("Written after the backup", "carol", "late");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );

    let keyring = server.data_dir().join("token.key");
    let restored = TestServer::start_prepared("", |data| {
        std::fs::copy(&backup, data.join("clavitor.db")).unwrap();
        std::fs::copy(&keyring, data.join("token.key")).unwrap();
    });

    // Same keyring: a session token issued before the backup still opens.
    assert_eq!(
        vault
            .call(
                &restored,
                "GET",
                &format!("/api/v1/entries/{kept_id}"),
                None
            )
            .0,
        200
    );

    // The owner logs in on the restored server and reads the entry.
    let mut owner = vault;
    owner.login(&restored);
    let (st, entry) = owner.call(
        &restored,
        "GET",
        &format!("/api/v1/entries/{kept_id}"),
        None,
    );
    assert_eq!(st, 200, "{entry}");
    assert_eq!(entry["title"], "Mail server");
    let password = entry["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "password")
        .and_then(|f| f["value"].as_str())
        .unwrap()
        .to_string();
    assert_eq!(
        owner.open_l2(&kept_id, "password", &password),
        "correct horse"
    );
    assert_error(
        &owner.call(
            &restored,
            "GET",
            &format!("/api/v1/entries/{late_id}"),
            None,
        ),
        404,
        "CV-3002",
    );
    let (st, list) = owner.call(&restored, "GET", "/api/v1/entries", None);
    assert_eq!(st, 200, "{list}");
    let n = list["entries"].as_array().unwrap().len();
    assert!(
        (1..=1 + written.load(Ordering::SeqCst)).contains(&n),
        "{n} entries restored"
    );
    let (st, v) = owner.call(&restored, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");
}
