//! SPEC 13 through the real binary against a real server on loopback:
//! `clavitor://` references resolved by `read`, `run` and `inject` with an
//! agent credential (scopes, rate limits and audit exactly as `get`), and
//! `clavitor mcp` driven the way a scripted MCP client drives it, with its
//! brokered request reaching a local HTTP server.

use crate::common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "correct horse battery staple";
const MASK: &str = "<concealed by clavitor>";

fn as_agent(server: &TestServer, cred: &str, args: &[&str], env: &[(&str, &str)]) -> CliRun {
    let mut all = vec![("CLAVITOR_CREDENTIAL", cred)];
    all.extend_from_slice(env);
    server.run_cli(args, &all)
}

fn init(server: &TestServer) {
    let p = server.dir.path().join("pass.txt");
    std::fs::write(&p, format!("{PASSPHRASE}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    server.cli_ok(&[
        "init",
        "--server",
        &server.url,
        "--passphrase-file",
        &p.display().to_string(),
    ]);
}

fn one_object(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// `put` as the owner; returns the entry id.
fn put(server: &TestServer, args: &[&str]) -> String {
    let mut all = vec!["put"];
    all.extend_from_slice(args);
    server.cli_ok(&all).trim().to_string()
}

fn agent(server: &TestServer, scope: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["--json", "agent", "create", "bot", "--scope", scope];
    args.extend_from_slice(extra);
    let v = one_object(&server.cli_ok(&args));
    (
        v["agent_id"].as_str().unwrap().to_string(),
        v["credential"].as_str().unwrap().to_string(),
    )
}

fn audit(server: &TestServer, agent_id: &str) -> Vec<Value> {
    let v =
        one_object(&server.cli_ok(&["--json", "audit", "--agent", agent_id, "--action", "read"]));
    v["events"].as_array().unwrap().clone()
}

#[test]
fn read_run_and_inject_resolve_as_an_audited_rate_limited_agent_read() {
    let server = TestServer::start();
    init(&server);
    let work = one_object(&server.cli_ok(&["--json", "scope", "create", "work"]))["scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let secret = "pw-in-5f1c9e7d2a";
    let deploy = put(
        &server,
        &[
            "login",
            "--title",
            "Deploy key",
            "--field",
            "username=ci",
            "--field",
            &format!("password={secret}"),
            "--scope",
            &work,
        ],
    );
    let outside = "pw-out-77aa01bb";
    put(
        &server,
        &[
            "login",
            "--title",
            "Personal",
            "--field",
            &format!("password={outside}"),
        ],
    );
    for t in ["E3", "E4", "E5"] {
        put(&server, &["note", "--title", t, "--scope", &work]);
    }
    let (agent_id, cred) = agent(&server, &work, &[]);

    // read: by title (percent-encoded space) and by id.
    let r = as_agent(
        &server,
        &cred,
        &["read", "clavitor://Deploy%20key/password"],
        &[],
    );
    assert_eq!(
        (r.code, r.out.as_str()),
        (0, format!("{secret}\n").as_str()),
        "{}",
        r.err
    );
    let r = as_agent(
        &server,
        &cred,
        &["read", "-n", &format!("clavitor://{deploy}/username")],
        &[],
    );
    assert_eq!((r.code, r.out.as_str()), (0, "ci"), "{}", r.err);

    // run: the child sees the value; its piped output shows the mask.
    let seen = server.dir.path().join("seen.txt");
    let script = format!(
        "printf %s \"$DB_PASS\" > {}; echo \"pass=$DB_PASS\"; echo \"user=$DB_USER\" >&2; printf %s \"$FROM_FILE\" | head -c 5; echo; exit 7",
        seen.display()
    );
    let env_file = server.dir.path().join("app.env");
    std::fs::write(
        &env_file,
        "# app\nexport FROM_FILE=\"prefix clavitor://Deploy key/password\"\nPLAIN=1\n",
    )
    .unwrap();
    let r = as_agent(
        &server,
        &cred,
        &[
            "run",
            "--env-file",
            &env_file.display().to_string(),
            "--",
            "sh",
            "-c",
            &script,
        ],
        &[
            ("DB_PASS", "clavitor://Deploy key/password"),
            ("DB_USER", "clavitor://Deploy%20key/username"),
        ],
    );
    assert_eq!(r.code, 7, "exit status passes through: {}", r.err);
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), secret);
    assert_eq!(r.out, format!("pass={MASK}\nprefi\n"), "{}", r.err);
    assert!(!r.out.contains(secret) && !r.err.contains(secret));
    assert!(
        r.err.contains("user=ci"),
        "values under 4 bytes are not masked: {}",
        r.err
    );
    // --no-masking shows what the child printed.
    let r = as_agent(
        &server,
        &cred,
        &["run", "--no-masking", "--", "sh", "-c", "echo $DB_PASS"],
        &[("DB_PASS", "clavitor://Deploy key/password")],
    );
    assert_eq!((r.code, r.out.trim()), (0, secret), "{}", r.err);

    // inject: placeholders filled, the file is 0600.
    let tpl = server.dir.path().join("config.tpl");
    std::fs::write(&tpl, "user: {{ clavitor://Deploy%20key/username }}\npass: {{clavitor://Deploy%20key/password}}\nkeep: {{ other }}\n").unwrap();
    let out = server.dir.path().join("config.yaml");
    let r = as_agent(
        &server,
        &cred,
        &[
            "inject",
            "-i",
            &tpl.display().to_string(),
            "-o",
            &out.display().to_string(),
        ],
        &[],
    );
    assert_eq!((r.code, r.out.as_str()), (0, ""), "{}", r.err);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("user: ci\npass: {secret}\nkeep: {{{{ other }}}}\n")
    );
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Outside the agent's scopes: exit 3, nothing printed, the child never runs.
    let r = as_agent(
        &server,
        &cred,
        &["read", "clavitor://Personal/password"],
        &[],
    );
    assert_eq!((r.code, r.out.as_str()), (3, ""), "{}", r.err);
    assert!(
        r.err.contains("clavitor://Personal/password") && !r.err.contains(outside),
        "{}",
        r.err
    );
    let marker = server.dir.path().join("ran");
    let r = as_agent(
        &server,
        &cred,
        &["run", "--", "touch", &marker.display().to_string()],
        &[("X", "clavitor://Personal/password")],
    );
    assert_eq!((r.code, r.out.as_str()), (3, ""), "{}", r.err);
    assert!(r.err.contains("environment variable X"), "{}", r.err);
    assert!(!marker.exists(), "the command must not run");
    let bad_tpl = server.dir.path().join("bad.tpl");
    std::fs::write(
        &bad_tpl,
        "a: {{ clavitor://Deploy%20key/password }}\nb: {{ clavitor://Personal/password }}\n",
    )
    .unwrap();
    let bad_out = server.dir.path().join("bad.out");
    let r = as_agent(
        &server,
        &cred,
        &[
            "inject",
            "-i",
            &bad_tpl.display().to_string(),
            "-o",
            &bad_out.display().to_string(),
        ],
        &[],
    );
    assert_eq!((r.code, r.out.as_str()), (3, ""), "{}", r.err);
    assert!(r.err.contains("bad.tpl:2"), "{}", r.err);
    assert!(
        !bad_out.exists(),
        "nothing is written when a reference fails"
    );
    let r = as_agent(
        &server,
        &cred,
        &["read", "clavitor://Deploy key/nosuchfield"],
        &[],
    );
    assert_eq!((r.code, r.out.as_str()), (4, ""), "{}", r.err);
    let r = as_agent(&server, &cred, &["read", "clavitor://Deploy key"], &[]);
    assert_eq!((r.code, r.out.as_str()), (2, ""), "{}", r.err);

    // Rate limit (3 distinct per minute): Deploy key, E3, E4 pass; E5 is
    // refused exactly as `get E5` would be (429 CV-4290, exit 5).
    for t in ["E3", "E4"] {
        let r = as_agent(
            &server,
            &cred,
            &["read", &format!("clavitor://{t}/title")],
            &[],
        );
        assert_eq!((r.code, r.out.trim()), (0, t), "{}", r.err);
    }
    let r = as_agent(&server, &cred, &["read", "clavitor://E5/title"], &[]);
    assert_eq!((r.code, r.out.as_str()), (5, ""), "{}", r.err);
    assert!(r.err.contains("CV-4290"), "{}", r.err);

    // Every resolution is an audited read by this agent, naming the entry.
    let events = audit(&server, &agent_id);
    let success_on_deploy = events
        .iter()
        .filter(|e| e["outcome"] == "success" && e["entry_id"] == deploy.as_str())
        .count();
    // read ×2, run ×3 (two variables and the env file), --no-masking ×1,
    // inject ×2 (and ×1 in the refused template), and the read that found
    // no such field.
    assert_eq!(success_on_deploy, 10, "{events:?}");
    assert!(
        events.iter().any(|e| e["reason"] == "scope_denied"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e["reason"] == "rate_limited"),
        "{events:?}"
    );
    assert!(events.iter().all(|e| e["actor_id"] == agent_id.as_str()));
    let log = server.log();
    assert!(!log.contains(secret) && !log.contains(outside));
}

#[test]
fn run_passes_signals_to_the_child_and_dies_of_the_childs_signal() {
    let server = TestServer::start();
    // No reference in the environment: no credential is needed at all.
    let mut child = Command::new(bin())
        .args([
            "run",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; sleep 30 & wait",
        ])
        .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
        .env_remove("CLAVITOR_CREDENTIAL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!((status.code(), rest.as_str()), (Some(42), "got-term\n"));

    let status = Command::new(bin())
        .args(["run", "--", "sh", "-c", "kill -KILL $$"])
        .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
        .env_remove("CLAVITOR_CREDENTIAL")
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
}

/// A one-shot-per-connection HTTP server on 127.0.0.1 that records each
/// request and answers with a body echoing the Authorization header.
fn echo_server() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut s) = stream else { continue };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut head = String::new();
            let mut len = 0;
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
                if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&l);
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let auth = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("Authorization: ")
                        .or(l.strip_prefix("authorization: "))
                })
                .unwrap_or("")
                .to_string();
            let reply = format!(
                "{{\"you_sent\":\"{auth}\",\"body\":{:?}}}",
                String::from_utf8_lossy(&body)
            );
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Echo: {auth}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                reply.len()
            );
            let _ = tx.send(format!("{head}\n{}", String::from_utf8_lossy(&body)));
        }
    });
    (port, rx)
}

/// Drives `clavitor mcp` with `messages` (one per line) and returns every
/// line it wrote to stdout, parsed, and its stderr.
fn mcp(server: &TestServer, cred: &str, messages: &[Value]) -> (Vec<Value>, String) {
    let mut child = Command::new(bin())
        .arg("mcp")
        .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
        .env("CLAVITOR_CREDENTIAL", cred)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for m in messages {
            writeln!(stdin, "{m}").unwrap();
        }
        writeln!(stdin, "this is not json").unwrap();
    }
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines = text
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout carries only JSON-RPC: {e}: {l}"))
        })
        .collect();
    (lines, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn by_id(replies: &[Value], id: i64) -> &Value {
    replies
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no reply {id}: {replies:?}"))
}

fn tool_call(id: i64, name: &str, args: Value, modern: bool) -> Value {
    let mut params = json!({"name": name, "arguments": args});
    if modern {
        params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    }
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params})
}

#[test]
fn mcp_conversation_brokers_requests_without_revealing_values() {
    let server = TestServer::start();
    init(&server);
    let work = one_object(&server.cli_ok(&["--json", "scope", "create", "work"]))["scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (port, requests) = echo_server();
    let key = "sk-live-4d9a0c55e1f2b3";
    let api = put(
        &server,
        &[
            "api_key",
            "--title",
            "Echo API",
            "--url",
            &format!("http://127.0.0.1:{port}/v1"),
            "--field",
            &format!("key={key}"),
            "--scope",
            &work,
        ],
    );
    let elsewhere_key = "sk-other-99e8d7c6b5";
    let elsewhere = put(
        &server,
        &[
            "api_key",
            "--title",
            "Elsewhere",
            "--url",
            "https://api.example.com",
            "--field",
            &format!("key={elsewhere_key}"),
            "--scope",
            &work,
        ],
    );
    let shown = "shown-value-31415926";
    put(
        &server,
        &[
            "login",
            "--title",
            "Shareable",
            "--field",
            &format!("password={shown}"),
            "--agent-reveal",
            "--scope",
            &work,
        ],
    );
    put(
        &server,
        &[
            "login",
            "--title",
            "2FA",
            "--field",
            "totp=JBSWY3DPEHPK3PXP",
            "--scope",
            &work,
        ],
    );
    let (agent_id, cred) = agent(&server, &work, &["--rate-minute", "10"]);

    let url = format!("http://127.0.0.1:{port}/v1/echo");
    let legacy = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}),
        tool_call(
            3,
            "http_request",
            json!({"method": "POST", "url": url, "headers": {"Authorization": "Bearer clavitor://Echo%20API/key"}, "body": "{\"k\":\"clavitor://Echo%20API/key\"}"}),
            false,
        ),
        tool_call(4, "totp_code", json!({"entry": "2FA"}), false),
        tool_call(5, "check_entry", json!({"title": "Echo API"}), false),
        tool_call(6, "check_entry", json!({"title": "No such entry"}), false),
        tool_call(
            7,
            "reveal_secret",
            json!({"reference": "clavitor://Echo%20API/key"}),
            false,
        ),
        tool_call(
            8,
            "reveal_secret",
            json!({"reference": "clavitor://Shareable/password"}),
            false,
        ),
        tool_call(
            9,
            "http_request",
            json!({"url": url, "headers": {"Authorization": "Bearer clavitor://Elsewhere/key"}}),
            false,
        ),
        json!({"jsonrpc": "2.0", "id": 10, "method": "ping"}),
        json!({"jsonrpc": "2.0", "id": 11, "method": "entries/list"}),
        tool_call(12, "list_entries", json!({}), false),
    ];
    let (replies, stderr) = mcp(&server, &cred, &legacy);
    assert_eq!(replies.len(), 13, "one reply per request and one for the line that is not JSON, none for the notification: {replies:?}");
    assert_eq!(
        by_id(&replies, 1)["result"]["protocolVersion"],
        "2025-11-25"
    );
    assert!(by_id(&replies, 1)["result"]["capabilities"]["tools"].is_object());
    let tools: Vec<&str> = by_id(&replies, 2)["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        ["http_request", "totp_code", "check_entry", "reveal_secret"]
    );

    // The brokered request reached the server with the real key ...
    let seen = requests.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(seen.contains(&format!("Bearer {key}")), "{seen}");
    assert!(seen.contains(&format!("{{\"k\":\"{key}\"}}")), "{seen}");
    // ... and the tool result carries only the mask.
    let r3 = &by_id(&replies, 3)["result"];
    assert_eq!(r3["isError"], false, "{r3}");
    assert_eq!(r3["structuredContent"]["status"], 200);
    let body = r3["structuredContent"]["body"].as_str().unwrap();
    assert!(body.contains(&format!("Bearer {MASK}")), "{body}");
    assert_eq!(
        r3["structuredContent"]["headers"]["x-echo"],
        format!("Bearer {MASK}")
    );

    let code = by_id(&replies, 4)["result"]["structuredContent"]["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    let c5 = &by_id(&replies, 5)["result"]["structuredContent"];
    assert_eq!(
        (c5["exists"].clone(), c5["entry_id"].clone()),
        (json!(true), json!(api))
    );
    assert_eq!(c5["fields"], json!(["key"]));
    assert_eq!(
        by_id(&replies, 6)["result"]["structuredContent"]["exists"],
        false
    );
    let r7 = &by_id(&replies, 7)["result"];
    assert_eq!(r7["isError"], true, "not revealable: {r7}");
    let r8 = &by_id(&replies, 8)["result"];
    assert_eq!(
        (
            r8["isError"].clone(),
            r8["structuredContent"]["value"].clone()
        ),
        (json!(false), json!(shown))
    );
    let r9 = &by_id(&replies, 9)["result"];
    assert_eq!(r9["isError"], true, "{r9}");
    assert!(
        r9["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("destination host 127.0.0.1 is not allowed"),
        "{r9}"
    );
    assert!(
        requests.recv_timeout(Duration::from_millis(300)).is_err(),
        "the refused request was never sent"
    );
    assert_eq!(by_id(&replies, 10)["result"], json!({}));
    assert_eq!(by_id(&replies, 11)["error"]["code"], -32601);
    assert_eq!(by_id(&replies, 12)["error"]["code"], -32602);

    // No message other than the revealable raw value carries a value.
    for r in &replies {
        let text = r.to_string();
        for v in [key, elsewhere_key] {
            assert!(!text.contains(v), "{text}");
        }
        if r["id"] != 8 {
            assert!(!text.contains(shown), "{text}");
        }
    }
    assert!(
        !stderr.contains(key) && !stderr.contains(elsewhere_key),
        "{stderr}"
    );

    // The modern era: server/discover, per-request _meta, resultType; an
    // unsupported version is refused with the supported ones.
    let modern_meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let modern = [
        json!({"jsonrpc": "2.0", "id": "d", "method": "server/discover", "params": {"_meta": modern_meta}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": modern_meta}}),
        tool_call(
            3,
            "http_request",
            json!({"url": url, "headers": {"Authorization": "Bearer clavitor://Echo%20API/key"}}),
            true,
        ),
        json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {"_meta": {"io.modelcontextprotocol/protocolVersion": "1999-01-01"}}}),
    ];
    let (replies, _) = mcp(&server, &cred, &modern);
    let d = &replies.iter().find(|r| r["id"] == "d").unwrap()["result"];
    assert_eq!(d["resultType"], "complete");
    assert_eq!(d["supportedVersions"], json!(["2026-07-28", "2025-11-25"]));
    assert_eq!(
        by_id(&replies, 2)["result"]["tools"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let r3 = &by_id(&replies, 3)["result"];
    assert_eq!(
        (r3["resultType"].clone(), r3["isError"].clone()),
        (json!("complete"), json!(false)),
        "{r3}"
    );
    assert!(!r3.to_string().contains(key));
    assert!(requests
        .recv_timeout(Duration::from_secs(10))
        .unwrap()
        .contains(key));
    assert_eq!(by_id(&replies, 4)["error"]["code"], -32004);
    // The line that is not JSON got a parse error with a null id.
    assert!(replies
        .iter()
        .any(|r| r["id"].is_null() && r["error"]["code"] == -32700));

    // The audit log has every resolution with the agent, the entry and,
    // for brokered requests, the destination host.
    let events = audit(&server, &agent_id);
    let with_host: Vec<&Value> = events.iter().filter(|e| e["host"] == "127.0.0.1").collect();
    assert!(
        with_host
            .iter()
            .filter(|e| e["outcome"] == "success" && e["entry_id"] == api.as_str())
            .count()
            >= 3,
        "{events:?}"
    );
    assert!(
        with_host.iter().any(|e| e["outcome"] == "denied"
            && e["reason"] == "host_denied"
            && e["entry_id"] == elsewhere.as_str()),
        "{events:?}"
    );
    // A clavitor export keeps the options (and a re-import would restore them).
    let export = one_object(&server.cli_ok(&["export", "--format", "json"]));
    let item = |t: &str| {
        export["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == t)
            .unwrap()
            .clone()
    };
    assert_eq!(item("Shareable")["agent_reveal"], true);
    assert!(item("Echo API").get("agent_reveal").is_none());
    put(
        &server,
        &[
            "note",
            "--title",
            "Hosts",
            "--allowed-host",
            "API.example.com",
            "--allowed-host",
            "*.corp.example",
        ],
    );
    let export = one_object(&server.cli_ok(&["export", "--format", "json"]));
    let hosts = export["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Hosts")
        .unwrap()["allowed_hosts"]
        .clone();
    assert_eq!(hosts, json!(["api.example.com", "*.corp.example"]));
    let table = server.cli_ok(&["audit", "--agent", &agent_id]);
    assert!(
        table.lines().next().unwrap().trim_end().ends_with("HOST"),
        "{table}"
    );
    assert!(
        table.lines().any(|l| l.contains(&elsewhere)
            && l.contains("host_denied")
            && l.trim_end().ends_with("127.0.0.1")),
        "{table}"
    );
    let verify = one_object(&server.cli_ok(&["--json", "audit", "--verify"]));
    assert_eq!(
        verify["ok"], true,
        "rows with a host keep the chain: {verify}"
    );
}

#[test]
fn skill_install_writes_the_skill_once_and_replaces_it_only_when_forced() {
    let server = TestServer::start();
    let home = server.dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let home_s = home.display().to_string();
    let r = server.run_cli(&["skill", "install"], &[("HOME", home_s.as_str())]);
    let path = home.join(".claude/skills/clavitor/SKILL.md");
    assert_eq!(
        (r.code, r.out.trim()),
        (0, path.display().to_string().as_str()),
        "{}",
        r.err
    );
    let skill = std::fs::read_to_string(&path).unwrap();
    assert!(skill.starts_with("---\nname: clavitor\n"), "{skill}");
    for needle in [
        "clavitor run",
        "clavitor read",
        "clavitor totp",
        "one credential at a time",
    ] {
        assert!(skill.contains(needle), "{needle}");
    }
    // Again: unchanged, fine. A file edited by the user is kept unless --force.
    assert_eq!(
        server
            .run_cli(&["skill", "install"], &[("HOME", home_s.as_str())])
            .code,
        0
    );
    std::fs::write(&path, "mine").unwrap();
    let r = server.run_cli(&["skill", "install"], &[("HOME", home_s.as_str())]);
    assert_eq!(r.code, 1, "{}", r.err);
    assert!(r.err.contains("--force"), "{}", r.err);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    let dir = server.dir.path().join("proj-skills");
    let dir_s = dir.display().to_string();
    let r = server.run_cli(&["--json", "skill", "install", "--dir", &dir_s], &[]);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        one_object(&r.out)["installed"],
        dir.join("clavitor/SKILL.md").display().to_string()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("clavitor/SKILL.md")).unwrap(),
        skill
    );
    let r = server.run_cli(
        &["skill", "install", "--force"],
        &[("HOME", home_s.as_str())],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), skill);
}

/// Masked output is streamed: a possible start of a value is held only until
/// more output or a short silence, never until the command ends.
#[test]
fn masked_output_streams_and_releases_a_held_prefix_after_a_short_silence() {
    let server = TestServer::start();
    init(&server);
    put(
        &server,
        &[
            "login",
            "--title",
            "Db",
            "--field",
            "password=pw-stream-0123456789",
        ],
    );
    let mut child = Command::new(bin())
        .args([
            "run",
            "--",
            "sh",
            "-c",
            "printf 'line one\\nready p'; sleep 4; echo lain; echo $X",
        ])
        .env("XDG_CONFIG_HOME", server.dir.path().join("xdg"))
        .env("X", "clavitor://Db/password")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut out = child.stdout.take().unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    // "ready p": the "p" could begin the value, so it waits for the silence.
    while !got.ends_with(b"ready p") {
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "{}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(3), "held for {waited:?}");
    out.read_to_end(&mut got).unwrap();
    assert_eq!(
        String::from_utf8(got).unwrap(),
        format!("line one\nready plain\n{MASK}\n")
    );
    assert!(child.wait().unwrap().success());
}

/// The server side of a destination host (`?host=`), for the owner: the
/// entry's URLs' hosts and `allowed_hosts` decide; refusals are audited with
/// the host; a malformed host is a 400 that does not echo it.
#[test]
fn entry_reads_for_a_destination_host_are_checked_and_audited() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, mut body) = vault.login_entry("Site", "u", "pw-site-value");
    body["allowed_hosts"] = json!(["*.cdn.example"]);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    for host in ["example.com", "EXAMPLE.com:443", "a.cdn.example"] {
        let (st, v) = vault.call(
            &server,
            "GET",
            &format!("/api/v1/entries/{id}?host={host}"),
            None,
        );
        assert_eq!(st, 200, "{host}: {v}");
        assert_eq!(v["allowed_hosts"], json!(["*.cdn.example"]));
    }
    let got = vault.call(
        &server,
        "GET",
        "/api/v1/entries/lookup?title=site&host=evil.example",
        None,
    );
    assert_error(&got, 403, "CV-2044");
    let got = vault.call(
        &server,
        "GET",
        &format!("/api/v1/entries/{id}?host=cdn.example"),
        None,
    );
    assert_error(&got, 403, "CV-2044");
    let got = vault.call(
        &server,
        "GET",
        &format!("/api/v1/entries/{id}?host=a%2Fb%40secret-ish"),
        None,
    );
    assert_error(&got, 400, "CV-1004");
    assert!(!got.1.to_string().contains("secret-ish"), "{}", got.1);

    let (_, audit) = vault.call(&server, "GET", "/api/v1/audit?action=read", None);
    let events = audit["events"].as_array().unwrap();
    let hosts = |outcome: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["outcome"] == outcome && e["entry_id"] == id.as_str())
            .map(|e| e["host"].as_str().unwrap_or("-").to_string())
            .collect()
    };
    assert_eq!(
        hosts("success"),
        ["a.cdn.example", "example.com", "example.com"]
    );
    assert_eq!(hosts("denied"), ["cdn.example", "evil.example"]);
    assert!(events
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .all(|e| e["reason"] == "host_denied"));
    let (_, v) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!(v["ok"], true, "{v}");
}
