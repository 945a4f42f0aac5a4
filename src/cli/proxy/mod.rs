//! `clavitor proxy`: a local HTTP proxy that puts secrets into agents'
//! requests without the agent ever holding them (SPEC section 13).
//!
//! Three ways in, one exchange:
//! * `CONNECT host:port` (clients that honour `HTTPS_PROXY`): the tunnel is
//!   terminated with a leaf certificate from the local CA (`ca.rs`), the
//!   request inside is read, and forwarded over TLS to `host:port`;
//! * absolute-form `GET http://host/…` (clients that honour `HTTP_PROXY`);
//! * base-URL mode `/https/HOST/PATH` and `/http/HOST/PATH` (clients that
//!   take a base URL).
//!
//! Every way in needs the per-proxy secret in `Proxy-Authorization`
//! (Basic, any user name), or gets 407. In the exchange, `clavitor://`
//! references in request headers are resolved for the destination host
//! (`refs.rs` over `cli/secretref.rs`, the one resolver: the server refuses
//! unless the entry allows that host, and audits the host), the request goes upstream
//! with verified TLS (`upstream.rs`), and the response comes back with
//! every resolved value replaced by the mask of `cli/mask.rs` (streamed).
//!
//! Synchronous: one thread per client connection, at most
//! `--max-connections` at once; one more is answered 503 and closed. Each
//! connection carries one exchange and is then closed (`Connection:
//! close`), which keeps framing simple: a scrubbed body may change length,
//! so it is delimited by the end of the connection.

mod ca;
mod refs;
mod upstream;
mod wire;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zeroize::Zeroizing;

use super::client::print_json;
use super::mask::{Secrets, StreamMasker};
use super::secretref::{self, ResolveError};
use super::{CliError, CliResult, ProxyArgs, ProxyCommand};
use refs::Resolve;
use upstream::{Connector, Scheme, Target};
use wire::{Framing, Header, RequestHead, WireError};

/// How long a client may take to send its request.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// The user name printed in the `HTTPS_PROXY` line (any name is accepted).
const PROXY_USER: &str = "x";

/// Environment variables common clients read for extra trusted CAs.
const CA_VARIABLES: &[(&str, &str)] = &[
    (
        "SSL_CERT_FILE",
        "OpenSSL-based tools, Python ssl, Ruby, Go (replaces the system roots)",
    ),
    ("NODE_EXTRA_CA_CERTS", "Node.js (adds to its roots)"),
    (
        "REQUESTS_CA_BUNDLE",
        "Python requests (replaces certifi's roots)",
    ),
    ("CURL_CA_BUNDLE", "curl (replaces its roots)"),
    ("GIT_SSL_CAINFO", "git over HTTPS (replaces its roots)"),
    ("AWS_CA_BUNDLE", "AWS CLI and SDKs"),
    ("DENO_CERT", "Deno (adds to its roots)"),
];

/// `clavitor proxy [ca]`.
pub fn run(a: &ProxyArgs, json: bool, cred: Option<&Path>) -> CliResult {
    match a.command {
        Some(ProxyCommand::Ca) => ca_command(json),
        None => serve(a, json, cred),
    }
}

/// `clavitor proxy ca`: the CA certificate path (created if needed) and
/// the variables clients read.
fn ca_command(json: bool) -> CliResult {
    let ca = ca::LocalCa::load_or_create()?;
    let path = ca.cert_path.display().to_string();
    if json {
        let vars: serde_json::Map<_, _> = CA_VARIABLES
            .iter()
            .map(|(k, _)| (k.to_string(), json!(path)))
            .collect();
        print_json(&json!({"ca_cert": path, "env": vars}));
        return Ok(());
    }
    println!("{path}");
    eprintln!("Clients that should trust the proxy's CA read one of these (most replace their");
    eprintln!("usual roots with the file, so only the proxy is trusted through them):");
    for (k, who) in CA_VARIABLES {
        eprintln!("  export {k}={path}    # {who}");
    }
    Ok(())
}

/// Everything a connection thread needs.
struct Proxy {
    secret: Zeroizing<String>,
    ca: ca::LocalCa,
    connector: Connector,
    resolver: Box<dyn Resolve>,
}

fn serve(a: &ProxyArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let listen: SocketAddr = a.listen.parse().map_err(|_| {
        CliError::Usage(format!(
            "--listen {:?}: expected IP:PORT, e.g. 127.0.0.1:1983",
            a.listen
        ))
    })?;
    if !listen.ip().is_loopback() {
        return Err(CliError::Usage(format!(
            "--listen {listen}: the proxy listens on loopback only (127.0.0.1 or ::1); \
             it holds an agent's access to the vault"
        )));
    }
    if a.max_connections == 0 {
        return Err(CliError::Usage(
            "--max-connections: expected at least 1".into(),
        ));
    }
    let connector = Connector::new(a.upstream_ca.as_deref())?;
    let resolver = secretref::Resolver::from_cli(cred)?;
    let ca = ca::LocalCa::load_or_create()?;
    let listener = TcpListener::bind(listen)
        .map_err(|e| CliError::Failed(format!("--listen {listen}: cannot listen: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::Failed(format!("--listen {listen}: {e}")))?;
    let secret = Zeroizing::new(crate::crypto::hex(&crate::crypto::random_bytes::<16>()));
    let proxy_url = Zeroizing::new(format!("http://{PROXY_USER}:{}@{bound}", secret.as_str()));
    let ca_path = ca.cert_path.display().to_string();
    if json {
        print_json(&json!({
            "listen": bound.to_string(),
            "https_proxy": proxy_url.as_str(),
            "ca_cert": ca_path,
        }));
    } else {
        println!("HTTPS_PROXY={}", proxy_url.as_str());
    }
    let _ = io::stdout().flush();
    eprintln!("clavitor proxy: listening on {bound}; the line above (stdout) is the proxy setting with its secret");
    eprintln!("clavitor proxy: trust {ca_path} in clients (`clavitor proxy ca`); base-URL mode: http://{bound}/https/HOST/PATH");
    let proxy = Arc::new(Proxy {
        secret,
        ca,
        connector,
        resolver: Box::new(resolver),
    });
    accept_loop(&listener, &proxy, a.max_connections);
    Ok(())
}

/// Decrements the open-connection count when a connection thread ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn accept_loop(listener: &TcpListener, proxy: &Arc<Proxy>, max: usize) {
    let open = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let tcp = match conn {
            Ok(t) => t,
            Err(e) => {
                eprintln!("clavitor proxy: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if open.fetch_add(1, Ordering::SeqCst) >= max {
            open.fetch_sub(1, Ordering::SeqCst);
            refuse_busy(tcp, max);
            continue;
        }
        let slot = Slot(open.clone());
        let proxy = proxy.clone();
        let spawned = std::thread::Builder::new()
            .name("proxy-conn".into())
            .spawn(move || {
                let _slot = slot;
                connection(&proxy, tcp);
            });
        if let Err(e) = spawned {
            eprintln!("clavitor proxy: cannot start a connection thread: {e}");
        }
    }
}

fn refuse_busy(mut tcp: TcpStream, max: usize) {
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(1)));
    let msg = format!(
        "clavitor proxy: {max} connections are open, the most it serves at once (--max-connections); retry shortly\n"
    );
    let _ = send_error(&mut tcp, 503, &msg, &[Header::new("Retry-After", "1")]);
}

/// A client stream, buffered for reading and written straight through: the
/// request head, body and a tunnel's TLS records are all read through the
/// one buffer, so no byte a client sent early is lost between them.
struct Duplex<S: Read + Write>(BufReader<S>);

impl<S: Read + Write> Read for Duplex<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<S: Read + Write> BufRead for Duplex<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.0.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.0.consume(n)
    }
}

impl<S: Read + Write> Write for Duplex<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.get_mut().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.get_mut().flush()
    }
}

fn connection(proxy: &Proxy, tcp: TcpStream) {
    let _ = tcp.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = tcp.set_write_timeout(Some(CLIENT_TIMEOUT));
    let _ = tcp.set_nodelay(true);
    let mut client = Duplex(BufReader::new(tcp));
    let head = match wire::read_request(&mut client) {
        Ok(Some(h)) => h,
        Ok(None) => return,
        Err(e) => {
            let _ = send_error(&mut client, 400, &format!("clavitor proxy: {e}\n"), &[]);
            return;
        }
    };
    if !authorized(proxy, &head.headers) {
        let _ = send_error(
            &mut client,
            407,
            "clavitor proxy: proxy authentication required: send the proxy's secret as \
             Proxy-Authorization: Basic (e.g. HTTPS_PROXY=http://x:SECRET@HOST:PORT)\n",
            &[Header::new(
                "Proxy-Authenticate",
                "Basic realm=\"clavitor proxy\"",
            )],
        );
        return;
    }
    if head.method.eq_ignore_ascii_case("CONNECT") {
        tunnel(proxy, client, &head.target);
        return;
    }
    match route(&head.target) {
        Ok((target, path)) => exchange(proxy, &mut client, head, &target, &path),
        Err(msg) => {
            let _ = send_error(&mut client, 400, &format!("clavitor proxy: {msg}\n"), &[]);
        }
    }
}

/// Whether `Proxy-Authorization` carries this proxy's secret.
fn authorized(proxy: &Proxy, headers: &[Header]) -> bool {
    let Some(value) = wire::header(headers, "proxy-authorization") else {
        return false;
    };
    let Some(b64) = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, v)| v.trim())
    else {
        return false;
    };
    let Ok(decoded) = data_encoding::BASE64.decode(b64.as_bytes()) else {
        return false;
    };
    let decoded = Zeroizing::new(decoded);
    let password = match decoded.iter().position(|&b| b == b':') {
        Some(i) => &decoded[i + 1..],
        None => &decoded[..],
    };
    crate::crypto::ct_eq(password, proxy.secret.as_bytes())
}

/// The destination and origin-form path of a non-CONNECT request target:
/// absolute form (`http://host/path`) or base-URL mode (`/https/host/path`).
fn route(target: &str) -> Result<(Target, String), String> {
    let usage = "expected CONNECT host:port, an absolute URL (http://host/path), \
                 or base-URL mode: /https/HOST/PATH or /http/HOST/PATH";
    let (scheme, rest) = if let Some((s, rest)) = target.split_once("://") {
        (s, rest)
    } else {
        let rest = target.strip_prefix('/').ok_or(usage)?;
        rest.split_once('/').unwrap_or((rest, ""))
    };
    let scheme = Scheme::parse(scheme).ok_or(usage)?;
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(cut);
    let target = Target::parse(scheme, authority)?;
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    Ok((target, path))
}

/// `CONNECT authority`: answer 200, then terminate TLS (or read plain HTTP
/// when the client does not start a TLS handshake) and run one exchange.
fn tunnel(proxy: &Proxy, mut client: Duplex<TcpStream>, authority: &str) {
    let plain = match Target::parse(Scheme::Https, authority) {
        Ok(t) => t,
        Err(msg) => {
            let _ = send_error(
                &mut client,
                400,
                &format!("clavitor proxy: CONNECT {msg}\n"),
                &[],
            );
            return;
        }
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .and_then(|_| client.flush())
        .is_err()
    {
        return;
    }
    // A TLS record starts with 0x16 (handshake); anything else is plain HTTP.
    let first = match client.fill_buf() {
        Ok(b) if !b.is_empty() => b[0],
        _ => return,
    };
    if first != 0x16 {
        let target = Target {
            scheme: Scheme::Http,
            ..plain
        };
        inner_exchange(proxy, &mut client, &target);
        return;
    }
    let config = match proxy.ca.server_config(&plain.host) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("clavitor proxy: CONNECT {authority}: {e}");
            return;
        }
    };
    let conn = match rustls::ServerConnection::new(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("clavitor proxy: CONNECT {authority}: {e}");
            return;
        }
    };
    let mut tls = Duplex(BufReader::new(rustls::StreamOwned::new(conn, client)));
    inner_exchange(proxy, &mut tls, &plain);
    let tls = tls.0.get_mut();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}

/// Reads the request inside a tunnel and runs the exchange to `target`.
fn inner_exchange<C: BufRead + Write>(proxy: &Proxy, reader: &mut C, target: &Target) {
    match wire::read_request(reader) {
        Ok(Some(head)) => {
            let path = match head.target.split_once("://") {
                // Some clients send absolute form inside the tunnel too.
                Some((_, rest)) => rest
                    .find('/')
                    .map_or("/".to_string(), |i| rest[i..].to_string()),
                None => head.target.clone(),
            };
            exchange(proxy, reader, head, target, &path);
        }
        Ok(None) => {}
        Err(WireError::Io(e)) if is_tls_alert(&e) => {
            eprintln!("clavitor proxy: CONNECT {}: the client refused the proxy's certificate ({e}); it must trust the proxy CA (`clavitor proxy ca`)", target.authority());
        }
        Err(e) => {
            let _ = send_error(reader, 400, &format!("clavitor proxy: {e}\n"), &[]);
        }
    }
}

fn is_tls_alert(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidData
}

/// One request: resolve references for `target`, forward, relay the
/// scrubbed response.
fn exchange<C: BufRead + Write>(
    proxy: &Proxy,
    client: &mut C,
    head: RequestHead,
    target: &Target,
    path: &str,
) {
    let label = format!(
        "{} {}://{}",
        head.method,
        target.scheme.as_str(),
        target.authority()
    );
    let outcome = forward(proxy, client, head, target, path);
    match outcome {
        Ok((status, resolved)) => {
            eprintln!("clavitor proxy: {label} -> {status} ({resolved} reference(s) resolved)")
        }
        Err(Failure::Answer(status, msg, extra)) => {
            eprintln!(
                "clavitor proxy: {label} -> {status} from the proxy: {}",
                msg.trim_end()
            );
            let _ = send_error(client, status, &msg, &extra);
        }
        Err(Failure::Broken(e)) => eprintln!("clavitor proxy: {label}: {e}"),
    }
}

/// How an exchange failed: with an answer the client should get, or after
/// the response started (nothing more can be said).
enum Failure {
    Answer(u16, String, Vec<Header>),
    Broken(String),
}

fn answer(status: u16, msg: impl Into<String>) -> Failure {
    Failure::Answer(
        status,
        format!("clavitor proxy: {}\n", msg.into()),
        Vec::new(),
    )
}

fn forward<C: BufRead + Write>(
    proxy: &Proxy,
    client: &mut C,
    head: RequestHead,
    target: &Target,
    path: &str,
) -> Result<(u16, usize), Failure> {
    let framing = wire::request_framing(&head.headers).map_err(|e| answer(400, e.to_string()))?;
    if framing != Framing::None
        && wire::header(&head.headers, "expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let _ = client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let body = Zeroizing::new(wire::read_body(client, framing).map_err(|e| match e {
        WireError::BodyTooLarge => answer(413, e.to_string()),
        other => answer(400, other.to_string()),
    })?);
    let mut headers = wire::end_to_end(&head.headers);
    // The upstream must answer uncompressed, or resolved values could not be scrubbed.
    headers.retain(|h| !h.is("accept-encoding") && !h.is("host"));
    let resolved = match refs::resolve_headers(&mut headers, &target.host, proxy.resolver.as_ref())
    {
        Ok(r) => r,
        Err(e) => {
            // Headers resolved before the refused one hold values.
            wipe_headers(&mut headers);
            return Err(refusal(&e));
        }
    };
    let mut out = vec![Header::new("Host", target.authority())];
    out.extend(headers);
    out.push(Header::new("Accept-Encoding", "identity"));
    // A body, or an empty one the client announced (POST with
    // Content-Length: 0 must not arrive without a length: some servers answer 411).
    let announced = wire::header(&head.headers, "content-length").is_some()
        || matches!(head.method.as_str(), "POST" | "PUT" | "PATCH");
    if framing != Framing::None || announced {
        out.push(Header::new("Content-Length", body.len().to_string()));
    }
    out.push(Header::new("Connection", "close"));
    let mut up = proxy
        .connector
        .open(target)
        .map_err(|e| answer(502, format!("cannot reach {}: {e}", target.authority())))?;
    let sent = wire::write_head(&mut up, &format!("{} {path} HTTP/1.1", head.method), &out)
        .and_then(|_| up.write_all(&body))
        .and_then(|_| up.flush());
    wipe_headers(&mut out);
    sent.map_err(|e| answer(502, format!("sending to {}: {e}", target.authority())))?;
    let mut up = BufReader::new(up);
    let response = loop {
        let r = wire::read_response(&mut up)
            .map_err(|e| answer(502, format!("the answer of {}: {e}", target.authority())))?;
        // Interim 1xx answers (other than 101, which needs Upgrade, never forwarded) are skipped.
        if !(100..200).contains(&r.status) || r.status == 101 {
            break r;
        }
    };
    relay(client, &mut up, &head.method, response, &resolved.secrets)
        .map(|status| (status, resolved.count))
}

/// The proxy's answer to a reference that did not resolve; the message
/// names the reference and the reason, never a value.
fn refusal(e: &ResolveError) -> Failure {
    let status = refs::status(e);
    let why = match status {
        403 => "refused",
        404 => "not found",
        429 => "rate limited or locked",
        400 => "not a valid reference",
        _ => "the vault could not be asked",
    };
    Failure::Answer(
        status,
        format!("clavitor proxy: {why}: {e}\n"),
        vec![Header::new("X-Clavitor-Proxy-Error", "reference")],
    )
}

fn wipe_headers(headers: &mut [Header]) {
    use zeroize::Zeroize;
    for h in headers {
        h.value.zeroize();
    }
}

/// Writes the upstream response to the client, scrubbed; returns its status.
fn relay<W: Write, R: BufRead>(
    client: &mut W,
    up: &mut R,
    method: &str,
    r: wire::ResponseHead,
    secrets: &Secrets,
) -> Result<u16, Failure> {
    let framing = wire::response_framing(method, &r).map_err(|e| answer(502, e.to_string()))?;
    let encoded = wire::header(&r.headers, "content-encoding")
        .is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"));
    if encoded && !secrets.is_empty() && framing != Framing::None {
        return Err(answer(
            502,
            "the upstream sent a compressed body although the proxy asked for none; \
             it cannot be checked for resolved values, so it is withheld",
        ));
    }
    let mut headers: Vec<Header> = wire::end_to_end(&r.headers)
        .into_iter()
        .map(|h| Header {
            value: secrets.scrub(&h.value),
            name: h.name,
        })
        .collect();
    if framing == Framing::None {
        // No body: the announced length (of a HEAD) passes as it was.
        if let Some(cl) = wire::header(&r.headers, "content-length") {
            headers.push(Header::new("Content-Length", cl));
        }
    }
    headers.push(Header::new("Connection", "close"));
    let reason = secrets.scrub_str(&r.reason);
    let broken = |e: io::Error| Failure::Broken(format!("relaying the answer: {e}"));
    wire::write_head(client, &format!("HTTP/1.1 {} {reason}", r.status), &headers)
        .map_err(broken)?;
    let mut body = wire::BodyReader::new(up, framing);
    let mut masker = StreamMasker::new(secrets);
    let mut buf = Zeroizing::new(vec![0u8; 16 * 1024]);
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| Failure::Broken(format!("reading the answer: {e}")))?;
        if n == 0 {
            break;
        }
        client.write_all(&masker.feed(&buf[..n])).map_err(broken)?;
    }
    client
        .write_all(&masker.finish())
        .and_then(|_| client.flush())
        .map_err(broken)?;
    Ok(r.status)
}

/// A plain-text answer from the proxy itself, then the connection closes.
fn send_error(w: &mut impl Write, status: u16, msg: &str, extra: &[Header]) -> io::Result<()> {
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let mut headers = vec![
        Header::new("Content-Type", "text/plain; charset=utf-8"),
        Header::new("Content-Length", msg.len().to_string()),
        Header::new("Connection", "close"),
        Header::new("X-Clavitor-Proxy", "error"),
    ];
    headers.extend_from_slice(extra);
    wire::write_head(w, &format!("HTTP/1.1 {status} {reason}"), &headers)?;
    w.write_all(msg.as_bytes())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_targets_route() {
        let (t, p) = route("/https/api.example.com/v1/x?y=1").unwrap();
        assert_eq!(
            (t.scheme, t.host.as_str(), t.port, p.as_str()),
            (Scheme::Https, "api.example.com", 443, "/v1/x?y=1")
        );
        let (t, p) = route("/http/127.0.0.1:8080").unwrap();
        assert_eq!((t.scheme, t.port, p.as_str()), (Scheme::Http, 8080, "/"));
        let (t, p) = route("http://h.test:81/a?b").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, p.as_str()),
            ("h.test", 81, "/a?b")
        );
        let (_, p) = route("/https/h.test?q=1").unwrap();
        assert_eq!(p, "/?q=1");
        for bad in ["/", "/ftp/h/x", "/https/", "*", "/https/a b/"] {
            assert!(route(bad).is_err(), "{bad}");
        }
    }
}
