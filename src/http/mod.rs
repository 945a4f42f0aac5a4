//! The HTTP edge: a fixed pool of worker threads calling tiny_http's
//! `recv()`, request limits, security headers, and the idle-connection
//! reaper. It turns bytes into [`Req`] and [`Reply`] into bytes; what a
//! request means is `api`'s business.

mod reaper;
mod server;

pub use server::{start, Failure, Handler, Running};

use std::io::Write;
use std::net::IpAddr;

/// The raw response stream of a request that the application took over:
/// nothing has been written yet, not even a status line. Write and flush
/// as you go; dropping it ends the response (the connection stays open
/// unless the client asked for `Connection: close`, so the idle reaper
/// closes it later).
pub type RawResponse = Box<dyn Write + Send + 'static>;

/// Something that answers a request by writing its [`RawResponse`] itself,
/// e.g. on a thread of its own. Called on the worker thread: it must hand
/// the stream off and return at once.
pub type Takeover = Box<dyn FnOnce(RawResponse) + Send + 'static>;

/// An HTTP method the API knows; anything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Other,
}

/// Decoded query parameters, in order.
pub type QueryPairs = Vec<(String, String)>;

/// A request after the body was read within its limit.
#[derive(Debug)]
pub struct Req {
    pub method: Method,
    /// Percent-decoded path segments after the leading `/`.
    pub segments: Vec<String>,
    pub query: QueryPairs,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub peer: IpAddr,
}

impl Req {
    /// First value of a header (name in lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// First value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path segments as `&str`s, for matching.
    pub fn path(&self) -> Vec<&str> {
        self.segments.iter().map(String::as_str).collect()
    }
}

/// A response to send.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON body.
    pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Reply {
        let body = serde_json::to_vec(value).expect("our response types always serialize");
        Reply {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body,
        }
    }

    /// A plain-text body.
    pub fn text(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// What a handler gives back for a request.
pub enum Answer {
    /// Send this reply now, from the worker.
    Now(Reply),
    /// The reply is sent later, from another thread, through the
    /// [`Responder`] this is given; the worker moves on to the next request
    /// at once. Group commit answers this way once the audit rows are
    /// durable. Called on the worker thread: hand the responder off and return.
    Later(Deferred),
}

/// See [`Answer::Later`].
pub type Deferred = Box<dyn FnOnce(Responder) + Send + 'static>;

/// Sends the reply of a deferred request (observing it like any other).
/// Dropped unsent — a bug — it answers 500 rather than leave the client
/// waiting.
pub struct Responder(Option<Box<dyn FnOnce(Reply) + Send + 'static>>);

impl Responder {
    pub(crate) fn new(send: impl FnOnce(Reply) + Send + 'static) -> Responder {
        Responder(Some(Box::new(send)))
    }

    /// Sends `reply` to the client.
    pub fn send(mut self, reply: Reply) {
        if let Some(send) = self.0.take() {
            send(reply);
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(send) = self.0.take() {
            log::error!("a deferred request was dropped unanswered (this is a bug); answered 500");
            send(Reply::text(500, "application/json", UNANSWERED_BODY));
        }
    }
}

/// The 500 body for a deferred request dropped unanswered: the API's
/// `CV-5000` answer, spelled out because `http` names no code (a unit test
/// in `api::error` keeps the two equal).
pub const UNANSWERED_BODY: &[u8] = br#"{"error":{"code":"CV-5000","message":"internal error"}}"#;

/// Splits `/a/b%20c?x=1&y` into decoded segments and query pairs.
pub fn split_url(url: &str) -> Option<(Vec<String>, QueryPairs)> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.strip_prefix('/')?;
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect::<Option<Vec<_>>>()?;
    let mut pairs = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        pairs.push((
            percent_decode(&k.replace('+', " "))?,
            percent_decode(&v.replace('+', " "))?,
        ));
    }
    Some((segments, pairs))
}

/// Decodes `%XX` escapes; `None` for a broken escape or invalid UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_and_decode() {
        let (seg, q) = split_url("/api/v1/entries/lookup?title=Git%20Hub&x").unwrap();
        assert_eq!(seg, ["api", "v1", "entries", "lookup"]);
        assert_eq!(
            q,
            [
                ("title".into(), "Git Hub".into()),
                ("x".into(), String::new())
            ]
        );
        assert!(split_url("/a%zz").is_none());
        assert!(split_url("/a%ff").is_none());
        assert!(split_url("nope").is_none());
    }
}

/// RFC 3339 UTC with milliseconds, the wire format for timestamps. Clamped
/// to years 1970-9999: humantime cannot print later times (its `Display`
/// fails, which `to_string` turns into a panic), and a replicated row could
/// carry any number.
pub fn rfc3339(ms: i64) -> String {
    const LAST_MS: i64 = 253_402_300_799_999;
    let t = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_millis(ms.clamp(0, LAST_MS) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod rfc3339_tests {
    use super::rfc3339;

    #[test]
    fn wire_times_are_clamped_to_what_rfc3339_can_print() {
        assert_eq!(rfc3339(1_600_000_000_000), "2020-09-13T12:26:40.000Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59.999Z");
    }
}
