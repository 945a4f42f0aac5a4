//! The tarpit: scanners probing unknown routes are held for 30 s, one byte
//! per second, on at most 1000 threads (a counting semaphore). At the cap
//! the normal 404 goes out at once. Known API routes, `/healthz` and
//! `/metrics` are never tarpitted (the whole `/api/` prefix is exempt, so a
//! client of a newer API version gets its 404 at once).
//!
//! Each held request gets its own small thread that writes the raw stream
//! (`Request::into_writer`): a status line, then one header byte per
//! second, flushed each time (tiny_http's writer buffers 1 KiB). The idle
//! reaper leaves these connections alone because `TCP_INFO` shows data
//! sent within the last second. Every thread checks the stop flag once a
//! second, so SIGTERM ends them within a second.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::{RawResponse, Req, Takeover};

/// Most requests held at once.
pub const MAX_HELD: usize = 1000;
/// How long one request is held.
pub const HOLD: Duration = Duration::from_secs(30);
const DRIP_EVERY: Duration = Duration::from_secs(1);
/// Enough for a loop that writes and sleeps.
const STACK: usize = 64 * 1024;

/// Counts held requests and carries the stop flag.
#[derive(Default)]
pub struct Tarpit {
    held: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// One unit of the semaphore; released on drop.
struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Paths that always get a real answer.
fn exempt(req: &Req) -> bool {
    matches!(
        req.path().as_slice(),
        ["api", ..] | ["healthz"] | ["metrics"]
    )
}

impl Tarpit {
    /// Requests held right now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    /// The shared count of held requests (for telemetry).
    pub fn counter(&self) -> Arc<AtomicUsize> {
        self.held.clone()
    }

    /// Takes the request over if it is not exempt and a slot is free.
    pub fn take(&self, req: &Req) -> Option<Takeover> {
        if exempt(req) || self.stop.load(Ordering::Acquire) {
            return None;
        }
        let acquired = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_HELD).then_some(n + 1)
            });
        if acquired.is_err() {
            log::debug!("tarpit full ({MAX_HELD} held): answering 404 at once");
            return None;
        }
        let permit = Permit(self.held.clone());
        let stop = self.stop.clone();
        Some(Box::new(move |out: RawResponse| {
            let spawned = std::thread::Builder::new()
                .name("tarpit".into())
                .stack_size(STACK)
                .spawn(move || drip(out, &stop, permit));
            if let Err(e) = spawned {
                // The closure (writer and permit) is dropped: the slot is free again.
                log::warn!("tarpit: cannot start a thread: {e}");
            }
        }))
    }

    /// SIGTERM: every held request ends within a second.
    pub fn begin_stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// Waits until no request is held or `deadline` passes.
    pub fn wait_idle(&self, deadline: Instant) {
        while self.held() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Holds one connection: status line now, a byte a second, then the end of the headers.
fn drip(mut out: RawResponse, stop: &AtomicBool, _permit: Permit) {
    let head = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Request-Queue: ";
    if out.write_all(head).and_then(|_| out.flush()).is_err() {
        return;
    }
    let started = Instant::now();
    while started.elapsed() < HOLD {
        std::thread::sleep(DRIP_EVERY);
        if stop.load(Ordering::Acquire) {
            return;
        }
        if out.write_all(b".").and_then(|_| out.flush()).is_err() {
            return; // the client left
        }
    }
    let _ = out.write_all(b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = out.flush();
}
