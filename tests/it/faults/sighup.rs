//! A SIGHUP storm under load: hundreds of reloads (the config file changing
//! between two valid versions) while clients read and write over keep-alive
//! connections. Not one request may fail or get a 5xx, every acknowledged
//! write is there afterwards, and the server is alive. Bounded in count and
//! time.

use crate::common;
use crate::faults as fault;
use common::*;
use fault::*;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIGNALS: usize = 300;
const CLIENTS: usize = 3;
const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn sighup_storm_during_load_fails_no_request() {
    let server = TestServer::start_with("log: {level: info}\n");
    let vault = TestVault::create(&server);
    let (entry, body) = vault.login_entry("Storm", "alice", "pw");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let base = format!(
        "listen: \"127.0.0.1:{}\"\ndata_dir: {}\nworkers: 2\nregistration: open\n",
        server.port,
        server.data_dir().display()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let created: Arc<Mutex<Vec<String>>> = Arc::default();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (stop, failures, created) = (stop.clone(), failures.clone(), created.clone());
            let token = vault.token.clone();
            let port = server.port;
            let entry = entry.clone();
            std::thread::spawn(move || {
                let auth = format!("Bearer {token}");
                let mut conn = Conn::new(port);
                let started = Instant::now();
                let mut n = 0usize;
                while !stop.load(Ordering::SeqCst) && started.elapsed() < LIMIT {
                    n += 1;
                    let hdrs = [
                        ("Authorization", auth.as_str()),
                        ("Content-Type", "application/json"),
                    ];
                    let (what, got, want) = match n % 4 {
                        0 => {
                            let (id, b) = note(&format!("storm c{c} #{n}"), 10);
                            let got = conn.send(
                                "POST",
                                "/api/v1/entries",
                                &hdrs,
                                &serde_json::to_vec(&b).unwrap(),
                            );
                            if got.as_ref().is_some_and(|a| a.status == 201) {
                                created.lock().unwrap().push(id);
                            }
                            ("create", got, 201)
                        }
                        1 => ("list", conn.send("GET", "/api/v1/entries", &hdrs, b""), 200),
                        2 => ("health", conn.send("GET", "/healthz", &[], b""), 200),
                        _ => (
                            "read",
                            conn.send("GET", &format!("/api/v1/entries/{entry}"), &hdrs, b""),
                            200,
                        ),
                    };
                    match got {
                        Some(a) if a.status == want => {}
                        Some(a) => failures.lock().unwrap().push(format!(
                            "client {c} {what} #{n}: {} {}",
                            a.status,
                            String::from_utf8_lossy(&a.body)
                        )),
                        None => failures
                            .lock()
                            .unwrap()
                            .push(format!("client {c} {what} #{n}: connection failed")),
                    }
                }
                n
            })
        })
        .collect();

    // The storm: alternate two valid configurations, one SIGHUP every ~10 ms.
    let started = Instant::now();
    for i in 0..SIGNALS {
        if started.elapsed() > LIMIT {
            break;
        }
        if i % 25 == 0 {
            let level = if i % 50 == 0 { "debug" } else { "info" };
            server.write_config(&format!("{base}log: {{level: {level}}}\n"));
        }
        assert!(
            signal(server.pid(), libc::SIGHUP),
            "SIGHUP #{i}: the server is gone:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let requests: usize = clients.into_iter().map(|t| t.join().expect("client")).sum();

    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {requests} requests failed during {SIGNALS} SIGHUPs:\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        requests > 100,
        "the load was too light to mean anything: {requests}"
    );
    let reloads = server.log().matches("configuration reloaded").count();
    eprintln!("{requests} requests, {SIGNALS} SIGHUPs, {reloads} reloads logged, no failure");
    assert!(reloads > 0, "no reload happened:\n{}", server.log());

    assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    for id in created.lock().unwrap().iter() {
        assert_eq!(
            entry_state(&server, &vault, id).0,
            200,
            "acknowledged entry {id} missing"
        );
    }
    assert_eq!(integrity_check(&server.data_dir()), "ok");
    assert_no_panic(&server);
}
