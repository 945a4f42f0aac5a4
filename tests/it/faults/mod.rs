//! Helpers shared by the fault tests (`tests/it/faults/`): requests that
//! never panic (the server may be dying under them), keep-alive clients,
//! signals, and the database checks every fault test ends with.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::common::*;

/// One keep-alive HTTP/1.1 connection. Every call returns `None` instead of
/// panicking when the connection fails; the caller decides what that means.
pub struct Conn {
    addr: String,
    reader: Option<BufReader<TcpStream>>,
}

impl Conn {
    pub fn new(port: u16) -> Conn {
        Conn {
            addr: format!("127.0.0.1:{port}"),
            reader: None,
        }
    }

    fn connect(&mut self) -> Option<&mut BufReader<TcpStream>> {
        if self.reader.is_none() {
            let s = TcpStream::connect(&self.addr).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
            s.set_write_timeout(Some(Duration::from_secs(10))).ok()?;
            s.set_nodelay(true).ok()?;
            self.reader = Some(BufReader::new(s));
        }
        self.reader.as_mut()
    }

    /// Sends one request on the connection (opening it if needed).
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<Response> {
        let answer = self.try_send(method, path, headers, body);
        if answer.is_none() {
            self.reader = None;
        }
        answer
    }

    fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<Response> {
        let addr = self.addr.clone();
        let r = self.connect()?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        r.get_mut().write_all(&bytes).ok()?;
        read_answer(r, method == "HEAD")
    }
}

/// Reads one response with a Content-Length (or chunked) body.
pub fn read_answer(r: &mut impl BufRead, head: bool) -> Option<Response> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    if !head {
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok());
        if let Some(n) = len {
            body.resize(n, 0);
            r.read_exact(&mut body).ok()?;
        } else if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            loop {
                line.clear();
                r.read_line(&mut line).ok()?;
                let n = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk).ok()?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

/// A JSON request with a bearer token on a fresh `Connection: close` connection; `None` if it failed.
pub fn try_call(
    port: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
    extra: &[(&str, &str)],
) -> Option<Response> {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
        ("Connection", "close"),
    ];
    headers.extend_from_slice(extra);
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    Conn::new(port).send(method, path, &headers, &bytes)
}

/// `kill(pid, sig)` without spawning a process (storms send hundreds).
pub fn signal(pid: u32, sig: i32) -> bool {
    // SAFETY: kill(2) with a pid we started and a valid signal number.
    unsafe { libc::kill(pid as libc::pid_t, sig) == 0 }
}

/// `PRAGMA integrity_check` on the server's database, read-only beside the running server.
pub fn integrity_check(data_dir: &Path) -> String {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("clavitor.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open the database");
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// The owner's view of an entry: (status, version, title).
pub fn entry_state(server: &TestServer, vault: &TestVault, id: &str) -> (u16, i64, String) {
    let (st, v) = vault.call(server, "GET", &format!("/api/v1/entries/{id}"), None);
    (
        st,
        v["version"].as_i64().unwrap_or(0),
        v["title"].as_str().unwrap_or("").to_string(),
    )
}

/// A note entry with a fresh id: (id, body).
pub fn note(title: &str, notes_len: usize) -> (String, Value) {
    let id = clavitor::crypto::hex(&clavitor::crypto::random_bytes::<16>());
    let body =
        json!({"entry_id": id, "type": "note", "title": title, "notes": "n".repeat(notes_len)});
    (id, body)
}

/// Fails if the server log shows a panic.
pub fn assert_no_panic(server: &TestServer) {
    let log = server.log();
    assert!(!log.contains("panicked"), "server panicked:\n{log}");
}

mod audit_failclosed;
mod conflicts;
mod disk;
mod durability;
// The commercial build's idle server is a POP with a backup to keep in
// sync: `commercial::idle` measures it with a real pair.
#[cfg(not(feature = "commercial"))]
mod idle;
mod kill9;
mod sighup;
mod slow_clients;
