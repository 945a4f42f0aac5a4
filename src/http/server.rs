//! Worker pool and request plumbing around tiny_http.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::reaper::Reaper;
use super::{split_url, Answer, Method, Reply, Req, Responder, Takeover};

/// What the HTTP layer needs from the application.
pub trait Handler: Send + Sync + 'static {
    /// Per-worker state, e.g. the worker's own database connection.
    type Local: Send + 'static;
    /// Builds one worker's state; called once per worker at start.
    fn local(&self) -> Result<Self::Local, String>;
    /// Largest body accepted for this request line.
    fn body_limit(&self, method: Method, segments: &[String]) -> u64;
    /// Answers one request, now or later (see [`Answer`]).
    fn handle(&self, req: &Req, local: &mut Self::Local) -> Answer;
    /// An error reply for failures the HTTP layer detects itself (the
    /// application owns the error codes and their wording).
    fn error(&self, failure: Failure) -> Reply;
    /// True once a graceful stop has begun.
    fn stopping(&self) -> bool;
    /// Seconds after which an idle connection is closed (read on every sweep, so SIGHUP applies it).
    fn idle_timeout(&self) -> Duration;
    /// Called after each reply (metrics, access log).
    fn observe(&self, _req: &Req, _reply: &Reply, _elapsed: Duration) {}
    /// Called before a worker reads a request body that tiny_http did not
    /// read ahead (larger than [`PREREAD_LIMIT`]: only routes whose limit
    /// is higher, such as imports). `Some(reply)` answers without reading
    /// the body and closes the connection: a client that is not allowed to
    /// send such a body cannot hold a worker waiting for it.
    fn admit_unread_body(&self, _req: &Req, _local: &mut Self::Local) -> Option<Reply> {
        None
    }
    /// Lets the application answer this request by writing the raw stream
    /// itself instead of sending `reply` (the commercial tarpit). `None`:
    /// send `reply` as usual.
    fn take_over(&self, _req: &Req, _reply: &Reply) -> Option<Takeover> {
        None
    }
}

/// A failure the HTTP layer detects itself, before or around the handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The request path is not valid percent-encoded UTF-8.
    BadPath,
    /// The body is larger than the route's limit (bytes).
    TooLarge { limit: u64 },
    /// The handler panicked.
    Panicked,
}

/// Bodies up to this size are read by tiny_http's connection thread before a
/// worker sees the request (vendor patches 7 and 9); a larger one is read
/// by the worker.
pub const PREREAD_LIMIT: u64 = 1 << 20;

/// Security headers on every response. The API serves JSON only; the web UI
/// sets its own CSP and `Cache-Control`, which replace these defaults.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
];
/// Request headers handed to the API (lower case).
const REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "if-match",
    "content-type",
    "x-clavitor-setup-token",
];
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// A started server: workers, reaper and the listening socket.
pub struct Running {
    server: Arc<tiny_http::Server>,
    listener: OwnedFd,
    workers: Vec<JoinHandle<()>>,
    reaper: Arc<Reaper>,
    reaper_thread: Option<JoinHandle<()>>,
    pub local_addr: SocketAddr,
}

/// Starts `workers` threads serving `listener` with `handler`.
pub fn start<H: Handler>(
    listener: TcpListener,
    workers: usize,
    max_connections: usize,
    handler: Arc<H>,
) -> Result<Running, String> {
    let local_addr = listener
        .local_addr()
        .map_err(|e| format!("listener address: {e}"))?;
    // A second descriptor for the same socket: tiny_http owns the first; we
    // keep this one to shut the socket down (which wakes its accept thread)
    // and for the reaper to poll.
    let listener_fd: OwnedFd = listener
        .try_clone()
        .map_err(|e| format!("listener: {e}"))?
        .into();
    let config = tiny_http::ServerConfig::new_http(local_addr)
        .map_err(|e| e.to_string())?
        // tiny_http's connection threads above this minimum exit after 5 s idle.
        .set_min_threads(1)
        // One thread per open connection (vendor patch 11): past
        // `limits.max_connections` a new connection gets 503 CV-5036 and is
        // closed. The default (4096) is above the commercial tarpit's 1000
        // held connections plus ordinary traffic.
        .set_max_threads(max_connections);
    let server =
        tiny_http::Server::from_listener(listener, tiny_http::ListenAddr::IP(local_addr), config)
            .map_err(|e| format!("starting HTTP server: {e}"))?;
    let server = Arc::new(server);

    let reaper = Arc::new(
        Reaper::new(listener_fd.as_raw_fd(), local_addr).map_err(|e| format!("reaper: {e}"))?,
    );
    let reaper_thread = {
        let reaper = reaper.clone();
        let handler = handler.clone();
        std::thread::Builder::new()
            .name("reaper".into())
            .spawn(move || reaper.run(|| handler.idle_timeout(), || handler.stopping()))
            .map_err(|e| format!("spawning reaper: {e}"))?
    };

    let mut handles = Vec::with_capacity(workers);
    for i in 0..workers {
        let mut local = handler.local()?;
        let server = server.clone();
        let handler = handler.clone();
        let reaper = reaper.clone();
        let h = std::thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(move || worker(&server, &handler, &mut local, &reaper))
            .map_err(|e| format!("spawning worker: {e}"))?;
        handles.push(h);
    }
    Ok(Running {
        server,
        listener: listener_fd,
        workers: handles,
        reaper,
        reaper_thread: Some(reaper_thread),
        local_addr,
    })
}

impl Running {
    /// Graceful stop: refuse new connections, let workers finish what they
    /// hold, wait for them at most `grace`. Returns false if some did not finish.
    pub fn stop(mut self, grace: Duration) -> bool {
        // shutdown(2) on a listening socket makes the pending accept() fail,
        // which ends tiny_http's accept loop; new connections are refused.
        // SAFETY: the descriptor is owned by `self.listener` and open.
        unsafe { libc::shutdown(self.listener.as_raw_fd(), libc::SHUT_RDWR) };
        for _ in 0..self.workers.len() {
            // Queued behind requests already received, so those are served first.
            let _ = self.server.unblock();
        }
        self.reaper.nudge();
        let deadline = Instant::now() + grace;
        let mut all = true;
        for h in self.workers.drain(..) {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            } else {
                all = false;
            }
        }
        if let Some(t) = self.reaper_thread.take() {
            if t.is_finished() {
                let _ = t.join();
            }
        }
        all
    }
}

/// How long a stopping worker keeps answering requests that complete after
/// the stop began (a body still arriving; tiny_http reads bodies up to 1 MiB
/// on the connection thread, so such a request reaches the queue late). Less
/// than `serve::STOP_GRACE`, which bounds the whole stop.
const DRAIN_LIMIT: Duration = Duration::from_millis(1200);

fn worker<H: Handler>(
    server: &tiny_http::Server,
    handler: &Arc<H>,
    local: &mut H::Local,
    reaper: &Arc<Reaper>,
) {
    loop {
        match server.recv() {
            Ok(Ok(rq)) => {
                serve_one(rq, handler, local, reaper);
                reaper.nudge();
            }
            // tiny_http already answered 400 and closed that connection.
            Ok(Err(e)) => log::debug!("unreadable request: {e}"),
            Err(e) => {
                if handler.stopping() {
                    drain(server, handler, local, reaper);
                    return;
                }
                // tiny_http reports accept-loop failures this way; after one it accepts no more connections.
                log::error!("HTTP accept loop failed: {e}; new connections may not be accepted until restart");
            }
        }
    }
}

/// While stopping: answer what is still arriving on open connections, until
/// none is left or `DRAIN_LIMIT` passes. Another worker's wake-up (an `Err`
/// from `recv_timeout`) is passed on, so every worker gets one.
fn drain<H: Handler>(
    server: &tiny_http::Server,
    handler: &Arc<H>,
    local: &mut H::Local,
    reaper: &Arc<Reaper>,
) {
    let until = Instant::now() + DRAIN_LIMIT;
    while Instant::now() < until {
        match server.recv_timeout(Duration::from_millis(20)) {
            Ok(Ok(Some(rq))) => serve_one(rq, handler, local, reaper),
            Ok(Ok(None)) => {
                if reaper.clients() == 0 {
                    return;
                }
            }
            Ok(Err(e)) => log::debug!("unreadable request: {e}"),
            Err(_) => {
                let _ = server.unblock();
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn method_of(m: &tiny_http::Method) -> Method {
    match m {
        tiny_http::Method::Get => Method::Get,
        tiny_http::Method::Head => Method::Head,
        tiny_http::Method::Post => Method::Post,
        tiny_http::Method::Put => Method::Put,
        tiny_http::Method::Delete => Method::Delete,
        _ => Method::Other,
    }
}

fn serve_one<H: Handler>(
    mut rq: tiny_http::Request,
    handler: &Arc<H>,
    local: &mut H::Local,
    reaper: &Arc<Reaper>,
) {
    let started = Instant::now();
    let peer_addr = rq.remote_addr().copied();
    let peer = peer_addr
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let method = method_of(rq.method());
    // tiny_http offers lookup by name only, so the request carries the headers the API reads.
    let headers: Vec<(String, String)> = REQUEST_HEADERS
        .iter()
        .filter_map(|name| {
            rq.headers()
                .get(name)
                .map(|v| (name.to_string(), v.as_str().to_string()))
        })
        .collect();
    let mut req = Req {
        method,
        segments: Vec::new(),
        query: Vec::new(),
        headers,
        body: Vec::new(),
        peer,
    };

    let answer = match split_url(rq.url()) {
        None => Answer::Now(handler.error(Failure::BadPath)),
        Some((segments, query)) => {
            req.segments = segments;
            req.query = query;
            let limit = handler.body_limit(method, &req.segments);
            if limit > PREREAD_LIMIT && body_may_be_unread(&rq) {
                if let Some(reply) = handler.admit_unread_body(&req, local) {
                    handler.observe(&req, &reply, started.elapsed());
                    respond(rq, reply, true, method == Method::Head);
                    if let Some(p) = peer_addr {
                        reaper.finish(p);
                    }
                    return;
                }
            }
            let deadline = body_deadline(handler.idle_timeout(), rq.body_length());
            if let Some(p) = peer_addr {
                reaper.body_deadline(p, started + deadline);
            }
            let body = read_body(&mut rq, limit);
            if let Some(p) = peer_addr {
                reaper.body_done(p);
            }
            match body {
                Ok(body) => {
                    req.body = body;
                    match catch_unwind(AssertUnwindSafe(|| handler.handle(&req, local))) {
                        Ok(answer) => answer,
                        Err(_) => {
                            log::error!("handler panicked; answered 500 (this is a bug)");
                            Answer::Now(handler.error(Failure::Panicked))
                        }
                    }
                }
                Err(BodyError::TooLarge) => Answer::Now(handler.error(Failure::TooLarge { limit })),
                Err(BodyError::Io(e)) => {
                    log::debug!("reading request body: {e}");
                    return; // the client went away; nobody to answer
                }
            }
        }
    };
    let sent = Sent {
        rq,
        req,
        started,
        peer_addr,
    };
    match answer {
        Answer::Now(reply) => sent.reply(&**handler, reaper, reply),
        Answer::Later(later) => {
            let (handler, reaper) = (handler.clone(), reaper.clone());
            later(Responder::new(move |reply| {
                sent.reply(&*handler, &reaper, reply)
            }));
        }
    }
}

/// A request whose reply is ready to go out, on the worker or (deferred)
/// on the thread that releases it.
struct Sent {
    rq: tiny_http::Request,
    req: Req,
    started: Instant,
    peer_addr: Option<SocketAddr>,
}

impl Sent {
    fn reply<H: Handler>(self, handler: &H, reaper: &Reaper, reply: Reply) {
        let Sent {
            rq,
            req,
            started,
            peer_addr,
        } = self;
        let method = req.method;
        let must_close = reply.status == 413 || handler.stopping();
        handler.observe(&req, &reply, started.elapsed());
        if !must_close {
            if let Some(takeover) = handler.take_over(&req, &reply) {
                takeover(rq.into_writer());
                return;
            }
        }
        respond(rq, reply, must_close, method == Method::Head);
        if must_close {
            if let Some(p) = peer_addr {
                reaper.finish(p);
            }
        }
    }
}

/// Whether part of the body may still be on the wire: a declared length
/// above [`PREREAD_LIMIT`], or a chunked body (only its first
/// `PREREAD_LIMIT` bytes were read ahead).
fn body_may_be_unread(rq: &tiny_http::Request) -> bool {
    match rq.body_length() {
        Some(n) => n as u64 > PREREAD_LIMIT,
        None => rq.headers().get("Transfer-Encoding").is_some(),
    }
}

/// How long a request body may take to arrive once a worker reads it: the
/// idle timeout, plus one second per 256 KiB declared (a large import over a
/// slow link is fine; a trickle of a few bytes per second is not). Bodies up
/// to 1 MiB never get here: tiny_http reads them on the connection's thread
/// (vendor patch 6), so only large import bodies can hold a worker, and at
/// most this long.
fn body_deadline(idle: Duration, declared: Option<usize>) -> Duration {
    let per_256k = declared.unwrap_or(0) as u64 / (256 * 1024);
    idle + Duration::from_secs(per_256k)
}

enum BodyError {
    TooLarge,
    Io(std::io::Error),
}

fn read_body(rq: &mut tiny_http::Request, limit: u64) -> Result<Vec<u8>, BodyError> {
    if rq.body_length().is_some_and(|n| n as u64 > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(rq.body_length().unwrap_or(0).min(64 * 1024));
    rq.as_reader()
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(BodyError::Io)?;
    if body.len() as u64 > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(body)
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn respond(rq: tiny_http::Request, reply: Reply, close: bool, head: bool) {
    let len = reply.body.len();
    let body = if head { Vec::new() } else { reply.body };
    let mut resp = tiny_http::Response::new(
        tiny_http::StatusCode(reply.status),
        tiny_http::Headers::new(),
        std::io::Cursor::new(body),
        Some(len),
        None,
    );
    let mut add = |name: &str, value: &str| {
        // Values we set never contain CR/LF; a header that fails to build is dropped, not sent broken.
        if let Some(h) = header(name, value) {
            resp.add_header(h);
        }
    };
    add("Content-Type", reply.content_type);
    // A reply's own header replaces the default of the same name (the web UI
    // sets its own CSP and cache policy).
    let own = |name: &str| {
        reply
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    for (k, v) in SECURITY_HEADERS {
        if !own(k) {
            add(k, v);
        }
    }
    if !own("content-security-policy") {
        add("Content-Security-Policy", API_CSP);
    }
    for (k, v) in &reply.headers {
        add(k, v);
    }
    if close {
        add("Connection", "close");
    }
    if let Err(e) = rq.respond(resp) {
        log::debug!("writing response: {e}");
    }
}
