//! SIGHUP reloads (or keeps the old configuration when the new one is bad);
//! SIGTERM finishes in-flight requests and exits promptly.

use crate::common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use clavitor::crypto::{b64, hex, random_bytes};

const SIGHUP: i32 = 1;
const SIGTERM: i32 = 15;

/// Waits (bounded) until the log written after byte `from` contains `needle`; returns that part of the log.
fn wait_for_log(server: &TestServer, from: usize, needle: &str, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    loop {
        let log = server.log();
        let tail = log.get(from..).unwrap_or("").to_string();
        if tail.contains(needle) {
            return Some(tail);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The harness's config lines, so a rewritten file changes only what a test means to change.
fn config_lines(server: &TestServer) -> Vec<String> {
    vec![
        format!("listen: \"127.0.0.1:{}\"", server.port),
        format!("data_dir: {}", server.data_dir().display()),
        "workers: 2".into(),
        "registration: open".into(),
    ]
}

fn write_lines(server: &TestServer, lines: &[String]) {
    server.write_config(&(lines.join("\n") + "\n"));
}

/// A failed session attempt for a random (nonexistent) vault id; returns the id.
/// Random ids keep the per-vault throttle out of the way.
fn failed_login(server: &TestServer) -> String {
    let vault_id = hex(&random_bytes::<16>());
    let body = json!({"vault_id": vault_id, "owner_auth": b64(&random_bytes::<32>()), "l1": b64(&random_bytes::<32>())});
    let (st, v) = call(&server.url, "POST", "/api/v1/session", None, Some(&body));
    assert_eq!(st, 401, "{v}");
    vault_id
}

fn healthy(server: &TestServer) {
    assert_eq!(
        get(&format!("{}/healthz", server.url)).0,
        200,
        "{}",
        server.log()
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[test]
fn sighup_with_unknown_key_keeps_old_config_and_logs_file_line_and_reason() {
    let server = TestServer::start();
    let mut lines = config_lines(&server);
    lines.insert(2, "frobnicate: 1".into()); // line 3
    write_lines(&server, &lines);
    let from = server.log().len();
    server.signal(SIGHUP);
    let tail = wait_for_log(&server, from, "reload failed", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no reload failure logged after SIGHUP:\n{}", server.log()));
    let line = tail.lines().find(|l| l.contains("reload failed")).unwrap();
    assert!(
        line.contains(&server.config_path.display().to_string()),
        "the log does not name the file: {line}"
    );
    assert!(
        line.contains("line 3"),
        "the log does not name the line: {line}"
    );
    assert!(
        line.contains("frobnicate") && line.contains("unknown field"),
        "the log does not give the reason: {line}"
    );
    assert!(!tail.contains("configuration reloaded"), "{tail}");
    // The old configuration is in force: still serving, registration still open.
    healthy(&server);
    let vault = TestVault::create(&server);
    assert_eq!(vault.call(&server, "GET", "/api/v1/entries", None).0, 200);

    // A fixed file is picked up by the next SIGHUP.
    write_lines(&server, &config_lines(&server));
    let from = server.log().len();
    server.signal(SIGHUP);
    assert!(
        wait_for_log(
            &server,
            from,
            "configuration reloaded",
            Duration::from_secs(5)
        )
        .is_some(),
        "{}",
        server.log()
    );
    healthy(&server);
}

#[test]
fn sighup_with_bad_value_keeps_old_config_and_logs_file_line_and_allowed_values() {
    let server = TestServer::start();
    let mut lines = config_lines(&server);
    lines[3] = "registration: maybe".into(); // line 4
    lines.push("log: {level: debug}".into());
    write_lines(&server, &lines);
    let from = server.log().len();
    server.signal(SIGHUP);
    let tail = wait_for_log(&server, from, "reload failed", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no reload failure logged after SIGHUP:\n{}", server.log()));
    let line = tail.lines().find(|l| l.contains("reload failed")).unwrap();
    assert!(
        line.contains(&server.config_path.display().to_string()),
        "the log does not name the file: {line}"
    );
    assert!(
        line.contains("line 4"),
        "the log does not name the line: {line}"
    );
    assert!(
        line.contains("maybe") || line.contains("registration"),
        "the log does not say what is wrong: {line}"
    );
    assert!(
        line.contains("closed") && line.contains("open"),
        "the log does not say what is allowed: {line}"
    );
    // Registration is still open (the built-in default would be closed).
    healthy(&server);
    let vault = TestVault::create(&server);
    assert_eq!(vault.call(&server, "GET", "/api/v1/entries", None).0, 200);
}

#[test]
fn sighup_changes_the_log_level() {
    let server = TestServer::start_with("log: {level: warn}\n");
    // At warn, a failed owner login (logged at info) is not written.
    let quiet = failed_login(&server);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !server.log().contains("failed owner login"),
        "logged at warn level:\n{}",
        server.log()
    );
    assert!(!server.log().contains(&quiet));

    // trace: the reload itself and the next failed login are logged.
    let mut lines = config_lines(&server);
    lines.push("log: {level: trace}".into());
    write_lines(&server, &lines);
    let from = server.log().len();
    server.signal(SIGHUP);
    assert!(
        wait_for_log(
            &server,
            from,
            "configuration reloaded",
            Duration::from_secs(5)
        )
        .is_some(),
        "no `configuration reloaded` after SIGHUP to trace:\n{}",
        server.log()
    );
    let loud = failed_login(&server);
    let tail = wait_for_log(&server, from, &loud, Duration::from_secs(2))
        .unwrap_or_else(|| panic!("failed login not logged at trace level:\n{}", server.log()));
    assert!(tail.contains("failed owner login"), "{tail}");

    // Back to warn: quiet again. (`configuration reloaded` is info, so it cannot be awaited; give the signal a moment.)
    let mut lines = config_lines(&server);
    lines.push("log: {level: warn}".into());
    write_lines(&server, &lines);
    let from = server.log().len();
    server.signal(SIGHUP);
    std::thread::sleep(Duration::from_millis(700));
    let quiet_again = failed_login(&server);
    std::thread::sleep(Duration::from_millis(200));
    let tail = server.log()[from..].to_string();
    assert!(
        !tail.contains(&quiet_again),
        "still logging info after SIGHUP to warn:\n{tail}"
    );
    healthy(&server);
}

#[test]
fn sighup_with_changed_listen_says_it_needs_a_restart_and_keeps_serving() {
    let server = TestServer::start();
    let other = free_port();
    let mut lines = config_lines(&server);
    lines[0] = format!("listen: \"127.0.0.1:{other}\"");
    write_lines(&server, &lines);
    let from = server.log().len();
    server.signal(SIGHUP);
    let tail = wait_for_log(&server, from, "needs a restart", Duration::from_secs(5))
        .unwrap_or_else(|| {
            panic!(
                "no `needs a restart` after changing listen:\n{}",
                server.log()
            )
        });
    let line = tail
        .lines()
        .find(|l| l.contains("needs a restart"))
        .unwrap();
    assert!(
        line.contains("listen"),
        "the log does not name the setting: {line}"
    );
    // Still on the old address, not on the new one.
    healthy(&server);
    assert!(
        TcpStream::connect(("127.0.0.1", other)).is_err(),
        "the server moved to the new port without a restart"
    );
}

/// Reads one HTTP response; Ok((status, body)) only if it is complete
/// (status line, headers, and the whole body by Content-Length or chunked).
/// Err(bytes received) if the connection ended early.
fn read_complete(s: TcpStream) -> Result<(u16, Vec<u8>), usize> {
    let mut r = BufReader::new(s);
    let mut got = 0usize;
    let mut line = String::new();
    let n = r.read_line(&mut line).unwrap_or(0);
    got += n;
    if n == 0 || !line.ends_with("\r\n") {
        return Err(got);
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or(got)?;
    let mut len = None;
    let mut chunked = false;
    loop {
        line.clear();
        let n = r.read_line(&mut line).unwrap_or(0);
        got += n;
        if n == 0 || !line.ends_with("\r\n") {
            return Err(got);
        }
        if line == "\r\n" {
            break;
        }
        let l = line.to_ascii_lowercase();
        if let Some(v) = l.strip_prefix("content-length:") {
            len = v.trim().parse::<usize>().ok();
        }
        if l.starts_with("transfer-encoding:") && l.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return Err(got + body.len());
            }
            let size = usize::from_str_radix(line.trim(), 16).map_err(|_| got)?;
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).map_err(|_| got + body.len())?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        let mut b = vec![0; len.ok_or(got)?];
        r.read_exact(&mut b).map_err(|_| got)?;
        body = b;
    }
    Ok((status, body))
}

#[test]
fn sigterm_finishes_a_half_sent_request_and_exits_within_2s() {
    let mut server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, mut entry) = vault.login_entry("In flight", "alice", "pw");
    // Over 1 KiB: upstream tiny_http hands such a request to a worker before the body is
    // complete; with vendor patch 6 the connection thread reads it and the request reaches
    // the queue after SIGTERM, where the stopping workers' drain must still answer it.
    entry["notes"] = json!("n".repeat(4000));
    let body = serde_json::to_vec(&entry).unwrap();
    let (first, second) = body.split_at(body.len() / 2);

    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let head = format!(
        "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        vault.token,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(first).unwrap();
    std::thread::sleep(Duration::from_millis(300)); // a worker is now reading the body

    let t = Instant::now();
    server.signal(SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(second).unwrap();
    let got = read_complete(s.try_clone().unwrap());
    let exit = server.wait_exit(Duration::from_secs(5));
    let took = t.elapsed();

    let (status, resp) = got.unwrap_or_else(|n| {
        panic!(
            "incomplete response ({n} bytes) to a request in flight at SIGTERM:\n{}",
            server.log()
        )
    });
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&resp));
    let v: Value = serde_json::from_slice(&resp).expect("JSON");
    assert_eq!(v["entry_id"], id.as_str());
    let exit =
        exit.unwrap_or_else(|| panic!("server still running 5 s after SIGTERM:\n{}", server.log()));
    assert!(exit.success(), "exit status {exit}:\n{}", server.log());
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
    assert!(server.log().contains("stopped"), "{}", server.log());

    // The write acknowledged during shutdown is on disk.
    server.spawn();
    let (st, got) = vault.call(&server, "GET", &format!("/api/v1/entries/{id}"), None);
    assert_eq!(st, 200, "{got}");
    assert_eq!(got["title"], "In flight");
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[test]
fn sigterm_during_concurrent_requests_sends_only_complete_responses_and_exits_within_2s() {
    let mut server = TestServer::start();
    let vault = TestVault::create(&server);
    const N: usize = 20;
    // A few idle keep-alive connections must not hold up the exit.
    let mut idle = Vec::new();
    for _ in 0..5 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut line = String::new();
        BufReader::new(s.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        idle.push(s);
    }
    let barrier = Arc::new(Barrier::new(N + 1));
    let mut threads = Vec::new();
    for i in 0..N {
        let barrier = barrier.clone();
        let port = server.port;
        let token = vault.token.clone();
        let (_, entry) = vault.login_entry(&format!("c{i}"), "u", "p");
        threads.push(std::thread::spawn(move || -> Option<Result<(u16, Vec<u8>), usize>> {
            let s = TcpStream::connect(("127.0.0.1", port));
            barrier.wait();
            let mut s = s.ok()?;
            s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            let req = match i % 3 {
                0 => "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string(),
                1 => format!("GET /api/v1/entries HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"),
                _ => {
                    let b = entry.to_string();
                    format!(
                        "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n{b}",
                        b.len()
                    )
                }
            };
            if s.write_all(req.as_bytes()).is_err() {
                return None;
            }
            Some(read_complete(s))
        }));
    }
    barrier.wait();
    let t = Instant::now();
    server.signal(SIGTERM);
    let exit = server.wait_exit(Duration::from_secs(5));
    let took = t.elapsed();
    let results: Vec<_> = threads
        .into_iter()
        .map(|h| h.join().expect("client thread"))
        .collect();

    let exit =
        exit.unwrap_or_else(|| panic!("server still running 5 s after SIGTERM:\n{}", server.log()));
    assert!(exit.success(), "exit status {exit}:\n{}", server.log());
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
    let mut answered = 0;
    for (i, r) in results.iter().enumerate() {
        match r {
            None | Some(Err(0)) => {} // refused or closed before any byte: fine
            Some(Err(n)) => panic!("client {i}: response cut off after {n} bytes"),
            Some(Ok((status, body))) => {
                answered += 1;
                assert!(
                    [200, 201].contains(status),
                    "client {i}: {status} {}",
                    String::from_utf8_lossy(body)
                );
                serde_json::from_slice::<Value>(body)
                    .unwrap_or_else(|e| panic!("client {i}: body is not whole JSON: {e}"));
            }
        }
    }
    eprintln!("{answered} of {N} requests answered before the exit in {took:?}");
    drop(idle);
    assert!(!server.log().contains("panicked"), "{}", server.log());
}
