//! Concurrent writers racing on one entry with `If-Match`: for every version
//! exactly one PUT wins and the others get 409, versions advance by one per
//! acknowledged write, and the final entry is the last winner's — no lost
//! update. Bounded: a fixed number of rounds.

use crate::common;
use crate::faults as fault;
use common::*;
use fault::*;

use std::sync::{Arc, Barrier};

const WRITERS: usize = 8;
const ROUNDS: usize = 12;

#[test]
fn racing_if_match_writers_exactly_one_wins_per_version_and_no_update_is_lost() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, body) = note("race v1", 10);
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );

    let mut winners = Vec::new();
    for round in 0..ROUNDS {
        let version = round as i64 + 1;
        let barrier = Arc::new(Barrier::new(WRITERS));
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (barrier, token, id) = (barrier.clone(), vault.token.clone(), id.clone());
                let port = server.port;
                std::thread::spawn(move || {
                    let title = format!("round {round} writer {w}");
                    let body = json!({"type": "note", "title": title, "notes": format!("by {w}")});
                    let if_match = format!("\"{version}\"");
                    barrier.wait();
                    let a = try_call(
                        port,
                        "PUT",
                        &format!("/api/v1/entries/{id}"),
                        &token,
                        Some(&body),
                        &[("If-Match", &if_match)],
                    )
                    .expect("the server answers every racing writer");
                    (w, title, a.status, a.code(), a.json())
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let won: Vec<_> = results.iter().filter(|r| r.2 == 200).collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one writer wins: {:?}",
            results.iter().map(|r| (r.0, r.2, &r.3)).collect::<Vec<_>>()
        );
        assert_eq!(
            won[0].4["version"],
            json!(version + 1),
            "round {round}: {}",
            won[0].4
        );
        for r in results.iter().filter(|r| r.2 != 200) {
            assert_eq!(
                (r.2, r.3.as_str()),
                (409, "CV-4001"),
                "round {round}, writer {}: {}",
                r.0,
                r.4
            );
        }
        // The entry is exactly the winner's write.
        let (st, v, title) = entry_state(&server, &vault, &id);
        assert_eq!(
            (st, v, title.as_str()),
            (200, version + 1, won[0].1.as_str())
        );
        winners.push(won[0].1.clone());
    }

    // A stale If-Match still loses after all that, and the history is in the audit log.
    let stale = try_call(
        server.port,
        "PUT",
        &format!("/api/v1/entries/{id}"),
        &vault.token,
        Some(&json!({"type": "note", "title": "stale"})),
        &[("If-Match", "\"1\"")],
    )
    .unwrap();
    assert_eq!((stale.status, stale.code().as_str()), (409, "CV-4001"));
    let (st, v, title) = entry_state(&server, &vault, &id);
    assert_eq!(
        (st, v, title.as_str()),
        (200, ROUNDS as i64 + 1, winners.last().unwrap().as_str())
    );
    let (_, audit) = vault.call(
        &server,
        "GET",
        &format!("/api/v1/audit?entry={id}&action=update&limit=1000"),
        None,
    );
    assert_eq!(
        audit["events"].as_array().unwrap().len(),
        ROUNDS,
        "one audited update per acknowledged write: {audit}"
    );
    assert_eq!(integrity_check(&server.data_dir()), "ok");
    assert_no_panic(&server);
}
