//! Editions. One trait, chosen at compile time; this module is the only
//! place that looks at the `commercial` feature.
//! Invariant: no `cfg(feature = "commercial")` outside `src/edition/`.
//!
//! * `community.rs` — the default build: immediate 404s, alerts on stderr,
//!   telemetry only when the operator opts in.
//! * `telemetry.rs` — periodic aggregate-health reports, shared by both
//!   editions (opt-in for community, on by default for commercial).
//! * `commercial/` — replication, backup role, tarpit, alerts over HTTP,
//!   SIEM audit stream, control-plane heartbeat. Compiled only with
//!   `--features commercial`, so the community binary contains none of it.

#[cfg(not(feature = "commercial"))]
mod community;
#[cfg(feature = "commercial")]
pub use commercial::Staged;
#[cfg(not(feature = "commercial"))]
pub use community::Staged;
pub mod periodic;
pub mod telemetry;

#[cfg(feature = "commercial")]
pub mod commercial;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Config;
use crate::error_code::Code;
use crate::http::{Method, Reply, Req, Takeover};
use crate::ids::VaultId;
use crate::vault::{AuditRow, Store, StoreError};

/// Settings given on the command line that override the configuration.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `clavitor serve --telemetry-host URL` (opts the community edition in).
    pub telemetry_host: Option<String>,
}

// `Staged` (above, chosen with the edition): edition settings that were
// loaded and validated by [`Edition::stage`] and are waiting to be put in
// force by [`Edition::commit`] — only once the rest of a reload is valid
// too, so a reload is all or nothing.

/// A route only this edition serves (the commercial replication apply).
/// The API's route table adds it with inter-POP access: the edition
/// authenticates it itself (a signature over the body, which may be as
/// large as an import), and [`Edition::serve`] answers it.
#[derive(Debug, Clone, Copy)]
pub struct EditionRoute {
    pub method: Method,
    /// An OpenAPI path such as `/api/v1/replication/apply`.
    pub pattern: &'static str,
}

/// Why the edition refuses a request. The API turns it into its error
/// answer (the usual JSON shape), so the edition needs nothing of the API.
#[derive(Debug)]
pub enum Refusal {
    /// An answer with this `CV-` code (which fixes the status), message
    /// and extra headers.
    Status {
        code: Code,
        message: String,
        headers: Vec<(&'static str, String)>,
    },
    /// A request body that is not the JSON expected.
    BadJson(serde_json::Error),
    /// The store failed (mapped like any store error).
    Store(StoreError),
}

impl Refusal {
    pub fn new(code: Code, message: impl Into<String>) -> Refusal {
        Refusal::Status {
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header to a [`Refusal::Status`].
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Refusal {
        if let Refusal::Status { headers, .. } = &mut self {
            headers.push((name, value.into()));
        }
        self
    }
}

/// What background services need from the server.
#[derive(Debug, Clone)]
pub struct Services {
    /// The database file (services open their own connection).
    pub db_path: PathBuf,
}

/// What differs between the community and commercial builds.
pub trait Edition: Sync + Send {
    /// "community" or "commercial" (reported by `/healthz`).
    fn name(&self) -> &'static str;
    /// Replication role for `/healthz`: "standalone", "primary" or "backup".
    fn role(&self) -> &'static str;
    /// This POP's id in audit chains and entry rows ("local" without replication).
    fn pop_id(&self) -> String;
    /// Reports a condition an operator must act on.
    fn operator_alert(&self, kind: &str, message: &str) {
        self.operator_alert_details(kind, message, serde_json::Value::Null);
    }
    /// [`Edition::operator_alert`] with structured details (ids and figures, never secrets).
    fn operator_alert_details(&self, kind: &str, message: &str, details: serde_json::Value);
    /// Loads and validates everything edition-specific that `config` points
    /// to (warnings are logged here). Errors name the file and the problem.
    fn stage(&self, config: &Config, overrides: &Overrides) -> Result<Staged, String>;
    /// Puts staged settings in force (start-up and SIGHUP).
    fn commit(&self, staged: Staged);
    /// Edition-specific checks of a configuration, for `check-config`.
    fn check_config(&self, config: &Config) -> Result<(), String> {
        self.stage(config, &Overrides::default()).map(|_| ())
    }
    /// Starts background services (after the first commit).
    fn start(&self, services: &Services) -> Result<(), String>;
    /// SIGTERM: tell background work to stop (tarpit threads, replication).
    fn begin_stop(&self);
    /// Waits at most `grace` for background work to end; work still running is abandoned.
    fn finish_stop(&self, grace: Duration);
    /// Routes only this edition serves; the router matches them like its own.
    fn routes(&self) -> &'static [EditionRoute] {
        &[]
    }
    /// Answers the request the router matched to `self.routes()[route]`.
    fn serve(&self, route: usize, req: &Req, store: &mut Store) -> Result<Reply, Refusal> {
        let _ = (route, req, store);
        Err(Refusal::new(Code::NoSuchRoute, "no such route"))
    }
    /// Asked by the router for a route the table marks as writing, before
    /// anything else: `Some` refuses it (a read-only backup).
    fn refuse_write(&self) -> Option<Refusal> {
        None
    }
    /// The router found no route (or a bad method): `Some` takes the
    /// connection over instead of answering `reply` (the tarpit).
    fn not_found(&self, req: &Req) -> Option<Takeover>;
    /// After each committed write, with the audit rows it appended. Must not
    /// block (it runs on request threads).
    fn committed(&self, audit: &[(VaultId, AuditRow)]);
    /// Asked once a bearer token has opened as an agent's, before anything
    /// is read or written for it: `Some` refuses the request with that error
    /// (a commercial backup: agents are served by the primary only).
    fn refuse_agent(&self) -> Option<Refusal> {
        None
    }

    /// The token keyring in force, given at start-up and after each reload
    /// that swapped it. Replication needs it: unlock material is sealed at
    /// rest with a keyring key and re-sealed per POP (`crypto::rest`).
    fn use_keyring(&self, _keyring: std::sync::Arc<crate::crypto::Keyring>) {}
}

/// The edition this binary was built as.
#[cfg(not(feature = "commercial"))]
pub fn current() -> &'static dyn Edition {
    static EDITION: std::sync::OnceLock<community::Community> = std::sync::OnceLock::new();
    EDITION.get_or_init(community::Community::new)
}

/// The edition this binary was built as.
#[cfg(feature = "commercial")]
pub fn current() -> &'static dyn Edition {
    static EDITION: std::sync::OnceLock<commercial::Commercial> = std::sync::OnceLock::new();
    EDITION.get_or_init(commercial::Commercial::new)
}

/// The host name, for alerts and telemetry ("unknown" if it cannot be read).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    /// The edition's interface names nothing of the API (`Refusal`,
    /// `EditionRoute` instead of `ApiError` and paths): `api` imports
    /// `edition`, never the other way round.
    #[test]
    fn the_edition_does_not_import_the_api() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Spelled in two pieces so this file can be scanned too.
                    if text.contains(concat!("crate::", "api")) {
                        found.push(path.display().to_string());
                    }
                }
            }
        }
        let mut found = Vec::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/edition");
        walk(&dir, &mut found);
        assert!(found.is_empty(), "edition files importing api: {found:?}");
    }
}
