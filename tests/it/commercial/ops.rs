//! Operator-facing services of the commercial edition, against a small
//! HTTP receiver on loopback: alerts, telemetry (aggregate health only),
//! the SIEM audit stream with rotation, the control-plane heartbeat.
use crate::common;
use crate::pops;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::*;
use pops::receiver::Receiver;
use pops::*;

fn token_file(dir: &std::path::Path, name: &str, token: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{token}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

#[test]
fn replication_failures_raise_an_alert_on_stderr_and_to_the_telemetry_host() {
    let rx = Receiver::start();
    let keys = Keys::new();
    let tok = token_file(keys.dir.path(), "telemetry.token", "alert-token-1");
    let mut spec = PopSpec::new("calgary-01", "primary", Some(("zurich-01", free_port())));
    spec.extra = "replication: {max_retries: 1}\n".into();
    let config = format!(
        "telemetry: {{enabled: false, host: \"{}\", token_file: {}}}\n",
        rx.url,
        tok.display()
    );
    let primary = Pop::start(spec, &keys, &config);
    let vault = TestVault::create(&primary.server);
    put_entry(&vault, &primary.server, "Payroll admin");

    assert!(
        wait_until(Duration::from_secs(10), || !rx
            .requests("/v1/alerts")
            .is_empty()),
        "no alert posted:\n{}",
        primary.server.log()
    );
    let alert = &rx.requests("/v1/alerts")[0];
    assert_eq!(alert.method, "POST");
    assert_eq!(alert.header("authorization"), Some("Bearer alert-token-1"));
    let v = alert.json();
    let mut keys_seen: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys_seen.sort();
    assert_eq!(
        keys_seen,
        [
            "details",
            "edition",
            "hostname",
            "message",
            "pop_region",
            "timestamp",
            "type"
        ]
    );
    assert_eq!(
        (
            v["edition"].as_str(),
            v["type"].as_str(),
            v["pop_region"].as_str()
        ),
        (Some("commercial"), Some("replication"), Some("test-region"))
    );
    assert_eq!(v["details"]["backup_pop"], "zurich-01");
    assert!(
        !alert.body.contains("Payroll") && !alert.body.contains(&vault.vault_id),
        "{}",
        alert.body
    );
    assert!(
        primary
            .server
            .log()
            .contains("OPERATOR ALERT [replication]"),
        "{}",
        primary.server.log()
    );
    assert!(
        rx.requests("/v1/telemetry").is_empty(),
        "reports were turned off"
    );
}

#[test]
fn telemetry_is_on_by_default_reports_aggregates_only_and_env_overrides() {
    let rx = Receiver::start();
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("replication.yaml");
    let spec = PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port())));
    std::fs::write(&yaml, spec.yaml(&keys)).unwrap();
    // No `telemetry:` section at all: on by default; the environment supplies host, token, interval, region.
    let config = format!(
        "replication_config: {}\ntoken_key_file: {}\n",
        yaml.display(),
        keys.keyring.display()
    );
    let env = [
        ("TELEMETRY_HOST", rx.url.as_str()),
        ("TELEMETRY_TOKEN", "env-token-2"),
        ("TELEMETRY_FREQ", "1"),
        ("POP_REGION", "eu-test"),
    ];
    let pop = Proc::spawn(&config, &[], &env);
    assert!(
        wait_until(Duration::from_secs(10), || rx
            .requests("/v1/telemetry")
            .len()
            >= 2),
        "no telemetry:\n{}",
        pop.log()
    );
    let report = rx.requests("/v1/telemetry").pop().unwrap();
    assert_eq!(report.header("authorization"), Some("Bearer env-token-2"));
    let v = report.json();
    assert_eq!(v["edition"], "commercial");
    assert_eq!(
        v["pop_region"], "eu-test",
        "POP_REGION overrides replication.yaml"
    );
    assert_eq!(v["role"], "backup");
    assert_eq!(v["store"]["vaults"], 0);
    assert!(
        v["replication"].is_object() && v["tarpit"]["held"].is_number(),
        "{v}"
    );
    // Aggregates only: no addresses of any kind.
    assert!(
        !report.body.contains("127.0.0.1") && !report.body.contains("::1"),
        "{}",
        report.body
    );
}

#[test]
fn audit_stream_appends_json_lines_and_reopens_on_sighup() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("audit.jsonl");
    let mut p = PopSpec::new("calgary-01", "primary", None);
    let b = PopSpec::new("zurich-01", "backup", Some(("calgary-01", p.port)));
    p.peer = Some(("zurich-01".into(), b.port));
    let _backup = Pop::start(b, &keys, "");
    let primary = Pop::start(p, &keys, &format!("audit_stream: {}\n", stream.display()));
    let vault = TestVault::create(&primary.server);
    let id = put_entry(&vault, &primary.server, "Bank login");

    let lines = std::fs::read_to_string(&stream).unwrap();
    let events: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "vault_create" && e["vault_id"] == vault.vault_id.as_str()),
        "{lines}"
    );
    assert!(events.iter().any(|e| e["action"] == "create"
        && e["entry_id"] == id.as_str()
        && e["pop_id"] == "calgary-01"));
    assert!(
        !lines.contains("Bank login") && !lines.contains("s3cret"),
        "{lines}"
    );
    assert_eq!(
        std::fs::metadata(&stream).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Rotation: move the file away, SIGHUP, and new events go to a new file.
    let rotated = dir.path().join("audit.jsonl.1");
    std::fs::rename(&stream, &rotated).unwrap();
    let from = primary.server.log().len();
    primary.server.signal(1);
    assert!(wait_until(Duration::from_secs(5), || primary.server.log()
        [from..]
        .contains("configuration reloaded")));
    let second = put_entry(&vault, &primary.server, "Second");
    let fresh = std::fs::read_to_string(&stream).unwrap();
    assert!(fresh.contains(&second) && !fresh.contains(&id), "{fresh}");
    assert!(!std::fs::read_to_string(&rotated).unwrap().contains(&second));
}

#[test]
fn heartbeat_reaches_the_control_plane() {
    let rx = Receiver::start();
    let keys = Keys::new();
    let tok = token_file(keys.dir.path(), "cp.token", "cp-token-3");
    let mut spec = PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port())));
    spec.extra = format!(
        "control_plane: {{url: \"{}\", token_file: {}, heartbeat_interval: 5}}\n",
        rx.url,
        tok.display()
    );
    let pop = Pop::start(spec, &keys, "");
    assert!(
        wait_until(Duration::from_secs(9), || !rx
            .requests("/v1/heartbeat")
            .is_empty()),
        "no heartbeat:\n{}",
        pop.server.log()
    );
    let hb = &rx.requests("/v1/heartbeat")[0];
    assert_eq!(hb.header("authorization"), Some("Bearer cp-token-3"));
    let v = hb.json();
    assert_eq!(
        (v["pop_id"].as_str(), v["role"].as_str()),
        (Some("zurich-01"), Some("backup"))
    );
}
