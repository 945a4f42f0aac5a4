//! Server metrics, rendered in the Prometheus text format by `GET /metrics`.
//!
//! Every counter is a plain atomic in one `static` ([`METRICS`]): the
//! request path bumps a few of them with `Relaxed` adds (no lock, no
//! allocation), nothing runs in the background (no thread, no timer, so an
//! idle server still has zero wake-ups), and the text is only built when a
//! scrape asks for it. Label values come from fixed tables (route patterns,
//! status codes, methods, denial reasons), so the number of series is
//! bounded and no label can carry a raw path, an id, an address or a secret.
//!
//! Invariant: a label value is always one of the constants in this file.

use std::cell::Cell;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Slots for route patterns: the `route` label of slot `i` is the `i`th
/// pattern of the route table (`api::routes`, handed to [`Metrics::render`]);
/// the last slot is [`UNMATCHED`]. The table must have fewer patterns (a
/// unit test in `api::routes` checks it).
pub const ROUTE_SLOTS: usize = 32;
/// The slot of [`UNMATCHED`].
pub const UNMATCHED_SLOT: usize = ROUTE_SLOTS - 1;
/// The `route` label of every path that matches no route (and of undecodable paths).
pub const UNMATCHED: &str = "unmatched";

const METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OTHER"];

/// Status codes the server answers with; anything else counts as `other`.
const STATUSES: [u16; 15] = [
    200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 423, 429, 500, 503,
];
/// One slot per known status, then `other`.
const STATUS_SLOTS: usize = STATUSES.len() + 1;
const OTHER_STATUS: usize = STATUS_SLOTS - 1;

/// Upper bounds of the latency buckets in microseconds (1 ms .. 5 s), then +Inf.
const BUCKETS_US: [u64; 12] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000,
];
const BUCKET_SLOTS: usize = BUCKETS_US.len() + 1;

/// Reasons an audited agent refusal carries (`audit.reason`); anything else counts as `other`.
pub const DENIAL_REASONS: [&str; 9] = [
    "token_invalid",
    "owner_only",
    "ip_refused",
    "agent_locked",
    "scope_denied",
    "rate_limited",
    "rate_limited_locked",
    // A reference resolution for a destination host the entry does not allow (SPEC 13).
    "host_denied",
    "other",
];

const NROUTES: usize = ROUTE_SLOTS;
const NMETHODS: usize = METHODS.len();
const NREASONS: usize = DENIAL_REASONS.len();

/// All counters of one server process.
pub struct Metrics {
    requests: [[[AtomicU64; STATUS_SLOTS]; NMETHODS]; NROUTES],
    /// Per route: requests per latency bucket (not cumulative; summed when rendered).
    latency: [[AtomicU64; BUCKET_SLOTS]; NROUTES],
    latency_sum_us: [AtomicU64; NROUTES],
    audit_rows: AtomicU64,
    /// Transactions that committed audit rows: with `audit_rows`, the rows per commit (fsync).
    audit_commits: AtomicU64,
    agent_denials: [AtomicU64; NREASONS],
    open_connections: AtomicU64,
    started_unix_s: AtomicU64,
}

/// The process's metrics.
pub static METRICS: Metrics = Metrics::new();

/// Audit rows appended inside one transaction, counted once it commits
/// (a rolled-back row is not an audit write).
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditTally {
    rows: u64,
    denials: [u32; NREASONS],
}

impl AuditTally {
    /// Notes one appended row; `agent_denial` is the reason of an agent's refused request.
    pub fn add(cell: &Cell<AuditTally>, agent_denial: Option<&str>) {
        let mut t = cell.get();
        t.rows += 1;
        if let Some(reason) = agent_denial {
            t.denials[reason_slot(reason)] += 1;
        }
        cell.set(t);
    }
}

impl AuditTally {
    /// Notes an agent's refused request that was counted into an existing
    /// refusal row instead of appending one (see `Db::audit_refusal`).
    pub fn add_denial(cell: &Cell<AuditTally>, reason: &str) {
        let mut t = cell.get();
        t.denials[reason_slot(reason)] += 1;
        cell.set(t);
    }
}

fn reason_slot(reason: &str) -> usize {
    DENIAL_REASONS
        .iter()
        .position(|r| *r == reason)
        .unwrap_or(NREASONS - 1)
}

fn method_slot(method: &str) -> usize {
    METHODS
        .iter()
        .position(|m| *m == method)
        .unwrap_or(NMETHODS - 1)
}

fn status_slot(status: u16) -> usize {
    STATUSES
        .iter()
        .position(|s| *s == status)
        .unwrap_or(OTHER_STATUS)
}

impl Metrics {
    const fn new() -> Metrics {
        Metrics {
            requests: [const { [const { [const { AtomicU64::new(0) }; STATUS_SLOTS] }; NMETHODS] };
                NROUTES],
            latency: [const { [const { AtomicU64::new(0) }; BUCKET_SLOTS] }; NROUTES],
            latency_sum_us: [const { AtomicU64::new(0) }; NROUTES],
            audit_rows: AtomicU64::new(0),
            audit_commits: AtomicU64::new(0),
            agent_denials: [const { AtomicU64::new(0) }; NREASONS],
            open_connections: AtomicU64::new(0),
            started_unix_s: AtomicU64::new(0),
        }
    }

    /// Records one answered request. `route` is a slot (see [`ROUTE_SLOTS`]).
    pub fn request(&self, route: usize, method: &str, status: u16, elapsed: Duration) {
        let route = route.min(NROUTES - 1);
        self.requests[route][method_slot(method)][status_slot(status)].fetch_add(1, Relaxed);
        let us = elapsed.as_micros().min(u64::MAX as u128) as u64;
        let bucket = BUCKETS_US
            .iter()
            .position(|b| us <= *b)
            .unwrap_or(BUCKET_SLOTS - 1);
        self.latency[route][bucket].fetch_add(1, Relaxed);
        self.latency_sum_us[route].fetch_add(us, Relaxed);
    }

    /// Adds the audit rows of a committed transaction.
    pub fn audit_committed(&self, tally: AuditTally) {
        if tally.rows == 0 {
            return;
        }
        self.audit_rows.fetch_add(tally.rows, Relaxed);
        self.audit_commits.fetch_add(1, Relaxed);
        for (slot, n) in tally.denials.iter().enumerate() {
            if *n > 0 {
                self.agent_denials[slot].fetch_add(u64::from(*n), Relaxed);
            }
        }
    }

    /// The client connections the idle-connection reaper saw on its last sweep.
    pub fn set_open_connections(&self, n: usize) {
        self.open_connections.store(n as u64, Relaxed);
    }

    /// Records the start time (Unix seconds) reported as `process_start_time_seconds`.
    pub fn set_started(&self, unix_s: u64) {
        self.started_unix_s.store(unix_s, Relaxed);
    }

    /// The Prometheus text exposition (format 0.0.4); `routes[i]` is the
    /// `route` label of slot `i`.
    pub fn render(&self, edition: &str, routes: &[&str]) -> String {
        let routes = || {
            routes
                .iter()
                .take(UNMATCHED_SLOT)
                .copied()
                .enumerate()
                .chain([(UNMATCHED_SLOT, UNMATCHED)])
        };
        let mut out = String::with_capacity(8 * 1024);
        let o = &mut out;
        family(
            o,
            "clavitor_build_info",
            "gauge",
            "Version and edition of this server (always 1).",
        );
        let _ = writeln!(
            o,
            "clavitor_build_info{{version=\"{}\",edition=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            edition
        );
        family(
            o,
            "process_start_time_seconds",
            "gauge",
            "Start time of the server since the Unix epoch, in seconds.",
        );
        let _ = writeln!(
            o,
            "process_start_time_seconds {}",
            self.started_unix_s.load(Relaxed)
        );

        family(
            o,
            "clavitor_http_requests_total",
            "counter",
            "Requests answered, by route pattern, method and status code.",
        );
        for (r, route) in routes() {
            for (m, method) in METHODS.iter().enumerate() {
                for (s, counter) in self.requests[r][m].iter().enumerate() {
                    let n = counter.load(Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let status = if s == OTHER_STATUS {
                        "other".to_string()
                    } else {
                        STATUSES[s].to_string()
                    };
                    let _ = writeln!(
                        o,
                        "clavitor_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                    );
                }
            }
        }

        family(
            o,
            "clavitor_http_request_duration_seconds",
            "histogram",
            "Time from the request line to the reply being ready (body read and handled), by route pattern.",
        );
        for (r, route) in routes() {
            let counts: Vec<u64> = self.latency[r].iter().map(|c| c.load(Relaxed)).collect();
            let total: u64 = counts.iter().sum();
            if total == 0 {
                continue;
            }
            let mut cumulative = 0;
            for (i, bound) in BUCKETS_US.iter().enumerate() {
                cumulative += counts[i];
                let _ = writeln!(
                    o,
                    "clavitor_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{}\"}} {cumulative}",
                    seconds(*bound)
                );
            }
            let _ = writeln!(
                o,
                "clavitor_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {total}"
            );
            let _ = writeln!(
                o,
                "clavitor_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                seconds(self.latency_sum_us[r].load(Relaxed))
            );
            let _ = writeln!(
                o,
                "clavitor_http_request_duration_seconds_count{{route=\"{route}\"}} {total}"
            );
        }

        family(
            o,
            "clavitor_audit_rows_total",
            "counter",
            "Audit rows committed (every credential access and every change writes one).",
        );
        let _ = writeln!(
            o,
            "clavitor_audit_rows_total {}",
            self.audit_rows.load(Relaxed)
        );

        family(
            o,
            "clavitor_audit_commits_total",
            "counter",
            "Transactions that committed audit rows (one fsync each; group commit puts many rows in one).",
        );
        let _ = writeln!(
            o,
            "clavitor_audit_commits_total {}",
            self.audit_commits.load(Relaxed)
        );

        family(
            o,
            "clavitor_agent_denials_total",
            "counter",
            "Agent requests refused and audited, by reason.",
        );
        for (i, reason) in DENIAL_REASONS.iter().enumerate() {
            let _ = writeln!(
                o,
                "clavitor_agent_denials_total{{reason=\"{reason}\"}} {}",
                self.agent_denials[i].load(Relaxed)
            );
        }

        family(
            o,
            "clavitor_http_open_connections",
            "gauge",
            "Client connections open at the idle reaper's last sweep (at most 1 s old while any are open).",
        );
        let _ = writeln!(
            o,
            "clavitor_http_open_connections {}",
            self.open_connections.load(Relaxed)
        );
        out
    }
}

fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}");
    let _ = writeln!(o, "# TYPE {name} {kind}");
}

/// Microseconds as decimal seconds without float rounding noise ("0.0025", "1", "5").
fn seconds(us: u64) -> String {
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bounds_print_exactly() {
        assert_eq!(seconds(1_000), "0.001");
        assert_eq!(seconds(2_500), "0.0025");
        assert_eq!(seconds(1_000_000), "1");
        assert_eq!(seconds(2_500_000), "2.5");
        assert_eq!(seconds(0), "0");
    }

    #[test]
    fn unknown_labels_fall_into_their_other_slot() {
        assert_eq!(status_slot(200), 0);
        assert_eq!(status_slot(418), OTHER_STATUS);
        assert_eq!(method_slot("PATCH"), NMETHODS - 1);
        assert_eq!(reason_slot("wrong_credentials"), NREASONS - 1);
    }

    #[test]
    fn a_local_registry_renders_what_it_counted() {
        let m = Metrics::new();
        let r = 1;
        m.request(r, "GET", 200, Duration::from_micros(3_000));
        m.request(r, "GET", 200, Duration::from_secs(9));
        let tally = Cell::new(AuditTally::default());
        AuditTally::add(&tally, None);
        AuditTally::add(&tally, Some("scope_denied"));
        m.audit_committed(tally.get());
        let text = m.render("community", &["/healthz", "/api/v1/entries/{id}"]);
        assert!(text.contains(
            "clavitor_http_requests_total{route=\"/api/v1/entries/{id}\",method=\"GET\",status=\"200\"} 2\n"
        ));
        assert!(text.contains("clavitor_http_request_duration_seconds_bucket{route=\"/api/v1/entries/{id}\",le=\"0.0025\"} 0\n"));
        assert!(text.contains("clavitor_http_request_duration_seconds_bucket{route=\"/api/v1/entries/{id}\",le=\"0.005\"} 1\n"));
        assert!(text.contains("clavitor_http_request_duration_seconds_bucket{route=\"/api/v1/entries/{id}\",le=\"+Inf\"} 2\n"));
        assert!(text.contains(
            "clavitor_http_request_duration_seconds_sum{route=\"/api/v1/entries/{id}\"} 9.003\n"
        ));
        assert!(text.contains("clavitor_audit_rows_total 2\n"));
        assert!(text.contains("clavitor_agent_denials_total{reason=\"scope_denied\"} 1\n"));
    }
}
