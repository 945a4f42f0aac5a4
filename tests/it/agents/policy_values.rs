//! Agent scopes and IP allowlists are parsed once, when the owner's body
//! is read: bad values get 400 CV-1004 naming the element, good ones come
//! back exactly as written, and the stored (parsed) allowlist decides.
use crate::common;
use common::*;

fn message(got: &(u16, Value)) -> &str {
    got.1["error"]["message"].as_str().unwrap_or_default()
}

#[test]
fn bad_scopes_and_allowlists_get_400_naming_the_element_and_good_ones_come_back_as_written() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let sid = new_scope(&server, &vault, "work");
    let refused = [
        (
            json!({"name": "b", "scopes": [sid, "12a"]}),
            "scopes[1]: expected a scope id of four digits (\"0001\"..\"9999\", or \"0000\" for owner-only), got a value of 3 characters",
        ),
        (
            json!({"name": "b", "scopes": ["0000"]}),
            "scopes[0]: 0000 is the owner-only tier and cannot be granted",
        ),
        (
            json!({"name": "b", "scopes": ["0099"]}),
            "scopes[0]: no scope 0099 in this vault (create it first)",
        ),
        (
            json!({"name": "b", "ip_whitelist": ["10.0.0.0/8", "10.0.0.0/33"]}),
            "ip_whitelist[1]: prefix length must be 0 to 32, got a value of 11 characters",
        ),
        (
            json!({"name": "b", "ip_whitelist": ["nope"]}),
            "ip_whitelist[0]: expected an IP address or CIDR like 192.0.2.0/24 or 2001:db8::/32, got a value of 4 characters",
        ),
    ];
    for (body, expected) in refused {
        let got = vault.call(&server, "POST", "/api/v1/agents", Some(&body));
        assert_error(&got, 400, "CV-1004");
        assert_eq!(message(&got), expected, "for {body}");
    }
    let (_, listed) = vault.call(&server, "GET", "/api/v1/agents", None);
    assert_eq!(listed["agents"], json!([]), "nothing was created: {listed}");

    // Kept as written (spaces, a bare address, upper case), scopes deduplicated.
    let (st, agent) = vault.call(
        &server,
        "POST",
        "/api/v1/agents",
        Some(&json!({"name": "bot", "scopes": [sid, sid], "ip_whitelist": [" 127.0.0.1", "::FFFF:127.0.0.0/104"]})),
    );
    assert_eq!(st, 201, "{agent}");
    assert_eq!(agent["scopes"], json!([sid]));
    assert_eq!(
        agent["ip_whitelist"],
        json!([" 127.0.0.1", "::FFFF:127.0.0.0/104"])
    );
    let agent_id = agent["agent_id"].as_str().unwrap();
    let (st, shown) = vault.call(&server, "GET", &format!("/api/v1/agents/{agent_id}"), None);
    assert_eq!(st, 200, "{shown}");
    assert_eq!(
        (&shown["scopes"], &shown["ip_whitelist"]),
        (&agent["scopes"], &agent["ip_whitelist"])
    );

    // The stored allowlist decides: 127.0.0.1 is in it, then it is not.
    let (id, mut body) = vault.login_entry("In", "alice", "pw-in");
    body["scopes"] = json!([sid]);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let token = agent["token"].as_str().unwrap();
    let path = format!("/api/v1/entries/{id}");
    let (st, v) = call(&server.url, "GET", &path, Some(token), None);
    assert_eq!(st, 200, "{v}");
    let (st, v) = vault.call(
        &server,
        "PUT",
        &format!("/api/v1/agents/{agent_id}"),
        Some(&json!({"ip_whitelist": ["192.0.2.0/24"]})),
    );
    assert_eq!(st, 200, "{v}");
    assert_error(
        &call(&server.url, "GET", &path, Some(token), None),
        403,
        "CV-2043",
    );
}
