//! Agent rate limits (SPEC section 7), sequential and under concurrency.
//!
//! Limits count distinct credentials read per agent in a sliding minute and
//! hour; re-reads do not count. Exceeding a limit is a violation (429); a
//! second violation inside the lockdown window locks the agent (423) until
//! the owner unlocks it, across restarts. Under parallel load the counts
//! must still be exact: the decision and its audit row share one write
//! transaction.

use crate::common;
use common::*;

use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

mod h {
    use super::common::*;

    /// `n` login entries in `scope`, created in one batch; returns their ids.
    pub fn new_entries(s: &TestServer, v: &TestVault, scope: &str, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut bodies = Vec::new();
        for i in 0..n {
            let (id, mut b) = v.login_entry(
                &format!("scope {scope} entry {i}"),
                "user",
                &format!("password {i}"),
            );
            b["scopes"] = json!([scope]);
            ids.push(id);
            bodies.push(b);
        }
        let (st, b) = v.call(
            s,
            "POST",
            "/api/v1/entries/batch",
            Some(&json!({ "entries": bodies })),
        );
        assert_eq!(st, 201, "batch: {b}");
        ids
    }

    /// An agent's read: (status, error code or "", Retry-After).
    pub fn read(url: &str, token: &str, id: &str) -> (u16, String, Option<String>) {
        let auth = format!("Bearer {token}");
        let (st, hs, body) = raw(
            url,
            "GET",
            &format!("/api/v1/entries/{id}"),
            &[("Authorization", &auth)],
            b"",
        );
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if st == 200 {
            assert_eq!(v["entry_id"], json!(id), "the entry asked for");
        } else {
            assert!(
                !String::from_utf8_lossy(&body).contains("cv1."),
                "a refusal carries no secret"
            );
        }
        let retry = hs
            .iter()
            .find(|(k, _)| k == "retry-after")
            .map(|(_, v)| v.clone());
        (
            st,
            v["error"]["code"].as_str().unwrap_or("").to_string(),
            retry,
        )
    }

    /// The agent's audit rows, oldest first.
    pub fn agent_rows(s: &TestServer, v: &TestVault, agent: &str) -> Vec<Value> {
        let (st, b) = v.call(
            s,
            "GET",
            &format!("/api/v1/audit?limit=1000&actor={agent}"),
            None,
        );
        assert_eq!(st, 200, "audit: {b}");
        let mut rows = b["events"].as_array().unwrap().clone();
        rows.reverse();
        rows
    }

    /// The requests an agent's rows stand for (a row of repeated refusals counts each).
    pub fn requests(rows: &[Value]) -> usize {
        rows.iter()
            .map(|r| r["count"].as_u64().expect("count") as usize)
            .sum()
    }

    /// (outcome, reason) counts of an agent's read rows.
    pub fn tally(rows: &[Value]) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for r in rows {
            assert_eq!(r["action"], "read", "{r}");
            let key = format!(
                "{}/{}",
                r["outcome"].as_str().unwrap(),
                r["reason"].as_str().unwrap_or("-")
            );
            // A row stands for `count` requests (repeated refusals collapse, issue 12).
            *m.entry(key).or_insert(0) += r["count"].as_u64().expect("count") as usize;
        }
        m
    }

    pub fn counts(pairs: &[(&str, usize)]) -> std::collections::BTreeMap<String, usize> {
        pairs
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.to_string(), *n))
            .collect()
    }

    pub fn agent_state(s: &TestServer, v: &TestVault, agent: &str) -> (bool, u64) {
        let (st, b) = v.call(s, "GET", &format!("/api/v1/agents/{agent}"), None);
        assert_eq!(st, 200, "{b}");
        (
            b["locked"].as_bool().unwrap(),
            b["violations"].as_u64().unwrap(),
        )
    }

    /// Moves an agent's successful reads `by_ms` into the past, straight in the
    /// database: stands in for waiting, so the hour limit can be tested in
    /// seconds. (It breaks the hash chain of those rows; tests using it do not verify.)
    pub fn age_reads(s: &TestServer, agent: &str, by_ms: i64) -> usize {
        let conn = rusqlite::Connection::open(s.data_dir().join("clavitor.db")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        // The rate check reads `agent_reads` (the last read of each entry,
        // kept by a trigger on audit inserts); time passes for both.
        conn.execute(
            "UPDATE agent_reads SET last_ts = last_ts - ?1 WHERE agent_id = ?2",
            rusqlite::params![by_ms, agent],
        )
        .unwrap();
        conn.execute("UPDATE audit SET ts = ts - ?1 WHERE actor_id = ?2 AND action = 'read' AND outcome = 'success'", rusqlite::params![by_ms, agent])
            .unwrap()
    }
}

#[test]
fn fourth_distinct_credential_in_a_minute_is_429_and_a_second_violation_locks_until_the_owner_unlocks(
) {
    let mut server = TestServer::start();
    let mut vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let ids = h::new_entries(&server, &vault, &scope, 6);
    let (agent, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [scope]}));
    let read = |server: &TestServer, i: usize| h::read(&server.url, &token, &ids[i]);

    for i in [0, 1, 2, 0, 1, 2] {
        assert_eq!(
            read(&server, i).0,
            200,
            "read {i}: three distinct, re-reads free"
        );
    }
    let (st, code, retry) = read(&server, 3);
    assert_eq!(
        (st, code.as_str()),
        (429, "CV-4290"),
        "the 4th distinct credential in a minute"
    );
    assert!(
        retry.is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s > 0)),
        "429 says when to retry"
    );
    assert_eq!(
        h::agent_state(&server, &vault, &agent),
        (false, 1),
        "one violation, not locked yet"
    );
    assert_eq!(
        read(&server, 0).0,
        200,
        "after one violation, re-reads still work"
    );
    let (st, code, _) = read(&server, 4);
    assert_eq!(
        (st, code.as_str()),
        (423, "CV-4230"),
        "the second violation within 2 h locks"
    );
    assert_eq!(h::agent_state(&server, &vault, &agent), (true, 2));
    for i in [0, 3, 5] {
        assert_eq!(
            read(&server, i).0,
            423,
            "locked: even re-reads of entry {i}"
        );
    }

    server.restart();
    vault.login(&server);
    for i in [0, 5] {
        assert_eq!(read(&server, i).0, 423, "still locked after a restart");
    }
    assert_eq!(h::agent_state(&server, &vault, &agent), (true, 2));
    let (st, v) = vault.call(
        &server,
        "POST",
        &format!("/api/v1/agents/{agent}/unlock"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["locked"].clone(), v["violations"].clone()),
        (json!(false), json!(0))
    );
    assert_eq!(read(&server, 0).0, 200, "unlocked: re-read works");
    // The minute window still holds three distinct reads: a new first violation, not a lock.
    assert_eq!(read(&server, 5).0, 429);
    assert_eq!(h::agent_state(&server, &vault, &agent), (false, 1));

    let rows = h::agent_rows(&server, &vault, &agent);
    assert_eq!(
        h::tally(&rows),
        h::counts(&[
            ("success/-", 8),
            ("denied/rate_limited", 2),
            ("denied/rate_limited_locked", 1),
            ("denied/agent_locked", 5)
        ]),
        "{rows:#?}"
    );
    assert_chain_ok(&server, &vault);
}

#[test]
fn rereading_the_same_credential_does_not_count_toward_the_limit() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let ids = h::new_entries(&server, &vault, &scope, 4);
    let other = new_scope(&server, &vault, "other");
    let outside = h::new_entries(&server, &vault, &other, 5);
    let (agent, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [scope]}));
    for n in 0..20 {
        assert_eq!(h::read(&server.url, &token, &ids[0]).0, 200, "re-read {n}");
    }
    // Refused reads release nothing, so they do not count either.
    for id in &outside {
        assert_eq!(h::read(&server.url, &token, id).0, 403);
    }
    for i in [1, 2, 1, 2, 0] {
        assert_eq!(h::read(&server.url, &token, &ids[i]).0, 200, "entry {i}");
    }
    assert_eq!(h::read(&server.url, &token, &ids[3]).0, 429);
    let rows = h::agent_rows(&server, &vault, &agent);
    assert_eq!(
        h::tally(&rows),
        h::counts(&[
            ("success/-", 25),
            ("denied/scope_denied", 5),
            ("denied/rate_limited", 1)
        ])
    );
    assert_eq!(h::agent_state(&server, &vault, &agent), (false, 1));
    assert_chain_ok(&server, &vault);
}

#[test]
fn the_hour_limit_counts_distinct_reads_older_than_a_minute() {
    // Configured limits 5/min and 6/h; the reads of the "first minute" are
    // aged in the database instead of waiting.
    let server = TestServer::start_with(
        "agents: {rate_limit_minute: 5, rate_limit_hour: 6, lockdown_window: 2h}\n",
    );
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let ids = h::new_entries(&server, &vault, &scope, 9);
    let (agent, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [scope]}));
    let (_, shown) = vault.call(&server, "GET", &format!("/api/v1/agents/{agent}"), None);
    assert_eq!(
        (
            shown["rate_limit_minute"].clone(),
            shown["rate_limit_hour"].clone()
        ),
        (json!(5), json!(6)),
        "config defaults apply"
    );
    for (i, id) in ids.iter().enumerate().take(5) {
        assert_eq!(h::read(&server.url, &token, id).0, 200, "entry {i}");
    }
    assert_eq!(h::age_reads(&server, &agent, 5 * 60_000), 5);
    // Minute window empty, hour window holds 5 of 6.
    assert_eq!(
        h::read(&server.url, &token, &ids[5]).0,
        200,
        "6th distinct in the hour"
    );
    assert_eq!(
        h::read(&server.url, &token, &ids[0]).0,
        200,
        "re-read of an entry read earlier in the hour"
    );
    let (st, code, retry) = h::read(&server.url, &token, &ids[6]);
    assert_eq!(
        (st, code.as_str()),
        (429, "CV-4290"),
        "7th distinct in the hour, only 1 in the minute"
    );
    assert!(retry.is_some());
    assert_eq!(h::agent_state(&server, &vault, &agent), (false, 1));
    let (st, code, _) = h::read(&server.url, &token, &ids[7]);
    assert_eq!(
        (st, code.as_str()),
        (423, "CV-4230"),
        "second violation locks"
    );
    // Once reads are older than an hour they no longer count, but the lock stays.
    h::age_reads(&server, &agent, 3_600_000);
    assert_eq!(h::read(&server.url, &token, &ids[8]).0, 423);
    let rows = h::agent_rows(&server, &vault, &agent);
    assert_eq!(
        h::tally(&rows),
        h::counts(&[
            ("success/-", 7),
            ("denied/rate_limited", 1),
            ("denied/rate_limited_locked", 1),
            ("denied/agent_locked", 1)
        ])
    );
}

#[test]
fn hour_limit_set_per_agent_by_the_owner_applies_at_once() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let ids = h::new_entries(&server, &vault, &scope, 6);
    let (agent, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [scope]}));
    let (st, v) = vault.call(
        &server,
        "PUT",
        &format!("/api/v1/agents/{agent}"),
        Some(&json!({"rate_limit_minute": 3, "rate_limit_hour": 4})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = vault.call(
        &server,
        "PUT",
        &format!("/api/v1/agents/{agent}"),
        Some(&json!({"rate_limit_minute": 5, "rate_limit_hour": 4})),
    );
    assert_eq!(st, 400, "hour below minute is refused: {v}");
    for id in &ids[..3] {
        assert_eq!(h::read(&server.url, &token, id).0, 200);
    }
    h::age_reads(&server, &agent, 2 * 60_000);
    assert_eq!(
        h::read(&server.url, &token, &ids[3]).0,
        200,
        "4th of the hour"
    );
    assert_eq!(
        h::read(&server.url, &token, &ids[4]).0,
        429,
        "5th of the hour"
    );
    assert_eq!(
        h::read(&server.url, &token, &ids[1]).0,
        200,
        "re-read inside the hour is free"
    );
    // The owner raises the hour limit: the next distinct read is within it.
    assert_eq!(
        vault
            .call(
                &server,
                "PUT",
                &format!("/api/v1/agents/{agent}"),
                Some(&json!({"rate_limit_hour": 10}))
            )
            .0,
        200
    );
    assert_eq!(h::read(&server.url, &token, &ids[5]).0, 200);
    assert_eq!(h::agent_state(&server, &vault, &agent), (false, 1));
}

#[test]
fn a_violation_outside_the_lockdown_window_does_not_lock() {
    let server = TestServer::start_with(
        "agents: {rate_limit_minute: 3, rate_limit_hour: 10, lockdown_window: 1s}\n",
    );
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "s");
    let ids = h::new_entries(&server, &vault, &scope, 6);
    let (agent, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [scope]}));
    for id in &ids[..3] {
        assert_eq!(h::read(&server.url, &token, id).0, 200);
    }
    assert_eq!(h::read(&server.url, &token, &ids[3]).0, 429);
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(
        h::read(&server.url, &token, &ids[4]).0,
        429,
        "the first violation left the window"
    );
    assert_eq!(h::agent_state(&server, &vault, &agent), (false, 1));
    assert_eq!(
        h::read(&server.url, &token, &ids[5]).0,
        423,
        "two inside the window lock"
    );
    assert_eq!(h::agent_state(&server, &vault, &agent), (true, 2));
}

/// A thread's work: its answers, in order.
type Job<T> = Box<dyn FnOnce() -> T + Send>;
type Answers = Vec<(u16, String)>;

/// Runs `jobs` on their own threads, all starting together; returns each job's
/// results in order. Bounded: every job must report within `limit`.
fn run_parallel<T: Send + 'static>(jobs: Vec<Job<T>>, limit: Duration) -> Vec<T> {
    let n = jobs.len();
    let barrier = Arc::new(Barrier::new(n));
    let (tx, rx) = mpsc::channel();
    let mut handles = Vec::new();
    for (i, job) in jobs.into_iter().enumerate() {
        let (tx, barrier) = (tx.clone(), barrier.clone());
        handles.push(std::thread::spawn(move || {
            barrier.wait();
            let _ = tx.send((i, job()));
        }));
    }
    drop(tx);
    let deadline = std::time::Instant::now() + limit;
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for _ in 0..n {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let (i, r) = rx
            .recv_timeout(left)
            .expect("a worker thread did not finish in time (or panicked)");
        out[i] = Some(r);
    }
    for h in handles {
        h.join().expect("worker thread");
    }
    out.into_iter().map(Option::unwrap).collect()
}

#[test]
fn eight_agents_hammering_in_parallel_each_get_exactly_three_reads() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    const AGENTS: usize = 8;
    let mut agents = Vec::new();
    for a in 0..AGENTS {
        let scope = new_scope(&server, &vault, &format!("scope {a}"));
        let ids = h::new_entries(&server, &vault, &scope, 12);
        let (id, token) = new_agent(
            &server,
            &vault,
            json!({"name": format!("agent {a}"), "scopes": [scope]}),
        );
        agents.push((id, token, ids));
    }
    // Each agent: six distinct entries, then re-reads of the first three, twice over.
    let plan = [0usize, 1, 2, 3, 4, 5, 0, 1, 2, 0, 1, 2];
    let jobs: Vec<Job<Answers>> = agents
        .iter()
        .map(|(_, token, ids)| {
            let (url, token, ids) = (server.url.clone(), token.clone(), ids.clone());
            Box::new(move || {
                plan.iter()
                    .map(|&i| {
                        let (st, code, _) = h::read(&url, &token, &ids[i]);
                        (st, code)
                    })
                    .collect()
            }) as Job<_>
        })
        .collect();
    let results = run_parallel(jobs, Duration::from_secs(120));

    for ((id, _, _), got) in agents.iter().zip(&results) {
        let statuses: Vec<u16> = got.iter().map(|(s, _)| *s).collect();
        // Sequential per agent, so the exact order is known.
        let mut want = vec![200, 200, 200, 429];
        want.resize(plan.len(), 423);
        assert_eq!(statuses, want, "agent {id}: {got:?}");
        assert_eq!(got[3].1, "CV-4290");
        assert!(got[4..].iter().all(|(_, c)| c == "CV-4230"), "{got:?}");
        let rows = h::agent_rows(&server, &vault, id);
        // Repeated refusals collapse into counted rows (issue 12): the
        // counts, not the rows, add up to one per request.
        assert_eq!(
            h::requests(&rows),
            plan.len(),
            "every request counted in the audit log of agent {id}: {rows:#?}"
        );
        assert_eq!(
            h::tally(&rows),
            h::counts(&[
                ("success/-", 3),
                ("denied/rate_limited", 1),
                ("denied/rate_limited_locked", 1),
                ("denied/agent_locked", plan.len() - 5)
            ]),
            "agent {id}"
        );
        assert_eq!(h::agent_state(&server, &vault, id), (true, 2), "agent {id}");
    }
    let (_, all) = vault.call(&server, "GET", "/api/v1/agents", None);
    let all = all["agents"].as_array().unwrap();
    assert_eq!(all.len(), AGENTS);
    assert!(
        all.iter()
            .all(|a| a["locked"] == json!(true) && a["violations"] == json!(2)),
        "{all:#?}"
    );
    assert_chain_ok(&server, &vault);
}

#[test]
fn eight_threads_sharing_one_agent_token_get_exactly_three_reads_in_total() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "shared");
    const THREADS: usize = 8;
    const PER_THREAD: usize = 3;
    let ids = h::new_entries(&server, &vault, &scope, THREADS * PER_THREAD);
    let (agent, token) = new_agent(
        &server,
        &vault,
        json!({"name": "shared", "scopes": [scope]}),
    );
    // Every request names a credential no other request names.
    let jobs: Vec<Job<Answers>> = (0..THREADS)
        .map(|t| {
            let (url, token) = (server.url.clone(), token.clone());
            let mine: Vec<String> = (0..PER_THREAD)
                .map(|k| ids[k * THREADS + t].clone())
                .collect();
            Box::new(move || {
                mine.iter()
                    .map(|id| {
                        let (st, code, _) = h::read(&url, &token, id);
                        (st, code)
                    })
                    .collect()
            }) as Job<_>
        })
        .collect();
    let results = run_parallel(jobs, Duration::from_secs(120));
    let all: Vec<&(u16, String)> = results.iter().flatten().collect();
    let count = |s: u16| all.iter().filter(|(st, _)| *st == s).count();
    assert_eq!(all.len(), THREADS * PER_THREAD);
    assert_eq!(
        (count(200), count(429), count(423)),
        (3, 1, THREADS * PER_THREAD - 4),
        "{results:?}"
    );
    let rows = h::agent_rows(&server, &vault, &agent);
    assert_eq!(
        h::requests(&rows),
        THREADS * PER_THREAD,
        "every request counted in the audit log: {rows:#?}"
    );
    assert_eq!(
        h::tally(&rows),
        h::counts(&[
            ("success/-", 3),
            ("denied/rate_limited", 1),
            ("denied/rate_limited_locked", 1),
            ("denied/agent_locked", THREADS * PER_THREAD - 5)
        ])
    );
    // The rows tell the same story as the answers, in the order they were decided.
    let first_refusal = rows.iter().position(|r| r["outcome"] != "success").unwrap();
    assert_eq!(first_refusal, 3, "three successes come first in the chain");
    assert_eq!(rows[3]["reason"], "rate_limited");
    assert_eq!(rows[4]["reason"], "rate_limited_locked");
    let succeeded: std::collections::BTreeSet<&str> = rows[..3]
        .iter()
        .map(|r| r["entry_id"].as_str().unwrap())
        .collect();
    assert_eq!(succeeded.len(), 3, "three distinct credentials released");
    assert_eq!(h::agent_state(&server, &vault, &agent), (true, 2));
    assert_chain_ok(&server, &vault);
    // Locked for everyone using the token, including re-reads of what it got.
    for id in succeeded {
        assert_eq!(h::read(&server.url, &token, id).0, 423);
    }
}

#[test]
fn eight_threads_rereading_the_same_credentials_never_trip_the_limit() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "shared");
    let ids = h::new_entries(&server, &vault, &scope, 3);
    let (agent, token) = new_agent(
        &server,
        &vault,
        json!({"name": "shared", "scopes": [scope]}),
    );
    let jobs: Vec<Job<Vec<u16>>> = (0..8)
        .map(|t| {
            let (url, token, ids) = (server.url.clone(), token.clone(), ids.clone());
            Box::new(move || {
                (0..9)
                    .map(|k| h::read(&url, &token, &ids[(t + k) % 3]).0)
                    .collect()
            }) as Job<_>
        })
        .collect();
    let results = run_parallel(jobs, Duration::from_secs(120));
    assert!(
        results.iter().flatten().all(|s| *s == 200),
        "three distinct credentials, however often: {results:?}"
    );
    assert_eq!(
        h::tally(&h::agent_rows(&server, &vault, &agent)),
        h::counts(&[("success/-", 72)])
    );
    assert_eq!(h::agent_state(&server, &vault, &agent), (false, 0));
    assert_chain_ok(&server, &vault);
}

/// `clavitor_audit_commits_total` from `/metrics` (loopback may scrape).
fn audit_commits(server: &TestServer) -> f64 {
    let (st, text) = get(&format!("{}/metrics", server.url));
    assert_eq!(st, 200);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("clavitor_audit_commits_total ")?
                .parse()
                .ok()
        })
        .expect("clavitor_audit_commits_total")
}

/// Group commit: parallel reads of one agent are decided inside one batch
/// transaction, one after another, each seeing the rows queued before it.
/// Rounds repeat (a fresh agent each) until one shows fewer commits than
/// requests, i.e. reads shared a batch; every round is exact.
#[test]
fn parallel_reads_of_one_agent_sharing_a_batch_are_counted_exactly() {
    const THREADS: usize = 16;
    const ROUNDS: usize = 10;
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let scope = new_scope(&server, &vault, "batched");
    let ids = h::new_entries(&server, &vault, &scope, THREADS);
    let mut batched = false;
    for round in 0..ROUNDS {
        let (agent, token) = new_agent(
            &server,
            &vault,
            json!({"name": format!("bot{round}"), "scopes": [scope]}),
        );
        let before = audit_commits(&server);
        let jobs: Vec<Job<(u16, String)>> = ids
            .iter()
            .map(|id| {
                let (url, token, id) = (server.url.clone(), token.clone(), id.clone());
                Box::new(move || {
                    let (st, code, _) = h::read(&url, &token, &id);
                    (st, code)
                }) as Job<_>
            })
            .collect();
        let results = run_parallel(jobs, Duration::from_secs(60));
        let commits = audit_commits(&server) - before;
        let count = |s: u16| results.iter().filter(|(st, _)| *st == s).count();
        assert_eq!(
            (count(200), count(429), count(423)),
            (3, 1, THREADS - 4),
            "round {round}: {results:?}"
        );
        // Reads refused at the gate once the lock is stored collapse into
        // counted rows (`Tx::audit_refusal`): count requests, not rows.
        let rows = h::agent_rows(&server, &vault, &agent);
        let requests: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap_or(1)).sum();
        assert_eq!(
            requests, THREADS as u64,
            "one audited request per request: {rows:#?}"
        );
        if commits < THREADS as f64 {
            eprintln!("round {round}: {THREADS} reads in {commits} commits");
            batched = true;
            break;
        }
    }
    assert!(batched, "no round put two reads in one commit");
    assert_chain_ok(&server, &vault);
}
