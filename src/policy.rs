//! Agent access policy (SPEC section 7): what an agent may see, from where,
//! and how often. Pure decisions over records; the API applies them and the
//! store persists the outcome.
//! Invariant: every agent-facing route decides visibility with
//! [`agent_can_access`] and nothing else.

use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::entry::clip;
use crate::fieldspec;
use crate::ids::ScopeId;

/// Highest per-minute limit an owner (or the config) may set: distinct
/// credentials an agent may read in a minute. The limit exists to slow
/// down a stolen agent token emptying a vault; past this it slows nothing.
pub const MAX_RATE_LIMIT_MINUTE: u32 = 1000;
/// Highest per-hour limit (distinct credentials read in an hour).
pub const MAX_RATE_LIMIT_HOUR: u32 = 10_000;

/// Checks a pair of rate limits; the message names what is allowed.
pub fn check_rate_limits(minute: u32, hour: u32) -> Result<(), String> {
    if minute == 0 || minute > MAX_RATE_LIMIT_MINUTE {
        return Err(format!(
            "rate_limit_minute: expected 1 to {MAX_RATE_LIMIT_MINUTE}, got {minute}"
        ));
    }
    if hour < minute || hour > MAX_RATE_LIMIT_HOUR {
        return Err(format!(
            "rate_limit_hour: expected rate_limit_minute ({minute}) to {MAX_RATE_LIMIT_HOUR}, got {hour}"
        ));
    }
    Ok(())
}

/// An agent record: the plaintext of an `agent` system entry (sealed with K1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgentRecord {
    pub name: String,
    /// Parsed when the record is opened; a bad id fails the open.
    pub scopes: Vec<ScopeId>,
    pub all_access: bool,
    pub can_write: bool,
    /// CIDRs (IPv4 and IPv6), parsed when the record is opened; empty = any address.
    pub ip_whitelist: Vec<AllowedNet>,
    pub rate_limit_minute: u32,
    pub rate_limit_hour: u32,
    pub locked: bool,
    /// Times (ms) of rate-limit violations inside the lockdown window.
    pub violations: Vec<i64>,
    pub token_generation: u32,
    pub created_at: String,
    /// RFC 3339, or `None` for no expiry.
    pub expires_at: Option<String>,
}

/// A scope record: the plaintext of a `scope` system entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScopeRecord {
    pub scope_id: ScopeId,
    pub name: String,
    pub created_at: String,
}

/// What the policy needs to know about an entry, all from plaintext columns.
pub struct EntryMeta<'a> {
    pub entry_type: &'a str,
    pub scopes: &'a [ScopeId],
    pub deleted: bool,
}

/// True iff the agent may read the entry: live, not a system type, not
/// owner-only (`0000`), and in one of the agent's scopes (or all-access).
pub fn agent_can_access(agent: &AgentRecord, entry: &EntryMeta<'_>) -> bool {
    if entry.deleted || fieldspec::entry_type(entry.entry_type).is_none_or(|t| t.system) {
        return false;
    }
    if entry.scopes.iter().any(|s| s.is_owner_only()) {
        return false;
    }
    agent.all_access || entry.scopes.iter().any(|s| agent.scopes.contains(s))
}

/// True iff an agent with `can_write` may create an entry carrying `scopes`:
/// at least one scope, none owner-only, every one its own (all-access agents
/// may use any non-owner-only scope).
pub fn agent_can_write_into(agent: &AgentRecord, scopes: &[ScopeId]) -> bool {
    agent.can_write
        && !scopes.is_empty()
        && scopes
            .iter()
            .all(|s| !s.is_owner_only() && (agent.all_access || agent.scopes.contains(s)))
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.trim().parse().map_err(|_| {
            format!(
                "expected an IP address or CIDR like 192.0.2.0/24 or 2001:db8::/32, got {}",
                clip(s)
            )
        })?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix length must be 0 to {max}, got {}", clip(s)))?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }

    /// True if `ip` is inside this network. IPv4-mapped IPv6 addresses match IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n) as u128, 32, self.prefix)
                    == masked(u32::from(a) as u128, 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// One entry of an agent's IP allowlist: the network, parsed once (when the
/// owner's request body or the sealed record is read), and the text as the
/// owner wrote it, which the API shows back and the record keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AllowedNet {
    net: Cidr,
    text: String,
}

impl AllowedNet {
    /// Parses like [`Cidr::parse`] (same errors) and keeps the text.
    pub fn parse(s: &str) -> Result<AllowedNet, String> {
        Ok(AllowedNet {
            net: Cidr::parse(s)?,
            text: s.to_string(),
        })
    }

    /// True if `ip` is inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.net.contains(ip)
    }

    /// The entry as the owner wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for AllowedNet {
    type Error = String;
    fn try_from(text: String) -> Result<AllowedNet, String> {
        Ok(AllowedNet {
            net: Cidr::parse(&text)?,
            text,
        })
    }
}

impl From<AllowedNet> for String {
    fn from(n: AllowedNet) -> String {
        n.text
    }
}

fn masked(v: u128, bits: u32, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    v >> (bits - prefix as u32)
}

/// True if `ip` may use the agent (empty allowlist = anywhere).
pub fn ip_allowed(agent: &AgentRecord, ip: IpAddr) -> bool {
    agent.ip_whitelist.is_empty() || agent.ip_whitelist.iter().any(|n| n.contains(ip))
}

/// The outcome of the rate check for one credential read.
#[derive(Debug, PartialEq, Eq)]
pub enum RateDecision {
    /// Within limits (or a re-read of an entry already read in the window).
    Allow,
    /// Over a limit: a violation; 429.
    Violation,
    /// Over a limit a second time within the lockdown window: the agent is locked; 423.
    Lock,
}

/// Counts of distinct credentials the agent read in the last minute and hour,
/// and whether this entry is one of them.
pub struct ReadCounts {
    pub minute: u32,
    pub hour: u32,
    pub seen_in_minute: bool,
    pub seen_in_hour: bool,
}

/// Decides a read and, on a violation, records it in the agent record.
pub fn rate_check(
    agent: &mut AgentRecord,
    counts: &ReadCounts,
    now_ms: i64,
    lockdown_window: Duration,
) -> RateDecision {
    let over_minute = !counts.seen_in_minute && counts.minute >= agent.rate_limit_minute;
    let over_hour = !counts.seen_in_hour && counts.hour >= agent.rate_limit_hour;
    if !(over_minute || over_hour) {
        return RateDecision::Allow;
    }
    record_violation(agent, now_ms, lockdown_window)
}

/// Entries an agent created in the last minute and hour, and the limits on them.
pub struct WriteCounts {
    pub minute: u32,
    pub hour: u32,
    pub limit_minute: u32,
    pub limit_hour: u32,
}

impl WriteCounts {
    /// Seconds until one more create fits: a minute, or an hour when the hourly limit is reached.
    pub fn retry_after(&self) -> u64 {
        if self.hour >= self.limit_hour {
            3600
        } else {
            60
        }
    }
}

/// Decides one more create by an agent (agent writes count against a limit
/// too, so a can-write agent cannot flood the vault with look-alikes). Over
/// the limit is a violation exactly like a read over the limit.
pub fn write_check(
    agent: &mut AgentRecord,
    counts: &WriteCounts,
    now_ms: i64,
    lockdown_window: Duration,
) -> RateDecision {
    if counts.minute < counts.limit_minute && counts.hour < counts.limit_hour {
        return RateDecision::Allow;
    }
    record_violation(agent, now_ms, lockdown_window)
}

/// Records a violation; a second one inside the lockdown window locks the agent.
fn record_violation(
    agent: &mut AgentRecord,
    now_ms: i64,
    lockdown_window: Duration,
) -> RateDecision {
    let window = lockdown_window.as_millis() as i64;
    agent.violations.retain(|t| now_ms - t < window);
    agent.violations.push(now_ms);
    if agent.violations.len() >= 2 {
        agent.locked = true;
        RateDecision::Lock
    } else {
        RateDecision::Violation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(scopes: &[&str]) -> AgentRecord {
        AgentRecord {
            name: "a".into(),
            scopes: scopes.iter().map(|s| ScopeId::parse(s).unwrap()).collect(),
            all_access: false,
            can_write: false,
            ip_whitelist: vec![],
            rate_limit_minute: 3,
            rate_limit_hour: 10,
            locked: false,
            violations: vec![],
            token_generation: 0,
            created_at: String::new(),
            expires_at: None,
        }
    }

    fn meta<'a>(t: &'a str, scopes: &'a [ScopeId]) -> EntryMeta<'a> {
        EntryMeta {
            entry_type: t,
            scopes,
            deleted: false,
        }
    }

    #[test]
    fn scopes_decide_access() {
        let a = agent(&["0001"]);
        let s = |v: &[&str]| {
            v.iter()
                .map(|x| ScopeId::parse(x).unwrap())
                .collect::<Vec<_>>()
        };
        assert!(agent_can_access(&a, &meta("login", &s(&["0001"]))));
        assert!(!agent_can_access(&a, &meta("login", &s(&["0002"]))));
        assert!(!agent_can_access(&a, &meta("login", &s(&[]))));
        assert!(!agent_can_access(&a, &meta("login", &s(&["0001", "0000"]))));
        assert!(!agent_can_access(&a, &meta("agent", &s(&["0001"]))));
        assert!(!agent_can_access(&a, &meta("bogus", &s(&["0001"]))));
        let mut all = agent(&[]);
        all.all_access = true;
        assert!(agent_can_access(&all, &meta("card", &s(&["0007"]))));
        assert!(!agent_can_access(&all, &meta("card", &s(&["0000"]))));
        assert!(!agent_can_access(
            &all,
            &EntryMeta {
                entry_type: "login",
                scopes: &s(&["0001"]),
                deleted: true
            }
        ));
    }

    #[test]
    fn writes_only_into_own_scopes() {
        let mut a = agent(&["0001"]);
        let s = |v: &[&str]| {
            v.iter()
                .map(|x| ScopeId::parse(x).unwrap())
                .collect::<Vec<_>>()
        };
        assert!(!agent_can_write_into(&a, &s(&["0001"])), "needs can_write");
        a.can_write = true;
        assert!(agent_can_write_into(&a, &s(&["0001"])));
        assert!(!agent_can_write_into(&a, &s(&["0001", "0002"])));
        assert!(!agent_can_write_into(&a, &s(&[])));
        assert!(!agent_can_write_into(&a, &s(&["0000"])));
    }

    #[test]
    fn writes_over_the_limit_are_violations_that_lock() {
        let mut a = agent(&[]);
        let w = Duration::from_secs(7200);
        let counts = |minute, hour| WriteCounts {
            minute,
            hour,
            limit_minute: 2,
            limit_hour: 5,
        };
        assert_eq!(
            write_check(&mut a, &counts(1, 4), 0, w),
            RateDecision::Allow
        );
        assert_eq!(
            write_check(&mut a, &counts(2, 2), 1_000, w),
            RateDecision::Violation
        );
        assert_eq!(counts(2, 2).retry_after(), 60);
        assert_eq!(counts(0, 5).retry_after(), 3600);
        assert!(!a.locked);
        assert_eq!(
            write_check(&mut a, &counts(0, 5), 2_000, w),
            RateDecision::Lock
        );
        assert!(a.locked);
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(c.contains("192.0.2.77".parse().unwrap()));
        assert!(c.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(!c.contains("192.0.3.1".parse().unwrap()));
        let c6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!c6.contains("2001:db9::1".parse().unwrap()));
        assert!(Cidr::parse("127.0.0.1")
            .unwrap()
            .contains("127.0.0.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nope").is_err());
    }

    #[test]
    fn allowlists_are_parsed_once_and_keep_the_owners_text() {
        let mut a = agent(&["0001"]);
        assert!(
            ip_allowed(&a, "203.0.113.9".parse().unwrap()),
            "empty = anywhere"
        );
        a.ip_whitelist = vec![
            AllowedNet::parse("192.0.2.0/24").unwrap(),
            AllowedNet::parse(" 2001:DB8::1").unwrap(),
        ];
        assert!(ip_allowed(&a, "192.0.2.5".parse().unwrap()));
        assert!(ip_allowed(&a, "2001:db8::1".parse().unwrap()));
        assert!(!ip_allowed(&a, "192.0.3.5".parse().unwrap()));
        assert_eq!(a.ip_whitelist[1].as_str(), " 2001:DB8::1");
        assert_eq!(
            AllowedNet::parse("10.0.0.0/33").unwrap_err(),
            Cidr::parse("10.0.0.0/33").unwrap_err()
        );
    }

    #[test]
    fn agent_records_serialize_exactly_as_the_strings_they_were() {
        let json = r#"{"name":"a","scopes":["0001","0042"],"all_access":false,"can_write":true,"ip_whitelist":["10.0.0.0/8","::1"],"rate_limit_minute":3,"rate_limit_hour":10,"locked":false,"violations":[],"token_generation":2,"created_at":"t","expires_at":null}"#;
        let r: AgentRecord = serde_json::from_str(json).unwrap();
        assert_eq!(r.scopes[1], ScopeId::parse("0042").unwrap());
        assert!(ip_allowed(&r, "10.1.2.3".parse().unwrap()));
        assert_eq!(serde_json::to_string(&r).unwrap(), json);
        let bad = json.replace("10.0.0.0/8", "10.0.0.0/99");
        let e = serde_json::from_str::<AgentRecord>(&bad).unwrap_err();
        assert!(e.to_string().contains("prefix length"), "{e}");
        let bad = json.replace("0042", "42");
        assert!(serde_json::from_str::<AgentRecord>(&bad).is_err());
    }

    #[test]
    fn second_violation_in_window_locks() {
        let mut a = agent(&[]);
        let over = ReadCounts {
            minute: 3,
            hour: 3,
            seen_in_minute: false,
            seen_in_hour: false,
        };
        let reread = ReadCounts {
            minute: 3,
            hour: 3,
            seen_in_minute: true,
            seen_in_hour: true,
        };
        let w = Duration::from_secs(7200);
        assert_eq!(rate_check(&mut a, &reread, 0, w), RateDecision::Allow);
        assert_eq!(rate_check(&mut a, &over, 1_000, w), RateDecision::Violation);
        assert!(!a.locked);
        assert_eq!(rate_check(&mut a, &over, 2_000, w), RateDecision::Lock);
        assert!(a.locked);
        let mut b = agent(&[]);
        assert_eq!(rate_check(&mut b, &over, 0, w), RateDecision::Violation);
        assert_eq!(
            rate_check(&mut b, &over, 7_300_000, w),
            RateDecision::Violation,
            "outside the window"
        );
    }
}
