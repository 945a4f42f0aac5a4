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
        return verify(&client, token, &session.vault_id, json);
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
        "{:<24}  {:<38}  {:<16}  {:<32}  {:<8}  {:<16}  {:>5}  {:<15}  HOST",
        "TIME", "ACTOR", "ACTION", "ENTRY", "OUTCOME", "REASON", "COUNT", "SOURCE"
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
        // Repeated refusals come as one row standing for `count` requests.
        let count = e["count"].as_u64().unwrap_or(1);
        println!(
            "{:<24}  {:<38}  {:<16}  {:<32}  {:<8}  {:<16}  {:>5}  {:<15}  {}",
            s("time"),
            actor,
            s("action"),
            entry,
            s("outcome"),
            reason,
            count,
            s("source_ip"),
            host
        );
    }
}

/// `--verify`: exit 0 when the chain is intact and still extends every head
/// this client verified before; exit 1 naming the first break, or the last
/// verified seq the server's chain no longer reaches (rows removed from its
/// end, which the chain alone cannot show).
fn verify(client: &Client, token: Option<&str>, vault: &str, json: bool) -> CliResult {
    let known = profile::audit_heads(client.server(), vault)?;
    let mut path = "/api/v1/audit/verify".to_string();
    for (i, h) in known.iter().enumerate() {
        path.push(if i == 0 { '?' } else { '&' });
        path.push_str(&format!(
            "anchor={}",
            encode_query(&format!("{}:{}", h.pop_id, h.seq))
        ));
    }
    let answer = client.get(&path, token)?;
    let ok = answer["ok"].as_bool().ok_or_else(|| {
        CliError::Failed(
            "the server's verify answer has no `ok` (is this a clavitor server?)".into(),
        )
    })?;
    let checked = &answer["checked"];
    if !ok {
        if json {
            print_json(&answer);
        }
        let b = &answer["first_break"];
        return Err(CliError::Failed(format!(
            "audit log BROKEN: first bad link at pop_id {} seq {}: {} ({checked} events checked)",
            clean(b["pop_id"].as_str().unwrap_or("?")),
            b["seq"],
            clean(b["problem"].as_str().unwrap_or("no detail given")),
        )));
    }
    if let Some(problem) = lost_heads(&known, &answer) {
        if json {
            print_json(&json!({"ok": false, "checked": checked, "truncated": problem}));
        }
        return Err(CliError::Failed(problem));
    }
    let heads = heads_of(&answer)?;
    // Never move a head backwards: a chain this client saw longer stays the reference.
    let mut next = known.clone();
    for h in heads {
        match next.iter_mut().find(|k| k.pop_id == h.pop_id) {
            Some(k) if k.seq <= h.seq => *k = h,
            Some(_) => {}
            None => next.push(h),
        }
    }
    profile::save_audit_heads(client.server(), vault, &next)?;
    if json {
        print_json(&json!({"ok": true, "checked": checked, "first_break": null, "heads": next}));
    } else {
        let reach = next
            .iter()
            .map(|h| format!("{} seq {}", clean(&h.pop_id), h.seq))
            .collect::<Vec<_>>()
            .join(", ");
        println!("audit log intact: {checked} events checked; verified up to {reach}");
    }
    Ok(())
}

/// The first head verified earlier that the server's chain no longer
/// holds (the row is gone, or its hash changed), as the message to print.
fn lost_heads(known: &[profile::AuditHead], answer: &Value) -> Option<String> {
    let anchors = answer["anchors"].as_array();
    for k in known {
        let found = anchors.and_then(|a| {
            a.iter()
                .find(|x| x["pop_id"] == k.pop_id.as_str() && x["seq"] == k.seq)
        });
        let pop = clean(&k.pop_id);
        match found.map(|x| &x["hash"]) {
            Some(Value::String(h)) if *h == k.hash => continue,
            Some(Value::String(_)) => {
                return Some(format!(
                    "audit log REWRITTEN: row seq {} of pop_id {pop}, last verified by this client, \
                     no longer has the hash it had; the log was replaced from there on",
                    k.seq
                ))
            }
            _ => {
                return Some(format!(
                    "audit log TRUNCATED: the server's chain for pop_id {pop} no longer reaches seq {}, \
                     the last seq this client verified; rows were removed from its end",
                    k.seq
                ))
            }
        }
    }
    None
}

/// The `heads` of a verify answer.
fn heads_of(answer: &Value) -> Result<Vec<profile::AuditHead>, CliError> {
    let bad = || {
        CliError::Failed(
            "the server's verify answer has no usable `heads` (a server older than this client?)"
                .into(),
        )
    };
    let heads = answer["heads"].as_array().ok_or_else(bad)?;
    heads
        .iter()
        .map(|h| {
            Some(profile::AuditHead {
                pop_id: h["pop_id"].as_str()?.to_string(),
                seq: h["seq"].as_i64()?,
                hash: h["hash"].as_str()?.to_string(),
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)
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
