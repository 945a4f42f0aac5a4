//! Owner sessions: proof of K_auth and the vault's L1 key in, a sealed
//! wire token out (made by `records`, which alone handles that key).

use serde::Deserialize;
use serde_json::json;

use super::auth::{owner_event, Owner};
use super::error::Code;
use super::{parse_body, rfc3339, ApiError, Ctx, Result};
use crate::crypto::{ct_eq, sha256, unb64, Key32};
use crate::http::Reply;
use crate::ids::VaultId;
use crate::records::{self, Records};
use crate::vault::Outcome;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionRequest {
    vault_id: String,
    /// B64(K_auth)
    owner_auth: String,
    /// B64 of the vault's L1 key (SPEC section 3).
    l1: String,
}

fn key_field(name: &str, b64: &str) -> Result<Key32> {
    let bytes = unb64(b64).map_err(|_| {
        ApiError::new(
            Code::InvalidValue,
            format!("{name}: expected base64url without padding"),
        )
    })?;
    Key32::from_slice(&bytes).map_err(|_| {
        ApiError::new(
            Code::InvalidValue,
            format!("{name}: expected 32 bytes, got {}", bytes.len()),
        )
    })
}

/// The refusal of a wrong login or unlock proof, and of a decoy: one answer for all.
pub(super) fn wrong() -> ApiError {
    ApiError::new(
        Code::WrongCredentials,
        "wrong credentials for this vault (or no such vault)",
    )
}

/// POST /api/v1/session
pub fn create(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let body: SessionRequest = parse_body(ctx.req)?;
    // Parse the id first: the throttle keys on it, and only valid ids may take its memory.
    let vault_id = VaultId::parse(&body.vault_id)
        .map_err(|e| ApiError::new(Code::MalformedId, format!("vault_id: {e}")))?;
    let ip = ctx.req.peer.to_string();
    if let Some(wait) = ctx.app.throttle.blocked(&ip, &body.vault_id) {
        return Err(throttled(wait));
    }
    let k_auth = key_field("owner_auth", &body.owner_auth)?;
    let l1 = key_field("l1", &body.l1)?;

    let vault = ctx.store.db().vault(&vault_id)?;
    let ok = vault.as_ref().is_some_and(|v| {
        // Both checks always run, so timing does not say which one failed.
        let auth_ok = ct_eq(&sha256(k_auth.expose()), &v.owner_verifier);
        let l1_ok = records::key_matches(&l1, v);
        auth_ok & l1_ok
    });
    let exists = vault.is_some();
    let Some(vault) = vault.filter(|_| ok) else {
        ctx.app.throttle.fail(&ip, &body.vault_id);
        log::info!("failed owner login for vault {vault_id} from {ip}");
        if exists {
            let ev = owner_event(
                ctx,
                "session",
                None,
                Outcome::Denied,
                Some("wrong_credentials"),
            );
            super::auth::audit_alone(ctx, &vault_id, ev)?;
        } else {
            // An unknown vault costs the same fsynced write as a real one's
            // audit row, so timing does not tell them apart (issue 12).
            let bucket = crate::crypto::sha256(vault_id.bytes())[0];
            // The same group commit a real vault's audit row goes through.
            let ip = ip.to_string();
            ctx.audited(move |tx| tx.note_decoy_attempt(bucket, &ip))
                .map_err(|_| super::auth::audit_unavailable())?;
        }
        return Err(wrong());
    };
    let ev = owner_event(ctx, "session", None, Outcome::Success, None);
    super::auth::audit_alone(ctx, &vault_id, ev)?;

    let now = unix_now();
    let expires_at = now + ctx.config.session_ttl.as_secs();
    let token = Records::new(vault.vault_id, l1).owner_token(
        &ctx.app.keyring(),
        vault.session_generation,
        now,
        expires_at,
    );
    Ok(Reply::json(
        201,
        &json!({"token": token, "expires_at": rfc3339(expires_at as i64 * 1000)}),
    ))
}

/// 429 for a throttled login or unlock attempt.
pub(super) fn throttled(wait: u64) -> ApiError {
    let mut e = ApiError::new(
        Code::LoginThrottled,
        format!("too many failed attempts; retry in {wait} s"),
    );
    e.retry_after = Some(wait);
    e
}

/// POST /api/v1/session/revoke-all
pub fn revoke_all(ctx: &mut Ctx<'_>, owner: Owner) -> Result<Reply> {
    let ev = owner_event(ctx, "revoke_all", None, Outcome::Success, None);
    let generation = ctx.store.write(|db| {
        let g = db.bump_session_generation(owner.id())?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(g))
    })?;
    log::info!("vault {}: all owner sessions revoked", owner.id());
    Ok(Reply::json(200, &json!({"session_generation": generation})))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
