//! Agents and replication (SPEC 9, v1.1): only a primary serves agents,
//! because their reads change rate-limit state and may lock them, and that
//! state lives in the agent's record, which one POP must write. A backup
//! answers them 503 CV-5030 with `X-Primary-Location`; promoted by SIGHUP it
//! serves them with the state the primary replicated.
//! (A test binary of its own: these tests run two POP pairs in parallel,
//! which would disturb the timing the burst test of commercial_replication
//! measures.)
use crate::common;
use crate::pops;

use std::time::Duration;

use common::*;
use pops::*;

const SYNC: Duration = Duration::from_secs(20);

/// SPEC 9 (v1.1): a backup answers agents with 503 CV-5030 and
/// `X-Primary-Location` and writes nothing for them; promoted by SIGHUP, it
/// serves the same read, counts it against the agent's limits together
/// with the reads the primary served, and audits it in its own chain.
#[test]
fn agents_get_503_on_a_backup_until_promotion_then_are_counted_and_audited_there() {
    let keys = Keys::new();
    let (mut primary, mut backup) = start_pair(&keys);
    let vault = TestVault::create(&primary.server);
    let ids: Vec<String> = (0..4)
        .map(|i| put_entry(&vault, &primary.server, &format!("db {i}")))
        .collect();
    // Three distinct entries per hour: the window outlasts the test on any machine.
    let (agent, token) = new_agent(
        &primary.server,
        &vault,
        json!({"name": "bot", "all_access": true, "rate_limit_minute": 3, "rate_limit_hour": 3}),
    );
    assert_eq!(agent_read(primary.url(), &token, &ids[0]).0, 200);
    // The primary's audit row of that read reaches the backup (it carries the count).
    assert!(
        wait_until(SYNC, || audit_of(&vault, &backup.server, &agent)
            .iter()
            .any(|e| e["pop_id"] == "calgary-01" && e["action"] == "read")),
        "primary:\n{}",
        primary.server.log()
    );

    let lookup = "/api/v1/entries/lookup?title=db%201".to_string();
    for path in [
        format!("/api/v1/entries/{}", ids[1]),
        "/api/v1/entries".to_string(),
        lookup,
        "/api/v1/agents".to_string(),
    ] {
        let (st, location, v) = get_as(backup.url(), &token, &path);
        assert_eq!(
            (st, &v["error"]["code"]),
            (503, &json!("CV-5030")),
            "{path}: {v}"
        );
        assert_eq!(location.as_deref(), Some(primary.url()), "{path}");
    }
    // An agent's write is refused the same way.
    let (_, body) = vault.login_entry("by agent", "x", "y");
    assert_error(
        &call(
            backup.url(),
            "POST",
            "/api/v1/entries",
            Some(&token),
            Some(&body),
        ),
        503,
        "CV-5030",
    );
    // Owner reads stay served; nothing was written for the agent on the backup.
    assert!(readable(&vault, &backup.server, &ids[1]));
    assert!(audit_of(&vault, &backup.server, &agent)
        .iter()
        .all(|e| e["pop_id"] == "calgary-01"));

    primary.server.kill9();
    promote(&mut backup, &keys, ("paris-01", free_port()));

    // The same read now succeeds on the promoted POP...
    let (st, v) = agent_read(backup.url(), &token, &ids[1]);
    assert_eq!(st, 200, "{v}");
    assert_eq!(agent_read(backup.url(), &token, &ids[2]).0, 200);
    // ...and counts: with the read the primary served, the hour holds three
    // distinct entries, so a fourth is over the limit.
    assert_error(&agent_read(backup.url(), &token, &ids[3]), 429, "CV-4290");
    // Audited in the promoted POP's own chain.
    let events = audit_of(&vault, &backup.server, &agent);
    let here: Vec<(String, String, String)> = events
        .iter()
        .filter(|e| e["pop_id"] == "zurich-01")
        .map(|e| {
            (
                e["entry_id"].as_str().unwrap_or("").to_string(),
                e["outcome"].as_str().unwrap_or("").to_string(),
                e["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        here,
        vec![
            (ids[3].clone(), "denied".into(), "rate_limited".into()),
            (ids[2].clone(), "success".into(), String::new()),
            (ids[1].clone(), "success".into(), String::new()),
        ],
        "{events:?}"
    );
    let (st, v) = vault.call(&backup.server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");
}

/// An agent rotated, deleted or locked on the primary shortly before the
/// primary is lost: the promoted backup refuses the old token, the deleted
/// agent, and keeps the lock. Before v1.1 a backup served agents and wrote
/// their records itself, so its own write could win last-write-wins over the
/// primary's rotate or delete.
#[test]
fn rotate_delete_and_lock_on_the_primary_hold_on_the_promoted_backup() {
    let keys = Keys::new();
    let (mut primary, mut backup) = start_pair(&keys);
    let vault = TestVault::create(&primary.server);
    let ids: Vec<String> = (0..3)
        .map(|i| put_entry(&vault, &primary.server, &format!("svc {i}")))
        .collect();
    let all = json!({"name": "bot", "all_access": true});
    let (rotated, old_token) = new_agent(&primary.server, &vault, all.clone());
    let (deleted, deleted_token) = new_agent(&primary.server, &vault, all.clone());
    let (kept, kept_token) = new_agent(&primary.server, &vault, all);
    let (locked, locked_token) = new_agent(
        &primary.server,
        &vault,
        json!({"name": "greedy", "all_access": true, "rate_limit_minute": 1, "rate_limit_hour": 1}),
    );
    for t in [&old_token, &deleted_token, &kept_token, &locked_token] {
        assert_eq!(agent_read(primary.url(), t, &ids[0]).0, 200);
        // Meanwhile the backup serves no agent (and so writes no agent record).
        assert_eq!(agent_read(backup.url(), t, &ids[0]).0, 503);
    }
    // Two violations lock the greedy agent on the primary.
    assert_error(
        &agent_read(primary.url(), &locked_token, &ids[1]),
        429,
        "CV-4290",
    );
    assert_error(
        &agent_read(primary.url(), &locked_token, &ids[2]),
        423,
        "CV-4230",
    );

    let (st, v) = vault.call(
        &primary.server,
        "POST",
        &format!("/api/v1/agents/{rotated}/rotate"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let new_token = v["token"].as_str().unwrap().to_string();
    let rotated_version = v["version"].clone();
    let (st, v) = vault.call(
        &primary.server,
        "DELETE",
        &format!("/api/v1/agents/{deleted}"),
        None,
    );
    assert_eq!(st, 200, "{v}");

    // The changes reach the backup (asynchronously: a change the primary
    // never sent is lost with it), and the primary is lost at once.
    let show = |id: &str| vault.call(&backup.server, "GET", &format!("/api/v1/agents/{id}"), None);
    assert!(
        wait_until(SYNC, || show(&rotated).1["version"] == rotated_version
            && show(&deleted).0 == 404
            && show(&locked).1["locked"] == json!(true)),
        "primary:\n{}\nbackup:\n{}",
        primary.server.log(),
        backup.server.log()
    );
    primary.server.kill9();
    promote(&mut backup, &keys, ("paris-01", free_port()));

    assert_error(
        &agent_read(backup.url(), &old_token, &ids[0]),
        401,
        "CV-2002",
    );
    assert_eq!(agent_read(backup.url(), &new_token, &ids[0]).0, 200);
    assert_error(
        &agent_read(backup.url(), &deleted_token, &ids[0]),
        401,
        "CV-2002",
    );
    assert_error(
        &agent_read(backup.url(), &locked_token, &ids[0]),
        423,
        "CV-4230",
    );
    assert_eq!(agent_read(backup.url(), &kept_token, &ids[0]).0, 200);
    // The lock is the promoted POP's to lift now.
    let (st, v) = vault.call(
        &backup.server,
        "POST",
        &format!("/api/v1/agents/{locked}/unlock"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(agent_read(backup.url(), &locked_token, &ids[0]).0, 200);
    let _ = kept;
}
