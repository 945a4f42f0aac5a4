//! Owner routes for the audit log: filtered, paged listing and chain verification.

use serde_json::json;

use super::auth::Owner;
use super::error::Code;
use super::{ApiError, Ctx, Result};
use crate::crypto::hex;
use crate::http::Reply;
use crate::ids::VaultId;
use crate::vault::AuditFilter;

const DEFAULT_LIMIT: usize = 100;

/// Accepts RFC 3339 or integer milliseconds.
fn time_param(name: &str, v: &str) -> Result<i64> {
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(ms);
    }
    humantime::parse_rfc3339_weak(v)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .ok_or_else(|| ApiError::new(Code::InvalidValue, format!("{name}: expected RFC 3339 (2026-11-21T10:00:00Z) or milliseconds since the epoch")))
}

/// Appends the refusals tallied but not yet in the log as counted rows, so
/// what the owner reads or verifies includes every refusal so far. If that
/// write fails, the listing still shows everything committed; the tally is
/// kept and appended later.
fn flush_refusals(ctx: &mut Ctx<'_>, vault: &VaultId) {
    let pending = ctx.store.db().audit_refusals_pending(vault);
    if !matches!(pending, Ok(true)) {
        return;
    }
    let sync = ctx.config.audit_sync;
    if let Err(e) = ctx
        .store
        .write_audited_read(sync, |db| db.audit_flush_refusals(vault))
    {
        log::error!("appending tallied refusals to the audit log: {e}");
    }
}

/// GET /api/v1/audit?actor=&entry=&action=&outcome=&since=&until=&limit=&before=
pub fn list(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let q = |k: &str| {
        ctx.req
            .query(k)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let limit = match q("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::new(Code::InvalidValue, "limit: expected 1 to 1000"))?,
        None => DEFAULT_LIMIT,
    };
    let before = match q("before") {
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(t, s)| Some((t.parse().ok()?, s.parse().ok()?)))
                .ok_or_else(|| {
                    ApiError::new(
                        Code::InvalidValue,
                        "before: expected the `next` cursor of a previous page",
                    )
                })?,
        ),
        None => None,
    };
    let filter = AuditFilter {
        actor_id: q("actor"),
        entry_id: q("entry"),
        action: q("action"),
        outcome: q("outcome")
            .map(|o| match o.as_str() {
                "success" | "denied" | "failure" => Ok(o),
                _ => Err(ApiError::new(
                    Code::InvalidValue,
                    "outcome: expected success, denied or failure",
                )),
            })
            .transpose()?,
        since_ms: q("since").map(|v| time_param("since", &v)).transpose()?,
        until_ms: q("until").map(|v| time_param("until", &v)).transpose()?,
        before,
        limit,
    };
    flush_refusals(ctx, owner.id());
    let rows = ctx.store.db().audit_rows(owner.id(), &filter)?;
    let next = if rows.len() == limit {
        rows.last().map(|r| format!("{}.{}", r.ts, r.seq))
    } else {
        None
    };
    let events: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "pop_id": r.pop_id, "seq": r.seq, "time": super::rfc3339(r.ts), "actor_kind": r.actor_kind,
                "actor_id": r.actor_id, "action": r.action, "entry_id": r.entry_id, "outcome": r.outcome,
                "reason": r.reason, "source_ip": r.source_ip, "host": r.host, "count": r.count,
            })
        })
        .collect();
    Ok(Reply::json(200, &json!({"events": events, "next": next})))
}

/// GET /api/v1/audit/verify — walks the hash chains and reports the first broken link.
pub fn verify(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let anchors = anchors(ctx)?;
    flush_refusals(ctx, owner.id());
    let db = ctx.store.db();
    // Heads first: rows a writer appends meanwhile are then verified but
    // never reported as a head that this walk did not cover.
    let heads: Vec<_> = db
        .audit_heads(owner.id())?
        .into_iter()
        .map(|(pop, seq, hash)| json!({"pop_id": pop, "seq": seq, "hash": hex(&hash)}))
        .collect();
    let (checked, broken) = db.audit_verify(owner.id())?;
    let mut found = Vec::with_capacity(anchors.len());
    for (pop, seq) in anchors {
        let hash = db.audit_hash_at(owner.id(), &pop, seq)?;
        found.push(json!({"pop_id": pop, "seq": seq, "hash": hash.map(|h| hex(&h))}));
    }
    Ok(Reply::json(
        200,
        &json!({"ok": broken.is_none(), "checked": checked, "first_break": broken,
                "heads": heads, "anchors": found}),
    ))
}

/// Most `anchor` parameters one verification answers (one per POP chain a
/// client saw; a deployment has a handful).
const MAX_ANCHORS: usize = 16;

/// `anchor=<pop_id>:<seq>` parameters: rows a client verified before and
/// whose hashes it wants back, to tell whether the chain still extends them
/// (a chain cut short at its end verifies as intact on its own).
fn anchors(ctx: &Ctx<'_>) -> Result<Vec<(String, i64)>> {
    let bad = || {
        ApiError::new(
            Code::InvalidValue,
            format!(
                "anchor: expected <pop_id>:<seq> (seq a positive integer), at most {MAX_ANCHORS}"
            ),
        )
    };
    let mut out = Vec::new();
    for (k, v) in &ctx.req.query {
        if k != "anchor" {
            continue;
        }
        let (pop, seq) = v.rsplit_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.parse().ok().filter(|n| *n >= 1).ok_or_else(bad)?;
        if pop.is_empty() || pop.chars().count() > 128 || out.len() == MAX_ANCHORS {
            return Err(bad());
        }
        out.push((pop.to_string(), seq));
    }
    Ok(out)
}
