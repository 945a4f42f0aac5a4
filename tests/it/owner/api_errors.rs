//! Bad input gets a 4xx with a `CV-` code and a helpful message: never a
//! 500, never a panic, and the server keeps serving afterwards.

use crate::common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use clavitor::crypto::keys::{l1_check, owner_verifier};
use clavitor::crypto::unlock::{recovery_kek, unlock_proof, unlock_verifier, wrap_master};
use clavitor::crypto::{b64, hex, random_bytes, unb64};

/// [`common::send`] to `server`.
fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Response {
    common::send(&server.url, method, path, token, extra, body)
}

/// Sends exactly `request` on a fresh connection and reads one response
/// (status, lower-cased headers, body by Content-Length), bounded by `limit`.
fn send_bytes(
    server: &TestServer,
    request: &[u8],
    limit: Duration,
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    s.set_read_timeout(Some(limit)).unwrap();
    s.set_write_timeout(Some(limit)).unwrap();
    s.write_all(request).unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap_or(0);
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut hdrs = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            hdrs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let len: usize = hdrs
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = r.read_exact(&mut body);
    (status, hdrs, body)
}

/// A 4xx error with a `CV-` code and a non-empty message; never 5xx.
fn assert_client_error(r: &Response, status: u16, code: &str, what: &str) {
    assert!(
        r.status < 500,
        "{what}: server error {} {}",
        r.status,
        r.text()
    );
    assert_error(&r.pair(), status, code);
    assert!(r.code().starts_with("CV-"), "{what}: code {}", r.code());
    let m = r.message().to_ascii_lowercase();
    assert!(
        !m.contains("panick") && !m.contains("backtrace") && !m.contains("src/"),
        "{what}: message leaks internals: {m}"
    );
}

/// The server still answers /healthz and has not panicked.
fn assert_still_serving(server: &TestServer) {
    let (st, body) = get(&format!("{}/healthz", server.url));
    assert_eq!(st, 200, "healthz after bad input: {body}\n{}", server.log());
    let log = server.log();
    assert!(
        !log.contains("panicked"),
        "server log shows a panic:\n{log}"
    );
}

fn entry_path(id: &str) -> String {
    format!("/api/v1/entries/{id}")
}

fn new_id() -> String {
    hex(&random_bytes::<16>())
}

#[test]
fn malformed_json_gets_400_cv1000_with_position_and_server_keeps_serving() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    // Broken before the first key, so every route sees a syntax error.
    let anywhere: &[&[u8]] = &[
        b"{",
        b"not json at all",
        b"{,}",
        b"\x00\x00\x00",
        b"{\"unterminated",
        b"  \n\n  {;",
    ];
    for body in anywhere {
        let what = String::from_utf8_lossy(body);
        for path in ["/api/v1/entries", "/api/v1/session", "/api/v1/vaults"] {
            let r = send(&server, "POST", path, Some(&vault.token), &[], body);
            assert_client_error(&r, 400, "CV-1000", &format!("POST {path} {what}"));
            assert!(
                r.message().contains("line") && r.message().contains("column"),
                "no position for {what}: {}",
                r.message()
            );
        }
    }
    // Broken later in an entry.
    let entry_bodies: &[&[u8]] = &[
        b"{\"type\": \"login\", \"title\": }",
        b"{\"type\": \"login\",, \"title\": \"x\"}",
        b"{\"type\": \"login\", \"title\": \"x\"}}",
        b"{\"type\": \"login\", \"title\": \"unterminated",
        b"{\"type\": \"login\", \"title\": \"x\", \"fields\": [{\"name\": \"u\", \"value\": \"v\"]}",
    ];
    for body in entry_bodies {
        let what = String::from_utf8_lossy(body);
        let r = send(
            &server,
            "POST",
            "/api/v1/entries",
            Some(&vault.token),
            &[],
            body,
        );
        assert_client_error(&r, 400, "CV-1000", &what);
        assert!(
            r.message().contains("line") && r.message().contains("column"),
            "no position for {what}: {}",
            r.message()
        );
    }
    // Empty body.
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        b"",
    );
    assert_client_error(&r, 400, "CV-1000", "empty body");
    assert!(r.message().contains("empty"), "{}", r.message());
    assert_still_serving(&server);
}

#[test]
fn wrong_types_get_400_cv1002_saying_what_was_expected() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let cases = [
        json!({"entry_id": new_id(), "type": "login", "title": 5}),
        json!({"entry_id": new_id(), "type": "login", "title": "x", "urls": "https://example.com"}),
        json!({"entry_id": new_id(), "type": "login", "title": "x", "urls": [1, 2]}),
        json!({"entry_id": new_id(), "type": "login", "title": "x", "fields": {"name": "username"}}),
        json!({"entry_id": new_id(), "type": "login", "title": "x", "favorite": 1}),
        json!({"entry_id": new_id(), "type": 7, "title": "x"}),
        json!({"entry_id": new_id(), "type": "login", "title": null}),
        json!(["an", "array"]),
        json!("a string"),
    ];
    for body in &cases {
        let r = send(
            &server,
            "POST",
            "/api/v1/entries",
            Some(&vault.token),
            &[],
            body.to_string().as_bytes(),
        );
        assert_client_error(&r, 400, "CV-1002", &body.to_string());
        assert!(
            r.message().contains("expected"),
            "message for {body} does not say what was expected: {}",
            r.message()
        );
    }
    // The same on the session route.
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        json!({"vault_id": 1, "owner_auth": "x", "l1": "y"})
            .to_string()
            .as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "session with numeric vault_id");
    assert_still_serving(&server);
}

#[test]
fn wrong_type_error_does_not_echo_the_offending_string() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let secret = "sk_live_9f8e7d6c5b4a39281706SECRETpassword!";
    let body =
        json!({"entry_id": new_id(), "type": "login", "title": "GitHub", "favorite": secret});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "string where a bool is expected");
    assert!(
        !r.text().contains(secret) && !r.text().contains("SECRETpassword"),
        "the error echoes the value: {}",
        r.text()
    );
    assert!(
        r.message().contains("favorite") || r.message().contains("boolean"),
        "message names neither field nor type: {}",
        r.message()
    );
    // Nested, and a secret where an array of strings is expected.
    let body = json!({"entry_id": new_id(), "type": "login", "title": "x", "fields": [{"name": "username", "value": "a"}], "urls": secret});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "string where a list is expected");
    assert!(
        !r.text().contains("SECRETpassword"),
        "the error echoes the value: {}",
        r.text()
    );
    // The session route: a secret-looking vault_id next to a wrong-typed key.
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        json!({"vault_id": secret, "owner_auth": true, "l1": "x"})
            .to_string()
            .as_bytes(),
    );
    assert!(r.status >= 400 && r.status < 500, "{}", r.text());
    assert!(
        !r.text().contains("SECRETpassword"),
        "the error echoes the value: {}",
        r.text()
    );
    assert!(
        !server.log().contains("SECRETpassword"),
        "the server log holds the value:\n{}",
        server.log()
    );
    assert_still_serving(&server);
}

#[test]
fn unknown_enum_value_error_does_not_echo_the_string() {
    // A string in the wrong place (here a field's `kind`) may be a secret a
    // confused client put there; like type errors, the message must not quote it.
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let secret = "sk_live_4c3b2a1SECRETkind0987";
    let body = json!({"entry_id": new_id(), "type": "login", "title": "x", "fields": [{"name": "username", "value": "a", "kind": secret}]});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "unknown kind");
    assert!(
        r.message().contains("text"),
        "message does not list the allowed kinds: {}",
        r.message()
    );
    assert!(
        !r.text().contains("SECRETkind"),
        "the error echoes the value: {}",
        r.text()
    );
    assert_still_serving(&server);
}

#[test]
fn unknown_fields_get_400_cv1002_naming_the_field() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let body = json!({"entry_id": new_id(), "type": "login", "title": "x", "pasword": "oops"});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "unknown top-level field");
    assert!(r.message().contains("pasword"), "{}", r.message());
    // An unknown key inside a field object.
    let body = json!({"entry_id": new_id(), "type": "login", "title": "x", "fields": [{"name": "username", "value": "a", "colour": "red"}]});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "unknown field key");
    assert!(r.message().contains("colour"), "{}", r.message());
    // On the session route.
    let mut s = vault.session_body();
    s["remember_me"] = json!(true);
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        s.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1002", "unknown session field");
    assert!(r.message().contains("remember_me"), "{}", r.message());
    assert_still_serving(&server);
}

const SMALL_LIMITS: &str = "limits: {max_body: 2KiB, max_import_body: 64MiB, idle_timeout_s: 30}\n";

#[test]
fn oversize_body_gets_413_cv1010_and_server_keeps_serving() {
    let server = TestServer::start_with(SMALL_LIMITS);
    let vault = TestVault::create(&server);
    let (id, mut body) = vault.login_entry("Big", "alice", "pw");
    body["notes"] = json!("n".repeat(3000));
    let bytes = body.to_string().into_bytes();
    assert!(bytes.len() > 2048);
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        &bytes,
    );
    assert_client_error(&r, 413, "CV-1010", "oversize entry");
    assert!(
        r.message().contains("2048"),
        "message does not state the limit: {}",
        r.message()
    );
    // Nothing was stored.
    let r = send(
        &server,
        "GET",
        &entry_path(&id),
        Some(&vault.token),
        &[],
        b"",
    );
    assert_eq!(r.status, 404, "{}", r.text());

    // Same on PUT and on the session route; and without a token (limit before auth is fine, 401 is fine too, never 5xx).
    let r = send(
        &server,
        "PUT",
        &entry_path(&id),
        Some(&vault.token),
        &[("If-Match", "\"1\"")],
        &bytes,
    );
    assert_client_error(&r, 413, "CV-1010", "oversize PUT");
    let r = send(&server, "POST", "/api/v1/session", None, &[], &bytes);
    assert_client_error(&r, 413, "CV-1010", "oversize session");

    // A chunked body (no Content-Length) over the limit is refused the same way.
    let mut req = format!(
        "POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        vault.token
    )
    .into_bytes();
    for chunk in bytes.chunks(500) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (st, _, b) = send_bytes(&server, &req, Duration::from_secs(10));
    let v: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    assert_error(&(st, v), 413, "CV-1010");

    // The import route has its own, larger limit.
    let mut batch_entry = vault.login_entry("Batch", "bob", "pw").1;
    batch_entry["notes"] = json!("n".repeat(3000));
    let batch = json!({"entries": [batch_entry]});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries/batch",
        Some(&vault.token),
        &[],
        batch.to_string().as_bytes(),
    );
    assert_eq!(r.status, 201, "batch under max_import_body: {}", r.text());

    // Just under the limit is not refused for size.
    let mut small = vault.login_entry("Small", "carol", "pw").1;
    small["notes"] = json!("");
    let base = small.to_string().len();
    small["notes"] = json!("n".repeat(2048 - base));
    let small_bytes = small.to_string().into_bytes();
    assert_eq!(small_bytes.len(), 2048, "exactly at the limit");
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        &small_bytes,
    );
    assert_eq!(r.status, 201, "{} bytes: {}", small_bytes.len(), r.text());
    assert_still_serving(&server);
}

#[test]
fn oversize_body_response_closes_the_connection() {
    // After a 413 the server does not want the rest of the body: it says
    // `Connection: close` and closes, even if the client asked for keep-alive.
    let server = TestServer::start_with(SMALL_LIMITS);
    let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let body = vec![b'x'; 3000];
    s.write_all(format!("POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())
        .unwrap();
    s.write_all(&body).unwrap();
    let mut r = BufReader::new(s);
    let mut head = String::new();
    let mut line = String::new();
    while r.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
        head.push_str(&line);
        line.clear();
    }
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "413 without `Connection: close`:\n{head}"
    );
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut b = vec![0; len];
    r.read_exact(&mut b).unwrap();
    // The server closes its end: EOF (or reset) well before the 30 s idle timeout.
    let t = Instant::now();
    let mut rest = [0u8; 16];
    match r.read(&mut rest) {
        Ok(0) | Err(_) if t.elapsed() < Duration::from_secs(5) => {}
        other => panic!(
            "connection still open after a 413: {other:?} after {:?}",
            t.elapsed()
        ),
    }
    assert_still_serving(&server);
}

#[test]
fn oversize_declared_length_is_refused_without_reading_the_body() {
    // Clients declare a huge body and send none of it: each gets its 413 at
    // once, and holding such connections open does not tie up the (two) workers.
    let server = TestServer::start_with(SMALL_LIMITS);
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{\"a\":")
            .unwrap();
        held.push(s); // kept open; nothing more is sent
                      // Spaced out, so the connections do not race each other into tiny_http's thread pool.
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut lines = Vec::new();
    for s in &held {
        let t = Instant::now();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap_or(0);
        lines.push((line.trim_end().to_string(), t.elapsed()));
    }
    assert!(
        lines.iter().all(|(l, _)| l.starts_with("HTTP/1.1 413")),
        "not every client got a prompt 413 (workers stuck draining the bodies of earlier rejected requests?): {lines:?}"
    );
    // With every such client still connected, a normal request is served promptly.
    let t = Instant::now();
    let (st, _) = get(&format!("{}/healthz", server.url));
    assert_eq!(st, 200);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "healthz took {:?} while 4 clients hold rejected oversize requests",
        t.elapsed()
    );
    drop(held);
    assert_still_serving(&server);
}

#[test]
fn invalid_utf8_body_gets_400_cv1001() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let mut body = br#"{"entry_id": ""#.to_vec();
    body.extend_from_slice(new_id().as_bytes());
    body.extend_from_slice(br#"", "type": "login", "title": "caf"#);
    body.extend_from_slice(b"\xe9\xff\xfe");
    body.extend_from_slice(br#""}"#);
    for path in ["/api/v1/entries", "/api/v1/session", "/api/v1/vaults"] {
        let r = send(&server, "POST", path, Some(&vault.token), &[], &body);
        assert_client_error(&r, 400, "CV-1001", path);
        assert!(r.message().contains("UTF-8"), "{}", r.message());
    }
    assert_still_serving(&server);
}

#[test]
fn tampered_tokens_get_401_never_500() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, body) = vault.login_entry("GitHub", "alice", "pw");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );

    let token = vault.token.clone();
    let inner = token
        .strip_prefix("cvt0.")
        .expect("wire tokens start with cvt0.");
    let bytes = unb64(inner).unwrap();
    let mut bad: Vec<String> = Vec::new();
    // Flip one bit in every position: header, nonce, ciphertext, tag.
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        bad.push(format!("cvt0.{}", b64(&b)));
    }
    let mut b = bytes.clone();
    b[bytes.len() / 2] ^= 0xff;
    bad.push(format!("cvt0.{}", b64(&b)));
    bad.push(format!("cvt0.{}", b64(&bytes[..bytes.len() - 1])));
    bad.push(format!("cvt0.{}", b64(&bytes[..10])));
    bad.push(format!("cvt0.{}", b64(&[bytes.clone(), vec![0]].concat())));
    bad.push("cvt0.".into());
    bad.push("cvt0.!!!not-base64!!!".into());
    bad.push(format!("cvt1.{inner}"));
    bad.push(inner.to_string());
    bad.push("x".repeat(1000));
    bad.push(format!("cvc1.{}", b64(&random_bytes::<80>())));
    for t in &bad {
        let r = send(&server, "GET", &entry_path(&id), Some(t), &[], b"");
        assert!(r.status == 401, "token {t}: {} {}", r.status, r.text());
        assert!(r.code().starts_with("CV-20"), "token {t}: {}", r.text());
        assert!(!r.message().is_empty());
        assert!(
            !r.text().contains("GitHub"),
            "a bad token revealed the entry: {}",
            r.text()
        );
    }
    // Malformed Authorization headers.
    for h in ["Basic dXNlcjpwYXNz", "Bearer", "bearer", ""] {
        let r = send(
            &server,
            "GET",
            &entry_path(&id),
            None,
            &[("Authorization", h)],
            b"",
        );
        assert_client_error(&r, 401, "CV-2001", &format!("Authorization: {h}"));
    }
    // No token at all.
    let r = send(&server, "GET", &entry_path(&id), None, &[], b"");
    assert_client_error(&r, 401, "CV-2001", "no token");
    // The genuine token still works.
    assert_eq!(vault.call(&server, "GET", &entry_path(&id), None).0, 200);
    assert_still_serving(&server);
}

#[test]
fn expired_token_gets_401_cv2003() {
    let server = TestServer::start_with("session_ttl: 1s\n");
    let vault = TestVault::create(&server);
    std::thread::sleep(Duration::from_millis(2100));
    let r = send(
        &server,
        "GET",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        b"",
    );
    assert_client_error(&r, 401, "CV-2003", "expired token");
    assert!(r.message().contains("expired"), "{}", r.message());
    let (id, body) = vault.login_entry("x", "a", "pw");
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 401, "CV-2003", "expired token on write");
    let r = send(
        &server,
        "GET",
        &entry_path(&id),
        Some(&vault.token),
        &[],
        b"",
    );
    assert_client_error(&r, 401, "CV-2003", "expired token on read");
    assert_still_serving(&server);
}

#[test]
fn token_of_another_vault_does_not_reveal_or_touch_its_entries() {
    let server = TestServer::start();
    let a = TestVault::create(&server);
    let b = TestVault::create(&server);
    let (b_id, body) = b.login_entry("Bravo-Secret-Title", "bob", "pw-b");
    assert_eq!(
        b.call(&server, "POST", "/api/v1/entries", Some(&body)).0,
        201
    );

    let r = send(&server, "GET", &entry_path(&b_id), Some(&a.token), &[], b"");
    assert_client_error(&r, 404, "CV-3002", "A reads B's entry");
    assert!(
        !r.text().contains("Bravo") && !r.text().contains("bob"),
        "{}",
        r.text()
    );

    let (_, mut replacement) = a.login_entry("Hijack", "mallory", "pw");
    replacement["entry_id"] = json!(b_id);
    let r = send(
        &server,
        "PUT",
        &entry_path(&b_id),
        Some(&a.token),
        &[("If-Match", "\"1\"")],
        replacement.to_string().as_bytes(),
    );
    assert_client_error(&r, 404, "CV-3002", "A replaces B's entry");
    let r = send(
        &server,
        "DELETE",
        &entry_path(&b_id),
        Some(&a.token),
        &[],
        b"",
    );
    assert_client_error(&r, 404, "CV-3002", "A deletes B's entry");
    let r = send(
        &server,
        "GET",
        "/api/v1/entries/lookup?title=Bravo-Secret-Title",
        Some(&a.token),
        &[],
        b"",
    );
    assert_client_error(&r, 404, "CV-3002", "A looks up B's title");

    let (st, list) = a.call(&server, "GET", "/api/v1/entries", None);
    assert_eq!(st, 200);
    assert!(
        !list.to_string().contains(&b_id),
        "A's list shows B's entry: {list}"
    );

    // B's entry is untouched.
    let (st, v) = b.call(&server, "GET", &entry_path(&b_id), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["title"], "Bravo-Secret-Title");
    assert_eq!(v["version"], 1);
    assert_still_serving(&server);
}

/// Registers a vault with `tv`'s keys on another server.
fn register_same_vault(server: &TestServer, tv: &TestVault) {
    let code = random_bytes::<32>();
    let kek = recovery_kek(&code, &tv.vault_id);
    let wrapped = wrap_master(&kek, &tv.vault_id, "recovery", &tv.master);
    let verifier = b64(&unlock_verifier(&unlock_proof(
        &kek,
        &tv.vault_id,
        "recovery",
    )));
    let body = json!({
        "vault_id": tv.vault_id,
        "owner_verifier": b64(&owner_verifier(&tv.keys.auth)),
        "l1_check": b64(&l1_check(&tv.keys.l1)),
        "unlock": [{"method_id": "recovery", "kind": "recovery", "kdf": {"alg": "hkdf-sha256"},
                    "wrapped": wrapped, "verifier": verifier}],
    });
    let (st, v) = call(&server.url, "POST", "/api/v1/vaults", None, Some(&body));
    assert_eq!(st, 201, "register on second server: {v}");
}

#[test]
fn token_from_another_servers_keyring_gets_401() {
    let one = TestServer::start();
    let two = TestServer::start();
    let vault = TestVault::create(&one);
    // The same vault (same keys) exists on both servers, so only the keyring differs.
    register_same_vault(&two, &vault);
    let r = send(&two, "GET", "/api/v1/entries", Some(&vault.token), &[], b"");
    assert_client_error(&r, 401, "CV-2002", "token sealed by another server");
    // And the token from server two does not work on server one.
    let (st, v) = call(
        &two.url,
        "POST",
        "/api/v1/session",
        None,
        Some(&vault.session_body()),
    );
    assert_eq!(st, 201, "{v}");
    let token_two = v["token"].as_str().unwrap().to_string();
    assert_ne!(token_two, vault.token);
    let r = send(&one, "GET", "/api/v1/entries", Some(&token_two), &[], b"");
    assert_client_error(&r, 401, "CV-2002", "token of server two on server one");
    // Both tokens still work at home.
    assert_eq!(
        send(&two, "GET", "/api/v1/entries", Some(&token_two), &[], b"").status,
        200
    );
    assert_eq!(
        send(&one, "GET", "/api/v1/entries", Some(&vault.token), &[], b"").status,
        200
    );
    assert_still_serving(&one);
    assert_still_serving(&two);
}

#[test]
fn wrong_owner_auth_or_l1_gets_401_cv2010_without_saying_which() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let mut wrong_auth = vault.session_body();
    wrong_auth["owner_auth"] = json!(b64(&random_bytes::<32>()));
    let r1 = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        wrong_auth.to_string().as_bytes(),
    );
    assert_client_error(&r1, 401, "CV-2010", "wrong owner_auth");
    assert!(r1.json().get("token").is_none());

    let mut wrong_l1 = vault.session_body();
    wrong_l1["l1"] = json!(b64(&random_bytes::<32>()));
    let r2 = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        wrong_l1.to_string().as_bytes(),
    );
    assert_client_error(&r2, 401, "CV-2010", "wrong l1");

    let mut no_vault = vault.session_body();
    no_vault["vault_id"] = json!(new_id());
    let r3 = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        no_vault.to_string().as_bytes(),
    );
    assert_client_error(&r3, 401, "CV-2010", "no such vault");
    assert_eq!(
        r1.message(),
        r2.message(),
        "the messages tell which key was wrong"
    );
    assert_eq!(
        r1.message(),
        r3.message(),
        "the messages tell whether the vault exists"
    );

    // Malformed keys are a 400 naming the field.
    let mut short = vault.session_body();
    short["owner_auth"] = json!(b64(&[1u8; 16]));
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        short.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1004", "16-byte owner_auth");
    assert!(r.message().contains("owner_auth"), "{}", r.message());
    let mut bad_id = vault.session_body();
    bad_id["vault_id"] = json!("not-hex");
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        bad_id.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1003", "bad vault_id");
    assert!(r.message().contains("vault_id"), "{}", r.message());

    // The right credentials still work.
    let (st, _) = call(
        &server.url,
        "POST",
        "/api/v1/session",
        None,
        Some(&vault.session_body()),
    );
    assert_eq!(st, 201);
    assert_still_serving(&server);
}

#[test]
fn sixth_wrong_session_attempt_for_a_vault_gets_429_cv2011_with_retry_after() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let other = TestVault::create(&server);
    let mut wrong = vault.session_body();
    wrong["owner_auth"] = json!(b64(&random_bytes::<32>()));
    for i in 1..=5 {
        let r = send(
            &server,
            "POST",
            "/api/v1/session",
            None,
            &[],
            wrong.to_string().as_bytes(),
        );
        assert_client_error(&r, 401, "CV-2010", &format!("attempt {i}"));
    }
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        wrong.to_string().as_bytes(),
    );
    assert_client_error(&r, 429, "CV-2011", "attempt 6");
    let retry: u64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric Retry-After: {:?}", r.headers));
    assert!(retry > 0 && retry <= 15 * 60 + 1, "Retry-After {retry}");
    // While throttled, even the right credentials are refused (or guessing would continue).
    let r = send(
        &server,
        "POST",
        "/api/v1/session",
        None,
        &[],
        vault.session_body().to_string().as_bytes(),
    );
    assert_client_error(&r, 429, "CV-2011", "right credentials while throttled");
    assert!(r.header("retry-after").is_some());
    // Another vault from the same address is not affected.
    let (st, v) = call(
        &server.url,
        "POST",
        "/api/v1/session",
        None,
        Some(&other.session_body()),
    );
    assert_eq!(st, 201, "{v}");
    // Existing sessions of the throttled vault keep working.
    assert_eq!(vault.call(&server, "GET", "/api/v1/entries", None).0, 200);
    assert_still_serving(&server);
}

#[test]
fn if_match_mismatch_gets_409_cv4001_and_missing_if_match_gets_400_cv1020() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, body) = vault.login_entry("GitHub", "alice", "pw");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let mut changed = body.clone();
    changed["title"] = json!("GitHub (work)");
    let bytes = changed.to_string().into_bytes();

    let r = send(
        &server,
        "PUT",
        &entry_path(&id),
        Some(&vault.token),
        &[],
        &bytes,
    );
    assert_client_error(&r, 400, "CV-1020", "no If-Match");
    assert!(r.message().contains("If-Match"), "{}", r.message());
    let r = send(
        &server,
        "PUT",
        &entry_path(&id),
        Some(&vault.token),
        &[("If-Match", "yesterday")],
        &bytes,
    );
    assert_client_error(&r, 400, "CV-1020", "garbage If-Match");
    let r = send(
        &server,
        "PUT",
        &entry_path(&id),
        Some(&vault.token),
        &[("If-Match", "\"7\"")],
        &bytes,
    );
    assert_client_error(&r, 409, "CV-4001", "stale If-Match");
    assert!(
        r.message().contains('1'),
        "message does not give the current version: {}",
        r.message()
    );

    // The entry is unchanged; the right version succeeds; the old one then conflicts.
    let (_, v) = vault.call(&server, "GET", &entry_path(&id), None);
    assert_eq!(v["title"], "GitHub");
    let r = send(
        &server,
        "PUT",
        &entry_path(&id),
        Some(&vault.token),
        &[("If-Match", "\"1\"")],
        &bytes,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["version"], 2);
    let r = send(
        &server,
        "PUT",
        &entry_path(&id),
        Some(&vault.token),
        &[("If-Match", "\"1\"")],
        &bytes,
    );
    assert_client_error(&r, 409, "CV-4001", "second write with the old version");
    assert_still_serving(&server);
}

#[test]
fn unknown_route_gets_404_cv3003() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    for path in [
        "/nope",
        "/api",
        "/api/v1",
        "/api/v2/entries",
        "/api/v1/nope",
        "/api/v1/entries/a/b/c",
        "/healthz/x",
        "/.env",
        "/wp-login.php",
    ]
    .into_iter()
    .filter(|p| !tarpitted(p))
    {
        for token in [None, Some(vault.token.as_str())] {
            let r = send(&server, "GET", path, token, &[], b"");
            assert_client_error(&r, 404, "CV-3003", path);
        }
    }
    assert_still_serving(&server);
}

#[test]
fn wrong_method_gets_405_cv3004() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let id = new_id();
    let e = entry_path(&id);
    let cases: Vec<(&str, &str)> = vec![
        ("DELETE", "/api/v1/entries"),
        ("PUT", "/api/v1/entries"),
        ("PATCH", &e),
        ("POST", &e),
        ("GET", "/api/v1/session"),
        ("GET", "/api/v1/vaults"),
        ("POST", "/healthz"),
        ("DELETE", "/healthz"),
        ("OPTIONS", "/api/v1/entries"),
    ];
    for (m, p) in &cases {
        let r = send(&server, m, p, Some(&vault.token), &[], b"");
        assert_client_error(&r, 405, "CV-3004", &format!("{m} {p}"));
        assert!(
            r.message().contains("GET") || r.message().contains("POST"),
            "message does not say what is allowed: {}",
            r.message()
        );
    }
    assert_still_serving(&server);
}

#[test]
fn wrong_method_response_lists_allowed_methods_in_allow_header() {
    // RFC 9110 15.5.6: a 405 response MUST carry an Allow header.
    let server = TestServer::start();
    for (m, p, must) in [
        ("DELETE", "/api/v1/entries", "POST"),
        ("GET", "/api/v1/session", "POST"),
        ("POST", "/healthz", "GET"),
    ] {
        let r = send(&server, m, p, None, &[], b"");
        assert_eq!(r.status, 405, "{m} {p}: {}", r.text());
        let allow = r
            .header("allow")
            .unwrap_or_else(|| panic!("{m} {p}: 405 without an Allow header: {:?}", r.headers));
        assert!(allow.contains(must), "{m} {p}: Allow: {allow}");
    }
    assert_still_serving(&server);
}

#[test]
fn plaintext_value_for_l2_field_gets_400_cv1004_naming_the_field() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let id = new_id();
    let body = json!({
        "entry_id": id, "type": "login", "title": "GitHub",
        "fields": [{"name": "username", "value": "alice"}, {"name": "password", "value": "hunter2-plaintext"}],
    });
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1004", "plaintext password");
    assert!(r.message().contains("fields[1].value"), "{}", r.message());
    assert!(
        !r.text().contains("hunter2-plaintext"),
        "the error echoes the plaintext: {}",
        r.text()
    );
    // Nothing stored.
    assert_eq!(vault.call(&server, "GET", &entry_path(&id), None).0, 404);
    // In a batch the path names the entry too.
    let (_, good) = vault.login_entry("ok", "a", "pw");
    let batch = json!({"entries": [good, body]});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries/batch",
        Some(&vault.token),
        &[],
        batch.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1004", "plaintext password in batch");
    assert!(
        r.message().contains("entries[1].fields[1].value"),
        "{}",
        r.message()
    );
    // A value sealed for the wrong entry id is still a sealed L2 value (shape only) — but a
    // value claiming L3 for an L2 field is refused.
    let id2 = new_id();
    let l3ish = vault
        .seal_l2(&id2, "password", "pw")
        .replacen("cv1.l2.", "cv1.l3.", 1);
    let body = json!({"entry_id": id2, "type": "login", "title": "t", "fields": [{"name": "password", "value": l3ish}]});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 400, "CV-1004", "l3-sealed value in an l2 field");
    assert!(r.message().contains("fields[0].value"), "{}", r.message());
    assert_still_serving(&server);
}

#[test]
fn duplicate_entry_id_gets_409_and_keeps_the_original() {
    let server = TestServer::start();
    let vault = TestVault::create(&server);
    let (id, body) = vault.login_entry("Original", "alice", "pw");
    assert_eq!(
        vault
            .call(&server, "POST", "/api/v1/entries", Some(&body))
            .0,
        201
    );
    let mut again = body.clone();
    again["title"] = json!("Impostor");
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        again.to_string().as_bytes(),
    );
    assert_client_error(&r, 409, "CV-4002", "duplicate entry_id");
    // In a batch: all or nothing.
    let (fresh_id, fresh) = vault.login_entry("Fresh", "bob", "pw");
    let batch = json!({"entries": [fresh, again]});
    let r = send(
        &server,
        "POST",
        "/api/v1/entries/batch",
        Some(&vault.token),
        &[],
        batch.to_string().as_bytes(),
    );
    assert_client_error(&r, 409, "CV-4002", "duplicate entry_id in batch");
    assert_eq!(
        vault.call(&server, "GET", &entry_path(&fresh_id), None).0,
        404,
        "a failed batch stored part of itself"
    );
    let (st, v) = vault.call(&server, "GET", &entry_path(&id), None);
    assert_eq!(st, 200);
    assert_eq!(v["title"], "Original");
    assert_eq!(v["version"], 1);
    // A deleted entry's id stays taken (the tombstone is kept for replication).
    assert_eq!(vault.call(&server, "DELETE", &entry_path(&id), None).0, 200);
    let r = send(
        &server,
        "POST",
        "/api/v1/entries",
        Some(&vault.token),
        &[],
        body.to_string().as_bytes(),
    );
    assert_client_error(&r, 409, "CV-4002", "reuse of a deleted entry's id");
    assert_still_serving(&server);
}

#[test]
fn responses_carry_nosniff_and_no_store() {
    let server = TestServer::start_with(SMALL_LIMITS);
    let vault = TestVault::create(&server);
    let (_, good) = vault.login_entry("x", "a", "pw");
    let big = vec![b'x'; 4096];
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Vec<u8>, u16);
    let cases: Vec<Case> = vec![
        ("GET", "/healthz", None, vec![], 200),
        ("GET", "/", None, vec![], 200),
        ("GET", "/api/v1/entries", Some(&vault.token), vec![], 200),
        (
            "POST",
            "/api/v1/entries",
            Some(&vault.token),
            good.to_string().into_bytes(),
            201,
        ),
        (
            "POST",
            "/api/v1/entries",
            Some(&vault.token),
            b"{".to_vec(),
            400,
        ),
        ("GET", "/api/v1/entries", None, vec![], 401),
        ("GET", "/nope", None, vec![], 404),
        ("DELETE", "/api/v1/entries", Some(&vault.token), vec![], 405),
        ("POST", "/api/v1/entries", Some(&vault.token), big, 413),
    ];
    for (m, p, t, body, status) in cases {
        if status == 404 && tarpitted(p) {
            continue;
        }
        let r = send(&server, m, p, t, &[], &body);
        assert_eq!(r.status, status, "{m} {p}: {}", r.text());
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{m} {p} {status}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("cache-control"),
            Some("no-store"),
            "{m} {p} {status}: {:?}",
            r.headers
        );
        if status >= 400 {
            assert!(
                r.header("content-type")
                    .is_some_and(|c| c.starts_with("application/json")),
                "{m} {p}: {:?}",
                r.headers
            );
        }
    }
    assert_still_serving(&server);
}
