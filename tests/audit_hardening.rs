//! Issue 12, items 6 and 7 (audit part): a flood of requests with a dead
//! token collapses into a few counted audit rows whose counts are exact,
//! the chain still verifies, and an owner listing is audited.

mod common;
use common::*;

fn audit(server: &TestServer, vault: &TestVault, filter: &str) -> Vec<Value> {
    let (st, b) = vault.call(
        server,
        "GET",
        &format!("/api/v1/audit?limit=1000{filter}"),
        None,
    );
    assert_eq!(st, 200, "audit: {b}");
    b["events"].as_array().unwrap().clone()
}

#[test]
fn a_thousand_requests_with_a_rotated_token_add_a_few_counted_rows() {
    const N: u64 = 1000;
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = {
        let (st, b) = vault.call(
            &server,
            "POST",
            "/api/v1/scopes",
            Some(&json!({"name": "s"})),
        );
        assert_eq!(st, 201, "{b}");
        b["scope_id"].as_str().unwrap().to_string()
    };
    let (agent, old_token) = new_agent(&server, &vault, json!({"name": "a", "scopes": [scope]}));
    let (st, b) = vault.call(
        &server,
        "POST",
        &format!("/api/v1/agents/{agent}/rotate"),
        None,
    );
    assert_eq!(st, 200, "rotate: {b}");
    let rows_before = audit(&server, &vault, "").len();

    // Four clients at once, as a misconfigured fleet would.
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..N / 4 {
                    let r = call(
                        &server.url,
                        "GET",
                        "/api/v1/entries/lookup?title=x",
                        Some(&old_token),
                        None,
                    );
                    assert_error(&r, 401, "CV-2002");
                }
            });
        }
    });

    let rows = audit(&server, &vault, &format!("&actor={agent}&outcome=denied"));
    let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total, N, "the counts are exact: {rows:#?}");
    assert!(
        rows.len() <= 6,
        "{N} refusals made {} rows: {rows:#?}",
        rows.len()
    );
    for r in &rows {
        assert_eq!(r["reason"], "token_invalid", "{r}");
        assert_eq!(r["action"], "authenticate", "{r}");
    }
    // The oldest row is the first refusal, recorded on its own.
    assert_eq!(rows.last().unwrap()["count"], 1, "{rows:#?}");
    // The whole log grew by those rows (and the listings' own rows) only.
    let all = audit(&server, &vault, "");
    assert!(
        all.len() <= rows_before + rows.len() + 2,
        "log grew from {rows_before} to {} rows",
        all.len()
    );
    // Counted rows are part of the chain.
    let (st, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");

    // Later refusals are still counted, and still exactly.
    for _ in 0..7 {
        let r = call(
            &server.url,
            "GET",
            "/api/v1/entries/lookup?title=x",
            Some(&old_token),
            None,
        );
        assert_error(&r, 401, "CV-2002");
    }
    let rows = audit(&server, &vault, &format!("&actor={agent}&outcome=denied"));
    let total: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(total, N + 7, "{rows:#?}");
    let (st, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");
}

#[test]
fn the_owner_listing_is_audited() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    new_login(&server, &vault, "Bank", "pw");
    let lists = |vault: &TestVault| audit(&server, vault, "&action=list").len();
    assert_eq!(lists(&vault), 0);
    let (st, b) = vault.call(&server, "GET", "/api/v1/entries", None);
    assert_eq!(st, 200, "{b}");
    let rows = audit(&server, &vault, "&action=list");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0]["actor_kind"], "owner");
    assert_eq!(rows[0]["outcome"], "success");
    assert_eq!(rows[0]["count"], 1);
    assert!(rows[0]["entry_id"].is_null());
}
