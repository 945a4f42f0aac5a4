//! `POST /api/v1/import/parse` (the web UI's stateless parser) and the
//! `username` in entry summaries that duplicate detection relies on.

use super::harness as import_common;
use crate::common;

use common::*;
use import_common::*;

#[test]
fn parse_route_answers_items_and_stores_nothing() {
    let o = owner();
    let body = std::fs::read(own("safari/passwords.csv")).unwrap();
    let auth = format!("Bearer {}", o.token);
    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse?filename=pw.csv",
        &[("Authorization", &auth)],
        &body,
    );
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["format"], "safari-csv");
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    assert_eq!(v["items"][0]["password"], "Appl3-ID!");
    assert_eq!(o.count(), 0);
    let log = o.server.log();
    assert!(
        !log.contains("Appl3-ID!") && !log.contains("pw.csv"),
        "{log}"
    );

    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse?format=chrome-csv",
        &[("Authorization", &auth)],
        &body,
    );
    let e: Value = serde_json::from_slice(&b).unwrap();
    assert_error(&(st, e), 400, "CV-1032");
    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse?format=nope",
        &[("Authorization", &auth)],
        &body,
    );
    assert_error(&(st, serde_json::from_slice(&b).unwrap()), 400, "CV-1031");
    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse",
        &[("Authorization", &auth)],
        b"\x00\x01\x02",
    );
    assert_error(&(st, serde_json::from_slice(&b).unwrap()), 400, "CV-1030");
    let (st, _, b) = raw(&o.server.url, "POST", "/api/v1/import/parse", &[], &body);
    assert_error(&(st, serde_json::from_slice(&b).unwrap()), 401, "CV-2001");
    let (st, _, b) = raw(
        &o.server.url,
        "GET",
        "/api/v1/import/parse",
        &[("Authorization", &auth)],
        b"",
    );
    assert_error(&(st, serde_json::from_slice(&b).unwrap()), 405, "CV-3004");

    // An agent may not use it.
    let (_, scope) = call(
        &o.server.url,
        "POST",
        "/api/v1/scopes",
        Some(&o.token),
        Some(&json!({"name": "s"})),
    );
    let (_, agent) = call(
        &o.server.url,
        "POST",
        "/api/v1/agents",
        Some(&o.token),
        Some(&json!({"name": "a", "scopes": [scope["scope_id"]]})),
    );
    let agent_auth = format!("Bearer {}", agent["token"].as_str().unwrap());
    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse",
        &[("Authorization", &agent_auth)],
        &body,
    );
    assert_error(&(st, serde_json::from_slice(&b).unwrap()), 403, "CV-2041");
}

#[test]
fn entry_summaries_carry_the_l1_username_only() {
    let o = owner();
    o.import(&own("bitwarden/personal.json"), &[]);
    let (_, list) = call(
        &o.server.url,
        "GET",
        "/api/v1/entries",
        Some(&o.token),
        None,
    );
    let by_title = |t: &str| {
        list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["title"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(by_title("GitHub")["username"], "octo-alice");
    assert_eq!(by_title("Visa Platinum")["username"], "");
    assert!(
        !list.to_string().contains("cv1.l2."),
        "no sealed values in summaries"
    );
}

#[test]
fn parse_route_takes_import_sized_bodies_within_the_import_limit() {
    let o = owner_with("limits: {max_body: 64KiB, max_import_body: 1MiB, idle_timeout_s: 30}\n");
    let auth = format!("Bearer {}", o.token);
    let mut csv = String::from("name,url,username,password\n");
    let mut i = 0;
    while csv.len() < 200 * 1024 {
        csv.push_str(&format!(
            "site{i}.example.com,https://site{i}.example.com/,user{i},pw-{i}\n"
        ));
        i += 1;
    }
    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse",
        &[("Authorization", &auth)],
        csv.as_bytes(),
    );
    let v: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(st, 200, "above max_body, under max_import_body: {v}");
    assert_eq!(v["items"].as_array().unwrap().len(), i);
    let big = csv.repeat(6);
    let (st, _, b) = raw(
        &o.server.url,
        "POST",
        "/api/v1/import/parse",
        &[("Authorization", &auth)],
        big.as_bytes(),
    );
    assert_error(&(st, serde_json::from_slice(&b).unwrap()), 413, "CV-1010");
}
