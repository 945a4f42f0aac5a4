use crate::common;
use common::*;

#[test]
fn agent_reads_in_scope_and_is_denied_outside() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let sid = new_scope(&server, &vault, "work");
    let (id_in, mut body) = vault.login_entry("In", "alice", "pw-in");
    body["scopes"] = json!([sid]);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let (id_out, body) = vault.login_entry("Out", "bob", "pw-out");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let (st, agent) = vault.call(
        &server,
        "POST",
        "/api/v1/agents",
        Some(&json!({"name": "bot", "scopes": [sid]})),
    );
    assert_eq!(st, 201, "{agent}");
    let token = agent["token"].as_str().unwrap();
    let (st, v) = call(
        &server.url,
        "GET",
        &format!("/api/v1/entries/{id_in}"),
        Some(token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        vault.open_l2(
            &id_in,
            "password",
            v["fields"][1]["value"].as_str().unwrap()
        ),
        "pw-in"
    );
    let denied = call(
        &server.url,
        "GET",
        &format!("/api/v1/entries/{id_out}"),
        Some(token),
        None,
    );
    assert_error(&denied, 403, "CV-2041");
    let missing = call(
        &server.url,
        "GET",
        "/api/v1/entries/00000000000000000000000000000000",
        Some(token),
        None,
    );
    assert_eq!(missing, denied);
    let (st, v) = call(
        &server.url,
        "GET",
        "/api/v1/entries/lookup?title=in",
        Some(token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_error(
        &call(&server.url, "GET", "/api/v1/agents", Some(token), None),
        403,
        "CV-2041",
    );
    let (st, audit) = vault.call(&server, "GET", "/api/v1/audit", None);
    assert_eq!(st, 200);
    let reasons: Vec<_> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert!(
        reasons.contains(&"scope_denied") && reasons.contains(&"owner_only"),
        "{audit}"
    );
    let (st, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");
}

#[test]
fn fourth_distinct_read_in_a_minute_is_limited_then_locked() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (_, scope) = vault.call(
        &server,
        "POST",
        "/api/v1/scopes",
        Some(&json!({"name": "s"})),
    );
    let sid = scope["scope_id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..6 {
        let (id, mut body) = vault.login_entry(&format!("e{i}"), "u", "p");
        body["scopes"] = json!([sid]);
        assert_eq!(
            vault
                .call(&server, "POST", "/api/v1/entries", Some(&body))
                .0,
            201
        );
        ids.push(id);
    }
    let (_, agent) = vault.call(
        &server,
        "POST",
        "/api/v1/agents",
        Some(&json!({"name": "bot", "scopes": [sid]})),
    );
    let token = agent["token"].as_str().unwrap().to_string();
    let get = |id: &str| {
        call(
            &server.url,
            "GET",
            &format!("/api/v1/entries/{id}"),
            Some(&token),
            None,
        )
        .0
    };
    assert_eq!(
        [get(&ids[0]), get(&ids[1]), get(&ids[2]), get(&ids[0])],
        [200, 200, 200, 200]
    );
    assert_eq!(get(&ids[3]), 429);
    assert_eq!(get(&ids[4]), 423);
    assert_eq!(get(&ids[0]), 423, "locked even for re-reads");
    let mut server = server;
    server.restart();
    assert_eq!(
        call(
            &server.url,
            "GET",
            &format!("/api/v1/entries/{}", ids[0]),
            Some(&token),
            None
        )
        .0,
        423
    );
    let aid = agent["agent_id"].as_str().unwrap();
    let mut vault = vault;
    vault.login(&server);
    assert_eq!(
        vault
            .call(
                &server,
                "POST",
                &format!("/api/v1/agents/{aid}/unlock"),
                None
            )
            .0,
        200
    );
    assert_eq!(
        call(
            &server.url,
            "GET",
            &format!("/api/v1/entries/{}", ids[0]),
            Some(&token),
            None
        )
        .0,
        200
    );
}
