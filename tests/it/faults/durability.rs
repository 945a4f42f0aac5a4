//! `kill -9` in the middle of a stream of writes loses no acknowledged write
//! and leaves a sound database.

use crate::common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most writes the writer attempts, and the longest it runs.
const MAX_WRITES: usize = 3000;
const WRITER_LIMIT: Duration = Duration::from_secs(20);
/// The kill comes after this many acknowledged writes or this long, whichever is first.
const KILL_AFTER_ACKS: usize = 150;
const KILL_AFTER: Duration = Duration::from_secs(1);

/// One POST with `Connection: close`; the status, or None if the connection failed.
/// Never panics: the server dies under it.
fn try_post(port: u16, token: &str, body: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    let head = format!(
        "POST /api/v1/entries HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn sigkill_during_writes_loses_no_acknowledged_entry_and_db_stays_sound() {
    let mut server = TestServer::start_with("log: {level: info}\n");
    let vault = TestVault::create(&server);

    // Bodies are sealed up front so the writer only does I/O.
    let bodies: Vec<(String, Vec<u8>)> = (0..MAX_WRITES)
        .map(|i| {
            let (id, body) = vault.login_entry(
                &format!("entry {i}"),
                &format!("user{i}"),
                &format!("pw{i}"),
            );
            (id, serde_json::to_vec(&body).unwrap())
        })
        .collect();
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempted = Arc::new(AtomicUsize::new(0));
    let acks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let writer = {
        let (acked, attempted, acks, stop) =
            (acked.clone(), attempted.clone(), acks.clone(), stop.clone());
        let token = vault.token.clone();
        let port = server.port;
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut first_failure = None;
            for (i, (id, body)) in bodies.iter().enumerate() {
                if stop.load(Ordering::SeqCst) || started.elapsed() > WRITER_LIMIT {
                    break;
                }
                attempted.fetch_add(1, Ordering::SeqCst);
                // Only a complete 201 counts as acknowledged; failures after the kill are expected.
                match try_post(port, &token, body) {
                    Some(201) => {
                        acked.lock().unwrap().push(id.clone());
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    Some(_) => {}
                    None => {
                        first_failure.get_or_insert(i);
                    }
                }
            }
            let ids: Vec<String> = bodies.into_iter().map(|(id, _)| id).collect();
            (ids, first_failure)
        })
    };

    let t = Instant::now();
    while acks.load(Ordering::SeqCst) < KILL_AFTER_ACKS && t.elapsed() < KILL_AFTER {
        std::thread::sleep(Duration::from_millis(5));
    }
    let acked_before_kill = acks.load(Ordering::SeqCst);
    server.kill9();
    // The writer keeps going against the dead server for a moment (its failures are ignored).
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let (all_ids, first_failure) = writer.join().expect("writer thread");
    let attempted = attempted.load(Ordering::SeqCst);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked_before_kill > 0,
        "no write was acknowledged before the kill:\n{}",
        server.log()
    );
    assert!(acked.len() >= acked_before_kill);
    eprintln!(
        "acknowledged {} of {attempted} attempted writes (first failure at #{first_failure:?}); killed after {acked_before_kill} acks",
        acked.len()
    );

    server.spawn();
    let mut vault = vault;
    // Tokens survive a restart (the keyring is on disk); log in afresh anyway if not.
    if vault.call(&server, "GET", "/api/v1/entries", None).0 != 200 {
        vault.login(&server);
    }
    let mut lost = Vec::new();
    for id in &acked {
        let (st, v) = vault.call(&server, "GET", &format!("/api/v1/entries/{id}"), None);
        if st != 200 {
            lost.push(format!("{id}: {st} {v}"));
        }
    }
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost after kill -9:\n{}",
        lost.len(),
        lost.join("\n")
    );

    // Writes that were in flight at the kill are whole or absent, never broken.
    let reached_server = first_failure.map_or(attempted, |i| i + 1);
    for id in all_ids.iter().take(reached_server) {
        let (st, v) = vault.call(&server, "GET", &format!("/api/v1/entries/{id}"), None);
        assert!(st == 200 || st == 404, "entry {id} after kill -9: {st} {v}");
        if st == 200 {
            assert!(
                v["title"].as_str().is_some_and(|t| t.starts_with("entry ")),
                "{v}"
            );
        }
    }
    let auth = format!("Bearer {}", vault.token);
    let (st, _, body) = raw(
        &server.url,
        "GET",
        "/api/v1/entries",
        &[("Authorization", auth.as_str())],
        b"",
    );
    assert_eq!(st, 200);
    let list: Value = serde_json::from_slice(&body).expect("list is JSON");
    let listed = list["entries"].as_array().map(Vec::len).unwrap_or(0);
    assert!(
        listed >= acked.len() && listed <= reached_server,
        "listed {listed}, acked {}, sent before the first failure {reached_server}",
        acked.len()
    );

    // The database file is sound.
    let db = server.data_dir().join("clavitor.db");
    let conn = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open the database read-only");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok", "integrity_check after kill -9");
    drop(conn);

    // And a further write works.
    let (_, body) = vault.login_entry("after restart", "u", "p");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// `audit_sync: normal` commits the audit rows of reads without an fsync.
/// They must still be committed before the secret goes out: after `kill -9`
/// every released read is in the log, and the rate limit counted from those
/// rows still holds (the violation before the kill, the lock after it).
#[test]
fn audit_sync_normal_read_rows_survive_kill9() {
    let mut server = TestServer::start_with("audit_sync: normal\n");
    let vault = TestVault::create(&server);
    let ids: Vec<String> = (0..4)
        .map(|i| new_login(&server, &vault, &format!("e{i}"), &format!("pw{i}")))
        .collect();
    let (agent_id, token) = new_agent(&server, &vault, json!({"name": "bot", "all_access": true}));
    let read = |server: &TestServer, id: &str| {
        call(
            &server.url,
            "GET",
            &format!("/api/v1/entries/{id}"),
            Some(&token),
            None,
        )
    };
    // Three distinct reads (the default per-minute limit), re-reads free.
    for id in &ids[..3] {
        assert_eq!(read(&server, id).0, 200);
        assert_eq!(read(&server, id).0, 200);
    }
    assert_error(&read(&server, &ids[3]), 429, "CV-4290");

    server.kill9();
    server.spawn();

    let audit = format!("/api/v1/audit?actor={agent_id}&action=read&limit=1000");
    let (st, log) = vault.call(&server, "GET", &audit, None);
    assert_eq!(st, 200, "{log}");
    let events = log["events"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["entry_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for id in &ids[..3] {
        let n = outcomes
            .iter()
            .filter(|(o, e)| *o == "success" && e == id)
            .count();
        assert_eq!(n, 2, "released reads of {id} in the log: {outcomes:?}");
    }
    assert_eq!(
        outcomes.iter().filter(|(o, _)| *o == "denied").count(),
        1,
        "{outcomes:?}"
    );
    // The window survived the kill: a fourth distinct entry is a second
    // violation, which locks the agent.
    assert_error(&read(&server, &ids[3]), 423, "CV-4230");
    let (st, verify) = vault.call(&server, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, &verify["ok"]), (200, &json!(true)), "{verify}");
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// One agent GET with `Connection: close`; the status, or None if the
/// connection failed (the server died under it).
fn try_read(port: u16, token: &str, id: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let head = format!(
        "GET /api/v1/entries/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).ok()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What one client saw for one (agent, entry): answers by status, and
/// connections that broke (the kill).
#[derive(Default, Debug, Clone)]
struct Seen {
    ok: u64,
    refused: u64,
    broken: u64,
}

/// Group commit under `kill -9`: agents read in parallel (so their rows
/// share batches) while the server is killed at a random moment, five
/// times. Afterwards every 200 a client received has its success row in
/// the log, and a read that was only ever refused has none.
#[test]
fn parallel_agent_reads_killed_at_random_points_lose_no_released_read() {
    const ROUNDS: usize = 5;
    const PER_THREAD: usize = 400;
    let mut server = TestServer::start();
    let vault = TestVault::create(&server);
    let ids: Vec<String> = (0..6)
        .map(|i| new_login(&server, &vault, &format!("e{i}"), &format!("pw{i}")))
        .collect();
    // Three agents stay within their limit (three entries, re-read); the
    // fourth reads six, so it is refused (429, then locked: 423).
    let agents: Vec<(String, String, Vec<String>)> = (0..4)
        .map(|i| {
            let (id, token) = new_agent(
                &server,
                &vault,
                json!({"name": format!("bot{i}"), "all_access": true}),
            );
            let reads = if i < 3 {
                ids[..3].to_vec()
            } else {
                ids.clone()
            };
            (id, token, reads)
        })
        .collect();
    let seen: Arc<Mutex<std::collections::HashMap<(String, String), Seen>>> = Arc::default();
    let mut random = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;

    for round in 0..ROUNDS {
        let stop = Arc::new(AtomicBool::new(false));
        let port = server.port;
        let threads: Vec<_> = agents
            .iter()
            .flat_map(|a| [a.clone(), a.clone()]) // two clients per agent
            .map(|(agent, token, reads)| {
                let (stop, seen) = (stop.clone(), seen.clone());
                std::thread::spawn(move || {
                    for i in 0..PER_THREAD {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let entry = &reads[i % reads.len()];
                        let got = try_read(port, &token, entry);
                        let mut seen = seen.lock().unwrap();
                        let s = seen.entry((agent.clone(), entry.clone())).or_default();
                        match got {
                            Some(200) => s.ok += 1,
                            Some(_) => s.refused += 1,
                            None => s.broken += 1,
                        }
                    }
                })
            })
            .collect();
        // A pseudo-random moment between 20 and 400 ms into the round.
        random = random
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let wait = 20 + (random >> 33) % 380;
        std::thread::sleep(Duration::from_millis(wait));
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        for t in threads {
            t.join().expect("reader thread");
        }
        eprintln!("round {round}: killed after {wait} ms");
        server.spawn();
    }

    let db = server.data_dir().join("clavitor.db");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the database read-only");
    let rows = |agent: &str, entry: &str, outcome: &str| -> u64 {
        conn.query_row(
            "SELECT COUNT(*) FROM audit WHERE actor_id = ?1 AND entry_id = ?2 AND action = 'read' AND outcome = ?3",
            [agent, entry, outcome],
            |r| r.get(0),
        )
        .unwrap()
    };
    let seen = seen.lock().unwrap();
    let (mut released, mut refused) = (0, 0);
    for ((agent, entry), s) in seen.iter() {
        let success = rows(agent, entry, "success");
        assert!(
            success >= s.ok,
            "agent {agent} entry {entry}: {} reads answered 200 but only {success} success rows",
            s.ok
        );
        if s.ok == 0 && s.broken == 0 && s.refused > 0 {
            assert_eq!(
                success, 0,
                "agent {agent} entry {entry}: only refusals were answered, yet the log claims a read"
            );
            assert!(
                rows(agent, entry, "denied") > 0,
                "refusals of {agent} unaudited"
            );
        }
        released += s.ok;
        refused += s.refused;
    }
    eprintln!("{released} reads released and {refused} refused over {ROUNDS} kills");
    assert!(released > 0, "no read was released: {seen:?}");
    assert!(refused > 0, "the fourth agent was never refused: {seen:?}");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert!(!server.log().contains("panicked"), "{}", server.log());
}
