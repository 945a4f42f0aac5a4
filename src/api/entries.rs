//! Entry routes. The server seals and opens the whole document (through
//! `records`, with the key from the caller's token); L2/L3 values inside
//! stay client-sealed. An agent's reads get an `AgentDocument`, which has
//! no place for an L3 field.
//! Agents reach only `get`, `lookup` and (with `can_write`) `create` and
//! `replace` of entries they created, each through `policy::agent_can_access`
//! / `agent_can_write_into`, and every read is audited before anything is
//! released.
//!
//! Titles are not unique (SPEC section 5, v1.1): a lookup whose title
//! matches more than one entry the caller may see answers 409 CV-4020 with
//! the candidates, never a silent pick, so an agent allowed to write cannot
//! plant a look-alike that the owner or another agent then reads. Every
//! entry records its creator (`created_by`), and agent creates count
//! against `agents.write_limit_minute`/`_hour`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::{self, agent_event, owner_event, Agent, Owner, Principal};
use super::error::Code;
use super::{parse_body, rfc3339, ApiError, Ctx, Result};
use crate::crypto::Tier;
use crate::entry::{scopes_from_column, Document, EntryInput, ValidEntry};
use crate::http::Reply;
use crate::ids::{EntryId, VaultId};
use crate::policy::{self, EntryMeta, RateDecision};
use crate::records::agents::{AgentCreate, AgentRead, CreateOutcome};
use crate::vault::{now_ms, Creator, EntryRow, NewEntry, Outcome};

const MAX_BATCH: usize = 1000;

fn entry_param(id: &str) -> Result<EntryId> {
    EntryId::parse(id).map_err(|e| ApiError::new(Code::MalformedId, format!("entry id: {e}")))
}

/// The wire form of an entry's creator (TEAM contract "Entry creator"):
/// `{"kind":"owner"}` or `{"kind":"agent","agent_id":"<32 hex>"}`.
pub fn creator_json(c: &Creator) -> Value {
    match c {
        Creator::Owner => json!({"kind": "owner"}),
        Creator::Agent(id) => json!({"kind": "agent", "agent_id": id.hex()}),
    }
}

/// An entry as the owner (`Document`) or an agent (`AgentDocument`) gets it.
fn full_json<F: Serialize>(row: &EntryRow, doc: Document<F>) -> Value {
    json!({
        "entry_id": row.entry_id.hex(),
        "version": row.version,
        "scopes": scopes_from_column(&row.scopes),
        "type": doc.entry_type,
        "title": doc.title,
        "urls": doc.urls,
        "notes": doc.notes,
        "folder": doc.folder,
        "favorite": doc.favorite,
        "tags": doc.tags,
        "fields": doc.fields,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "created_by": creator_json(&row.created_by),
        "agent_reveal": doc.agent_reveal,
        "allowed_hosts": doc.allowed_hosts,
    })
}

fn entry_reply<F: Serialize>(row: &EntryRow, doc: Document<F>) -> Reply {
    Reply::json(200, &full_json(row, doc)).with_header("ETag", format!("\"{}\"", row.version))
}

/// Validates an input, with its error paths prefixed by `at`.
fn validate(input: EntryInput, at: &str, created: &str, now: &str) -> Result<ValidEntry> {
    input.validate(created, now).map_err(|e| {
        let path = if at.is_empty() {
            e.at
        } else {
            format!("{at}.{}", e.at)
        };
        ApiError::new(Code::InvalidValue, format!("{path}: {}", e.problem))
    })
}

fn required_id(input: &EntryInput, at: &str) -> Result<EntryId> {
    let raw = input.entry_id.as_deref().ok_or_else(|| {
        ApiError::new(
            Code::InvalidValue,
            format!("{at}entry_id: required (the client picks it before sealing L2/L3 values)"),
        )
    })?;
    EntryId::parse(raw).map_err(|e| ApiError::new(Code::MalformedId, format!("{at}entry_id: {e}")))
}

/// POST /api/v1/entries — the owner, or an agent with `can_write` into its own scopes.
pub fn create(ctx: &mut Ctx<'_>, principal: Principal) -> Result<Reply> {
    let input: EntryInput = parse_body(ctx.req)?;
    let id = required_id(&input, "")?;
    let now = now_ms();
    let valid = validate(input, "", &rfc3339(now), &rfc3339(now))?;
    match &principal {
        Principal::Owner(o) => {
            let event = owner_event(ctx, "create", Some(id), Outcome::Success, None);
            let row = o.records.entry_row(id, valid, Creator::Owner, now, now);
            ctx.store.write(|db| {
                db.insert_entry(o.id(), &row)?;
                Ok::<_, ApiError>(db.audit(o.id(), &event)?.with(()))
            })?;
        }
        Principal::Agent(a) => {
            auth::gate(ctx, a, "create")?;
            let l3 = valid.doc.fields.iter().any(|f| f.tier == Tier::L3);
            // An id that exists (visible or not) gets the same audited 403 as any
            // other refusal: a 409 would tell the agent that the id exists.
            let taken = ctx.store.db().entry(a.vault_id(), &id)?.is_some();
            if l3 || taken || !policy::agent_can_write_into(&a.record, &valid.scopes) {
                let ev = agent_event(
                    ctx,
                    &a.id,
                    "create",
                    Some(id),
                    Outcome::Denied,
                    Some("scope_denied"),
                );
                auth::audit_refused(ctx, a.vault_id(), ev)?;
                return Err(ApiError::access_denied());
            }
            let row = a.records.new_entry_row(id, valid, a.id, now);
            agent_create(ctx, a, &row)?;
        }
    }
    Ok(Reply::json(
        201,
        &json!({"entry_id": id.hex(), "version": 1, "created_at": rfc3339(now), "updated_at": rfc3339(now)}),
    ))
}

/// An agent's create: the write limit, the entry and its audit row in one
/// transaction, so parallel creates by one agent are counted exactly (as
/// reads are). A refusal commits its audit row and the violation, never the
/// entry; a second violation within the lockdown window locks the agent.
fn agent_create(ctx: &mut Ctx<'_>, agent: &Agent, row: &NewEntry) -> Result<()> {
    let limits = &ctx.config.agents;
    let (window, limit_minute, limit_hour) = (
        limits.lockdown_window,
        limits.write_limit_minute,
        limits.write_limit_hour,
    );
    let entry = Some(row.entry_id);
    let success = agent_event(ctx, &agent.id, "create", entry, Outcome::Success, None);
    let limited = agent_event(
        ctx,
        &agent.id,
        "create",
        entry,
        Outcome::Denied,
        Some("rate_limited"),
    );
    let locked_ev = agent_event(
        ctx,
        &agent.id,
        "create",
        entry,
        Outcome::Denied,
        Some("agent_locked"),
    );
    let create = AgentCreate {
        records: &agent.records,
        agent: agent.id,
        row,
        lockdown_window: window,
        limit_minute,
        limit_hour,
        success,
        limited,
        locked: locked_ev,
    };
    match ctx.store.write(|tx| create.run(tx))? {
        CreateOutcome::Created => Ok(()),
        CreateOutcome::Limited { retry_after } => Err(write_limited(retry_after)),
        CreateOutcome::Locked => Err(auth::locked()),
    }
}

/// 429 for an agent over its write limit.
fn write_limited(retry_after: u64) -> ApiError {
    let mut e = ApiError::new(
        Code::WriteRateLimited,
        "write rate limit: this agent created too many entries (agents.write_limit_minute/hour); slow down (a second violation locks this agent)",
    );
    e.retry_after = Some(retry_after);
    e
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    entries: Vec<EntryInput>,
}

/// POST /api/v1/entries/batch — owner only, all or nothing.
pub fn batch(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let body: Batch = parse_body(ctx.req)?;
    if body.entries.is_empty() || body.entries.len() > MAX_BATCH {
        return Err(ApiError::new(
            Code::InvalidValue,
            format!(
                "entries: expected 1 to {MAX_BATCH} entries, got {}",
                body.entries.len()
            ),
        ));
    }
    let now = now_ms();
    let stamp = rfc3339(now);
    let mut rows = Vec::with_capacity(body.entries.len());
    for (i, input) in body.entries.into_iter().enumerate() {
        let at = format!("entries[{i}]");
        let id = required_id(&input, &format!("{at}."))?;
        if rows.iter().any(|r: &NewEntry| r.entry_id == id) {
            return Err(ApiError::new(
                Code::InvalidValue,
                format!("{at}.entry_id: duplicate within the batch"),
            ));
        }
        let valid = validate(input, &at, &stamp, &stamp)?;
        rows.push(owner.records.entry_row(id, valid, Creator::Owner, now, now));
    }
    let events: Vec<_> = rows
        .iter()
        .map(|r| owner_event(ctx, "create", Some(r.entry_id), Outcome::Success, None))
        .collect();
    ctx.store.write(|db| {
        db.insert_entries(owner.id(), &rows)?;
        let mut audited = None;
        for ev in &events {
            audited = Some(db.audit(owner.id(), ev)?);
        }
        // A batch holds 1 to MAX_BATCH entries (checked above), so one row at least.
        audited.ok_or_else(ApiError::internal)
    })?;
    let created: Vec<Value> = rows
        .iter()
        .map(|r| json!({"entry_id": r.entry_id.hex(), "version": 1}))
        .collect();
    Ok(Reply::json(
        201,
        &json!({"count": created.len(), "created": created}),
    ))
}

/// GET /api/v1/entries[?q=&type=] — owner summaries (agents cannot list).
pub fn list(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let q = ctx
        .req
        .query("q")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let t = ctx.req.query("type").filter(|s| !s.is_empty());
    let mut out = Vec::new();
    for row in ctx.store.db().entries(owner.id())? {
        if t.is_some_and(|t| t != row.entry_type) {
            continue;
        }
        let doc = owner.records.open_entry(&row)?;
        if let Some(q) = &q {
            let hay = [doc.title.as_str(), doc.folder.as_str()]
                .into_iter()
                .chain(doc.urls.iter().map(String::as_str));
            if !hay
                .into_iter()
                .any(|s| s.to_lowercase().contains(q.as_str()))
            {
                continue;
            }
        }
        // The L1 `username` lets clients find duplicates (imports) without
        // fetching every entry; L2/L3 values never appear in summaries.
        let username = doc
            .fields
            .iter()
            .find(|f| f.name == "username" && f.tier == Tier::L1)
            .map(|f| f.value.as_str())
            .unwrap_or("");
        out.push(json!({
            "entry_id": row.entry_id.hex(),
            "type": doc.entry_type,
            "title": doc.title,
            "username": username,
            "urls": doc.urls,
            "folder": doc.folder,
            "favorite": doc.favorite,
            "scopes": scopes_from_column(&row.scopes),
            "version": row.version,
            "updated_at": doc.updated_at,
            "created_by": creator_json(&row.created_by),
        }));
    }
    // A listing shows every title, username and URL: audited like a read,
    // and released only once its row committed.
    let ev = owner_event(ctx, "list", None, Outcome::Success, None);
    auth::audit_alone(ctx, owner.id(), ev)?;
    Ok(Reply::json(200, &json!({"entries": out})))
}

fn is_credential(row: &EntryRow) -> bool {
    !row.deleted && crate::fieldspec::entry_type(&row.entry_type).is_some_and(|t| !t.system)
}

/// GET /api/v1/entries/{id}
pub fn get(ctx: &mut Ctx<'_>, principal: Principal, id: &str) -> Result<Reply> {
    let id = entry_param(id)?;
    match principal {
        Principal::Owner(owner) => {
            let row = ctx
                .store
                .db()
                .entry(owner.id(), &id)?
                .filter(is_credential)
                .ok_or_else(|| ApiError::not_found("entry"))?;
            owner_read(ctx, &owner, row)
        }
        Principal::Agent(agent) => {
            auth::gate(ctx, &agent, "read")?;
            let row = ctx.store.db().entry(agent.vault_id(), &id)?;
            agent_read(ctx, &agent, row, Some(id))
        }
    }
}

/// GET /api/v1/entries/lookup?title=T — exact title through the blind index.
///
/// Exactly one match among the entries the caller may see is returned (and
/// audited as a read); none is 404 for the owner and the usual 403 for an
/// agent; more than one is 409 CV-4020 listing the candidates. An agent's
/// candidates are only entries it may read, so an ambiguity tells it no more
/// than looking each of them up would.
pub fn lookup(ctx: &mut Ctx<'_>, principal: Principal) -> Result<Reply> {
    let title = ctx
        .req
        .query("title")
        .ok_or_else(|| ApiError::new(Code::InvalidValue, "query parameter `title` is required"))?
        .to_string();
    match principal {
        Principal::Owner(owner) => {
            let idx = owner.records.title_index(&title);
            let mut rows = ctx.store.db().entries_by_title(owner.id(), &idx)?;
            if rows.len() > 1 {
                let ev = owner_event(ctx, "read", None, Outcome::Failure, Some("ambiguous_title"));
                auth::audit_alone(ctx, owner.id(), ev)?;
                return Err(ambiguous(&rows));
            }
            let row = rows.pop().ok_or_else(|| ApiError::not_found("entry"))?;
            owner_read(ctx, &owner, row)
        }
        Principal::Agent(agent) => {
            auth::gate(ctx, &agent, "read")?;
            let idx = agent.records.title_index(&title);
            // Entries the agent may not see stay invisible: they neither match nor count.
            let mut rows: Vec<EntryRow> = ctx
                .store
                .db()
                .entries_by_title(agent.vault_id(), &idx)?
                .into_iter()
                .filter(|r| visible(&agent, r))
                .collect();
            if rows.len() > 1 {
                let ev = agent_event(
                    ctx,
                    &agent.id,
                    "read",
                    None,
                    Outcome::Failure,
                    Some("ambiguous_title"),
                );
                auth::audit_alone(ctx, agent.vault_id(), ev)?;
                return Err(ambiguous(&rows));
            }
            agent_read(ctx, &agent, rows.pop(), None)
        }
    }
}

/// 409 CV-4020: the title matches several entries; the candidates (newest
/// first) carry ids and metadata only — no title, no value.
fn ambiguous(rows: &[EntryRow]) -> ApiError {
    let candidates: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "entry_id": r.entry_id.hex(),
                "type": r.entry_type,
                "scopes": scopes_from_column(&r.scopes),
                "created_by": creator_json(&r.created_by),
                "updated_at": rfc3339(r.updated_at),
            })
        })
        .collect();
    let mut e = ApiError::new(
        Code::AmbiguousTitle,
        format!(
            "ambiguous title: {} entries match; nothing was returned. Ask for one by its entry id (see `candidates`)",
            rows.len()
        ),
    );
    e.extra = Some(Box::new(("candidates", Value::Array(candidates))));
    e
}

fn owner_read(ctx: &mut Ctx<'_>, owner: &Owner, row: EntryRow) -> Result<Reply> {
    let doc = owner.records.open_entry(&row)?;
    let host = dest_host(ctx)?;
    if let Some(h) = host.as_deref().filter(|h| !doc.allows_host(h)) {
        let mut ev = owner_event(
            ctx,
            "read",
            Some(row.entry_id),
            Outcome::Denied,
            Some("host_denied"),
        );
        ev.host = Some(h.to_string());
        auth::audit_alone(ctx, owner.id(), ev)?;
        return Err(host_denied());
    }
    let mut ev = owner_event(ctx, "read", Some(row.entry_id), Outcome::Success, None);
    ev.host = host;
    let vault = *owner.id();
    let reply = entry_reply(&row, doc);
    ctx.release_after_audit(move |db| Ok(db.audit(&vault, &ev)?.with(reply)))
}

/// `?host=H` on an entry read (SPEC 13): the destination host the caller
/// will send a resolved value to. The read is refused unless the entry
/// allows that host, and the audit row records it.
fn dest_host(ctx: &Ctx<'_>) -> Result<Option<String>> {
    let Some(raw) = ctx.req.query("host") else {
        return Ok(None);
    };
    let host = crate::entry::bare_host(raw);
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if !ok {
        return Err(ApiError::new(
            Code::InvalidValue,
            "query parameter `host`: expected a host name or address, e.g. api.example.com",
        ));
    }
    Ok(Some(host))
}

fn host_denied() -> ApiError {
    ApiError::new(
        Code::HostNotAllowed,
        "destination host not allowed for this entry (its URLs' hosts and allowed_hosts decide)",
    )
}

fn visible(agent: &Agent, row: &EntryRow) -> bool {
    let scopes = scopes_from_column(&row.scopes);
    policy::agent_can_access(
        &agent.record,
        &EntryMeta {
            entry_type: &row.entry_type,
            scopes: &scopes,
            deleted: row.deleted,
        },
    )
}

/// An agent's read: policy, then rate limits, then the audit row, then — only
/// after it committed — the entry without any L3 field.
fn agent_read(
    ctx: &mut Ctx<'_>,
    agent: &Agent,
    row: Option<EntryRow>,
    asked: Option<EntryId>,
) -> Result<Reply> {
    let Some(row) = row.filter(|r| visible(agent, r)) else {
        let ev = agent_event(
            ctx,
            &agent.id,
            "read",
            asked,
            Outcome::Denied,
            Some("scope_denied"),
        );
        auth::audit_refused(ctx, agent.vault_id(), ev)?;
        return Err(ApiError::access_denied());
    };
    // Without L3 fields, not even as ciphertext: the type has no place for them.
    let doc = agent.records.open_entry(&row)?;
    let host = dest_host(ctx)?;
    if let Some(h) = host.as_deref().filter(|h| !doc.allows_host(h)) {
        let mut ev = agent_event(
            ctx,
            &agent.id,
            "read",
            Some(row.entry_id),
            Outcome::Denied,
            Some("host_denied"),
        );
        ev.host = Some(h.to_string());
        auth::audit_alone(ctx, agent.vault_id(), ev)?;
        return Err(host_denied());
    }
    let reply = entry_reply(&row, doc);
    let read = rate_limited_read(ctx, agent, &row.entry_id, host);
    // Every possible answer is built here, so the committer's job only
    // picks one: it calls records, policy and the store, nothing above.
    let mut limited = ApiError::new(Code::ReadRateLimited, "rate limit: too many distinct credentials read; slow down (a second violation locks this agent)");
    limited.retry_after = Some(60);
    let (limited, locked) = (limited.reply(), auth::locked().reply());
    ctx.release_after_audit(move |tx| {
        Ok(read.decide(tx)?.map(|decision| match decision {
            RateDecision::Allow => reply,
            RateDecision::Violation => limited,
            RateDecision::Lock => locked,
        }))
    })
}

/// The rate decision and its audit row ([`AgentRead`]), run by the
/// committer inside its batch transaction.
fn rate_limited_read(
    ctx: &Ctx<'_>,
    agent: &Agent,
    entry: &EntryId,
    host: Option<String>,
) -> AgentRead {
    let entry = *entry;
    let mut success = agent_event(ctx, &agent.id, "read", Some(entry), Outcome::Success, None);
    success.host.clone_from(&host);
    let mut limited = agent_event(
        ctx,
        &agent.id,
        "read",
        Some(entry),
        Outcome::Denied,
        Some("rate_limited"),
    );
    limited.host.clone_from(&host);
    let locked = agent_event(
        ctx,
        &agent.id,
        "read",
        Some(entry),
        Outcome::Denied,
        Some("agent_locked"),
    );
    AgentRead {
        records: agent.records.clone(),
        agent: agent.id,
        entry,
        lockdown_window: ctx.config.agents.lockdown_window,
        loaded: (agent.record_row.clone(), agent.record.clone()),
        success,
        limited,
        locked,
    }
}

fn if_match(ctx: &Ctx<'_>) -> Result<i64> {
    let raw = ctx.req.header("if-match").ok_or_else(|| {
        ApiError::new(
            Code::BadIfMatch,
            "If-Match header required: send the entry's current version (its ETag)",
        )
    })?;
    raw.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| {
            ApiError::new(
                Code::BadIfMatch,
                "If-Match: expected the entry version, e.g. \"3\"",
            )
        })
}

/// PUT /api/v1/entries/{id} with If-Match — the owner; an agent with
/// `can_write` for an entry it created, kept within its own scopes.
pub fn replace(ctx: &mut Ctx<'_>, principal: Principal, id: &str) -> Result<Reply> {
    let id = entry_param(id)?;
    match principal {
        Principal::Owner(owner) => {
            let (version, input) = replacement(ctx, &id)?;
            owner_replace(ctx, &owner, id, version, input)
        }
        Principal::Agent(agent) => agent_replace(ctx, &agent, id),
    }
}

/// The If-Match version and the body of a replace, checked against the URL's id.
fn replacement(ctx: &Ctx<'_>, id: &EntryId) -> Result<(i64, EntryInput)> {
    let version = if_match(ctx)?;
    let input: EntryInput = parse_body(ctx.req)?;
    if input.entry_id.as_deref().is_some_and(|b| b != id.hex()) {
        return Err(ApiError::new(
            Code::InvalidValue,
            "entry_id: does not match the URL",
        ));
    }
    Ok((version, input))
}

fn owner_replace(
    ctx: &mut Ctx<'_>,
    owner: &Owner,
    id: EntryId,
    version: i64,
    input: EntryInput,
) -> Result<Reply> {
    let current = ctx
        .store
        .db()
        .entry(owner.id(), &id)?
        .filter(is_credential)
        .ok_or_else(|| ApiError::not_found("entry"))?;
    let created = owner.records.open_entry(&current)?.created_at;
    let now = now_ms();
    let valid = validate(input, "", &created, &rfc3339(now))?;
    // The creator stays: replacing an agent's entry does not make it the owner's.
    let row = owner
        .records
        .entry_row(id, valid, current.created_by, current.created_at, now);
    let ev = owner_event(ctx, "update", Some(id), Outcome::Success, None);
    save_replacement(ctx, owner.id(), row, version, ev, now)
}

/// An agent's edit. The entry must be one the agent can see and created,
/// and the agent must have `can_write`, before the request itself is even
/// read; then the new scopes must be its own and no field L3. Every refusal
/// is the same audited 403, so an agent learns nothing about entries it
/// cannot edit. L3 fields never reach an agent, so the entry's current L3
/// fields are carried over unchanged.
fn agent_replace(ctx: &mut Ctx<'_>, agent: &Agent, id: EntryId) -> Result<Reply> {
    auth::gate(ctx, agent, "update")?;
    let current =
        ctx.store.db().entry(agent.vault_id(), &id)?.filter(|r| {
            agent.record.can_write && visible(agent, r) && created_by_agent(r, &agent.id)
        });
    let Some(current) = current else {
        return Err(refuse_update(ctx, agent, id)?);
    };
    let (version, input) = replacement(ctx, &id)?;
    let edit = agent.records.open_for_edit(current)?;
    let now = now_ms();
    let valid = validate(input, "", &edit.created_at, &rfc3339(now))?;
    let l3 = valid.doc.fields.iter().any(|f| f.tier == Tier::L3);
    if l3 || !policy::agent_can_write_into(&agent.record, &valid.scopes) {
        return Err(refuse_update(ctx, agent, id)?);
    }
    // The entry's L3 fields, which the agent never saw, are kept as they are.
    let row = edit.replace(valid, now);
    let ev = agent_event(ctx, &agent.id, "update", Some(id), Outcome::Success, None);
    save_replacement(ctx, agent.vault_id(), row, version, ev, now)
}

/// Audits a refused agent edit; the 403 to answer with (or the audit failure).
fn refuse_update(ctx: &mut Ctx<'_>, agent: &Agent, id: EntryId) -> Result<ApiError> {
    let ev = agent_event(
        ctx,
        &agent.id,
        "update",
        Some(id),
        Outcome::Denied,
        Some("scope_denied"),
    );
    auth::audit_alone(ctx, agent.vault_id(), ev)?;
    Ok(ApiError::access_denied())
}

/// True if this agent created the entry (the owner's entries and other
/// agents' are never an agent's to change).
fn created_by_agent(row: &EntryRow, agent: &EntryId) -> bool {
    row.created_by == Creator::Agent(*agent)
}

/// Writes a replacement under If-Match with its audit row; 409 on a stale version.
fn save_replacement(
    ctx: &mut Ctx<'_>,
    vault: &VaultId,
    row: NewEntry,
    version: i64,
    ev: crate::vault::AuditEvent,
    now: i64,
) -> Result<Reply> {
    let id = row.entry_id;
    let new_version = ctx.store.write(|db| {
        let v = db.replace_entry(vault, &row, version)?;
        Ok::<_, ApiError>(db.audit(vault, &ev)?.with(v))
    })?;
    Ok(Reply::json(
        200,
        &json!({"entry_id": id.hex(), "version": new_version, "updated_at": rfc3339(now)}),
    )
    .with_header("ETag", format!("\"{new_version}\"")))
}

/// DELETE /api/v1/entries/{id} — owner only; soft delete.
pub fn delete(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let id = entry_param(id)?;
    if ctx
        .store
        .db()
        .entry(owner.id(), &id)?
        .filter(is_credential)
        .is_none()
    {
        return Err(ApiError::not_found("entry"));
    }
    let ev = owner_event(ctx, "delete", Some(id), Outcome::Success, None);
    let version = ctx.store.write(|db| {
        let v = db.delete_entry(owner.id(), &id)?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(v))
    })?;
    Ok(Reply::json(
        200,
        &json!({"entry_id": id.hex(), "version": version, "deleted": true}),
    ))
}
