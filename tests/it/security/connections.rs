//! Idle connections: hundreds of them do not starve a normal client, and
//! they are closed once `limits.idle_timeout_s` has passed.

use crate::common;
use common::*;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
const CONFIG: &str = "limits: {idle_timeout_s: 2, max_body: 1MiB, max_import_body: 64MiB}\n";

/// Reads one keep-alive response (headers, then the body by Content-Length) without closing.
fn read_response(s: &mut TcpStream) -> u16 {
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut len = 0;
    loop {
        line.clear();
        r.read_line(&mut line).expect("header");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).expect("body");
    assert!(
        r.buffer().is_empty(),
        "unexpected extra bytes after the response"
    );
    status
}

/// What a read on an idle stream saw before `deadline`.
#[derive(Debug, PartialEq)]
enum Seen {
    /// EOF or reset: the server closed it.
    Closed(Duration),
    /// Still open at the deadline.
    Open,
    /// The server sent bytes.
    Data(usize),
}

/// Waits until `s` is closed by the server, bounded by `deadline`; `since` is when it went idle.
fn wait_closed(s: &mut TcpStream, since: Instant, deadline: Instant) -> Seen {
    let mut buf = [0u8; 256];
    let now = Instant::now();
    if now >= deadline {
        // One non-blocking look.
        s.set_nonblocking(true).unwrap();
        let r = s.read(&mut buf);
        s.set_nonblocking(false).unwrap();
        return match r {
            Ok(0) => Seen::Closed(since.elapsed()),
            Ok(n) => Seen::Data(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Seen::Open,
            Err(_) => Seen::Closed(since.elapsed()),
        };
    }
    s.set_read_timeout(Some(deadline - now)).unwrap();
    match s.read(&mut buf) {
        Ok(0) => Seen::Closed(since.elapsed()),
        Ok(n) => Seen::Data(n),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Seen::Open,
        Err(_) => Seen::Closed(since.elapsed()), // reset
    }
}

fn threads_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// One request on a fresh connection with `Connection: close`, bounded by 3 s: (status or 0, time taken).
fn timed_request(port: u16, path: &str, token: Option<&str>) -> (u16, Duration) {
    let t = Instant::now();
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, t.elapsed());
    };
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    if s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n").as_bytes(),
    )
    .is_err()
    {
        return (0, t.elapsed());
    }
    let mut line = String::new();
    let _ = BufReader::new(s).read_line(&mut line);
    (
        line.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        t.elapsed(),
    )
}

/// Reads one keep-alive response, bounded by `deadline`; the status, or None if none came.
fn read_response_by(s: &mut TcpStream, deadline: Instant) -> Option<u16> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1));
    s.set_read_timeout(Some(left)).unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())?;
    let mut len = 0;
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(status)
}

#[test]
fn hundreds_of_idle_connections_do_not_starve_a_client_and_are_closed_after_the_timeout() {
    let server = TestServer::start_with(CONFIG);
    let vault = TestVault::create(&server);
    let (id, body) = vault.login_entry("GitHub", "alice", "pw");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let mut problems: Vec<String> = Vec::new();

    // 300 connections: even ones silent, odd ones make one keep-alive request and then go quiet.
    let t0 = Instant::now();
    let mut idle: Vec<(TcpStream, Instant, &str)> = Vec::with_capacity(300);
    let mut starved = Vec::new();
    for i in 0..300 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect idle stream");
        if i % 2 == 1 {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            // Well inside the idle timeout, so a missing answer is not the reaper's doing.
            match read_response_by(&mut s, Instant::now() + Duration::from_millis(1000)) {
                Some(200) => {}
                other => starved.push(format!("{i}:{other:?}")),
            }
            idle.push((s, Instant::now(), "keep-alive after one request"));
        } else {
            idle.push((s, Instant::now(), "silent"));
        }
        if t0.elapsed() > Duration::from_secs(30) {
            panic!(
                "setting up idle connections takes too long ({} open); starved so far: {starved:?}",
                idle.len()
            );
        }
    }
    if !starved.is_empty() {
        problems.push(format!(
            "{} of 150 keep-alive requests got no answer within 1 s while silent connections were open (stream:status): {}",
            starved.len(),
            starved.join(" ")
        ));
    }
    eprintln!(
        "300 idle streams open after {:?}; server has {} threads",
        t0.elapsed(),
        threads_of(server.pid())
    );

    // A normal client is served promptly while they are open.
    let token = vault.token.clone();
    for i in 0..20 {
        let (st, took) = if i % 2 == 0 {
            timed_request(server.port, "/healthz", None)
        } else {
            timed_request(server.port, &format!("/api/v1/entries/{id}"), Some(&token))
        };
        if st != 200 || took >= Duration::from_secs(2) {
            problems.push(format!(
                "normal request {i}: status {st} after {took:?} with 300 idle connections open"
            ));
        }
    }

    // Every idle stream is closed within idle_timeout + 3 s of going quiet.
    let mut still_open = Vec::new();
    let mut earliest = Duration::MAX;
    for (i, (s, since, kind)) in idle.iter_mut().enumerate() {
        let deadline = *since + IDLE_TIMEOUT + Duration::from_secs(3);
        match wait_closed(s, *since, deadline) {
            Seen::Closed(after) => earliest = earliest.min(after),
            other => still_open.push(format!("stream {i} ({kind}): {other:?}")),
        }
    }
    if !still_open.is_empty() {
        problems.push(format!(
            "{} idle streams not closed within {:?}:\n{}",
            still_open.len(),
            IDLE_TIMEOUT + Duration::from_secs(3),
            still_open.join("\n")
        ));
    }
    // Not closed long before the timeout either (the reaper sweeps about once a second).
    if earliest < IDLE_TIMEOUT - Duration::from_millis(600) {
        problems.push(format!("a stream was closed after only {earliest:?}"));
    }
    drop(idle);

    // The server still serves, and the connection threads go away again.
    let (st, took) = timed_request(server.port, "/healthz", None);
    if st != 200 || took >= Duration::from_secs(2) {
        problems.push(format!(
            "after the idle connections closed: status {st} after {took:?}"
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(12);
    let mut threads = threads_of(server.pid());
    while threads > 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        threads = threads_of(server.pid());
    }
    if threads > 20 {
        problems.push(format!(
            "the server still has {threads} threads after the idle connections were closed"
        ));
    }
    assert!(!server.log().contains("panicked"), "{}", server.log());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn slowloris_partial_header_is_closed_after_the_idle_timeout() {
    let server = TestServer::start_with(CONFIG);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // A request line and half a header line, then nothing.
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaa")
        .unwrap();
    let since = Instant::now();
    // A second one that stops in the middle of the request line.
    let mut s2 = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s2.write_all(b"GET /hea").unwrap();
    let since2 = Instant::now();

    // Meanwhile the server answers others, promptly.
    let (st, took) = timed_request(server.port, "/healthz", None);
    assert!(
        st == 200 && took < Duration::from_secs(1),
        "a normal request got status {st} after {took:?} while two slow clients hold partial requests"
    );

    for (name, stream, since) in [
        ("partial header", &mut s, since),
        ("partial request line", &mut s2, since2),
    ] {
        match wait_closed(stream, since, since + IDLE_TIMEOUT + Duration::from_secs(3)) {
            Seen::Closed(after) => {
                assert!(
                    after >= IDLE_TIMEOUT - Duration::from_millis(600),
                    "{name}: closed after only {after:?}"
                );
            }
            Seen::Data(_) => {} // an error response (e.g. 408) followed by a close is fine too
            Seen::Open => panic!(
                "{name}: still open {:?} after it went quiet",
                since.elapsed()
            ),
        }
    }
    let (st, took) = timed_request(server.port, "/healthz", None);
    assert!(
        st == 200 && took < Duration::from_secs(1),
        "afterwards: status {st} after {took:?}"
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

#[test]
fn active_keep_alive_connection_is_not_closed_while_in_use() {
    // The timeout is for idle connections: one that keeps making requests
    // (each gap shorter than the timeout) stays open past the timeout.
    let server = TestServer::start_with(CONFIG);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t = Instant::now();
    let mut n = 0;
    while t.elapsed() < IDLE_TIMEOUT * 2 && n < 20 {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("keep-alive connection closed while in use");
        assert_eq!(
            read_response(&mut s),
            200,
            "request {n} on a busy keep-alive connection"
        );
        n += 1;
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(n >= 6, "only {n} requests");
}

#[test]
fn request_right_after_a_silent_connection_is_served_promptly() {
    // A client that connects and says nothing must not hold up the next
    // client, even when the two connect back to back on a quiet server.
    let mut starved = Vec::new();
    for trial in 0..8 {
        let server = TestServer::start(); // idle_timeout 30 s: the reaper is no help here
        std::thread::sleep(Duration::from_millis(100)); // quiet: start-up traffic is over
        let silent = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        let (st, took) = timed_request_within(server.port, "/healthz", Duration::from_millis(1500));
        if st != 200 {
            starved.push(format!("trial {trial}: status {st} after {took:?}"));
        }
        drop(silent);
    }
    assert!(
        starved.is_empty(),
        "a request right after a silent connection was not served:\n{}",
        starved.join("\n")
    );
}

/// Like `timed_request` with a given read limit.
fn timed_request_within(port: u16, path: &str, limit: Duration) -> (u16, Duration) {
    let t = Instant::now();
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, t.elapsed());
    };
    s.set_read_timeout(Some(limit)).unwrap();
    if s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .is_err()
    {
        return (0, t.elapsed());
    }
    let mut line = String::new();
    let _ = BufReader::new(s).read_line(&mut line);
    (
        line.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0),
        t.elapsed(),
    )
}
