//! No key ever leaves the server (SPEC sections 3-5): no response status line,
//! header or body, and no server log line, for owner or agent, on success or
//! error paths, contains M, K_auth, K1, K2, K3, K_idx or a keyring key (in hex
//! or base64, whole or a recognisable fragment), nor any wire token other than
//! the one that response just minted.

mod common;
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
    pub fn random_id() -> String {
        hex(&clavitor::crypto::random_bytes::<16>())
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
    let vault = TestVault::create(&server);
    let v = vault.vault_id.clone();
    let k = &vault.keys;
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
            json!({"vault_id": h::random_id(), "owner_auth": b64(k.auth.expose()), "l1": b64(k.l1.expose())}),
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
            &format!("/api/v1/entries/{}", h::random_id()),
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
            json!({"entry_id": h::random_id(), "type": "login", "title": [k1]}),
        ),
        (
            "favorite as key",
            json!({"entry_id": h::random_id(), "type": "login", "title": "x", "favorite": k1}),
        ),
        (
            "urls as key",
            json!({"entry_id": h::random_id(), "type": "login", "title": "x", "urls": b64(k.l2.expose())}),
        ),
        (
            "field value as object",
            json!({"entry_id": h::random_id(), "type": "login", "title": "x", "fields": [{"name": "username", "value": {"k": b64(k.l3.expose())}}]}),
        ),
        (
            "field value as number",
            json!({"entry_id": h::random_id(), "type": "login", "title": "x", "fields": [{"name": "password", "value": 7}]}),
        ),
        (
            "L2 field in plaintext",
            json!({"entry_id": h::random_id(), "type": "login", "title": "x", "fields": [{"name": "password", "value": b64(k.l2.expose())}]}),
        ),
        (
            "scopes as key",
            json!({"entry_id": h::random_id(), "type": "login", "title": "x", "scopes": hex(k.l1.expose())}),
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
            &format!("/api/v1/agents/{}/rotate", h::random_id()),
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
            let id = h::random_id();
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
