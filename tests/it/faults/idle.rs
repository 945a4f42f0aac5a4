//! An idle server does not wake up: no timers, no polling loops.

use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn idle_server_has_zero_wakeups() {
    // The acceptance measure is 60 s (`scripts/idle-wakeups.sh 60` against the
    // release binary); 20 s keeps `make test` short while still spanning many
    // periods of any 1 s or 5 s timer.
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/idle-wakeups.sh");
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(script)
        .arg("20")
        .arg(env!("CARGO_BIN_EXE_clavitor"))
        .env_remove("CLAVITOR_ARGS")
        .output()
        .expect("run scripts/idle-wakeups.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "the script took {:?}",
        started.elapsed()
    );
    assert!(
        stdout.contains("idle wake-ups over 20s: "),
        "unexpected output:\n{stdout}\n{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the idle server woke up:\n{stdout}\n{stderr}"
    );
}
