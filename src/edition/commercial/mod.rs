//! The commercial edition (hosted POPs): replication to a backup POP, the
//! backup role, failover by SIGHUP, the tarpit, alerts over HTTP,
//! telemetry on by default, the SIEM audit stream and the control-plane
//! heartbeat. Compiled only with `--features commercial`.
//!
//! Map: `settings` (replication.yaml), `tls` (client side of mTLS), `auth`
//! (HMAC of apply requests), `wire` (apply body), `rows` (replication SQL),
//! `worker` (the replication thread), `apply` (the backup's route and the
//! write refusal), `tarpit`, `alerts`, `audit_stream`, `heartbeat`.

mod alerts;
mod apply;
mod audit_stream;
pub mod auth;
mod heartbeat;
pub mod rows;
pub mod settings;
pub mod tarpit;
mod tls;
pub mod wire;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};
use serde_json::{json, Value};

use super::periodic::Periodic;
use super::telemetry::{self, Telemetry};
use super::{Edition, EditionRoute, Overrides, Refusal, Services};
use crate::config::Config;
use crate::error_code::Code;
use crate::http::{Reply, Req, Takeover};
use crate::ids::VaultId;
use crate::vault::{AuditRow, Store};
use settings::{Role, Settings};

/// A telemetry receiver baked in at build time (`CLAVITOR_TELEMETRY_HOST`), if any.
const BUILT_IN_TELEMETRY_HOST: Option<&str> = option_env!("CLAVITOR_TELEMETRY_HOST");

/// State the background threads share with the edition.
pub struct Shared {
    settings: RwLock<Option<Arc<Settings>>>,
    /// The POP's token keyring (unlock material at rest is sealed with it).
    keyring: RwLock<Option<Arc<crate::crypto::Keyring>>>,
    telemetry: Telemetry,
    alerts: alerts::Alerts,
    status: worker::Status,
}

impl Shared {
    /// The replication settings in force (`None` before the first commit).
    pub fn settings(&self) -> Option<Arc<Settings>> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The token keyring in force (`None` before `serve` handed it over).
    pub fn keyring(&self) -> Option<Arc<crate::crypto::Keyring>> {
        self.keyring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn alert(&self, kind: &str, message: &str, details: Value) {
        self.alerts
            .raise(kind, message, details, &self.telemetry.settings());
    }
}

/// Settings staged by [`Edition::stage`], put in force by [`Edition::commit`].
pub struct Staged {
    replication: Settings,
    telemetry: telemetry::Settings,
    stream: Option<audit_stream::Opened>,
}

/// The commercial edition.
pub struct Commercial {
    shared: Arc<Shared>,
    pop_id: OnceLock<String>,
    stream: audit_stream::AuditStream,
    tarpit: tarpit::Tarpit,
    nonces: auth::NonceCache,
    wake: (Sender<()>, Receiver<()>),
    ctl: (Sender<worker::Ctl>, Receiver<worker::Ctl>),
    worker: Mutex<Option<JoinHandle<()>>>,
    heartbeat: Periodic,
}

impl Commercial {
    pub fn new() -> Commercial {
        Commercial {
            shared: Arc::new(Shared {
                settings: RwLock::new(None),
                keyring: RwLock::new(None),
                telemetry: Telemetry::new("commercial"),
                alerts: alerts::Alerts::default(),
                status: worker::Status::default(),
            }),
            pop_id: OnceLock::new(),
            stream: audit_stream::AuditStream::default(),
            tarpit: tarpit::Tarpit::default(),
            nonces: auth::NonceCache::default(),
            // bounded(1): one pending wake-up stands for any number of writes.
            wake: bounded(1),
            ctl: bounded(8),
            worker: Mutex::new(None),
            heartbeat: Periodic::new("heartbeat"),
        }
    }

    fn started(&self) -> bool {
        self.worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn start_worker(&self, db_path: &std::path::Path) -> Result<(), String> {
        let store = Store::open(db_path).map_err(|e| format!("{}: {e}", db_path.display()))?;
        let w = worker::Worker::new(
            self.shared.clone(),
            store,
            self.wake.1.clone(),
            self.ctl.1.clone(),
        );
        let handle = std::thread::Builder::new()
            .name("replication".into())
            .spawn(move || w.run())
            .map_err(|e| format!("starting the replication thread: {e}"))?;
        *self.worker.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        Ok(())
    }

    fn start_heartbeat(&self) {
        self.heartbeat.ensure(Arc::new(heartbeat::Heartbeat {
            shared: self.shared.clone(),
            agent: telemetry::http_agent(),
        }));
    }

    /// Figures added to each telemetry report: states and counts only.
    fn report_extra(&self, db_path: PathBuf) -> telemetry::Extra {
        let shared = self.shared.clone();
        let held = self.tarpit.counter();
        Box::new(move || {
            let s = shared.settings();
            let backlog = Store::open(&db_path)
                .ok()
                .and_then(|st| rows::backlog(st.raw()).ok());
            json!({
                "pop_id": s.as_ref().map(|s| s.pop_id.clone()),
                "role": s.as_ref().map(|s| s.role.as_str()),
                "replication": {
                    "backlog": backlog,
                    "consecutive_failures": shared.status.consecutive_failures.load(Ordering::Relaxed),
                    "last_success": shared.status.last_success.load(Ordering::Relaxed),
                    "batches_sent": shared.status.batches_sent.load(Ordering::Relaxed),
                },
                "tarpit": {"held": held.load(Ordering::Relaxed)},
            })
        })
    }
}

/// "primary POP calgary-01, replicating to zurich-01" (the seed's start-up line).
fn describe(s: &Settings) -> String {
    match (s.role, &s.backup, &s.primary) {
        (Role::Primary, Some(b), _) => format!("primary POP {}, replicating to {}", s.pop_id, b.id),
        (Role::Primary, None, _) => format!("primary POP {}", s.pop_id),
        (Role::Backup, _, Some(p)) => format!(
            "backup POP {}, accepting replication from primary {}",
            s.pop_id, p.id
        ),
        (Role::Backup, _, None) => format!(
            "backup POP {}, accepting replication from a primary holding the replication key",
            s.pop_id
        ),
    }
}

impl Default for Commercial {
    fn default() -> Self {
        Self::new()
    }
}

impl Edition for Commercial {
    fn name(&self) -> &'static str {
        "commercial"
    }

    fn role(&self) -> &'static str {
        self.shared
            .settings()
            .map(|s| s.role.as_str())
            .unwrap_or("primary")
    }

    fn pop_id(&self) -> String {
        self.pop_id.get().cloned().unwrap_or_else(|| "local".into())
    }

    fn operator_alert_details(&self, kind: &str, message: &str, details: Value) {
        self.shared.alert(kind, message, details);
    }

    fn stage(&self, config: &Config, overrides: &Overrides) -> Result<Staged, String> {
        let path = config
            .replication_config
            .clone()
            .unwrap_or_else(|| PathBuf::from(settings::DEFAULT_PATH));
        let replication = settings::load(&path)?;
        if let Some(running) = self.pop_id.get() {
            if *running != replication.pop_id {
                return Err(format!(
                    "{}: pop_id changed from {running} to {}; a POP's id cannot change while it runs (restart)",
                    path.display(),
                    replication.pop_id
                ));
            }
        }
        let mode = telemetry::Mode::OnByDefault {
            built_in_host: BUILT_IN_TELEMETRY_HOST,
        };
        let telemetry = telemetry::resolve(config, overrides, mode, replication.region.as_deref())?;
        let stream = match &config.audit_stream {
            Some(p) => Some(audit_stream::open(p)?),
            None => None,
        };
        Ok(Staged {
            replication,
            telemetry,
            stream,
        })
    }

    fn commit(&self, staged: Staged) {
        let Staged {
            replication,
            telemetry,
            stream,
        } = staged;
        let _ = self.pop_id.set(replication.pop_id.clone());
        let old = self.shared.settings();
        if let Some(old) = &old {
            if old.role != replication.role
                || old.backup != replication.backup
                || old.primary != replication.primary
            {
                log::info!(
                    "replication: role {} -> {}; now {}",
                    old.role.as_str(),
                    replication.role.as_str(),
                    describe(&replication)
                );
            }
        } else {
            log::info!("Commercial edition: {}", describe(&replication));
        }
        *self
            .shared
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(replication));
        self.shared.telemetry.set(telemetry);
        self.stream.set(stream);
        if self.started() {
            let _ = self.ctl.0.try_send(worker::Ctl::Reload);
            self.start_heartbeat();
        }
    }

    fn start(&self, services: &Services) -> Result<(), String> {
        self.start_worker(&services.db_path)?;
        let extra = self.report_extra(services.db_path.clone());
        self.shared.telemetry.start(services, Some(extra));
        self.start_heartbeat();
        Ok(())
    }

    fn begin_stop(&self) {
        self.tarpit.begin_stop();
        let _ = self.ctl.0.try_send(worker::Ctl::Stop);
        self.shared.telemetry.stop();
        self.heartbeat.stop();
    }

    fn finish_stop(&self, grace: Duration) {
        let deadline = Instant::now() + grace;
        self.tarpit.wait_idle(deadline);
        if let Some(h) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if !h.is_finished() {
                log::warn!(
                    "replication: batch in flight abandoned at shutdown; its rows stay dirty"
                );
            }
        }
        self.shared.telemetry.join_until(deadline);
        self.heartbeat.join_until(deadline);
        self.shared.alerts.flush_until(deadline);
    }

    fn use_keyring(&self, keyring: Arc<crate::crypto::Keyring>) {
        *self
            .shared
            .keyring
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(keyring);
    }

    fn routes(&self) -> &'static [EditionRoute] {
        apply::ROUTES
    }

    fn serve(&self, route: usize, req: &Req, store: &mut Store) -> Result<Reply, Refusal> {
        let (Some(s), Some(ring)) = (self.shared.settings(), self.shared.keyring()) else {
            return Err(Refusal::new(Code::NoSuchRoute, "no such route"));
        };
        match route {
            apply::APPLY => apply::apply(req, store, &s, &ring, &self.nonces),
            _ => Err(Refusal::new(Code::NoSuchRoute, "no such route")),
        }
    }

    fn refuse_write(&self) -> Option<Refusal> {
        let s = self.shared.settings()?;
        (s.role == Role::Backup).then(|| apply::refuse_write(&s))
    }

    fn not_found(&self, req: &Req) -> Option<Takeover> {
        self.tarpit.take(req)
    }

    fn refuse_agent(&self) -> Option<Refusal> {
        let s = self.shared.settings()?;
        (s.role == Role::Backup).then(|| apply::refuse_agent(&s))
    }

    fn committed(&self, audit: &[(VaultId, AuditRow)]) {
        if self
            .shared
            .settings()
            .is_some_and(|s| s.role == Role::Primary)
        {
            // Never blocks: a full channel already holds a pending wake-up.
            let _ = self.wake.0.try_send(());
        }
        self.stream.write(audit);
    }
}
