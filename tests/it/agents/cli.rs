//! Agents through the real CLI against a real server: scopes, agent
//! credentials (environment and file), scope enforcement, owner-only
//! commands, rate limits, rotation, agent writes, and the audit log.

use crate::common;
use common::*;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

const PASSPHRASE: &str = "correct horse battery staple";

/// Runs the CLI with `CLAVITOR_CREDENTIAL` set.
fn as_agent(server: &TestServer, credential: &str, args: &[&str]) -> CliRun {
    server.run_cli(args, &[("CLAVITOR_CREDENTIAL", credential)])
}

/// Parses stdout as exactly one JSON object.
fn one_object(out: &str) -> Value {
    let mut it = serde_json::Deserializer::from_str(out).into_iter::<Value>();
    let first = it.next().expect("one JSON value").expect("valid JSON");
    assert!(it.next().is_none(), "more than one JSON value in {out:?}");
    assert!(first.is_object(), "not an object: {out}");
    first
}

fn write_file(server: &TestServer, name: &str, text: &str, mode: u32) -> String {
    let p: PathBuf = server.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p.display().to_string()
}

/// A vault made with `clavitor init --passphrase-file`, logged in.
fn init(server: &TestServer) {
    let pass = write_file(server, "pass.txt", &format!("{PASSPHRASE}\n"), 0o600);
    server.cli_ok(&["init", "--server", &server.url, "--passphrase-file", &pass]);
}

fn scope_create(server: &TestServer, name: &str) -> String {
    let v = one_object(&server.cli_ok(&["--json", "scope", "create", name]));
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    assert_eq!(v["name"], name);
    v["scope_id"].as_str().unwrap().to_string()
}

/// `agent create --json`; returns (agent_id, credential).
fn agent_create(server: &TestServer, name: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["--json", "agent", "create", name];
    args.extend_from_slice(extra);
    let v = one_object(&server.cli_ok(&args));
    assert_eq!(
        v.as_object().unwrap().len(),
        2,
        "exactly agent_id and credential: {v}"
    );
    let cred = v["credential"].as_str().unwrap().to_string();
    assert!(cred.starts_with("cvc1."), "{cred}");
    (v["agent_id"].as_str().unwrap().to_string(), cred)
}

fn events(server: &TestServer, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--json", "audit"];
    args.extend_from_slice(extra);
    let v = one_object(&server.cli_ok(&args));
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    v["events"].as_array().unwrap().clone()
}

#[test]
fn agent_reads_its_scope_only_is_rate_limited_and_audited() {
    let server = TestServer::start();
    init(&server);
    let work = scope_create(&server, "work");
    assert_eq!(work, "0001");
    server.cli_ok(&[
        "put",
        "login",
        "--title",
        "Deploy",
        "--field",
        "username=ci",
        "--field",
        "password=pw-in",
        "--scope",
        &work,
    ]);
    server.cli_ok(&[
        "put",
        "login",
        "--title",
        "Personal",
        "--field",
        "password=pw-out",
    ]);
    server.cli_ok(&[
        "put",
        "card",
        "--title",
        "Corp card",
        "--field",
        "cardholder=ACME",
        "--field",
        "number=4111111111111111",
        "--scope",
        &work,
    ]);
    for t in ["E3", "E4", "E5"] {
        server.cli_ok(&["put", "note", "--title", t, "--scope", &work]);
    }
    let (agent_id, cred) = agent_create(&server, "ci-bot", &["--scope", &work]);

    let r = as_agent(&server, &cred, &["get", "Deploy", "--field", "password"]);
    assert_eq!((r.code, r.out.as_str()), (0, "pw-in\n"), "{}", r.err);
    // L3 values never reach an agent: the card's number is simply absent.
    let card = as_agent(&server, &cred, &["--json", "get", "Corp card"]);
    assert_eq!(card.code, 0, "{}", card.err);
    let card = one_object(&card.out);
    assert_eq!(card["fields"].as_array().unwrap().len(), 1, "{card}");
    assert_eq!(card["fields"][0]["value"], "ACME");

    let denied = as_agent(&server, &cred, &["get", "Personal"]);
    assert_eq!(denied.code, 3, "{}", denied.err);
    assert!(
        !denied.err.contains(&cred) && !denied.err.contains("pw-out"),
        "{}",
        denied.err
    );
    for args in [
        &["list"][..],
        &["rm", &agent_id],
        &["audit"],
        &["agent", "list"],
        &["scope", "list"],
    ] {
        let r = as_agent(&server, &cred, args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.err);
        assert!(r.err.contains("owner only"), "{args:?}: {}", r.err);
    }

    // Two distinct credentials read; the third is fine, the fourth is refused.
    assert_eq!(as_agent(&server, &cred, &["get", "E3"]).code, 0);
    assert_eq!(
        as_agent(&server, &cred, &["get", "Deploy", "--field", "username"]).code,
        0,
        "re-reads do not count"
    );
    let limited = as_agent(&server, &cred, &["get", "E4"]);
    assert_eq!(limited.code, 5, "{}", limited.err);
    let locked = as_agent(&server, &cred, &["get", "E5"]);
    assert_eq!(locked.code, 5, "second violation locks: {}", locked.err);

    let all = events(&server, &["--agent", &agent_id]);
    assert!(
        all.iter().all(|e| e["actor_id"] == agent_id.as_str()),
        "{all:?}"
    );
    let has = |action: &str, outcome: &str, reason: Option<&str>| {
        all.iter().any(|e| {
            e["action"] == action
                && e["outcome"] == outcome
                && reason.is_none_or(|r| e["reason"] == r)
        })
    };
    assert!(has("read", "success", None), "{all:?}");
    // (Owner-only commands were refused by the CLI itself: nothing reached the server.)
    assert!(!all.iter().any(|e| e["reason"] == "owner_only"), "{all:?}");
    for reason in ["scope_denied", "rate_limited", "rate_limited_locked"] {
        assert!(
            all.iter()
                .any(|e| e["outcome"] == "denied" && e["reason"] == reason),
            "{reason}: {all:?}"
        );
    }
    let reads = events(
        &server,
        &[
            "--agent",
            &agent_id,
            "--action",
            "read",
            "--outcome",
            "success",
            "--since",
            "1h",
        ],
    );
    assert_eq!(
        reads.len(),
        4,
        "Deploy, Corp card, E3, Deploy again: {reads:?}"
    );
    assert_eq!(events(&server, &["--limit", "2"]).len(), 2);
    assert!(server
        .cli_ok(&["audit", "--agent", &agent_id])
        .contains("scope_denied"));

    let verify = server.run_cli(&["audit", "--verify"], &[]);
    assert_eq!(verify.code, 0, "{}", verify.err);
    assert!(verify.out.contains("intact"), "{}", verify.out);
    let v = one_object(&server.cli_ok(&["--json", "audit", "--verify"]));
    assert_eq!(v["ok"], true, "{v}");

    // The owner clears the lock; the agent reads again.
    server.cli_ok(&["agent", "unlock", &agent_id]);
    assert_eq!(
        as_agent(&server, &cred, &["get", "Deploy", "--field", "password"]).out,
        "pw-in\n"
    );
}

#[test]
fn rotation_credential_files_and_agent_writes() {
    let server = TestServer::start();
    init(&server);
    let ops = scope_create(&server, "ops");
    let other = scope_create(&server, "other");
    server.cli_ok(&[
        "put",
        "api_key",
        "--title",
        "Registry",
        "--field",
        "key=k-123",
        "--scope",
        &ops,
    ]);

    // Text mode: only the credential on stdout, the warning on stderr.
    let created = server.run_cli(
        &[
            "agent",
            "create",
            "writer",
            "--scope",
            &ops,
            "--can-write",
            "--rate-minute",
            "5",
            "--rate-hour",
            "20",
        ],
        &[],
    );
    assert_eq!(created.code, 0, "{}", created.err);
    let cred = created.out.trim().to_string();
    assert!(
        cred.starts_with("cvc1.") && created.out.lines().count() == 1,
        "{}",
        created.out
    );
    assert!(created.err.contains("private key"), "{}", created.err);
    let listed = one_object(&server.cli_ok(&["--json", "agent", "list"]));
    let agent = &listed["agents"][0];
    let agent_id = agent["agent_id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            agent["can_write"].clone(),
            agent["rate_limit_minute"].clone()
        ),
        (json!(true), json!(5)),
        "{agent}"
    );
    assert!(server.cli_ok(&["agent", "list"]).contains(&agent_id));
    assert!(server
        .cli_ok(&["agent", "show", &agent_id])
        .contains("writer"));

    // A 0600 credential file works like the environment variable.
    let file = write_file(&server, "agent.cred", &format!("{cred}\n"), 0o600);
    let r = server.run_cli(
        &[
            "--credential-file",
            &file,
            "get",
            "Registry",
            "--field",
            "key",
        ],
        &[],
    );
    assert_eq!((r.code, r.out.as_str(), r.err.as_str()), (0, "k-123\n", ""));
    server.cli_ok(&[
        "put",
        "login",
        "--title",
        "2FA",
        "--field",
        "totp=JBSWY3DPEHPK3PXP",
        "--scope",
        &ops,
    ]);
    let code = server.run_cli(&["--credential-file", &file, "totp", "2FA"], &[]);
    assert_eq!((code.code, code.out.trim().len()), (0, 6), "{}", code.err);

    // Agent writes: into its scope yes, elsewhere no, never L3, never unscoped.
    let put = as_agent(
        &server,
        &cred,
        &[
            "--json",
            "put",
            "login",
            "--title",
            "New",
            "--field",
            "password=fresh",
            "--scope",
            &ops,
        ],
    );
    assert_eq!(put.code, 0, "{}", put.err);
    assert_eq!(
        server.cli_ok(&["get", "New", "--field", "password"]),
        "fresh\n"
    );
    assert_eq!(
        as_agent(
            &server,
            &cred,
            &["put", "note", "--title", "X", "--scope", &other]
        )
        .code,
        3
    );
    let l3 = as_agent(
        &server,
        &cred,
        &[
            "put",
            "card",
            "--title",
            "C",
            "--field",
            "number=4111",
            "--scope",
            &ops,
        ],
    );
    assert_eq!(l3.code, 3, "{}", l3.err);
    assert!(
        l3.err.contains("owner-only (L3)") && l3.err.contains("number"),
        "{}",
        l3.err
    );
    assert_eq!(
        as_agent(&server, &cred, &["put", "note", "--title", "X"]).code,
        2
    );

    // Update maps to PUT; write permission can be taken away.
    let v = one_object(&server.cli_ok(&[
        "--json",
        "agent",
        "update",
        &agent_id,
        "--can-write",
        "false",
        "--ip",
        "127.0.0.0/8",
    ]));
    assert_eq!(
        (v["can_write"].clone(), v["ip_whitelist"].clone()),
        (json!(false), json!(["127.0.0.0/8"])),
        "{v}"
    );
    assert_eq!(
        as_agent(
            &server,
            &cred,
            &["put", "note", "--title", "Y", "--scope", &ops]
        )
        .code,
        3
    );
    assert_eq!(
        server.run_cli(&["agent", "update", &agent_id], &[]).code,
        2,
        "nothing to change"
    );

    // Rotation: the old credential is dead (and never echoed), the new one works.
    let rotated = one_object(&server.cli_ok(&["--json", "agent", "rotate", &agent_id]));
    assert_eq!(rotated["agent_id"], agent_id.as_str());
    let new_cred = rotated["credential"].as_str().unwrap().to_string();
    assert_ne!(new_cred, cred);
    let old = as_agent(&server, &cred, &["get", "Registry", "--field", "key"]);
    assert_eq!(old.code, 3, "{}", old.err);
    assert!(
        !old.err.contains(&cred) && !old.err.contains("cvt0."),
        "{}",
        old.err
    );
    assert_eq!(
        as_agent(&server, &new_cred, &["get", "Registry", "--field", "key"]).out,
        "k-123\n"
    );

    // Removal kills it; scopes can be listed and removed.
    assert_eq!(
        one_object(&server.cli_ok(&["--json", "agent", "rm", &agent_id]))["deleted"],
        true
    );
    assert_eq!(as_agent(&server, &new_cred, &["get", "Registry"]).code, 3);
    assert_eq!(server.run_cli(&["agent", "show", &agent_id], &[]).code, 4);
    let scopes = one_object(&server.cli_ok(&["--json", "scope", "list"]));
    assert_eq!(scopes["scopes"].as_array().unwrap().len(), 2, "{scopes}");
    let renamed = one_object(&server.cli_ok(&["--json", "scope", "rename", &other, "elsewhere"]));
    assert_eq!(renamed["name"], "elsewhere", "{renamed}");
    server.cli_ok(&["scope", "rm", &other]);
    assert!(!server.cli_ok(&["scope", "list"]).contains("elsewhere"));
}

#[test]
fn bad_credentials_and_arguments_are_refused_without_echo() {
    let server = TestServer::start();
    init(&server);
    let garbage = "cvc1.AAAAsecretlooking";
    let r = as_agent(&server, garbage, &["get", "x"]);
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(
        r.err.contains("CLAVITOR_CREDENTIAL") && !r.err.contains("secretlooking"),
        "{}",
        r.err
    );
    let shared = write_file(&server, "shared.cred", garbage, 0o644);
    let r = server.run_cli(&["--credential-file", &shared, "get", "x"], &[]);
    assert_eq!(r.code, 3);
    assert!(
        r.err.contains("readable by other users") && !r.err.contains("secretlooking"),
        "{}",
        r.err
    );

    assert_eq!(
        server.run_cli(&["agent", "create", "nobody"], &[]).code,
        2,
        "--scope or --all-access required"
    );
    assert_eq!(
        server
            .run_cli(&["agent", "create", "b", "--scope", "0000"], &[])
            .code,
        2
    );
    assert_eq!(
        server
            .run_cli(
                &[
                    "agent",
                    "create",
                    "b",
                    "--scope",
                    "0001",
                    "--ip",
                    "300.1.1.1/8"
                ],
                &[]
            )
            .code,
        2
    );
    assert_eq!(
        server
            .run_cli(
                &[
                    "agent",
                    "create",
                    "b",
                    "--scope",
                    "0001",
                    "--expires",
                    "2001-01-01T00:00:00Z"
                ],
                &[]
            )
            .code,
        2
    );
    assert_eq!(
        server
            .run_cli(&["audit", "--since", "last tuesday"], &[])
            .code,
        2
    );
    assert_eq!(
        server
            .run_cli(&["audit", "--verify", "--agent", "x"], &[])
            .code,
        2
    );
    // A scope that does not exist is the server's 400.
    assert_eq!(
        server
            .run_cli(&["agent", "create", "b", "--scope", "0042"], &[])
            .code,
        1
    );
    let (id, cred) = agent_create(
        &server,
        "everything",
        &["--all-access", "--expires", "2099-01-01T00:00:00Z"],
    );
    let shown = one_object(&server.cli_ok(&["--json", "agent", "show", &id]));
    assert_eq!(
        (shown["all_access"].clone(), shown["expires_at"].clone()),
        (json!(true), json!("2099-01-01T00:00:00Z")),
        "{shown}"
    );
    server.cli_ok(&["put", "note", "--title", "Anywhere", "--notes", "hi"]);
    assert_eq!(
        as_agent(&server, &cred, &["get", "Anywhere", "--field", "notes"]).out,
        "hi\n"
    );
}

#[test]
fn audit_follows_the_cursor_past_one_page() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, body) = vault.login_entry("Many", "u", "p");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    for _ in 0..1010 {
        assert_eq!(
            vault
                .call(&server, "GET", &format!("/api/v1/entries/{id}"), None)
                .0,
            200
        );
    }
    // Log the CLI in to the same vault through a session file of its own.
    let dir = server.dir.path().join("xdg").join("clavitor");
    std::fs::create_dir_all(&dir).unwrap();
    let session = json!({
        "server": server.url, "vault_id": vault.vault_id, "token": vault.token, "expires_at": "2099-01-01T00:00:00Z",
        "k2": clavitor::crypto::b64(vault.keys.l2.expose()), "k3": clavitor::crypto::b64(vault.keys.l3.expose()),
    });
    std::fs::write(dir.join("session.json"), session.to_string()).unwrap();
    let all = events(&server, &["--entry", &id, "--limit", "1005"]);
    assert_eq!(all.len(), 1005);
    let mut keys: Vec<_> = all
        .iter()
        .map(|e| (e["pop_id"].to_string(), e["seq"].as_i64().unwrap()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 1005, "no event twice across pages");
    assert_eq!(
        events(&server, &["--entry", &id, "--limit", "5000"]).len(),
        1011,
        "1010 reads and the create"
    );
}
