//! Who is calling: turns the `Authorization: Bearer cvt0.…` header into a
//! [`Principal`], or refuses with 401.

use super::{ApiError, Ctx, Result};
use crate::crypto::keys;
use crate::crypto::token::{self, PrincipalKind};
use crate::crypto::{ct_eq, Key32};
use crate::ids::VaultId;
use crate::vault::VaultRow;

/// The vault owner, with the vault row and K1.
pub struct Owner {
    pub vault: VaultRow,
    pub k1: Key32,
}

impl Owner {
    pub fn id(&self) -> &VaultId {
        &self.vault.vault_id
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn invalid() -> ApiError {
    ApiError::new(401, "CV-2002", "invalid token: it does not open, or its vault no longer exists")
}

/// Owner-only routes. Checks the bearer token: it opens, is unexpired, its
/// vault exists, its K1 matches the vault, and its generation is current.
/// Agents get the same 403 as for anything else they may not see.
pub fn require_owner(ctx: &Ctx<'_>) -> Result<Owner> {
    let header = ctx.req.header("authorization").ok_or_else(|| {
        ApiError::new(401, "CV-2001", "missing token: send `Authorization: Bearer <token>`")
    })?;
    // The scheme name is case-insensitive (RFC 9110 section 11.1).
    let raw = match header.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => return Err(ApiError::new(401, "CV-2001", "malformed Authorization header: expected `Bearer <token>`")),
    };
    let claims = token::open_token(&ctx.app.keyring(), raw).map_err(|_| invalid())?;
    if claims.expires_at != 0 && claims.expires_at <= unix_now() {
        return Err(ApiError::new(401, "CV-2003", "token expired: log in again"));
    }
    let vault_id = VaultId::from_bytes(claims.vault_id);
    let vault = ctx.store.vault(&vault_id)?.ok_or_else(invalid)?;
    if !ct_eq(&keys::l1_check(&claims.k1), &vault.l1_check) {
        return Err(invalid());
    }
    match claims.kind {
        PrincipalKind::Owner => {
            if claims.generation != vault.session_generation {
                return Err(ApiError::new(401, "CV-2004", "session revoked (logged out everywhere): log in again"));
            }
            Ok(Owner { vault, k1: claims.k1.clone() })
        }
        PrincipalKind::Agent => Err(ApiError::access_denied()),
    }
}
