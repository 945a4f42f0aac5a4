//! HTTP/1.1 framing for the proxy, on both sides: heads are parsed by
//! `httparse`, bodies are framed by `Content-Length`, chunked encoding or
//! the end of the connection (RFC 9112 section 6). Every read is bounded.

use std::io::{self, BufRead, Read, Write};

/// Largest request or response head (request line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header lines in one head.
const MAX_HEADERS: usize = 128;
/// Largest request body the proxy buffers before forwarding.
pub const MAX_BODY: u64 = 32 * 1024 * 1024;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 8 * 1024;

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("the connection closed before a complete message")]
    Closed,
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("malformed HTTP/1.1 message: {0}")]
    Malformed(&'static str),
    #[error("the message head is over {} KiB", MAX_HEAD / 1024)]
    HeadTooLarge,
    #[error("the request body is over {} MiB", MAX_BODY >> 20)]
    BodyTooLarge,
}

/// One header line; the value stays bytes (HTTP allows obs-text).
#[derive(Clone)]
pub struct Header {
    pub name: String,
    pub value: Vec<u8>,
}

impl Header {
    pub fn new(name: &str, value: impl Into<Vec<u8>>) -> Header {
        Header {
            name: name.to_string(),
            value: value.into(),
        }
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// The first value of header `name`, as text.
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.is(name))
        .and_then(|h| std::str::from_utf8(&h.value).ok())
        .map(str::trim)
}

/// A request line and its headers.
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub headers: Vec<Header>,
}

/// A status line and its headers.
pub struct ResponseHead {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<Header>,
}

/// Reads bytes up to and including the blank line that ends a head.
/// `Ok(None)` when the peer closed before sending anything.
fn read_head_bytes(r: &mut impl BufRead) -> Result<Option<Vec<u8>>, WireError> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let start = buf.len();
        let n = r
            .take((MAX_HEAD + 1 - buf.len()) as u64)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(WireError::Closed)
            };
        }
        if buf.len() > MAX_HEAD {
            return Err(WireError::HeadTooLarge);
        }
        let line = &buf[start..];
        if line == b"\r\n" || line == b"\n" {
            // RFC 9112 section 2.2: ignore empty lines before the start line.
            if start == 0 {
                buf.clear();
                continue;
            }
            return Ok(Some(buf));
        }
    }
}

fn headers_of(parsed: &[httparse::Header<'_>]) -> Vec<Header> {
    parsed
        .iter()
        .map(|h| Header::new(h.name, h.value.to_vec()))
        .collect()
}

/// Reads one request head; `Ok(None)` if the client closed first.
pub fn read_request(r: &mut impl BufRead) -> Result<Option<RequestHead>, WireError> {
    let Some(bytes) = read_head_bytes(r)? else {
        return Ok(None);
    };
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut slots);
    match req.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Err(WireError::Malformed("incomplete head")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(WireError::Malformed("more than 128 header lines"))
        }
        Err(_) => return Err(WireError::Malformed("unparsable request line or header")),
    }
    Ok(Some(RequestHead {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        headers: headers_of(req.headers),
    }))
}

/// Reads one response head.
pub fn read_response(r: &mut impl BufRead) -> Result<ResponseHead, WireError> {
    let bytes = read_head_bytes(r)?.ok_or(WireError::Closed)?;
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut slots);
    match resp.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(WireError::Malformed("unparsable status line or header")),
    }
    Ok(ResponseHead {
        status: resp.code.unwrap_or_default(),
        reason: resp.reason.unwrap_or_default().to_string(),
        headers: headers_of(resp.headers),
    })
}

/// How a body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

fn chunked(headers: &[Header]) -> bool {
    headers
        .iter()
        .filter(|h| h.is("transfer-encoding"))
        .any(|h| {
            String::from_utf8_lossy(&h.value)
                .to_ascii_lowercase()
                .contains("chunked")
        })
}

fn content_length(headers: &[Header]) -> Result<Option<u64>, WireError> {
    match header(headers, "content-length") {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| WireError::Malformed("Content-Length is not a number")),
    }
}

/// A request's body framing (RFC 9112 section 6.3: no length means no body).
pub fn request_framing(headers: &[Header]) -> Result<Framing, WireError> {
    if chunked(headers) {
        return Ok(Framing::Chunked);
    }
    Ok(match content_length(headers)? {
        Some(0) | None => Framing::None,
        Some(n) => Framing::Length(n),
    })
}

/// A response's body framing, given the request method.
pub fn response_framing(method: &str, r: &ResponseHead) -> Result<Framing, WireError> {
    if method.eq_ignore_ascii_case("HEAD") || r.status < 200 || r.status == 204 || r.status == 304 {
        return Ok(Framing::None);
    }
    if chunked(&r.headers) {
        return Ok(Framing::Chunked);
    }
    Ok(match content_length(&r.headers)? {
        Some(n) => Framing::Length(n),
        None => Framing::UntilClose,
    })
}

/// A body's bytes, de-chunked, ending where its framing says.
pub struct BodyReader<'a, R> {
    inner: &'a mut R,
    state: State,
}

enum State {
    Length(u64),
    ChunkStart,
    ChunkData(u64),
    UntilClose,
    Done,
}

impl<'a, R: BufRead> BodyReader<'a, R> {
    pub fn new(inner: &'a mut R, framing: Framing) -> Self {
        let state = match framing {
            Framing::None => State::Done,
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkStart,
            Framing::UntilClose => State::UntilClose,
        };
        BodyReader { inner, state }
    }
}

/// One CRLF-terminated line without its terminator, at most [`MAX_LINE`].
fn read_line(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    r.take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
    if line.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "chunked body: a line is too long or the connection closed",
        ));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// Reads at most `left` bytes (> 0); a closed connection is an error.
fn read_some(r: &mut impl Read, buf: &mut [u8], left: u64) -> io::Result<usize> {
    let max = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
    let k = r.read(&mut buf[..max])?;
    if k == 0 && max > 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the body ended before its announced length",
        ));
    }
    Ok(k)
}

fn bad(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

impl<R: BufRead> Read for BodyReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::UntilClose => {
                    return match self.inner.read(buf) {
                        // A body delimited by the end of the connection has no
                        // length to fall short of: a TLS peer that closes
                        // without close_notify has still sent all of it.
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                        other => other,
                    };
                }
                State::Length(0) => self.state = State::Done,
                State::Length(n) => {
                    let k = read_some(self.inner, buf, n)?;
                    self.state = State::Length(n - k as u64);
                    return Ok(k);
                }
                State::ChunkData(0) => {
                    if !read_line(self.inner)?.is_empty() {
                        return Err(bad("chunked body: no CRLF after a chunk"));
                    }
                    self.state = State::ChunkStart;
                }
                State::ChunkData(n) => {
                    let k = read_some(self.inner, buf, n)?;
                    self.state = State::ChunkData(n - k as u64);
                    return Ok(k);
                }
                State::ChunkStart => {
                    let line = read_line(self.inner)?;
                    let text = std::str::from_utf8(&line).map_err(|_| bad("chunk size"))?;
                    let hex = text.split(';').next().unwrap_or_default().trim();
                    let size =
                        u64::from_str_radix(hex, 16).map_err(|_| bad("chunked body: bad size"))?;
                    if size == 0 {
                        // Trailers, then the blank line.
                        while !read_line(self.inner)?.is_empty() {}
                        self.state = State::Done;
                    } else {
                        self.state = State::ChunkData(size);
                    }
                }
            }
        }
    }
}

/// Reads a whole request body into memory, refusing more than [`MAX_BODY`].
pub fn read_body(r: &mut impl BufRead, framing: Framing) -> Result<Vec<u8>, WireError> {
    if let Framing::Length(n) = framing {
        if n > MAX_BODY {
            return Err(WireError::BodyTooLarge);
        }
    }
    let mut body = Vec::new();
    BodyReader::new(r, framing)
        .take(MAX_BODY + 1)
        .read_to_end(&mut body)?;
    if body.len() as u64 > MAX_BODY {
        return Err(WireError::BodyTooLarge);
    }
    Ok(body)
}

/// Hop-by-hop headers (RFC 9110 section 7.6.1) and the framing headers the
/// proxy sets itself; never forwarded in either direction.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "expect",
];

/// The headers that go on to the next hop: without hop-by-hop headers and
/// without those the `Connection` header names.
pub fn end_to_end(headers: &[Header]) -> Vec<Header> {
    let named: Vec<String> = headers
        .iter()
        .filter(|h| h.is("connection"))
        .flat_map(|h| {
            String::from_utf8_lossy(&h.value)
                .split(',')
                .map(|t| t.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    headers
        .iter()
        .filter(|h| {
            let n = h.name.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&n.as_str()) && !named.contains(&n)
        })
        .cloned()
        .collect()
}

/// Writes a head: `first` (request or status line), then the headers.
pub fn write_head(w: &mut impl Write, first: &str, headers: &[Header]) -> io::Result<()> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(first.as_bytes());
    out.extend_from_slice(b"\r\n");
    for h in headers {
        out.extend_from_slice(h.name.as_bytes());
        out.extend_from_slice(b": ");
        // A value never carries a line break onward (no header injection).
        out.extend(
            h.value
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    w.write_all(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    #[test]
    fn a_request_head_and_chunked_body_are_read() {
        let raw = b"\r\nPOST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\nNEXT";
        let mut r = BufReader::new(&raw[..]);
        let head = read_request(&mut r).unwrap().unwrap();
        assert_eq!((head.method.as_str(), head.target.as_str()), ("POST", "/x"));
        let framing = request_framing(&head.headers).unwrap();
        assert_eq!(framing, Framing::Chunked);
        assert_eq!(read_body(&mut r, framing).unwrap(), b"abcde");
        let mut rest = String::new();
        r.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "NEXT");
    }

    #[test]
    fn lengths_and_limits_are_enforced() {
        let raw = b"GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n";
        let mut r = BufReader::new(&raw[..]);
        let head = read_request(&mut r).unwrap().unwrap();
        let framing = request_framing(&head.headers).unwrap();
        assert!(matches!(
            read_body(&mut r, framing),
            Err(WireError::BodyTooLarge)
        ));
        let short = b"5\r\nab";
        let mut r = BufReader::new(&short[..]);
        assert!(read_body(&mut r, Framing::Chunked).is_err());
        let big = vec![b'a'; MAX_HEAD + 10];
        assert!(matches!(
            read_request(&mut BufReader::new(&big[..])),
            Err(WireError::HeadTooLarge)
        ));
        assert!(read_request(&mut BufReader::new(&b""[..]))
            .unwrap()
            .is_none());
    }

    #[test]
    fn hop_by_hop_headers_stay_behind_and_values_cannot_inject_lines() {
        let hs = vec![
            Header::new("Connection", "close, X-Private"),
            Header::new("X-Private", "1"),
            Header::new("Proxy-Authorization", "Basic eDp5"),
            Header::new("Authorization", "Bearer t"),
        ];
        let kept: Vec<String> = end_to_end(&hs).into_iter().map(|h| h.name).collect();
        assert_eq!(kept, ["Authorization"]);
        let mut out = Vec::new();
        write_head(
            &mut out,
            "HTTP/1.1 200 OK",
            &[Header::new("A", "x\r\nB: y")],
        )
        .unwrap();
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nA: x  B: y\r\n\r\n");
    }
}
