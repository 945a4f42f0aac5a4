//! replication.yaml is mandatory in the commercial edition; bad files are
//! start-up errors that name the file and the problem, and a bad file on
//! SIGHUP keeps the old configuration.
use crate::common;
use crate::pops;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pops::*;

/// Runs `clavitor serve` with `config` and expects it to exit (bounded); returns (code, stderr).
fn serve_expecting_exit(dir: &Path, config: &str) -> (Option<i32>, String) {
    let path = dir.join("clavitor.yaml");
    let base = format!(
        "listen: \"127.0.0.1:{}\"\ndata_dir: {}\ntelemetry: {{enabled: false}}\n",
        free_port(),
        dir.join("data").display()
    );
    std::fs::write(&path, format!("{base}{config}")).unwrap();
    let mut child = Command::new(bin())
        .args(["serve", "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started although its configuration is invalid");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn expect_refusal(dir: &Path, config: &str, needles: &[&str]) {
    let (code, stderr) = serve_expecting_exit(dir, config);
    assert!(code.is_some_and(|c| c != 0), "exit code {code:?}: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "stderr lacks {n:?}:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn without_replication_yaml_the_commercial_server_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    if !Path::new("/etc/clavitor/replication.yaml").exists() {
        expect_refusal(
            dir.path(),
            "",
            &["/etc/clavitor/replication.yaml", "replication"],
        );
    }
    let missing = dir.path().join("nowhere/replication.yaml");
    expect_refusal(
        dir.path(),
        &format!("replication_config: {}\n", missing.display()),
        &[&missing.display().to_string(), "cannot read"],
    );
}

fn with_yaml(dir: &Path, yaml: &str) -> String {
    let file = dir.join("replication.yaml");
    std::fs::write(&file, yaml).unwrap();
    format!("replication_config: {}\n", file.display())
}

#[test]
fn invalid_replication_yaml_is_a_clear_startup_error() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = d.join("replication.yaml").display().to_string();
    let key = keys.replication_key.display().to_string();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (format!("pop_id: a\nrole: leader\nauth: {{token_file: {key}}}\n"), vec!["role", "leader", "primary", "backup", "line 2"]),
        (format!("pop_id: a\nrole: primary\nauth: {{token_file: {key}}}\n"), vec!["backup_pop"]),
        // A backup without primary_pop is valid (SPEC 9, v1.1); typos in the peers are not.
        (format!("pop_id: a\nrole: primary\nbackup_pop: {{id: b, url: \"http://127.0.0.1:1\", auth_token_fle: {key}}}\nauth: {{token_file: {key}}}\n"), vec!["auth_token_fle", "auth_token_file", "line 3"]),
        (format!("pop_id: a\nrole: backup\nprimary_pop: {{id: b, url: \"http://127.0.0.1:1\", auth_token_file: {key}}}\nauth: {{token_file: {key}}}\n"), vec!["unknown field `auth_token_file`", "line 3"]),
        (format!("pop_id: a\nrole: primary\nbackup_pop: {{id: b, url: \"http://127.0.0.1:1\"}}\nauth: {{token_file: {key}}}\ncolour: blue\n"), vec!["colour", "line 5"]),
        (format!("pop_id: a\nrole: primary\nbackup_pop: {{id: b, url: \"http://127.0.0.1:1\"}}\nauth: {{token_file: {key}, mtls_cert: {key}}}\n"), vec!["mtls_cert and mtls_key"]),
        (format!("pop_id: a\nrole: primary\nbackup_pop: {{id: b, url: \"http://127.0.0.1:1\"}}\nauth: {{token_file: {key}}}\nreplication: {{batch_size: 0}}\n"), vec!["batch_size", "1 to 1000"]),
    ];
    for (yaml, needles) in cases {
        let config = with_yaml(d, &yaml);
        let mut all = needles.clone();
        all.push(&file);
        expect_refusal(d, &config, &all);
    }
}

#[test]
fn unreadable_or_unsafe_key_files_are_clear_errors() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let yaml = |key: &Path| {
        format!(
            "pop_id: a\nrole: primary\nbackup_pop: {{id: b, url: \"http://127.0.0.1:1\"}}\nauth: {{token_file: {}}}\n",
            key.display()
        )
    };
    let missing = d.join("missing.key");
    expect_refusal(
        d,
        &with_yaml(d, &yaml(&missing)),
        &[&missing.display().to_string(), "cannot read"],
    );

    let open = d.join("open.key");
    std::fs::copy(&keys.replication_key, &open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    expect_refusal(
        d,
        &with_yaml(d, &yaml(&open)),
        &["chmod 600", &open.display().to_string()],
    );

    let bad = d.join("bad.key");
    std::fs::write(&bad, "not-a-key\n").unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, stderr) = serve_expecting_exit(d, &with_yaml(d, &yaml(&bad)));
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("64 hex digits") && !stderr.contains("not-a-key"),
        "{stderr}"
    );

    let a_dir = d.join("keydir");
    std::fs::create_dir(&a_dir).unwrap();
    expect_refusal(d, &with_yaml(d, &yaml(&a_dir)), &["not a regular file"]);

    // check-config says the same without starting.
    let cfg = d.join("check.yaml");
    std::fs::write(
        &cfg,
        format!(
            "data_dir: {}\n{}",
            d.join("data").display(),
            with_yaml(d, &yaml(&missing))
        ),
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["check-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.key"));
}

#[test]
fn sighup_with_a_bad_replication_yaml_keeps_the_old_one_and_alerts() {
    let keys = Keys::new();
    let pop = Pop::start(
        PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port()))),
        &keys,
        "",
    );
    std::fs::write(&pop.yaml_path, "pop_id: zurich-01\nrole: sideways\n").unwrap();
    let from = pop.server.log().len();
    pop.server.signal(1);
    assert!(wait_until(Duration::from_secs(5), || pop.server.log()
        [from..]
        .contains("reload failed")));
    let tail = pop.server.log()[from..].to_string();
    assert!(
        tail.contains(&pop.yaml_path.display().to_string()) && tail.contains("sideways"),
        "{tail}"
    );
    assert!(tail.contains("OPERATOR ALERT [config]"), "{tail}");
    assert_eq!(pop.role(), "backup", "the old configuration stays in force");
    // Changing pop_id needs a restart.
    let mut spec = pop.spec.clone();
    spec.id = "geneva-01".into();
    std::fs::write(&pop.yaml_path, spec.yaml(&keys)).unwrap();
    let from = pop.server.log().len();
    pop.server.signal(1);
    assert!(wait_until(Duration::from_secs(5), || pop.server.log()
        [from..]
        .contains("cannot change while it runs")));
}

#[test]
fn the_commercial_binary_contains_the_commercial_code() {
    // Positive control for tests/it/owner/community_edition.rs, which asserts these are absent.
    for marker in [
        "7edition10commercial",
        "Clavitor-HMAC",
        "X-Primary-Location",
        "X-Request-Queue",
    ] {
        assert!(file_contains(&bin(), marker), "{marker} not found");
    }
}
