//! `clavitor mcp`: a Model Context Protocol server on stdio (SPEC 13).
//!
//! JSON-RPC 2.0, one message per line on stdin and stdout; stdout carries
//! only protocol messages, nothing else is ever printed there. Synchronous:
//! one request at a time, in order.
//!
//! Two protocol eras are spoken (dual-era server):
//! * **2026-07-28** (modern, stateless): no handshake; every request carries
//!   `_meta["io.modelcontextprotocol/protocolVersion"]`; `server/discover`
//!   describes the server; results carry `"resultType": "complete"`; an
//!   unknown version is answered with `-32004` listing the supported ones.
//! * **2025-11-25** (legacy): `initialize` negotiates the version (a client
//!   asking for a modern or unknown version is given 2025-11-25),
//!   `notifications/initialized` follows, `ping` answers `{}`.
//!
//! The tools let a model *use* secrets rather than read them: a brokered
//! HTTP request whose headers and body may carry references (resolved only
//! for a host the entry allows; the response comes back scrubbed), the
//! current TOTP code, an exact-title check that returns field names, and a
//! raw-value tool that answers only for entries the owner marked
//! `agent_reveal`. There is no listing tool.

use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::mask::Secrets;
use super::secretref::{self, Purpose, Reference, ResolveError, Resolver, Spaces};
use super::CliResult;
use crate::entry::url_host;

/// The current revision, and the previous one.
pub const MODERN: &str = "2026-07-28";
pub const LEGACY: &str = "2025-11-25";
const SUPPORTED: [&str; 2] = [MODERN, LEGACY];
const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

/// Longest line (message) read; longer ones are answered with an error.
const MAX_LINE: usize = 4 * 1024 * 1024;
/// Largest brokered response body returned to the model.
const MAX_BODY: u64 = 256 * 1024;
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

// JSON-RPC and MCP error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const UNSUPPORTED_VERSION: i64 = -32004;

const INSTRUCTIONS: &str = "Use secrets from the clavitor vault without seeing them. \
Put clavitor://ENTRY/FIELD references (ENTRY: exact title, percent-encoded, or entry id) \
into http_request headers or body: clavitor resolves them for the destination host the entry \
allows and returns the response with the values masked. Use totp_code for one-time codes and \
check_entry to learn whether a title exists and which fields it has. Never ask for raw values; \
reveal_secret works only for entries the owner made revealable.";

/// An error answer to a request.
#[derive(Debug)]
struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

fn rpc_err(code: i64, message: impl Into<String>) -> RpcError {
    RpcError {
        code,
        message: message.into(),
        data: None,
    }
}

/// `clavitor mcp`.
pub fn run(cred: Option<&Path>) -> CliResult {
    let resolver = Resolver::from_cli(cred)?;
    let server = Server { resolver };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| super::CliError::Failed(format!("standard input: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        let reply = if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            // Skip the rest of the oversized line.
            let mut sink = Vec::new();
            let _ = input.read_until(b'\n', &mut sink);
            Some(error_reply(
                Value::Null,
                rpc_err(
                    INVALID_REQUEST,
                    format!("message longer than {MAX_LINE} bytes"),
                ),
            ))
        } else {
            server.handle_line(&line)
        };
        if let Some(reply) = reply {
            let mut out = stdout.lock();
            let written = writeln!(out, "{reply}").and_then(|_| out.flush());
            if written.is_err() {
                return Ok(()); // the client went away
            }
        }
    }
}

fn error_reply(id: Value, e: RpcError) -> Value {
    let mut error = json!({"code": e.code, "message": e.message});
    if let Some(d) = e.data {
        error["data"] = d;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error})
}

struct Server {
    resolver: Resolver,
}

impl Server {
    /// One line in, at most one line out (notifications get no answer).
    fn handle_line(&self, line: &[u8]) -> Option<Value> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return Some(error_reply(
                    Value::Null,
                    rpc_err(
                        PARSE_ERROR,
                        format!("not JSON: line {} column {}", e.line(), e.column()),
                    ),
                ))
            }
        };
        let Some(obj) = msg.as_object() else {
            return Some(error_reply(
                Value::Null,
                rpc_err(
                    INVALID_REQUEST,
                    "expected one JSON-RPC object per line (no batches)",
                ),
            ));
        };
        let id = obj.get("id").cloned();
        let method = obj.get("method").and_then(Value::as_str);
        if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") || method.is_none() {
            // A response from the client (we send no requests) or garbage.
            return id
                .filter(|_| {
                    method.is_none() && !obj.contains_key("result") && !obj.contains_key("error")
                })
                .map(|id| {
                    error_reply(
                        id,
                        rpc_err(INVALID_REQUEST, "expected jsonrpc \"2.0\" and a method"),
                    )
                });
        }
        let method = method.unwrap_or_default();
        let params = obj.get("params").cloned().unwrap_or(Value::Null);
        let Some(id) = id else {
            // Notifications (initialized, cancelled, …) need no answer.
            return None;
        };
        Some(match self.request(method, &params) {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(e) => error_reply(id, e),
        })
    }

    fn request(&self, method: &str, params: &Value) -> Result<Value, RpcError> {
        let modern = requested_version(params)?;
        let stamp = |mut v: Value| {
            if modern {
                v["resultType"] = json!("complete");
            }
            v
        };
        match method {
            "initialize" => Ok(initialize(params)),
            "ping" => Ok(stamp(json!({}))),
            "server/discover" => Ok(stamp(json!({
                "supportedVersions": SUPPORTED,
                "capabilities": capabilities(),
                "serverInfo": server_info(),
                "instructions": INSTRUCTIONS,
            }))),
            "tools/list" => Ok(stamp(json!({"tools": tools()}))),
            "tools/call" => self.call(params).map(stamp),
            _ => Err(rpc_err(
                METHOD_NOT_FOUND,
                format!("method not found: {}", clip(method)),
            )),
        }
    }

    fn call(&self, params: &Value) -> Result<Value, RpcError> {
        let name = params["name"]
            .as_str()
            .ok_or_else(|| rpc_err(INVALID_PARAMS, "tools/call: params.name is required"))?;
        let empty = Map::new();
        let args = match &params["arguments"] {
            Value::Null => &empty,
            Value::Object(m) => m,
            _ => {
                return Err(rpc_err(
                    INVALID_PARAMS,
                    "tools/call: arguments must be an object",
                ))
            }
        };
        let outcome = match name {
            "http_request" => self.http_request(args),
            "totp_code" => self.totp_code(args),
            "check_entry" => self.check_entry(args),
            "reveal_secret" => self.reveal_secret(args),
            _ => {
                return Err(rpc_err(
                    INVALID_PARAMS,
                    format!("unknown tool: {}", clip(name)),
                ))
            }
        };
        Ok(match outcome {
            Ok(structured) => json!({
                "content": [{"type": "text", "text": structured.to_string()}],
                "structuredContent": structured,
                "isError": false,
            }),
            Err(message) => json!({
                "content": [{"type": "text", "text": message}],
                "isError": true,
            }),
        })
    }

    /// `http_request`: references in headers and body are resolved for the
    /// URL's host; the response comes back with every resolved value masked.
    fn http_request(&self, args: &Map<String, Value>) -> Result<Value, String> {
        let url = str_arg(args, "url")?;
        let method = args
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        if !matches!(
            method.as_str(),
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD"
        ) {
            return Err("method: expected GET, POST, PUT, PATCH, DELETE or HEAD".into());
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err("url: expected an http:// or https:// URL".into());
        }
        if secretref::mentions(url) {
            return Err(
                "url: references are resolved only in headers and body (a URL ends up in logs)"
                    .into(),
            );
        }
        let host = url_host(url);
        if host.is_empty() {
            return Err("url: no host".into());
        }
        let purpose = Purpose::SendTo(host);
        let mut secrets = Secrets::new();
        let mut req = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(url);
        if let Some(headers) = args.get("headers") {
            let headers = headers
                .as_object()
                .ok_or("headers: expected an object of name: value strings")?;
            for (name, value) in headers {
                // The Host header must name the URL's host, the one the
                // entries were checked against.
                if name.eq_ignore_ascii_case("host") {
                    return Err("headers.Host: not allowed (the URL names the host)".into());
                }
                let value = value
                    .as_str()
                    .ok_or_else(|| format!("headers.{}: expected a string", clip(name)))?;
                let resolved = self
                    .resolver
                    .resolve_text(value, Spaces::Encoded, &purpose, &mut secrets)
                    .map_err(|e| describe(&e))?;
                req = req.header(name.as_str(), resolved.as_str());
            }
        }
        let body = match args.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                self.resolver
                    .resolve_text(s, Spaces::Encoded, &purpose, &mut secrets)
                    .map_err(|e| describe(&e))?,
            ),
            Some(_) => return Err("body: expected a string".into()),
        };
        let body_bytes = body
            .as_ref()
            .map(|b| b.as_bytes().to_vec())
            .unwrap_or_default();
        let request = req
            .body(body_bytes)
            .map_err(|e| secrets.scrub_str(&format!("cannot build the request: {e}")))?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect could carry the resolved header to another host.
            .max_redirects(0)
            .timeout_global(Some(HTTP_TIMEOUT))
            .user_agent(concat!("clavitor-mcp/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        let resp = agent
            .run(request)
            .map_err(|e| secrets.scrub_str(&format!("request failed: {e}")))?;
        let status = resp.status().as_u16();
        let mut headers = Map::new();
        for (k, v) in resp.headers() {
            let v = secrets.scrub_str(&String::from_utf8_lossy(v.as_bytes()));
            headers.insert(k.as_str().to_string(), Value::String(v));
        }
        let raw = resp
            .into_body()
            .with_config()
            .limit(MAX_BODY + 1)
            .read_to_vec();
        let (raw, truncated) = match raw {
            Ok(mut b) => {
                let t = b.len() as u64 > MAX_BODY;
                b.truncate(MAX_BODY as usize);
                (b, t)
            }
            Err(ureq::Error::BodyExceedsLimit(_)) => (Vec::new(), true),
            Err(e) => return Err(secrets.scrub_str(&format!("reading the response: {e}"))),
        };
        let body = secrets.scrub(&raw);
        Ok(json!({
            "status": status,
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
            "truncated": truncated,
        }))
    }

    fn totp_code(&self, args: &Map<String, Value>) -> Result<Value, String> {
        let entry = str_arg(args, "entry")?;
        let open = self
            .resolver
            .open(entry, entry, &Purpose::Local)
            .map_err(|e| describe(&e))?;
        let (code, remaining) = open
            .totp_now()
            .map_err(|e| format!("{}: {}", clip(entry), e.message()))?;
        Ok(json!({"code": code.as_str(), "seconds_remaining": remaining}))
    }

    fn check_entry(&self, args: &Map<String, Value>) -> Result<Value, String> {
        let title = str_arg(args, "title")?;
        match self.resolver.open(title, title, &Purpose::Local) {
            Ok(open) => Ok(json!({
                "exists": true,
                "entry_id": open.id(),
                "type": open.entry_type(),
                "fields": open.field_names(),
                "revealable": open.agent_reveal(),
            })),
            // For an agent "missing" and "not yours" are one answer.
            Err(ResolveError::NotFound { .. } | ResolveError::Denied { .. }) => {
                Ok(json!({"exists": false}))
            }
            Err(e) => Err(describe(&e)),
        }
    }

    fn reveal_secret(&self, args: &Map<String, Value>) -> Result<Value, String> {
        let raw = str_arg(args, "reference")?;
        let r = Reference::parse(raw).map_err(|e| describe(&e))?;
        let open = self
            .resolver
            .open(r.entry(), r.as_str(), &Purpose::Local)
            .map_err(|e| describe(&e))?;
        if !open.agent_reveal() {
            return Err(format!(
                "{}: the owner has not made this entry revealable to agents; use it through http_request instead",
                r.as_str()
            ));
        }
        let value = open
            .value(r.field())
            .map_err(|e| format!("{}: {}", r.as_str(), e.message()))?;
        Ok(json!({"reference": r.as_str(), "value": value.as_str()}))
    }
}

/// A resolution error for the model: names the reference, never a value.
fn describe(e: &ResolveError) -> String {
    e.to_string()
}

fn str_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<&'a str, String> {
    args.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{name}: a non-empty string is required"))
}

/// Whether a request uses the modern era (its `_meta` names a version);
/// an unsupported version is refused with the supported ones.
fn requested_version(params: &Value) -> Result<bool, RpcError> {
    let Some(v) = params.get("_meta").and_then(|m| m.get(META_VERSION)) else {
        return Ok(false);
    };
    match v.as_str() {
        Some(MODERN) => Ok(true),
        other => Err(RpcError {
            code: UNSUPPORTED_VERSION,
            message: "Unsupported protocol version".into(),
            data: Some(json!({
                "supported": [MODERN],
                "requested": other.map(clip),
            })),
        }),
    }
}

/// Legacy handshake: 2025-11-25 for any client (a modern or unknown
/// version asked through `initialize` still gets the legacy era).
fn initialize(params: &Value) -> Value {
    let _asked = params["protocolVersion"].as_str();
    json!({
        "protocolVersion": LEGACY,
        "capabilities": capabilities(),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    })
}

fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}})
}

fn server_info() -> Value {
    json!({"name": "clavitor", "title": "clavitor vault", "version": env!("CARGO_PKG_VERSION")})
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// The tools; none of them lists entries.
fn tools() -> Value {
    json!([
        {
            "name": "http_request",
            "title": "HTTP request with vault credentials",
            "description": "Send an HTTP request. Header values and the body may contain clavitor://ENTRY/FIELD references (ENTRY: exact title, percent-encoded, or entry id); each is resolved only if the entry allows the URL's host, and every resolved value is masked in the response. References in the URL are refused.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], "default": "GET"},
                    "url": {"type": "string", "description": "http:// or https:// URL"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "body": {"type": "string"}
                },
                "required": ["url"],
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": false, "openWorldHint": true}
        },
        {
            "name": "totp_code",
            "title": "Current one-time code",
            "description": "The current TOTP code of an entry (exact title or entry id) and the seconds it stays valid.",
            "inputSchema": {
                "type": "object",
                "properties": {"entry": {"type": "string"}},
                "required": ["entry"],
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        },
        {
            "name": "check_entry",
            "title": "Does this entry exist?",
            "description": "Whether an entry with exactly this title is available, and the names (never the values) of its fields, to build clavitor://TITLE/FIELD references. Titles are matched exactly; there is no search or listing.",
            "inputSchema": {
                "type": "object",
                "properties": {"title": {"type": "string"}},
                "required": ["title"],
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        },
        {
            "name": "reveal_secret",
            "title": "Raw value of a revealable entry",
            "description": "The raw value of a clavitor://ENTRY/FIELD reference, only for entries the owner marked revealable to agents; refused for every other entry. Prefer http_request.",
            "inputSchema": {
                "type": "object",
                "properties": {"reference": {"type": "string"}},
                "required": ["reference"],
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        }
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_checked_per_request() {
        assert!(!requested_version(&json!({})).unwrap());
        let modern = json!({"_meta": {META_VERSION: MODERN}});
        assert!(requested_version(&modern).unwrap());
        let e = requested_version(&json!({"_meta": {META_VERSION: "2099-01-01"}})).unwrap_err();
        assert_eq!(e.code, UNSUPPORTED_VERSION);
        assert_eq!(e.data.unwrap()["supported"][0], MODERN);
        assert_eq!(
            initialize(&json!({"protocolVersion": MODERN}))["protocolVersion"],
            LEGACY
        );
    }

    #[test]
    fn no_tool_lists_entries() {
        let names: Vec<String> = tools()
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            names,
            ["http_request", "totp_code", "check_entry", "reveal_secret"]
        );
    }
}
