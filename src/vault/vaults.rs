//! Vaults and their unlock methods.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::entries::bad_column;
use super::rows::{OnConflict, TableRow, UnlockRec, VaultRec};
use super::{is_constraint, now_ms, Audited, Db, StoreError, Tx};
use crate::ids::VaultId;

/// What the server keeps about a vault: verifiers, never keys.
#[derive(Debug, Clone)]
pub struct VaultRow {
    pub vault_id: VaultId,
    pub handle: Option<String>,
    pub owner_verifier: Vec<u8>,
    pub l1_check: Vec<u8>,
    pub session_generation: u32,
    pub created_at: i64,
}

/// A wrapped copy of the master secret and how to derive its KEK.
#[derive(Debug, Clone, PartialEq)]
pub struct UnlockMethodRow {
    pub method_id: String,
    pub kind: String,
    /// JSON text: the KDF parameters the client needs.
    pub kdf: String,
    /// The wrapped copy of M, sealed at rest (`rest1.…`; a row written
    /// before v1.1 holds the client's `cv1.l3.…` until start-up seals it).
    pub wrapped: String,
    /// SHA-256 of the unlock proof, sealed at rest; "" for a method created
    /// before v1.1 (no verifier yet).
    pub verifier: String,
}

/// The stored unlock material of one method, for re-sealing at start-up.
#[derive(Debug, Clone)]
pub struct StoredUnlock {
    pub vault_id: String,
    pub method_id: String,
    pub wrapped: String,
    pub verifier: String,
}

/// A vault to create, with its first unlock methods.
pub struct NewVault {
    pub vault_id: VaultId,
    pub handle: Option<String>,
    pub owner_verifier: Vec<u8>,
    pub l1_check: Vec<u8>,
    pub unlock: Vec<UnlockMethodRow>,
}

fn vault_from_row(r: &Row<'_>) -> rusqlite::Result<VaultRow> {
    let r = VaultRec::from_row(r)?;
    Ok(VaultRow {
        vault_id: VaultId::parse(&r.vault_id).map_err(|e| bad_column(0, e))?,
        handle: r.handle,
        owner_verifier: r.owner_verifier,
        l1_check: r.l1_check,
        session_generation: r.session_generation,
        created_at: r.created_at,
    })
}

impl From<UnlockRec> for UnlockMethodRow {
    fn from(r: UnlockRec) -> UnlockMethodRow {
        UnlockMethodRow {
            method_id: r.method_id,
            kind: r.kind,
            kdf: r.kdf,
            wrapped: r.wrapped,
            verifier: r.verifier,
        }
    }
}

/// Inserts a new row of `R`'s table, marked for replication.
fn insert_new<R: TableRow>(tx: &Connection, row: &R) -> rusqlite::Result<usize> {
    let sql = R::insert_sql(true, OnConflict::Fail);
    row.bind(|args| tx.execute(&sql, args))
}

impl Db<'_> {
    /// Number of vaults on this server (decides whether the setup token is needed).
    pub fn vault_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM vaults", [], |r| r.get(0))?)
    }
}

impl Tx<'_> {
    /// Creates a vault and its unlock methods in one transaction.
    pub fn create_vault(&self, v: &NewVault) -> Result<i64, StoreError> {
        let now = now_ms();
        let tx = self.conn;
        let inserted = insert_new(
            tx,
            &VaultRec {
                vault_id: v.vault_id.hex(),
                handle: v.handle.clone(),
                owner_verifier: v.owner_verifier.clone(),
                l1_check: v.l1_check.clone(),
                session_generation: 0,
                created_at: now,
                updated_at: now,
                version: 1,
            },
        );
        if let Err(e) = inserted {
            if is_constraint(&e) {
                let handle_taken = match &v.handle {
                    Some(h) => tx
                        .query_row("SELECT 1 FROM vaults WHERE handle = ?1", [h], |_| Ok(()))
                        .optional()?
                        .is_some(),
                    None => false,
                };
                return Err(StoreError::Exists(if handle_taken {
                    "handle"
                } else {
                    "vault"
                }));
            }
            return Err(e.into());
        }
        for m in &v.unlock {
            let row = UnlockRec {
                vault_id: v.vault_id.hex(),
                method_id: m.method_id.clone(),
                kind: m.kind.clone(),
                kdf: m.kdf.clone(),
                wrapped: m.wrapped.clone(),
                created_at: now,
                updated_at: now,
                version: 1,
                deleted: false,
                verifier: m.verifier.clone(),
            };
            insert_new(tx, &row).map_err(|e| {
                if is_constraint(&e) {
                    StoreError::Exists("unlock method")
                } else {
                    e.into()
                }
            })?;
        }
        Ok(now)
    }
}

impl Db<'_> {
    /// A vault by id.
    pub fn vault(&self, id: &VaultId) -> Result<Option<VaultRow>, StoreError> {
        // Cached: every authenticated request runs it.
        let sql = format!(
            "SELECT {} FROM vaults WHERE vault_id = ?1",
            VaultRec::columns()
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([id.hex()], vault_from_row)
            .optional()?)
    }

    /// A vault by its owner's handle.
    pub fn vault_by_handle(&self, handle: &str) -> Result<Option<VaultRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM vaults WHERE handle = ?1",
            VaultRec::columns()
        );
        Ok(self
            .conn
            .query_row(&sql, [handle], vault_from_row)
            .optional()?)
    }
}

impl Tx<'_> {
    /// "Log out everywhere": every owner token issued so far stops working.
    pub fn bump_session_generation(&self, id: &VaultId) -> Result<u32, StoreError> {
        let n = self.conn.execute(
            "UPDATE vaults SET session_generation = session_generation + 1, version = version + 1,
                    updated_at = ?2, dirty = 1 WHERE vault_id = ?1",
            params![id.hex(), now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("vault"));
        }
        Ok(self.conn.query_row(
            "SELECT session_generation FROM vaults WHERE vault_id = ?1",
            [id.hex()],
            |r| r.get(0),
        )?)
    }
}

impl Db<'_> {
    /// One live unlock method.
    pub fn unlock_method(
        &self,
        id: &VaultId,
        method_id: &str,
    ) -> Result<Option<UnlockMethodRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM unlock_methods WHERE vault_id = ?1 AND method_id = ?2 AND deleted = 0",
            UnlockRec::columns()
        );
        Ok(self
            .conn
            .query_row(&sql, params![id.hex(), method_id], UnlockRec::from_row)
            .optional()?
            .map(UnlockMethodRow::from))
    }

    /// A passkey unlock method found by its credential id alone (discoverable credentials).
    pub fn unlock_method_any_vault(
        &self,
        method_id: &str,
        kind: &str,
    ) -> Result<Option<(VaultId, UnlockMethodRow)>, StoreError> {
        let sql = format!(
            "SELECT {} FROM unlock_methods WHERE method_id = ?1 AND kind = ?2 AND deleted = 0 LIMIT 1",
            UnlockRec::columns()
        );
        let found = self
            .conn
            .query_row(&sql, params![method_id, kind], UnlockRec::from_row)
            .optional()?
            .map(|r| (r.vault_id.clone(), UnlockMethodRow::from(r)));
        Ok(found.and_then(|(v, m)| VaultId::parse(&v).ok().map(|v| (v, m))))
    }

    /// Every live method's stored unlock material (start-up re-sealing).
    pub fn stored_unlocks(&self) -> Result<Vec<StoredUnlock>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT vault_id, method_id, wrapped, verifier FROM unlock_methods WHERE deleted = 0",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoredUnlock {
                vault_id: r.get(0)?,
                method_id: r.get(1)?,
                wrapped: r.get(2)?,
                verifier: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    /// Adds or replaces an unlock method (a passphrase change replaces `passphrase`).
    pub fn put_unlock_method(&self, id: &VaultId, m: &UnlockMethodRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO unlock_methods (vault_id, method_id, kind, kdf, wrapped, verifier, created_at, updated_at, dirty)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1)
             ON CONFLICT (vault_id, method_id) DO UPDATE SET kind = excluded.kind, kdf = excluded.kdf,
                 wrapped = excluded.wrapped, verifier = excluded.verifier, updated_at = excluded.updated_at,
                 deleted = 0, version = version + 1, dirty = 1",
            params![id.hex(), m.method_id, m.kind, m.kdf, m.wrapped, m.verifier, now_ms()],
        )?;
        Ok(())
    }

    /// Replaces the at-rest form of a method's material. Its version and
    /// dirty flag stay: the values it stands for did not change, and at-rest
    /// sealing is this POP's own business (replication re-seals anyway).
    pub fn reseal_unlock(&self, u: &StoredUnlock) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE unlock_methods SET wrapped = ?3, verifier = ?4 WHERE vault_id = ?1 AND method_id = ?2",
            params![u.vault_id, u.method_id, u.wrapped, u.verifier],
        )?;
        Ok(())
    }

    /// Counts a failed unlock or login against an unknown vault in one of
    /// 256 tally rows: the decoy path's write. It does what appending an
    /// audit row does — read the previous hash, chain a new one, write a
    /// row that three indexes follow — in the same kind of transaction, so
    /// timing does not tell a real vault from an unknown one; and it stays
    /// bounded whatever ids are tried. An unknown vault has no audit chain:
    /// this tally is where its attempts are recorded, so it is the
    /// transaction's audit proof.
    pub fn note_decoy_attempt(
        &self,
        bucket: u8,
        source_ip: &str,
    ) -> Result<Audited<()>, StoreError> {
        let prev: Vec<u8> = self
            .conn
            .prepare_cached("SELECT hash FROM unlock_decoys WHERE bucket = ?1")?
            .query_row([bucket], |r| r.get(0))
            .optional()?
            .unwrap_or_else(|| vec![0u8; 32]);
        let ts = now_ms();
        let row = serde_json::to_vec(&(bucket, ts, source_ip)).expect("a tuple serializes");
        let hash = crate::crypto::sha256(&[prev.as_slice(), &row].concat());
        self.conn
            .prepare_cached(
                "INSERT INTO unlock_decoys (bucket, attempts, last_ts, last_ip, hash) VALUES (?1, 1, ?2, ?3, ?4)
                 ON CONFLICT (bucket) DO UPDATE SET attempts = attempts + 1, last_ts = excluded.last_ts,
                     last_ip = excluded.last_ip, hash = excluded.hash",
            )?
            .execute(params![bucket, ts, source_ip, &hash[..]])?;
        Ok(Audited(()))
    }

    /// Removes an unlock method, refusing to remove the last one.
    pub fn delete_unlock_method(&self, id: &VaultId, method_id: &str) -> Result<(), StoreError> {
        let tx = self.conn;
        let live: i64 = tx.query_row(
            "SELECT COUNT(*) FROM unlock_methods WHERE vault_id = ?1 AND deleted = 0",
            [id.hex()],
            |r| r.get(0),
        )?;
        let n = tx.execute(
            "UPDATE unlock_methods SET deleted = 1, wrapped = '', verifier = '', version = version + 1, updated_at = ?3, dirty = 1
             WHERE vault_id = ?1 AND method_id = ?2 AND deleted = 0",
            params![id.hex(), method_id, now_ms()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("unlock method"));
        }
        if live <= 1 {
            return Err(StoreError::LastUnlockMethod);
        }
        Ok(())
    }
}
