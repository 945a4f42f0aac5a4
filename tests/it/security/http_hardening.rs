//! Issue 12, item 3 and the Content-Length part of item 7: silent uploads
//! hold no worker, connections are capped with a clear 503, thousands of
//! idle connections stay cheap, and a request with an unparsable or
//! repeated `Content-Length` gets exactly one answer, 400.

use crate::common;
use common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Opens a connection and sends `head` (request line and headers), then nothing.
fn silent(url: &str, head: &str) -> TcpStream {
    let mut s = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s
}

/// Everything the server sends on `s` until it closes or `limit` passes.
fn read_all(s: &mut TcpStream, limit: Duration) -> String {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn healthz_time(url: &str) -> Duration {
    let t = Instant::now();
    let (status, _) = get(&format!("{url}/healthz"));
    assert_eq!(status, 200, "healthz");
    t.elapsed()
}

#[test]
fn silent_chunked_and_expect_uploads_hold_no_worker() {
    let server = TestServer::start(); // workers: 2
    let url = server.url.clone();
    let chunked = "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let expect = "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\nExpect: 100-continue\r\n\r\n";
    let expect_chunked = "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n";
    let mut held = Vec::new();
    for i in 0..8 {
        held.push(silent(&url, [chunked, expect, expect_chunked][i % 3]));
    }
    // Let the server take all eight in.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        let t = healthz_time(&url);
        assert!(
            t < Duration::from_secs(1),
            "healthz took {t:?} with eight silent uploads open"
        );
    }
    // The `Expect` clients were told to go on, by the connection's thread.
    let mut interim = [0u8; 25];
    held[1]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    held[1].read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    // A chunked body that does arrive is served as before.
    let mut s = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    let body = br#"{"vault_id":"00"}"#;
    let req = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    s.write_all(b"\r\n0\r\n\r\n").unwrap();
    let answer = read_all(&mut s, Duration::from_secs(10));
    assert!(
        answer.starts_with("HTTP/1.1 400"),
        "a complete chunked body with a bad vault id is answered 400: {answer}"
    );
    assert!(answer.contains("CV-"), "JSON error shape: {answer}");
    drop(held);
}

/// A request with a broken `Content-Length` gets one 400 and the connection
/// is closed: the body is never read as a second request.
#[test]
fn bad_or_repeated_content_length_is_one_400() {
    let server = TestServer::start();
    let url = server.url.clone();
    let body = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (what, headers) in [
        ("unparsable", "Content-Length: abc\r\n".to_string()),
        ("signed", "Content-Length: +37\r\n".to_string()),
        (
            "a list",
            format!("Content-Length: {0}, {0}\r\n", body.len()),
        ),
        (
            "repeated, same value",
            format!("Content-Length: {0}\r\nContent-Length: {0}\r\n", body.len()),
        ),
        (
            "repeated, different values",
            format!("Content-Length: {}\r\nContent-Length: 0\r\n", body.len()),
        ),
    ] {
        let mut s = TcpStream::connect(url.trim_start_matches("http://")).unwrap();
        let req = format!("POST /api/v1/session HTTP/1.1\r\nHost: x\r\n{headers}\r\n{body}");
        s.write_all(req.as_bytes()).unwrap();
        let answer = read_all(&mut s, Duration::from_secs(10));
        assert!(
            answer.starts_with("HTTP/1.1 400"),
            "{what} Content-Length: {answer}"
        );
        assert_eq!(
            answer.matches("HTTP/1.1 ").count(),
            1,
            "{what} Content-Length got more than one response: {answer}"
        );
        assert!(answer.contains("CV-1006"), "{what}: {answer}");
    }
    // A single well-formed Content-Length is still fine.
    let (status, _, _) = raw(&url, "POST", "/api/v1/session", &[], b"{}");
    assert_eq!(status, 400, "an empty session body is a validation error");
}

fn raise_nofile(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < want {
            lim.rlim_cur = want.min(lim.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .count()
}

#[test]
fn two_thousand_idle_connections_stay_cheap_and_the_server_serves() {
    const N: usize = 2000;
    raise_nofile(8192);
    // The server inherits the raised limit (and raises its own to the hard limit).
    let server = TestServer::start_with("limits: {idle_timeout_s: 120}\nlog: {level: info}\n");
    let url = server.url.clone();
    let pid = server.pid();
    let _ = healthz_time(&url);
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kib(pid);
    let base_threads = threads(pid);
    let addr = url.trim_start_matches("http://").to_string();
    let mut conns = Vec::with_capacity(N);
    for _ in 0..N {
        conns.push(TcpStream::connect(&addr).unwrap());
    }
    // Wait (bounded) until the server has a thread for each.
    let until = Instant::now() + Duration::from_secs(60);
    while threads(pid) < base_threads + N - 10 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = rss_kib(pid);
    let extra_mib = after.saturating_sub(before) as f64 / 1024.0;
    eprintln!(
        "{N} idle connections: {} threads, RSS {before} KiB -> {after} KiB (+{extra_mib:.1} MiB)",
        threads(pid)
    );
    assert!(
        threads(pid) >= base_threads + N - 10,
        "the server took in the connections"
    );
    assert!(
        extra_mib < 64.0,
        "{N} idle connections cost {extra_mib:.1} MiB of RSS"
    );
    let t = healthz_time(&url);
    assert!(t < Duration::from_secs(2), "healthz took {t:?}");
    drop(conns);
}

#[test]
fn connections_past_the_cap_get_503() {
    let server = TestServer::start_with("limits: {max_connections: 16}\n");
    let url = server.url.clone();
    let addr = url.trim_start_matches("http://").to_string();
    let held: Vec<TcpStream> = (0..16)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut s = TcpStream::connect(&addr).unwrap();
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let answer = read_all(&mut s, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 503"), "over the cap: {answer}");
    assert!(answer.contains("CV-5036"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // Closing held connections frees their places.
    drop(held);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = get(&format!("{url}/healthz"));
        if status == 200 {
            break;
        }
        assert!(Instant::now() < until, "places were not given back");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Bodies above 1 MiB are read by a worker; only the owner may make one
/// wait for such a body (the import routes are owner-only), so anonymous
/// clients announcing large uploads and sending nothing hold no worker.
#[test]
fn anonymous_large_uploads_are_refused_before_a_worker_waits_for_them() {
    let server = TestServer::start(); // workers: 2
    let url = server.url.clone();
    let mut held = Vec::new();
    for i in 0..6 {
        let path = ["/api/v1/entries/batch", "/api/v1/import/parse"][i % 2];
        let head = if i % 3 == 2 {
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n"
            )
        } else {
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n")
        };
        let mut s = silent(&url, &head);
        // Over 1 MiB arrives for the chunked ones, so the rest is left to a worker.
        if i % 3 == 2 {
            let _ = s.write_all(&vec![b'x'; (1 << 20) + 10]);
        } else {
            let _ = s.write_all(b"[{\"type\"");
        }
        held.push(s);
    }
    for mut s in held {
        let answer = read_all(&mut s, Duration::from_secs(10));
        assert!(
            answer.starts_with("HTTP/1.1 401"),
            "anonymous large upload: {}",
            answer.chars().take(200).collect::<String>()
        );
        assert!(answer.contains("CV-2001"), "{answer}");
    }
    for _ in 0..3 {
        let t = healthz_time(&url);
        assert!(t < Duration::from_secs(1), "healthz took {t:?}");
    }
}
