//! The everyday verbs through the real CLI against a real server: `edit`
//! (If-Match, same id, agents see the change), secrets from stdin, a file
//! or the prompt (never in /proc/PID/cmdline), `generate`, and
//! `agent edit` taking effect on the next request.

use crate::common;
use common::*;

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "correct horse battery staple";

fn as_agent(server: &TestServer, credential: &str, args: &[&str]) -> CliRun {
    server.run_cli(args, &[("CLAVITOR_CREDENTIAL", credential)])
}

fn one_object(out: &str) -> Value {
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert!(v.is_object(), "{out}");
    v
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

fn init(server: &TestServer) {
    let pass = write_file(server.dir.path(), "pass.txt", &format!("{PASSPHRASE}\n"));
    server.cli_ok(&["init", "--server", &server.url, "--passphrase-file", &pass]);
}

fn scope_create(server: &TestServer, name: &str) -> String {
    one_object(&server.cli_ok(&["--json", "scope", "create", name]))["scope_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn agent_create(server: &TestServer, name: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["--json", "agent", "create", name];
    args.extend_from_slice(extra);
    let v = one_object(&server.cli_ok(&args));
    (
        v["agent_id"].as_str().unwrap().to_string(),
        v["credential"].as_str().unwrap().to_string(),
    )
}

/// The CLI as a child process with stdin piped (the owner's session).
fn spawn_cli(server: &TestServer, args: &[&str]) -> Child {
    Command::new(bin())
        .args(args)
        .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
        .env_remove("CLAVITOR_CREDENTIAL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run clavitor")
}

fn finish(child: Child) -> CliRun {
    let o = child.wait_with_output().unwrap();
    CliRun {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The NUL-separated argv of a live process, as every local user can read it.
fn cmdline(pid: u32) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Waits until a process (found by a marker in its argv) is blocked reading;
/// returns its pid.
fn find_process(marker: &str) -> u32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    let exe = bin().canonicalize().unwrap();
    while Instant::now() < deadline {
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let same_exe = std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe);
            if same_exe && contains(&cmdline(pid), marker) {
                return pid;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no clavitor process with {marker:?} in its command line");
}

fn get_field(server: &TestServer, query: &str, field: &str) -> String {
    server
        .cli_ok(&["get", query, "--field", field])
        .trim_end()
        .to_string()
}

#[test]
fn edit_changes_password_url_and_scope_in_place_and_a_stale_version_changes_nothing() {
    let server = TestServer::start();
    init(&server);
    let ops = scope_create(&server, "ops");
    let dev = scope_create(&server, "dev");
    let (_, dev_agent) = agent_create(&server, "dev-bot", &["--scope", &dev]);
    let id = server
        .cli_ok(&[
            "put",
            "login",
            "--title",
            "Mail",
            "--url",
            "https://old.example",
            "--field",
            "username=alice",
            "--field",
            "password=first-pw",
            "--scope",
            &ops,
        ])
        .trim()
        .to_string();
    // Not yet in the agent's scope.
    assert_eq!(as_agent(&server, &dev_agent, &["get", "Mail"]).code, 3);

    let mut child = spawn_cli(
        &server,
        &[
            "edit",
            "Mail",
            "--field",
            "password=-",
            "--url",
            "https://new.example",
            "--scope",
            &dev,
        ],
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"second-pw\n")
        .unwrap();
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.out.trim(), id, "the entry keeps its id");
    assert!(!r.err.contains("warning"), "stdin is not inline: {}", r.err);

    let entry = one_object(&server.cli_ok(&["--json", "get", &id]));
    assert_eq!(entry["entry_id"], id.as_str());
    assert_eq!(entry["urls"], json!(["https://new.example"]));
    assert_eq!(entry["scopes"], json!([dev]));
    assert_eq!(entry["version"], 2);
    assert_eq!(get_field(&server, "Mail", "username"), "alice");
    let list = one_object(&server.cli_ok(&["--json", "list"]));
    assert_eq!(list["entries"].as_array().unwrap().len(), 1, "no copy made");

    // The agent now reads it by title, with the new value.
    let r = as_agent(&server, &dev_agent, &["get", "Mail", "--field", "password"]);
    assert_eq!((r.code, r.out.trim()), (0, "second-pw"), "{}", r.err);

    // A stale version: exit 1, a conflict message, nothing changed.
    let r = server.run_cli(
        &[
            "edit",
            &id,
            "--if-match",
            "1",
            "--field",
            "password=third-pw",
            "--title",
            "X",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("conflict"), "{}", r.err);
    assert!(r.err.contains("nothing was changed"), "{}", r.err);
    let after = one_object(&server.cli_ok(&["--json", "get", &id]));
    assert_eq!(after["version"], 2);
    assert_eq!(after["title"], "Mail");
    assert_eq!(get_field(&server, &id, "password"), "second-pw");

    // Remove a field, rename; an unknown field to remove is "not found".
    server.cli_ok(&[
        "edit",
        &id,
        "--remove-field",
        "username",
        "--title",
        "Mail 2",
    ]);
    let e = one_object(&server.cli_ok(&["--json", "get", "Mail 2"]));
    assert!(e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["name"] != "username"));
    assert_eq!(
        server
            .run_cli(&["edit", &id, "--remove-field", "nope"], &[])
            .code,
        4
    );
    assert_eq!(
        server.run_cli(&["edit", &id], &[]).code,
        2,
        "nothing to change"
    );
}

#[test]
fn inline_secrets_warn_and_other_sources_do_not() {
    let server = TestServer::start();
    init(&server);
    let r = server.run_cli(
        &[
            "put",
            "login",
            "--title",
            "A",
            "--field",
            "username=u",
            "--field",
            "password=inline-pw",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.err.contains("warning: --field password"), "{}", r.err);
    assert!(
        !r.err.contains("inline-pw"),
        "the warning never repeats the value"
    );
    assert!(
        !r.err.contains("--field username"),
        "L1 fields get no warning"
    );

    let file = write_file(server.dir.path(), "pw.txt", "from-file\n");
    let r = server.run_cli(
        &[
            "put",
            "login",
            "--title",
            "B",
            "--field",
            &format!("password=@{file}"),
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!r.err.contains("warning"), "{}", r.err);
    assert_eq!(get_field(&server, "B", "password"), "from-file");

    let r = server.run_cli(
        &[
            "put",
            "login",
            "--title",
            "C",
            "--field",
            "password=:generate",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let generated = get_field(&server, "C", "password");
    assert_eq!(generated.chars().count(), 20);
    // A bare --field with no terminal is a usage error, not a hang.
    let r = server.run_cli(
        &["put", "login", "--title", "D", "--field", "password"],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.err);
    assert!(r.err.contains("no terminal"), "{}", r.err);
    // Two fields cannot share stdin.
    let r = server.run_cli(
        &[
            "put",
            "login",
            "--title",
            "E",
            "--field",
            "password=-",
            "--field",
            "totp=-",
        ],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.err);
}

#[test]
fn secrets_from_stdin_a_file_or_the_prompt_never_appear_in_proc_cmdline() {
    let server = TestServer::start();
    init(&server);

    // Control: an inline secret IS visible there, so the probe works.
    let mut child = spawn_cli(
        &server,
        &[
            "put",
            "login",
            "--title",
            "inline-probe",
            "--field",
            "password=VISIBLE-inline-1",
            "--field",
            "notes=-",
        ],
    );
    let pid = find_process("inline-probe");
    assert!(contains(&cmdline(pid), "VISIBLE-inline-1"));
    drop(child.stdin.take());
    assert_eq!(finish(child).code, 0);

    // stdin: read argv while the CLI waits for the secret, then send it.
    let secret_stdin = "S3cret-through-stdin-9f2";
    let mut child = spawn_cli(
        &server,
        &[
            "put",
            "login",
            "--title",
            "stdin-probe",
            "--field",
            "password=-",
        ],
    );
    let pid = find_process("stdin-probe");
    let argv = cmdline(pid);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(secret_stdin.as_bytes()).unwrap();
    drop(stdin);
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!contains(&argv, secret_stdin));
    assert_eq!(get_field(&server, "stdin-probe", "password"), secret_stdin);

    // A file: a FIFO keeps the CLI waiting in open() while argv is read.
    let fifo = server.dir.path().join("secret.fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let secret_file = "S3cret-through-a-file-71a";
    let child = spawn_cli(
        &server,
        &[
            "put",
            "login",
            "--title",
            "file-probe",
            "--field",
            &format!("password=@{}", fifo.display()),
        ],
    );
    let pid = find_process("file-probe");
    let argv = cmdline(pid);
    std::fs::write(&fifo, format!("{secret_file}\n")).unwrap();
    let r = finish(child);
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(!contains(&argv, secret_file));
    assert_eq!(get_field(&server, "file-probe", "password"), secret_file);

    // The prompt, on a pseudo-terminal made by script(1).
    let secret_tty = "S3cret-typed-at-the-prompt-c4e";
    let inner = format!(
        "{} put login --title tty-probe --field password",
        bin().display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
        .env_remove("CLAVITOR_CREDENTIAL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux");
    let pid = find_process("tty-probe");
    // Read the terminal's output as it comes, and type only once the prompt
    // is shown (rpassword turns echo off right after printing it).
    let mut out = child.stdout.take().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            while let Ok(n) = std::io::Read::read(&mut out, &mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !contains(&seen.lock().unwrap(), "Value for password") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let argv = cmdline(pid);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{secret_tty}\n").as_bytes())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(stdin);
    let mut r = finish(child);
    reader.join().unwrap();
    r.out = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert_eq!(r.code, 0, "{} {}", r.out, r.err);
    assert!(r.out.contains("Value for password"), "{}", r.out);
    assert!(!r.out.contains(secret_tty), "echo was off: {}", r.out);
    assert!(!contains(&argv, secret_tty));
    assert_eq!(get_field(&server, "tty-probe", "password"), secret_tty);
}

#[test]
fn generate_gives_new_values_of_the_asked_length_and_alphabet() {
    let server = TestServer::start();
    let letters_digits: HashSet<char> = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
        .chars()
        .collect();
    let symbols: HashSet<char> = "-_.!@#%+=~^*".chars().collect();
    let mut seen = HashSet::new();
    for _ in 0..10 {
        let v = server
            .cli_ok(&["generate", "--length", "32"])
            .trim_end()
            .to_string();
        assert_eq!(v.chars().count(), 32);
        assert!(
            v.chars()
                .all(|c| letters_digits.contains(&c) || symbols.contains(&c)),
            "{v}"
        );
        assert!(v.chars().any(|c| symbols.contains(&c)), "{v}");
        assert!(seen.insert(v));
    }
    for _ in 0..10 {
        let v = server
            .cli_ok(&["generate", "--no-symbols"])
            .trim_end()
            .to_string();
        assert_eq!(v.chars().count(), 20);
        assert!(v.chars().all(|c| letters_digits.contains(&c)), "{v}");
        assert!(seen.insert(v));
    }
    let j = one_object(&server.cli_ok(&["--json", "generate", "--words", "5"]));
    let words: Vec<&str> = j["value"].as_str().unwrap().split('-').collect();
    assert_eq!(words.len(), 5);
    assert!(words.iter().all(|w| (3..=6).contains(&w.len())));
    assert!(
        (j["entropy_bits"].as_f64().unwrap() - 51.7).abs() < 0.1,
        "{j}"
    );
    assert_eq!(server.run_cli(&["generate", "--length", "4"], &[]).code, 2);
    assert_eq!(server.run_cli(&["generate", "--words", "2"], &[]).code, 2);
    assert_eq!(
        server
            .run_cli(&["generate", "--words", "4", "--length", "9"], &[])
            .code,
        2
    );
}

fn audit_count(server: &TestServer, action: &str) -> usize {
    one_object(&server.cli_ok(&["--json", "audit", "--action", action]))["events"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn agent_edit_takes_effect_on_the_next_request_with_the_same_credential() {
    let server = TestServer::start();
    init(&server);
    let a = scope_create(&server, "a");
    let b = scope_create(&server, "b");
    for (title, scope) in [("In A", &a), ("In B", &b), ("Also A", &a)] {
        server.cli_ok(&[
            "put",
            "login",
            "--title",
            title,
            "--field",
            "password=:generate",
            "--scope",
            scope,
        ]);
    }
    // Expiry first: the agent starts with one a few seconds away, which
    // passes; the owner removes it and the same credential works again
    // (a token with the expiry baked in would stay dead).
    let expiry = std::time::SystemTime::now() + Duration::from_secs(4);
    let soon = humantime::format_rfc3339_seconds(expiry).to_string();
    let (id, cred) = agent_create(&server, "bot", &["--scope", &a, "--expires", &soon]);
    let read = |title: &str| as_agent(&server, &cred, &["get", title, "--field", "password"]).code;
    assert_eq!(read("In A"), 0);
    if let Ok(left) = expiry.duration_since(std::time::SystemTime::now()) {
        std::thread::sleep(left + Duration::from_millis(1100));
    }
    assert_eq!(read("In A"), 3, "expired");
    server.cli_ok(&["agent", "update", &id, "--no-expiry"]);
    assert_eq!(
        read("In A"),
        0,
        "the expiry lives in the record, not the credential"
    );
    assert_eq!(read("In B"), 3);

    // Scopes.
    server.cli_ok(&["agent", "edit", &id, "--scope", &b]);
    assert_eq!((read("In B"), read("In A")), (0, 3));
    // All access.
    server.cli_ok(&["agent", "edit", &id, "--all-access", "true"]);
    assert_eq!(read("In A"), 0);
    // Allowlist.
    server.cli_ok(&["agent", "edit", &id, "--ip", "192.0.2.0/24"]);
    assert_eq!(read("In A"), 3);
    server.cli_ok(&["agent", "edit", &id, "--any-ip"]);
    assert_eq!(read("In A"), 0);
    // Write permission.
    let put = |title: &str| {
        as_agent(
            &server,
            &cred,
            &["put", "note", "--title", title, "--scope", &a],
        )
        .code
    };
    assert_eq!(put("bot note 1"), 3);
    server.cli_ok(&["agent", "edit", &id, "--can-write", "true"]);
    assert_eq!(put("bot note 2"), 0);
    // Limits: one distinct credential per minute.
    server.cli_ok(&[
        "agent",
        "edit",
        &id,
        "--rate-minute",
        "1",
        "--rate-hour",
        "1",
    ]);
    assert_eq!(
        read("Also A"),
        5,
        "a new credential over the limit is refused"
    );

    // Widening beyond the bounds is refused and changes nothing.
    let before = one_object(&server.cli_ok(&["--json", "agent", "show", &id]));
    for args in [["--rate-minute", "1001"], ["--rate-hour", "10001"]] {
        let mut full = vec!["agent", "edit", &id];
        full.extend_from_slice(&args);
        let r = server.run_cli(&full, &[]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.err);
        assert!(r.err.contains("at most"), "{}", r.err);
    }
    let after = one_object(&server.cli_ok(&["--json", "agent", "show", &id]));
    assert_eq!(before, after);
    // Every change is audited: no-expiry, scope, all-access, ip, any-ip, can-write, limits.
    assert_eq!(audit_count(&server, "agent_update"), 7);
}

#[test]
fn an_agent_with_can_write_edits_only_entries_it_created_within_its_scopes() {
    let server = TestServer::start();
    init(&server);
    let a = scope_create(&server, "a");
    let b = scope_create(&server, "b");
    let dir = server.dir.path();
    server.cli_ok(&[
        "put",
        "login",
        "--title",
        "Owner Entry",
        "--field",
        "password=:generate",
        "--scope",
        &a,
    ]);
    let owner_pw = get_field(&server, "Owner Entry", "password");
    let (bot_id, bot) = agent_create(&server, "bot", &["--scope", &a, "--can-write"]);
    let (_, other) = agent_create(&server, "other", &["--scope", &a, "--can-write"]);
    let f1 = write_file(dir, "pw1", "bot-pw-1\n");
    let r = as_agent(
        &server,
        &bot,
        &[
            "put",
            "login",
            "--title",
            "Bot Entry",
            "--field",
            &format!("password=@{f1}"),
            "--scope",
            &a,
        ],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let id = r.out.trim().to_string();

    // Its own entry: the change lands, same id, still recorded as the bot's.
    let f2 = write_file(dir, "pw2", "bot-pw-2\n");
    let r = as_agent(
        &server,
        &bot,
        &[
            "edit",
            "Bot Entry",
            "--field",
            &format!("password=@{f2}"),
            "--url",
            "https://bot.example",
        ],
    );
    assert_eq!((r.code, r.out.trim()), (0, id.as_str()), "{}", r.err);
    let e = one_object(&server.cli_ok(&["--json", "get", &id]));
    assert_eq!(e["version"], 2);
    assert_eq!(e["urls"], json!(["https://bot.example"]));
    assert_eq!(
        e["created_by"],
        json!({"kind": "agent", "agent_id": bot_id})
    );
    assert_eq!(get_field(&server, &id, "password"), "bot-pw-2");

    // Refused (exit 3), nothing changed: the owner's entry, a scope that is
    // not its own, another agent's edit of the bot's entry.
    let refused = |cred: &str, args: &[&str]| {
        let r = as_agent(&server, cred, args);
        assert_eq!(r.code, 3, "{args:?}: {}", r.err);
    };
    refused(
        &bot,
        &["edit", "Owner Entry", "--field", &format!("password=@{f2}")],
    );
    refused(&bot, &["edit", &id, "--scope", &b]);
    refused(
        &other,
        &["edit", &id, "--field", &format!("password=@{f1}")],
    );
    assert_eq!(get_field(&server, "Owner Entry", "password"), owner_pw);
    let e = one_object(&server.cli_ok(&["--json", "get", &id]));
    assert_eq!(
        (e["version"].clone(), e["scopes"].clone()),
        (json!(2), json!([a]))
    );
    assert_eq!(get_field(&server, &id, "password"), "bot-pw-2");

    // Without can_write, not even its own.
    server.cli_ok(&["agent", "edit", &bot_id, "--can-write", "false"]);
    refused(&bot, &["edit", &id, "--field", &format!("password=@{f1}")]);
    let denied = one_object(&server.cli_ok(&[
        "--json",
        "audit",
        "--action",
        "update",
        "--outcome",
        "denied",
    ]));
    assert_eq!(denied["events"].as_array().unwrap().len(), 4);

    // The owner edits the bot's entry; it stays the bot's (created_by kept).
    server.cli_ok(&["edit", &id, "--title", "Bot Entry renamed"]);
    let e = one_object(&server.cli_ok(&["--json", "get", &id]));
    assert_eq!(
        e["created_by"],
        json!({"kind": "agent", "agent_id": bot_id})
    );
}
