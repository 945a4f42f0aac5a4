//! A small blocking HTTP client for the clavitor API (`ureq` over rustls).
//!
//! Every call sends and receives JSON. A 2xx answer is returned as a parsed
//! [`Value`]; anything else becomes a [`ClientError`] carrying the server's
//! `{"error":{"code","message"}}`, which converts into a [`CliError`] with the
//! exit code SPEC section 10 asks for (401/403 → denied, 404 → not found,
//! 423/429 → locked, 409 CV-4020 → ambiguous, everything else → failed).
//!
//! Error messages never contain the bearer token or any key: the token only
//! ever travels in the `Authorization` header, which neither ureq's errors nor
//! ours print.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::CliError;
use crate::error_code::Code;

/// Connect, send and receive timeouts for one call.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body the client reads (an owner's full entry list).
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// Why a call failed.
#[derive(Debug)]
pub enum ClientError {
    /// The server could not be reached or answered garbage; the text says why.
    Network(String),
    /// The server answered with an error object.
    Api {
        status: u16,
        code: String,
        message: String,
        /// `error.candidates` of an ambiguous title (409 CV-4020), else empty.
        candidates: Vec<Value>,
    },
}

/// The code of an ambiguous title lookup (docs/API.md).
pub const AMBIGUOUS_TITLE: &str = Code::AmbiguousTitle.as_str();

impl ClientError {
    /// The server's `CV-` code, if the server answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            ClientError::Network(_) => None,
        }
    }
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> CliError {
        match e {
            ClientError::Network(m) => CliError::Failed(m),
            ClientError::Api {
                code, candidates, ..
            } if code == AMBIGUOUS_TITLE => CliError::Ambiguous(ambiguity(&candidates, None)),
            ClientError::Api {
                status,
                code,
                message,
                ..
            } => {
                let text = format!("{message} [{code}]");
                match status {
                    401 | 403 => CliError::Denied(text),
                    404 => CliError::NotFound(text),
                    423 | 429 => CliError::Locked(text),
                    _ => CliError::Failed(format!("server error {status}: {text}")),
                }
            }
        }
    }
}

/// The message of an ambiguous title: every candidate the server listed
/// (all visible to the caller), and what to do instead. `names` (agent
/// names by id, owner only) lets it name the agents.
pub(super) fn ambiguity(
    candidates: &[Value],
    names: Option<&std::collections::HashMap<String, String>>,
) -> String {
    let text = |v: &Value, k: &str| super::entries::clean(v[k].as_str().unwrap_or_default());
    let mut m = format!(
        "{} entries have this title; refusing to pick one (one of them may be a look-alike). Candidates, newest first:\n",
        candidates.len()
    );
    for c in candidates {
        let scopes: Vec<String> = c["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(super::entries::clean)
            .collect();
        let scopes = if scopes.is_empty() {
            "-".to_string()
        } else {
            scopes.join(",")
        };
        m.push_str(&format!(
            "  {}  {:<16}  scopes {:<14}  created by {}\n",
            text(c, "entry_id"),
            text(c, "type"),
            scopes,
            super::entries::creator_text(&c["created_by"], names)
        ));
    }
    // No candidate is suggested: the example must not steer anyone to the look-alike.
    m.push_str(&format!(
        "Check which one you mean and ask for it by its entry id: `clavitor get ENTRY_ID` [{AMBIGUOUS_TITLE}]"
    ));
    m
}

/// A connection to one clavitor server.
pub struct Client {
    agent: ureq::Agent,
    server: String,
}

impl Client {
    /// A client for `server` (`http://` or `https://` URL; a trailing `/` is dropped).
    pub fn new(server: &str) -> Result<Client, CliError> {
        let server = normalize_server(server)?;
        refuse_plain_http(&server, INSECURE_HTTP.load(Ordering::Relaxed))?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(TIMEOUT))
            .timeout_send_request(Some(TIMEOUT))
            .timeout_send_body(Some(TIMEOUT))
            .timeout_recv_response(Some(TIMEOUT))
            .timeout_recv_body(Some(TIMEOUT))
            .max_redirects(0)
            .user_agent(concat!("clavitor-cli/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client {
            agent: config.new_agent(),
            server,
        })
    }

    /// The server's base URL, as used.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// `GET path` (path starts with `/api/v1/...`, query already encoded).
    pub fn get(&self, path: &str, token: Option<&str>) -> Result<Value, ClientError> {
        self.finish(authorized(self.agent.get(self.url(path)), token).call())
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str, token: Option<&str>) -> Result<Value, ClientError> {
        self.finish(authorized(self.agent.delete(self.url(path)), token).call())
    }

    /// `POST path` with a JSON body.
    pub fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Value, ClientError> {
        self.send_json(self.agent.post(self.url(path)), token, body)
    }

    /// `POST path` with a body that is already serialized JSON (large
    /// uploads: serialized once, not once per layer).
    pub fn post_json_bytes(
        &self,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> Result<Value, ClientError> {
        self.send_bytes(self.agent.post(self.url(path)), token, body)
    }

    /// Sends `body` as JSON on a prepared POST or PUT request.
    fn send_json(
        &self,
        req: ureq::RequestBuilder<ureq::typestate::WithBody>,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Value, ClientError> {
        let bytes =
            zeroize::Zeroizing::new(serde_json::to_vec(body).expect("JSON values serialize"));
        self.send_bytes(req, token, &bytes)
    }

    /// Sends serialized JSON on a prepared POST or PUT request.
    fn send_bytes(
        &self,
        req: ureq::RequestBuilder<ureq::typestate::WithBody>,
        token: Option<&str>,
        body: &[u8],
    ) -> Result<Value, ClientError> {
        let req = authorized(req, token).header("Content-Type", "application/json");
        self.finish(req.send(body))
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Result<Value, ClientError> {
        self.send_json(self.agent.put(self.url(path)), token, body)
    }

    /// `PUT path` with a JSON body and `If-Match: "<version>"` (optimistic
    /// concurrency: the server answers 409 when the entry changed since).
    pub fn put_if_match(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        version: i64,
    ) -> Result<Value, ClientError> {
        let req = self
            .agent
            .put(self.url(path))
            .header("If-Match", format!("\"{version}\""));
        self.send_json(req, token, body)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    /// Reads the answer: JSON for 2xx, a [`ClientError::Api`] otherwise.
    fn finish(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, ClientError> {
        let resp = sent.map_err(|e| {
            ClientError::Network(format!("cannot reach the server at {}: {e}", self.server))
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| {
                ClientError::Network(format!("cannot read the answer from {}: {e}", self.server))
            })?;
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        if (200..300).contains(&status) {
            return parsed.ok_or_else(|| {
                ClientError::Network(format!(
                    "the server at {} answered {status} with something that is not JSON",
                    self.server
                ))
            });
        }
        Err(api_error(status, parsed.as_ref()))
    }
}

/// Builds the error for a non-2xx answer from its `{"error":{...}}` body.
fn api_error(status: u16, body: Option<&Value>) -> ClientError {
    let err = body.map(|b| &b["error"]);
    let code = err
        .and_then(|e| e["code"].as_str())
        .unwrap_or("no code")
        .to_string();
    let message = err
        .and_then(|e| e["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!("HTTP {status} without an error message (is this a clavitor server?)")
        });
    let candidates = err
        .and_then(|e| e["candidates"].as_array())
        .cloned()
        .unwrap_or_default();
    ClientError::Api {
        status,
        code,
        message,
        candidates,
    }
}

/// Checks and tidies a server URL.
pub fn normalize_server(url: &str) -> Result<String, CliError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(CliError::Usage(format!(
            "server URL {:?}: expected http://HOST[:PORT] or https://HOST[:PORT]",
            url.chars().take(80).collect::<String>()
        ))),
    }
}

/// `--insecure-http` (or `CLAVITOR_INSECURE_HTTP=1`) was given.
static INSECURE_HTTP: AtomicBool = AtomicBool::new(false);

/// Lets [`Client::new`] accept plain `http://` to another machine (set once
/// from the command line before any client is made).
pub fn allow_insecure_http(allow: bool) {
    INSECURE_HTTP.store(allow, Ordering::Relaxed);
}

/// Every call of this client carries a credential: the owner's K_auth and
/// K1 at login, then a session token; an agent's wire token (K1 inside,
/// for the server) on each request. Over plain HTTP anyone on the path can
/// replay a token until it expires or is rotated, so `http://` is accepted
/// only to this machine (loopback: `localhost`, 127.0.0.0/8, `::1`), where
/// nothing crosses a network, unless the user says the path is trusted.
pub fn refuse_plain_http(server: &str, insecure_ok: bool) -> Result<(), CliError> {
    let Some(rest) = server.strip_prefix("http://") else {
        return Ok(()); // https://
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback || insecure_ok {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "refusing to send credentials over plain http:// to {:?}, which is not this machine: \
         use https:// (a TLS proxy in front of clavitor), or pass --insecure-http \
         (CLAVITOR_INSECURE_HTTP=1) if the network path is trusted",
        host.chars().take(80).collect::<String>()
    )))
}

/// Percent-encodes a query parameter value (everything but RFC 3986 unreserved characters).
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Overwrites every string in a JSON value (request bodies carrying keys,
/// decrypted entries) before it is dropped.
pub fn wipe_json(v: &mut Value) {
    use zeroize::Zeroize;
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe_json),
        Value::Object(map) => map.values_mut().for_each(wipe_json),
        _ => {}
    }
}

/// What every request carries: `Accept: application/json`, and the bearer
/// token when there is one.
fn authorized<B>(req: ureq::RequestBuilder<B>, token: Option<&str>) -> ureq::RequestBuilder<B> {
    let req = req.header("Accept", "application/json");
    match token {
        Some(t) => req.header("Authorization", format!("Bearer {t}")),
        None => req,
    }
}

/// Prints exactly one JSON object on stdout (the `--json` contract).
pub fn print_json(v: &Value) {
    println!("{v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        for ok in [
            "https://vault.example.com",
            "https://10.0.0.5:1984",
            "http://127.0.0.1:1984",
            "http://127.8.9.10",
            "http://localhost:1984",
            "http://LOCALHOST",
            "http://[::1]:1984",
        ] {
            assert!(refuse_plain_http(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "http://vault.example.com",
            "http://10.0.0.5:1984",
            "http://[::2]:1984",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "http://127.0.0.1@evil.com",
        ] {
            let e = refuse_plain_http(bad, false).unwrap_err();
            assert_eq!(e.code(), 2, "{bad}");
            assert!(e.message().contains("--insecure-http"), "{bad}");
            assert!(refuse_plain_http(bad, true).is_ok(), "{bad} with the flag");
        }
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode_query("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(encode_query("me@example.com"), "me%40example.com");
    }

    #[test]
    fn server_urls_are_checked() {
        assert_eq!(
            normalize_server("http://127.0.0.1:1984/").unwrap(),
            "http://127.0.0.1:1984"
        );
        assert!(normalize_server("127.0.0.1:1984").is_err());
        assert!(normalize_server("https://").is_err());
    }

    #[test]
    fn statuses_map_to_exit_codes() {
        let e = |status| {
            CliError::from(ClientError::Api {
                status,
                code: "CV-1".into(),
                message: "m".into(),
                candidates: vec![],
            })
            .code()
        };
        assert_eq!(
            (e(401), e(403), e(404), e(423), e(429), e(409), e(500)),
            (3, 3, 4, 5, 5, 1, 1)
        );
        let msg = CliError::from(api_error(
            401,
            Some(&serde_json::json!({"error": {"code": "CV-2010", "message": "wrong"}})),
        ));
        assert_eq!(msg.message(), "wrong [CV-2010]");
        assert!(CliError::from(api_error(502, None))
            .message()
            .contains("502"));
        let ambiguous = CliError::from(api_error(
            409,
            Some(
                &serde_json::json!({"error": {"code": "CV-4020", "message": "ambiguous", "candidates": [
                    {"entry_id": "aa", "type": "login", "scopes": ["0000"], "created_by": {"kind": "owner"}},
                    {"entry_id": "bb", "type": "login", "scopes": ["0001"], "created_by": {"kind": "agent", "agent_id": "cc"}},
                ]}}),
            ),
        ));
        assert_eq!(ambiguous.code(), 6);
        let m = ambiguous.message();
        assert!(
            m.contains("2 entries") && m.contains("aa") && m.contains("the owner"),
            "{m}"
        );
        assert!(
            m.contains("bb") && m.contains("agent cc") && m.contains("0001"),
            "{m}"
        );
        assert!(
            m.contains("clavitor get ENTRY_ID") && !m.contains("get aa") && m.contains("CV-4020"),
            "{m}"
        );
    }
}
