//! The community edition: a single self-hosted server. Unknown routes get
//! an immediate 404, alerts go to stderr, telemetry only when opted in.

use std::time::{Duration, Instant};

use super::telemetry::{self, Telemetry};
use super::{Edition, Overrides, Services};
use crate::config::Config;
use crate::http::{Req, Takeover};
use crate::ids::VaultId;
use crate::vault::AuditRow;

/// Settings staged by [`Edition::stage`]: the telemetry's.
pub struct Staged(telemetry::Settings);

pub struct Community {
    telemetry: Telemetry,
}

impl Community {
    pub fn new() -> Community {
        Community {
            telemetry: Telemetry::new("community"),
        }
    }
}

impl Default for Community {
    fn default() -> Self {
        Self::new()
    }
}

impl Edition for Community {
    fn name(&self) -> &'static str {
        "community"
    }

    fn role(&self) -> &'static str {
        "standalone"
    }

    fn pop_id(&self) -> String {
        "local".into()
    }

    fn operator_alert_details(&self, kind: &str, message: &str, _details: serde_json::Value) {
        eprintln!("OPERATOR ALERT [{kind}]: {message}");
    }

    fn stage(&self, config: &Config, overrides: &Overrides) -> Result<Staged, String> {
        if let Some(path) = &config.replication_config {
            log::warn!(
                "replication_config ({}) is ignored: replication is part of the commercial edition",
                path.display()
            );
        }
        if let Some(path) = &config.audit_stream {
            log::warn!(
                "audit_stream ({}) is ignored: the SIEM audit stream is part of the commercial edition",
                path.display()
            );
        }
        let settings = telemetry::resolve(config, overrides, telemetry::Mode::OptIn, None)?;
        Ok(Staged(settings))
    }

    fn commit(&self, staged: Staged) {
        self.telemetry.set(staged.0);
    }

    fn start(&self, services: &Services) -> Result<(), String> {
        self.telemetry.start(services, None);
        Ok(())
    }

    fn begin_stop(&self) {
        self.telemetry.stop();
    }

    fn finish_stop(&self, grace: Duration) {
        self.telemetry.join_until(Instant::now() + grace);
    }

    fn not_found(&self, _req: &Req) -> Option<Takeover> {
        None
    }

    fn committed(&self, _audit: &[(VaultId, AuditRow)]) {}
}
