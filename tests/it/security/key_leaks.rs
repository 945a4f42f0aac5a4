//! No key ever leaves the server (SPEC sections 3-5): no response status line,
//! header or body, and no server log line, for owner or agent, on success or
//! error paths, contains M, K_auth, K1, K2, K3, K_idx or a keyring key (in hex
//! or base64, whole or a recognisable fragment), nor any wire token other than
//! the one that response just minted.

use crate::agents::proxy_support;
use crate::common;
#[cfg(feature = "commercial")]
use crate::pops;
use common::*;

mod h {
    use super::common::*;

    /// One response as a client saw it, and the tokens it legitimately minted.
    pub struct Seen {
        pub label: String,
        pub text: String,
        pub minted: Vec<String>,
    }

    /// Sends requests and keeps every response.
    pub struct Rec {
        pub url: String,
        pub seen: Vec<Seen>,
    }

    impl Rec {
        pub fn new(url: &str) -> Rec {
            Rec {
                url: url.into(),
                seen: Vec::new(),
            }
        }

        pub fn raw(
            &mut self,
            label: &str,
            method: &str,
            path: &str,
            headers: &[(&str, &str)],
            body: &[u8],
        ) -> (u16, Value) {
            let (st, hs, b) = raw(&self.url, method, path, headers, body);
            let hs: String = hs.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
            let text = format!("HTTP/1.1 {st}\n{hs}\n{}", String::from_utf8_lossy(&b));
            self.seen.push(Seen {
                label: label.into(),
                text,
                minted: Vec::new(),
            });
            (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
        }

        pub fn call(
            &mut self,
            label: &str,
            method: &str,
            path: &str,
            token: Option<&str>,
            body: Option<&Value>,
        ) -> (u16, Value) {
            let bytes = body
                .map(|b| serde_json::to_vec(b).unwrap())
                .unwrap_or_default();
            self.bytes(label, method, path, token, &bytes)
        }

        pub fn bytes(
            &mut self,
            label: &str,
            method: &str,
            path: &str,
            token: Option<&str>,
            body: &[u8],
        ) -> (u16, Value) {
            let auth = token.map(|t| format!("Bearer {t}"));
            let mut headers = vec![("Content-Type", "application/json")];
            if let Some(a) = &auth {
                headers.push(("Authorization", a.as_str()));
            }
            self.raw(label, method, path, &headers, body)
        }

        /// The last response minted `token` (it may, and must, contain it).
        pub fn minted(&mut self, token: &str) -> String {
            let last = self.seen.last_mut().expect("a response");
            assert!(
                last.text.contains(token),
                "{}: the minted token is in its response",
                last.label
            );
            last.minted.push(token.into());
            token.into()
        }
    }

    /// A secret and the strings that would betray it.
    pub struct Secret {
        pub name: String,
        /// (encoding, encoded text, fragment length that already counts as a leak)
        pub forms: Vec<(&'static str, String, usize)>,
    }

    /// Fragments this long identify a key: 16 base64 characters or 24 hex
    /// digits are 96 bits of it; they never occur by chance.
    pub fn key_secret(name: &str, bytes: &[u8]) -> Secret {
        use data_encoding::{BASE64, BASE64URL_NOPAD, HEXLOWER, HEXUPPER};
        Secret {
            name: name.into(),
            forms: vec![
                ("hex", HEXLOWER.encode(bytes), 24),
                ("HEX", HEXUPPER.encode(bytes), 24),
                ("base64url", BASE64URL_NOPAD.encode(bytes), 16),
                (
                    "base64",
                    BASE64.encode(bytes).trim_end_matches('=').to_string(),
                    16,
                ),
            ],
        }
    }

    pub fn token_secret(name: &str, token: &str) -> Secret {
        let body = token.split_once('.').map(|(_, b)| b).unwrap_or(token);
        Secret {
            name: name.into(),
            forms: vec![
                ("token", token.into(), token.len()),
                ("token body", body.into(), 24),
            ],
        }
    }

    /// What of `secret` shows in `text`, if anything.
    pub fn found(secret: &Secret, text: &str) -> Option<String> {
        for (enc, s, window) in &secret.forms {
            let w = (*window).min(s.len());
            for start in 0..=s.len() - w {
                let frag = &s[start..start + w];
                if text.contains(frag) {
                    return Some(format!("{} ({enc}): {frag:?}", secret.name));
                }
            }
        }
        None
    }

    /// The vault's keys as an owner client holds them.
    pub fn vault_secrets(v: &TestVault) -> Vec<Secret> {
        let k_idx = clavitor::crypto::keys::title_key(&v.keys.l1, &v.vault_id);
        vec![
            key_secret("M", v.master.expose()),
            key_secret("K_auth", v.keys.auth.expose()),
            key_secret("K1", v.keys.l1.expose()),
            key_secret("K2", v.keys.l2.expose()),
            key_secret("K3", v.keys.l3.expose()),
            key_secret("K_idx", k_idx.expose()),
        ]
    }

    /// The POP's token keyring, read from its file (`<id> <base64url key>` lines).
    pub fn keyring_secrets(s: &TestServer) -> Vec<Secret> {
        let text = std::fs::read_to_string(s.data_dir().join("token.key")).expect("keyring file");
        let keys: Vec<Secret> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (id, key) = l.split_once(char::is_whitespace).expect("`<id> <key>`");
                let bytes = clavitor::crypto::unb64(key.trim()).expect("base64url key");
                assert_eq!(bytes.len(), 32);
                key_secret(&format!("keyring key {id}"), &bytes)
            })
            .collect();
        assert!(!keys.is_empty(), "the keyring holds at least one key");
        keys
    }

    pub fn b64(b: &[u8]) -> String {
        clavitor::crypto::b64(b)
    }
    pub fn hex(b: &[u8]) -> String {
        clavitor::crypto::hex(b)
    }
}

use h::{b64, hex, Rec};

/// Every response and the log are free of keys; each token shows only where it was minted.
fn assert_clean(rec: &Rec, keys: &[h::Secret], tokens: &[(String, h::Secret)], log: &str) {
    let mut problems = Vec::new();
    for seen in &rec.seen {
        for k in keys {
            if let Some(f) = h::found(k, &seen.text) {
                problems.push(format!(
                    "response {:?} contains {f}\n{}",
                    seen.label, seen.text
                ));
            }
        }
        for (token, t) in tokens {
            if seen.minted.contains(token) {
                continue;
            }
            if let Some(f) = h::found(t, &seen.text) {
                problems.push(format!(
                    "response {:?} contains {f}\n{}",
                    seen.label, seen.text
                ));
            }
        }
    }
    for line in log.lines() {
        for k in keys.iter().chain(tokens.iter().map(|(_, t)| t)) {
            if let Some(f) = h::found(k, line) {
                problems.push(format!("server log line contains {f}: {line}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} leak(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn no_response_header_or_log_line_carries_a_key_or_a_foreign_token() {
    let mut server = TestServer::start();
    let (mut vault, code) = TestVault::register(&server.url);
    vault.login(&server);
    let v = vault.vault_id.clone();
    let k = &vault.keys;
    let proof = vault.recovery_proof(&code);
    let mut rec = Rec::new(&server.url);
    let mut tokens: Vec<String> = vec![vault.token.clone()];

    // --- Owner sessions, good and bad. The requests carry K_auth and K1; no answer may.
    let (st, b) = rec.call(
        "session",
        "POST",
        "/api/v1/session",
        None,
        Some(&vault.session_body()),
    );
    assert_eq!(st, 201);
    let t1 = rec.minted(b["token"].as_str().unwrap());
    tokens.push(t1.clone());
    let good = vault.session_body();
    let mut bad_bodies: Vec<(&str, Value)> = vec![
        (
            "wrong K1 (K3)",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": b64(k.l3.expose())}),
        ),
        (
            "wrong K_auth (K2)",
            json!({"vault_id": v, "owner_auth": b64(k.l2.expose()), "l1": b64(k.l1.expose())}),
        ),
        (
            "K_auth as hex",
            json!({"vault_id": v, "owner_auth": hex(k.auth.expose()), "l1": b64(k.l1.expose())}),
        ),
        (
            "K1 as hex",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": hex(k.l1.expose())}),
        ),
        (
            "M as K1",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": b64(vault.master.expose())}),
        ),
        (
            "K_auth in an array",
            json!({"vault_id": v, "owner_auth": [b64(k.auth.expose())], "l1": b64(k.l1.expose())}),
        ),
        (
            "K1 in an object",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": {"key": b64(k.l1.expose())}}),
        ),
        (
            "K1 as a number-ish",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": 12345}),
        ),
        (
            "extra field holding K2",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": b64(k.l1.expose()), "k2": b64(k.l2.expose())}),
        ),
        (
            "K1 padded base64",
            json!({"vault_id": v, "owner_auth": b64(k.auth.expose()), "l1": data_encoding::BASE64.encode(k.l1.expose())}),
        ),
        (
            "unknown vault",
            json!({"vault_id": random_id(), "owner_auth": b64(k.auth.expose()), "l1": b64(k.l1.expose())}),
        ),
        (
            "bad vault id",
            json!({"vault_id": "not-a-vault", "owner_auth": b64(k.auth.expose()), "l1": b64(k.l1.expose())}),
        ),
    ];
    bad_bodies.push(("the whole body is K1", json!(b64(k.l1.expose()))));
    for (label, body) in &bad_bodies {
        let (st, _) = rec.call(
            &format!("session: {label}"),
            "POST",
            "/api/v1/session",
            None,
            Some(body),
        );
        assert!((400..500).contains(&st), "{label}: {st}");
    }
    let k1 = b64(k.l1.expose());
    for (label, body) in [
        (
            "truncated JSON",
            format!("{{\"vault_id\":\"{v}\",\"l1\":\"{k1}\""),
        ),
        (
            "unquoted key",
            format!("{{\"vault_id\":\"{v}\",\"l1\":{k1}}}"),
        ),
        ("single quotes", format!("{{'l1':'{k1}'}}")),
    ] {
        let (st, _) = rec.bytes(
            &format!("session: {label}"),
            "POST",
            "/api/v1/session",
            None,
            body.as_bytes(),
        );
        assert_eq!(st, 400, "{label}");
    }
    let mut not_utf8 = b"{\"l1\":\"".to_vec();
    not_utf8.extend_from_slice(k.l1.expose());
    not_utf8.extend_from_slice(&[0xff, 0xfe, b'"', b'}']);
    assert_eq!(
        rec.bytes(
            "session: raw key bytes, not UTF-8",
            "POST",
            "/api/v1/session",
            None,
            &not_utf8
        )
        .0,
        400
    );
    let _ = good;

    // --- Owner: scopes, entries CRUD, lookups, agents, audit.
    let (st, scope) = rec.call(
        "scope create",
        "POST",
        "/api/v1/scopes",
        Some(&t1),
        Some(&json!({"name": "work"})),
    );
    assert_eq!(st, 201);
    let sid = scope["scope_id"].as_str().unwrap().to_string();
    let (eid, mut body) = vault.login_entry("GitHub", "alice", "hunter2");
    body["scopes"] = json!([sid]);
    assert_eq!(
        rec.call(
            "entry create",
            "POST",
            "/api/v1/entries",
            Some(&t1),
            Some(&body)
        )
        .0,
        201
    );
    assert_eq!(
        rec.call(
            "entry create again",
            "POST",
            "/api/v1/entries",
            Some(&t1),
            Some(&body)
        )
        .0,
        409
    );
    let (oid, mut other) = vault.login_entry("Bank", "bob", "letmein");
    other["scopes"] = json!([]);
    assert_eq!(
        rec.call(
            "entry create 2",
            "POST",
            "/api/v1/entries",
            Some(&t1),
            Some(&other)
        )
        .0,
        201
    );
    assert_eq!(
        rec.call(
            "entry get",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "entry lookup",
            "GET",
            "/api/v1/entries/lookup?title=github",
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "entry lookup miss",
            "GET",
            "/api/v1/entries/lookup?title=nope",
            Some(&t1),
            None
        )
        .0,
        404
    );
    assert_eq!(
        rec.call(
            "entry list",
            "GET",
            "/api/v1/entries?q=git",
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "entry get missing",
            "GET",
            &format!("/api/v1/entries/{}", random_id()),
            Some(&t1),
            None
        )
        .0,
        404
    );
    let auth = format!("Bearer {t1}");
    let (st, _) = rec.raw(
        "entry replace",
        "PUT",
        &format!("/api/v1/entries/{eid}"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("If-Match", "\"1\""),
        ],
        &serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(st, 200);
    let (st, _) = rec.raw(
        "entry replace stale",
        "PUT",
        &format!("/api/v1/entries/{eid}"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("If-Match", "\"1\""),
        ],
        &serde_json::to_vec(&body).unwrap(),
    );
    assert_eq!(st, 409);
    // Wrong types whose values are keys.
    for (label, b) in [
        (
            "title as array",
            json!({"entry_id": random_id(), "type": "login", "title": [k1]}),
        ),
        (
            "favorite as key",
            json!({"entry_id": random_id(), "type": "login", "title": "x", "favorite": k1}),
        ),
        (
            "urls as key",
            json!({"entry_id": random_id(), "type": "login", "title": "x", "urls": b64(k.l2.expose())}),
        ),
        (
            "field value as object",
            json!({"entry_id": random_id(), "type": "login", "title": "x", "fields": [{"name": "username", "value": {"k": b64(k.l3.expose())}}]}),
        ),
        (
            "field value as number",
            json!({"entry_id": random_id(), "type": "login", "title": "x", "fields": [{"name": "password", "value": 7}]}),
        ),
        (
            "L2 field in plaintext",
            json!({"entry_id": random_id(), "type": "login", "title": "x", "fields": [{"name": "password", "value": b64(k.l2.expose())}]}),
        ),
        (
            "scopes as key",
            json!({"entry_id": random_id(), "type": "login", "title": "x", "scopes": hex(k.l1.expose())}),
        ),
        (
            "entry_id as key",
            json!({"entry_id": hex(k.l1.expose()), "type": "login", "title": "x"}),
        ),
        (
            "entry_id as b64 key",
            json!({"entry_id": k1, "type": "login", "title": "x"}),
        ),
    ] {
        let (st, _) = rec.call(
            &format!("entry create: {label}"),
            "POST",
            "/api/v1/entries",
            Some(&t1),
            Some(&b),
        );
        assert_eq!(st, 400, "{label}");
    }

    let (st, a) = rec.call(
        "agent create",
        "POST",
        "/api/v1/agents",
        Some(&t1),
        Some(&json!({"name": "bot", "scopes": [sid]})),
    );
    assert_eq!(st, 201);
    let agent_id = a["agent_id"].as_str().unwrap().to_string();
    let a1 = rec.minted(a["token"].as_str().unwrap());
    tokens.push(a1.clone());
    assert_eq!(
        rec.call("agent list", "GET", "/api/v1/agents", Some(&t1), None)
            .0,
        200
    );
    assert_eq!(
        rec.call(
            "agent show",
            "GET",
            &format!("/api/v1/agents/{agent_id}"),
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "agent update",
            "PUT",
            &format!("/api/v1/agents/{agent_id}"),
            Some(&t1),
            Some(&json!({"name": "bot 2"}))
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "agent update rate as key",
            "PUT",
            &format!("/api/v1/agents/{agent_id}"),
            Some(&t1),
            Some(&json!({"rate_limit_minute": k1}))
        )
        .0,
        400
    );
    assert_eq!(
        rec.call(
            "agent update all_access as key",
            "PUT",
            &format!("/api/v1/agents/{agent_id}"),
            Some(&t1),
            Some(&json!({"all_access": k1}))
        )
        .0,
        400
    );
    let (st, r) = rec.call(
        "agent rotate",
        "POST",
        &format!("/api/v1/agents/{agent_id}/rotate"),
        Some(&t1),
        None,
    );
    assert_eq!(st, 200);
    let a1b = rec.minted(r["token"].as_str().unwrap());
    tokens.push(a1b.clone());
    assert_eq!(
        rec.call(
            "agent unlock",
            "POST",
            &format!("/api/v1/agents/{agent_id}/unlock"),
            Some(&t1),
            None
        )
        .0,
        200
    );
    let (st, a2) = rec.call(
        "agent create 2",
        "POST",
        "/api/v1/agents",
        Some(&t1),
        Some(&json!({"name": "doomed", "all_access": true})),
    );
    assert_eq!(st, 201);
    let a2_id = a2["agent_id"].as_str().unwrap().to_string();
    let a2 = rec.minted(a2["token"].as_str().unwrap());
    tokens.push(a2.clone());
    assert_eq!(
        rec.call(
            "agent delete",
            "DELETE",
            &format!("/api/v1/agents/{a2_id}"),
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call("audit", "GET", "/api/v1/audit", Some(&t1), None).0,
        200
    );
    assert_eq!(
        rec.call(
            "audit verify",
            "GET",
            "/api/v1/audit/verify",
            Some(&t1),
            None
        )
        .0,
        200
    );
    // Issue 12: heads and anchors carry hashes of rows, never a key.
    assert_eq!(
        rec.call(
            "audit verify with anchors",
            "GET",
            "/api/v1/audit/verify?anchor=local:1&anchor=local:999999",
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "unlock method",
            "GET",
            &format!("/api/v1/vaults/{v}/unlock/recovery"),
            None,
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "unlock by handle",
            "GET",
            "/api/v1/unlock?handle=nobody%40example.com",
            None,
            None
        )
        .0,
        200
    );
    // The unlock proof (issue 12): right, wrong (a key as the proof), decoy.
    let open = format!("/api/v1/vaults/{v}/unlock/recovery/open");
    assert_eq!(
        rec.call(
            "unlock open",
            "POST",
            &open,
            None,
            Some(&json!({"proof": proof}))
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "unlock open, K1 as proof",
            "POST",
            &open,
            None,
            Some(&json!({"proof": b64(k.l1.expose())}))
        )
        .0,
        401
    );
    assert_eq!(
        rec.call(
            "unlock open, decoy",
            "POST",
            &format!("/api/v1/vaults/{}/unlock/recovery/open", "ab".repeat(16)),
            None,
            Some(&json!({"proof": proof}))
        )
        .0,
        401
    );

    // --- Agents: success and every kind of refusal.
    assert_eq!(
        rec.call(
            "agent read",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&a1b),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "agent lookup",
            "GET",
            "/api/v1/entries/lookup?title=GitHub",
            Some(&a1b),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "agent out of scope",
            "GET",
            &format!("/api/v1/entries/{oid}"),
            Some(&a1b),
            None
        )
        .0,
        403
    );
    assert_eq!(
        rec.call(
            "agent owner route",
            "GET",
            "/api/v1/agents",
            Some(&a1b),
            None
        )
        .0,
        403
    );
    let (nid, mut nb) = vault.login_entry("New", "x", "y");
    nb["scopes"] = json!([sid]);
    let _ = nid;
    assert_eq!(
        rec.call(
            "agent write without can_write",
            "POST",
            "/api/v1/entries",
            Some(&a1b),
            Some(&nb)
        )
        .0,
        403
    );
    // An agent replacing an entry it did not create (the owner's), with K1
    // in the body: refused before the body is read, nothing echoed.
    let agent_auth = format!("Bearer {a1b}");
    let mut replacing = body.clone();
    replacing["notes"] = json!(k1);
    let (st, _) = rec.raw(
        "agent replace of the owner's entry",
        "PUT",
        &format!("/api/v1/entries/{eid}"),
        &[
            ("Authorization", &agent_auth),
            ("Content-Type", "application/json"),
            ("If-Match", "\"2\""),
        ],
        &serde_json::to_vec(&replacing).unwrap(),
    );
    assert_eq!(st, 403);
    assert_eq!(
        rec.call(
            "rotated-out agent token",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&a1),
            None
        )
        .0,
        401
    );
    assert_eq!(
        rec.call(
            "deleted agent token",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&a2),
            None
        )
        .0,
        401
    );
    let mut flipped = clavitor::crypto::unb64(a1b.strip_prefix("cvt0.").unwrap()).unwrap();
    flipped[40] ^= 0xff;
    assert_eq!(
        rec.call(
            "flipped agent token",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&format!("cvt0.{}", b64(&flipped))),
            None
        )
        .0,
        401
    );
    let cred = clavitor::crypto::ClientCredential {
        server_url: server.url.clone(),
        wire_token: a1b.clone(),
        vault_id: clavitor::crypto::unhex(&v).unwrap().try_into().unwrap(),
        k2: k.l2.clone(),
    }
    .encode()
    .unwrap();
    assert_eq!(
        rec.call(
            "client credential as bearer",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&cred),
            None
        )
        .0,
        401
    );
    for (label, t) in [
        ("K1 as bearer", k1.clone()),
        ("K1 hex as bearer", hex(k.l1.expose())),
        ("cvt0 + K1", format!("cvt0.{k1}")),
    ] {
        assert_eq!(
            rec.call(
                label,
                "GET",
                &format!("/api/v1/entries/{eid}"),
                Some(&t),
                None
            )
            .0,
            401,
            "{label}"
        );
    }
    assert_eq!(
        rec.raw(
            "Basic auth with K1",
            "GET",
            "/api/v1/entries",
            &[("Authorization", &format!("Basic {k1}"))],
            b""
        )
        .0,
        401
    );

    // --- An ambiguous title (a second "GitHub" in the agent's scope): the
    // 409 lists candidates for the owner and the agent, and carries no key.
    let (_, mut twin) = vault.login_entry("github ", "mallory", "planted");
    twin["scopes"] = json!([sid]);
    assert_eq!(
        rec.call(
            "entry create twin",
            "POST",
            "/api/v1/entries",
            Some(&t1),
            Some(&twin)
        )
        .0,
        201
    );
    for (label, token) in [
        ("owner ambiguous lookup", &t1),
        ("agent ambiguous lookup", &a1b),
    ] {
        let (st, b) = rec.call(
            label,
            "GET",
            "/api/v1/entries/lookup?title=GitHub",
            Some(token),
            None,
        );
        assert_eq!(
            (st, b["error"]["code"].as_str()),
            (409, Some("CV-4020")),
            "{label}: {b}"
        );
        assert_eq!(
            b["error"]["candidates"].as_array().map(Vec::len),
            Some(2),
            "{label}: {b}"
        );
    }

    // --- Log out everywhere: the old session dies (and is not echoed), a new one is minted.
    assert_eq!(
        rec.call(
            "revoke all",
            "POST",
            "/api/v1/session/revoke-all",
            Some(&t1),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call("revoked session", "GET", "/api/v1/entries", Some(&t1), None)
            .0,
        401
    );
    let (st, b) = rec.call(
        "session 2",
        "POST",
        "/api/v1/session",
        None,
        Some(&vault.session_body()),
    );
    assert_eq!(st, 201);
    let t2 = rec.minted(b["token"].as_str().unwrap());
    tokens.push(t2.clone());
    assert_eq!(
        rec.call(
            "owner with session 2",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&t2),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "owner token on a missing agent",
            "POST",
            &format!("/api/v1/agents/{}/rotate", random_id()),
            Some(&t2),
            None
        )
        .0,
        404
    );

    // --- Reload and restart, which log what they load.
    server.signal(1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    server.restart();
    rec.url = server.url.clone();
    assert_eq!(
        rec.call(
            "after restart",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&t2),
            None
        )
        .0,
        200
    );
    assert_eq!(
        rec.call(
            "agent after restart",
            "GET",
            &format!("/api/v1/entries/{eid}"),
            Some(&a1b),
            None
        )
        .0,
        200
    );
    server.stop();

    let log = server.log();
    assert!(
        log.lines().count() >= 5,
        "the server logged (debug level): {log}"
    );
    let mut keys = h::vault_secrets(&vault);
    keys.extend(h::keyring_secrets(&server));
    keys.push(h::key_secret(
        "unlock proof",
        &clavitor::crypto::unb64(&proof).unwrap(),
    ));
    let mut token_secrets: Vec<(String, h::Secret)> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), h::token_secret(&format!("token #{i}"), t)))
        .collect();
    token_secrets.push((cred.clone(), h::token_secret("client credential", &cred)));
    eprintln!(
        "checked {} responses and {} log lines",
        rec.seen.len(),
        log.lines().count()
    );
    assert_clean(&rec, &keys, &token_secrets, &log);

    // At rest: the data directory holds none of the vault's keys, and no token (SPEC 3, 4).
    let vault_keys = h::vault_secrets(&vault);
    for file in files_under(&server.data_dir()) {
        let bytes = std::fs::read(&file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for s in vault_keys
            .iter()
            .chain(token_secrets.iter().map(|(_, t)| t))
        {
            assert!(
                h::found(s, &text).is_none(),
                "{} holds {:?}",
                file.display(),
                h::found(s, &text)
            );
        }
        for key in [
            k.auth.expose(),
            k.l1.expose(),
            k.l2.expose(),
            k.l3.expose(),
            vault.master.expose(),
        ] {
            assert!(
                !bytes.windows(32).any(|w| w == key),
                "{} holds a raw key",
                file.display()
            );
        }
    }
}

#[test]
fn error_messages_never_echo_rejected_values_that_may_be_keys() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let k = &vault.keys;
    let t = vault.token.clone();
    let mut rec = Rec::new(&server.url);
    let (_, scope) = vault.call(
        &server,
        "POST",
        "/api/v1/scopes",
        Some(&json!({"name": "s"})),
    );
    let sid = scope["scope_id"].as_str().unwrap().to_string();
    let (_, agent) = vault.call(
        &server,
        "POST",
        "/api/v1/agents",
        Some(&json!({"name": "bot", "scopes": [sid]})),
    );
    let agent_id = agent["agent_id"].as_str().unwrap().to_string();
    // A client that mixes up its fields sends a key where an enum, a name,
    // a CIDR or a scope id belongs. The 400 must say what is wrong without
    // repeating the value (as the serde type errors already do).
    for (name, key) in [
        ("K1", k.l1.expose()),
        ("K2", k.l2.expose()),
        ("K3", k.l3.expose()),
    ] {
        for form in [b64(key), hex(key)] {
            let id = random_id();
            let entry_bodies = [
                ("type", json!({"entry_id": id, "type": form, "title": "x"})),
                (
                    "field kind",
                    json!({"entry_id": id, "type": "login", "title": "x", "fields": [{"name": "username", "kind": form, "value": "v"}]}),
                ),
                (
                    "field tier",
                    json!({"entry_id": id, "type": "login", "title": "x", "fields": [{"name": "username", "tier": form, "value": "v"}]}),
                ),
                (
                    "field name",
                    json!({"entry_id": id, "type": "login", "title": "x", "fields": [{"name": form, "value": "v"}]}),
                ),
                (
                    "scope id",
                    json!({"entry_id": id, "type": "login", "title": "x", "scopes": [form]}),
                ),
                (
                    "entry id",
                    json!({"entry_id": form, "type": "login", "title": "x"}),
                ),
            ];
            for (what, b) in entry_bodies {
                let (st, _) = rec.call(
                    &format!("entry {what} = {name}"),
                    "POST",
                    "/api/v1/entries",
                    Some(&t),
                    Some(&b),
                );
                // Lower-case hex is a valid custom field name; everything else is refused.
                let hex_name = what == "field name"
                    && form
                        .bytes()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
                assert_eq!(
                    st,
                    if hex_name { 201 } else { 400 },
                    "entry {what} = {name}"
                );
            }
            let agent_bodies = [
                ("ip_whitelist", json!({"ip_whitelist": [form]})),
                ("scopes", json!({"scopes": [form]})),
                ("expires_at", json!({"expires_at": form})),
            ];
            for (what, b) in agent_bodies {
                let (st, _) = rec.call(
                    &format!("agent {what} = {name}"),
                    "PUT",
                    &format!("/api/v1/agents/{agent_id}"),
                    Some(&t),
                    Some(&b),
                );
                assert_eq!(st, 400, "agent {what} = {name}");
            }
            let (st, _) = rec.call(
                &format!("scope id in the path = {name}"),
                "PUT",
                &format!("/api/v1/scopes/{form}"),
                Some(&t),
                Some(&json!({"name": "y"})),
            );
            assert_eq!(st, 400, "scope id in the path = {name}");
        }
    }
    // A key where a JSON object key belongs (a mis-serialized map).
    let k1 = b64(k.l1.expose());
    let (st, _) = rec.bytes(
        "key as a JSON object key",
        "POST",
        "/api/v1/session",
        None,
        format!("{{\"{k1}\":1}}").as_bytes(),
    );
    assert_eq!(st, 400);
    let keys = h::vault_secrets(&vault);
    assert_clean(&rec, &keys, &[], &server.log());
}

/// Commercial (SPEC 9, v1.1): a backup's 503 answers to agents and writes,
/// and its log, carry no key or token; a replication key file that is
/// refused is never quoted, in any of the encodings a key file may use.
#[cfg(feature = "commercial")]
#[test]
fn a_backups_refusals_and_replication_key_errors_carry_no_secret() {
    use pops::*;
    let keys = Keys::new();
    let (primary, backup) = start_pair(&keys);
    let vault = TestVault::create(&primary.server);
    let id = put_entry(&vault, &primary.server, "on both");
    let (_, agent_token) = new_agent(
        &primary.server,
        &vault,
        json!({"name": "bot", "all_access": true}),
    );
    assert!(wait_until(std::time::Duration::from_secs(20), || readable(
        &vault,
        &backup.server,
        &id
    )));
    let mut rec = Rec::new(backup.url());
    let path = format!("/api/v1/entries/{id}");
    for (label, method, token) in [
        ("agent read on a backup", "GET", &agent_token),
        ("agent delete on a backup", "DELETE", &agent_token),
        ("owner delete on a backup", "DELETE", &vault.token),
    ] {
        let (st, _) = rec.call(label, method, &path, Some(token), None);
        assert_eq!(st, 503, "{label}");
    }
    let (_, body) = vault.login_entry("nope", "u", "p");
    let (st, _) = rec.call(
        "agent write on a backup",
        "POST",
        "/api/v1/entries",
        Some(&agent_token),
        Some(&body),
    );
    assert_eq!(st, 503);
    let keyring = std::fs::read_to_string(&keys.keyring).unwrap();
    let ring_key = clavitor::crypto::unb64(keyring.split_whitespace().nth(1).unwrap()).unwrap();
    let mut secrets = h::vault_secrets(&vault);
    secrets.push(h::key_secret("replication key", &keys.key_bytes));
    secrets.push(h::key_secret("keyring key", &ring_key));
    let tokens = [
        (
            agent_token.clone(),
            h::token_secret("agent token", &agent_token),
        ),
        (
            vault.token.clone(),
            h::token_secret("owner token", &vault.token),
        ),
    ];
    let log = backup.server.log() + &primary.server.log();
    assert_clean(&rec, &secrets, &tokens, &log);

    // Refused key files: 33 or 31 bytes, two lines, mixed alphabets.
    use data_encoding::{BASE64, HEXLOWER};
    let bytes = clavitor::crypto::random_bytes::<33>();
    let std_b64 = BASE64.encode(&bytes[..32]);
    let refused = [
        HEXLOWER.encode(&bytes),
        format!("clavitor-pop-v1-{}", HEXLOWER.encode(&bytes[..31])),
        format!("{}\n{}", &std_b64[..22], &std_b64[22..]),
        format!("{}-", &std_b64[..42]),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in refused.iter().enumerate() {
        let key = dir.path().join(format!("bad{i}.key"));
        std::fs::write(&key, format!("{text}\n")).unwrap();
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let yaml = dir.path().join(format!("replication{i}.yaml"));
        std::fs::write(
            &yaml,
            format!(
                "pop_id: a\nrole: backup\nauth: {{token_file: {}}}\n",
                key.display()
            ),
        )
        .unwrap();
        let cfg = dir.path().join(format!("clavitor{i}.yaml"));
        std::fs::write(
            &cfg,
            format!(
                "data_dir: {}\nreplication_config: {}\n",
                dir.path().join("data").display(),
                yaml.display()
            ),
        )
        .unwrap();
        let out = std::process::Command::new(bin())
            .args(["check-config", "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.contains("openssl rand -base64 32"), "{said}");
        let secret = h::key_secret("refused key", &bytes);
        assert!(h::found(&secret, &said).is_none(), "{said}");
        for line in text.lines() {
            assert!(
                !said.contains(line),
                "the refused key file was quoted: {said}"
            );
        }
    }
}

/// `clavitor proxy`: a value it resolved reaches the upstream and nothing
/// else — not the client's response (body, headers, status line), not a
/// refusal, not the proxy's log, not the server's log; its own secret and
/// the agent's credential never appear in a response or a log either.
#[test]
fn the_proxy_never_hands_a_resolved_value_back_or_logs_it() {
    use proxy_support::*;
    let vault = Vault::new();
    let (https, upstream_ca) = echo_https(vault.server.dir.path());
    let http = echo_http();
    let proxy = Proxy::start(&vault, &["--upstream-ca", upstream_ca.to_str().unwrap()]);
    let user = format!("x:{}", proxy.secret);
    let pa = format!("Proxy-Authorization: {}", proxy.auth());
    let ca = proxy.ca_cert.to_str().unwrap().to_string();
    let auth = format!("Authorization: Bearer {REF}");
    let basic = format!(
        "Authorization: Basic {}",
        data_encoding::BASE64.encode(format!("{REF}:").as_bytes())
    );
    let https_url = format!("https://127.0.0.1:{}/echo", https.port);
    let base = |scheme: &str, host: &str, port: u16, path: &str| {
        format!("{}/{scheme}/{host}:{port}{path}", proxy.url())
    };
    let runs: Vec<(&str, Vec<String>)> = vec![
        (
            "CONNECT",
            vec![
                "--proxy".into(),
                proxy.url(),
                "--proxy-user".into(),
                user.clone(),
                "--cacert".into(),
                ca.clone(),
                "-H".into(),
                auth.clone(),
                https_url.clone(),
            ],
        ),
        (
            "CONNECT chunked",
            vec![
                "--proxy".into(),
                proxy.url(),
                "--proxy-user".into(),
                user.clone(),
                "--cacert".into(),
                ca.clone(),
                "-H".into(),
                auth.clone(),
                format!("https://127.0.0.1:{}/chunked", https.port),
            ],
        ),
        (
            "CONNECT HEAD",
            vec![
                "-I".into(),
                "--proxy".into(),
                proxy.url(),
                "--proxy-user".into(),
                user.clone(),
                "--cacert".into(),
                ca.clone(),
                "-H".into(),
                auth.clone(),
                https_url.clone(),
            ],
        ),
        (
            "base-URL https",
            vec![
                "-H".into(),
                pa.clone(),
                "-H".into(),
                auth.clone(),
                base("https", "127.0.0.1", https.port, "/echo"),
            ],
        ),
        (
            "base-URL http, Basic",
            vec![
                "-H".into(),
                pa.clone(),
                "-H".into(),
                basic.clone(),
                base("http", "127.0.0.1", http.port, "/echo"),
            ],
        ),
        (
            "value in a custom header",
            vec![
                "-H".into(),
                pa.clone(),
                "-H".into(),
                format!("X-Api-Key: {REF}"),
                base("http", "127.0.0.1", http.port, "/echo"),
            ],
        ),
        (
            "host not allowed",
            vec![
                "-H".into(),
                pa.clone(),
                "-H".into(),
                auth.clone(),
                base("http", "localhost", http.port, "/"),
            ],
        ),
        (
            "unreachable upstream",
            vec![
                "-H".into(),
                pa.clone(),
                "-H".into(),
                auth.clone(),
                base("http", "127.0.0.1", free_port(), "/"),
            ],
        ),
        (
            "no proxy secret",
            vec![
                "-H".into(),
                auth.clone(),
                base("http", "127.0.0.1", http.port, "/"),
            ],
        ),
        (
            "bad reference",
            vec![
                "-H".into(),
                pa.clone(),
                "-H".into(),
                "X-K: clavitor://%zz/key".into(),
                base("http", "127.0.0.1", http.port, "/"),
            ],
        ),
    ];
    let mut problems = Vec::new();
    let credential_secrets = [
        h::token_secret("agent credential", &vault.credential),
        h::token_secret("proxy secret", &proxy.secret),
    ];
    for (label, args) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = curl(&args);
        let seen = format!("{}{}", r.out, r.err);
        if seen.contains(KEY) {
            problems.push(format!("{label}: the client saw the value:\n{seen}"));
        }
        for s in &credential_secrets {
            if let Some(f) = h::found(s, &seen) {
                problems.push(format!("{label}: the client saw {f}:\n{seen}"));
            }
        }
    }
    // The value did reach the upstreams (the checks above are not vacuous).
    let upstream_heads = format!(
        "{:?}{:?}",
        https.seen.lock().unwrap(),
        http.seen.lock().unwrap()
    );
    assert!(
        upstream_heads.contains(&format!("Bearer {KEY}")),
        "{upstream_heads}"
    );
    assert!(
        upstream_heads.contains(&format!("X-Api-Key: {KEY}")),
        "{upstream_heads}"
    );
    for (name, log) in [("proxy", proxy.log()), ("server", vault.server.log())] {
        if log.contains(KEY) {
            problems.push(format!("the {name} log holds the value:\n{log}"));
        }
        for s in &credential_secrets {
            if let Some(f) = h::found(s, &log) {
                problems.push(format!("the {name} log holds {f}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} leak(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// SPEC 13: values resolved from `clavitor://` references by `read`, `run`,
/// `inject` and `mcp` appear only where they were asked for (stdout of
/// `read`, the child, the 0600 file, a revealable raw-value result) — never
/// in the server log, a CLI error, masked child output, an MCP message or a
/// file the CLI keeps; nor does the agent credential.
#[test]
fn resolved_references_never_reach_logs_errors_or_mcp_messages() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt;
    use std::process::{Command, Stdio};

    let server = TestServer::start();
    let dir = server.dir.path();
    let pass = dir.join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cli = |args: &[&str], env: &[(&str, &str)]| {
        let o = server.cli_env(args, env);
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let pass_s = pass.display().to_string();
    assert_eq!(
        cli(
            &[
                "init",
                "--server",
                &server.url,
                "--passphrase-file",
                &pass_s
            ],
            &[]
        )
        .0,
        0
    );
    let (_, out, _) = cli(&["--json", "scope", "create", "w"], &[]);
    let scope = serde_json::from_str::<Value>(&out).unwrap()["scope_id"]
        .as_str()
        .unwrap()
        .to_string();
    let hidden = "resolved-ab12cd34ef56gh78ij90";
    let revealable = "revealable-zz98yy76xx54ww32";
    let foreign = "foreign-host-key-1a2b3c4d5e6f";
    for args in [
        vec![
            "put",
            "api_key",
            "--title",
            "Svc",
            "--url",
            "http://127.0.0.1:9/",
            "--field",
            &format!("key={hidden}"),
            "--scope",
            &scope,
        ],
        vec![
            "put",
            "api_key",
            "--title",
            "Far",
            "--url",
            "https://far.example",
            "--field",
            &format!("key={foreign}"),
            "--scope",
            &scope,
        ],
        vec![
            "put",
            "login",
            "--title",
            "Open",
            "--field",
            &format!("password={revealable}"),
            "--agent-reveal",
            "--scope",
            &scope,
        ],
    ] {
        assert_eq!(cli(&args, &[]).0, 0, "{args:?}");
    }
    let (_, out, _) = cli(
        &[
            "--json",
            "agent",
            "create",
            "bot",
            "--scope",
            &scope,
            "--rate-minute",
            "20",
            "--rate-hour",
            "40",
        ],
        &[],
    );
    let cred = serde_json::from_str::<Value>(&out).unwrap()["credential"]
        .as_str()
        .unwrap()
        .to_string();
    let agent_env = [("CLAVITOR_CREDENTIAL", cred.as_str())];
    let values = [hidden, revealable, foreign];
    let secret = |name: &str, v: &str| h::Secret {
        name: name.into(),
        forms: vec![("value", v.to_string(), 12)],
    };
    let mut checks: Vec<h::Secret> = values.iter().map(|v| secret("resolved value", v)).collect();
    checks.push(h::token_secret("agent credential", &cred));
    let mut texts: Vec<(String, String)> = Vec::new();

    // Successful read: the value on stdout only.
    let (code, out, err) = cli(&["read", "clavitor://Svc/key"], &agent_env);
    assert_eq!((code, out.trim()), (0, hidden));
    texts.push(("read stderr".into(), err));
    // Errors: unknown field, malformed, denied, a bad template, a bad env file.
    let tpl = dir.join("t.tpl");
    std::fs::write(
        &tpl,
        format!("{{{{ clavitor://Svc/key }}}} {{{{ clavitor://Svc/nope }}}} {hidden}"),
    )
    .unwrap();
    let envf = dir.join("bad.env");
    std::fs::write(&envf, format!("{hidden}\n")).unwrap();
    let tpl_s = tpl.display().to_string();
    let envf_s = envf.display().to_string();
    for args in [
        vec!["read", "clavitor://Svc/nope"],
        vec!["read", "clavitor://Svc"],
        vec!["read", "clavitor://NotMine/key"],
        vec!["inject", "-i", &tpl_s],
        vec!["run", "--env-file", &envf_s, "--", "true"],
    ] {
        let (code, out, err) = cli(&args, &agent_env);
        assert_ne!(code, 0, "{args:?}");
        texts.push((format!("{args:?} stdout"), out));
        texts.push((format!("{args:?} stderr"), err));
    }
    // The owner gets an entry option wrong: the error does not echo it.
    let bad_host = format!("https://{hidden}/");
    let (code, out, err) = cli(
        &["put", "login", "--title", "x", "--allowed-host", &bad_host],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("allowed_hosts[0]"), "{err}");
    texts.push(("put --allowed-host stdout".into(), out));
    texts.push(("put --allowed-host stderr".into(), err));
    // run: masked output and stderr.
    let (code, out, err) = cli(
        &["run", "--", "sh", "-c", "echo $K; echo $K >&2"],
        &[
            ("CLAVITOR_CREDENTIAL", cred.as_str()),
            ("K", "clavitor://Svc/key"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    texts.push(("run stdout".into(), out));
    texts.push(("run stderr".into(), err));

    // MCP: brokered requests to an allowed host (nothing listens: the error
    // is scrubbed) and to a refused one; a raw value of a revealable entry.
    let mut child = Command::new(bin())
        .arg("mcp")
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("CLAVITOR_CREDENTIAL", &cred)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        let call = |id: i64, name: &str, args: Value| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": args}});
        for m in [
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
            call(
                2,
                "http_request",
                json!({"url": "http://127.0.0.1:9/x", "headers": {"X-Key": "clavitor://Svc/key"}, "body": "k=clavitor://Svc/key"}),
            ),
            call(
                3,
                "http_request",
                json!({"url": "http://127.0.0.1:9/x", "headers": {"X-Key": "clavitor://Far/key"}}),
            ),
            call(
                4,
                "reveal_secret",
                json!({"reference": "clavitor://Svc/key"}),
            ),
            call(
                5,
                "reveal_secret",
                json!({"reference": "clavitor://Open/password"}),
            ),
            call(6, "check_entry", json!({"title": "Svc"})),
            call(
                7,
                "http_request",
                json!({"url": format!("http://127.0.0.1:9/{hidden}")}),
            ),
        ] {
            writeln!(stdin, "{m}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut revealed = 0;
    for line in stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        if v["id"] == 5 {
            // The one message allowed to carry a value: the owner's choice.
            assert_eq!(v["result"]["structuredContent"]["value"], revealable, "{v}");
            revealed += 1;
            continue;
        }
        if v["id"] == 7 {
            continue; // the model's own URL comes back in its error; it resolved nothing
        }
        texts.push((format!("mcp reply {}", v["id"]), line.to_string()));
    }
    assert_eq!(revealed, 1, "{stdout}");
    texts.push((
        "mcp stderr".into(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ));
    texts.push(("server log".into(), server.log()));
    // Files the CLI keeps (session, config) never hold a resolved value.
    for f in files_under(&dir.join("xdg")) {
        texts.push((
            f.display().to_string(),
            String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned(),
        ));
    }

    // The check sees a value, or a 12-character piece of one, where it is.
    assert!(h::found(&checks[0], &format!("x{}y", &hidden[3..15])).is_some());
    let mut problems = Vec::new();
    for (label, text) in &texts {
        for s in &checks {
            if let Some(f) = h::found(s, text) {
                problems.push(format!("{label} contains {f}:\n{text}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} leak(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
