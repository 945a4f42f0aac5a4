//! The backup's side: `POST /api/v1/replication/apply`, and refusing
//! client writes and agent requests with `503 CV-5030` and
//! `X-Primary-Location`.

use serde_json::json;

use super::auth::{self, NonceCache};
use super::rows::{self, ApplyError};
use super::settings::{Role, Settings};
use super::wire::Batch;
use crate::api::ApiError;
use crate::crypto::Keyring;
use crate::error_code::Code;
use crate::http::{Method, Reply, Req};
use crate::vault::Store;

/// True for `/api/v1/replication/apply`.
pub fn is_apply_route(req: &Req) -> bool {
    matches!(req.path().as_slice(), ["api", "v1", "replication", "apply"])
}

/// A client request that would change data. On a backup these are refused;
/// reads and logins (`POST /api/v1/session` and the unlock proof
/// `POST …/unlock/{method}/open`, which change no vault data; their audit
/// rows join the backup's own chain) are served.
pub fn is_client_write(req: &Req) -> bool {
    let path = req.path();
    let api = matches!(path.as_slice(), ["api", "v1", ..]);
    let login = matches!(
        path.as_slice(),
        ["api", "v1", "session"] | ["api", "v1", "vaults", _, "unlock", _, "open"]
    );
    api && !login && matches!(req.method, Method::Post | Method::Put | Method::Delete)
}

/// `503 CV-5030` for a client write, pointing at the primary.
pub fn refuse_write(s: &Settings) -> Reply {
    backup_unavailable(
        s,
        "this POP is a read-only backup; send writes to the primary",
    )
    .reply()
}

/// `503 CV-5030` for any request made with an agent token. An agent's reads
/// change its rate-limit state and may lock it; that state lives in its
/// record, which only the primary writes (a backup's own write could win
/// last-write-wins against the primary's rotate or delete).
pub fn refuse_agent(s: &Settings) -> ApiError {
    backup_unavailable(
        s,
        "this POP is a backup; agents are served by the primary only",
    )
}

/// `503 CV-5030` with `X-Primary-Location: <primary url>`, or without the
/// header when this backup's file names no primary.
fn backup_unavailable(s: &Settings, what: &str) -> ApiError {
    match s.primary.as_ref() {
        Some(p) => ApiError::new(Code::ReadOnlyBackup, format!("{what} (X-Primary-Location)"))
            .with_header("X-Primary-Location", p.url.clone()),
        None => ApiError::new(
            Code::ReadOnlyBackup,
            format!("{what}; this backup's replication.yaml names no primary_pop"),
        ),
    }
}

/// Handles an apply request.
pub fn handle(
    req: &Req,
    store: &mut Store,
    s: &Settings,
    ring: &Keyring,
    nonces: &NonceCache,
) -> Reply {
    match apply(req, store, s, ring, nonces) {
        Ok(reply) => reply,
        Err(e) => e.reply(),
    }
}

fn apply(
    req: &Req,
    store: &mut Store,
    s: &Settings,
    ring: &Keyring,
    nonces: &NonceCache,
) -> Result<Reply, ApiError> {
    if req.method != Method::Post {
        let mut e = ApiError::new(
            Code::MethodNotAllowed,
            "method not allowed; this route accepts POST",
        );
        e.allow = Some("POST");
        return Err(e);
    }
    if s.role != Role::Backup {
        return Err(ApiError::new(
            Code::ReplicationToPrimary,
            format!(
                "POP {} is a primary and does not accept replication batches",
                s.pop_id
            ),
        ));
    }
    let now = super::super::unix_now();
    let pop = auth::verify(
        req.header("authorization"),
        &req.body,
        &s.key,
        s.primary.as_ref().map(|p| p.id.as_str()),
        now,
        nonces,
    )
    .map_err(|e| {
        let (code, message) = e.describe();
        log::warn!("replication apply refused from {}: {message}", req.peer);
        ApiError::new(code, message)
    })?;
    if pop == s.pop_id {
        // Only possible without `primary_pop`: a batch in this POP's own name.
        let (code, message) = auth::AuthError::UnknownPop.describe();
        return Err(ApiError::new(code, message));
    }
    let mut batch: Batch =
        serde_json::from_slice(&req.body).map_err(|e| crate::api::error::json_error(&e))?;
    if batch.pop_id != pop {
        return Err(ApiError::new(
            Code::InvalidValue,
            "pop_id: does not match the signing POP",
        ));
    }
    // Unlock material arrives sealed for transit; it is kept sealed with this POP's keyring.
    let transit = crate::crypto::rest::transit_key(s.key.expose());
    let done = rows::seal_for_rest(&mut batch.records, ring, &transit)
        .and_then(|()| rows::apply(store, &batch.records))
        .map_err(|e| match e {
            ApplyError::Invalid(m) => ApiError::new(Code::InvalidValue, m),
            ApplyError::Conflict(m) => ApiError::new(
                Code::ReplicationConflict,
                format!("replication conflict: {m}"),
            ),
            ApplyError::Store(e) => ApiError::from(e),
        })?;
    log::debug!(
        "replication apply: {} records from {pop}: {} applied, {} already here",
        batch.records.len(),
        done.applied,
        done.skipped
    );
    Ok(Reply::json(
        200,
        &json!({"applied": done.applied, "skipped": done.skipped}),
    ))
}
