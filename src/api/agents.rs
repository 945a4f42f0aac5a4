//! Owner routes for agents: create (returns the wire token once), list,
//! show, update, rotate, unlock, delete. Agents are `agent` system entries
//! whose record `records` seals and opens.

use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{owner_event, Owner};
use super::error::Code;
use super::scopes::scope_ids;
use super::{parse_body, rfc3339, ApiError, Ctx, Result};
use crate::crypto::GenerateId;
use crate::http::Reply;
use crate::ids::{EntryId, ScopeId};
use crate::policy::{self, AgentRecord, AllowedNet};
use crate::vault::{now_ms, Outcome};

const MAX_NAME: usize = 128;
const MAX_IPS: usize = 64;
const MAX_SCOPES: usize = 64;
/// Upper bounds for the limits an owner may set (create or edit): far above
/// the defaults (3/min, 10/h), low enough that a stolen credential cannot
/// copy a large vault in minutes. Documented in docs/API.md and SECURITY.md.
pub const MAX_RATE_MINUTE: u32 = 1_000;
pub const MAX_RATE_HOUR: u32 = 10_000;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AgentInput {
    name: Option<String>,
    scopes: Option<Vec<String>>,
    all_access: Option<bool>,
    can_write: Option<bool>,
    ip_whitelist: Option<Vec<String>>,
    rate_limit_minute: Option<u32>,
    rate_limit_hour: Option<u32>,
    /// RFC 3339, or null to remove an expiry.
    #[serde(default, deserialize_with = "some_or_null")]
    expires_at: Option<Option<String>>,
}

/// Distinguishes "absent" (keep) from `null` (clear).
fn some_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

fn bad(m: String) -> ApiError {
    ApiError::new(Code::InvalidValue, m)
}

/// Applies an input to a record, checking every value; `known` are the vault's scope ids.
fn apply(record: &mut AgentRecord, input: AgentInput, known: &[ScopeId]) -> Result<()> {
    if let Some(name) = input.name {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control)
        {
            return Err(bad(format!(
                "name: expected 1 to {MAX_NAME} printable characters"
            )));
        }
        record.name = name;
    }
    if let Some(scopes) = input.scopes {
        if scopes.len() > MAX_SCOPES {
            return Err(bad(format!("scopes: at most {MAX_SCOPES} scopes")));
        }
        let mut out: Vec<ScopeId> = Vec::new();
        for (i, s) in scopes.iter().enumerate() {
            let id = ScopeId::parse(s).map_err(|e| bad(format!("scopes[{i}]: {e}")))?;
            if id.is_owner_only() {
                return Err(bad(format!(
                    "scopes[{i}]: 0000 is the owner-only tier and cannot be granted"
                )));
            }
            if !known.contains(&id) {
                return Err(bad(format!(
                    "scopes[{i}]: no scope {s} in this vault (create it first)"
                )));
            }
            if !out.contains(&id) {
                out.push(id);
            }
        }
        record.scopes = out;
    }
    if let Some(b) = input.all_access {
        record.all_access = b;
    }
    if let Some(b) = input.can_write {
        record.can_write = b;
    }
    if let Some(ips) = input.ip_whitelist {
        if ips.len() > MAX_IPS {
            return Err(bad(format!("ip_whitelist: at most {MAX_IPS} entries")));
        }
        let mut nets = Vec::with_capacity(ips.len());
        for (i, c) in ips.into_iter().enumerate() {
            nets.push(AllowedNet::try_from(c).map_err(|e| bad(format!("ip_whitelist[{i}]: {e}")))?);
        }
        record.ip_whitelist = nets;
    }
    if let Some(n) = input.rate_limit_minute {
        if n > MAX_RATE_MINUTE {
            return Err(bad(format!(
                "rate_limit_minute: at most {MAX_RATE_MINUTE} distinct credentials per minute, got {n}"
            )));
        }
        record.rate_limit_minute = n;
    }
    if let Some(n) = input.rate_limit_hour {
        if n > MAX_RATE_HOUR {
            return Err(bad(format!(
                "rate_limit_hour: at most {MAX_RATE_HOUR} distinct credentials per hour, got {n}"
            )));
        }
        record.rate_limit_hour = n;
    }
    policy::check_rate_limits(record.rate_limit_minute, record.rate_limit_hour).map_err(bad)?;
    if let Some(exp) = input.expires_at {
        if let Some(t) = &exp {
            humantime::parse_rfc3339_weak(t).map_err(|_| {
                bad("expires_at: expected an RFC 3339 time like 2027-01-31T00:00:00Z".into())
            })?;
        }
        record.expires_at = exp;
    }
    Ok(())
}

fn agent_json(id: &EntryId, r: &AgentRecord, version: i64) -> Value {
    json!({
        "agent_id": id.hex(),
        "name": r.name,
        "scopes": r.scopes,
        "all_access": r.all_access,
        "can_write": r.can_write,
        "ip_whitelist": r.ip_whitelist,
        "rate_limit_minute": r.rate_limit_minute,
        "rate_limit_hour": r.rate_limit_hour,
        "locked": r.locked,
        "violations": r.violations.len(),
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "version": version,
    })
}

/// An agent's wire token. It carries no expiry of its own (`expires_at` 0):
/// the agent record's expiry, checked on every request, is the only one, so
/// the owner can shorten or extend it and the change holds on the next
/// request without a new credential.
fn mint(owner: &Owner, ctx: &Ctx<'_>, id: &EntryId, r: &AgentRecord) -> String {
    let now = now_ms() as u64 / 1000;
    owner
        .records
        .agent_token(&ctx.app.keyring(), id, r.token_generation, now)
}

fn agent_param(id: &str) -> Result<EntryId> {
    EntryId::parse(id).map_err(|e| ApiError::new(Code::MalformedId, format!("agent id: {e}")))
}

fn not_found() -> ApiError {
    ApiError::new(Code::NoSuchAgent, "no such agent")
}

/// POST /api/v1/agents
pub fn create(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let input: AgentInput = parse_body(ctx.req)?;
    if input.name.is_none() {
        return Err(bad("name: required".into()));
    }
    let known = scope_ids(ctx, &owner)?;
    let agents = &ctx.config.agents;
    let now = now_ms();
    let mut record = AgentRecord {
        name: String::new(),
        scopes: Vec::new(),
        all_access: false,
        can_write: false,
        ip_whitelist: Vec::new(),
        rate_limit_minute: agents.rate_limit_minute,
        rate_limit_hour: agents.rate_limit_hour,
        locked: false,
        violations: Vec::new(),
        token_generation: 0,
        created_at: rfc3339(now),
        expires_at: None,
    };
    apply(&mut record, input, &known)?;
    let id = EntryId::generate();
    let row = owner.records.agent_row(id, &record, now);
    let ev = owner_event(ctx, "agent_create", Some(id), Outcome::Success, None);
    ctx.store.write(|db| {
        db.insert_entry(owner.id(), &row)?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(()))
    })?;
    let token = mint(&owner, ctx, &id, &record);
    let mut body = agent_json(&id, &record, 1);
    body["token"] = json!(token);
    Ok(Reply::json(201, &body))
}

/// GET /api/v1/agents
pub fn list(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let mut out = Vec::new();
    for row in ctx.store.db().system_entries(owner.id(), "agent")? {
        let r: AgentRecord = owner.records.open_record(&row)?;
        out.push(agent_json(&row.entry_id, &r, row.version));
    }
    Ok(Reply::json(200, &json!({"agents": out})))
}

/// GET /api/v1/agents/{id}
pub fn show(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let id = agent_param(id)?;
    let (row, r) = owner
        .records
        .load_agent(&ctx.store.db(), &id)?
        .ok_or_else(not_found)?;
    Ok(Reply::json(200, &agent_json(&id, &r, row.version)))
}

/// Loads, changes, saves and audits an agent in one transaction; returns the new record.
fn modify(
    ctx: &mut Ctx<'_>,
    owner: &Owner,
    id: &EntryId,
    action: &'static str,
    change: impl FnOnce(&mut AgentRecord) -> Result<()>,
) -> Result<(AgentRecord, i64)> {
    let ev = owner_event(ctx, action, Some(*id), Outcome::Success, None);
    ctx.store.write(|db| {
        let (row, mut r) = owner.records.load_agent(db, id)?.ok_or_else(not_found)?;
        change(&mut r)?;
        owner.records.save_agent(db, &row, &r)?;
        Ok(db.audit(owner.id(), &ev)?.with((r, row.version + 1)))
    })
}

/// PUT /api/v1/agents/{id} — change scopes, allowlist, limits, flags, name, expiry.
pub fn update(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let id = agent_param(id)?;
    let input: AgentInput = parse_body(ctx.req)?;
    let known = scope_ids(ctx, &owner)?;
    let (r, v) = modify(ctx, &owner, &id, "agent_update", |r| {
        apply(r, input, &known)
    })?;
    Ok(Reply::json(200, &agent_json(&id, &r, v)))
}

/// POST /api/v1/agents/{id}/rotate — a new token; the old one stops working.
pub fn rotate(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let id = agent_param(id)?;
    let (r, v) = modify(ctx, &owner, &id, "agent_rotate", |r| {
        r.token_generation = r.token_generation.wrapping_add(1);
        Ok(())
    })?;
    let mut body = agent_json(&id, &r, v);
    body["token"] = json!(mint(&owner, ctx, &id, &r));
    Ok(Reply::json(200, &body))
}

/// POST /api/v1/agents/{id}/unlock — clears a lockdown and its violations.
pub fn unlock(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let id = agent_param(id)?;
    let (r, v) = modify(ctx, &owner, &id, "agent_unlock", |r| {
        r.locked = false;
        r.violations.clear();
        Ok(())
    })?;
    Ok(Reply::json(200, &agent_json(&id, &r, v)))
}

/// DELETE /api/v1/agents/{id} — its tokens stop working at once.
pub fn delete(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let id = agent_param(id)?;
    let ev = owner_event(ctx, "agent_delete", Some(id), Outcome::Success, None);
    ctx.store.write(|db| {
        owner.records.load_agent(db, &id)?.ok_or_else(not_found)?;
        db.delete_entry(owner.id(), &id)?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(()))
    })?;
    Ok(Reply::json(
        200,
        &json!({"agent_id": id.hex(), "deleted": true}),
    ))
}
