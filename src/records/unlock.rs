//! Unlock material at rest: the wrapped copies of M and the verifiers of
//! unlock proofs, sealed with a key derived from the POP keyring
//! (`crypto::rest`) before they reach the store, and opened in memory only
//! to compare a proof or to release a wrapped copy.

use zeroize::Zeroizing;

use crate::crypto::rest::{self, Column, RestError};
use crate::crypto::Keyring;
use crate::ids::VaultId;
use crate::vault::UnlockMethodRow;

/// An unlock method's row: `wrapped` (the client's `cv1.l3.` text) and
/// `verifier` (SHA-256 of the unlock proof) sealed at rest.
pub fn method_row(
    ring: &Keyring,
    vault: &VaultId,
    method_id: &str,
    kind: &str,
    kdf: String,
    wrapped: &str,
    verifier: &[u8],
) -> UnlockMethodRow {
    let v = vault.hex();
    UnlockMethodRow {
        method_id: method_id.to_string(),
        kind: kind.to_string(),
        kdf,
        wrapped: rest::seal_at_rest(ring, &v, method_id, Column::Wrapped, wrapped.as_bytes()),
        verifier: rest::seal_at_rest(ring, &v, method_id, Column::Verifier, verifier),
    }
}

/// Opens a stored wrapped copy: sealed at rest, or (a row not yet re-sealed
/// since v1.1) the client's `cv1.l3.` text itself.
pub fn open_wrapped(
    ring: &Keyring,
    vault: &VaultId,
    m: &UnlockMethodRow,
) -> Result<String, RestError> {
    if !rest::is_sealed_at_rest(&m.wrapped) {
        return Ok(m.wrapped.clone());
    }
    let plain = rest::open_at_rest(
        ring,
        &vault.hex(),
        &m.method_id,
        Column::Wrapped,
        &m.wrapped,
    )?;
    String::from_utf8(plain.to_vec()).map_err(|_| RestError::Malformed)
}

/// Opens a stored verifier (the method must have one: created since v1.1).
pub fn open_verifier(
    ring: &Keyring,
    vault: &VaultId,
    m: &UnlockMethodRow,
) -> Result<Zeroizing<Vec<u8>>, RestError> {
    rest::open_at_rest(
        ring,
        &vault.hex(),
        &m.method_id,
        Column::Verifier,
        &m.verifier,
    )
}

/// Brings the stored unlock material under the keyring's current key:
/// seals rows written before v1.1 (plain `cv1.l3.` wrapped copies) and
/// re-seals rows sealed under an older key id, so the old key can leave the
/// keyring once its tokens have expired. Run at start-up and after a SIGHUP
/// swapped the keyring. Returns how many methods were rewritten.
///
/// Fails, changing nothing, if a row names a key id `ring` does not hold:
/// the vault would no longer unlock, so the operator must put the key back.
pub fn reseal_at_rest(
    store: &mut crate::vault::Store,
    ring: &Keyring,
) -> std::result::Result<usize, String> {
    let rows = store.db().stored_unlocks().map_err(|e| e.to_string())?;
    let current = ring.current_id();
    let mut fresh = Vec::new();
    for row in rows {
        let wrapped_ok = rest::rest_key_id(&row.wrapped) == Some(current);
        let verifier_ok =
            row.verifier.is_empty() || rest::rest_key_id(&row.verifier) == Some(current);
        if wrapped_ok && verifier_ok {
            continue;
        }
        let name = |col: &str, e: RestError| {
            format!(
                "unlock method {} of vault {}, {col}: {e}; restore that key to the token keyring (see docs/OPERATIONS.md)",
                row.method_id, row.vault_id
            )
        };
        let wrapped = if rest::is_sealed_at_rest(&row.wrapped) {
            rest::open_at_rest(
                ring,
                &row.vault_id,
                &row.method_id,
                Column::Wrapped,
                &row.wrapped,
            )
            .map_err(|e| name("wrapped", e))?
        } else {
            zeroize::Zeroizing::new(row.wrapped.as_bytes().to_vec())
        };
        let verifier = if row.verifier.is_empty() {
            None
        } else {
            Some(
                rest::open_at_rest(
                    ring,
                    &row.vault_id,
                    &row.method_id,
                    Column::Verifier,
                    &row.verifier,
                )
                .map_err(|e| name("verifier", e))?,
            )
        };
        fresh.push(crate::vault::StoredUnlock {
            wrapped: rest::seal_at_rest(
                ring,
                &row.vault_id,
                &row.method_id,
                Column::Wrapped,
                &wrapped,
            ),
            verifier: verifier
                .map(|v| {
                    rest::seal_at_rest(ring, &row.vault_id, &row.method_id, Column::Verifier, &v)
                })
                .unwrap_or_default(),
            ..row
        });
    }
    if !fresh.is_empty() {
        // One system row per vault whose unlock material was re-sealed: the
        // values did not change, but the owner's log shows that this POP's
        // keyring was rotated under them.
        let mut vaults: Vec<&str> = fresh.iter().map(|r| r.vault_id.as_str()).collect();
        vaults.sort_unstable();
        vaults.dedup();
        let vaults: Vec<crate::ids::VaultId> = vaults
            .into_iter()
            .filter_map(|v| crate::ids::VaultId::parse(v).ok())
            .collect();
        store
            .write(|db| {
                for row in &fresh {
                    db.reseal_unlock(row)?;
                }
                let mut audited = None;
                for vault in &vaults {
                    let ev = crate::vault::AuditEvent {
                        actor_kind: crate::vault::ActorKind::System,
                        actor_id: String::new(),
                        action: "unlock_reseal",
                        entry_id: None,
                        outcome: crate::vault::Outcome::Success,
                        reason: None,
                        source_ip: String::new(),
                        host: None,
                    };
                    audited = Some(db.audit(vault, &ev)?);
                }
                audited.ok_or(crate::vault::StoreError::NotFound(
                    "vault of an unlock method",
                ))
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(fresh.len())
}
