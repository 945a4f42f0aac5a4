//! Issue 12, items 6 and 7 (audit part): a flood of requests with a dead
//! token collapses into a few counted audit rows whose counts are exact,
//! the chain still verifies, and an owner listing is audited.

use crate::common;
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

fn cli_ok(server: &TestServer, args: &[&str]) -> String {
    let out = server.cli(args);
    assert!(
        out.status.success(),
        "clavitor {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn cli_init(server: &TestServer) {
    let pass = server.dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    cli_ok(
        server,
        &[
            "init",
            "--server",
            &server.url,
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    );
}

/// Item 5: rows deleted from the end of the chain behind the server's back
/// leave a chain that verifies on its own; the client remembers the head it
/// verified and fails, naming it.
#[test]
fn deleting_the_newest_audit_rows_fails_audit_verify_naming_the_last_verified_seq() {
    let server = TestServer::start();
    cli_init(&server);
    for i in 0..3 {
        cli_ok(&server, &["scope", "create", &format!("s{i}")]);
    }
    let first = cli_ok(&server, &["audit", "--verify"]);
    assert!(first.contains("intact"), "{first}");
    let v: Value =
        serde_json::from_str(&cli_ok(&server, &["--json", "audit", "--verify"])).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    let head = v["heads"][0]["seq"].as_i64().unwrap();
    assert!(head >= 4, "{v}");
    // The heads file is the owner's alone.
    use std::os::unix::fs::PermissionsExt;
    let heads_file = server.dir.path().join("xdg/clavitor/audit-heads.json");
    let mode = std::fs::metadata(&heads_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "audit-heads.json mode {mode:o}");

    // Behind the server's back: the newest three rows go.
    let db = rusqlite::Connection::open(server.data_dir().join("clavitor.db")).unwrap();
    let removed = db
        .execute(
            "DELETE FROM audit WHERE seq > (SELECT MAX(seq) - 3 FROM audit)",
            [],
        )
        .unwrap();
    assert_eq!(removed, 3);
    drop(db);
    // The chain alone still verifies: that is why the client must remember.
    let vault: Value = serde_json::from_str(
        &std::fs::read_to_string(server.dir.path().join("xdg/clavitor/session.json")).unwrap(),
    )
    .unwrap();
    let token = vault["token"].as_str().unwrap();
    let (st, raw_verify) = call(
        &server.url,
        "GET",
        "/api/v1/audit/verify",
        Some(token),
        None,
    );
    assert_eq!(
        (st, raw_verify["ok"].clone()),
        (200, json!(true)),
        "{raw_verify}"
    );

    let out = server.cli(&["audit", "--verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("TRUNCATED"), "{err}");
    assert!(
        err.contains(&format!("seq {head}")),
        "names seq {head}: {err}"
    );
    // New rows reusing the removed seqs do not hide it.
    for i in 3..8 {
        cli_ok(&server, &["scope", "create", &format!("s{i}")]);
    }
    let out = server.cli(&["audit", "--verify"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains(&format!("seq {head}")), "{err}");
    assert!(
        err.contains("REWRITTEN") || err.contains("TRUNCATED"),
        "{err}"
    );
}

/// Item 7: owner-set rate limits have an upper bound, with a clear error.
#[test]
fn agent_rate_limits_have_an_upper_bound() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    for (minute, hour) in [
        (1001, 2000),
        (10, 10_001),
        (4_000_000_000u64, 4_000_000_000u64),
    ] {
        let r = vault.call(
            &server,
            "POST",
            "/api/v1/agents",
            Some(&json!({"name": "a", "scopes": [scope], "rate_limit_minute": minute, "rate_limit_hour": hour})),
        );
        assert_error(&r, 400, "CV-1004");
        let msg = r.1["error"]["message"].as_str().unwrap();
        assert!(msg.contains("rate_limit_"), "{msg}");
        assert!(
            msg.contains("1000") || msg.contains("10000"),
            "names the bound: {msg}"
        );
    }
    let (agent, _) = new_agent(
        &server,
        &vault,
        json!({"name": "b", "scopes": [scope], "rate_limit_minute": 1000, "rate_limit_hour": 10000}),
    );
    let r = vault.call(
        &server,
        "PUT",
        &format!("/api/v1/agents/{agent}"),
        Some(&json!({"rate_limit_minute": 5000})),
    );
    assert_error(&r, 400, "CV-1004");
}

/// Item 7: the CLI refuses plain http:// to another machine, for owner and
/// agent credentials alike, unless told the path is trusted.
#[test]
fn the_cli_refuses_plain_http_to_another_machine() {
    let server = TestServer::start();
    let remote = "http://198.51.100.7:1984";
    let out = server.cli(&["login", "--server", remote, "--vault", &"ab".repeat(16)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("plain http://") && err.contains("--insecure-http"),
        "{err}"
    );
    // An agent credential naming such a server is refused the same way.
    cli_init(&server);
    let scope: Value =
        serde_json::from_str(&cli_ok(&server, &["--json", "scope", "create", "s"])).unwrap();
    let agent: Value = serde_json::from_str(&cli_ok(
        &server,
        &[
            "--json",
            "agent",
            "create",
            "bot",
            "--scope",
            scope["scope_id"].as_str().unwrap(),
        ],
    ))
    .unwrap();
    let cred = agent["credential"].as_str().unwrap();
    // Loopback is fine without the flag.
    let out = server.cli_env(&["get", "nothing"], &[("CLAVITOR_CREDENTIAL", cred)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("plain http://"), "{err}");
    // The same credential, minted for a server on another machine.
    let mut decoded = clavitor::crypto::token::ClientCredential::decode(cred).unwrap();
    decoded.server_url = remote.to_string();
    let elsewhere = decoded.encode().unwrap();
    let out = server.cli_env(
        &["get", "nothing"],
        &[("CLAVITOR_CREDENTIAL", elsewhere.as_str())],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "agent credential: {err}");
    assert!(err.contains("--insecure-http"), "{err}");
    // (That the flag lifts the refusal is checked in `cli::client`'s unit
    // tests: here nothing listens on another machine to connect to.)
    let cfg = server.dir.path().join("xdg/clavitor/config.json");
    std::fs::write(&cfg, format!("{{\"server\": \"{remote}\"}}")).unwrap();
    let out = server.cli(&["login", "--vault", &"ab".repeat(16)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "saved server: {err}");
    assert!(err.contains("--insecure-http"), "{err}");
}
