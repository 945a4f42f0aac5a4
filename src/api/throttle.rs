//! Throttling of failed session attempts, per source IP and per vault.
//!
//! A sliding window of failure times per key; once a key has `limit`
//! failures inside the window, further attempts are refused (429) until the
//! oldest failure leaves the window. Memory is bounded: at most `MAX_KEYS`
//! keys, the stalest dropped first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_VAULT: usize = 5;
const PER_IP: usize = 20;
const MAX_KEYS: usize = 10_000;

/// Failure counters for session creation.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// `Some(seconds to wait)` when `ip` or `vault` is currently throttled.
    pub fn blocked(&self, ip: &str, vault: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        [
            (format!("ip:{ip}"), PER_IP),
            (format!("vault:{vault}"), PER_VAULT),
        ]
        .into_iter()
        .filter_map(|(key, limit)| {
            let q = map.get_mut(&key)?;
            while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                q.pop_front();
            }
            if q.len() >= limit {
                let oldest = *q.front().expect("len >= limit > 0");
                Some((WINDOW - now.duration_since(oldest)).as_secs() + 1)
            } else {
                None
            }
        })
        .max()
    }

    /// Records a failed attempt.
    pub fn fail(&self, ip: &str, vault: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
            if map.len() >= MAX_KEYS {
                if let Some(stalest) = map
                    .iter()
                    .min_by_key(|(_, q)| q.back().copied())
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&stalest);
                }
            }
        }
        for key in [format!("ip:{ip}"), format!("vault:{vault}")] {
            let q = map.entry(key).or_default();
            q.push_back(now);
            if q.len() > PER_IP {
                q.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifth_vault_failure_blocks_that_vault_only() {
        let t = Throttle::default();
        for _ in 0..PER_VAULT {
            assert!(t.blocked("1.2.3.4", "v1").is_none());
            t.fail("1.2.3.4", "v1");
        }
        assert!(t.blocked("1.2.3.4", "v1").unwrap() > 0);
        assert!(t.blocked("5.6.7.8", "v2").is_none());
    }
}
