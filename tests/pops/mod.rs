//! Helpers for commercial-edition tests: POPs (real `clavitor serve`
//! processes on loopback) sharing a token keyring and a replication key,
//! and a small HTTP receiver for alerts, telemetry and heartbeats.
//!
//! Also the measuring tools the benchmarks reuse: [`percentiles`] and
//! [`thread_switches`] (the method of scripts/idle-wakeups.sh).
#![allow(dead_code)]

pub mod receiver;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;
use clavitor::crypto::{b64, hex, random_bytes};

/// The secrets POPs share: the token keyring (so tokens open on every POP)
/// and the replication key (HMAC of apply requests).
pub struct Keys {
    pub dir: tempfile::TempDir,
    pub keyring: PathBuf,
    pub replication_key: PathBuf,
    /// The replication key's bytes, for tests that sign requests themselves.
    pub key_bytes: [u8; 32],
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

impl Keys {
    pub fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let keyring = dir.path().join("token.key");
        write_private(&keyring, &format!("1 {}\n", b64(&random_bytes::<32>())));
        let key_bytes = random_bytes::<32>();
        let replication_key = dir.path().join("replication.key");
        write_private(&replication_key, &format!("{}\n", hex(&key_bytes)));
        Keys {
            dir,
            keyring,
            replication_key,
            key_bytes,
        }
    }
}

/// One POP's replication.yaml settings.
#[derive(Clone)]
pub struct PopSpec {
    pub id: String,
    pub port: u16,
    pub role: &'static str,
    /// (id, port) of the backup (primary role) or the primary (backup role).
    pub peer: Option<(String, u16)>,
    /// Extra lines for replication.yaml (e.g. `replication: {max_retries: 1}`).
    pub extra: String,
}

impl PopSpec {
    pub fn new(id: &str, role: &'static str, peer: Option<(&str, u16)>) -> PopSpec {
        PopSpec {
            id: id.into(),
            port: free_port(),
            role,
            peer: peer.map(|(i, p)| (i.to_string(), p)),
            extra: String::new(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The replication.yaml text.
    pub fn yaml(&self, keys: &Keys) -> String {
        let mut y = format!(
            "pop_id: {}\nregion: test-region\nrole: {}\nauth: {{token_file: {}}}\n",
            self.id,
            self.role,
            keys.replication_key.display()
        );
        if let Some((id, port)) = &self.peer {
            let key = if self.role == "primary" {
                "backup_pop"
            } else {
                "primary_pop"
            };
            y.push_str(&format!(
                "{key}: {{id: {id}, url: \"http://127.0.0.1:{port}\"}}\n"
            ));
        }
        y.push_str(&self.extra);
        y
    }
}

/// A running POP.
pub struct Pop {
    pub server: TestServer,
    pub spec: PopSpec,
    pub yaml_path: PathBuf,
    /// Holds replication.yaml.
    pub dir: tempfile::TempDir,
}

impl Pop {
    /// Starts a POP; `extra_config` is appended to its clavitor.yaml.
    pub fn start(spec: PopSpec, keys: &Keys, extra_config: &str) -> Pop {
        let dir = tempfile::tempdir().unwrap();
        let yaml_path = dir.path().join("replication.yaml");
        std::fs::write(&yaml_path, spec.yaml(keys)).unwrap();
        let telemetry = if extra_config.contains("telemetry:") {
            ""
        } else {
            "telemetry: {enabled: false}\n"
        };
        let config = format!(
            "replication_config: {}\ntoken_key_file: {}\n{telemetry}{extra_config}",
            yaml_path.display(),
            keys.keyring.display()
        );
        let server = TestServer::start_at(spec.port, &config);
        Pop {
            server,
            spec,
            yaml_path,
            dir,
        }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Rewrites replication.yaml (before a SIGHUP).
    pub fn rewrite(&mut self, spec: PopSpec, keys: &Keys) {
        std::fs::write(&self.yaml_path, spec.yaml(keys)).unwrap();
        self.spec = spec;
    }

    /// Number of apply requests this POP has accepted (debug log lines).
    pub fn applies(&self) -> usize {
        self.server.log().matches("replication apply: ").count()
    }

    pub fn role(&self) -> String {
        let (_, body) = get(&format!("{}/healthz", self.url()));
        serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)["role"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// A primary and its backup, sharing keys.
pub fn start_pair(keys: &Keys) -> (Pop, Pop) {
    let mut p = PopSpec::new("calgary-01", "primary", None);
    let b = PopSpec::new("zurich-01", "backup", Some(("calgary-01", p.port)));
    p.peer = Some(("zurich-01".into(), b.port));
    let backup = Pop::start(b, keys, "");
    let primary = Pop::start(p, keys, "");
    (primary, backup)
}

/// Failover by SIGHUP: rewrites `pop`'s replication.yaml as a primary that
/// replicates to `to` (id, port), signals it, and waits until /healthz says
/// primary; asserts the process was not restarted.
pub fn promote(pop: &mut Pop, keys: &Keys, to: (&str, u16)) {
    let mut spec = pop.spec.clone();
    spec.role = "primary";
    spec.peer = Some((to.0.to_string(), to.1));
    pop.rewrite(spec, keys);
    let pid = pop.server.pid();
    pop.server.signal(1);
    assert!(
        wait_until(Duration::from_secs(10), || pop.role() == "primary"),
        "not promoted:\n{}",
        pop.server.log()
    );
    assert_eq!(pop.server.pid(), pid, "promoted without a restart");
}

/// A GET with an agent's (or anyone's) bearer token: (status, the
/// `X-Primary-Location` header if any, the JSON body).
pub fn get_as(url: &str, token: &str, path: &str) -> (u16, Option<String>, Value) {
    let auth = format!("Bearer {token}");
    let (st, headers, body) = raw(url, "GET", path, &[("Authorization", &auth)], b"");
    let location = headers
        .into_iter()
        .find(|(k, _)| k == "x-primary-location")
        .map(|(_, v)| v);
    (
        st,
        location,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// An agent's read of entry `id`: (status, body).
pub fn agent_read(url: &str, token: &str, id: &str) -> (u16, Value) {
    let (st, _, v) = get_as(url, token, &format!("/api/v1/entries/{id}"));
    (st, v)
}

/// Audit events of `actor` on `server` (owner view, newest first).
pub fn audit_of(vault: &TestVault, server: &TestServer, actor: &str) -> Vec<Value> {
    let (st, v) = vault.call(
        server,
        "GET",
        &format!("/api/v1/audit?actor={actor}&limit=1000"),
        None,
    );
    assert_eq!(st, 200, "audit: {v}");
    v["events"].as_array().cloned().unwrap_or_default()
}

/// Polls `f` every 10 ms until it is true or `limit` passes.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Creates a login entry on `server`; returns its id.
pub fn put_entry(vault: &TestVault, server: &TestServer, title: &str) -> String {
    let (id, body) = vault.login_entry(title, "alice", "s3cret");
    let (st, v) = vault.call(server, "POST", "/api/v1/entries", Some(&body));
    assert_eq!(st, 201, "create entry: {v}");
    id
}

/// True if the owner can read entry `id` on `server`.
pub fn readable(vault: &TestVault, server: &TestServer, id: &str) -> bool {
    vault
        .call(server, "GET", &format!("/api/v1/entries/{id}"), None)
        .0
        == 200
}

/// (p50, p99) in milliseconds of a sample of durations.
pub fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

/// Sum of voluntary + involuntary context switches over all threads of
/// `pid`, with the thread ids (the method of scripts/idle-wakeups.sh).
pub fn thread_switches(pid: u32) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let n: u64 = status
            .lines()
            .filter(|l| {
                l.starts_with("voluntary_ctxt_switches:")
                    || l.starts_with("nonvoluntary_ctxt_switches:")
            })
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        out.push((
            format!("{} ({})", task.file_name().to_string_lossy(), name.trim()),
            n,
        ));
    }
    out
}

/// Wake-ups between two snapshots: per-thread differences; a new thread
/// counts its switches (at least 1), a vanished one 1. Returns the total and
/// the threads that woke.
pub fn wakeups(start: &[(String, u64)], end: &[(String, u64)]) -> (u64, Vec<String>) {
    let mut total = 0;
    let mut who = Vec::new();
    for (tid, n) in end {
        let d = match start.iter().find(|(t, _)| t == tid) {
            Some((_, s)) => n.saturating_sub(*s),
            None => (*n).max(1),
        };
        if d > 0 {
            who.push(format!("{tid}: {d}"));
        }
        total += d;
    }
    for (tid, _) in start {
        if !end.iter().any(|(t, _)| t == tid) {
            who.push(format!("{tid}: exited"));
            total += 1;
        }
    }
    (total, who)
}

/// Whether the file contains `needle` (`grep -aF`, fast even on a 100 MB
/// debug binary; a byte scan if grep is missing).
pub fn file_contains(path: &Path, needle: &str) -> bool {
    match std::process::Command::new("grep")
        .args(["-aqF", "--", needle])
        .arg(path)
        .status()
    {
        Ok(st) if st.code() == Some(0) => true,
        Ok(st) if st.code() == Some(1) => false,
        _ => {
            let bytes = std::fs::read(path).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        }
    }
}

/// Raises this process's open-file limit to the hard limit (tests holding many sockets).
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to an rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// A server started with extra arguments and environment variables
/// (`TELEMETRY_*`, `--telemetry-host`), killed on drop.
pub struct Proc {
    pub child: std::process::Child,
    pub url: String,
    pub log_path: PathBuf,
    pub config_path: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Proc {
    /// `extra_yaml` is appended to a config with a free port, a fresh data
    /// directory and open registration; waits for /healthz.
    pub fn spawn(extra_yaml: &str, args: &[&str], env: &[(&str, &str)]) -> Proc {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config_path = dir.path().join("clavitor.yaml");
        std::fs::write(
            &config_path,
            format!(
                "listen: \"127.0.0.1:{port}\"\ndata_dir: {}\nworkers: 2\nregistration: open\nlog: {{level: debug}}\n{extra_yaml}",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log_path = dir.path().join("server.log");
        let mut cmd = std::process::Command::new(bin());
        cmd.args(["serve", "--config"]).arg(&config_path).args(args);
        for k in [
            "TELEMETRY_HOST",
            "TELEMETRY_TOKEN",
            "TELEMETRY_FREQ",
            "POP_REGION",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut p = Proc {
            child,
            url,
            log_path,
            config_path,
            dir,
        };
        let ready = wait_until(Duration::from_secs(20), || {
            assert!(
                p.child.try_wait().unwrap().is_none(),
                "server exited:\n{}",
                p.log()
            );
            get(&format!("{}/healthz", p.url)).0 == 200
        });
        assert!(ready, "server not ready:\n{}", p.log());
        p
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
