//! Vault creation and the owner's management of unlock methods (wrapped
//! copies of the master secret and the verifiers of their unlock proofs,
//! sealed at rest with the POP keyring before they reach the store). The
//! public unlock steps are in `unlock.rs`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::{owner_event, Owner};
use super::error::Code;
use super::{parse_body, rfc3339, ApiError, Ctx, Result};
use crate::config::Registration;
use crate::crypto::unlock::{self, PASSPHRASE_MIN_ITERATIONS, WRAPPED_MASTER_FORMAT};
use crate::crypto::{ct_eq, sha256, unb64, Keyring};
use crate::http::Reply;
use crate::ids::VaultId;
use crate::records::unlock as unlock_material;
use crate::vault::{NewVault, Outcome, UnlockMethodRow};

/// How the client derives the key-encryption key for an unlock method.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "alg", deny_unknown_fields)]
pub(super) enum Kdf {
    #[serde(rename = "pbkdf2-sha256")]
    Pbkdf2 { salt: String, iterations: u32 },
    #[serde(rename = "hkdf-sha256")]
    Hkdf {},
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum MethodKind {
    Passphrase,
    Recovery,
    Passkey,
}

impl MethodKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            MethodKind::Passphrase => "passphrase",
            MethodKind::Recovery => "recovery",
            MethodKind::Passkey => "passkey",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnlockInput {
    #[serde(default)]
    method_id: Option<String>,
    kind: MethodKind,
    kdf: Kdf,
    wrapped: String,
    /// B64(SHA-256(unlock_proof)) (SPEC section 3, v1.1).
    verifier: String,
}

/// An unlock method as the client sent it, checked; sealed at rest by [`CheckedUnlock::row`].
struct CheckedUnlock {
    method_id: String,
    kind: MethodKind,
    kdf: Kdf,
    wrapped: String,
    verifier: Vec<u8>,
}

impl CheckedUnlock {
    /// The row to store: `wrapped` and `verifier` sealed with the keyring.
    fn row(&self, ring: &Keyring, vault: &VaultId) -> UnlockMethodRow {
        unlock_material::method_row(
            ring,
            vault,
            &self.method_id,
            self.kind.as_str(),
            serde_json::to_string(&self.kdf).expect("kdf serializes"),
            &self.wrapped,
            &self.verifier,
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateVault {
    vault_id: String,
    #[serde(default)]
    handle: Option<String>,
    owner_verifier: String,
    l1_check: String,
    unlock: Vec<UnlockInput>,
    #[serde(default)]
    setup_token: Option<String>,
}

/// Handles are compared case-insensitively (they are usually e-mail addresses).
pub fn normalize_handle(h: &str) -> std::result::Result<String, String> {
    let h = h.trim().to_lowercase();
    if h.is_empty() || h.chars().count() > 254 || h.chars().any(char::is_control) {
        return Err("handle: expected 1 to 254 printable characters".into());
    }
    Ok(h)
}

pub(super) fn bytes32(name: &str, b64s: &str) -> Result<Vec<u8>> {
    match unb64(b64s) {
        Ok(b) if b.len() == 32 => Ok(b),
        Ok(b) => Err(ApiError::new(
            Code::InvalidValue,
            format!("{name}: expected 32 bytes, got {}", b.len()),
        )),
        Err(_) => Err(ApiError::new(
            Code::InvalidValue,
            format!("{name}: expected base64url without padding"),
        )),
    }
}

/// Checks one unlock method; `at` names it in errors.
fn check_unlock(input: UnlockInput, path_id: Option<&str>, at: &str) -> Result<CheckedUnlock> {
    let bad = |m: String| ApiError::new(Code::InvalidValue, format!("{at}: {m}"));
    let method_id = match (path_id, &input.method_id) {
        (Some(p), Some(b)) if p != b => {
            return Err(bad(format!(
                "method_id {b:?} does not match the URL ({p:?})"
            )))
        }
        (Some(p), _) => p.to_string(),
        (None, Some(b)) => b.clone(),
        (None, None) => return Err(bad("method_id is required".into())),
    };
    match (input.kind, &input.kdf) {
        (MethodKind::Passphrase, Kdf::Pbkdf2 { salt, iterations }) => {
            if method_id != "passphrase" {
                return Err(bad(
                    "a passphrase method must have method_id \"passphrase\"".into(),
                ));
            }
            if *iterations < PASSPHRASE_MIN_ITERATIONS {
                return Err(bad(format!("kdf.iterations: expected at least {PASSPHRASE_MIN_ITERATIONS}, got {iterations}")));
            }
            match unb64(salt) {
                Ok(s) if (16..=64).contains(&s.len()) => {}
                _ => {
                    return Err(bad(
                        "kdf.salt: expected 16 to 64 bytes, base64url without padding".into(),
                    ))
                }
            }
        }
        (MethodKind::Recovery, Kdf::Hkdf {}) => {
            if method_id != "recovery" {
                return Err(bad(
                    "a recovery method must have method_id \"recovery\"".into()
                ));
            }
        }
        (MethodKind::Passkey, Kdf::Hkdf {}) => match unb64(&method_id) {
            Ok(id) if !id.is_empty() && id.len() <= 1023 => {}
            _ => {
                return Err(bad(
                    "a passkey method_id is the credential id, base64url without padding".into(),
                ))
            }
        },
        (kind, _) => {
            let expected = if kind == MethodKind::Passphrase {
                "pbkdf2-sha256"
            } else {
                "hkdf-sha256"
            };
            return Err(bad(format!(
                "kdf.alg: a {} method uses {expected}",
                kind.as_str()
            )));
        }
    }
    if !unlock::is_wrapped_master(&input.wrapped) {
        return Err(bad(format!(
            "wrapped: expected {WRAPPED_MASTER_FORMAT} (the sealed 32-byte master secret)"
        )));
    }
    let verifier = bytes32(&format!("{at}: verifier"), &input.verifier)?;
    Ok(CheckedUnlock {
        method_id,
        kind: input.kind,
        kdf: input.kdf,
        wrapped: input.wrapped,
        verifier,
    })
}

/// POST /api/v1/vaults
pub fn create(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let body: CreateVault = parse_body(ctx.req)?;
    let vault_id = VaultId::parse(&body.vault_id)
        .map_err(|e| ApiError::new(Code::MalformedId, format!("vault_id: {e}")))?;
    let handle = body
        .handle
        .as_deref()
        .map(normalize_handle)
        .transpose()
        .map_err(|m| ApiError::new(Code::InvalidValue, m))?;
    let owner_verifier = bytes32("owner_verifier", &body.owner_verifier)?;
    let l1_check = bytes32("l1_check", &body.l1_check)?;
    if body.unlock.is_empty() || body.unlock.len() > 16 {
        return Err(ApiError::new(
            Code::InvalidValue,
            "unlock: expected 1 to 16 unlock methods",
        ));
    }
    let ring = ctx.app.keyring();
    let mut unlock = Vec::with_capacity(body.unlock.len());
    for (i, u) in body.unlock.into_iter().enumerate() {
        let row = check_unlock(u, None, &format!("unlock[{i}]"))?.row(&ring, &vault_id);
        if unlock
            .iter()
            .any(|r: &UnlockMethodRow| r.method_id == row.method_id)
        {
            return Err(ApiError::new(
                Code::InvalidValue,
                format!("unlock[{i}]: duplicate method_id"),
            ));
        }
        unlock.push(row);
    }
    let new = NewVault {
        vault_id,
        handle: handle.clone(),
        owner_verifier,
        l1_check,
        unlock,
    };

    // The setup lock is held through the insert so one token creates one vault.
    let mut setup = ctx.app.setup.lock().unwrap_or_else(|p| p.into_inner());
    if ctx.config.registration == Registration::Closed {
        let presented = body
            .setup_token
            .as_deref()
            .map(|t| sha256(t.trim().as_bytes()));
        let allowed = match (setup.as_ref(), presented) {
            (Some(s), Some(p)) => ct_eq(&s.digest, &p) && ctx.store.db().vault_count()? == 0,
            _ => false,
        };
        if !allowed {
            return Err(ApiError::new(
                Code::RegistrationClosed,
                "registration is closed: the first vault needs the one-time setup token from the server's data directory (clavitor init --setup-token-file)",
            ));
        }
    }
    let ev = owner_event(ctx, "vault_create", None, Outcome::Success, None);
    let created = ctx.store.write(|db| {
        let created = db.create_vault(&new).map_err(|e| match e {
            crate::vault::StoreError::Exists("handle") => {
                ApiError::new(Code::HandleTaken, "that handle is taken")
            }
            crate::vault::StoreError::Exists(_) => {
                ApiError::new(Code::VaultIdTaken, "a vault with that id exists")
            }
            other => other.into(),
        })?;
        Ok::<_, ApiError>(db.audit(&vault_id, &ev)?.with(created))
    })?;
    if let Some(used) = setup.take() {
        if let Err(e) = std::fs::remove_file(&used.file) {
            log::warn!(
                "could not remove used setup token {}: {e}",
                used.file.display()
            );
        }
        log::info!("first vault created; setup token consumed");
    }
    drop(setup);
    log::info!("vault {vault_id} created");
    Ok(Reply::json(
        201,
        &json!({"vault_id": vault_id.hex(), "handle": handle, "created_at": rfc3339(created)}),
    ))
}

fn vault_param(v: &str) -> Result<VaultId> {
    VaultId::parse(v).map_err(|e| ApiError::new(Code::MalformedId, format!("vault id in URL: {e}")))
}

/// The owner (authenticated by the router) of the vault in the URL; another vault is 403.
fn owner_of(owner: Owner, v: &str) -> Result<Owner> {
    let vault = vault_param(v)?;
    if owner.id() != &vault {
        return Err(ApiError::access_denied());
    }
    Ok(owner)
}

/// POST /api/v1/vaults/{vault}/unlock/{method_id} — add or replace.
pub fn put_unlock(ctx: &mut Ctx<'_>, owner: Owner, v: &str, id: &str) -> Result<Reply> {
    let owner = owner_of(owner, v)?;
    let input: UnlockInput = parse_body(ctx.req)?;
    let row = check_unlock(input, Some(id), "body")?.row(&ctx.app.keyring(), owner.id());
    let ev = owner_event(ctx, "unlock_method_put", None, Outcome::Success, None);
    ctx.store.write(|db| {
        db.put_unlock_method(owner.id(), &row)?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(()))
    })?;
    log::info!(
        "vault {}: unlock method of kind {} saved",
        owner.id(),
        row.kind
    );
    Ok(Reply::json(
        200,
        &json!({"method_id": row.method_id, "kind": row.kind}),
    ))
}

/// DELETE /api/v1/vaults/{vault}/unlock/{method_id} — never the last one.
pub fn delete_unlock(ctx: &mut Ctx<'_>, owner: Owner, v: &str, id: &str) -> Result<Reply> {
    let owner = owner_of(owner, v)?;
    let ev = owner_event(ctx, "unlock_method_delete", None, Outcome::Success, None);
    ctx.store.write(|db| {
        db.delete_unlock_method(owner.id(), id)
            .map_err(|e| match e {
                crate::vault::StoreError::NotFound(_) => ApiError::new(
                    Code::NoSuchUnlockMethod,
                    "no such unlock method for that vault",
                ),
                other => other.into(),
            })?;
        Ok::<_, ApiError>(db.audit(owner.id(), &ev)?.with(()))
    })?;
    Ok(Reply::json(200, &json!({"method_id": id, "deleted": true})))
}
