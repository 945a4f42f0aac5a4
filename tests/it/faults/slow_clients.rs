//! Slow clients cannot take the server away from everyone else: clients
//! trickling their headers or bodies a byte at a time, and one reading a
//! large answer very slowly, while other clients keep getting prompt
//! answers; the tricklers are cut off within a bounded time.

use crate::common;
use crate::faults as fault;
use common::*;
use fault::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Idle timeout for these servers; a body must arrive within it (plus 1 s per 64 KiB declared).
const IDLE_S: u64 = 3;

/// Sends `head` then trickles `rest` one byte per `every` until done, cut off, or `limit`.
/// Returns how long the server let it go on, and whether it was cut off.
fn trickle(
    port: u16,
    head: &[u8],
    rest: &[u8],
    every: Duration,
    limit: Duration,
) -> (Duration, bool) {
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(head).unwrap();
    for b in rest {
        if started.elapsed() > limit {
            return (started.elapsed(), false);
        }
        std::thread::sleep(every);
        if s.write_all(&[*b]).is_err() {
            return (started.elapsed(), true);
        }
        // A shut-down connection shows as EOF on read (non-blocking peek).
        s.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 512];
        let closed = matches!(s.read(&mut buf), Ok(0));
        s.set_nonblocking(false).unwrap();
        if closed {
            return (started.elapsed(), true);
        }
    }
    (started.elapsed(), false)
}

/// Fast clients: each request must be answered within `max` while the slow ones run.
fn fast_client(
    port: u16,
    token: String,
    entry: String,
    stop: Arc<AtomicBool>,
    max: Duration,
) -> (usize, Duration) {
    let auth = format!("Bearer {token}");
    let mut conn = Conn::new(port);
    let (mut n, mut worst) = (0, Duration::ZERO);
    let started = Instant::now();
    while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(30) {
        let t = Instant::now();
        let a = conn
            .send(
                "GET",
                &format!("/api/v1/entries/{entry}"),
                &[("Authorization", &auth)],
                b"",
            )
            .expect("a fast client is answered while slow clients trickle");
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        let took = t.elapsed();
        assert!(
            took < max,
            "a fast client waited {took:?} behind slow clients"
        );
        worst = worst.max(took);
        n += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    (n, worst)
}

#[test]
fn tricklers_of_headers_and_bodies_do_not_stall_other_clients_and_are_cut_off() {
    let server = TestServer::start_with(&format!(
        "log: {{level: info}}\nlimits: {{idle_timeout_s: {IDLE_S}}}\n"
    ));
    let vault = TestVault::create(&server);
    let (entry, body) = vault.login_entry("Slow", "alice", "pw");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );

    let stop = Arc::new(AtomicBool::new(false));
    let fast = {
        let (t, e, s) = (vault.token.clone(), entry.clone(), stop.clone());
        let port = server.port;
        std::thread::spawn(move || fast_client(port, t, e, s, Duration::from_secs(2)))
    };
    let auth = format!("Bearer {}", vault.token);
    let post = |path: &str, len: usize| {
        format!("POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n").into_bytes()
    };
    // More body tricklers than workers (2): JSON bodies (up to 1 MiB) are read
    // on tiny_http's connection threads, so they never hold a worker.
    let body = serde_json::to_vec(&json!({"name": "x".repeat(4000)})).unwrap();
    let header_req = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(200)
    )
    .into_bytes();
    // An import-sized body (over 1 MiB) is read by a worker: it holds one, but
    // only until its deadline (idle timeout + 1 s per 256 KiB declared).
    let big_len = 1_300_000;
    let big_deadline = Duration::from_secs(IDLE_S + (big_len / (256 * 1024)) as u64);
    let limit = big_deadline + Duration::from_secs(4);
    let mut slow: Vec<(&str, Vec<u8>, Vec<u8>)> = Vec::new();
    for _ in 0..3 {
        slow.push((
            "json body",
            post("/api/v1/scopes", body.len()),
            body.clone(),
        ));
    }
    slow.push(("headers", Vec::new(), header_req.clone()));
    slow.push(("headers", Vec::new(), header_req));
    slow.push((
        "import body",
        post("/api/v1/entries/batch", big_len as usize),
        vec![b' '; 200],
    ));
    let slow: Vec<_> = slow
        .into_iter()
        .map(|(what, head, rest)| {
            let port = server.port;
            (
                what,
                std::thread::spawn(move || {
                    trickle(port, &head, &rest, Duration::from_millis(60), limit)
                }),
            )
        })
        .collect();
    let slow: Vec<(&str, (Duration, bool))> = slow
        .into_iter()
        .map(|(w, t)| (w, t.join().unwrap()))
        .collect();
    stop.store(true, Ordering::SeqCst);
    let (served, worst) = fast.join().expect("fast client");
    eprintln!("slow clients: {slow:?}; fast client: {served} answers, worst {worst:?}");
    let (_, (took, cut)) = slow.iter().find(|(w, _)| *w == "import body").unwrap();
    assert!(
        *cut,
        "the import-body trickler was never cut off ({took:?})"
    );
    assert!(
        *took <= big_deadline + Duration::from_secs(2),
        "the import-body trickler held a worker for {took:?}"
    );
    assert!(served >= 10, "the fast client was barely served: {served}");
    // The server is whole afterwards.
    assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    assert_eq!(entry_state(&server, &vault, &entry).0, 200);
    assert_no_panic(&server);
}

#[test]
fn a_client_reading_a_large_answer_slowly_does_not_stall_others() {
    let server = TestServer::start_with(&format!(
        "log: {{level: info}}\nlimits: {{idle_timeout_s: {IDLE_S}}}\n"
    ));
    let vault = TestVault::create(&server);
    // A listing of a few hundred KB.
    let entries: Vec<Value> = (0..400)
        .map(|i| note(&format!("big {i} {}", "t".repeat(600)), 10).1)
        .collect();
    assert_eq!(
        vault
            .call(
                &server,
                "POST",
                "/api/v1/entries/batch",
                Some(&json!({"entries": entries}))
            )
            .0,
        201
    );
    let (entry, body) = note("target", 10);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );

    let stop = Arc::new(AtomicBool::new(false));
    let fast = {
        let (t, e, s) = (vault.token.clone(), entry.clone(), stop.clone());
        let port = server.port;
        std::thread::spawn(move || fast_client(port, t, e, s, Duration::from_secs(2)))
    };
    // Two slow readers (one per worker): 64 bytes every 20 ms, for a bounded time.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (port, token) = (server.port, vault.token.clone());
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_recv_buffer_size_hint();
                write!(s, "GET /api/v1/entries HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let started = Instant::now();
                let mut got = 0usize;
                let mut buf = [0u8; 64];
                while started.elapsed() < Duration::from_secs(4) {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got += n,
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                got
            })
        })
        .collect();
    let read: Vec<usize> = readers.into_iter().map(|t| t.join().unwrap()).collect();
    stop.store(true, Ordering::SeqCst);
    let (served, worst) = fast.join().expect("fast client");
    eprintln!("slow readers got {read:?} bytes; fast client: {served} answers, worst {worst:?}");
    assert!(read.iter().all(|n| *n > 0));
    assert!(served >= 10, "the fast client was barely served: {served}");
    assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    assert_no_panic(&server);
}

trait RecvHint {
    fn set_recv_buffer_size_hint(&self);
}

impl RecvHint for TcpStream {
    /// A small receive buffer, so the answer cannot all sit in the kernel on our side.
    fn set_recv_buffer_size_hint(&self) {
        use std::os::fd::AsRawFd;
        let size: libc::c_int = 4096;
        // SAFETY: setsockopt on our own open socket with a valid int.
        unsafe {
            libc::setsockopt(
                self.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                (&size as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
}
