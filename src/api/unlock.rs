//! The public unlock steps (SPEC section 3 "Proving an unlock", section 5):
//! KDF parameters for anyone, the wrapped copy of M only for a matching
//! unlock proof.
//!
//! Unknown handles, vault ids, methods and passkey credentials get a
//! deterministic decoy (HMAC under the server's `decoy_key`): the same
//! status, the same JSON keys, the same answers on follow-up requests, and
//! for `open` the same 401, throttle and cost as a wrong proof on a real
//! vault (an fsynced write on both paths: the audit row, or the decoy tally).
//!
//! Stored unlock material is sealed at rest with the POP keyring
//! (`records::unlock`); it is opened, in memory, only to compare a proof
//! or to release a wrapped copy to a client that proved it may have it.

use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{audit_alone, owner_event};
use super::error::Code;
use super::vaults::{normalize_handle, Kdf, MethodKind};
use super::{parse_body, ApiError, Ctx, Result};
use crate::crypto::rest::RestError;
use crate::crypto::unlock::{proof_matches, PASSPHRASE_MIN_ITERATIONS};
use crate::crypto::{b64, hmac_sha256, unb64, Keyring};
use crate::http::Reply;
use crate::ids::VaultId;
use crate::records::unlock as unlock_material;
use crate::vault::{Outcome, UnlockMethodRow};

/// What the public step tells a client: how to derive the KEK, nothing else.
struct PublicMethod {
    kind: MethodKind,
    kdf: Kdf,
}

impl PublicMethod {
    fn json(&self) -> Value {
        json!({"kind": self.kind, "kdf": self.kdf})
    }

    fn from_row(m: &UnlockMethodRow) -> Result<PublicMethod> {
        let kind = serde_json::from_value(Value::String(m.kind.clone()));
        let kdf = serde_json::from_str(&m.kdf);
        match (kind, kdf) {
            (Ok(kind), Ok(kdf)) => Ok(PublicMethod { kind, kdf }),
            _ => {
                log::error!("unlock method row with an unreadable kind or kdf");
                Err(ApiError::internal())
            }
        }
    }
}

/// Checks the syntax of a method id in a URL. Done before any lookup, so
/// real and unknown vaults answer a bad id alike.
pub(super) fn check_method_id(id: &str) -> Result<()> {
    if id == "passphrase" || id == "recovery" {
        return Ok(());
    }
    match unb64(id) {
        Ok(b) if !b.is_empty() && b.len() <= 1023 => Ok(()),
        _ => Err(ApiError::new(
            Code::InvalidValue,
            "method id in URL: expected `passphrase`, `recovery` or a passkey credential id (base64url without padding)",
        )),
    }
}

fn vault_param(v: &str) -> Result<VaultId> {
    VaultId::parse(v).map_err(|e| ApiError::new(Code::MalformedId, format!("vault id in URL: {e}")))
}

fn decoy_bytes(ctx: &Ctx<'_>, label: &str, input: &str) -> [u8; 32] {
    hmac_sha256(
        ctx.app.decoy_key.expose(),
        format!("clavitor decoy|{label}|{input}").as_bytes(),
    )
}

/// The vault id a decoy answers for an unknown handle or passkey credential.
fn decoy_vault(ctx: &Ctx<'_>, label: &str, input: &str) -> VaultId {
    let mut id = [0u8; 16];
    id.copy_from_slice(&decoy_bytes(ctx, label, input)[..16]);
    VaultId::from_bytes(id)
}

/// The parameters a decoy answers for `method_id` of `vault`. Depends only on
/// (vault, method), so every route that leads to the same decoy vault agrees.
fn decoy_method(ctx: &Ctx<'_>, vault: &VaultId, method_id: &str) -> PublicMethod {
    match method_id {
        "passphrase" => PublicMethod {
            kind: MethodKind::Passphrase,
            kdf: Kdf::Pbkdf2 {
                salt: b64(&decoy_bytes(ctx, "salt", &format!("{}|{method_id}", vault.hex()))[..16]),
                iterations: PASSPHRASE_MIN_ITERATIONS,
            },
        },
        "recovery" => PublicMethod {
            kind: MethodKind::Recovery,
            kdf: Kdf::Hkdf {},
        },
        _ => PublicMethod {
            kind: MethodKind::Passkey,
            kdf: Kdf::Hkdf {},
        },
    }
}

/// The public step for (vault, method): real parameters, or the decoy's.
/// Both paths run the same method query.
fn public_step(ctx: &Ctx<'_>, vault: &VaultId, method_id: &str) -> Result<PublicMethod> {
    match ctx.store.db().unlock_method(vault, method_id)? {
        Some(m) => PublicMethod::from_row(&m),
        None => Ok(decoy_method(ctx, vault, method_id)),
    }
}

/// GET /api/v1/vaults/{vault}/unlock/{method_id} → `{kind, kdf}`.
pub fn get_unlock(ctx: &mut Ctx<'_>, v: &str, id: &str) -> Result<Reply> {
    let vault = vault_param(v)?;
    check_method_id(id)?;
    Ok(Reply::json(200, &public_step(ctx, &vault, id)?.json()))
}

/// GET /api/v1/unlock?handle=H → `{vault_id, kind, kdf}` of the passphrase method.
pub fn by_handle(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let raw = ctx
        .req
        .query("handle")
        .ok_or_else(|| ApiError::new(Code::InvalidValue, "query parameter `handle` is required"))?;
    let handle = normalize_handle(raw).map_err(|m| ApiError::new(Code::InvalidValue, m))?;
    let vault = match ctx.store.db().vault_by_handle(&handle)? {
        Some(v) => v.vault_id,
        None => decoy_vault(ctx, "vault", &handle),
    };
    let mut body = public_step(ctx, &vault, "passphrase")?.json();
    body["vault_id"] = json!(vault.hex());
    Ok(Reply::json(200, &body))
}

/// GET /api/v1/unlock/passkey/{credential_id} → `{vault_id, kind, kdf}`.
pub fn by_passkey(ctx: &mut Ctx<'_>, cred: &str) -> Result<Reply> {
    if cred == "passphrase" || cred == "recovery" {
        return Err(ApiError::new(
            Code::InvalidValue,
            "credential id in URL: expected a passkey credential id (base64url without padding)",
        ));
    }
    check_method_id(cred)?;
    let found = ctx.store.db().unlock_method_any_vault(cred, "passkey")?;
    let vault = match &found {
        Some((v, _)) => *v,
        None => decoy_vault(ctx, "passkey", cred),
    };
    let mut body = public_step(ctx, &vault, cred)?.json();
    body["vault_id"] = json!(vault.hex());
    Ok(Reply::json(200, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenRequest {
    /// B64(unlock_proof)
    proof: String,
}

/// Why stored unlock material did not open: the operator's problem, said
/// in the log; the client gets a plain 500.
fn rest_failure(vault: &VaultId, e: RestError) -> ApiError {
    log::error!("vault {vault}: stored unlock material does not open: {e}");
    ApiError::internal()
}

/// The stored wrapped copy, opened (`records::unlock`).
fn open_wrapped(ring: &Keyring, vault: &VaultId, m: &UnlockMethodRow) -> Result<String> {
    unlock_material::open_wrapped(ring, vault, m).map_err(|e| rest_failure(vault, e))
}

/// POST /api/v1/vaults/{vault}/unlock/{method_id}/open `{proof}` → `{wrapped}`.
pub fn open(ctx: &mut Ctx<'_>, v: &str, id: &str) -> Result<Reply> {
    let vault = vault_param(v)?;
    check_method_id(id)?;
    let ip = ctx.req.peer.to_string();
    if let Some(wait) = ctx.app.throttle.blocked(&ip, &vault.hex()) {
        return Err(super::session::throttled(wait));
    }
    let body: OpenRequest = parse_body(ctx.req)?;
    let proof = match unb64(&body.proof) {
        Ok(p) if p.len() == 32 => zeroize::Zeroizing::new(p),
        Ok(p) => {
            return Err(ApiError::new(
                Code::InvalidValue,
                format!("proof: expected 32 bytes, got {}", p.len()),
            ))
        }
        Err(_) => {
            return Err(ApiError::new(
                Code::InvalidValue,
                "proof: expected base64url without padding",
            ))
        }
    };
    let ring = ctx.app.keyring();
    // Both lookups run on every path, so the work does not depend on what exists.
    let vault_exists = ctx.store.db().vault(&vault)?.is_some();
    let Some(m) = ctx.store.db().unlock_method(&vault, id)? else {
        // A decoy: the same refusal, throttle and (fsynced) write as a wrong
        // proof. An unknown method of a real vault is audited in that vault.
        ctx.app.throttle.fail(&ip, &vault.hex());
        if vault_exists {
            let ev = owner_event(
                ctx,
                "unlock_open",
                None,
                Outcome::Denied,
                Some("unknown_method"),
            );
            audit_alone(ctx, &vault, ev)?;
        } else {
            let bucket = decoy_bytes(ctx, "tally", &vault.hex())[0];
            // The same group commit a real vault's audit row goes through.
            let ip = ip.to_string();
            ctx.audited(move |tx| tx.note_decoy_attempt(bucket, &ip))
                .map_err(|_| super::auth::audit_unavailable())?;
        }
        log::info!("failed unlock of vault {vault} from {ip}");
        return Err(super::session::wrong());
    };
    if m.verifier.is_empty() {
        return legacy_release(ctx, &ring, &vault, &m, &ip);
    }
    let verifier =
        unlock_material::open_verifier(&ring, &vault, &m).map_err(|e| rest_failure(&vault, e))?;
    if !proof_matches(&proof, &verifier) {
        ctx.app.throttle.fail(&ip, &vault.hex());
        let ev = owner_event(
            ctx,
            "unlock_open",
            None,
            Outcome::Denied,
            Some("wrong_proof"),
        );
        audit_alone(ctx, &vault, ev)?;
        log::info!("failed unlock of vault {vault} from {ip}");
        return Err(super::session::wrong());
    }
    let wrapped = open_wrapped(&ring, &vault, &m)?;
    let ev = owner_event(ctx, "unlock_open", None, Outcome::Success, None);
    audit_alone(ctx, &vault, ev)?;
    Ok(Reply::json(200, &json!({"wrapped": wrapped})))
}

/// A method created before v1.1 has no verifier: its wrapped copy is
/// released without a proof (as the previous release did), but now
/// throttled (every release counts as a failed attempt) and audited. The
/// answer says `legacy: true` so the owner's client adds the verifier.
fn legacy_release(
    ctx: &mut Ctx<'_>,
    ring: &Keyring,
    vault: &VaultId,
    m: &UnlockMethodRow,
    ip: &str,
) -> Result<Reply> {
    ctx.app.throttle.fail(ip, &vault.hex());
    let wrapped = open_wrapped(ring, vault, m)?;
    let ev = owner_event(
        ctx,
        "unlock_open",
        None,
        Outcome::Success,
        Some("legacy_no_verifier"),
    );
    audit_alone(ctx, vault, ev)?;
    log::warn!("vault {vault}: legacy unlock (method without a verifier) released to {ip}");
    Ok(Reply::json(
        200,
        &json!({"wrapped": wrapped, "legacy": true}),
    ))
}
