//! The community edition (default build): no commercial code in the
//! binary, commercial settings ignored with a warning, immediate 404s,
//! telemetry only when opted in, alerts on stderr only.
use crate::common;
use crate::pops;
use pops::*;

use std::time::{Duration, Instant};

use common::*;
use pops::receiver::Receiver;

/// Strings and symbol fragments only commercial code puts into a binary:
/// the module path in (legacy-mangled) symbols and literals of the
/// replication protocol, the backup role and the tarpit. The same list is
/// used by scripts/check-edition.sh for release binaries.
const COMMERCIAL_MARKERS: &[&str] = &[
    "7edition10commercial",
    "Clavitor-HMAC",
    "X-Primary-Location",
    "replication/apply",
    "CV-5030",
    "X-Request-Queue",
    "tarpit",
];

#[test]
fn the_community_binary_contains_no_commercial_code() {
    let has = |m: &str| file_contains(&bin(), m);
    // Positive control: the scan does see symbols of this binary.
    assert!(
        has("7edition9community"),
        "the scan found no edition symbols at all"
    );
    for marker in COMMERCIAL_MARKERS {
        assert!(!has(marker), "the community binary contains {marker:?}");
    }
}

#[test]
fn replication_config_and_audit_stream_are_ignored_with_a_warning() {
    let server = TestServer::start_with("replication_config: /nonexistent/replication.yaml\naudit_stream: /nonexistent/audit.jsonl\n");
    let log = server.log();
    assert!(
        log.contains("replication_config (/nonexistent/replication.yaml) is ignored"),
        "{log}"
    );
    assert!(
        log.contains("audit_stream (/nonexistent/audit.jsonl) is ignored"),
        "{log}"
    );
    let (_, body) = get(&format!("{}/healthz", server.url));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["edition"].as_str(), v["role"].as_str()),
        (Some("community"), Some("standalone"))
    );
}

#[test]
fn unknown_routes_and_replication_get_an_immediate_404() {
    let server = TestServer::start();
    for (method, path) in [
        ("GET", "/wp-login.php"),
        ("POST", "/api/v1/replication/apply"),
        ("PROPFIND", "/"),
    ] {
        let t = Instant::now();
        let (st, _, _) = raw(&server.url, method, path, &[], b"");
        assert!(st == 404 || st == 405, "{method} {path}: {st}");
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "{method} {path} was held"
        );
    }
}

#[test]
fn telemetry_is_opt_in_and_alerts_stay_on_stderr() {
    let rx = Receiver::start();
    // TELEMETRY_FREQ alone does not opt in.
    let quiet = Proc::spawn("", &[], &[("TELEMETRY_FREQ", "1")]);
    // --telemetry-host does.
    let on = Proc::spawn(
        "",
        &["--telemetry-host", &rx.url],
        &[("TELEMETRY_FREQ", "1")],
    );
    assert!(
        wait_until(Duration::from_secs(10), || rx
            .requests("/v1/telemetry")
            .len()
            >= 2),
        "no reports:\n{}",
        on.log()
    );
    let v = rx.requests("/v1/telemetry")[0].json();
    assert_eq!(v["edition"], "community");
    assert!(v["store"]["vaults"].is_number(), "{v}");

    // An alert (a failed reload) goes to stderr, never over HTTP.
    std::fs::write(&on.config_path, "frobnicate: 1\n").unwrap();
    on.signal(1);
    assert!(
        wait_until(Duration::from_secs(5), || on
            .log()
            .contains("OPERATOR ALERT [config]")),
        "{}",
        on.log()
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.requests("/v1/alerts").is_empty());
    drop(quiet);
    // Every report came from the opted-in server (the quiet one has no host).
    let reports = rx.requests("/v1/telemetry").len();
    assert!(reports >= 2);
}
