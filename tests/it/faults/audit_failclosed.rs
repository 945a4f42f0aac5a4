//! Fail-closed audit (SPEC section 7): a credential is released only after its
//! audit row committed; when the audit write really fails, the request gets
//! 503 and nothing is released. And the hash chain pinpoints rows changed
//! behind the server's back.

use crate::common;
use common::*;

mod h {
    use super::common::*;

    /// (status, error code, raw body text)
    pub fn req(
        s: &TestServer,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (u16, String, String) {
        let auth = format!("Bearer {token}");
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let (st, hs, b) = raw(
            &s.url,
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &bytes,
        );
        let text = String::from_utf8_lossy(&b).into_owned();
        let hs: String = hs.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (
            st,
            v["error"]["code"].as_str().unwrap_or("").to_string(),
            format!("{hs}\n{text}"),
        )
    }

    /// A refusal that released nothing: the status and code, and no entry data at all.
    pub fn assert_nothing_released(
        what: &str,
        got: &(u16, String, String),
        status: u16,
        code: &str,
    ) {
        assert_eq!((got.0, got.1.as_str()), (status, code), "{what}: {}", got.2);
        for needle in [
            "cv1.l2.",
            "cv1.",
            "fields",
            "user of",
            "password of",
            "title",
        ] {
            assert!(
                !got.2.contains(needle),
                "{what}: the refusal contains {needle:?}: {}",
                got.2
            );
        }
    }

    pub fn verify(s: &TestServer, v: &TestVault) -> Value {
        let (st, b) = v.call(s, "GET", "/api/v1/audit/verify", None);
        assert_eq!(st, 200, "verify: {b}");
        b
    }

    pub fn db(s: &TestServer) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(s.data_dir().join("clavitor.db")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn
    }
}

#[test]
fn agent_read_gets_503_and_no_secret_when_the_database_is_full() {
    let server = TestServer::start_with("limits: {max_db_size: 256KiB}\nagents: {rate_limit_minute: 100, rate_limit_hour: 1000, lockdown_window: 2h}\n");
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let target = new_entry(&server, &vault, "Target", &[&scope]);
    let second = new_entry(&server, &vault, "Second", &[&scope]);
    let outside = new_entry(&server, &vault, "Outside", &[]);
    let (agent, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [scope]}));
    let (st, _, body) = h::req(
        &server,
        "GET",
        &format!("/api/v1/entries/{target}"),
        &token,
        None,
    );
    assert_eq!(st, 200, "before the disk fills, the agent reads: {body}");
    assert!(body.contains("cv1.l2."));

    // Fill the database with owner writes: big entries, then small ones, then
    // owner reads (one audit row each) until not even an audit row fits.
    let mut full = Vec::new();
    for (size, rounds) in [(4000usize, 400usize), (300, 400)] {
        let mut filled = None;
        for i in 0..rounds {
            let body = json!({"entry_id": random_id(), "type": "note", "title": format!("filler {size} {i}"), "notes": "n".repeat(size)});
            let (st, v) = vault.call(&server, "POST", "/api/v1/entries", Some(&body));
            if st != 201 {
                assert_eq!(
                    (st, v["error"]["code"].clone()),
                    (503, json!("CV-5034")),
                    "a full database refuses writes as storage full: {v}"
                );
                filled = Some(i);
                break;
            }
        }
        assert!(
            filled.is_some(),
            "a 256 KiB database must fill within {rounds} entries of {size} bytes"
        );
        full.extend(filled);
    }
    let mut owner_refused = None;
    let mut owner_reads = 0;
    for _ in 0..3000 {
        let got = h::req(
            &server,
            "GET",
            &format!("/api/v1/entries/{outside}"),
            &vault.token,
            None,
        );
        if got.0 != 200 {
            h::assert_nothing_released("owner read with a full audit log", &got, 503, "CV-5031");
            owner_refused = Some(got);
            break;
        }
        owner_reads += 1;
    }
    eprintln!("database full after {full:?} big/small entries and {owner_reads} more owner reads");
    assert!(
        owner_refused.is_some(),
        "owner reads must stop when their audit rows no longer fit"
    );
    let rows_before = audit_rows(&server, &vault, "").len();

    // Now the agent: nothing is released, whatever it asks for.
    for (what, path) in [
        ("re-read of the target", format!("/api/v1/entries/{target}")),
        (
            "first read of another entry",
            format!("/api/v1/entries/{second}"),
        ),
        (
            "lookup by title",
            "/api/v1/entries/lookup?title=Target".to_string(),
        ),
        (
            "out-of-scope read (its refusal is audited too)",
            format!("/api/v1/entries/{outside}"),
        ),
        ("missing entry", format!("/api/v1/entries/{}", random_id())),
    ] {
        let got = h::req(&server, "GET", &path, &token, None);
        h::assert_nothing_released(what, &got, 503, "CV-5031");
    }
    for path in [
        format!("/api/v1/entries/{target}"),
        "/api/v1/entries/lookup?title=Second".to_string(),
    ] {
        let got = h::req(&server, "GET", &path, &vault.token, None);
        h::assert_nothing_released("owner read", &got, 503, "CV-5031");
    }
    // Nothing was half-written, and the server still answers what needs no audit row.
    assert_eq!(
        audit_rows(&server, &vault, "").len(),
        rows_before,
        "no audit row for refused requests"
    );
    assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    let v = h::verify(&server, &vault);
    assert_eq!(v["ok"], json!(true), "{v}");
    let agent_rows: Vec<_> = audit_rows(&server, &vault, "")
        .into_iter()
        .filter(|r| r["actor_id"] == json!(agent))
        .collect();
    assert_eq!(
        agent_rows.len(),
        1,
        "only the read before the disk filled: {agent_rows:#?}"
    );
}

#[test]
fn agent_read_gets_503_and_no_secret_when_audit_inserts_fail() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let target = new_entry(&server, &vault, "Target", &[&scope]);
    let (_, token) = new_agent(
        &server,
        &vault,
        json!({"name": "bot", "scopes": [scope], "can_write": true}),
    );
    assert_eq!(
        h::req(
            &server,
            "GET",
            &format!("/api/v1/entries/{target}"),
            &token,
            None
        )
        .0,
        200
    );
    let rows_before = audit_rows(&server, &vault, "").len();

    // The audit table refuses every insert (a real SQLite error inside the server's transaction).
    let conn = h::db(&server);
    conn.execute_batch("CREATE TRIGGER test_audit_offline BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit offline'); END;").unwrap();

    let missing = format!("/api/v1/entries/{}", random_id());
    for path in [
        format!("/api/v1/entries/{target}"),
        "/api/v1/entries/lookup?title=Target".into(),
        missing.clone(),
    ] {
        h::assert_nothing_released(
            &format!("agent GET {path}"),
            &h::req(&server, "GET", &path, &token, None),
            503,
            "CV-5031",
        );
    }
    for path in [
        format!("/api/v1/entries/{target}"),
        "/api/v1/entries/lookup?title=Target".into(),
    ] {
        h::assert_nothing_released(
            &format!("owner GET {path}"),
            &h::req(&server, "GET", &path, &vault.token, None),
            503,
            "CV-5031",
        );
    }
    // Changes cannot commit without their audit rows either.
    let (id, mut body) = vault.login_entry("Written While Offline", "u", "p");
    body["scopes"] = json!([scope]);
    let owner_write = h::req(
        &server,
        "POST",
        "/api/v1/entries",
        &vault.token,
        Some(&body),
    );
    assert!(
        owner_write.0 >= 500,
        "owner write without audit: {}",
        owner_write.2
    );
    eprintln!(
        "owner write while the audit log is down: {} {}",
        owner_write.0, owner_write.1
    );
    let (agent_id_entry, mut agent_body) = vault.login_entry("Agent Wrote Offline", "u", "p");
    agent_body["scopes"] = json!([scope]);
    let agent_write = h::req(
        &server,
        "POST",
        "/api/v1/entries",
        &token,
        Some(&agent_body),
    );
    assert!(
        agent_write.0 >= 500,
        "agent write without audit: {}",
        agent_write.2
    );
    eprintln!(
        "agent write while the audit log is down: {} {}",
        agent_write.0, agent_write.1
    );

    conn.execute_batch("DROP TRIGGER test_audit_offline;")
        .unwrap();
    assert_eq!(
        audit_rows(&server, &vault, "").len(),
        rows_before,
        "nothing was logged while the log was down"
    );
    for id in [&id, &agent_id_entry] {
        assert_eq!(
            vault
                .call(&server, "GET", &format!("/api/v1/entries/{id}"), None)
                .0,
            404,
            "no change committed without its audit row"
        );
    }
    let (st, _, body) = h::req(
        &server,
        "GET",
        &format!("/api/v1/entries/{target}"),
        &token,
        None,
    );
    assert_eq!(st, 200, "the log is back, so is the agent: {body}");
    let v = h::verify(&server, &vault);
    assert_eq!(v["ok"], json!(true), "{v}");
}

/// Audited activity with successes and refusals, owner and agent; returns the rows' count.
fn some_activity(server: &TestServer, vault: &TestVault) -> usize {
    let scope = new_scope(server, vault, "s");
    let ids: Vec<String> = (0..3)
        .map(|i| new_entry(server, vault, &format!("E{i}"), &[&scope]))
        .collect();
    let outside = new_entry(server, vault, "Outside", &[]);
    let (_, token) = new_agent(server, vault, json!({"name": "bot", "scopes": [scope]}));
    for id in [&ids[0], &outside, &ids[1], &outside, &ids[2]] {
        h::req(
            server,
            "GET",
            &format!("/api/v1/entries/{id}"),
            &token,
            None,
        );
    }
    h::req(server, "GET", "/api/v1/agents", &token, None);
    vault.call(server, "GET", &format!("/api/v1/entries/{}", ids[0]), None);
    let v = h::verify(server, vault);
    assert_eq!(v["ok"], json!(true), "{v}");
    let n = v["checked"].as_u64().unwrap() as usize;
    assert!(n >= 12, "{v}");
    n
}

fn assert_break(v: &Value, seq: i64, problem: &str) {
    assert_eq!(v["ok"], json!(false), "{v}");
    assert_eq!(v["first_break"]["seq"], json!(seq), "{v}");
    assert!(
        v["first_break"]["problem"]
            .as_str()
            .is_some_and(|p| p.contains(problem)),
        "expected {problem:?}: {v}"
    );
}

#[test]
fn audit_verify_pinpoints_a_row_altered_behind_the_servers_back() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let n = some_activity(&server, &vault);
    let conn = h::db(&server);
    let vid = &vault.vault_id;
    let k: i64 = conn
        .query_row(
            "SELECT seq FROM audit WHERE vault_id = ?1 AND outcome = 'denied' ORDER BY seq LIMIT 1",
            [vid],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        k > 1 && (k as usize) < n,
        "a denied row in the middle of the chain (seq {k} of {n})"
    );

    // The classic cover-up: the refusal becomes a success.
    assert_eq!(
        conn.execute(
            "UPDATE audit SET outcome = 'success' WHERE vault_id = ?1 AND seq = ?2",
            rusqlite::params![vid, k]
        )
        .unwrap(),
        1
    );
    let v = h::verify(&server, &vault);
    assert_break(&v, k, "hash mismatch");
    assert_eq!(
        v["checked"],
        json!(k),
        "the walk stops at the broken row: {v}"
    );
    conn.execute(
        "UPDATE audit SET outcome = 'denied' WHERE vault_id = ?1 AND seq = ?2",
        rusqlite::params![vid, k],
    )
    .unwrap();
    assert_eq!(
        h::verify(&server, &vault)["ok"],
        json!(true),
        "restored row verifies again"
    );

    // Any other column of the row, one at a time.
    for (col, expr) in [
        ("reason", "'rate_limited'"),
        ("reason", "NULL"),
        ("actor_id", "'00000000000000000000000000000000'"),
        ("actor_kind", "'owner'"),
        ("action", "'list'"),
        ("entry_id", "NULL"),
        ("ts", "ts + 1"),
        ("source_ip", "'203.0.113.9'"),
        ("hash", "zeroblob(32)"),
    ] {
        let saved: rusqlite::types::Value = conn
            .query_row(
                &format!("SELECT {col} FROM audit WHERE vault_id = ?1 AND seq = ?2"),
                rusqlite::params![vid, k],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            &format!("UPDATE audit SET {col} = {expr} WHERE vault_id = ?1 AND seq = ?2"),
            rusqlite::params![vid, k],
        )
        .unwrap();
        assert_break(&h::verify(&server, &vault), k, "hash mismatch");
        conn.execute(
            &format!("UPDATE audit SET {col} = ?3 WHERE vault_id = ?1 AND seq = ?2"),
            rusqlite::params![vid, k, saved],
        )
        .unwrap();
        assert_eq!(
            h::verify(&server, &vault)["ok"],
            json!(true),
            "after restoring {col}"
        );
    }

    // A forged link: the next row's prev_hash no longer matches.
    conn.execute(
        "UPDATE audit SET prev_hash = zeroblob(32) WHERE vault_id = ?1 AND seq = ?2",
        rusqlite::params![vid, k + 1],
    )
    .unwrap();
    assert_break(&h::verify(&server, &vault), k + 1, "prev_hash mismatch");
}

#[test]
fn audit_verify_detects_a_deleted_row() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let n = some_activity(&server, &vault) as i64;
    let conn = h::db(&server);
    let vid = &vault.vault_id;
    let k = n / 2;
    assert_eq!(
        conn.execute(
            "DELETE FROM audit WHERE vault_id = ?1 AND seq = ?2",
            rusqlite::params![vid, k]
        )
        .unwrap(),
        1
    );
    assert_break(&h::verify(&server, &vault), k + 1, "sequence gap");

    // Renumbering the rows after it closes the gap, but not the chain.
    conn.execute(
        "UPDATE audit SET seq = -seq WHERE vault_id = ?1 AND seq > ?2",
        rusqlite::params![vid, k],
    )
    .unwrap();
    conn.execute(
        "UPDATE audit SET seq = -seq - 1 WHERE vault_id = ?1 AND seq < 0",
        rusqlite::params![vid],
    )
    .unwrap();
    assert_break(&h::verify(&server, &vault), k, "prev_hash mismatch");

    // The server keeps appending after the tampering, and the break stays visible.
    vault.call(&server, "GET", "/api/v1/entries", None);
    let (st, _) = vault.call(
        &server,
        "POST",
        "/api/v1/scopes",
        Some(&json!({"name": "after"})),
    );
    assert_eq!(st, 201);
    assert_break(&h::verify(&server, &vault), k, "prev_hash mismatch");
}
