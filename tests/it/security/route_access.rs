//! The router performs each route's access check (the route table's
//! `Access`) before its handler runs: for every owner route, a request
//! without a token is 401 CV-2001 and one with an agent's token is 403
//! CV-2041 (audited as `owner_route`), whatever its ids and body — so no
//! handler can parse, validate or answer anything for a caller it must
//! refuse. Driven by `clavitor::api::routes::table()`, so a new owner
//! route is covered the moment it is added.

use crate::common;
use common::*;

use clavitor::api::routes::{method_name, table, Access};

/// A path for `pattern`: ids well formed (naming nothing) or malformed.
fn concrete(pattern: &str, well_formed: bool) -> String {
    let id = if well_formed {
        "0123456789abcdef0123456789abcdef"
    } else {
        "NOT..an%20id"
    };
    let mut out = String::new();
    for seg in pattern.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if seg.starts_with('{') {
            out.push_str(id);
        } else {
            out.push_str(seg);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Every (method, pattern, owner-only) of the table's routes that need a token.
fn authenticated_routes() -> Vec<(&'static str, String, bool)> {
    table()
        .rows()
        .filter_map(|r| {
            let owner_only = match r.access {
                Access::Owner(_) => true,
                Access::AgentOrOwner(_) => false,
                _ => return None,
            };
            Some((method_name(r.method), r.pattern.to_string(), owner_only))
        })
        .collect()
}

#[test]
fn every_owner_route_refuses_missing_and_agent_tokens_before_its_handler() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (agent_id, agent) = new_agent(
        &server,
        &vault,
        json!({"name": "bot", "all_access": true, "can_write": true}),
    );
    let routes = authenticated_routes();
    assert!(
        routes.iter().filter(|(_, _, owner)| *owner).count() >= 20,
        "the table lost its owner routes: {routes:?}"
    );
    let bodies: [&[u8]; 3] = [b"", b"{not json", br#"{"name":"x","entries":[]}"#];
    let mut agent_refusals = 0;
    for (method, pattern, owner_only) in &routes {
        for well_formed in [true, false] {
            let path = concrete(pattern, well_formed);
            for body in bodies {
                let what = format!("{method} {path} with {:?}", String::from_utf8_lossy(body));
                let (st, _, b) = raw(
                    &server.url,
                    method,
                    &path,
                    &[("Content-Type", "application/json")],
                    body,
                );
                let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
                assert_eq!(
                    (st, v["error"]["code"].as_str()),
                    (401, Some("CV-2001")),
                    "{what} without a token: {v}"
                );
                if !owner_only {
                    continue;
                }
                let got = call_raw_token(&server, method, &path, &agent, body);
                assert_eq!(
                    (got.0, got.1["error"]["code"].as_str()),
                    (403, Some("CV-2041")),
                    "{what} as an agent: {}",
                    got.1
                );
                agent_refusals += 1;
            }
        }
    }
    assert!(agent_refusals > 0);
    // Each agent refusal was audited as an owner-route denial (repeats are counted rows).
    let (st, v) = vault.call(
        &server,
        "GET",
        &format!("/api/v1/audit?actor={agent_id}&limit=1000"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let counted: u64 = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "owner_route" && e["reason"] == "owner_only")
        .map(|e| e["count"].as_u64().unwrap_or(1))
        .sum();
    assert_eq!(counted, agent_refusals, "{v}");
    // Nothing was created for anyone.
    let (_, entries) = vault.call(&server, "GET", "/api/v1/entries", None);
    assert_eq!(
        entries["entries"].as_array().map(Vec::len),
        Some(0),
        "{entries}"
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// The routes anyone may call are a deliberate list: a new route that
/// needs no token (or authenticates itself in its handler instead of by its
/// row) fails here until it is added on purpose.
#[test]
fn routes_without_a_token_are_exactly_the_public_ones() {
    let public: Vec<(&str, String)> = table()
        .rows()
        .filter(|r| matches!(r.access, Access::Anyone(_)))
        .map(|r| (method_name(r.method), r.pattern.to_string()))
        .collect();
    let mut expect = vec![
        ("GET", "/healthz"),
        ("HEAD", "/healthz"),
        ("GET", "/"),
        ("HEAD", "/"),
        ("GET", "/assets/{version}/{file}"),
        ("HEAD", "/assets/{version}/{file}"),
        ("GET", "/assets/{version}/{dir}/{name...}"),
        ("HEAD", "/assets/{version}/{dir}/{name...}"),
        // Vault creation: the setup token or open registration, checked by the handler.
        ("POST", "/api/v1/vaults"),
        // The unlock steps and login: the caller has no token yet.
        ("GET", "/api/v1/vaults/{vault_id}/unlock/{method_id}"),
        ("POST", "/api/v1/vaults/{vault_id}/unlock/{method_id}/open"),
        ("GET", "/api/v1/unlock"),
        ("GET", "/api/v1/unlock/passkey/{credential_id}"),
        ("POST", "/api/v1/session"),
    ];
    let mut got: Vec<(&str, &str)> = public.iter().map(|(m, p)| (*m, p.as_str())).collect();
    got.sort();
    expect.sort();
    assert_eq!(got, expect);
}

fn call_raw_token(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: &[u8],
) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let (st, _, b) = raw(
        &server.url,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}
