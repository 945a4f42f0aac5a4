//! Helpers for commercial-edition tests: POPs (real `clavitor serve`
//! processes on loopback) sharing a token keyring and a replication key,
//! whose tests start, promote and compare them.
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::wait_until;
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
    /// Holds replication.yaml (removed when the POP is dropped).
    _dir: tempfile::TempDir,
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
            _dir: dir,
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
