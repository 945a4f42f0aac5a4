//! Control-plane heartbeat (optional): every `heartbeat_interval` seconds,
//! `POST {control_plane.url}/v1/heartbeat` with this POP's id, region, role
//! and replication state. Periodic by nature; the thread exists only while
//! `control_plane` is configured.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::Shared;
use crate::edition::periodic::Job;
use crate::edition::telemetry;

/// The heartbeat job.
pub struct Heartbeat {
    pub shared: Arc<Shared>,
    pub agent: ureq::Agent,
}

impl Job for Heartbeat {
    fn interval(&self) -> Option<Duration> {
        self.shared
            .settings()?
            .control_plane
            .as_ref()
            .map(|c| c.interval)
    }

    fn tick(&self) {
        let Some(s) = self.shared.settings() else {
            return;
        };
        let Some(cp) = s.control_plane.as_ref() else {
            return;
        };
        let status = &self.shared.status;
        let body = json!({
            "pop_id": s.pop_id,
            "region": s.region,
            "role": s.role.as_str(),
            "edition": "commercial",
            "version": env!("CARGO_PKG_VERSION"),
            "replication": {
                "consecutive_failures": status.consecutive_failures.load(Ordering::Relaxed),
                "last_success": status.last_success.load(Ordering::Relaxed),
            },
            "timestamp": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        });
        let url = format!("{}/v1/heartbeat", cp.url);
        match telemetry::post_json(&self.agent, &url, Some(&cp.token), &body) {
            Ok(st) if (200..300).contains(&st) => log::debug!("heartbeat sent"),
            Ok(st) => log::warn!("heartbeat: {url} answered {st}"),
            Err(e) => log::warn!("heartbeat: cannot reach {url}: {e}"),
        }
    }
}
