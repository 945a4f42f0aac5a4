//! Nothing is lost: the backup is down during 500 writes, the primary is
//! killed with SIGKILL halfway and restarted, then the backup returns.
use crate::common;
use crate::pops;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use pops::*;

/// (entry_id → (version, updated_at)) of every live entry.
fn listing(vault: &TestVault, server: &TestServer) -> BTreeMap<String, (i64, String)> {
    let (st, v) = vault.call(server, "GET", "/api/v1/entries", None);
    assert_eq!(st, 200, "{v}");
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entry_id"].as_str().unwrap().to_string(),
                (
                    e["version"].as_i64().unwrap(),
                    e["updated_at"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn backup_down_and_primary_killed_midway_loses_nothing() {
    let keys = Keys::new();
    let (mut primary, mut backup) = start_pair(&keys);
    let vault = TestVault::create(&primary.server);
    let first = put_entry(&vault, &primary.server, "before the outage");
    assert!(wait_until(Duration::from_secs(20), || readable(
        &vault,
        &backup.server,
        &first
    )));

    backup.server.stop();
    let mut ids = vec![first];
    for i in 0..250 {
        ids.push(put_entry(&vault, &primary.server, &format!("outage a{i}")));
    }
    primary.server.kill9();
    primary.server.spawn();
    for i in 0..250 {
        ids.push(put_entry(&vault, &primary.server, &format!("outage b{i}")));
    }
    // Some of them change again and one is deleted: versions and tombstones travel too.
    for id in &ids[1..6] {
        let (_, mut body) = vault.login_entry("edited", "bob", "pw2");
        body["entry_id"] = json!(id);
        let auth = format!("Bearer {}", vault.token);
        let bytes = serde_json::to_vec(&body).unwrap();
        let (st, _, b) = raw(
            primary.url(),
            "PUT",
            &format!("/api/v1/entries/{id}"),
            &[
                ("Authorization", &auth),
                ("If-Match", "\"1\""),
                ("Content-Type", "application/json"),
            ],
            &bytes,
        );
        assert_eq!(st, 200, "{}", String::from_utf8_lossy(&b));
    }
    let gone = ids.pop().unwrap();
    assert_eq!(
        vault
            .call(
                &primary.server,
                "DELETE",
                &format!("/api/v1/entries/{gone}"),
                None
            )
            .0,
        200
    );

    let back = Instant::now();
    backup.server.spawn();
    let want = listing(&vault, &primary.server);
    assert_eq!(want.len(), 500);
    // The primary is in back-off (1, 5, 25 s…); within 60 s everything is there.
    let synced = wait_until(Duration::from_secs(60), || {
        listing(&vault, &backup.server) == want
    });
    assert!(
        synced,
        "backup incomplete after 60 s:\nprimary:\n{}",
        primary.server.log()
    );
    println!(
        "backup complete {:.1} s after it came back",
        back.elapsed().as_secs_f64()
    );
    assert!(
        !readable(&vault, &backup.server, &gone),
        "the tombstone did not replicate"
    );
    for id in &ids {
        let a = vault.call(
            &primary.server,
            "GET",
            &format!("/api/v1/entries/{id}"),
            None,
        );
        let b = vault.call(
            &backup.server,
            "GET",
            &format!("/api/v1/entries/{id}"),
            None,
        );
        assert_eq!(a, b, "entry {id} differs");
    }
    let (_, v) = vault.call(&backup.server, "GET", "/api/v1/audit/verify", None);
    assert_eq!(v["ok"], json!(true), "{v}");
    assert!(
        primary.server.log().contains("retrying in"),
        "no back-off seen:\n{}",
        primary.server.log()
    );
}
