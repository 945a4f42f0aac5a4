//! A `clavitor serve` started with a given configuration and environment,
//! and the waiting and binary checks its tests need.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;

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

/// A server started with extra arguments and environment variables
/// (`TELEMETRY_*`, `--telemetry-host`), killed on drop.
pub struct Proc {
    pub child: std::process::Child,
    pub url: String,
    pub log_path: PathBuf,
    // Only the community edition's test reloads a Proc.
    #[cfg_attr(feature = "commercial", allow(dead_code))]
    pub config_path: PathBuf,
    /// Holds the configuration and data (removed when dropped).
    _dir: tempfile::TempDir,
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
            _dir: dir,
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
}

impl Proc {
    #[cfg_attr(feature = "commercial", allow(dead_code))]
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
