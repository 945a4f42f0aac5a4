//! Helpers for the import tests: a server with the CLI logged in as the
//! owner (through a recovery code, so no slow PBKDF2), and one-liners for
//! `import`, `export` and counting entries.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use clavitor::crypto::unlock::format_recovery_code;

/// A running server, its vault, and an owner token for direct API calls.
pub struct Owner {
    pub server: TestServer,
    pub token: String,
}

/// A server with a fresh vault; the CLI (XDG dir in the server's temp dir) is logged in.
pub fn owner() -> Owner {
    owner_with("")
}

/// Like [`owner`] with extra server configuration.
pub fn owner_with(yaml: &str) -> Owner {
    let server = TestServer::start_with(yaml);
    let (mut vault, code) = TestVault::register(&server.url);
    let code_file = server.dir.path().join("recovery.txt");
    std::fs::write(&code_file, format_recovery_code(&code)).unwrap();
    let login = server.cli(&[
        "login",
        "--server",
        &server.url,
        "--vault",
        &vault.vault_id,
        "--recovery-file",
        code_file.to_str().unwrap(),
    ]);
    assert!(login.status.success(), "login: {}", stderr(&login));
    vault.login(&server);
    Owner {
        server,
        token: vault.token,
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// This crate's own samples: `tests/fixtures/<rel>`.
pub fn own(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The shared third-party fixtures, when present: `$CLAVITOR_SHARED_FIXTURES`,
/// else `../shared/fixtures` next to the crate. Prints a loud SKIPPED line otherwise.
pub fn shared() -> Option<PathBuf> {
    let p = shared_path();
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: ../shared/fixtures not found ({}); running on tests/fixtures only",
            p.display()
        );
        None
    }
}

/// Where the shared fixtures are expected.
pub fn shared_path() -> PathBuf {
    match std::env::var_os("CLAVITOR_SHARED_FIXTURES") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
    }
}

/// Parses stdout as exactly one JSON object.
pub fn one_object(out: &str) -> Value {
    let mut it = serde_json::Deserializer::from_str(out).into_iter::<Value>();
    let first = it.next().expect("one JSON value").expect("valid JSON");
    assert!(it.next().is_none(), "more than one JSON value in {out:?}");
    assert!(first.is_object(), "not an object: {out}");
    first
}

impl Owner {
    /// `clavitor --json import FILE ARGS…`, asserting success; the summary.
    pub fn import(&self, file: &Path, args: &[&str]) -> Value {
        let o = self.import_raw(file, args);
        assert!(
            o.status.success(),
            "import {} failed ({:?}):\n{}",
            file.display(),
            o.status.code(),
            stderr(&o)
        );
        let v = one_object(&stdout(&o));
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["format", "imported", "merged", "notes", "skipped"],
            "{v}"
        );
        v
    }

    /// `clavitor --json import FILE ARGS…`, whatever happens.
    pub fn import_raw(&self, file: &Path, args: &[&str]) -> Output {
        let mut a = vec!["--json", "import", file.to_str().unwrap()];
        a.extend_from_slice(args);
        self.server.cli(&a)
    }

    /// `clavitor export --format json`: the items.
    pub fn export(&self) -> Vec<Value> {
        let o = self.server.cli(&["export", "--format", "json"]);
        assert!(o.status.success(), "export: {}", stderr(&o));
        let v = one_object(&stdout(&o));
        assert_eq!(v.as_object().unwrap().len(), 1, "only items");
        v["items"].as_array().unwrap().clone()
    }

    /// How many entries the server lists.
    pub fn count(&self) -> usize {
        let (st, v) = call(
            &self.server.url,
            "GET",
            "/api/v1/entries",
            Some(&self.token),
            None,
        );
        assert_eq!(st, 200, "{v}");
        v["entries"].as_array().unwrap().len()
    }

    /// The scopes as name → id.
    pub fn scopes(&self) -> Vec<(String, String)> {
        let (st, v) = call(
            &self.server.url,
            "GET",
            "/api/v1/scopes",
            Some(&self.token),
            None,
        );
        assert_eq!(st, 200, "{v}");
        v["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_string(),
                    s["scope_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// The exported item with this title (panics with the titles seen).
pub fn item<'a>(items: &'a [Value], title: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| {
            let titles: Vec<_> = items.iter().map(|i| i["title"].clone()).collect();
            panic!("no item titled {title:?} in {titles:?}")
        })
}

/// A custom field's value by label.
pub fn field<'a>(item: &'a Value, label: &str) -> &'a Value {
    item["fields"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["label"] == label))
        .unwrap_or_else(|| panic!("no field {label:?} in {item}"))
}
