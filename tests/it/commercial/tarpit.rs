//! The tarpit: 1000 scanners held at once, the 1001st answered at once,
//! the API unaffected, SIGTERM prompt. Prints `BENCH tarpit …` lines that
//! `make bench` can collect.
use crate::common;
use crate::pops;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use pops::*;

const HELD: usize = 1000;

/// Sends a request line and returns the connection (nothing read yet).
fn probe(url: &str, method: &str, path: &str) -> TcpStream {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    s
}

fn first_line(s: &TcpStream) -> String {
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap_or(0);
    line
}

/// Latencies of `n` owner list requests.
fn api_latencies(vault: &TestVault, server: &TestServer, n: usize) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(vault.call(server, "GET", "/api/v1/entries", None).0, 200);
            t.elapsed()
        })
        .collect()
}

#[test]
fn tarpit_holds_1000_answers_the_1001st_at_once_keeps_the_api_fast_and_stops_promptly() {
    raise_fd_limit();
    let keys = Keys::new();
    // idle_timeout_s: 3, so a reaper that mistook held connections for idle ones would show.
    let mut spec = PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port())));
    spec.extra = String::new();
    let primary_spec = PopSpec::new("calgary-01", "primary", Some(("zurich-01", spec.port)));
    let backup = Pop::start(spec, &keys, "limits: {idle_timeout_s: 3}\n");
    let mut primary = Pop::start(primary_spec, &keys, "limits: {idle_timeout_s: 3}\n");
    let vault = TestVault::create(&primary.server);
    put_entry(&vault, &primary.server, "something");
    let _ = &backup;

    let mut quiet = api_latencies(&vault, &primary.server, 200);
    let (q50, q99) = percentiles(&mut quiet);

    let started = Instant::now();
    let held: Vec<TcpStream> = (0..HELD)
        .map(|i| probe(primary.url(), "GET", &format!("/wp-login.php?{i}")))
        .collect();
    for (i, s) in held.iter().enumerate() {
        let line = first_line(s);
        assert!(line.starts_with("HTTP/1.1 404"), "connection {i}: {line:?}");
    }
    println!(
        "{HELD} connections held after {:.2} s",
        started.elapsed().as_secs_f64()
    );

    // The 1001st gets a complete 404 at once.
    let t = Instant::now();
    let (st, _, body) = raw(primary.url(), "GET", "/.env", &[], b"");
    let at_cap = t.elapsed();
    assert_eq!(st, 404);
    assert!(String::from_utf8_lossy(&body).contains("CV-3003"));
    assert!(
        at_cap < Duration::from_millis(500),
        "the 1001st took {at_cap:?}"
    );

    let mut loaded = api_latencies(&vault, &primary.server, 200);
    let (l50, l99) = percentiles(&mut loaded);
    println!("BENCH tarpit api_p50_ms_without={q50:.2} api_p99_ms_without={q99:.2} api_p50_ms_with_1000_held={l50:.2} api_p99_ms_with_1000_held={l99:.2} cap_404_ms={:.2}", at_cap.as_secs_f64() * 1000.0);
    assert!(l99 < 250.0, "API p99 with 1000 held: {l99:.1} ms");

    // Past the idle timeout every held connection is still open and dripping.
    std::thread::sleep(Duration::from_secs(4));
    for (i, mut s) in held.iter().enumerate() {
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap_or(0);
        assert!(n > 0, "held connection {i} was closed or went silent");
    }

    let (took, status) = primary.server.stop();
    println!(
        "BENCH tarpit sigterm_exit_ms_with_1000_held={}",
        took.as_millis()
    );
    assert!(status.success(), "{status}");
    assert!(
        took < Duration::from_secs(2),
        "SIGTERM with {HELD} held took {took:?}"
    );
}

#[test]
fn tarpit_drips_one_byte_a_second_for_30_s_and_spares_api_health_and_metrics() {
    let keys = Keys::new();
    let pop = Pop::start(
        PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port()))),
        &keys,
        "",
    );

    // Exempt: immediate answers.
    for (method, path, want) in [
        ("GET", "/api/v1/nope", 404),
        ("PATCH", "/api/v1/entries", 405),
        ("DELETE", "/healthz", 405),
    ] {
        let t = Instant::now();
        let (st, _, _) = raw(pop.url(), method, path, &[], b"");
        assert_eq!(st, want, "{method} {path}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{method} {path} was held"
        );
    }
    let t = Instant::now();
    let _ = raw(pop.url(), "GET", "/metrics", &[], b"");
    assert!(t.elapsed() < Duration::from_secs(2), "/metrics was held");

    // A bad method on a non-API route is held too.
    let bad_method = probe(pop.url(), "PROPFIND", "/");
    assert!(first_line(&bad_method).starts_with("HTTP/1.1 404"));

    // Unknown route: status line at once, then about one byte per second, complete after 30 s.
    let t = Instant::now();
    let s = probe(pop.url(), "GET", "/phpmyadmin/");
    let mut r = BufReader::new(&s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(
        line.starts_with("HTTP/1.1 404") && t.elapsed() < Duration::from_secs(2),
        "{line:?}"
    );
    let mut rest = Vec::new();
    let mut byte = [0u8; 1];
    let mut arrivals = Vec::new();
    while !rest.ends_with(b"\r\n\r\n") && t.elapsed() < Duration::from_secs(40) {
        if r.read(&mut byte).unwrap_or(0) == 0 {
            break;
        }
        rest.push(byte[0]);
        if byte[0] == b'.' {
            arrivals.push(t.elapsed());
        }
    }
    let total = t.elapsed();
    assert!(
        rest.ends_with(b"\r\n\r\n"),
        "the response never ended: {:?}",
        String::from_utf8_lossy(&rest)
    );
    assert!((29..=33).contains(&total.as_secs()), "held for {total:?}");
    assert!(
        (28..=31).contains(&arrivals.len()),
        "{} drip bytes",
        arrivals.len()
    );
    for w in arrivals.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            gap > Duration::from_millis(700) && gap < Duration::from_millis(1500),
            "drip gap {gap:?}"
        );
    }
}
