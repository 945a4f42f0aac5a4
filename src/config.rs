//! `clavitor.yaml`: parsing, validation and built-in defaults (SPEC section 8).
//!
//! Every value is checked while it is deserialized, so a bad value is
//! reported by serde_yaml together with its key path, line and column, and
//! the message says what is allowed. Unknown keys are refused the same way.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use thiserror::Error;

pub use crate::vault::AuditSync;

/// Where the server looks when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/clavitor/clavitor.yaml";

/// A configuration file that could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The whole server configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(deserialize_with = "de_listen")]
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Worker threads calling `recv()`; 0 means one per core.
    #[serde(deserialize_with = "de_workers")]
    pub workers: usize,
    pub tls: Option<TlsConfig>,
    /// Defaults to `<data_dir>/token.key`.
    pub token_key_file: Option<PathBuf>,
    pub registration: Registration,
    #[serde(deserialize_with = "de_duration")]
    pub session_ttl: Duration,
    pub log: LogConfig,
    pub limits: Limits,
    pub agents: AgentLimits,
    /// Commercial edition only; the community edition warns and ignores it.
    /// Default (commercial): `/etc/clavitor/replication.yaml`.
    pub replication_config: Option<PathBuf>,
    /// Aggregate health reports: opt-in for the community edition, on by
    /// default for the commercial one (see `edition::telemetry`).
    pub telemetry: Option<Telemetry>,
    /// Commercial edition only: audit events appended as JSON lines to this
    /// file for a SIEM (reopened on SIGHUP, for log rotation).
    pub audit_stream: Option<PathBuf>,
    /// How the audit row of a credential read (or refusal) is committed
    /// before the answer goes out: `full` (fsync) or `normal` (survives a
    /// crash of clavitor, not a power loss). Applied on SIGHUP.
    pub audit_sync: AuditSync,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 1984)),
            data_dir: PathBuf::from("./clavitor-data"),
            workers: 0,
            tls: None,
            token_key_file: None,
            registration: Registration::Closed,
            session_ttl: Duration::from_secs(12 * 3600),
            log: LogConfig::default(),
            limits: Limits::default(),
            agents: AgentLimits::default(),
            replication_config: None,
            telemetry: None,
            audit_stream: None,
            audit_sync: AuditSync::Full,
        }
    }
}

/// In-process TLS (certificate and key in PEM).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Who may create vaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Only with the one-time setup token, and only while no vault exists.
    Closed,
    /// Anyone (hosted POPs, tests).
    Open,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    #[serde(deserialize_with = "de_level")]
    pub level: log::LevelFilter,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: log::LevelFilter::Info,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    #[serde(deserialize_with = "de_size")]
    pub max_body: u64,
    #[serde(deserialize_with = "de_size")]
    pub max_import_body: u64,
    #[serde(deserialize_with = "de_positive_secs")]
    pub idle_timeout_s: u64,
    /// Cap on the database file; 0 = none. Writes past it fail and change nothing.
    #[serde(deserialize_with = "de_size_or_zero")]
    pub max_db_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            max_import_body: 64 << 20,
            idle_timeout_s: 30,
            max_db_size: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentLimits {
    pub rate_limit_minute: u32,
    pub rate_limit_hour: u32,
    #[serde(deserialize_with = "de_duration")]
    pub lockdown_window: Duration,
    /// Entries one agent (with `can_write`) may create per sliding minute and
    /// hour, for every agent of this server. Exceeding it is a violation like
    /// a read over the limit: 429, and a second one within
    /// `lockdown_window` locks the agent.
    pub write_limit_minute: u32,
    pub write_limit_hour: u32,
}

/// The largest `write_limit_hour`: the check counts the agent's creates of
/// the last hour, so the limit also bounds what one check reads.
pub const MAX_WRITE_LIMIT_HOUR: u32 = 10_000;

impl Default for AgentLimits {
    fn default() -> Self {
        AgentLimits {
            rate_limit_minute: 3,
            rate_limit_hour: 10,
            lockdown_window: Duration::from_secs(2 * 3600),
            write_limit_minute: 10,
            write_limit_hour: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telemetry {
    /// `false` turns periodic reports off (the commercial default is on).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Base URL of the receiver (`http://` or `https://`); `TELEMETRY_HOST` overrides it.
    #[serde(default, deserialize_with = "de_opt_url")]
    pub host: Option<String>,
    /// A file holding the bearer token; `TELEMETRY_TOKEN` overrides it.
    pub token_file: Option<PathBuf>,
    #[serde(
        default = "default_telemetry_interval",
        deserialize_with = "de_duration"
    )]
    pub interval: Duration,
}

fn default_telemetry_interval() -> Duration {
    Duration::from_secs(300)
}

fn default_true() -> bool {
    true
}

fn de_opt_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    check_url(&s).map_err(de::Error::custom)?;
    Ok(Some(s.trim_end_matches('/').to_string()))
}

/// An `http://` or `https://` base URL with a host, without query or fragment.
pub fn check_url(s: &str) -> Result<(), String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(['?', '#', ' ']) => Ok(()),
        _ => Err(format!(
            "expected a URL like \"https://host:1984\" (http or https, no query), got {s:?}"
        )),
    }
}

impl Config {
    /// Loads the configuration the way `serve` and `check-config` do:
    /// an explicit path must exist; without one, the default path is used
    /// when present and built-in defaults otherwise.
    pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None if Path::new(DEFAULT_CONFIG_PATH).exists() => PathBuf::from(DEFAULT_CONFIG_PATH),
            None => return Ok((Config::default(), None)),
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let config = Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.clone(),
            message,
        })?;
        Ok((config, Some(path)))
    }

    /// Parses YAML text; the error is serde_yaml's, which names the key path, line and column.
    pub fn parse(text: &str) -> Result<Config, String> {
        let has_content = text.lines().any(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && t != "---"
        });
        if !has_content {
            return Ok(Config::default());
        }
        let config: Config = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// Cross-field checks that no single deserializer can make.
    fn check(&self) -> Result<(), String> {
        if self.limits.max_import_body < self.limits.max_body {
            return Err("limits.max_import_body must be at least limits.max_body".into());
        }
        if self.agents.rate_limit_minute == 0
            || self.agents.rate_limit_hour < self.agents.rate_limit_minute
        {
            return Err("agents: rate_limit_minute must be at least 1 and rate_limit_hour at least rate_limit_minute".into());
        }
        let a = &self.agents;
        if a.write_limit_minute == 0
            || a.write_limit_hour < a.write_limit_minute
            || a.write_limit_hour > MAX_WRITE_LIMIT_HOUR
        {
            return Err(format!(
                "agents: write_limit_minute must be at least 1 and write_limit_hour from write_limit_minute to {MAX_WRITE_LIMIT_HOUR} (got {} and {})",
                a.write_limit_minute, a.write_limit_hour
            ));
        }
        Ok(())
    }

    /// Where the token keyring lives.
    pub fn token_key_path(&self) -> PathBuf {
        self.token_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("token.key"))
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("clavitor.db")
    }

    /// Worker threads to run: `workers`, or one per core.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        }
    }

    /// Names of settings that differ from `other` but only take effect after a restart.
    pub fn needs_restart(&self, other: &Config) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if self.listen != other.listen {
            changed.push("listen");
        }
        if self.data_dir != other.data_dir {
            changed.push("data_dir");
        }
        if self.workers != other.workers {
            changed.push("workers");
        }
        if self.tls != other.tls {
            changed.push("tls");
        }
        changed
    }
}

fn de_listen<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        de::Error::custom(format!(
            "expected an address and port like \"127.0.0.1:1984\" or \"[::1]:1984\", got {s:?}"
        ))
    })
}

fn de_workers<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = u64::deserialize(d)?;
    if n > 256 {
        return Err(de::Error::custom(format!(
            "expected 0 (one per core) to 256 worker threads, got {n}"
        )));
    }
    Ok(n as usize)
}

fn de_positive_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if n == 0 || n > 86_400 {
        return Err(de::Error::custom(format!(
            "expected 1 to 86400 seconds, got {n}"
        )));
    }
    Ok(n)
}

fn de_level<'de, D: Deserializer<'de>>(d: D) -> Result<log::LevelFilter, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| {
        de::Error::custom(format!(
            "expected one of off, error, warn, info, debug, trace, got {s:?}"
        ))
    })
}

/// Accepts either a bare number of seconds or a humantime string ("12h", "300s", "2h 30m").
fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }
    let parsed = match Raw::deserialize(d)? {
        Raw::Secs(n) => Duration::from_secs(n),
        Raw::Text(s) => humantime::parse_duration(&s).map_err(|_| {
            de::Error::custom(format!(
                "expected a duration like \"300s\", \"12h\" or \"2h 30m\", got {s:?}"
            ))
        })?,
    };
    if parsed.is_zero() {
        return Err(de::Error::custom("expected a duration greater than zero"));
    }
    Ok(parsed)
}

/// A size as a bare number of bytes or with a unit: B, KiB, MiB, GiB (and
/// KB/MB/GB as powers of 1000); `expected` words the error for text that is neither.
fn size_value<'de, D: Deserializer<'de>>(d: D, expected: &str) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Bytes(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Bytes(n) => Ok(n),
        Raw::Text(s) => parse_size(&s)
            .ok_or_else(|| de::Error::custom(format!("expected {expected}, got {s:?}"))),
    }
}

/// A body limit: 1KiB to 4GiB.
fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = size_value(d, "a size like 1048576, \"512KiB\" or \"1MiB\"")?;
    if !(1024..=(4u64 << 30)).contains(&n) {
        return Err(de::Error::custom(format!(
            "expected a size from 1KiB to 4GiB, got {n} bytes"
        )));
    }
    Ok(n)
}

/// A cap where 0 means none; otherwise at least 64KiB.
fn de_size_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = size_value(d, "0 (no cap) or a size like \"512MiB\"")?;
    if n != 0 && n < 64 * 1024 {
        return Err(de::Error::custom(format!(
            "expected 0 (no cap) or at least 64KiB, got {n} bytes"
        )));
    }
    Ok(n)
}

/// Parses "64MiB", "1 GiB", "1500KB", "2048".
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    num.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_means_defaults() {
        assert_eq!(
            Config::parse("# nothing here\n\n").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn full_example_parses() {
        let c = Config::parse(
            "listen: \"0.0.0.0:8443\"\ndata_dir: /var/lib/clavitor\nworkers: 4\nregistration: open\nsession_ttl: 1h\n\
             log: {level: debug}\nlimits: {max_body: 2MiB, max_import_body: 64MiB, idle_timeout_s: 10}\n\
             agents: {rate_limit_minute: 5, rate_limit_hour: 20, lockdown_window: 30m}\n",
        )
        .unwrap();
        assert_eq!(c.workers, 4);
        assert_eq!(c.registration, Registration::Open);
        assert_eq!(c.session_ttl, Duration::from_secs(3600));
        assert_eq!(c.limits.max_body, 2 << 20);
        assert_eq!(c.log.level, log::LevelFilter::Debug);
        assert_eq!(c.agents.lockdown_window, Duration::from_secs(1800));
        assert_eq!(
            (c.agents.write_limit_minute, c.agents.write_limit_hour),
            (10, 60),
            "write limits default when the agents block omits them"
        );
        let c = Config::parse("agents: {write_limit_minute: 2, write_limit_hour: 7}\n").unwrap();
        assert_eq!(
            (c.agents.write_limit_minute, c.agents.write_limit_hour),
            (2, 7)
        );
        for bad in [
            "agents: {write_limit_minute: 0}\n",
            "agents: {write_limit_minute: 5, write_limit_hour: 4}\n",
            "agents: {write_limit_hour: 10001}\n",
        ] {
            let e = Config::parse(bad).unwrap_err();
            assert!(
                e.contains("write_limit_minute") && e.contains("10000"),
                "{bad}: {e}"
            );
        }
        assert_eq!(c.audit_sync, AuditSync::Full);
        let c = Config::parse("audit_sync: normal\n").unwrap();
        assert_eq!(c.audit_sync, AuditSync::Normal);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = Config::parse("listen: \"127.0.0.1:1\"\nlimitz: {}\n").unwrap_err();
        assert!(e.contains("limitz") && e.contains("line 2"), "{e}");
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        let e = Config::parse("registration: maybe\n").unwrap_err();
        assert!(
            e.contains("closed") && e.contains("open") && e.contains("line 1"),
            "{e}"
        );
        let e = Config::parse("audit_sync: sometimes\n").unwrap_err();
        assert!(
            e.contains("audit_sync") && e.contains("full") && e.contains("normal"),
            "{e}"
        );
        let e = Config::parse("limits:\n  max_body: lots\n").unwrap_err();
        assert!(e.contains("1MiB") && e.contains("line 2"), "{e}");
        let e = Config::parse("listen: nowhere\n").unwrap_err();
        assert!(e.contains("127.0.0.1:1984"), "{e}");
        let e = Config::parse("log: {level: loud}\n").unwrap_err();
        assert!(e.contains("debug"), "{e}");
    }

    #[test]
    fn shipped_example_documents_the_defaults() {
        let shipped = Config::parse(include_str!("../config/clavitor.yaml")).unwrap();
        let expected = Config {
            data_dir: PathBuf::from("/var/lib/clavitor"),
            token_key_file: Some(PathBuf::from("/var/lib/clavitor/token.key")),
            ..Config::default()
        };
        assert_eq!(shipped, expected);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_size("1 GiB"), Some(1 << 30));
        assert_eq!(parse_size("1500KB"), Some(1_500_000));
        assert_eq!(parse_size("12XB"), None);
    }
}
