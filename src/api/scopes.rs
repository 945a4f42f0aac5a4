//! Owner routes for scopes: named four-digit ids that entries carry and
//! agents are granted. Scopes are `scope` system entries; the id is also
//! kept in the row's plaintext `scopes` column so ids are never reused.

use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{owner_event, Owner};
use super::error::Code;
use super::{parse_body, rfc3339, ApiError, Ctx, Result};
use crate::crypto::GenerateId;
use crate::http::Reply;
use crate::ids::{EntryId, ScopeId};
use crate::policy::ScopeRecord;
use crate::vault::{now_ms, EntryRow, Outcome};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeInput {
    name: String,
}

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 64 || n.chars().any(char::is_control) {
        return Err(ApiError::new(
            Code::InvalidValue,
            "name: expected 1 to 64 printable characters",
        ));
    }
    Ok(n.to_string())
}

/// Live scopes of the owner's vault, with their rows.
fn live(ctx: &Ctx<'_>, owner: &Owner) -> Result<Vec<(EntryRow, ScopeRecord)>> {
    let rows = ctx.store.db().system_entries(owner.id(), "scope")?;
    rows.into_iter()
        .map(|row| {
            let record = owner.records.open_record(&row)?;
            Ok((row, record))
        })
        .collect()
}

/// The ids of the vault's live scopes.
pub fn scope_ids(ctx: &Ctx<'_>, owner: &Owner) -> Result<Vec<ScopeId>> {
    Ok(live(ctx, owner)?
        .into_iter()
        .map(|(_, r)| r.scope_id)
        .collect())
}

fn scope_json(r: &ScopeRecord) -> Value {
    json!({"scope_id": r.scope_id, "name": r.name, "created_at": r.created_at})
}

fn duplicate(
    existing: &[(EntryRow, ScopeRecord)],
    name: &str,
    except: Option<ScopeId>,
) -> Result<()> {
    if existing
        .iter()
        .any(|(_, r)| r.name.to_lowercase() == name.to_lowercase() && Some(r.scope_id) != except)
    {
        return Err(ApiError::new(
            Code::ScopeNameTaken,
            format!("a scope named {name:?} exists"),
        ));
    }
    Ok(())
}

/// GET /api/v1/scopes
pub fn list(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let scopes: Vec<Value> = live(ctx, &owner)?
        .iter()
        .map(|(_, r)| scope_json(r))
        .collect();
    Ok(Reply::json(200, &json!({"scopes": scopes})))
}

/// POST /api/v1/scopes — allocates the next free id.
pub fn create(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let input: ScopeInput = parse_body(ctx.req)?;
    let name = check_name(&input.name)?;
    let ev_id = EntryId::generate();
    let ev = owner_event(ctx, "scope_create", Some(ev_id), Outcome::Success, None);
    let existing = live(ctx, &owner)?;
    duplicate(&existing, &name, None)?;
    let now = now_ms();
    let record = ctx.store.write(|db| {
        let next = db
            .max_scope_id(owner.id())?
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0)
            + 1;
        let Some(scope_id) = ScopeId::from_number(next) else {
            return Err(ApiError::new(
                Code::ScopeIdsExhausted,
                "all 9999 scope ids of this vault are used",
            ));
        };
        let record = ScopeRecord {
            scope_id,
            name: name.clone(),
            created_at: rfc3339(now),
        };
        db.insert_entry(owner.id(), &owner.records.scope_row(ev_id, &record, now))?;
        Ok(db.audit(owner.id(), &ev)?.with(record))
    })?;
    Ok(Reply::json(201, &scope_json(&record)))
}

fn find(ctx: &Ctx<'_>, owner: &Owner, id: &str) -> Result<(EntryRow, ScopeRecord)> {
    let id = ScopeId::parse(id)
        .map_err(|e| ApiError::new(Code::MalformedId, format!("scope id: {e}")))?;
    live(ctx, owner)?
        .into_iter()
        .find(|(_, r)| r.scope_id == id)
        .ok_or_else(|| ApiError::new(Code::NoSuchScope, "no such scope"))
}

/// PUT /api/v1/scopes/{id} — rename.
pub fn rename(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let input: ScopeInput = parse_body(ctx.req)?;
    let name = check_name(&input.name)?;
    let (row, mut record) = find(ctx, &owner, id)?;
    duplicate(&live(ctx, &owner)?, &name, Some(record.scope_id))?;
    record.name = name;
    let new = owner
        .records
        .scope_row(row.entry_id, &record, row.created_at);
    let ev = owner_event(
        ctx,
        "scope_update",
        Some(row.entry_id),
        Outcome::Success,
        None,
    );
    ctx.store.write(|db| {
        db.replace_entry(owner.id(), &new, row.version)?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(()))
    })?;
    Ok(Reply::json(200, &scope_json(&record)))
}

/// DELETE /api/v1/scopes/{id} — entries keep the id; agents can no longer be granted it.
pub fn delete(ctx: &mut Ctx<'_>, owner: Owner, id: &str) -> Result<Reply> {
    let (row, record) = find(ctx, &owner, id)?;
    let ev = owner_event(
        ctx,
        "scope_delete",
        Some(row.entry_id),
        Outcome::Success,
        None,
    );
    ctx.store.write(|db| {
        db.delete_entry(owner.id(), &row.entry_id)?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(()))
    })?;
    Ok(Reply::json(
        200,
        &json!({"scope_id": record.scope_id, "deleted": true}),
    ))
}
