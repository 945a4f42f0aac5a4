//! `clavitor audit [--agent ID] [--entry ID] [--since T] [--limit N]` and
//! `clavitor audit --verify`.
//!
//! Listing follows the server's `next` cursor until `--limit` events (newest
//! first) are collected or the log runs out. `--since` takes RFC 3339 or a
//! duration ago (`1h`, `30m`, `7d`), converted to RFC 3339 here. Verifying
//! walks the hash chain on the server: exit 0 when intact, exit 1 naming the
//! first broken link (`pop_id`, `seq`).

use std::time::SystemTime;

use serde_json::{json, Value};

use super::client::{encode_query, print_json, Client};
use super::entries::clean;
use super::profile;
use super::{AuditArgs, CliError, CliResult};
use crate::ids::EntryId;

/// The largest page the server serves.
const PAGE_MAX: usize = 1000;

/// Runs `clavitor audit` (owner only).
pub fn run(a: &AuditArgs, json: bool) -> CliResult {
    let session = profile::owner_session()?;
    let client = Client::new(&session.server)?;
    let token = Some(session.token.as_str());
    if a.verify {
        return verify(&client, token, json);
    }
    if a.limit == 0 {
        return Err(CliError::Usage("--limit: expected at least 1".into()));
    }
    let events = fetch(&client, token, &filters(a)?, a.limit)?;
    if json {
        print_json(&json!({"events": events}));
    } else {
        print_table(&events);
    }
    Ok(())
}

/// The filter part of the query string (`&k=v…`), checked.
fn filters(a: &AuditArgs) -> Result<String, CliError> {
    let mut q = String::new();
    let id = |flag: &str, raw: &str| {
        EntryId::parse(raw)
            .map(|i| i.hex())
            .map_err(|e| CliError::Usage(format!("--{flag}: {e}")))
    };
    if let Some(agent) = &a.agent {
        q.push_str(&format!("&actor={}", id("agent", agent)?));
    }
    if let Some(entry) = &a.entry {
        q.push_str(&format!("&entry={}", id("entry", entry)?));
    }
    if let Some(action) = &a.action {
        q.push_str(&format!("&action={}", encode_query(action)));
    }
    if let Some(outcome) = &a.outcome {
        if !matches!(outcome.as_str(), "success" | "denied" | "failure") {
            return Err(CliError::Usage(format!(
                "--outcome {outcome:?}: expected success, denied or failure"
            )));
        }
        q.push_str(&format!("&outcome={outcome}"));
    }
    if let Some(since) = &a.since {
        q.push_str(&format!(
            "&since={}",
            encode_query(&since_time(since, SystemTime::now())?)
        ));
    }
    Ok(q)
}

/// `--since`: RFC 3339 as is (normalised), or a duration before `now`.
fn since_time(raw: &str, now: SystemTime) -> Result<String, CliError> {
    let raw = raw.trim();
    if let Ok(t) = humantime::parse_rfc3339_weak(raw) {
        return Ok(humantime::format_rfc3339_millis(t).to_string());
    }
    let bad = || {
        CliError::Usage(format!("--since {raw:?}: expected RFC 3339 (2026-11-21T10:00:00Z) or a duration ago (90s, 30m, 1h, 7d)"))
    };
    let ago = humantime::parse_duration(raw).map_err(|_| bad())?;
    let t = now
        .checked_sub(ago)
        .filter(|t| *t >= SystemTime::UNIX_EPOCH)
        .ok_or_else(bad)?;
    Ok(humantime::format_rfc3339_millis(t).to_string())
}

/// Pages through GET /audit until `limit` events are collected or there is no `next`.
fn fetch(
    client: &Client,
    token: Option<&str>,
    query: &str,
    limit: usize,
) -> Result<Vec<Value>, CliError> {
    let mut out: Vec<Value> = Vec::new();
    let mut before: Option<String> = None;
    while out.len() < limit {
        let page = (limit - out.len()).min(PAGE_MAX);
        let mut path = format!("/api/v1/audit?limit={page}{query}");
        if let Some(b) = &before {
            path.push_str(&format!("&before={}", encode_query(b)));
        }
        let answer = client.get(&path, token)?;
        let events = answer["events"].as_array().ok_or_else(|| {
            CliError::Failed(
                "the server's audit answer has no `events` (is this a clavitor server?)".into(),
            )
        })?;
        out.extend(events.iter().take(page).cloned());
        match answer["next"].as_str() {
            Some(next) if !events.is_empty() && before.as_deref() != Some(next) => {
                before = Some(next.to_string())
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The readable listing.
fn print_table(events: &[Value]) {
    println!(
        "{:<24}  {:<38}  {:<16}  {:<32}  {:<8}  {:<16}  {:<15}  HOST",
        "TIME", "ACTOR", "ACTION", "ENTRY", "OUTCOME", "REASON", "SOURCE"
    );
    for e in events {
        let s = |k: &str| clean(e[k].as_str().unwrap_or_default());
        let actor = match (s("actor_kind").as_str(), s("actor_id")) {
            (kind, id) if id.is_empty() => kind.to_string(),
            (kind, id) => format!("{kind}:{id}"),
        };
        let entry = if s("entry_id").is_empty() {
            "-".to_string()
        } else {
            s("entry_id")
        };
        let reason = if s("reason").is_empty() {
            "-".to_string()
        } else {
            s("reason")
        };
        // The destination host a reference was resolved for (SPEC 13).
        let host = if s("host").is_empty() {
            "-".to_string()
        } else {
            s("host")
        };
        println!(
            "{:<24}  {:<38}  {:<16}  {:<32}  {:<8}  {:<16}  {:<15}  {}",
            s("time"),
            actor,
            s("action"),
            entry,
            s("outcome"),
            reason,
            s("source_ip"),
            host
        );
    }
}

/// `--verify`: exit 0 when the chain is intact, exit 1 naming the first break.
fn verify(client: &Client, token: Option<&str>, json: bool) -> CliResult {
    let answer = client.get("/api/v1/audit/verify", token)?;
    let ok = answer["ok"].as_bool().ok_or_else(|| {
        CliError::Failed(
            "the server's verify answer has no `ok` (is this a clavitor server?)".into(),
        )
    })?;
    let checked = &answer["checked"];
    if json {
        print_json(&answer);
    } else if ok {
        println!("audit log intact: {checked} events checked");
    }
    if ok {
        return Ok(());
    }
    let b = &answer["first_break"];
    Err(CliError::Failed(format!(
        "audit log BROKEN: first bad link at pop_id {} seq {}: {} ({checked} events checked)",
        clean(b["pop_id"].as_str().unwrap_or("?")),
        b["seq"],
        clean(b["problem"].as_str().unwrap_or("no detail given")),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn since_accepts_rfc3339_and_durations_ago() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(
            since_time("2026-11-21T10:00:00Z", now).unwrap(),
            "2026-11-21T10:00:00.000Z"
        );
        assert_eq!(since_time("1h", now).unwrap(), "2027-01-15T07:00:00.000Z");
        assert_eq!(since_time("30m", now).unwrap(), "2027-01-15T07:30:00.000Z");
        assert_eq!(since_time("7d", now).unwrap(), "2027-01-08T08:00:00.000Z");
        assert_eq!(since_time("yesterday", now).unwrap_err().code(), 2);
    }
}
