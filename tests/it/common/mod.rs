//! Test harness: the real `clavitor` binary, a real SQLite file in a
//! temporary directory, real HTTP on 127.0.0.1.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use serde_json::{json, Value};

/// Path of the binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_clavitor"))
}

/// Config lines a server of this build needs to start on its own. The
/// commercial edition refuses to start without a replication configuration
/// and reports telemetry by default; its test and bench servers run as a
/// primary whose backup never answers (the discard port on loopback: its
/// writes stay queued, nothing leaves the machine) with telemetry off,
/// unless `extra_yaml` sets either.
/// Nothing for the community edition.
pub fn edition_defaults(dir: &Path, extra_yaml: &str) -> String {
    if !cfg!(feature = "commercial") {
        return String::new();
    }
    use std::os::unix::fs::PermissionsExt;
    let mut out = String::new();
    let replication = dir.join("replication.yaml");
    // A rewritten configuration (SIGHUP tests) keeps the replication it had.
    if !extra_yaml.contains("replication_config:") && !replication.exists() {
        let key = dir.join("replication.key");
        let key_hex = clavitor::crypto::hex(&clavitor::crypto::random_bytes::<32>());
        std::fs::write(&key, key_hex + "\n").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(
            &replication,
            format!(
                "pop_id: test-01\nregion: test-region\nrole: primary\nauth: {{token_file: {}}}\n\
                 backup_pop: {{id: test-02, url: \"http://127.0.0.1:9\"}}\n",
                key.display()
            ),
        )
        .unwrap();
    }
    if !extra_yaml.contains("replication_config:") {
        out.push_str(&format!("replication_config: {}\n", replication.display()));
    }
    if !extra_yaml.contains("telemetry:") {
        out.push_str("telemetry: {enabled: false}\n");
    }
    out
}

/// Whether this build's tarpit holds a 404 or 405 on `path` for 30 s
/// instead of answering it (commercial edition, SPEC 9 "Tarpit": every
/// path but `/api/…`, `/healthz` and `/metrics`). Tests of the community
/// build's answers on such paths skip them in the commercial build;
/// `commercial::tarpit` tests the holding.
pub fn tarpitted(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    cfg!(feature = "commercial")
        && !matches!(segments.as_slice(), ["api", ..] | ["healthz"] | ["metrics"])
}

/// A free TCP port on loopback (bound and released; good enough for tests).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server with its own data directory and config.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub url: String,
    pub config_path: PathBuf,
    child: Option<Child>,
}

impl TestServer {
    /// Open registration, two workers, debug logs, a fresh data directory.
    pub fn start() -> TestServer {
        Self::start_with("")
    }

    /// Like `start`, with extra YAML appended to the config (later keys must not repeat earlier ones).
    pub fn start_with(extra_yaml: &str) -> TestServer {
        Self::start_at(free_port(), extra_yaml)
    }

    /// Like `start_with`, on a port chosen beforehand (servers that must know each other's URLs).
    pub fn start_at(port: u16, extra_yaml: &str) -> TestServer {
        let mut s = Self::configure(port, extra_yaml);
        s.spawn();
        s
    }

    /// Like `start_with`, after `prepare` has been given the data directory
    /// (created, mode 0700, empty) to fill, e.g. with a restored database.
    pub fn start_prepared(extra_yaml: &str, prepare: impl FnOnce(&Path)) -> TestServer {
        let mut s = Self::configure(free_port(), extra_yaml);
        let data = s.data_dir();
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        prepare(&data);
        s.spawn();
        s
    }

    /// Writes the config into a fresh temporary directory; does not start.
    fn configure(port: u16, extra_yaml: &str) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("clavitor.yaml");
        let base = format!(
            "listen: \"127.0.0.1:{port}\"\ndata_dir: {}\nworkers: 2\nregistration: open\n",
            dir.path().join("data").display()
        );
        let yaml = if extra_yaml.contains("log:") {
            format!("{base}{extra_yaml}")
        } else {
            format!("{base}log: {{level: debug}}\n{extra_yaml}")
        };
        let yaml = yaml + &edition_defaults(dir.path(), extra_yaml);
        std::fs::write(&config_path, yaml).unwrap();
        TestServer {
            dir,
            port,
            url: format!("http://127.0.0.1:{port}"),
            config_path,
            child: None,
        }
    }

    /// Rewrites the config file (e.g. before a SIGHUP).
    pub fn write_config(&self, yaml: &str) {
        let yaml = format!("{yaml}{}", edition_defaults(self.dir.path(), yaml));
        std::fs::write(&self.config_path, yaml).unwrap();
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Starts the binary and waits until /healthz answers.
    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let child = Command::new(bin())
            .args(["serve", "--config"])
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start clavitor serve");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("server exited during start-up ({status}):\n{}", self.log());
            }
            if get(&format!("{}/healthz", self.url)).0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("server did not become ready:\n{}", self.log());
    }

    /// Sends a signal to the server process.
    pub fn signal(&self, sig: i32) {
        let rc = unsafe_kill(self.pid(), sig);
        assert_eq!(rc, 0, "kill({sig}) failed");
    }

    /// SIGTERM and wait; returns how long the exit took and the exit status.
    pub fn stop(&mut self) -> (Duration, std::process::ExitStatus) {
        let started = Instant::now();
        self.signal(15);
        let status = self
            .wait_exit(Duration::from_secs(10))
            .expect("server did not exit within 10 s of SIGTERM");
        (started.elapsed(), status)
    }

    /// SIGKILL and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(st) = self.child.as_mut()?.try_wait().unwrap() {
                self.child = None;
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// SIGTERM, then start again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Runs the CLI with XDG_CONFIG_HOME inside this server's temp dir.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_env(args, &[])
    }

    /// Runs the CLI with extra environment variables.
    pub fn cli_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env_remove("CLAVITOR_CREDENTIAL")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run clavitor")
    }

    /// Runs the CLI with `env` added; whatever the outcome, returns it.
    pub fn run_cli(&self, args: &[&str], env: &[(&str, &str)]) -> CliRun {
        let o = self.cli_env(args, env);
        CliRun {
            code: o.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&o.stdout).into_owned(),
            err: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Runs the CLI as the logged-in owner and asserts success; returns stdout.
    pub fn cli_ok(&self, args: &[&str]) -> String {
        let r = self.run_cli(args, &[]);
        assert_eq!(r.code, 0, "clavitor {args:?} failed:\n{}", r.err);
        r.out
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn unsafe_kill(pid: u32, sig: i32) -> i32 {
    // The test crate has no libc binding of its own; `kill` from the shell is enough.
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    if st.success() {
        0
    } else {
        1
    }
}

/// A parsed response: (status, lower-cased headers, de-chunked body).
pub type RawResponse = (u16, Vec<(String, String)>, Vec<u8>);

/// Raw HTTP/1.1 request with `Connection: close`; returns (status, headers, body).
/// Raw so tests can send anything (invalid UTF-8, wrong lengths) and see exactly what comes back.
/// Panics if the server cannot be reached or hangs up before a status line.
pub fn raw(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    try_raw(url, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path} on {url}: {e}"))
}

/// [`raw`], with a connection or read failure as an error (polling a
/// server that may not be up yet).
pub fn try_raw(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    // A server may answer (413) and stop reading before the whole body is
    // sent; the answer is still there to read, so a failed write is not fatal.
    if let Err(e) = s.write_all(body) {
        eprintln!("raw(): body write stopped early ({e}); reading the response");
    }
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut hdrs = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.trim_end().split_once(':') {
            hdrs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let mut body = Vec::new();
    let _ = r.read_to_end(&mut body);
    if hdrs
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body);
    }
    Ok((status, hdrs, body))
}

/// Decodes a chunked body (tiny_http chunks responses of 32 KiB and more).
pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_hex = std::str::from_utf8(&data[..eol]).unwrap_or("0");
        let size = usize::from_str_radix(size_hex.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        if size == 0 || data.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[(eol + 4 + size).min(data.len())..];
    }
}

/// GET returning (status, body as text); status 0 if the server could not be reached.
pub fn get(url: &str) -> (u16, String) {
    let (base, path) = split(url);
    match try_raw(&base, "GET", &path, &[], b"") {
        Ok((st, _, b)) => (st, String::from_utf8_lossy(&b).into_owned()),
        Err(_) => (0, String::new()),
    }
}

fn split(url: &str) -> (String, String) {
    let rest = url.trim_start_matches("http://");
    let i = rest.find('/').unwrap_or(rest.len());
    (
        format!("http://{}", &rest[..i]),
        if i == rest.len() {
            "/".into()
        } else {
            rest[i..].to_string()
        },
    )
}

/// JSON request with an optional bearer token; returns (status, parsed body or Null).
pub fn call(
    server: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let (st, _, b) = raw(server, method, path, &headers, &bytes);
    (st, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Asserts an error response: status, `CV-` code, and a non-empty message.
pub fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "status for {}", got.1);
    assert_eq!(got.1["error"]["code"], code, "code in {}", got.1);
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message in {}",
        got.1
    );
}

/// Files under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

/// True if any file under `dir` contains `needle` as bytes.
pub fn any_file_contains(dir: &Path, needle: &[u8]) -> Option<PathBuf> {
    files_under(dir).into_iter().find(|p| {
        std::fs::read(p)
            .map(|b| b.windows(needle.len()).any(|w| w == needle))
            .unwrap_or(false)
    })
}

use clavitor::crypto::keys::{l1_check, owner_verifier};
use clavitor::crypto::seal::{self, Tier};
use clavitor::crypto::unlock::{recovery_kek, unlock_proof, unlock_verifier, wrap_master};
use clavitor::crypto::{b64, MasterSecret, VaultKeys};

/// A vault made through the real API, with its keys kept client-side as an owner client would.
pub struct TestVault {
    pub vault_id: String,
    pub master: MasterSecret,
    pub keys: VaultKeys,
    pub token: String,
}

impl TestVault {
    /// Creates a vault (recovery-code unlock only, so no slow PBKDF2) and logs in.
    pub fn create(server: &TestServer) -> TestVault {
        let (mut tv, _) = TestVault::register(&server.url);
        tv.login(server);
        tv
    }

    /// Creates a vault on the server at `url` with a recovery-code unlock
    /// only; returns it without a session, and its recovery code.
    pub fn register(url: &str) -> (TestVault, [u8; 32]) {
        let vault_id = clavitor::crypto::hex(&clavitor::crypto::random_bytes::<16>());
        let master = MasterSecret::generate();
        let keys = master.derive(&vault_id);
        let code = clavitor::crypto::random_bytes::<32>();
        let kek = recovery_kek(&code, &vault_id);
        let wrapped = wrap_master(&kek, &vault_id, "recovery", &master);
        let verifier = b64(&unlock_verifier(&unlock_proof(&kek, &vault_id, "recovery")));
        let body = json!({
            "vault_id": vault_id,
            "owner_verifier": b64(&owner_verifier(&keys.auth)),
            "l1_check": b64(&l1_check(&keys.l1)),
            "unlock": [{"method_id": "recovery", "kind": "recovery", "kdf": {"alg": "hkdf-sha256"},
                        "wrapped": wrapped, "verifier": verifier}],
        });
        let (st, v) = call(url, "POST", "/api/v1/vaults", None, Some(&body));
        assert_eq!(st, 201, "create vault: {v}");
        let tv = TestVault {
            vault_id,
            master,
            keys,
            token: String::new(),
        };
        (tv, code)
    }

    /// The B64 unlock proof of the recovery method for `code`.
    pub fn recovery_proof(&self, code: &[u8; 32]) -> String {
        let kek = recovery_kek(code, &self.vault_id);
        b64(unlock_proof(&kek, &self.vault_id, "recovery").expose())
    }

    /// The body of a valid session request.
    pub fn session_body(&self) -> Value {
        json!({"vault_id": self.vault_id, "owner_auth": b64(self.keys.auth.expose()), "l1": b64(self.keys.l1.expose())})
    }

    /// A fresh owner session.
    pub fn login(&mut self, server: &TestServer) {
        self.login_at(&server.url);
    }

    /// A fresh owner session on the server at `url`.
    pub fn login_at(&mut self, url: &str) {
        let (st, v) = call(
            url,
            "POST",
            "/api/v1/session",
            None,
            Some(&self.session_body()),
        );
        assert_eq!(st, 201, "session: {v}");
        self.token = v["token"].as_str().unwrap().to_string();
    }

    /// Seals an L2 value for a field of an entry, as the client does.
    pub fn seal_l2(&self, entry_id: &str, name: &str, value: &str) -> String {
        seal::seal(
            &self.keys.l2,
            Tier::L2,
            &seal::field_aad(
                &clavitor::ids::VaultId::parse(&self.vault_id).unwrap(),
                &clavitor::ids::EntryId::parse(entry_id).unwrap(),
                name,
                Tier::L2,
            ),
            value.as_bytes(),
        )
        .into_string()
    }

    /// Opens an L2 value.
    pub fn open_l2(&self, entry_id: &str, name: &str, sealed: &str) -> String {
        let p = seal::open(
            &self.keys.l2,
            Tier::L2,
            &seal::field_aad(
                &clavitor::ids::VaultId::parse(&self.vault_id).unwrap(),
                &clavitor::ids::EntryId::parse(entry_id).unwrap(),
                name,
                Tier::L2,
            ),
            sealed,
        )
        .unwrap();
        String::from_utf8(p.to_vec()).unwrap()
    }

    /// A login entry body with a sealed password; returns (entry_id, body).
    pub fn login_entry(&self, title: &str, username: &str, password: &str) -> (String, Value) {
        let id = clavitor::crypto::hex(&clavitor::crypto::random_bytes::<16>());
        let body = json!({
            "entry_id": id, "type": "login", "title": title, "urls": ["https://example.com/login"],
            "fields": [
                {"name": "username", "value": username},
                {"name": "password", "value": self.seal_l2(&id, "password", password)},
            ],
        });
        (id, body)
    }

    /// Owner API call with this vault's token.
    pub fn call(
        &self,
        server: &TestServer,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        call(&server.url, method, path, Some(&self.token), body)
    }
}

/// Creates an agent in `vault`; returns (agent_id, wire token).
pub fn new_agent(server: &TestServer, vault: &TestVault, body: Value) -> (String, String) {
    let (st, b) = vault.call(server, "POST", "/api/v1/agents", Some(&body));
    assert_eq!(st, 201, "create agent: {b}");
    (
        b["agent_id"].as_str().unwrap().to_string(),
        b["token"].as_str().unwrap().to_string(),
    )
}

/// Stores a login entry; returns its id.
pub fn new_login(server: &TestServer, vault: &TestVault, title: &str, password: &str) -> String {
    let (id, body) = vault.login_entry(title, "user", password);
    let (st, b) = vault.call(server, "POST", "/api/v1/entries", Some(&body));
    assert_eq!(st, 201, "create entry: {b}");
    id
}

/// One finished CLI run.
pub struct CliRun {
    pub code: i32,
    pub out: String,
    pub err: String,
}

// Shared by the agent, fault and leak tests.

pub fn random_id() -> String {
    clavitor::crypto::hex(&clavitor::crypto::random_bytes::<16>())
}

pub fn new_scope(s: &TestServer, v: &TestVault, name: &str) -> String {
    let (st, b) = v.call(s, "POST", "/api/v1/scopes", Some(&json!({ "name": name })));
    assert_eq!(st, 201, "create scope: {b}");
    b["scope_id"].as_str().unwrap().to_string()
}

/// A login entry with a client-sealed L2 password, created by the owner.
pub fn new_entry(s: &TestServer, v: &TestVault, title: &str, scopes: &[&str]) -> String {
    let (id, mut body) = v.login_entry(
        title,
        &format!("user of {title}"),
        &format!("password of {title}"),
    );
    body["scopes"] = json!(scopes);
    post_entry(s, v, &body);
    id
}

pub fn post_entry(s: &TestServer, v: &TestVault, body: &Value) -> String {
    let (st, b) = v.call(s, "POST", "/api/v1/entries", Some(body));
    assert_eq!(st, 201, "create entry: {b}");
    b["entry_id"].as_str().unwrap().to_string()
}

/// Audit rows of the owner's vault, oldest first, optionally for one actor.
pub fn audit_rows(s: &TestServer, v: &TestVault, filter: &str) -> Vec<Value> {
    let (st, b) = v.call(s, "GET", &format!("/api/v1/audit?limit=1000{filter}"), None);
    assert_eq!(st, 200, "audit: {b}");
    assert!(
        b["next"].is_null(),
        "more than 1000 audit rows: the test must stay below one page"
    );
    let mut rows = b["events"].as_array().unwrap().clone();
    rows.reverse();
    rows
}

pub fn assert_chain_ok(s: &TestServer, v: &TestVault) {
    let (st, b) = v.call(s, "GET", "/api/v1/audit/verify", None);
    assert_eq!(
        (st, b["ok"].clone()),
        (200, json!(true)),
        "audit chain: {b}"
    );
}

/// A whole answer as a client on the wire sees it: status, lower-cased
/// headers (in the order sent), body bytes.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// `error.code` of an error answer ("" otherwise).
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    /// `error.message` of an error answer ("" otherwise).
    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Status and JSON body, the shape `assert_error` takes.
    pub fn pair(&self) -> (u16, Value) {
        (self.status, self.json())
    }
    /// Everything an observer could compare: status, every header except
    /// `Date` (in the order sent) and the body bytes.
    pub fn observable(&self) -> (u16, Vec<(String, String)>, String) {
        let hs = self
            .headers
            .iter()
            .filter(|(k, _)| k != "date")
            .cloned()
            .collect();
        (self.status, hs, self.text())
    }
    /// Status line, headers and body as one string (for substring searches).
    pub fn transcript(&self) -> String {
        let hs: String = self
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect();
        format!("{}\n{hs}\n{}", self.status, self.text())
    }
}

/// Any request: method, path, optional bearer token, extra headers, raw body
/// bytes (sent as `application/json`).
pub fn send(
    url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    headers.extend_from_slice(extra);
    let (status, headers, body) = raw(url, method, path, &headers, body);
    Response {
        status,
        headers,
        body,
    }
}
