//! Operator alerts: a line on stderr (`OPERATOR ALERT [type]: message`)
//! and a POST to `{telemetry host}/v1/alerts` with
//! `{"edition","type","message","details","hostname","pop_region","timestamp"}`.
//!
//! The POST is made by an `alerts` thread that blocks on a bounded queue
//! (zero wake-ups while there is nothing to say), so raising an alert never
//! waits for the network. A full queue drops the POST, never the stderr line.

use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};
use serde_json::{json, Value};

use crate::edition::hostname;
use crate::edition::telemetry::{self, Secret, Settings};

/// Alerts waiting to be posted.
const QUEUE: usize = 64;

struct Outgoing {
    url: String,
    token: Option<Secret>,
    payload: Value,
}

/// The alert queue and its thread.
pub struct Alerts {
    tx: Sender<Outgoing>,
    rx: Receiver<Outgoing>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Default for Alerts {
    fn default() -> Self {
        let (tx, rx) = bounded(QUEUE);
        Alerts {
            tx,
            rx,
            thread: Mutex::new(None),
        }
    }
}

/// The alert body.
pub fn payload(kind: &str, message: &str, details: Value, region: Option<&str>) -> Value {
    json!({
        "edition": "commercial",
        "type": kind,
        "message": message,
        "details": details,
        "hostname": hostname(),
        "pop_region": region,
        "timestamp": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    })
}

impl Alerts {
    /// Prints the alert and queues its POST (when a telemetry host is known).
    pub fn raise(&self, kind: &str, message: &str, details: Value, settings: &Settings) {
        eprintln!("OPERATOR ALERT [{kind}]: {message}");
        let Some(host) = settings.host.as_deref() else {
            return;
        };
        self.ensure_thread();
        let out = Outgoing {
            url: format!("{host}/v1/alerts"),
            token: settings.token.clone(),
            payload: payload(kind, message, details, settings.region.as_deref()),
        };
        if self.tx.try_send(out).is_err() {
            log::warn!("alert queue full; the alert above was not posted");
        }
    }

    fn ensure_thread(&self) {
        let mut slot = self.thread.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return;
        }
        let rx = self.rx.clone();
        match std::thread::Builder::new()
            .name("alerts".into())
            .spawn(move || post_all(&rx))
        {
            Ok(h) => *slot = Some(h),
            Err(e) => log::error!("alerts: cannot start its thread: {e}"),
        }
    }

    /// Gives queued alerts until `deadline` to go out.
    pub fn flush_until(&self, deadline: Instant) {
        while !self.rx.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn post_all(rx: &Receiver<Outgoing>) {
    let agent = telemetry::http_agent();
    for out in rx.iter() {
        match telemetry::post_json(&agent, &out.url, out.token.as_ref(), &out.payload) {
            Ok(s) if (200..300).contains(&s) => log::debug!("alert posted"),
            Ok(s) => log::warn!("alert: {} answered {s}", out.url),
            Err(e) => log::warn!("alert: cannot post to {}: {e}", out.url),
        }
    }
}
