//! Replication between two real POPs on loopback: reads on the backup with
//! the primary's tokens, write refusal, burst coalescing, apply
//! authentication, failover by SIGHUP. Agents and backups:
//! tests/it/commercial/agents.rs.
use crate::common;
use crate::pops;

use std::time::Duration;

use clavitor::crypto::{b64, hex, hmac_sha256, random_bytes, sha256};
use common::*;
use pops::*;

const SYNC: Duration = Duration::from_secs(20);

#[test]
fn backup_serves_reads_with_primary_tokens_and_refuses_writes() {
    let keys = Keys::new();
    let (primary, backup) = start_pair(&keys);
    assert_eq!(primary.role(), "primary");
    assert_eq!(backup.role(), "backup");

    let vault = TestVault::create(&primary.server);
    let sid = new_scope(&primary.server, &vault, "ops");
    let (id, mut body) = vault.login_entry("Deploy", "deployer", "pw-deploy");
    body["scopes"] = json!([sid]);
    body["allowed_hosts"] = json!(["api.example.com"]);
    assert_eq!(
        vault
            .call(&primary.server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let (st, agent) = vault.call(
        &primary.server,
        "POST",
        "/api/v1/agents",
        Some(&json!({"name": "bot", "scopes": [sid]})),
    );
    assert_eq!(st, 201, "{agent}");
    let agent_token = agent["token"].as_str().unwrap().to_string();

    assert!(
        wait_until(SYNC, || readable(&vault, &backup.server, &id)),
        "entry never reached the backup:\nprimary:\n{}\nbackup:\n{}",
        primary.server.log(),
        backup.server.log()
    );
    // The owner's token from the primary works on the backup; so does the agent's.
    let (st, v) = vault.call(
        &backup.server,
        "GET",
        &format!("/api/v1/entries/{id}"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        vault.open_l2(&id, "password", v["fields"][1]["value"].as_str().unwrap()),
        "pw-deploy"
    );
    // The agent's token opens on the backup too, but agents are served by the
    // primary only (SPEC 9, v1.1): 503 pointing at it.
    let (st, location, v) = get_as(backup.url(), &agent_token, &format!("/api/v1/entries/{id}"));
    assert_eq!((st, &v["error"]["code"]), (503, &json!("CV-5030")), "{v}");
    assert_eq!(location.as_deref(), Some(primary.url()));
    assert_eq!(agent_read(primary.url(), &agent_token, &id).0, 200);

    // Client writes are refused with the primary's location.
    let (_, body) = vault.login_entry("Nope", "x", "y");
    let bytes = serde_json::to_vec(&body).unwrap();
    let auth = format!("Bearer {}", vault.token);
    let (st, headers, resp) = raw(
        backup.url(),
        "POST",
        "/api/v1/entries",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &bytes,
    );
    assert_eq!(st, 503, "{}", String::from_utf8_lossy(&resp));
    let v: Value = serde_json::from_slice(&resp).unwrap();
    assert_eq!(v["error"]["code"], "CV-5030");
    let location = headers
        .iter()
        .find(|(k, _)| k == "x-primary-location")
        .map(|(_, v)| v.as_str());
    assert_eq!(location, Some(primary.url()));
    for (method, path) in [
        ("PUT", format!("/api/v1/entries/{id}")),
        ("DELETE", format!("/api/v1/entries/{id}")),
        ("POST", "/api/v1/agents".to_string()),
    ] {
        let got = call(
            backup.url(),
            method,
            &path,
            Some(&vault.token),
            Some(&json!({})),
        );
        assert_error(&got, 503, "CV-5030");
    }
    // Logging in is a read: a backup can issue a session.
    let (st, v) = call(
        backup.url(),
        "POST",
        "/api/v1/session",
        None,
        Some(&vault.session_body()),
    );
    assert_eq!(st, 201, "{v}");
    // A resolution for a destination host (SPEC 13) on the primary: its
    // audit row reaches the backup with the host, and the chain verifies.
    let (st, v) = call(
        primary.url(),
        "GET",
        &format!("/api/v1/entries/{id}?host=api.example.com"),
        Some(&agent_token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert!(
        wait_until(SYNC, || {
            let (_, a) = vault.call(&backup.server, "GET", "/api/v1/audit?action=read", None);
            a["events"]
                .as_array()
                .is_some_and(|evs| evs.iter().any(|e| e["host"] == "api.example.com"))
        }),
        "the audit row with its host never reached the backup"
    );
    // Both POPs' audit chains verify on the backup.
    let (st, v) = vault.call(&backup.server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");
}

#[test]
fn burst_of_50_writes_reaches_the_backup_in_at_most_2_applies() {
    let keys = Keys::new();
    let (primary, backup) = start_pair(&keys);
    let vault = TestVault::create(&primary.server);
    let first = put_entry(&vault, &primary.server, "warm-up");
    assert!(wait_until(SYNC, || readable(
        &vault,
        &backup.server,
        &first
    )));
    // Let the warm-up settle (including the audit rows of the reads above).
    std::thread::sleep(Duration::from_millis(500));
    let before = backup.applies();

    // The worker coalesces writes until they pause for 25 ms; on a loaded
    // machine the client itself can pause that long between two writes, and
    // each such pause may rightly start a new apply. Count them (with half
    // the threshold, so a pause the server saw is never missed).
    let mut pauses = 0;
    let mut last_done = std::time::Instant::now();
    let ids: Vec<String> = (0..50)
        .map(|i| {
            let id = put_entry(&vault, &primary.server, &format!("burst {i}"));
            if i > 0 && last_done.elapsed() > Duration::from_micros(12_500) {
                pauses += 1;
            }
            last_done = std::time::Instant::now();
            id
        })
        .collect();
    let last = ids.last().unwrap().clone();
    assert!(
        wait_until(SYNC, || readable(&vault, &backup.server, &last)),
        "{}",
        primary.server.log()
    );
    let applies = backup.applies() - before;
    for id in &ids {
        assert!(
            readable(&vault, &backup.server, id),
            "{id} missing on the backup"
        );
    }
    println!("burst of 50 writes: {applies} apply requests ({pauses} client pauses)");
    assert!(
        applies <= 2 + pauses,
        "a burst of 50 writes with {pauses} pauses took {applies} apply requests:\n{}",
        backup.server.log()
    );
}

/// Signs like the SPEC says, independently of the server code.
fn signed(keys: &Keys, pop: &str, ts: u64, body: &[u8]) -> String {
    let nonce = b64(&random_bytes::<16>());
    let msg = format!(
        "POST\n/api/v1/replication/apply\n{ts}\n{nonce}\n{}",
        hex(&sha256(body))
    );
    let sig = b64(&hmac_sha256(&keys.key_bytes, msg.as_bytes()));
    format!("Clavitor-HMAC pop={pop},ts={ts},nonce={nonce},sig={sig}")
}

/// A batch creating one vault with one unlock method without a verifier (as
/// a primary older than v1.1 sends it), so `open` releases it to anyone.
fn vault_batch(vault_id: &str) -> Vec<u8> {
    let now = 1_767_225_600_000i64;
    serde_json::to_vec(&json!({"pop_id": "calgary-01", "records": [
        {"kind": "vault", "vault_id": vault_id, "handle": null, "owner_verifier": b64(&[1; 32]),
         "l1_check": b64(&[2; 32]), "session_generation": 0, "created_at": now, "updated_at": now, "version": 1},
        {"kind": "unlock", "vault_id": vault_id, "method_id": "recovery", "method_kind": "recovery",
         "kdf": "{\"alg\":\"hkdf-sha256\"}", "wrapped": format!("cv1.l3.{}", b64(&[3; 60])),
         "created_at": now, "updated_at": now, "version": 1, "deleted": false},
    ]}))
    .unwrap()
}

fn post_apply(url: &str, auth: &str, body: &[u8]) -> (u16, Value) {
    let (st, _, b) = raw(
        url,
        "POST",
        "/api/v1/replication/apply",
        &[
            ("Authorization", auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Whether the method exists: the public step answers unknown ones with a
/// decoy (issue 12), but `open` of a method without a verifier releases it
/// (legacy, throttled) while a missing one gets 401.
fn unlock_exists(url: &str, vault_id: &str) -> bool {
    call(
        url,
        "POST",
        &format!("/api/v1/vaults/{vault_id}/unlock/recovery/open"),
        None,
        Some(&json!({"proof": b64(&[0; 32])})),
    )
    .0 == 200
}

#[test]
fn replayed_tampered_or_stale_apply_requests_get_401_and_apply_nothing() {
    let keys = Keys::new();
    let backup = Pop::start(
        PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port()))),
        &keys,
        "",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();

    // A genuine request applies.
    let good = hex(&random_bytes::<16>());
    let body = vault_batch(&good);
    let auth = signed(&keys, "calgary-01", now, &body);
    let (st, v) = post_apply(backup.url(), &auth, &body);
    assert_eq!((st, &v["applied"]), (200, &json!(2)), "{v}");
    assert!(unlock_exists(backup.url(), &good));

    // Replay: same header and body.
    assert_error(&post_apply(backup.url(), &auth, &body), 401, "CV-2052");

    // Tampered: a valid header over another body.
    let other = hex(&random_bytes::<16>());
    let tampered = vault_batch(&other);
    let auth2 = signed(&keys, "calgary-01", now, &body);
    assert_error(&post_apply(backup.url(), &auth2, &tampered), 401, "CV-2050");
    assert!(!unlock_exists(backup.url(), &other));

    // Stale: signed correctly, 301 s old (and one from the future).
    let stale_id = hex(&random_bytes::<16>());
    let stale = vault_batch(&stale_id);
    assert_error(
        &post_apply(
            backup.url(),
            &signed(&keys, "calgary-01", now - 301, &stale),
            &stale,
        ),
        401,
        "CV-2051",
    );
    assert_error(
        &post_apply(
            backup.url(),
            &signed(&keys, "calgary-01", now + 301, &stale),
            &stale,
        ),
        401,
        "CV-2051",
    );
    assert!(!unlock_exists(backup.url(), &stale_id));

    // Another POP, the wrong key, no header.
    let stranger = vault_batch(&stale_id);
    assert_error(
        &post_apply(
            backup.url(),
            &signed(&keys, "paris-01", now, &stranger),
            &stranger,
        ),
        401,
        "CV-2053",
    );
    let mut wrong = Keys::new();
    wrong.key_bytes = random_bytes::<32>();
    assert_error(
        &post_apply(
            backup.url(),
            &signed(&wrong, "calgary-01", now, &stranger),
            &stranger,
        ),
        401,
        "CV-2050",
    );
    assert_error(&post_apply(backup.url(), "", &stranger), 401, "CV-2050");
    assert!(!unlock_exists(backup.url(), &stale_id));
    assert!(
        !backup.server.log().contains(&hex(&keys.key_bytes)),
        "the key leaked into the log"
    );
}

#[test]
fn failover_by_sighup_old_backup_takes_writes_and_replicates_to_its_new_backup() {
    let keys = Keys::new();
    let (mut primary, mut backup) = start_pair(&keys);
    // The future backup of the old backup; accepts batches from zurich-01.
    let third = Pop::start(
        PopSpec::new("paris-01", "backup", Some(("zurich-01", backup.spec.port))),
        &keys,
        "",
    );
    let vault = TestVault::create(&primary.server);
    let before = put_entry(&vault, &primary.server, "before failover");
    assert!(wait_until(SYNC, || readable(
        &vault,
        &backup.server,
        &before
    )));

    // The primary is lost.
    primary.server.kill9();
    let backup_pid = backup.server.pid();
    let mut spec = backup.spec.clone();
    spec.role = "primary";
    spec.peer = Some(("paris-01".into(), third.spec.port));
    backup.rewrite(spec, &keys);
    backup.server.signal(1);
    assert!(
        wait_until(Duration::from_secs(10), || backup.role() == "primary"),
        "{}",
        backup.server.log()
    );
    assert_eq!(backup.server.pid(), backup_pid, "no restart");

    // The old backup takes writes with the same owner token...
    let after = put_entry(&vault, &backup.server, "after failover");
    // ...and replicates everything, old and new, to its new backup.
    assert!(
        wait_until(SYNC, || readable(&vault, &third.server, &after)
            && readable(&vault, &third.server, &before)),
        "zurich-01:\n{}\nparis-01:\n{}",
        backup.server.log(),
        third.server.log()
    );
    assert_error(
        &call(
            third.url(),
            "POST",
            "/api/v1/entries",
            Some(&vault.token),
            Some(&json!({})),
        ),
        503,
        "CV-5030",
    );
    let _ = &mut primary;
}

/// Issue 12: unlock material is sealed at rest with each POP's own keyring.
/// A backup with a keyring of its own receives it (sealed in transit under
/// the replication key), stores it sealed with its keyring, and releases the
/// wrapped copy only for a matching proof, like the primary.
#[test]
fn unlock_material_replicates_to_a_backup_with_its_own_keyring() {
    let keys = Keys::new();
    // Same replication key, a different token keyring for the backup.
    let own = Keys::new();
    std::fs::write(
        &own.keyring,
        format!("7 {}\n", b64(&clavitor::crypto::random_bytes::<32>())),
    )
    .unwrap();
    let backup_keys = Keys {
        dir: own.dir,
        keyring: own.keyring,
        replication_key: keys.replication_key.clone(),
        key_bytes: keys.key_bytes,
    };
    let mut p = PopSpec::new("calgary-01", "primary", None);
    let b = PopSpec::new("zurich-01", "backup", Some(("calgary-01", p.port)));
    p.peer = Some(("zurich-01".into(), b.port));
    let backup = Pop::start(b, &backup_keys, "");
    let primary = Pop::start(p, &keys, "");

    let (vault, code) = TestVault::register(primary.url());
    let open = |url: &str, proof: &str| {
        call(
            url,
            "POST",
            &format!("/api/v1/vaults/{}/unlock/recovery/open", vault.vault_id),
            None,
            Some(&json!({ "proof": proof })),
        )
    };
    let right = vault.recovery_proof(&code);
    assert!(
        wait_until(SYNC, || open(backup.url(), &right).0 == 200),
        "unlock method never opened on the backup:\nprimary:\n{}\nbackup:\n{}",
        primary.server.log(),
        backup.server.log()
    );
    let (st, v) = open(backup.url(), &right);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v.get("legacy"), None, "the verifier came along: {v}");
    let kek = clavitor::crypto::unlock::recovery_kek(&code, &vault.vault_id);
    let m = clavitor::crypto::unlock::unwrap_master(
        &kek,
        &vault.vault_id,
        "recovery",
        v["wrapped"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(m, vault.master);
    assert_eq!(open(backup.url(), &b64(&[5; 32])).0, 401);
    // Stored under the backup's key id 7 there, the primary's key id 1 here.
    let sealed = |pop: &Pop| -> (String, String) {
        let db = rusqlite::Connection::open(pop.server.data_dir().join("clavitor.db")).unwrap();
        db.query_row("SELECT wrapped, verifier FROM unlock_methods", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    };
    let (w, v) = sealed(&backup);
    assert!(
        w.starts_with("rest1.7.") && v.starts_with("rest1.7."),
        "{w} {v}"
    );
    let (w, v) = sealed(&primary);
    assert!(
        w.starts_with("rest1.1.") && v.starts_with("rest1.1."),
        "{w} {v}"
    );
}
