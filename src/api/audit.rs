//! Owner routes for the audit log: filtered, paged listing and chain verification.

use serde_json::json;

use super::auth::require_owner;
use super::{ApiError, Ctx, Result};
use crate::http::Reply;
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
        .ok_or_else(|| ApiError::bad_request("CV-1004", format!("{name}: expected RFC 3339 (2026-11-21T10:00:00Z) or milliseconds since the epoch")))
}

/// GET /api/v1/audit?actor=&entry=&action=&outcome=&since=&until=&limit=&before=
pub fn list(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let owner = require_owner(ctx)?;
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
            .ok_or_else(|| ApiError::bad_request("CV-1004", "limit: expected 1 to 1000"))?,
        None => DEFAULT_LIMIT,
    };
    let before = match q("before") {
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(t, s)| Some((t.parse().ok()?, s.parse().ok()?)))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "CV-1004",
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
                _ => Err(ApiError::bad_request(
                    "CV-1004",
                    "outcome: expected success, denied or failure",
                )),
            })
            .transpose()?,
        since_ms: q("since").map(|v| time_param("since", &v)).transpose()?,
        until_ms: q("until").map(|v| time_param("until", &v)).transpose()?,
        before,
        limit,
    };
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
                "reason": r.reason, "source_ip": r.source_ip, "host": r.host,
            })
        })
        .collect();
    Ok(Reply::json(200, &json!({"events": events, "next": next})))
}

/// GET /api/v1/audit/verify — walks the hash chains and reports the first broken link.
pub fn verify(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let (checked, broken) = ctx.store.db().audit_verify(owner.id())?;
    Ok(Reply::json(
        200,
        &json!({"ok": broken.is_none(), "checked": checked, "first_break": broken}),
    ))
}
