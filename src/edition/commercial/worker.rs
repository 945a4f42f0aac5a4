//! The replication thread (primary): event-driven, zero wake-ups while idle.
//!
//! Writers `try_send` on a `bounded(1)` channel after each commit; the
//! thread blocks in `select!` on that channel and its control channel, so
//! a request never waits for it and an idle primary never wakes. Woken, it
//! sends every dirty row in batches of `batch_size` and clears flags the
//! backup acknowledged. It wakes once at start-up to send rows left dirty
//! by a crash.
//!
//! Coalescing: the first write after a quiet period is sent at once (low
//! latency). If more writes arrived while a batch was in flight, it is a
//! burst: the thread waits until writes pause for [`QUIET`] (at most
//! [`LINGER_CAP`]) and sends the rest together, so a burst of writes costs
//! two apply requests instead of one per write.
//!
//! Failures back off 1, 5, 25, 125, 625 s (capped, retried forever while a
//! backlog exists); after `max_retries` consecutive failures the operator is
//! alerted (and again every `max_retries` failures). SIGHUP retries at once.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Receiver};
use serde_json::json;

use super::auth::{self, APPLY_PATH};
use super::rows;
use super::settings::{Role, Settings};
use super::wire::{Batch, Record};
use super::Shared;
use crate::vault::Store;

/// Back-off after consecutive failures (seconds); the last one repeats.
pub const BACKOFF_S: [u64; 5] = [1, 5, 25, 125, 625];
/// A burst ends when no write arrives for this long.
pub const QUIET: Duration = Duration::from_millis(25);
/// Longest a burst is held back before it is sent anyway.
pub const LINGER_CAP: Duration = Duration::from_secs(1);
/// Upper bound on one batch's size in bytes (entry documents dominate).
const MAX_BATCH_BYTES: usize = 8 << 20;

/// Control messages for the thread.
pub enum Ctl {
    /// Settings changed (SIGHUP): re-read them; retry now if backing off.
    Reload,
    Stop,
}

/// Figures for telemetry and heartbeats.
#[derive(Default)]
pub struct Status {
    pub consecutive_failures: AtomicU32,
    /// Unix seconds of the last acknowledged batch (0: none yet).
    pub last_success: AtomicU64,
    pub batches_sent: AtomicU64,
}

/// The thread's state.
pub struct Worker {
    pub shared: Arc<Shared>,
    pub store: Store,
    pub wake: Receiver<()>,
    pub ctl: Receiver<Ctl>,
    /// The backup this database is known to be fully queued for.
    target: Option<String>,
}

enum Next {
    /// Block until a write or a control message.
    Wait,
    /// Look for dirty rows now.
    Drain,
    Stop,
}

impl Worker {
    pub fn new(
        shared: Arc<Shared>,
        store: Store,
        wake: Receiver<()>,
        ctl: Receiver<Ctl>,
    ) -> Worker {
        Worker {
            shared,
            store,
            wake,
            ctl,
            target: None,
        }
    }

    /// The thread's body.
    pub fn run(mut self) {
        let mut next = Next::Drain; // rows left dirty by a crash
        let mut failures: u32 = 0;
        loop {
            next = match next {
                Next::Stop => return,
                Next::Wait => self.wait(),
                Next::Drain => match self.shared.settings() {
                    Some(s) if s.role == Role::Primary => match self.drain_guarded(&s) {
                        Ok(()) => {
                            self.recovered(&mut failures);
                            self.after_success()
                        }
                        Err(e) => {
                            failures += 1;
                            self.failed(&s, failures, &e);
                            self.back_off(failures, &mut failures)
                        }
                    },
                    _ => Next::Wait,
                },
            };
        }
    }

    fn wait(&self) -> Next {
        select! {
            recv(self.wake) -> msg => if msg.is_ok() { Next::Drain } else { Next::Stop },
            recv(self.ctl) -> msg => match msg {
                Ok(Ctl::Reload) => Next::Drain,
                Ok(Ctl::Stop) | Err(_) => Next::Stop,
            },
        }
    }

    /// Writes arrived while the batch was in flight: wait for the burst to pause.
    fn after_success(&self) -> Next {
        if self.wake.is_empty() {
            return Next::Wait;
        }
        let started = Instant::now();
        while started.elapsed() < LINGER_CAP {
            select! {
                recv(self.wake) -> _ => continue,
                recv(self.ctl) -> msg => match msg {
                    Ok(Ctl::Reload) => break,
                    Ok(Ctl::Stop) | Err(_) => return Next::Stop,
                },
                default(QUIET) => break,
            }
        }
        Next::Drain
    }

    fn back_off(&self, failed: u32, failures: &mut u32) -> Next {
        let idx = (failed as usize).saturating_sub(1).min(BACKOFF_S.len() - 1);
        let wait = Duration::from_secs(BACKOFF_S[idx]);
        log::info!("replication: retrying in {} s", wait.as_secs());
        select! {
            recv(self.ctl) -> msg => match msg {
                Ok(Ctl::Reload) => {
                    *failures = 0;
                    Next::Drain
                }
                Ok(Ctl::Stop) | Err(_) => Next::Stop,
            },
            default(wait) => Next::Drain,
        }
    }

    fn recovered(&self, failures: &mut u32) {
        let status = &self.shared.status;
        if *failures > 0 {
            log::info!("replication: backup reachable again after {failures} failed attempts");
        }
        *failures = 0;
        status.consecutive_failures.store(0, Ordering::Relaxed);
    }

    fn failed(&self, s: &Settings, failures: u32, error: &str) {
        self.shared
            .status
            .consecutive_failures
            .store(failures, Ordering::Relaxed);
        let backup = s.backup.as_ref().map(|b| b.id.as_str()).unwrap_or("?");
        log::warn!("replication to {backup} failed ({failures} in a row): {error}");
        // Again every `max_retries` failures while it lasts, so a long outage is not a single line.
        if failures % s.tuning.max_retries == 0 {
            let backlog = rows::backlog(self.store.raw()).unwrap_or(-1);
            self.shared.alert(
                "replication",
                &format!("replication to {backup} failed {failures} times in a row; {backlog} rows waiting; last error: {error}"),
                json!({"backup_pop": backup, "consecutive_failures": failures, "backlog": backlog}),
            );
        }
    }

    /// [`Worker::drain`], with a panic (a bug, here or in a library) turned
    /// into a failed attempt: the thread must outlive it, rows stay dirty.
    fn drain_guarded(&mut self, s: &Settings) -> Result<(), String> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.drain(s))) {
            Ok(result) => result,
            Err(_) => {
                Err("internal error while sending a batch (a bug; the log has details)".into())
            }
        }
    }

    /// Sends every dirty row; Err is worded for the log and the alert.
    fn drain(&mut self, s: &Settings) -> Result<(), String> {
        let backup = s.backup.as_ref().ok_or("no backup_pop configured")?;
        if self.target.as_deref() != Some(backup.id.as_str()) {
            if rows::ensure_target(&mut self.store, &backup.id).map_err(|e| e.to_string())? {
                log::info!("replication: full resync to {} (new backup)", backup.id);
            }
            self.target = Some(backup.id.clone());
        }
        loop {
            let t0 = Instant::now();
            let batch = self.collect(s.tuning.batch_size)?;
            if batch.is_empty() {
                return Ok(());
            }
            let full = batch.len() >= s.tuning.batch_size
                || batch.iter().map(Record::weight).sum::<usize>() >= MAX_BATCH_BYTES;
            // Unlock material leaves sealed for transit, not with this POP's keyring.
            let ring = self
                .shared
                .keyring()
                .ok_or("the token keyring is not loaded yet")?;
            let mut wire = batch.clone();
            rows::seal_for_transit(
                &mut wire,
                &ring,
                &crate::crypto::rest::transit_key(s.key.expose()),
            )?;
            let t1 = Instant::now();
            send(s, &backup.url, &wire)?;
            let t2 = Instant::now();
            rows::clear(&mut self.store, &batch).map_err(|e| e.to_string())?;
            let status = &self.shared.status;
            status.batches_sent.fetch_add(1, Ordering::Relaxed);
            status
                .last_success
                .store(super::super::unix_now(), Ordering::Relaxed);
            log::debug!(
                "replication: {} rows acknowledged by {} (read {} ms, apply {} ms, clear {} ms)",
                batch.len(),
                backup.id,
                (t1 - t0).as_millis(),
                (t2 - t1).as_millis(),
                t2.elapsed().as_millis()
            );
            // A partial batch held everything dirty when it was read; later
            // writes signalled the channel and are handled by the caller.
            if !full {
                return Ok(());
            }
        }
    }

    /// One consistent snapshot of dirty rows (parents before children).
    fn collect(&self, limit: usize) -> Result<Vec<Record>, String> {
        let conn = self.store.raw();
        conn.execute_batch("BEGIN").map_err(|e| e.to_string())?;
        let batch = rows::collect(conn, limit, MAX_BATCH_BYTES);
        let _ = conn.execute_batch("COMMIT");
        batch.map_err(|e| e.to_string())
    }
}

/// POSTs one batch; a transport error is retried once at once (a pooled
/// connection the backup closed); applying twice is harmless.
fn send(s: &Settings, url: &str, records: &[Record]) -> Result<(), String> {
    let body = serde_json::to_vec(&Batch {
        pop_id: s.pop_id.clone(),
        records: records.to_vec(),
    })
    .map_err(|e| format!("encoding a batch: {e}"))?;
    let target = format!("{url}{APPLY_PATH}");
    let mut last = String::new();
    for _ in 0..2 {
        let header = auth::fresh_header(&s.backup_key, &s.pop_id, &body);
        let result = s
            .agent
            .post(&target)
            .header("Content-Type", "application/json")
            .header("Authorization", &header)
            .send(&body[..]);
        match result {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                if status == 200 {
                    return Ok(());
                }
                let text = resp
                    .body_mut()
                    .with_config()
                    .limit(4096)
                    .read_to_string()
                    .unwrap_or_default();
                return Err(format!("{url} answered {status}: {}", error_text(&text)));
            }
            Err(e) => last = format!("{url}: {e}"),
        }
    }
    Err(last)
}

/// The `CV-` code and message of an error answer, or the start of the text.
fn error_text(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => format!(
            "{} {}",
            v["error"]["code"].as_str().unwrap_or("?"),
            v["error"]["message"].as_str().unwrap_or("")
        ),
        Err(_) => body.chars().take(200).collect(),
    }
}
