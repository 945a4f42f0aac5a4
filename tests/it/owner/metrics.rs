//! `GET /metrics`: Prometheus text format, read back with the reference
//! parser (the Prometheus project's Python client, Debian package
//! python3-prometheus-client; `make test-deps` installs it), counters that
//! move with the traffic, and no id, title, token or address in any label.

use crate::common;
use common::*;

use std::io::Write;
use std::process::{Command, Stdio};

/// One sample as the reference parser returned it.
#[derive(Debug, Clone)]
struct Sample {
    family_type: String,
    name: String,
    labels: serde_json::Map<String, Value>,
    value: f64,
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.append({"type": fam.type, "name": s.name, "labels": s.labels,
                    "value": "+Inf" if s.value == float("inf") else s.value})
print(json.dumps(out))
"#;

/// A Python interpreter that has `prometheus_client`; fails loudly if there is none.
fn python() -> &'static str {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import prometheus_client.parser"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return py;
        }
    }
    panic!(
        "no python3 with prometheus_client: install the Debian package python3-prometheus-client \
         (`make test-deps` does) — this test parses /metrics with the reference parser"
    );
}

/// Parses exposition text with the reference parser; panics with the parser's error.
fn parse(text: &str) -> Vec<Sample> {
    let mut child = Command::new(python())
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the Prometheus parser refused /metrics:\n{}\n--- text ---\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    parsed
        .into_iter()
        .map(|v| Sample {
            family_type: v["type"].as_str().unwrap().to_string(),
            name: v["name"].as_str().unwrap().to_string(),
            labels: v["labels"].as_object().unwrap().clone(),
            value: match &v["value"] {
                Value::String(s) if s == "+Inf" => f64::INFINITY,
                other => other.as_f64().unwrap(),
            },
        })
        .collect()
}

/// Raw scrape: (status, content type, body).
fn scrape_raw(server: &TestServer, token: Option<&str>) -> (u16, String, String) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    let (st, h, body) = raw(&server.url, "GET", "/metrics", &headers, b"");
    let ct = h
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (st, ct, String::from_utf8(body).unwrap())
}

fn scrape(server: &TestServer) -> (String, Vec<Sample>) {
    let (st, ct, text) = scrape_raw(server, None);
    assert_eq!(st, 200, "{text}");
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    let samples = parse(&text);
    (text, samples)
}

/// The value of the sample `name` whose labels include all of `labels` (0 if absent).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).and_then(Value::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

fn requests(samples: &[Sample], route: &str, method: &str, status: &str) -> f64 {
    value(
        samples,
        "clavitor_http_requests_total",
        &[("route", route), ("method", method), ("status", status)],
    )
}

#[test]
fn metrics_parse_and_request_counters_move_by_route_pattern() {
    let server = TestServer::start();
    let (_, before) = scrape(&server);
    let types: std::collections::BTreeMap<_, _> = before
        .iter()
        .map(|s| (s.name.as_str(), s.family_type.as_str()))
        .collect();
    assert_eq!(types.get("clavitor_audit_rows_total"), Some(&"counter"));
    assert_eq!(types.get("clavitor_http_open_connections"), Some(&"gauge"));
    let edition = if cfg!(feature = "commercial") {
        "commercial"
    } else {
        "community"
    };
    assert_eq!(
        value(&before, "clavitor_build_info", &[("edition", edition)]),
        1.0
    );
    assert!(value(&before, "process_start_time_seconds", &[]) > 1.0e9);

    for _ in 0..3 {
        assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    }
    let id = "0123456789abcdef0123456789abcdef";
    let unauth = call(
        &server.url,
        "GET",
        &format!("/api/v1/entries/{id}"),
        None,
        None,
    );
    assert_eq!(unauth.0, 401);
    assert_eq!(call(&server.url, "POST", "/healthz", None, None).0, 405);
    assert_eq!(get(&format!("{}/wp-login.php", server.url)).0, 404);

    let (text, after) = scrape(&server);
    assert_eq!(
        requests(&after, "/healthz", "GET", "200") - requests(&before, "/healthz", "GET", "200"),
        3.0
    );
    assert_eq!(
        requests(&after, "/api/v1/entries/{entry_id}", "GET", "401"),
        1.0
    );
    assert_eq!(requests(&after, "/healthz", "POST", "405"), 1.0);
    assert_eq!(requests(&after, "unmatched", "GET", "404"), 1.0);
    // The first scrape is counted once its reply is out.
    assert_eq!(requests(&after, "/metrics", "GET", "200"), 1.0);
    assert!(!text.contains(id) && !text.contains("wp-login"), "{text}");

    // The histogram is consistent: cumulative buckets, +Inf equal to the count.
    let hist = "clavitor_http_request_duration_seconds";
    let buckets: Vec<&Sample> = after
        .iter()
        .filter(|s| {
            s.name == format!("{hist}_bucket")
                && s.labels.get("route").and_then(Value::as_str) == Some("/healthz")
        })
        .collect();
    assert!(buckets.len() >= 2, "{text}");
    assert!(buckets.windows(2).all(|w| w[0].value <= w[1].value));
    let last = buckets.last().unwrap();
    assert_eq!(last.labels["le"], "+Inf");
    let count = value(&after, &format!("{hist}_count"), &[("route", "/healthz")]);
    assert_eq!(last.value, count);
    assert!(count >= 3.0);
    assert!(value(&after, &format!("{hist}_sum"), &[("route", "/healthz")]) > 0.0);
}

#[test]
fn audit_writes_and_agent_denials_by_reason_are_counted() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let sid = new_scope(&server, &vault, "work");
    let (id_in, mut body) = vault.login_entry("Mail server", "alice", "pw-in");
    body["scopes"] = json!([sid]);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let (id_out, body) = vault.login_entry("Bank", "bob", "pw-out");
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
    let token = agent["token"].as_str().unwrap().to_string();

    let (_, before) = scrape(&server);
    let audit = |s: &[Sample]| value(s, "clavitor_audit_rows_total", &[]);
    let denials = |s: &[Sample], reason: &str| {
        value(s, "clavitor_agent_denials_total", &[("reason", reason)])
    };
    let get_as_agent = |id: &str| {
        call(
            &server.url,
            "GET",
            &format!("/api/v1/entries/{id}"),
            Some(&token),
            None,
        )
    };
    assert_eq!(get_as_agent(&id_in).0, 200);
    assert_error(&get_as_agent(&id_out), 403, "CV-2041");
    assert_error(
        &call(&server.url, "GET", "/api/v1/agents", Some(&token), None),
        403,
        "CV-2041",
    );
    assert_eq!(
        vault
            .call(&server, "GET", &format!("/api/v1/entries/{id_in}"), None)
            .0,
        200
    );
    let (text, after) = scrape(&server);

    // One row each: the agent's read, its two refusals, the owner's read.
    assert_eq!(audit(&after) - audit(&before), 4.0, "{text}");
    // Sequential requests: each commit carries at least one of those rows.
    let commits = |s: &[Sample]| value(s, "clavitor_audit_commits_total", &[]);
    let c = commits(&after) - commits(&before);
    assert!((1.0..=4.0).contains(&c), "{c} commits for 4 rows\n{text}");
    assert_eq!(
        denials(&after, "scope_denied") - denials(&before, "scope_denied"),
        1.0
    );
    assert_eq!(
        denials(&after, "owner_only") - denials(&before, "owner_only"),
        1.0
    );
    assert_eq!(denials(&after, "rate_limited"), 0.0);
    assert_eq!(
        requests(&after, "/api/v1/entries/{entry_id}", "GET", "200"),
        2.0
    );
    assert_eq!(
        requests(&after, "/api/v1/entries/{entry_id}", "GET", "403"),
        1.0
    );
    assert_eq!(requests(&after, "/api/v1/agents", "GET", "403"), 1.0);

    // Labels are patterns and codes only: no id, title, token or address.
    for secret in [
        vault.vault_id.as_str(),
        id_in.as_str(),
        id_out.as_str(),
        "Mail server",
        "alice",
        token.as_str(),
        vault.token.as_str(),
        "127.0.0.1",
    ] {
        assert!(!text.contains(secret), "/metrics contains {secret:?}");
    }
}

#[test]
fn metrics_answers_only_get_and_head() {
    let server = TestServer::start();
    assert_error(
        &call(&server.url, "POST", "/metrics", None, None),
        405,
        "CV-3004",
    );
    let (st, _, body) = raw(&server.url, "HEAD", "/metrics", &[], b"");
    assert_eq!((st, body.len()), (200, 0));
}
