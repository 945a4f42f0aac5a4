//! Adversarial suite: the real server, driven with agent tokens that try
//! everything an agent must not do (SPEC sections 4, 5 and 7).
//!
//! Every attempt must be refused with the right status and `CV-` code, be
//! audited with the right reason (checked row by row against GET /audit),
//! and reveal nothing about existence: an existing entry the agent may not
//! see answers byte for byte like an id or title that does not exist.
//!
//! Each test counts its attempts; when the whole suite has run, the total is
//! printed as "adversarial attempts: N" and must be at least 100
//! (`cargo test --test agents_adversarial -- --nocapture` shows it).

use crate::common;
use common::*;

mod h {
    use super::common::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// [`send`](super::common::send) with an optional JSON body.
    pub fn send(
        url: &str,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Response {
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        super::common::send(url, method, path, token, extra, &bytes)
    }

    /// Asserts two responses are indistinguishable (all but `Date`).
    pub fn assert_same(what: &str, got: &Response, reference: &Response) {
        assert_eq!(
            got.observable(),
            reference.observable(),
            "{what}: must be indistinguishable from the reference answer"
        );
    }

    /// Percent-encodes a query value.
    pub fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    /// What one audit row must say.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Row {
        pub action: String,
        pub outcome: String,
        pub reason: Option<String>,
        pub entry: Option<String>,
    }

    pub fn row(action: &str, outcome: &str, reason: Option<&str>, entry: Option<&str>) -> Row {
        Row {
            action: action.into(),
            outcome: outcome.into(),
            reason: reason.map(Into::into),
            entry: entry.map(Into::into),
        }
    }
    pub fn denied(action: &str, reason: &str, entry: Option<&str>) -> Row {
        row(action, "denied", Some(reason), entry)
    }
    pub fn success(action: &str, entry: Option<&str>) -> Row {
        row(action, "success", None, entry)
    }

    /// An agent under test: its token, what it tried, and the audit rows that must exist for it.
    pub struct Attacker {
        pub url: String,
        pub id: String,
        pub token: String,
        pub attempts: usize,
        pub expected: Vec<Row>,
    }

    impl Attacker {
        pub fn new(s: &TestServer, id: &str, token: &str) -> Attacker {
            Attacker {
                url: s.url.clone(),
                id: id.into(),
                token: token.into(),
                attempts: 0,
                expected: Vec::new(),
            }
        }

        /// One adversarial request: it must be refused with `status`/`code`,
        /// and leave exactly the audit row `audit` (or none).
        pub fn refused(
            &mut self,
            method: &str,
            path: &str,
            body: Option<&Value>,
            status: u16,
            code: &str,
            audit: Option<Row>,
        ) -> Response {
            self.refused_with(method, path, body, &[], status, code, audit)
        }

        #[allow(clippy::too_many_arguments)]
        pub fn refused_with(
            &mut self,
            method: &str,
            path: &str,
            body: Option<&Value>,
            extra: &[(&str, &str)],
            status: u16,
            code: &str,
            audit: Option<Row>,
        ) -> Response {
            self.attempts += 1;
            let r = send(&self.url, method, path, Some(&self.token), body, extra);
            assert_eq!(
                (r.status, r.code()),
                (status, code.to_string()),
                "{method} {path} must be refused: {}",
                r.text()
            );
            assert!(
                r.json()["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{method} {path}: message in {}",
                r.text()
            );
            assert!(
                !r.text().contains("\"fields\"") && !r.text().contains("cv1."),
                "{method} {path}: a refusal carries no entry data: {}",
                r.text()
            );
            self.expected.extend(audit);
            r
        }

        /// A request the agent may make (counted as an attempt when `attack`).
        pub fn allowed(
            &mut self,
            method: &str,
            path: &str,
            body: Option<&Value>,
            status: u16,
            audit: Option<Row>,
            attack: bool,
        ) -> Response {
            if attack {
                self.attempts += 1;
            }
            let r = send(&self.url, method, path, Some(&self.token), body, &[]);
            assert_eq!(r.status, status, "{method} {path}: {}", r.text());
            self.expected.extend(audit);
            r
        }

        /// The audit log holds exactly the expected rows for this agent, in order, from 127.0.0.1.
        pub fn check_audit(&self, s: &TestServer, v: &TestVault) {
            let rows = audit_rows(s, v, &format!("&actor={}", self.id));
            // Repeated refusals are collapsed into rows carrying a count
            // (issue 12 item 6): a row stands for `count` requests. The
            // repeats of a refusal are appended (as one counted row) when
            // its window ends or the log is read, so the order of rows is
            // not the order of the requests; the multiset of what was
            // recorded must still be exactly what was expected.
            let mut got: Vec<Row> = rows
                .iter()
                .flat_map(|e| {
                    let count = e["count"].as_u64().expect("every audit row has a count");
                    assert!(count >= 1, "{e}");
                    let row = Row {
                        action: e["action"].as_str().unwrap_or("").into(),
                        outcome: e["outcome"].as_str().unwrap_or("").into(),
                        reason: e["reason"].as_str().map(Into::into),
                        entry: e["entry_id"].as_str().map(Into::into),
                    };
                    std::iter::repeat_n(row, count as usize)
                })
                .collect();
            let mut expected = self.expected.clone();
            if got != expected {
                let key = |r: &Row| format!("{r:?}");
                got.sort_by_key(key);
                expected.sort_by_key(key);
            }
            for (i, (g, w)) in got.iter().zip(&expected).enumerate() {
                assert_eq!(
                    g,
                    w,
                    "audit row {i} of agent {} (of {} rows; expected {})",
                    self.id,
                    got.len(),
                    self.expected.len()
                );
            }
            assert_eq!(
                got.len(),
                expected.len(),
                "audit rows of agent {}: {got:#?}",
                self.id
            );
            for e in &rows {
                assert_eq!(e["actor_kind"], "agent", "{e}");
                assert_eq!(e["source_ip"], "127.0.0.1", "{e}");
            }
        }
    }

    static ATTEMPTS: AtomicUsize = AtomicUsize::new(0);
    static FINISHED: AtomicUsize = AtomicUsize::new(0);
    /// The number of tests below that call [`finish`]; keep it in step.
    pub const SUITE_TESTS: usize = 13;

    /// Records a test's attempts; the last test of the suite prints and checks the total.
    pub fn finish(test: &str, attempts: usize) {
        eprintln!("{test}: {attempts} adversarial attempts");
        ATTEMPTS.fetch_add(attempts, Ordering::SeqCst);
        if FINISHED.fetch_add(1, Ordering::SeqCst) + 1 == SUITE_TESTS {
            let total = ATTEMPTS.load(Ordering::SeqCst);
            eprintln!("adversarial attempts: {total}");
            assert!(
                total >= 100,
                "the adversarial suite made only {total} attempts"
            );
        }
    }
}

use h::{denied, success, Attacker};

/// An entry id for an expected audit row.
fn e(id: &str) -> Option<&str> {
    Some(id)
}

/// Rate limits out of the way: denied reads do not count, successful ones would.
fn adversarial_server() -> TestServer {
    TestServer::start_with(
        "agents: {rate_limit_minute: 1000, rate_limit_hour: 10000, lockdown_window: 2h}\n",
    )
}

fn get_entry(id: &str) -> String {
    format!("/api/v1/entries/{id}")
}

fn lookup(title: &str) -> String {
    format!("/api/v1/entries/lookup?title={}", h::enc(title))
}

#[test]
fn out_of_scope_owner_only_system_and_foreign_ids_answer_exactly_like_missing_ones() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let in_scope = new_entry(&server, &vault, "In Scope", &[&s1]);
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let owner_only = new_entry(&server, &vault, "Owner Only", &[&s1, "0000"]);
    let strictly_owner = new_entry(&server, &vault, "Strictly Owner", &["0000"]);
    let unscoped = new_entry(&server, &vault, "No Scope", &[]);
    let deleted = new_entry(&server, &vault, "Deleted", &[&s1]);
    assert_eq!(
        vault.call(&server, "DELETE", &get_entry(&deleted), None).0,
        200
    );
    // An entry that was in scope and was moved out of it.
    let (moved, mut body) = vault.login_entry("Moved Away", "u", "p");
    body["scopes"] = json!([s1]);
    post_entry(&server, &vault, &body);
    body["scopes"] = json!([s2]);
    let r = h::send(
        &server.url,
        "PUT",
        &get_entry(&moved),
        Some(&vault.token),
        Some(&body),
        &[("If-Match", "\"1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.text());

    let (scoped_id, scoped_token) =
        new_agent(&server, &vault, json!({"name": "scoped", "scopes": [s1]}));
    let (all_id, all_token) = new_agent(
        &server,
        &vault,
        json!({"name": "everything", "all_access": true}),
    );

    // System entries, as the owner sees them: agents from GET /agents, scopes from the audit rows.
    let (st, agents) = vault.call(&server, "GET", "/api/v1/agents", None);
    assert_eq!(st, 200);
    let agent_ids: Vec<String> = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agent_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(agent_ids.len(), 2, "{agents}");
    assert!(agent_ids.contains(&scoped_id) && agent_ids.contains(&all_id));
    let scope_entries: Vec<String> = audit_rows(&server, &vault, "&action=scope_create")
        .iter()
        .map(|e| e["entry_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        scope_entries.len(),
        2,
        "scope system entries from the audit log"
    );

    // Another vault on the same server, whose scope is also called 0001.
    let other = TestVault::create(&server);
    let other_scope = new_scope(&server, &other, "theirs");
    assert_eq!(other_scope, s1, "both vaults number their first scope 0001");
    let foreign = new_entry(&server, &other, "In Scope", &[&other_scope]);

    let mut total = 0;
    // (agent id, token, [(what, id it must not see)])
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);
    let cases: [Case; 2] = [
        (
            scoped_id.as_str(),
            scoped_token.as_str(),
            vec![
                ("out of scope", &out),
                ("scopes 0001+0000", &owner_only),
                ("scope 0000", &strictly_owner),
                ("no scope", &unscoped),
                ("deleted", &deleted),
                ("moved out of scope", &moved),
                ("own agent entry", &scoped_id),
                ("another agent entry", &all_id),
                ("scope entry 1", &scope_entries[0]),
                ("scope entry 2", &scope_entries[1]),
                ("other vault's entry", &foreign),
            ],
        ),
        (
            all_id.as_str(),
            all_token.as_str(),
            vec![
                ("scopes 0001+0000", &owner_only),
                ("scope 0000", &strictly_owner),
                ("deleted", &deleted),
                ("own agent entry", &all_id),
                ("another agent entry", &scoped_id),
                ("scope entry 1", &scope_entries[0]),
                ("scope entry 2", &scope_entries[1]),
                ("other vault's entry", &foreign),
            ],
        ),
    ];
    for (agent_id, token, targets) in cases {
        let mut a = Attacker::new(&server, agent_id, token);
        // The agent works at all: its in-scope entry is readable.
        a.allowed(
            "GET",
            &get_entry(&in_scope),
            None,
            200,
            Some(success("read", e(&in_scope))),
            false,
        );
        let missing_id = random_id();
        let missing = a.refused(
            "GET",
            &get_entry(&missing_id),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", e(&missing_id))),
        );
        let missing_id2 = random_id();
        let missing2 = a.refused(
            "GET",
            &get_entry(&missing_id2),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", e(&missing_id2))),
        );
        h::assert_same("two missing ids", &missing2, &missing);
        for (label, target) in targets.iter().copied() {
            for _ in 0..2 {
                let r = a.refused(
                    "GET",
                    &get_entry(target),
                    None,
                    403,
                    "CV-2041",
                    Some(denied("read", "scope_denied", e(target))),
                );
                h::assert_same(
                    &format!("agent {agent_id}: {label} ({target}) vs missing"),
                    &r,
                    &missing,
                );
            }
            // Malformed (upper-case) ids: refused before any lookup, identically.
            let upper = a.refused(
                "GET",
                &get_entry(&target.to_uppercase()),
                None,
                400,
                "CV-1003",
                None,
            );
            let upper_missing = a.refused(
                "GET",
                &get_entry(&missing_id.to_uppercase()),
                None,
                400,
                "CV-1003",
                None,
            );
            h::assert_same(&format!("{label}: upper-case id"), &upper, &upper_missing);
        }
        // The all-access agent really has all access, so 0000 is what hides those entries.
        if agent_id == all_id {
            for id in [&out, &unscoped, &moved] {
                a.allowed(
                    "GET",
                    &get_entry(id),
                    None,
                    200,
                    Some(success("read", e(id))),
                    false,
                );
            }
        }
        a.check_audit(&server, &vault);
        total += a.attempts;
    }

    // Path tricks: whatever they answer, an existing out-of-scope id and a missing one answer the same.
    let (prober_id, prober_token) =
        new_agent(&server, &vault, json!({"name": "prober", "scopes": [s1]}));
    let mut p = Attacker::new(&server, &prober_id, &prober_token);
    let missing_id = random_id();
    for shape in [
        "/api/v1/entries/{}/",
        "/api/v1/entries//{}",
        "/api/v1/entries/{}?scope=0002",
        "/api/v1/entries/{}/..",
        "/api/v1/entries/{}%00",
        "/api/v1/./entries/{}",
    ] {
        p.attempts += 2;
        let existing = h::send(
            &server.url,
            "GET",
            &shape.replace("{}", &out),
            Some(&prober_token),
            None,
            &[],
        );
        let nothing = h::send(
            &server.url,
            "GET",
            &shape.replace("{}", &missing_id),
            Some(&prober_token),
            None,
            &[],
        );
        assert_ne!(existing.status, 200, "{shape}: {}", existing.text());
        assert!(
            !existing.text().contains("Out Of Scope") && !existing.text().contains("cv1."),
            "{shape}: {}",
            existing.text()
        );
        h::assert_same(&format!("path shape {shape}"), &existing, &nothing);
    }
    for method in ["PATCH", "OPTIONS", "PUT", "DELETE"] {
        p.attempts += 2;
        let existing = h::send(
            &server.url,
            method,
            &get_entry(&out),
            Some(&prober_token),
            None,
            &[],
        );
        let nothing = h::send(
            &server.url,
            method,
            &get_entry(&missing_id),
            Some(&prober_token),
            None,
            &[],
        );
        assert!(existing.status >= 400, "{method}: {}", existing.text());
        h::assert_same(&format!("method {method}"), &existing, &nothing);
    }
    let rows = audit_rows(&server, &vault, &format!("&actor={prober_id}"));
    assert!(
        rows.iter().all(|e| e["outcome"] != "success"),
        "prober got something: {rows:#?}"
    );
    total += p.attempts;

    assert_chain_ok(&server, &vault);
    h::finish("ids", total);
}

#[test]
fn title_lookup_never_finds_entries_outside_the_agents_view() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let in_scope = new_entry(&server, &vault, "In Scope", &[&s1]);
    new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    new_entry(&server, &vault, "Owner Only", &[&s1, "0000"]);
    new_entry(&server, &vault, "Strictly Owner", &["0000"]);
    new_entry(&server, &vault, "No Scope", &[]);
    let deleted = new_entry(&server, &vault, "Deleted", &[&s1]);
    assert_eq!(
        vault.call(&server, "DELETE", &get_entry(&deleted), None).0,
        200
    );
    // Three entries titled "Twin"; the newest is owner-only, then one the scoped agent may not see.
    let twin_scoped = new_entry(&server, &vault, "Twin", &[&s1]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let twin_other = new_entry(&server, &vault, "Twin", &[&s2]);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let twin_owner = new_entry(&server, &vault, "Twin", &[&s1, "0000"]);

    let (scoped_id, scoped_token) =
        new_agent(&server, &vault, json!({"name": "scoped", "scopes": [s1]}));
    let (all_id, all_token) = new_agent(
        &server,
        &vault,
        json!({"name": "everything", "all_access": true}),
    );
    let mut total = 0;

    let mut a = Attacker::new(&server, &scoped_id, &scoped_token);
    for t in ["In Scope", "in scope", "  IN SCOPE  "] {
        let r = a.allowed(
            "GET",
            &lookup(t),
            None,
            200,
            Some(success("read", e(&in_scope))),
            false,
        );
        assert_eq!(r.json()["entry_id"], json!(in_scope));
    }
    let r = a.allowed(
        "GET",
        &lookup("Twin"),
        None,
        200,
        Some(success("read", e(&twin_scoped))),
        true,
    );
    assert_eq!(
        r.json()["entry_id"],
        json!(twin_scoped),
        "the only Twin this agent may see"
    );
    let missing = a.refused(
        "GET",
        &lookup("Never Existed 7f3a"),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", None)),
    );
    for t in [
        "Out Of Scope",
        "out of scope",
        " OUT OF SCOPE ",
        "Owner Only",
        "owner only",
        "Strictly Owner",
        "No Scope",
        "Deleted",
        "Another Missing Title",
    ] {
        let r = a.refused(
            "GET",
            &lookup(t),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", None)),
        );
        h::assert_same(&format!("lookup {t:?} vs a missing title"), &r, &missing);
    }
    // Titles of system entries (agents and scopes carry no title index) find nothing either.
    for t in ["scoped", "everything", "granted", "not granted", ""] {
        let r = a.refused(
            "GET",
            &lookup(t),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", None)),
        );
        h::assert_same(&format!("lookup system name {t:?}"), &r, &missing);
    }
    a.check_audit(&server, &vault);
    total += a.attempts;

    let mut a = Attacker::new(&server, &all_id, &all_token);
    // Two Twins are visible to an all-access agent: no silent pick, and the
    // candidates are exactly those two (newest first), never the 0000 one.
    let r = a.refused(
        "GET",
        &lookup("Twin"),
        None,
        409,
        "CV-4020",
        Some(h::row("read", "failure", Some("ambiguous_title"), None)),
    );
    let candidates: Vec<Value> = r.json()["error"]["candidates"].as_array().unwrap().clone();
    let ids: Vec<&str> = candidates
        .iter()
        .map(|c| c["entry_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [twin_other.as_str(), twin_scoped.as_str()],
        "{}",
        r.text()
    );
    assert!(!r.text().contains(&twin_owner), "{}", r.text());
    assert_eq!(candidates[0]["scopes"], json!([s2]));
    assert_eq!(candidates[0]["created_by"], json!({"kind": "owner"}));
    assert!(!r.text().contains("Twin") && !r.text().contains("password of"));
    let missing = a.refused(
        "GET",
        &lookup("Never Existed 7f3a"),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", None)),
    );
    for t in ["Owner Only", "OWNER ONLY", "Strictly Owner", "Deleted"] {
        let r = a.refused(
            "GET",
            &lookup(t),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", None)),
        );
        h::assert_same(
            &format!("all-access lookup {t:?} vs a missing title"),
            &r,
            &missing,
        );
    }
    a.check_audit(&server, &vault);
    total += a.attempts;

    assert_chain_ok(&server, &vault);
    h::finish("lookup", total);
}

#[test]
fn every_owner_route_refuses_agent_tokens_and_changes_nothing() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let in_scope = new_entry(&server, &vault, "In Scope", &[&s1]);
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let (agent_id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "bot", "scopes": [s1], "can_write": true}),
    );
    let (other_id, _) = new_agent(&server, &vault, json!({"name": "other", "scopes": [s2]}));
    let (_, agents_before) = vault.call(&server, "GET", "/api/v1/agents", None);
    let (_, scopes_before) = vault.call(&server, "GET", "/api/v1/scopes", None);
    let (_, entries_before) = vault.call(&server, "GET", "/api/v1/entries", None);

    let v = &vault.vault_id;
    let (batch_id, batch_entry) = {
        let (id, mut b) = vault.login_entry("Batch", "u", "p");
        b["scopes"] = json!([s1]);
        (id, b)
    };
    let (_, replacement) = {
        let (_, mut b) = vault.login_entry("Replaced", "u", "p");
        b["entry_id"] = json!(in_scope);
        b["scopes"] = json!([s1, s2]);
        ((), b)
    };
    let unlock_body =
        json!({"kind": "recovery", "kdf": {"alg": "hkdf-sha256"}, "wrapped": "cv1.l3.AAAA"});
    // (method, path, body, extra headers)
    type Route<'a> = (&'a str, String, Option<Value>, Vec<(&'a str, &'a str)>);
    let routes: Vec<Route> = vec![
        ("GET", "/api/v1/entries".into(), None, vec![]),
        ("GET", "/api/v1/entries?q=out".into(), None, vec![]),
        ("GET", "/api/v1/entries?q=".into(), None, vec![]),
        ("GET", "/api/v1/entries?type=login".into(), None, vec![]),
        (
            "POST",
            "/api/v1/entries/batch".into(),
            Some(json!({"entries": [batch_entry]})),
            vec![],
        ),
        ("DELETE", get_entry(&in_scope), None, vec![]),
        ("DELETE", get_entry(&out), None, vec![]),
        ("GET", "/api/v1/agents".into(), None, vec![]),
        (
            "POST",
            "/api/v1/agents".into(),
            Some(json!({"name": "evil", "all_access": true, "can_write": true})),
            vec![],
        ),
        ("GET", format!("/api/v1/agents/{agent_id}"), None, vec![]),
        ("GET", format!("/api/v1/agents/{other_id}"), None, vec![]),
        (
            "PUT",
            format!("/api/v1/agents/{agent_id}"),
            Some(json!({"scopes": [s1, s2], "all_access": true})),
            vec![],
        ),
        (
            "PUT",
            format!("/api/v1/agents/{other_id}"),
            Some(json!({"scopes": [s1]})),
            vec![],
        ),
        ("DELETE", format!("/api/v1/agents/{other_id}"), None, vec![]),
        ("DELETE", format!("/api/v1/agents/{agent_id}"), None, vec![]),
        (
            "POST",
            format!("/api/v1/agents/{agent_id}/rotate"),
            None,
            vec![],
        ),
        (
            "POST",
            format!("/api/v1/agents/{other_id}/rotate"),
            None,
            vec![],
        ),
        (
            "POST",
            format!("/api/v1/agents/{agent_id}/unlock"),
            None,
            vec![],
        ),
        ("GET", "/api/v1/scopes".into(), None, vec![]),
        (
            "POST",
            "/api/v1/scopes".into(),
            Some(json!({"name": "mine now"})),
            vec![],
        ),
        (
            "PUT",
            format!("/api/v1/scopes/{s2}"),
            Some(json!({"name": "renamed"})),
            vec![],
        ),
        ("DELETE", format!("/api/v1/scopes/{s1}"), None, vec![]),
        ("GET", "/api/v1/audit".into(), None, vec![]),
        (
            "GET",
            format!("/api/v1/audit?actor={agent_id}"),
            None,
            vec![],
        ),
        ("GET", "/api/v1/audit/verify".into(), None, vec![]),
        (
            "POST",
            format!("/api/v1/vaults/{v}/unlock/extra"),
            Some(unlock_body.clone()),
            vec![],
        ),
        (
            "POST",
            format!("/api/v1/vaults/{v}/unlock/recovery"),
            Some(unlock_body),
            vec![],
        ),
        (
            "DELETE",
            format!("/api/v1/vaults/{v}/unlock/recovery"),
            None,
            vec![],
        ),
        ("POST", "/api/v1/session/revoke-all".into(), None, vec![]),
    ];
    let mut a = Attacker::new(&server, &agent_id, &token);
    for (method, path, body, extra) in &routes {
        a.refused_with(
            method,
            path,
            body.as_ref(),
            extra,
            403,
            "CV-2041",
            Some(denied("owner_route", "owner_only", None)),
        );
    }
    // Replacing is an agent route, but only for entries the agent created:
    // the owner's entries (in scope or not) get the same audited refusal,
    // decided before the body is read.
    for target in [&in_scope, &out] {
        a.refused_with(
            "PUT",
            &get_entry(target),
            Some(&replacement),
            &[("If-Match", "\"1\"")],
            403,
            "CV-2041",
            Some(denied("update", "scope_denied", Some(target))),
        );
    }
    a.check_audit(&server, &vault);

    // Nothing changed: the owner's session still works and sees the same state.
    let (st, agents_after) = vault.call(&server, "GET", "/api/v1/agents", None);
    assert_eq!(st, 200, "owner session survived revoke-all attempts");
    assert_eq!(agents_after, agents_before);
    assert_eq!(
        vault.call(&server, "GET", "/api/v1/scopes", None).1,
        scopes_before
    );
    assert_eq!(
        vault.call(&server, "GET", "/api/v1/entries", None).1,
        entries_before
    );
    assert_eq!(
        vault.call(&server, "GET", &get_entry(&batch_id), None).0,
        404,
        "batch entry was not created"
    );
    let (st, m) = vault.call(
        &server,
        "GET",
        &format!("/api/v1/vaults/{v}/unlock/recovery"),
        None,
    );
    assert_eq!(st, 200, "{m}");
    // The public step answers unknown methods with a decoy (issue 12), so
    // the owner's DELETE tells whether `extra` exists: it does not, and the
    // recovery method is still there (the last one cannot go: 409).
    assert_eq!(
        vault
            .call(
                &server,
                "DELETE",
                &format!("/api/v1/vaults/{v}/unlock/extra"),
                None
            )
            .0,
        404
    );
    assert_eq!(
        vault
            .call(
                &server,
                "DELETE",
                &format!("/api/v1/vaults/{v}/unlock/recovery"),
                None
            )
            .0,
        409
    );
    // And the agent itself still has exactly what it had.
    let mut a2 = Attacker::new(&server, &agent_id, &token);
    a2.expected = a.expected.clone();
    a2.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    a2.refused(
        "GET",
        &get_entry(&out),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", e(&out))),
    );
    a2.check_audit(&server, &vault);
    assert_chain_ok(&server, &vault);
    h::finish("owner routes", a.attempts + a2.attempts);
}

#[test]
fn an_agent_cannot_widen_its_own_grant() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let (agent_id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "bot", "scopes": [s1], "ip_whitelist": ["127.0.0.0/8"], "rate_limit_minute": 900, "rate_limit_hour": 900, "expires_at": "2099-01-01T00:00:00Z"}),
    );
    let (_, before) = vault.call(&server, "GET", &format!("/api/v1/agents/{agent_id}"), None);
    let own = format!("/api/v1/agents/{agent_id}");
    let mut a = Attacker::new(&server, &agent_id, &token);
    for body in [
        json!({"scopes": [s1, s2]}),
        json!({"scopes": [s2]}),
        json!({"scopes": ["0000"]}),
        json!({"all_access": true}),
        json!({"can_write": true}),
        json!({"ip_whitelist": []}),
        json!({"ip_whitelist": ["0.0.0.0/0", "::/0"]}),
        json!({"rate_limit_minute": 100000, "rate_limit_hour": 100000}),
        json!({"expires_at": null}),
        json!({"name": "bot", "scopes": [s1, s2], "all_access": true, "can_write": true}),
    ] {
        a.refused(
            "PUT",
            &own,
            Some(&body),
            403,
            "CV-2041",
            Some(denied("owner_route", "owner_only", None)),
        );
    }
    a.refused(
        "POST",
        "/api/v1/agents",
        Some(&json!({"name": "bigger me", "all_access": true})),
        403,
        "CV-2041",
        Some(denied("owner_route", "owner_only", None)),
    );
    a.refused(
        "POST",
        &format!("{own}/rotate"),
        None,
        403,
        "CV-2041",
        Some(denied("owner_route", "owner_only", None)),
    );
    let (_, after) = vault.call(&server, "GET", &own, None);
    assert_eq!(after, before, "the agent record is unchanged");
    a.refused(
        "GET",
        &get_entry(&out),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", e(&out))),
    );
    a.check_audit(&server, &vault);
    h::finish("widening", a.attempts);
}

/// A card, an identity, an SSH key and a wallet with sealed L3 values, in the agent's scope.
fn l3_entries(server: &TestServer, vault: &TestVault, scope: &str) -> Vec<(String, String)> {
    use clavitor::crypto::seal::{self, Tier};
    let l3 = |id: &str, name: &str, value: &str| {
        seal::seal(
            &vault.keys.l3,
            Tier::L3,
            &seal::field_aad(
                &clavitor::ids::VaultId::parse(&vault.vault_id).unwrap(),
                &clavitor::ids::EntryId::parse(id).unwrap(),
                name,
                Tier::L3,
            ),
            value.as_bytes(),
        )
    };
    let mut out = Vec::new();
    let id = random_id();
    let card = json!({
        "entry_id": id, "type": "card", "title": "Corporate Card", "scopes": [scope],
        "fields": [
            {"name": "cardholder", "value": "Alice Example"},
            {"name": "brand", "value": "Visa"},
            {"name": "expiry", "value": "12/30"},
            {"name": "number", "value": l3(&id, "number", "4111111111111111")},
            {"name": "cvv", "value": l3(&id, "cvv", "123")},
            {"name": "pin", "value": l3(&id, "pin", "9876")},
            {"name": "backup_code", "tier": "l3", "value": l3(&id, "backup_code", "custom l3")},
        ],
    });
    out.push((
        post_entry(server, vault, &card),
        "Corporate Card".to_string(),
    ));
    let id = random_id();
    let identity = json!({
        "entry_id": id, "type": "identity", "title": "Passport Holder", "scopes": [scope],
        "fields": [
            {"name": "first_name", "value": "Alice"},
            {"name": "ssn", "value": l3(&id, "ssn", "078-05-1120")},
            {"name": "passport", "value": l3(&id, "passport", "X1234567")},
        ],
    });
    out.push((
        post_entry(server, vault, &identity),
        "Passport Holder".to_string(),
    ));
    let id = random_id();
    let ssh = json!({
        "entry_id": id, "type": "ssh_key", "title": "Deploy Key", "scopes": [scope],
        "fields": [
            {"name": "public_key", "value": "ssh-ed25519 AAAA"},
            {"name": "passphrase", "value": vault.seal_l2(&id, "passphrase", "pass")},
            {"name": "private_key", "value": l3(&id, "private_key", "-----BEGIN OPENSSH PRIVATE KEY-----")},
        ],
    });
    out.push((post_entry(server, vault, &ssh), "Deploy Key".to_string()));
    let id = random_id();
    let wallet = json!({
        "entry_id": id, "type": "crypto_wallet", "title": "Cold Wallet", "scopes": [scope],
        "fields": [
            {"name": "address", "value": "bc1qexample"},
            {"name": "seed_phrase", "value": l3(&id, "seed_phrase", "abandon abandon about")},
            {"name": "private_key", "value": l3(&id, "private_key", "xprv")},
        ],
    });
    out.push((
        post_entry(server, vault, &wallet),
        "Cold Wallet".to_string(),
    ));
    out
}

fn assert_no_l3(what: &str, r: &Response) {
    assert_eq!(r.status, 200, "{what}: {}", r.text());
    assert!(
        !r.transcript().contains("cv1.l3."),
        "{what}: an L3 ciphertext reached an agent: {}",
        r.transcript()
    );
    let fields = r.json()["fields"].as_array().cloned().unwrap_or_default();
    assert!(
        !fields.is_empty(),
        "{what}: the L1/L2 fields are there: {}",
        r.text()
    );
    for f in &fields {
        assert_ne!(f["tier"], "l3", "{what}: an L3 field reached an agent: {f}");
        for name in [
            "number",
            "cvv",
            "pin",
            "ssn",
            "passport",
            "private_key",
            "seed_phrase",
            "backup_code",
        ] {
            assert_ne!(f["name"], name, "{what}: L3 field {name} reached an agent");
        }
    }
}

#[test]
fn agents_never_receive_l3_fields_not_even_as_ciphertext() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let entries = l3_entries(&server, &vault, &s1);
    // The owner does get them (so the agent's answers below are really filtered).
    for (id, _) in &entries {
        let (st, v) = vault.call(&server, "GET", &get_entry(id), None);
        assert_eq!(st, 200);
        assert!(
            v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["tier"] == "l3"),
            "{v}"
        );
        assert!(v.to_string().contains("cv1.l3."));
    }
    let (scoped_id, scoped_token) =
        new_agent(&server, &vault, json!({"name": "scoped", "scopes": [s1]}));
    let (all_id, all_token) = new_agent(
        &server,
        &vault,
        json!({"name": "everything", "all_access": true}),
    );
    let mut total = 0;
    for (agent_id, token) in [(&scoped_id, &scoped_token), (&all_id, &all_token)] {
        let mut a = Attacker::new(&server, agent_id, token);
        for (id, title) in &entries {
            for _ in 0..2 {
                let r = a.allowed(
                    "GET",
                    &get_entry(id),
                    None,
                    200,
                    Some(success("read", e(id))),
                    true,
                );
                assert_no_l3(&format!("GET {title}"), &r);
                let r = a.allowed(
                    "GET",
                    &lookup(title),
                    None,
                    200,
                    Some(success("read", e(id))),
                    true,
                );
                assert_no_l3(&format!("lookup {title}"), &r);
            }
        }
        a.check_audit(&server, &vault);
        total += a.attempts;
    }
    h::finish("l3", total);
}

#[test]
fn agents_write_only_into_their_own_scopes_and_never_l3() {
    use clavitor::crypto::seal::{self, Tier};
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let (writer_id, writer_token) = new_agent(
        &server,
        &vault,
        json!({"name": "writer", "scopes": [s1], "can_write": true}),
    );
    let (reader_id, reader_token) =
        new_agent(&server, &vault, json!({"name": "reader", "scopes": [s1]}));
    let (all_id, all_token) = new_agent(
        &server,
        &vault,
        json!({"name": "all writer", "all_access": true, "can_write": true}),
    );
    let body = |scopes: Value| {
        let (id, mut b) = vault.login_entry("Agent Made", "u", "p");
        b["scopes"] = scopes;
        (id, b)
    };
    let with_l3 = |scopes: Value, custom: bool| {
        let id = random_id();
        let name = if custom { "extra" } else { "number" };
        let sealed = seal::seal(
            &vault.keys.l3,
            Tier::L3,
            &seal::field_aad(
                &clavitor::ids::VaultId::parse(&vault.vault_id).unwrap(),
                &clavitor::ids::EntryId::parse(&id).unwrap(),
                name,
                Tier::L3,
            ),
            b"x",
        );
        let field = if custom {
            json!({"name": name, "tier": "l3", "value": sealed})
        } else {
            json!({"name": name, "value": sealed})
        };
        let b = json!({"entry_id": id, "type": "card", "title": "Agent Card", "scopes": scopes, "fields": [field]});
        (id, b)
    };
    let mut refused_ids = Vec::new();
    let mut total = 0;

    let mut w = Attacker::new(&server, &writer_id, &writer_token);
    let attempts = vec![
        body(json!([s2])),
        body(json!([])),
        body(json!(["0000"])),
        body(json!([s1, "0000"])),
        body(json!([s1, s2])),
        body(json!(["0042"])),
        with_l3(json!([s1]), false),
        with_l3(json!([s1]), true),
    ];
    for (id, b) in &attempts {
        w.refused(
            "POST",
            "/api/v1/entries",
            Some(b),
            403,
            "CV-2041",
            Some(denied("create", "scope_denied", e(id))),
        );
        refused_ids.push(id.clone());
    }
    let (ok_id, ok_body) = body(json!([s1]));
    let r = w.allowed(
        "POST",
        "/api/v1/entries",
        Some(&ok_body),
        201,
        Some(success("create", e(&ok_id))),
        false,
    );
    assert_eq!(r.json()["entry_id"], json!(ok_id));
    w.allowed(
        "GET",
        &get_entry(&ok_id),
        None,
        200,
        Some(success("read", e(&ok_id))),
        false,
    );
    w.check_audit(&server, &vault);
    total += w.attempts;

    let mut r = Attacker::new(&server, &reader_id, &reader_token);
    let (id, b) = body(json!([s1]));
    r.refused(
        "POST",
        "/api/v1/entries",
        Some(&b),
        403,
        "CV-2041",
        Some(denied("create", "scope_denied", e(&id))),
    );
    refused_ids.push(id);
    r.check_audit(&server, &vault);
    total += r.attempts;

    let mut all = Attacker::new(&server, &all_id, &all_token);
    for scopes in [json!(["0000"]), json!([s1, "0000"]), json!([])] {
        let (id, b) = body(scopes);
        all.refused(
            "POST",
            "/api/v1/entries",
            Some(&b),
            403,
            "CV-2041",
            Some(denied("create", "scope_denied", e(&id))),
        );
        refused_ids.push(id);
    }
    let (id, b) = with_l3(json!([s2]), false);
    all.refused(
        "POST",
        "/api/v1/entries",
        Some(&b),
        403,
        "CV-2041",
        Some(denied("create", "scope_denied", e(&id))),
    );
    refused_ids.push(id);
    let (id, b) = body(json!([s2]));
    all.allowed(
        "POST",
        "/api/v1/entries",
        Some(&b),
        201,
        Some(success("create", e(&id))),
        false,
    );
    all.check_audit(&server, &vault);
    total += all.attempts;

    for id in &refused_ids {
        assert_eq!(
            vault.call(&server, "GET", &get_entry(id), None).0,
            404,
            "refused entry {id} must not exist"
        );
    }

    // Reusing the id of an entry the agent cannot see must not overwrite it.
    let (_, mut b) = body(json!([s1]));
    b["entry_id"] = json!(out);
    let before = vault.call(&server, "GET", &get_entry(&out), None).1;
    let collide = h::send(
        &server.url,
        "POST",
        "/api/v1/entries",
        Some(&writer_token),
        Some(&b),
        &[],
    );
    total += 1;
    eprintln!(
        "agent create reusing an out-of-scope id: {} {}",
        collide.status,
        collide.text()
    );
    assert!(!(200..300).contains(&collide.status), "{}", collide.text());
    assert_eq!(
        vault.call(&server, "GET", &get_entry(&out), None).1,
        before,
        "the out-of-scope entry is untouched"
    );
    assert_chain_ok(&server, &vault);
    h::finish("writes", total);
}

#[test]
fn expired_rotated_and_deleted_agent_tokens_are_refused_and_audited() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let in_scope = new_entry(&server, &vault, "In Scope", &[&s1]);
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let invalid = || Some(denied("authenticate", "token_invalid", None));
    let mut total = 0;

    // Refuses every kind of request with 401, identically for existing and missing things.
    let hammer = |a: &mut Attacker| {
        let missing_id = random_id();
        let missing = a.refused(
            "GET",
            &get_entry(&missing_id),
            None,
            401,
            "CV-2002",
            invalid(),
        );
        for path in [
            get_entry(&in_scope),
            get_entry(&out),
            get_entry(&a.id.clone()),
        ] {
            let r = a.refused("GET", &path, None, 401, "CV-2002", invalid());
            h::assert_same(&format!("dead token on {path}"), &r, &missing);
        }
        let by_title = a.refused("GET", &lookup("In Scope"), None, 401, "CV-2002", invalid());
        h::assert_same("dead token lookup", &by_title, &missing);
        a.refused("GET", &lookup("Nothing"), None, 401, "CV-2002", invalid());
        a.refused("GET", "/api/v1/agents", None, 401, "CV-2002", invalid());
        a.refused(
            "POST",
            &format!("/api/v1/agents/{}/rotate", a.id.clone()),
            None,
            401,
            "CV-2002",
            invalid(),
        );
        a.refused(
            "POST",
            "/api/v1/entries",
            Some(&json!({"entry_id": random_id(), "type": "note", "title": "x", "scopes": [s1]})),
            401,
            "CV-2002",
            invalid(),
        );
    };

    // Expired from the start (created with expires_at in the past; the record decides).
    let (id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "expired", "scopes": [s1], "expires_at": "2020-01-01T00:00:00Z"}),
    );
    let mut a = Attacker::new(&server, &id, &token);
    hammer(&mut a);
    a.check_audit(&server, &vault);
    total += a.attempts;

    // Expired by the owner moving the record's expiry into the past.
    let (id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "expiring", "scopes": [s1], "expires_at": "2099-01-01T00:00:00Z"}),
    );
    let mut a = Attacker::new(&server, &id, &token);
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    let (st, v) = vault.call(
        &server,
        "PUT",
        &format!("/api/v1/agents/{id}"),
        Some(&json!({"expires_at": "2020-01-01T00:00:00Z"})),
    );
    assert_eq!(st, 200, "{v}");
    hammer(&mut a);
    a.check_audit(&server, &vault);
    total += a.attempts;

    // Rotated twice: both earlier tokens are dead, the newest works.
    let (id, first) = new_agent(&server, &vault, json!({"name": "rotated", "scopes": [s1]}));
    let mut a = Attacker::new(&server, &id, &first);
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    let (st, v) = vault.call(
        &server,
        "POST",
        &format!("/api/v1/agents/{id}/rotate"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let second = v["token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    hammer(&mut a);
    a.token = second.clone();
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    let (_, v) = vault.call(
        &server,
        "POST",
        &format!("/api/v1/agents/{id}/rotate"),
        None,
    );
    let third = v["token"].as_str().unwrap().to_string();
    for dead in [&first, &second] {
        a.token = dead.clone();
        hammer(&mut a);
    }
    a.token = third;
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    a.check_audit(&server, &vault);
    total += a.attempts;

    // Deleted: its token dies at once, and the refusals still land in the log under its id.
    let (id, token) = new_agent(&server, &vault, json!({"name": "deleted", "scopes": [s1]}));
    let mut a = Attacker::new(&server, &id, &token);
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    let (st, v) = vault.call(&server, "DELETE", &format!("/api/v1/agents/{id}"), None);
    assert_eq!(st, 200, "{v}");
    hammer(&mut a);
    assert_eq!(
        vault
            .call(&server, "GET", &format!("/api/v1/agents/{id}"), None)
            .0,
        404
    );
    a.check_audit(&server, &vault);
    total += a.attempts;

    assert_chain_ok(&server, &vault);
    h::finish("dead tokens", total);
}

#[test]
fn every_flipped_byte_of_an_agent_token_is_refused_and_the_server_keeps_serving() {
    use clavitor::crypto::{b64, unb64};
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let in_scope = new_entry(&server, &vault, "In Scope", &[&s1]);
    let (agent_id, token) = new_agent(&server, &vault, json!({"name": "bot", "scopes": [s1]}));
    let mut a = Attacker::new(&server, &agent_id, &token);
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    let rows_before = audit_rows(&server, &vault, "").len();

    let body = token.strip_prefix("cvt0.").expect("wire token prefix");
    let raw = unb64(body).unwrap();
    assert!(
        raw.len() >= 100,
        "a wire token is header + nonce + sealed payload: {} bytes",
        raw.len()
    );
    let mut reference: Option<Response> = None;
    let original = a.token.clone();
    for mask in [0xffu8, 0x01] {
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= mask;
            a.token = format!("cvt0.{}", b64(&bad));
            let r = a.refused("GET", &get_entry(&in_scope), None, 401, "CV-2002", None);
            match &reference {
                Some(first) => h::assert_same(&format!("byte {i} ^ {mask:#04x}"), &r, first),
                None => reference = Some(r),
            }
        }
    }
    // Other mangled shapes of the same token.
    let mut shapes = vec![
        format!("cvt0.{}", &body[..body.len() - 1]),
        format!("cvt0.{body}A"),
        format!("cvt1.{body}"),
        body.to_string(),
        format!("cvt0.{body}=="),
        "cvt0.".to_string(),
        format!("cvt0.{}", b64(&raw[..raw.len() - 16])),
        format!("cvt0.{}", b64(&[raw.clone(), vec![0]].concat())),
    ];
    let std_alphabet = body.replace('-', "+").replace('_', "/");
    if std_alphabet != body {
        shapes.push(format!("cvt0.{std_alphabet}"));
    }
    for t in shapes {
        a.token = t;
        let r = a.refused("GET", &get_entry(&in_scope), None, 401, "CV-2002", None);
        h::assert_same("mangled token", &r, reference.as_ref().unwrap());
    }
    // No header, or not a bearer token.
    for (hname, hval) in [
        ("X-Nothing", "1"),
        ("Authorization", "Basic Ym90OmJvdA=="),
        ("Authorization", "Token x"),
        ("Authorization", "Bearer"),
    ] {
        a.attempts += 1;
        let r = h::send(
            &server.url,
            "GET",
            &get_entry(&in_scope),
            None,
            None,
            &[(hname, hval)],
        );
        assert_eq!(
            (r.status, r.code()),
            (401, "CV-2001".to_string()),
            "{hname}: {hval}: {}",
            r.text()
        );
    }
    // None of these opened, so none names this vault: no audit rows.
    assert_eq!(
        audit_rows(&server, &vault, "").len(),
        rows_before,
        "tokens that do not open are not audited"
    );
    // The server still serves the genuine token and everyone else.
    a.token = original;
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    assert_eq!(get(&format!("{}/healthz", server.url)).0, 200);
    a.check_audit(&server, &vault);
    assert_chain_ok(&server, &vault);
    h::finish("flipped bytes", a.attempts);
}

#[test]
fn source_addresses_outside_the_allowlist_are_refused() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let in_scope = new_entry(&server, &vault, "In Scope", &[&s1]);
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let mut total = 0;
    let refused_ip = |a: &mut Attacker| {
        let missing_id = random_id();
        let missing = a.refused(
            "GET",
            &get_entry(&missing_id),
            None,
            403,
            "CV-2043",
            Some(denied("read", "ip_refused", None)),
        );
        for id in [&in_scope, &out] {
            let r = a.refused(
                "GET",
                &get_entry(id),
                None,
                403,
                "CV-2043",
                Some(denied("read", "ip_refused", None)),
            );
            h::assert_same("allowlist refusal", &r, &missing);
        }
        for t in ["In Scope", "Out Of Scope", "Missing"] {
            a.refused(
                "GET",
                &lookup(t),
                None,
                403,
                "CV-2043",
                Some(denied("read", "ip_refused", None)),
            );
        }
        let (id, mut b) = vault.login_entry("From Outside", "u", "p");
        b["scopes"] = json!([s1]);
        a.refused(
            "POST",
            "/api/v1/entries",
            Some(&b),
            403,
            "CV-2043",
            Some(denied("create", "ip_refused", None)),
        );
        assert_eq!(vault.call(&server, "GET", &get_entry(&id), None).0, 404);
    };

    for list in [
        json!(["192.0.2.0/24"]),
        json!(["::1/128"]),
        json!(["10.0.0.0/8", "2001:db8::/32"]),
        json!(["127.0.0.2"]),
    ] {
        let (id, token) = new_agent(
            &server,
            &vault,
            json!({"name": format!("fenced {list}"), "scopes": [s1], "can_write": true, "ip_whitelist": list}),
        );
        let mut a = Attacker::new(&server, &id, &token);
        refused_ip(&mut a);
        a.check_audit(&server, &vault);
        total += a.attempts;
    }
    for list in [
        json!(["127.0.0.0/8"]),
        json!(["127.0.0.1"]),
        json!(["192.0.2.0/24", "127.0.0.1/32"]),
        json!([]),
    ] {
        let (id, token) = new_agent(
            &server,
            &vault,
            json!({"name": format!("home {list}"), "scopes": [s1], "ip_whitelist": list}),
        );
        let mut a = Attacker::new(&server, &id, &token);
        a.allowed(
            "GET",
            &get_entry(&in_scope),
            None,
            200,
            Some(success("read", e(&in_scope))),
            true,
        );
        a.refused(
            "GET",
            &get_entry(&out),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", e(&out))),
        );
        a.check_audit(&server, &vault);
        total += a.attempts;
    }
    // The owner moves an agent's allowlist: it applies to the very next request.
    let (id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "moved", "scopes": [s1], "ip_whitelist": ["127.0.0.0/8"]}),
    );
    let mut a = Attacker::new(&server, &id, &token);
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    assert_eq!(
        vault
            .call(
                &server,
                "PUT",
                &format!("/api/v1/agents/{id}"),
                Some(&json!({"ip_whitelist": ["192.0.2.0/24"]}))
            )
            .0,
        200
    );
    a.refused(
        "GET",
        &get_entry(&in_scope),
        None,
        403,
        "CV-2043",
        Some(denied("read", "ip_refused", None)),
    );
    assert_eq!(
        vault
            .call(
                &server,
                "PUT",
                &format!("/api/v1/agents/{id}"),
                Some(&json!({"ip_whitelist": []}))
            )
            .0,
        200
    );
    a.allowed(
        "GET",
        &get_entry(&in_scope),
        None,
        200,
        Some(success("read", e(&in_scope))),
        false,
    );
    a.check_audit(&server, &vault);
    total += a.attempts;
    assert_chain_ok(&server, &vault);
    h::finish("allowlist", total);
}

#[test]
fn a_locked_agent_is_refused_everything_until_the_owner_unlocks_it() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let s2 = new_scope(&server, &vault, "not granted");
    let ids: Vec<String> = (0..4)
        .map(|i| new_entry(&server, &vault, &format!("Entry {i}"), &[&s1]))
        .collect();
    let out = new_entry(&server, &vault, "Out Of Scope", &[&s2]);
    let (id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "greedy", "scopes": [s1], "can_write": true}),
    );
    let (st, v) = vault.call(
        &server,
        "PUT",
        &format!("/api/v1/agents/{id}"),
        Some(&json!({"rate_limit_minute": 1, "rate_limit_hour": 1})),
    );
    assert_eq!(st, 200, "{v}");
    let mut a = Attacker::new(&server, &id, &token);
    a.allowed(
        "GET",
        &get_entry(&ids[0]),
        None,
        200,
        Some(success("read", e(&ids[0]))),
        false,
    );
    a.allowed(
        "GET",
        &get_entry(&ids[0]),
        None,
        200,
        Some(success("read", e(&ids[0]))),
        false,
    );
    let r = a.refused(
        "GET",
        &get_entry(&ids[1]),
        None,
        429,
        "CV-4290",
        Some(denied("read", "rate_limited", e(&ids[1]))),
    );
    assert!(
        r.headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v.parse::<u64>().is_ok()),
        "429 carries Retry-After: {:?}",
        r.headers
    );
    a.refused(
        "GET",
        &get_entry(&ids[2]),
        None,
        423,
        "CV-4230",
        Some(denied("read", "rate_limited_locked", e(&ids[2]))),
    );
    let missing_id = random_id();
    let missing = a.refused(
        "GET",
        &get_entry(&missing_id),
        None,
        423,
        "CV-4230",
        Some(denied("read", "agent_locked", None)),
    );
    for target in [&ids[0], &ids[3], &out] {
        let r = a.refused(
            "GET",
            &get_entry(target),
            None,
            423,
            "CV-4230",
            Some(denied("read", "agent_locked", None)),
        );
        h::assert_same("locked agent", &r, &missing);
    }
    for t in ["Entry 0", "Out Of Scope", "Missing"] {
        a.refused(
            "GET",
            &lookup(t),
            None,
            423,
            "CV-4230",
            Some(denied("read", "agent_locked", None)),
        );
    }
    let (new_id, mut b) = vault.login_entry("While Locked", "u", "p");
    b["scopes"] = json!([s1]);
    a.refused(
        "POST",
        "/api/v1/entries",
        Some(&b),
        423,
        "CV-4230",
        Some(denied("create", "agent_locked", None)),
    );
    assert_eq!(vault.call(&server, "GET", &get_entry(&new_id), None).0, 404);
    // It cannot unlock itself.
    a.refused(
        "POST",
        &format!("/api/v1/agents/{id}/unlock"),
        None,
        403,
        "CV-2041",
        Some(denied("owner_route", "owner_only", None)),
    );
    a.refused(
        "GET",
        &get_entry(&ids[0]),
        None,
        423,
        "CV-4230",
        Some(denied("read", "agent_locked", None)),
    );
    let (_, shown) = vault.call(&server, "GET", &format!("/api/v1/agents/{id}"), None);
    assert_eq!(
        (shown["locked"].clone(), shown["violations"].clone()),
        (json!(true), json!(2)),
        "{shown}"
    );
    // The owner unlocks it and raises its limits; it reads again.
    assert_eq!(
        vault
            .call(
                &server,
                "POST",
                &format!("/api/v1/agents/{id}/unlock"),
                None
            )
            .0,
        200
    );
    assert_eq!(
        vault
            .call(
                &server,
                "PUT",
                &format!("/api/v1/agents/{id}"),
                Some(&json!({"rate_limit_minute": 100, "rate_limit_hour": 100}))
            )
            .0,
        200
    );
    a.allowed(
        "GET",
        &get_entry(&ids[3]),
        None,
        200,
        Some(success("read", e(&ids[3]))),
        false,
    );
    a.check_audit(&server, &vault);
    assert_chain_ok(&server, &vault);
    h::finish("locked", a.attempts);
}

#[test]
fn agents_cannot_reach_another_vault_at_all() {
    let server = adversarial_server();
    let mine = TestVault::create(&server);
    let theirs = TestVault::create(&server);
    let s_mine = new_scope(&server, &mine, "mine");
    let s_theirs = new_scope(&server, &theirs, "theirs");
    assert_eq!(s_mine, s_theirs);
    let my_entry = new_entry(&server, &mine, "Same Title", &[&s_mine]);
    let their_entry = new_entry(&server, &theirs, "Their Title", &[&s_theirs]);
    new_entry(&server, &theirs, "Same Title", &[&s_theirs]);
    let (their_agent, _) = new_agent(
        &server,
        &theirs,
        json!({"name": "theirs", "scopes": [s_theirs]}),
    );
    let (id, token) = new_agent(&server, &mine, json!({"name": "mine", "all_access": true}));
    let mut a = Attacker::new(&server, &id, &token);
    let missing_id = random_id();
    let missing = a.refused(
        "GET",
        &get_entry(&missing_id),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", e(&missing_id))),
    );
    for target in [&their_entry, &their_agent] {
        let r = a.refused(
            "GET",
            &get_entry(target),
            None,
            403,
            "CV-2041",
            Some(denied("read", "scope_denied", e(target))),
        );
        h::assert_same("another vault's id", &r, &missing);
    }
    let missing_title = a.refused(
        "GET",
        &lookup("No Such Title"),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", None)),
    );
    let r = a.refused(
        "GET",
        &lookup("Their Title"),
        None,
        403,
        "CV-2041",
        Some(denied("read", "scope_denied", None)),
    );
    h::assert_same("another vault's title", &r, &missing_title);
    let r = a.allowed(
        "GET",
        &lookup("Same Title"),
        None,
        200,
        Some(success("read", e(&my_entry))),
        true,
    );
    assert_eq!(
        r.json()["entry_id"],
        json!(my_entry),
        "a shared title resolves inside the agent's own vault only"
    );
    // Owner routes naming the other vault are refused too.
    let tv = &theirs.vault_id;
    a.refused(
        "DELETE",
        &format!("/api/v1/vaults/{tv}/unlock/recovery"),
        None,
        403,
        "CV-2041",
        Some(denied("owner_route", "owner_only", None)),
    );
    a.refused(
        "POST",
        &format!("/api/v1/vaults/{tv}/unlock/x"),
        Some(&json!({"kind": "recovery", "kdf": {"alg": "hkdf-sha256"}, "wrapped": "cv1.l3.AAAA"})),
        403,
        "CV-2041",
        Some(denied("owner_route", "owner_only", None)),
    );
    a.check_audit(&server, &mine);
    // Nothing of it landed in the other vault's log.
    assert!(audit_rows(&server, &theirs, &format!("&actor={id}")).is_empty());
    assert_eq!(
        theirs
            .call(
                &server,
                "GET",
                &format!("/api/v1/vaults/{tv}/unlock/recovery"),
                None
            )
            .0,
        200
    );
    assert_chain_ok(&server, &mine);
    assert_chain_ok(&server, &theirs);
    h::finish("cross-vault", a.attempts);
}

// --- Look-alikes (issue 12 item 4; SPEC sections 5 and 7, v1.1) ----------

/// The CLI against `server`, as the owner (its saved login) or, with a
/// credential, as an agent; returns (exit code, stdout, stderr).
fn clavitor(server: &TestServer, credential: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let env: Vec<(&str, &str)> = credential
        .map(|c| vec![("CLAVITOR_CREDENTIAL", c)])
        .unwrap_or_default();
    let o = server.cli_env(args, &env);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Like [`clavitor`], asserting exit 0; returns stdout.
fn clavitor_ok(server: &TestServer, credential: Option<&str>, args: &[&str]) -> String {
    let (code, out, err) = clavitor(server, credential, args);
    assert_eq!(code, 0, "clavitor {args:?}: {err}");
    out
}

/// A vault made and logged in with `clavitor init` (a passphrase file).
fn cli_vault(server: &TestServer) {
    let pass = server.dir.path().join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(&pass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    clavitor_ok(
        server,
        None,
        &[
            "init",
            "--server",
            &server.url,
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
    );
}

/// An ambiguous title as the CLI reports it: exit 6, nothing on stdout, and
/// every expected candidate id on stderr (with "agent <writer>" for plants).
fn assert_ambiguous(what: &str, got: (i32, String, String), ids: &[&str], secrets: &[&str]) {
    let (code, out, err) = got;
    assert_eq!(code, 6, "{what}: exit code (ambiguous); stderr: {err}");
    assert_eq!(out, "", "{what}: nothing on stdout");
    for id in ids {
        assert!(err.contains(id), "{what}: candidate {id} in {err}");
    }
    assert!(
        err.contains("CV-4020") && err.contains("entry id"),
        "{what}: {err}"
    );
    for s in secrets {
        assert!(
            !err.contains(s),
            "{what}: a value leaked into the message: {err}"
        );
    }
}

#[test]
fn a_planted_look_alike_never_reaches_the_owner_or_another_agent_by_title() {
    let server = adversarial_server();
    cli_vault(&server);
    let mut total = 0;
    let scope = |name: &str| -> String {
        let v: Value = serde_json::from_str(&clavitor_ok(
            &server,
            None,
            &["--json", "scope", "create", name],
        ))
        .unwrap();
        v["scope_id"].as_str().unwrap().to_string()
    };
    let shared = scope("shared");
    let agent = |name: &str, extra: &[&str]| -> (String, String) {
        let mut args = vec!["--json", "agent", "create", name, "--scope", &shared];
        args.extend_from_slice(extra);
        let v: Value = serde_json::from_str(&clavitor_ok(&server, None, &args)).unwrap();
        (
            v["agent_id"].as_str().unwrap().to_string(),
            v["credential"].as_str().unwrap().to_string(),
        )
    };
    let (writer_id, writer) = agent("writer", &["--can-write"]);
    let (_, reader) = agent("reader", &[]);
    let put =
        |cred: Option<&str>, args: &[&str]| clavitor_ok(&server, cred, args).trim().to_string();

    // The owner's entry, readable by no agent.
    let owner_entry = put(
        None,
        &[
            "put",
            "login",
            "--title",
            "OwnerOnly",
            "--field",
            "password=owner-secret-1",
            "--field",
            "totp=JBSWY3DPEHPK3PXP",
            "--scope",
            "0000",
        ],
    );
    // The attack: the writer plants a look-alike with its own password and TOTP secret.
    let planted = put(
        Some(&writer),
        &[
            "put",
            "login",
            "--title",
            "OwnerOnly",
            "--field",
            "password=planted-secret-2",
            "--field",
            "totp=GEZDGNBVGY3TQOJQ",
            "--scope",
            &shared,
        ],
    );
    let secrets = [
        "owner-secret-1",
        "planted-secret-2",
        "JBSWY3DPEHPK3PXP",
        "GEZDGNBVGY3TQOJQ",
    ];

    // The owner's lookups by title refuse to pick, and name the agent's entry as the agent's.
    for args in [
        &["get", "OwnerOnly", "--field", "password"][..],
        &["get", "OwnerOnly"],
        &["--json", "get", "OwnerOnly"],
        &["get", "  ownerONLY "],
        &["totp", "OwnerOnly"],
        &["--json", "totp", "OwnerOnly"],
    ] {
        let got = clavitor(&server, None, args);
        assert!(
            got.2.contains(&format!("agent \"writer\" ({writer_id})")),
            "{args:?}: {}",
            got.2
        );
        assert!(got.2.contains("the owner"), "{args:?}: {}", got.2);
        assert_ambiguous(
            &format!("owner {args:?}"),
            got,
            &[&owner_entry, &planted],
            &secrets,
        );
        total += 1;
    }
    // By id, each is itself; the owner is told which one an agent wrote.
    assert_eq!(
        clavitor_ok(&server, None, &["get", &owner_entry, "--field", "password"]),
        "owner-secret-1\n"
    );
    let (code, out, err) = clavitor(&server, None, &["get", &planted, "--field", "password"]);
    assert_eq!((code, out.as_str()), (0, "planted-secret-2\n"), "{err}");
    assert!(
        err.contains(&format!("created by agent \"writer\" ({writer_id})")),
        "{err}"
    );
    let shown = clavitor_ok(&server, None, &["get", &planted]);
    assert!(
        shown.contains(&format!("Created by: agent \"writer\" ({writer_id})")),
        "{shown}"
    );
    assert!(!clavitor_ok(&server, None, &["get", &owner_entry]).contains("Created by"));
    assert_eq!(
        clavitor_ok(&server, None, &["totp", &owner_entry])
            .trim()
            .len(),
        6
    );

    // `list` and `list --json` mark the agent's entry.
    let table = clavitor_ok(&server, None, &["list"]);
    let line = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        table.lines().next().unwrap().contains("CREATED BY"),
        "{table}"
    );
    assert!(
        line(&planted).contains(&format!("agent \"writer\" ({writer_id})")),
        "{table}"
    );
    assert!(line(&owner_entry).contains(" owner "), "{table}");
    let listed: Value =
        serde_json::from_str(&clavitor_ok(&server, None, &["--json", "list"])).unwrap();
    let by: std::collections::HashMap<&str, &Value> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["entry_id"].as_str().unwrap(), &e["created_by"]))
        .collect();
    assert_eq!(
        by[planted.as_str()],
        &json!({"kind": "agent", "agent_id": writer_id})
    );
    assert_eq!(by[owner_entry.as_str()], &json!({"kind": "owner"}));

    // Agent lookups: the owner shares a "Deploy" key with both agents; the writer plants another.
    let deploy = put(
        None,
        &[
            "put",
            "api_key",
            "--title",
            "Deploy",
            "--field",
            "key=owner-key-3",
            "--scope",
            &shared,
        ],
    );
    let fake = put(
        Some(&writer),
        &[
            "put",
            "api_key",
            "--title",
            "Deploy",
            "--field",
            "key=planted-key-4",
            "--scope",
            &shared,
        ],
    );
    // A third "Deploy" that no agent may see must not appear among an agent's candidates.
    let hidden = put(
        None,
        &[
            "put",
            "api_key",
            "--title",
            "Deploy",
            "--field",
            "key=hidden-key-5",
            "--scope",
            "0000",
        ],
    );
    let keys = ["owner-key-3", "planted-key-4", "hidden-key-5"];
    for (who, cred) in [("reader", &reader), ("writer", &writer)] {
        for args in [
            &["get", "Deploy", "--field", "key"][..],
            &["--json", "get", "Deploy"],
        ] {
            let got = clavitor(&server, Some(cred), args);
            assert!(
                !got.2.contains(&hidden),
                "{who} {args:?}: an invisible entry listed: {}",
                got.2
            );
            // An agent cannot list agents: the creator is named by id.
            assert!(
                got.2.contains(&format!("created by agent {writer_id}")),
                "{who} {args:?}: {}",
                got.2
            );
            assert_ambiguous(&format!("{who} {args:?}"), got, &[&deploy, &fake], &keys);
            total += 1;
        }
    }
    let got = clavitor(&server, None, &["get", "Deploy"]);
    assert_ambiguous("owner get Deploy", got, &[&deploy, &fake, &hidden], &keys);
    assert_eq!(
        clavitor_ok(&server, Some(&reader), &["get", &deploy, "--field", "key"]),
        "owner-key-3\n"
    );
    // The reader sees one OwnerOnly only (the owner's is 0000): that one, marked as the writer's.
    let only: Value = serde_json::from_str(&clavitor_ok(
        &server,
        Some(&reader),
        &["--json", "get", "OwnerOnly"],
    ))
    .unwrap();
    assert_eq!(only["entry_id"], json!(planted));
    assert_eq!(
        only["created_by"],
        json!({"kind": "agent", "agent_id": writer_id})
    );

    // Every refusal is in the audit log: a failed read without an entry id.
    let audit: Value = serde_json::from_str(&clavitor_ok(
        &server,
        None,
        &["--json", "audit", "--limit", "500"],
    ))
    .unwrap();
    let ambiguous: Vec<&Value> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "ambiguous_title")
        .collect();
    assert_eq!(ambiguous.len(), 6 + 4 + 1, "{ambiguous:#?}");
    for e in &ambiguous {
        assert_eq!(
            (e["action"].as_str(), e["outcome"].as_str()),
            (Some("read"), Some("failure")),
            "{e}"
        );
        assert!(e["entry_id"].is_null(), "{e}");
    }
    assert_eq!(
        ambiguous
            .iter()
            .filter(|e| e["actor_kind"] == "agent")
            .count(),
        4,
        "{ambiguous:#?}"
    );
    assert_eq!(
        clavitor(&server, None, &["audit", "--verify"]).0,
        0,
        "the chain holds"
    );
    h::finish("look-alikes", total);
}

#[test]
fn entries_carry_their_creator_and_owner_lookups_refuse_to_pick() {
    let server = adversarial_server();
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let (writer_id, writer_token) = new_agent(
        &server,
        &vault,
        json!({"name": "writer", "scopes": [s1], "can_write": true}),
    );
    let mine = new_entry(&server, &vault, "Bank", &[&s1]);
    let (planted, body) = {
        let (id, mut b) = vault.login_entry("bank ", "u", "planted");
        b["scopes"] = json!([s1]);
        (id, b)
    };
    let r = h::send(
        &server.url,
        "POST",
        "/api/v1/entries",
        Some(&writer_token),
        Some(&body),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let agent_made = json!({"kind": "agent", "agent_id": writer_id});
    let owner_made = json!({"kind": "owner"});
    // The creator comes from the token: a request cannot claim one.
    for claim in [
        owner_made.clone(),
        json!({"kind": "agent", "agent_id": random_id()}),
    ] {
        let (forged, mut b) = vault.login_entry("Bank", "u", "forged");
        b["scopes"] = json!([s1]);
        b["created_by"] = claim;
        for token in [&writer_token, &vault.token] {
            let r = h::send(
                &server.url,
                "POST",
                "/api/v1/entries",
                Some(token),
                Some(&b),
                &[],
            );
            assert_eq!(
                (r.status, r.code()),
                (400, "CV-1002".to_string()),
                "{}",
                r.text()
            );
            assert!(r.text().contains("created_by"), "{}", r.text());
        }
        assert_eq!(vault.call(&server, "GET", &get_entry(&forged), None).0, 404);
    }

    // Full entries and summaries carry `created_by`.
    let (_, full) = vault.call(&server, "GET", &get_entry(&planted), None);
    assert_eq!(full["created_by"], agent_made);
    assert_eq!(
        vault.call(&server, "GET", &get_entry(&mine), None).1["created_by"],
        owner_made
    );
    let (_, list) = vault.call(&server, "GET", "/api/v1/entries", None);
    for e in list["entries"].as_array().unwrap() {
        let want = if e["entry_id"] == json!(planted) {
            &agent_made
        } else {
            &owner_made
        };
        assert_eq!(&e["created_by"], want, "{e}");
    }
    // The owner editing the agent's entry does not make it the owner's.
    let mut edited = body.clone();
    edited["notes"] = json!("checked by the owner");
    let r = h::send(
        &server.url,
        "PUT",
        &get_entry(&planted),
        Some(&vault.token),
        Some(&edited),
        &[("If-Match", "\"1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        vault.call(&server, "GET", &get_entry(&planted), None).1["created_by"],
        agent_made
    );

    // The owner's lookup: 409 with both candidates (newest first), never a pick; audited.
    let (st, b) = vault.call(&server, "GET", &lookup("Bank"), None);
    assert_error(&(st, b.clone()), 409, "CV-4020");
    let c = b["error"]["candidates"].as_array().unwrap();
    assert_eq!(c.len(), 2, "{b}");
    assert_eq!(c[0]["entry_id"], json!(planted), "newest first: {b}");
    assert_eq!(c[0]["created_by"], agent_made);
    assert_eq!(
        (c[1]["entry_id"].clone(), c[1]["type"].clone()),
        (json!(mine), json!("login"))
    );
    assert_eq!(c[1]["scopes"], json!([s1]));
    assert!(
        c[1]["updated_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{b}"
    );
    let text = b.to_string();
    assert!(
        !text.contains("Bank") && !text.contains("bank") && !text.contains("cv1."),
        "{text}"
    );
    let owner_rows = audit_rows(&server, &vault, "&action=read");
    let last = owner_rows.last().unwrap();
    assert_eq!(
        (
            &last["actor_kind"],
            &last["outcome"],
            &last["reason"],
            &last["entry_id"]
        ),
        (
            &json!("owner"),
            &json!("failure"),
            &json!("ambiguous_title"),
            &Value::Null
        )
    );
    // Once the look-alike is gone, the title is unique again and resolves.
    assert_eq!(
        vault.call(&server, "DELETE", &get_entry(&planted), None).0,
        200
    );
    let (st, b) = vault.call(&server, "GET", &lookup("Bank"), None);
    assert_eq!((st, b["entry_id"].clone()), (200, json!(mine)), "{b}");
    assert_chain_ok(&server, &vault);
}

#[test]
fn agent_creates_are_rate_limited_counted_exactly_and_a_second_violation_locks() {
    let server = TestServer::start_with(
        "agents: {rate_limit_minute: 1000, rate_limit_hour: 10000, lockdown_window: 2h, write_limit_minute: 5, write_limit_hour: 8}\n",
    );
    let vault = TestVault::create(&server);
    let s1 = new_scope(&server, &vault, "granted");
    let (id, token) = new_agent(
        &server,
        &vault,
        json!({"name": "flooder", "scopes": [s1], "can_write": true}),
    );
    let body = |i: usize| {
        let (id, mut b) = vault.login_entry(&format!("Flood {i}"), "u", "p");
        b["scopes"] = json!([s1]);
        (id, b)
    };
    // Twelve parallel creates against a limit of five a minute: exactly five
    // land, one is the first violation (429), the rest meet the lock (423).
    let bodies: Vec<(String, Value)> = (0..12).map(body).collect();
    let results: Vec<(String, Response)> = std::thread::scope(|sc| {
        let handles: Vec<_> = bodies
            .iter()
            .map(|(eid, b)| {
                let (url, token) = (server.url.clone(), token.clone());
                sc.spawn(move || {
                    (
                        eid.clone(),
                        h::send(&url, "POST", "/api/v1/entries", Some(&token), Some(b), &[]),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let count = |st: u16| results.iter().filter(|(_, r)| r.status == st).count();
    assert_eq!(
        (count(201), count(429), count(423)),
        (5, 1, 6),
        "{:?}",
        results
            .iter()
            .map(|(_, r)| (r.status, r.code()))
            .collect::<Vec<_>>()
    );
    let limited = results.iter().find(|(_, r)| r.status == 429).unwrap();
    assert_eq!(limited.1.code(), "CV-4291");
    assert!(
        limited
            .1
            .headers
            .iter()
            .any(|(k, v)| k == "retry-after" && v == "60"),
        "{:?}",
        limited.1.headers
    );
    let (_, list) = vault.call(&server, "GET", "/api/v1/entries", None);
    let stored: Vec<&str> = list["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry_id"].as_str().unwrap())
        .collect();
    assert_eq!(stored.len(), 5, "only the accepted creates exist");
    for (eid, r) in &results {
        assert_eq!(
            stored.contains(&eid.as_str()),
            r.status == 201,
            "{eid}: {}",
            r.status
        );
    }
    // Every attempt is audited with its reason; the lock is persisted in the agent record.
    // Repeated refusals (the locked agent's) may stand as one counted row.
    let rows = audit_rows(&server, &vault, &format!("&actor={id}&action=create"));
    let weight = |e: &Value| e["count"].as_u64().unwrap_or(1) as usize;
    let reasons = |r: &str| {
        rows.iter()
            .filter(|e| e["reason"] == r)
            .map(weight)
            .sum::<usize>()
    };
    assert_eq!(rows.iter().map(weight).sum::<usize>(), 12, "{rows:#?}");
    assert_eq!(
        (
            rows.iter().filter(|e| e["outcome"] == "success").count(),
            reasons("rate_limited"),
            reasons("rate_limited_locked") + reasons("agent_locked")
        ),
        (5, 1, 6),
        "{rows:#?}"
    );
    let (_, agent) = vault.call(&server, "GET", &format!("/api/v1/agents/{id}"), None);
    assert_eq!(agent["locked"], json!(true), "{agent}");
    let mut a = Attacker::new(&server, &id, &token);
    a.expected = rows
        .iter()
        .map(|e| {
            h::row(
                "create",
                e["outcome"].as_str().unwrap(),
                e["reason"].as_str(),
                e["entry_id"].as_str(),
            )
        })
        .collect();
    let (eid, b) = body(99);
    a.refused(
        "POST",
        "/api/v1/entries",
        Some(&b),
        423,
        "CV-4230",
        Some(denied("create", "agent_locked", None)),
    );
    assert_eq!(vault.call(&server, "GET", &get_entry(&eid), None).0, 404);
    h::finish("write limits", results.len() + a.attempts);
}
