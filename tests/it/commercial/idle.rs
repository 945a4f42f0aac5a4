//! An idle primary that is in sync with its backup never wakes up: the
//! replication thread blocks in `recv`, and with telemetry off there is no
//! periodic thread at all. The method of scripts/idle-wakeups.sh (context
//! switches of every thread in /proc/PID/task), applied to a primary with a
//! live backup.
use crate::common;
use crate::pops;

use std::time::Duration;

use common::*;
use pops::*;

#[test]
fn idle_primary_in_sync_has_zero_wakeups() {
    // The acceptance window is 60 s (CLAVITOR_IDLE_WINDOW_S=60); 20 s keeps
    // `make test` short while spanning many periods of any 1 s or 5 s timer.
    let window: u64 = std::env::var("CLAVITOR_IDLE_WINDOW_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let keys = Keys::new();
    let (primary, backup) = start_pair(&keys);
    let vault = TestVault::create(&primary.server);
    let id = put_entry(&vault, &primary.server, "in sync");
    assert!(wait_until(Duration::from_secs(20), || readable(
        &vault,
        &backup.server,
        &id
    )));
    // tiny_http's helper threads retire after 5 s idle.
    std::thread::sleep(Duration::from_secs(7));
    let pid = primary.server.pid();
    let start = thread_switches(pid);
    std::thread::sleep(Duration::from_secs(window));
    let end = thread_switches(pid);
    let (total, who) = wakeups(&start, &end);
    println!(
        "BENCH idle_primary wakeups_over_{window}s={total} threads={}",
        end.len()
    );
    assert_eq!(
        total,
        0,
        "the idle primary woke up: {who:?}\n{}",
        primary.server.log()
    );
}
