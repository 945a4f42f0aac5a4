//! A background job that runs every `interval` until told to stop: the
//! building block of telemetry reports and control-plane heartbeats.
//!
//! Periodic by nature, so it exists only while its job is enabled: with
//! telemetry and heartbeats off there is no such thread and an idle server
//! has zero wake-ups. The thread sleeps in `select!` on its control channel,
//! so a reload or a stop reaches it at once.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, Sender};

/// What a periodic thread runs.
pub trait Job: Send + Sync + 'static {
    /// The current interval; `None` ends the thread (the job was turned off).
    fn interval(&self) -> Option<Duration>;
    /// One run. Bounded in time (network timeouts).
    fn tick(&self);
}

enum Ctl {
    Reload,
    Stop,
}

/// Owns at most one thread running a [`Job`].
pub struct Periodic {
    name: &'static str,
    running: Mutex<Option<(Sender<Ctl>, JoinHandle<()>)>>,
}

impl Periodic {
    pub const fn new(name: &'static str) -> Periodic {
        Periodic {
            name,
            running: Mutex::new(None),
        }
    }

    /// Starts the thread if the job is enabled and none runs; otherwise tells
    /// the running one to re-read its interval (or end, if now disabled).
    pub fn ensure(&self, job: Arc<dyn Job>) {
        let mut slot = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((tx, handle)) = slot.as_ref() {
            if !handle.is_finished() && tx.try_send(Ctl::Reload).is_ok() {
                return;
            }
        }
        if job.interval().is_none() {
            *slot = None;
            return;
        }
        let (tx, rx) = bounded::<Ctl>(4);
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || loop {
                let Some(every) = job.interval() else { return };
                select! {
                    recv(rx) -> msg => match msg {
                        Ok(Ctl::Reload) => continue,
                        Ok(Ctl::Stop) | Err(_) => return,
                    },
                    default(every) => job.tick(),
                }
            });
        match spawned {
            Ok(handle) => *slot = Some((tx, handle)),
            Err(e) => log::error!("{}: cannot start its thread: {e}", self.name),
        }
    }

    /// Tells the thread to end.
    pub fn stop(&self) {
        if let Some((tx, _)) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = tx.try_send(Ctl::Stop);
        }
    }

    /// Waits until `deadline` for the thread to end (a tick in progress may outlast it).
    pub fn join_until(&self, deadline: Instant) {
        let taken = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((_, handle)) = taken {
            while !handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}
