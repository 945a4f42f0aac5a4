//! Entry routes. The server seals and opens the whole document with K1
//! from the caller's token; L2/L3 values inside stay client-sealed.

use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{require_owner, Owner};
use super::{parse_body, rfc3339, ApiError, Ctx, Result};
use crate::crypto::keys::{title_index, title_key};
use crate::crypto::seal::{self, Tier};
use crate::entry::{scopes_column, scopes_from_column, Document, EntryInput, ValidEntry};
use crate::http::Reply;
use crate::ids::{EntryId, VaultId};
use crate::vault::{now_ms, EntryRow, NewEntry};

const MAX_BATCH: usize = 1000;

fn entry_param(id: &str) -> Result<EntryId> {
    EntryId::parse(id).map_err(|e| ApiError::bad_request("CV-1003", format!("entry id: {e}")))
}

fn doc_aad(vault: &VaultId, entry: &EntryId) -> String {
    seal::field_aad(&vault.hex(), &entry.hex(), "doc", Tier::L1)
}

/// Seals a validated entry into a row.
fn seal_entry(owner: &Owner, id: EntryId, valid: ValidEntry, created_ms: i64, now_ms: i64) -> NewEntry {
    let plaintext = serde_json::to_vec(&valid.doc).expect("documents serialize");
    let doc = seal::seal(&owner.k1, Tier::L1, &doc_aad(owner.id(), &id), &plaintext);
    let idx = title_index(&title_key(&owner.k1, &owner.id().hex()), &valid.doc.title);
    NewEntry {
        entry_id: id,
        entry_type: valid.doc.entry_type.clone(),
        scopes: scopes_column(&valid.scopes),
        title_idx: idx,
        doc,
        created_at: created_ms,
        updated_at: now_ms,
    }
}

/// Opens a stored row's document.
fn open_doc(owner: &Owner, row: &EntryRow) -> Result<Document> {
    let plain = seal::open(&owner.k1, Tier::L1, &doc_aad(owner.id(), &row.entry_id), &row.doc).map_err(|_| {
        log::error!("entry {} of vault {} does not open with the session key", row.entry_id, owner.id());
        ApiError::internal()
    })?;
    serde_json::from_slice(&plain).map_err(|_| {
        log::error!("entry {} of vault {} holds an unreadable document", row.entry_id, owner.id());
        ApiError::internal()
    })
}

fn full_json(row: &EntryRow, doc: Document) -> Value {
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
    })
}

fn entry_reply(row: &EntryRow, doc: Document) -> Reply {
    Reply::json(200, &full_json(row, doc)).with_header("ETag", format!("\"{}\"", row.version))
}

/// Validates an input for `id`, with its error paths prefixed by `at`.
fn validate(input: EntryInput, at: &str, created: &str, now: &str) -> Result<ValidEntry> {
    input.validate(created, now).map_err(|e| {
        let path = if at.is_empty() { e.at } else { format!("{at}.{}", e.at) };
        ApiError::bad_request("CV-1004", format!("{path}: {}", e.problem))
    })
}

fn required_id(input: &EntryInput, at: &str) -> Result<EntryId> {
    let raw = input.entry_id.as_deref().ok_or_else(|| {
        ApiError::bad_request("CV-1004", format!("{at}entry_id: required (the client picks it before sealing L2/L3 values)"))
    })?;
    EntryId::parse(raw).map_err(|e| ApiError::bad_request("CV-1003", format!("{at}entry_id: {e}")))
}

/// POST /api/v1/entries
pub fn create(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let input: EntryInput = parse_body(ctx.req)?;
    let id = required_id(&input, "")?;
    let now = now_ms();
    let valid = validate(input, "", &rfc3339(now), &rfc3339(now))?;
    let row = seal_entry(&owner, id, valid, now, now);
    ctx.store.insert_entry(owner.id(), &row)?;
    Ok(Reply::json(201, &json!({"entry_id": id.hex(), "version": 1, "created_at": rfc3339(now), "updated_at": rfc3339(now)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    entries: Vec<EntryInput>,
}

/// POST /api/v1/entries/batch — all or nothing.
pub fn batch(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let body: Batch = parse_body(ctx.req)?;
    if body.entries.is_empty() || body.entries.len() > MAX_BATCH {
        return Err(ApiError::bad_request("CV-1004", format!("entries: expected 1 to {MAX_BATCH} entries, got {}", body.entries.len())));
    }
    let now = now_ms();
    let stamp = rfc3339(now);
    let mut rows = Vec::with_capacity(body.entries.len());
    for (i, input) in body.entries.into_iter().enumerate() {
        let at = format!("entries[{i}]");
        let id = required_id(&input, &format!("{at}."))?;
        if rows.iter().any(|r: &NewEntry| r.entry_id == id) {
            return Err(ApiError::bad_request("CV-1004", format!("{at}.entry_id: duplicate within the batch")));
        }
        let valid = validate(input, &at, &stamp, &stamp)?;
        rows.push(seal_entry(&owner, id, valid, now, now));
    }
    ctx.store.insert_entries(owner.id(), &rows)?;
    let created: Vec<Value> = rows.iter().map(|r| json!({"entry_id": r.entry_id.hex(), "version": 1})).collect();
    Ok(Reply::json(201, &json!({"count": created.len(), "created": created})))
}

/// GET /api/v1/entries[?q=&type=] — owner summaries.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let q = ctx.req.query("q").map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let t = ctx.req.query("type").filter(|s| !s.is_empty());
    let mut out = Vec::new();
    for row in ctx.store.entries(owner.id())? {
        if t.is_some_and(|t| t != row.entry_type) {
            continue;
        }
        let doc = open_doc(&owner, &row)?;
        if let Some(q) = &q {
            let hay = [doc.title.as_str(), doc.folder.as_str()].into_iter().chain(doc.urls.iter().map(String::as_str));
            if !hay.into_iter().any(|s| s.to_lowercase().contains(q.as_str())) {
                continue;
            }
        }
        out.push(json!({
            "entry_id": row.entry_id.hex(),
            "type": doc.entry_type,
            "title": doc.title,
            "urls": doc.urls,
            "folder": doc.folder,
            "favorite": doc.favorite,
            "scopes": scopes_from_column(&row.scopes),
            "version": row.version,
            "updated_at": doc.updated_at,
        }));
    }
    Ok(Reply::json(200, &json!({"entries": out})))
}

fn live_row(ctx: &Ctx<'_>, owner: &Owner, id: &EntryId) -> Result<EntryRow> {
    ctx.store.entry(owner.id(), id)?.filter(|r| !r.deleted).ok_or_else(|| ApiError::not_found("entry"))
}

/// GET /api/v1/entries/{id}
pub fn get(ctx: &mut Ctx<'_>, id: &str) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let id = entry_param(id)?;
    let row = live_row(ctx, &owner, &id)?;
    let doc = open_doc(&owner, &row)?;
    Ok(entry_reply(&row, doc))
}

/// GET /api/v1/entries/lookup?title=T — exact title through the blind index.
pub fn lookup(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let title = ctx.req.query("title").ok_or_else(|| ApiError::bad_request("CV-1004", "query parameter `title` is required"))?;
    let idx = title_index(&title_key(&owner.k1, &owner.id().hex()), title);
    let row = ctx.store.entries_by_title(owner.id(), &idx)?.into_iter().next().ok_or_else(|| ApiError::not_found("entry"))?;
    let doc = open_doc(&owner, &row)?;
    Ok(entry_reply(&row, doc))
}

fn if_match(ctx: &Ctx<'_>) -> Result<i64> {
    let raw = ctx.req.header("if-match").ok_or_else(|| {
        ApiError::bad_request("CV-1020", "If-Match header required: send the entry's current version (its ETag)")
    })?;
    raw.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| ApiError::bad_request("CV-1020", "If-Match: expected the entry version, e.g. \"3\""))
}

/// PUT /api/v1/entries/{id} with If-Match.
pub fn replace(ctx: &mut Ctx<'_>, id: &str) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let id = entry_param(id)?;
    let version = if_match(ctx)?;
    let input: EntryInput = parse_body(ctx.req)?;
    if input.entry_id.as_deref().is_some_and(|b| b != id.hex()) {
        return Err(ApiError::bad_request("CV-1004", "entry_id: does not match the URL"));
    }
    let current = live_row(ctx, &owner, &id)?;
    let created = open_doc(&owner, &current)?.created_at;
    let now = now_ms();
    let valid = validate(input, "", &created, &rfc3339(now))?;
    let row = seal_entry(&owner, id, valid, current.created_at, now);
    let new_version = ctx.store.replace_entry(owner.id(), &row, version)?;
    Ok(Reply::json(200, &json!({"entry_id": id.hex(), "version": new_version, "updated_at": rfc3339(now)}))
        .with_header("ETag", format!("\"{new_version}\"")))
}

/// DELETE /api/v1/entries/{id} — soft delete.
pub fn delete(ctx: &mut Ctx<'_>, id: &str) -> Result<Reply> {
    let owner = require_owner(ctx)?;
    let id = entry_param(id)?;
    let version = ctx.store.delete_entry(owner.id(), &id)?;
    Ok(Reply::json(200, &json!({"entry_id": id.hex(), "version": version, "deleted": true})))
}
