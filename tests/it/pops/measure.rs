//! The measuring tools the benchmarks reuse: [`percentiles`] and
//! [`thread_switches`] (the method of scripts/idle-wakeups.sh).

use std::time::Duration;

/// (p50, p99) in milliseconds of a sample of durations.
pub fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

/// Sum of voluntary + involuntary context switches over all threads of
/// `pid`, with the thread ids (the method of scripts/idle-wakeups.sh).
pub fn thread_switches(pid: u32) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let n: u64 = status
            .lines()
            .filter(|l| {
                l.starts_with("voluntary_ctxt_switches:")
                    || l.starts_with("nonvoluntary_ctxt_switches:")
            })
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        out.push((
            format!("{} ({})", task.file_name().to_string_lossy(), name.trim()),
            n,
        ));
    }
    out
}

/// Wake-ups between two snapshots: per-thread differences; a new thread
/// counts its switches (at least 1), a vanished one 1. Returns the total and
/// the threads that woke.
pub fn wakeups(start: &[(String, u64)], end: &[(String, u64)]) -> (u64, Vec<String>) {
    let mut total = 0;
    let mut who = Vec::new();
    for (tid, n) in end {
        let d = match start.iter().find(|(t, _)| t == tid) {
            Some((_, s)) => n.saturating_sub(*s),
            None => (*n).max(1),
        };
        if d > 0 {
            who.push(format!("{tid}: {d}"));
        }
        total += d;
    }
    for (tid, _) in start {
        if !end.iter().any(|(t, _)| t == tid) {
            who.push(format!("{tid}: exited"));
            total += 1;
        }
    }
    (total, who)
}

/// Raises this process's open-file limit to the hard limit (tests holding many sockets).
pub fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to an rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}
