//! The owner's CLI against a real server: init, login, logout, put, get,
//! totp, list, rm — exit codes, `--json` output, and no plaintext on disk.

use crate::common;
use common::*;

use std::path::PathBuf;
use std::process::Output;

const PASSPHRASE: &str = "correct horse battery staple";

/// Writes a file in the test's temp dir and returns its path as a string.
fn write_file(server: &TestServer, name: &str, text: &str) -> String {
    let p: PathBuf = server.dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs the CLI and asserts success; returns stdout.
fn ok(server: &TestServer, args: &[&str]) -> String {
    let o = server.cli(args);
    assert!(
        o.status.success(),
        "clavitor {args:?} failed ({:?}):\n{}",
        o.status.code(),
        stderr(&o)
    );
    stdout(&o)
}

/// Runs the CLI and returns its exit code and stderr.
fn fails(server: &TestServer, args: &[&str]) -> (i32, String) {
    let o = server.cli(args);
    (o.status.code().unwrap_or(-1), stderr(&o))
}

/// Parses stdout as exactly one JSON object.
fn one_object(out: &str) -> Value {
    let mut it = serde_json::Deserializer::from_str(out).into_iter::<Value>();
    let first = it.next().expect("one JSON value").expect("valid JSON");
    assert!(it.next().is_none(), "more than one JSON value in {out:?}");
    assert!(first.is_object(), "not an object: {out}");
    first
}

/// `init --passphrase-file` on the server's URL; returns (vault_id, recovery_code).
fn init(server: &TestServer, extra: &[&str]) -> (String, String) {
    let pass = write_file(server, "pass.txt", &format!("{PASSPHRASE}\n"));
    let mut args = vec![
        "--json",
        "init",
        "--server",
        &server.url,
        "--passphrase-file",
        &pass,
    ];
    args.extend_from_slice(extra);
    let v = one_object(&ok(server, &args));
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    (
        v["vault_id"].as_str().unwrap().to_string(),
        v["recovery_code"].as_str().unwrap().to_string(),
    )
}

#[test]
fn put_get_survive_restart_and_nothing_is_plaintext_on_disk() {
    let mut server = TestServer::start();
    init(&server, &[]);
    let id = ok(
        &server,
        &[
            "put",
            "login",
            "--title",
            "GitHub",
            "--url",
            "https://github.com",
            "--field",
            "username=alice",
            "--field",
            "password=S3cr3t-pw",
        ],
    );
    let id = id.trim();
    assert_eq!(id.len(), 32, "entry id: {id:?}");
    ok(
        &server,
        &[
            "put",
            "card",
            "--title",
            "Visa",
            "--field",
            "number=4111111111111111",
            "--field",
            "cardholder=Alice",
        ],
    );
    assert_eq!(
        ok(&server, &["get", "GitHub", "--field", "password"]),
        "S3cr3t-pw\n"
    );
    assert_eq!(ok(&server, &["get", id, "--field", "username"]), "alice\n");
    assert_eq!(
        ok(&server, &["get", "Visa", "--field", "number"]),
        "4111111111111111\n"
    );

    server.restart();
    assert_eq!(
        ok(&server, &["get", "GitHub", "--field", "password"]),
        "S3cr3t-pw\n"
    );
    assert_eq!(
        ok(&server, &["get", "github", "--field", "url"]),
        "https://github.com\n"
    );
    let listing = ok(&server, &["get", "GitHub"]);
    assert!(
        listing.contains("GitHub") && listing.contains("alice") && listing.contains("S3cr3t-pw"),
        "{listing}"
    );

    for needle in ["S3cr3t-pw", "GitHub", "alice", "4111111111111111"] {
        let found = any_file_contains(&server.data_dir(), needle.as_bytes());
        assert!(
            found.is_none(),
            "{needle:?} found in plaintext in {found:?}"
        );
    }
    // The client keeps no passphrase or master secret either, and its files are private.
    let xdg = server.dir.path().join("xdg").join("clavitor");
    assert!(any_file_contains(&xdg, PASSPHRASE.as_bytes()).is_none());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&xdg).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for f in files_under(&xdg) {
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600,
            "{}",
            f.display()
        );
    }
}

#[test]
fn json_output_is_exactly_one_object() {
    let server = TestServer::start();
    let (vault_id, code) = init(&server, &[]);
    assert_eq!(vault_id.len(), 32);
    assert_eq!(code.split('-').count(), 13, "{code}");

    let put = one_object(&ok(
        &server,
        &[
            "--json",
            "put",
            "login",
            "--title",
            "Mail",
            "--field",
            "password=pw-1",
            "--field",
            "pin_hint=blue",
            "--scope",
            "0001",
        ],
    ));
    let entry_id = put["entry_id"].as_str().unwrap().to_string();
    assert_eq!(put["version"], 1);

    let got = one_object(&ok(&server, &["--json", "get", "Mail"]));
    assert_eq!(got["entry_id"], entry_id.as_str());
    assert_eq!(got["title"], "Mail");
    assert_eq!(got["scopes"], json!(["0001"]));
    let fields = got["fields"].as_array().unwrap();
    let field = |n: &str| fields.iter().find(|f| f["name"] == n).unwrap().clone();
    assert_eq!(field("password")["value"], "pw-1");
    assert_eq!(field("password")["tier"], "l2");
    assert_eq!(field("pin_hint")["tier"], "l1", "custom fields are L1");

    let field_json = one_object(&ok(
        &server,
        &["--json", "get", "Mail", "--field", "password"],
    ));
    assert_eq!(field_json["value"], "pw-1");

    let list = one_object(&ok(&server, &["--json", "list"]));
    assert_eq!(list["entries"].as_array().unwrap().len(), 1);
    assert_eq!(list["entries"][0]["entry_id"], entry_id.as_str());
    let table = ok(&server, &["list", "--type", "login"]);
    assert!(
        table.contains(&entry_id) && table.contains("Mail"),
        "{table}"
    );
    let none = one_object(&ok(&server, &["--json", "list", "--type", "card"]));
    assert_eq!(none["entries"], json!([]));

    let rm = one_object(&ok(&server, &["--json", "rm", &entry_id]));
    assert_eq!(rm, json!({"entry_id": entry_id, "deleted": true}));
    assert_eq!(fails(&server, &["get", &entry_id]).0, 4);
}

#[test]
fn login_logout_and_exit_codes() {
    let server = TestServer::start();
    let (vault_id, code) = init(&server, &["--handle", "Alice@Example.com"]);
    ok(
        &server,
        &["put", "note", "--title", "Diary", "--notes", "dear diary"],
    );

    let wrong = write_file(&server, "wrong.txt", "not the passphrase\n");
    let (rc, err) = fails(
        &server,
        &["login", "--vault", &vault_id, "--passphrase-file", &wrong],
    );
    assert_eq!(rc, 3, "{err}");
    assert!(err.contains("wrong passphrase"), "{err}");
    let (rc, err) = fails(
        &server,
        &[
            "login",
            "--handle",
            "nobody@example.com",
            "--passphrase-file",
            &wrong,
        ],
    );
    assert_eq!(rc, 3, "{err}");
    assert!(err.contains("unknown handle"), "{err}");

    let pass = write_file(&server, "pass2.txt", PASSPHRASE);
    let v = one_object(&ok(
        &server,
        &[
            "--json",
            "login",
            "--handle",
            "alice@example.com",
            "--passphrase-file",
            &pass,
        ],
    ));
    assert_eq!(v["vault_id"], vault_id.as_str());
    assert!(v["expires_at"].is_string());
    assert_eq!(
        ok(&server, &["get", "Diary", "--field", "notes"]),
        "dear diary\n"
    );
    assert_eq!(fails(&server, &["get", "No such title"]).0, 4);
    assert_eq!(
        fails(&server, &["get", "Diary", "--field", "password"]).0,
        4
    );
    assert_eq!(fails(&server, &["put", "spaceship", "--title", "x"]).0, 2);

    ok(&server, &["logout"]);
    let (rc, err) = fails(&server, &["get", "Diary"]);
    assert_eq!(rc, 3, "{err}");
    assert!(err.contains("not logged in"), "{err}");
    assert_eq!(
        server.cli(&["logout"]).status.code(),
        Some(0),
        "logout is idempotent"
    );

    // The recovery code unlocks too; log out everywhere kills the old token.
    let rec = write_file(
        &server,
        "recovery.txt",
        &format!("{}\n", code.to_lowercase()),
    );
    ok(
        &server,
        &["login", "--vault", &vault_id, "--recovery-file", &rec],
    );
    let session: Value = serde_json::from_slice(
        &std::fs::read(server.dir.path().join("xdg/clavitor/session.json")).unwrap(),
    )
    .unwrap();
    let token = session["token"].as_str().unwrap().to_string();
    ok(&server, &["logout", "--everywhere"]);
    let (st, _) = call(&server.url, "GET", "/api/v1/entries", Some(&token), None);
    assert_eq!(st, 401);
}

#[test]
fn totp_matches_the_library_code() {
    let server = TestServer::start();
    init(&server, &[]);
    let secret = "JBSWY3DPEHPK3PXP";
    ok(
        &server,
        &[
            "put",
            "login",
            "--title",
            "Bank",
            "--field",
            &format!("totp={secret}"),
        ],
    );
    let totp = clavitor::crypto::Totp::parse(secret).unwrap();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let before = now();
    let out = ok(&server, &["totp", "Bank"]);
    let after = now();
    let allowed = [
        totp.code_at(before.saturating_sub(30)),
        totp.code_at(before),
        totp.code_at(after),
    ];
    assert!(
        allowed.contains(&out.trim().to_string()),
        "{out:?} not in {allowed:?}"
    );
    let v = one_object(&ok(&server, &["--json", "totp", "Bank"]));
    assert_eq!(v["code"].as_str().unwrap().len(), 6);
    assert!((1..=30).contains(&v["seconds_remaining"].as_u64().unwrap()));
    ok(&server, &["put", "note", "--title", "Plain"]);
    assert_eq!(fails(&server, &["totp", "Plain"]).0, 4);
}

#[test]
fn closed_registration_needs_the_setup_token() {
    let mut server = TestServer::start();
    server.write_config(&format!(
        "listen: \"127.0.0.1:{}\"\ndata_dir: {}\nworkers: 2\nregistration: closed\nlog: {{level: debug}}\n",
        server.port,
        server.data_dir().display()
    ));
    server.restart();
    let token_file = server.data_dir().join("setup-token");
    assert!(token_file.exists(), "server log:\n{}", server.log());

    let pass = write_file(&server, "pass.txt", PASSPHRASE);
    let (rc, err) = fails(
        &server,
        &["init", "--server", &server.url, "--passphrase-file", &pass],
    );
    assert_eq!(rc, 3, "{err}");
    assert!(
        err.contains("CV-2020")
            && err.contains("--setup-token-file")
            && err.contains("setup-token"),
        "{err}"
    );

    let token = token_file.display().to_string();
    let (vault_id, _) = init(&server, &["--setup-token-file", &token]);
    assert_eq!(vault_id.len(), 32);
    assert!(!token_file.exists(), "the setup token is used up");
    let (rc, _) = fails(
        &server,
        &[
            "init",
            "--server",
            &server.url,
            "--passphrase-file",
            &pass,
            "--setup-token-file",
            &token,
        ],
    );
    assert_eq!(rc, 1, "the token file is gone");
}
