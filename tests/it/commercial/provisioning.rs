//! The seed design document's provisioning examples (SPEC section 9, v1.1:
//! "must work verbatim"): Calgary (primary), Zurich (backup) and the
//! failover, with keys made by openssl as an operator makes them.
//!
//! What is adjusted, and why:
//! * `/etc/clavitor/` becomes one temporary directory per POP (the tests
//!   run unprivileged, and two POPs share this machine);
//! * the example URLs `https://zurich-01.clavitor.ai` and
//!   `https://calgary-01.clavitor.ai` become `http://127.0.0.1:<port>` of
//!   that POP: the tests may reach only loopback and resolve no public name.
//!   TLS between POPs is covered by tests/it/commercial/mtls.rs.
//!
//! Every other byte of the example files is written as the document shows it.
use crate::common;
use crate::pops;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use common::*;
use pops::*;

const SYNC: Duration = Duration::from_secs(20);

/// "Calgary (Primary)": what its `cat > /etc/clavitor/replication.yaml` writes.
const CALGARY: &str = r#"pop_id: "calgary-01"
region: "north-america"
role: "primary"
backup_pop:
  id: "zurich-01"
  url: "https://zurich-01.clavitor.ai"
  auth_token_file: "/etc/clavitor/replication.key"
auth:
  token_file: "/etc/clavitor/replication.key"
"#;

/// "Zurich (Backup)": no backup_pop, no primary_pop.
const ZURICH: &str = r#"pop_id: "zurich-01"
region: "europe"
role: "backup"
auth:
  token_file: "/etc/clavitor/replication.key"
"#;

/// "Failover": the document shows the lines that change in Zurich's file;
/// they take the place of its `role` line.
const BEFORE_FAILOVER: &str = r#"role: "backup"
primary_pop:
  id: "calgary-01"
  url: "https://calgary-01.clavitor.ai"
"#;
const AFTER_FAILOVER: &str = r#"role: "primary"
backup_pop:
  id: "calgary-01"  # Old primary becomes backup
  url: "https://calgary-01.clavitor.ai"
"#;

/// One POP's `/etc/clavitor` and its server.
struct Site {
    etc: tempfile::TempDir,
    port: u16,
}

impl Site {
    fn new() -> Site {
        Site {
            etc: tempfile::tempdir().unwrap(),
            port: free_port(),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.etc.path().join(name)
    }

    /// Writes replication.yaml: `yaml` with the two adjustments of the module comment.
    fn write_yaml(&self, yaml: &str, calgary: &Site, zurich: &Site) {
        let text = yaml
            .replace("/etc/clavitor/", &format!("{}/", self.etc.path().display()))
            .replace("https://zurich-01.clavitor.ai", &zurich.url())
            .replace("https://calgary-01.clavitor.ai", &calgary.url());
        std::fs::write(self.path("replication.yaml"), text).unwrap();
    }

    /// Starts `clavitor serve` with this site's replication.yaml and the
    /// token keyring the POPs share.
    fn start(&self, keys: &Keys) -> TestServer {
        TestServer::start_at(
            self.port,
            &format!(
                "replication_config: {}\ntoken_key_file: {}\ntelemetry: {{enabled: false}}\n",
                self.path("replication.yaml").display(),
                keys.keyring.display()
            ),
        )
    }
}

/// Runs openssl as the operator would, e.g. `openssl rand -base64 32`.
fn openssl(args: &[&str]) -> String {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (the seed document makes keys with it)");
    assert!(out.status.success(), "openssl {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

/// `chmod 600`, as the example does.
fn write_key(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Calgary's key, and Zurich's copy of it ("Same token (shared secret for inter-POP auth)").
fn provision_key(calgary: &Site, zurich: &Site, text: &str) {
    write_key(&calgary.path("replication.key"), text);
    std::fs::copy(
        calgary.path("replication.key"),
        zurich.path("replication.key"),
    )
    .unwrap();
    std::fs::set_permissions(
        zurich.path("replication.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
}

/// A POST of a new entry with the owner's token: (status, X-Primary-Location, body).
fn owner_write(vault: &TestVault, url: &str) -> (u16, Option<String>, Value) {
    let (_, body) = vault.login_entry("written here", "u", "p");
    let auth = format!("Bearer {}", vault.token);
    let (st, headers, b) = raw(
        url,
        "POST",
        "/api/v1/entries",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &serde_json::to_vec(&body).unwrap(),
    );
    let location = headers
        .into_iter()
        .find(|(k, _)| k == "x-primary-location")
        .map(|(_, v)| v);
    (
        st,
        location,
        serde_json::from_slice(&b).unwrap_or(Value::Null),
    )
}

/// Waits until the owner can read `id` on `server`.
fn arrives(vault: &TestVault, server: &TestServer, id: &str, from: &TestServer) {
    assert!(
        wait_until(SYNC, || readable(vault, server, id)),
        "{id} never arrived:\nsender:\n{}\nreceiver:\n{}",
        from.log(),
        server.log()
    );
}

#[test]
fn seed_examples_calgary_primary_and_zurich_backup_replicate_a_write() {
    let keys = Keys::new();
    let (calgary, zurich) = (Site::new(), Site::new());
    // "256-bit random token, base64 encoded": `openssl rand -base64 32 > replication.key`.
    let key = openssl(&["rand", "-base64", "32"]);
    assert_eq!(
        key.trim_end().len(),
        44,
        "standard base64 with padding: {key:?}"
    );
    provision_key(&calgary, &zurich, &key);
    calgary.write_yaml(CALGARY, &calgary, &zurich);
    zurich.write_yaml(ZURICH, &calgary, &zurich);

    let zurich_pop = zurich.start(&keys);
    let calgary_pop = calgary.start(&keys);
    // The start-up lines the document shows.
    assert!(
        calgary_pop
            .log()
            .contains("Commercial edition: primary POP calgary-01, replicating to zurich-01"),
        "{}",
        calgary_pop.log()
    );
    assert!(
        zurich_pop
            .log()
            .contains("Commercial edition: backup POP zurich-01, accepting replication"),
        "{}",
        zurich_pop.log()
    );

    let vault = TestVault::create(&calgary_pop);
    let id = put_entry(&vault, &calgary_pop, "replicated");
    arrives(&vault, &zurich_pop, &id, &calgary_pop);

    // Zurich's file names no primary: its 503s carry no X-Primary-Location.
    let (st, location, v) = owner_write(&vault, &zurich.url());
    assert_eq!((st, &v["error"]["code"]), (503, &json!("CV-5030")), "{v}");
    assert_eq!(location, None);
    let (_, agent_token) = new_agent(
        &calgary_pop,
        &vault,
        json!({"name": "bot", "all_access": true}),
    );
    let (st, location, v) = get_as(
        &zurich.url(),
        &agent_token,
        &format!("/api/v1/entries/{id}"),
    );
    assert_eq!((st, &v["error"]["code"]), (503, &json!("CV-5030")), "{v}");
    assert_eq!(location, None);
    assert_eq!(agent_read(&calgary.url(), &agent_token, &id).0, 200);

    for log in [calgary_pop.log(), zurich_pop.log()] {
        assert!(!log.contains(key.trim()), "the key leaked into a log");
    }
}

#[test]
fn seed_failover_example_backup_naming_its_primary_is_promoted_by_sighup() {
    let keys = Keys::new();
    let (calgary, zurich) = (Site::new(), Site::new());
    // The example's own form: `clavitor-pop-v1-a1b2c3d4e5f6...` (hex digits).
    let key = format!("clavitor-pop-v1-{}", openssl(&["rand", "-hex", "32"]));
    provision_key(&calgary, &zurich, &key);
    calgary.write_yaml(CALGARY, &calgary, &zurich);
    let zurich_before = ZURICH.replace("role: \"backup\"\n", BEFORE_FAILOVER);
    zurich.write_yaml(&zurich_before, &calgary, &zurich);

    let zurich_pop = zurich.start(&keys);
    let mut calgary_pop = calgary.start(&keys);
    let vault = TestVault::create(&calgary_pop);
    let before = put_entry(&vault, &calgary_pop, "before failover");
    arrives(&vault, &zurich_pop, &before, &calgary_pop);
    let (agent, agent_token) = new_agent(
        &calgary_pop,
        &vault,
        json!({"name": "bot", "all_access": true}),
    );
    // The backup names its primary: agents and writes are sent there.
    let path = format!("/api/v1/entries/{before}");
    let (st, location, v) = get_as(&zurich.url(), &agent_token, &path);
    assert_eq!((st, &v["error"]["code"]), (503, &json!("CV-5030")), "{v}");
    assert_eq!(location, Some(calgary.url()));
    let (st, location, _) = owner_write(&vault, &zurich.url());
    assert_eq!((st, location), (503, Some(calgary.url())));
    // The agent record must be on Zurich before Calgary is lost.
    assert!(wait_until(SYNC, || vault
        .call(&zurich_pop, "GET", &format!("/api/v1/agents/{agent}"), None)
        .0
        == 200));

    // Calgary is lost; Zurich's file is edited as the document shows; SIGHUP.
    calgary_pop.kill9();
    let zurich_after = ZURICH.replace("role: \"backup\"\n", AFTER_FAILOVER);
    zurich.write_yaml(&zurich_after, &calgary, &zurich);
    let pid = zurich_pop.pid();
    zurich_pop.signal(1);
    assert!(
        wait_until(Duration::from_secs(10), || {
            let (_, body) = get(&format!("{}/healthz", zurich.url()));
            body.contains("\"role\":\"primary\"")
        }),
        "{}",
        zurich_pop.log()
    );
    assert_eq!(zurich_pop.pid(), pid, "promoted without a restart");

    // The same agent read now succeeds, audited in Zurich's chain; writes are taken.
    let (st, v) = agent_read(&zurich.url(), &agent_token, &before);
    assert_eq!(st, 200, "{v}");
    assert!(audit_of(&vault, &zurich_pop, &agent)
        .iter()
        .any(|e| e["pop_id"] == "zurich-01" && e["action"] == "read" && e["outcome"] == "success"));
    let after = put_entry(&vault, &zurich_pop, "after failover");

    // "Old primary becomes backup": Calgary comes back as Zurich's backup.
    let calgary_backup = CALGARY_AS_BACKUP;
    calgary.write_yaml(calgary_backup, &calgary, &zurich);
    calgary_pop.spawn();
    // SIGHUP also makes a backing-off primary retry at once.
    zurich_pop.signal(1);
    arrives(&vault, &calgary_pop, &after, &zurich_pop);
    assert!(readable(&vault, &calgary_pop, &before));
    let (st, location, _) = owner_write(&vault, &calgary.url());
    assert_eq!((st, location), (503, Some(zurich.url())));
    let (st, location, _) = get_as(&calgary.url(), &agent_token, &path);
    assert_eq!((st, location), (503, Some(zurich.url())));
    let (st, v) = vault.call(&zurich_pop, "GET", "/api/v1/audit/verify", None);
    assert_eq!((st, v["ok"].clone()), (200, json!(true)), "{v}");
}

/// Calgary's file once it is Zurich's backup (not in the document, which
/// shows only Zurich's side): Calgary's own example with the roles swapped.
const CALGARY_AS_BACKUP: &str = r#"pop_id: "calgary-01"
region: "north-america"
role: "backup"
primary_pop:
  id: "zurich-01"
  url: "https://zurich-01.clavitor.ai"
auth:
  token_file: "/etc/clavitor/replication.key"
"#;
