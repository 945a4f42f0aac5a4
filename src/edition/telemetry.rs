//! Telemetry: a periodic POST of aggregate health to `{host}/v1/telemetry`.
//!
//! Opt-in for the community edition (`telemetry:` in the config, or
//! `clavitor serve --telemetry-host URL`); on by default for the commercial
//! edition. The environment overrides the configuration: `TELEMETRY_HOST`,
//! `TELEMETRY_TOKEN`, `TELEMETRY_FREQ` (seconds or "5m"), `POP_REGION`.
//!
//! Invariant: a report holds counts and states only — never vault content,
//! ids, titles, keys or IP addresses.

use std::path::Path;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::periodic::{Job, Periodic};
use super::{hostname, Overrides, Services};
use crate::config::{check_url, Config};
use crate::vault::Store;

/// Shortest accepted interval (tests use 1 s; production uses minutes).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Timeout of one POST.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// A bearer token that never prints.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: &str) -> Secret {
        Secret(Zeroizing::new(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Telemetry settings after the environment and command line are applied.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Where reports and (commercial) alerts go; `None`: nowhere.
    pub host: Option<String>,
    pub token: Option<Secret>,
    pub interval: Duration,
    pub region: Option<String>,
    /// Periodic reports wanted (they are sent only if `host` is set too).
    pub reports: bool,
}

impl Settings {
    /// The report interval while reports are on.
    pub fn report_interval(&self) -> Option<Duration> {
        (self.reports && self.host.is_some()).then_some(self.interval)
    }
}

/// Whether telemetry is on unless configured otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Community: only when a host is given somewhere.
    OptIn,
    /// Commercial: on; the host may be built in.
    OnByDefault { built_in_host: Option<&'static str> },
}

/// Resolves telemetry settings from the config, `overrides` and the environment.
/// `region` is the fallback for `POP_REGION` (the commercial replication.yaml).
pub fn resolve(
    config: &Config,
    overrides: &Overrides,
    mode: Mode,
    region: Option<&str>,
) -> Result<Settings, String> {
    resolve_with(config, overrides, mode, region, &|k| std::env::var(k).ok())
}

fn resolve_with(
    config: &Config,
    overrides: &Overrides,
    mode: Mode,
    region: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, String> {
    let section = config.telemetry.as_ref();
    let env_host = env("TELEMETRY_HOST").filter(|h| !h.is_empty());
    if let Some(h) = &env_host {
        check_url(h).map_err(|e| format!("TELEMETRY_HOST: {e}"))?;
    }
    if let Some(h) = &overrides.telemetry_host {
        check_url(h).map_err(|e| format!("--telemetry-host: {e}"))?;
    }
    let built_in = match mode {
        Mode::OnByDefault { built_in_host } => built_in_host.map(str::to_string),
        Mode::OptIn => None,
    };
    let host = overrides
        .telemetry_host
        .clone()
        .or(env_host)
        .or_else(|| section.and_then(|t| t.host.clone()))
        .or(built_in)
        .map(|h| h.trim_end_matches('/').to_string());
    let asked = overrides.telemetry_host.is_some() || env("TELEMETRY_HOST").is_some();
    // An explicit `enabled: false` wins; the environment only overrides values.
    let reports = match (mode, section) {
        (_, Some(t)) if !t.enabled => false,
        (Mode::OptIn, Some(_)) => true,
        (Mode::OptIn, None) => asked,
        (Mode::OnByDefault { .. }, _) => true,
    };
    if reports && host.is_none() {
        match mode {
            Mode::OptIn => {
                return Err(
                    "telemetry: no host; set telemetry.host, TELEMETRY_HOST or --telemetry-host"
                        .into(),
                )
            }
            Mode::OnByDefault { .. } => log::warn!(
                "telemetry is on by default in this edition but no host is set \
                 (telemetry.host, TELEMETRY_HOST or --telemetry-host); no reports are sent"
            ),
        }
    }
    Ok(Settings {
        host,
        token: token(section.and_then(|t| t.token_file.as_deref()), env)?,
        interval: interval(section.map(|t| t.interval), env)?,
        region: env("POP_REGION")
            .filter(|r| !r.is_empty())
            .or_else(|| region.map(str::to_string)),
        reports,
    })
}

fn token(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret>, String> {
    if let Some(t) = env("TELEMETRY_TOKEN").filter(|t| !t.is_empty()) {
        return Ok(Some(Secret(Zeroizing::new(t))));
    }
    let Some(path) = file else { return Ok(None) };
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("telemetry.token_file {}: cannot read: {e}", path.display()))?,
    );
    let t = text.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return Err(format!(
            "telemetry.token_file {}: expected one token on one line",
            path.display()
        ));
    }
    Ok(Some(Secret(Zeroizing::new(t.to_string()))))
}

fn interval(
    configured: Option<Duration>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Duration, String> {
    let every = match env("TELEMETRY_FREQ").filter(|f| !f.is_empty()) {
        Some(f) => match f.parse::<u64>() {
            Ok(n) => Duration::from_secs(n),
            Err(_) => humantime::parse_duration(&f).map_err(|_| {
                format!("TELEMETRY_FREQ: expected seconds or a duration like \"5m\", got {f:?}")
            })?,
        },
        None => configured.unwrap_or(Duration::from_secs(300)),
    };
    if every < MIN_INTERVAL {
        return Err(format!(
            "telemetry interval: expected at least 1 s, got {} ms",
            every.as_millis()
        ));
    }
    Ok(every)
}

/// An HTTP client for operator endpoints (telemetry, alerts, heartbeat).
pub fn http_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(POST_TIMEOUT))
        .max_redirects(0)
        .user_agent(concat!("clavitor/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// POSTs `body` as JSON; `Ok(status)` when the server answered. Errors never contain the token.
pub fn post_json(
    agent: &ureq::Agent,
    url: &str,
    token: Option<&Secret>,
    body: &Value,
) -> Result<u16, String> {
    let mut req = agent.post(url).header("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {}", t.expose()));
    }
    let bytes = serde_json::to_vec(body).expect("JSON values always serialize");
    req.send(&bytes[..])
        .map(|resp| resp.status().as_u16())
        .map_err(|e| e.to_string())
}

/// Edition-specific figures added to each report.
pub type Extra = Box<dyn Fn() -> Value + Send + Sync>;

struct Shared {
    settings: RwLock<Arc<Settings>>,
    services: OnceLock<Services>,
    agent: OnceLock<ureq::Agent>,
    edition: &'static str,
    started: Instant,
    extra: OnceLock<Extra>,
}

/// Telemetry reports: settings in force and the reporting thread.
pub struct Telemetry {
    shared: Arc<Shared>,
    periodic: Periodic,
}

impl Telemetry {
    pub fn new(edition: &'static str) -> Telemetry {
        Telemetry {
            shared: Arc::new(Shared {
                settings: RwLock::new(Arc::new(Settings::default())),
                services: OnceLock::new(),
                agent: OnceLock::new(),
                edition,
                started: Instant::now(),
                extra: OnceLock::new(),
            }),
            periodic: Periodic::new("telemetry"),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> Arc<Settings> {
        self.shared
            .settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Puts new settings in force; a running reporter picks them up at once.
    pub fn set(&self, settings: Settings) {
        *self
            .shared
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Arc::new(settings);
        if self.shared.services.get().is_some() {
            self.periodic.ensure(self.shared.clone());
        }
    }

    /// Starts reporting (if on). `extra` adds edition figures to each report.
    pub fn start(&self, services: &Services, extra: Option<Extra>) {
        let _ = self.shared.services.set(services.clone());
        if let Some(e) = extra {
            let _ = self.shared.extra.set(e);
        }
        self.periodic.ensure(self.shared.clone());
    }

    pub fn stop(&self) {
        self.periodic.stop();
    }

    pub fn join_until(&self, deadline: Instant) {
        self.periodic.join_until(deadline);
    }

    /// The shared HTTP client.
    pub fn agent(&self) -> &ureq::Agent {
        self.shared.agent.get_or_init(http_agent)
    }
}

impl Job for Shared {
    fn interval(&self) -> Option<Duration> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .report_interval()
    }

    fn tick(&self) {
        let settings = self
            .settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(host) = settings.host.as_deref() else {
            return;
        };
        let report = self.report(&settings);
        let agent = self.agent.get_or_init(http_agent);
        match post_json(
            agent,
            &format!("{host}/v1/telemetry"),
            settings.token.as_ref(),
            &report,
        ) {
            Ok(s) if (200..300).contains(&s) => log::debug!("telemetry sent"),
            Ok(s) => log::warn!("telemetry: {host} answered {s}"),
            Err(e) => log::warn!("telemetry: cannot reach {host}: {e}"),
        }
    }
}

impl Shared {
    fn report(&self, settings: &Settings) -> Value {
        let mut report = json!({
            "edition": self.edition,
            "version": env!("CARGO_PKG_VERSION"),
            "hostname": hostname(),
            "pop_region": settings.region,
            "uptime_s": self.started.elapsed().as_secs(),
            "timestamp": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        });
        if let Some(services) = self.services.get() {
            report["store"] = store_counts(&services.db_path);
        }
        if let (Some(extra), Value::Object(map)) = (self.extra.get(), &mut report) {
            if let Value::Object(more) = extra() {
                map.extend(more);
            }
        }
        report
    }
}

/// Row counts only (how much the POP holds), or an error note.
fn store_counts(db: &Path) -> Value {
    let counts = Store::open(db).and_then(|s| {
        let vaults = s.db().vault_count()?;
        let entries: i64 = s.raw().query_row(
            "SELECT COUNT(*) FROM entries WHERE deleted = 0 AND type NOT IN ('agent', 'scope')",
            [],
            |r| r.get(0),
        )?;
        Ok((vaults, entries))
    });
    match counts {
        Ok((vaults, entries)) => json!({"ok": true, "vaults": vaults, "entries": entries}),
        Err(e) => {
            log::warn!("telemetry: reading counts: {e}");
            json!({"ok": false})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn community_is_off_unless_asked() {
        let c = Config::default();
        let s = resolve_with(&c, &Overrides::default(), Mode::OptIn, None, &env_of(&[])).unwrap();
        assert_eq!(s.report_interval(), None);
        let o = Overrides {
            telemetry_host: Some("http://127.0.0.1:9".into()),
        };
        let s = resolve_with(&c, &o, Mode::OptIn, None, &env_of(&[])).unwrap();
        assert_eq!(s.report_interval(), Some(Duration::from_secs(300)));
    }

    #[test]
    fn environment_overrides_the_config() {
        let c = Config::parse("telemetry: {host: \"http://a.example\", interval: 600s}\n").unwrap();
        let env = env_of(&[
            ("TELEMETRY_HOST", "http://b.example/"),
            ("TELEMETRY_TOKEN", "t0k"),
            ("TELEMETRY_FREQ", "2"),
            ("POP_REGION", "eu"),
        ]);
        let s = resolve_with(&c, &Overrides::default(), Mode::OptIn, Some("na"), &env).unwrap();
        assert_eq!(s.host.as_deref(), Some("http://b.example"));
        assert_eq!(s.token.unwrap().expose(), "t0k");
        assert_eq!(s.interval, Duration::from_secs(2));
        assert_eq!(s.region.as_deref(), Some("eu"));
    }

    #[test]
    fn commercial_is_on_and_can_be_turned_off() {
        let on = Mode::OnByDefault {
            built_in_host: Some("https://t.example"),
        };
        let s = resolve_with(
            &Config::default(),
            &Overrides::default(),
            on,
            None,
            &env_of(&[]),
        )
        .unwrap();
        assert!(s.report_interval().is_some());
        let c = Config::parse("telemetry: {enabled: false}\n").unwrap();
        let s = resolve_with(&c, &Overrides::default(), on, None, &env_of(&[])).unwrap();
        assert_eq!(s.report_interval(), None);
        assert_eq!(
            s.host.as_deref(),
            Some("https://t.example"),
            "alerts still have a host"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let e = resolve_with(
            &Config::default(),
            &Overrides::default(),
            Mode::OptIn,
            None,
            &env_of(&[("TELEMETRY_FREQ", "often"), ("TELEMETRY_HOST", "http://x")]),
        )
        .unwrap_err();
        assert!(e.contains("TELEMETRY_FREQ"), "{e}");
        let e = resolve_with(
            &Config::default(),
            &Overrides::default(),
            Mode::OptIn,
            None,
            &env_of(&[("TELEMETRY_HOST", "ftp://x")]),
        )
        .unwrap_err();
        assert!(e.contains("TELEMETRY_HOST"), "{e}");
    }
}
