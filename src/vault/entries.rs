//! Entries: one sealed L1 document per row, plus the plaintext columns the
//! policy needs without decrypting (type, scopes) and the blind title index.

use std::sync::OnceLock;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::rows::{EntryRec, OnConflict, TableRow};
use super::{is_constraint, now_ms, Db, StoreError, Tx};
use crate::crypto::seal::Sealed;
use crate::ids::{EntryId, IdError, VaultId};

/// Who created an entry (SPEC section 5, v1.1): the owner, or an agent.
/// Stored in `entries.created_by` as `''` for the owner and the agent's
/// 32-hex id otherwise; set once at creation and never changed by a replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creator {
    Owner,
    Agent(EntryId),
}

impl Creator {
    /// The stored form: `''` or the agent's hex id.
    pub fn column(&self) -> String {
        match self {
            Creator::Owner => String::new(),
            Creator::Agent(id) => id.hex(),
        }
    }

    /// Parses the stored form.
    pub fn from_column(s: &str) -> Result<Creator, IdError> {
        if s.is_empty() {
            Ok(Creator::Owner)
        } else {
            EntryId::parse(s).map(Creator::Agent)
        }
    }
}

/// An entry as stored. `doc` is `cv1.l1.…`, sealed with K1; empty for tombstones.
#[derive(Debug, Clone)]
pub struct EntryRow {
    pub entry_id: EntryId,
    pub entry_type: String,
    /// Comma-separated four-digit scope ids.
    pub scopes: String,
    pub doc: Sealed,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted: bool,
    pub created_by: Creator,
}

/// An entry to insert.
pub struct NewEntry {
    pub entry_id: EntryId,
    pub entry_type: String,
    pub scopes: String,
    pub title_idx: [u8; 32],
    pub doc: Sealed,
    pub created_at: i64,
    pub updated_at: i64,
    pub created_by: Creator,
}

/// The system types, as an SQL list; they never appear in credential listings or lookups.
const SYSTEM: &str = "'agent', 'scope'";

/// A stored id that does not parse, as a column conversion error.
pub(super) fn bad_column(col: usize, e: IdError) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

impl TryFrom<EntryRec> for EntryRow {
    type Error = rusqlite::Error;

    fn try_from(r: EntryRec) -> rusqlite::Result<EntryRow> {
        let column = |name: &str| {
            EntryRec::COLUMNS
                .iter()
                .position(|c| *c == name)
                .unwrap_or(0)
        };
        Ok(EntryRow {
            entry_id: EntryId::parse(&r.entry_id).map_err(|e| bad_column(column("entry_id"), e))?,
            entry_type: r.entry_type,
            scopes: r.scopes,
            doc: Sealed::from_stored(r.doc),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted: r.deleted,
            created_by: Creator::from_column(&r.created_by)
                .map_err(|e| bad_column(column("created_by"), e))?,
        })
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<EntryRow> {
    EntryRec::from_row(r)?.try_into()
}

/// `pop_id` records which POP wrote the row last (the last-write-wins tie-break in replication).
fn insert(tx: &Connection, pop_id: &str, vault: &VaultId, e: &NewEntry) -> Result<(), StoreError> {
    static SQL: OnceLock<String> = OnceLock::new();
    let row = EntryRec {
        vault_id: vault.hex(),
        entry_id: e.entry_id.hex(),
        entry_type: e.entry_type.clone(),
        scopes: e.scopes.clone(),
        title_idx: e.title_idx.to_vec(),
        doc: e.doc.as_str().to_string(),
        version: 1,
        created_at: e.created_at,
        updated_at: e.updated_at,
        deleted: false,
        pop_id: pop_id.to_string(),
        created_by: e.created_by.column(),
    };
    // Cached: a batch import inserts up to 1000 rows per transaction, and
    // re-preparing this statement each time was a quarter of its CPU.
    let mut stmt =
        tx.prepare_cached(SQL.get_or_init(|| EntryRec::insert_sql(true, OnConflict::Fail)))?;
    row.bind(|args| stmt.execute(args)).map_err(|err| {
        if is_constraint(&err) {
            StoreError::Exists("entry")
        } else {
            err.into()
        }
    })?;
    Ok(())
}

impl Tx<'_> {
    /// Inserts one entry; its id must be new (tombstones included: ids are never reused).
    pub fn insert_entry(&self, vault: &VaultId, e: &NewEntry) -> Result<(), StoreError> {
        self.insert_entries(vault, std::slice::from_ref(e))
    }

    /// Inserts entries in one transaction: all or none.
    pub fn insert_entries(&self, vault: &VaultId, entries: &[NewEntry]) -> Result<(), StoreError> {
        for e in entries {
            insert(self.conn, self.pop_id, vault, e)?;
        }
        Ok(())
    }
}

impl Db<'_> {
    /// One entry, tombstones included (callers decide what a tombstone means).
    pub fn entry(&self, vault: &VaultId, id: &EntryId) -> Result<Option<EntryRow>, StoreError> {
        // Cached: every read (and every agent's authentication) runs it.
        let cols = EntryRec::columns();
        let sql = format!("SELECT {cols} FROM entries WHERE vault_id = ?1 AND entry_id = ?2");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![vault.hex(), id.hex()], from_row)
            .optional()?)
    }

    /// An entry's version, if it is live: lets a caller holding an earlier
    /// copy of the row know whether it is still current without reading it.
    pub fn live_version(&self, vault: &VaultId, id: &EntryId) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT version FROM entries WHERE vault_id = ?1 AND entry_id = ?2 AND deleted = 0",
            )?
            .query_row(params![vault.hex(), id.hex()], |r| r.get(0))
            .optional()?)
    }

    /// Live credential entries of a vault (no system entries), newest first.
    pub fn entries(&self, vault: &VaultId) -> Result<Vec<EntryRow>, StoreError> {
        let cols = EntryRec::columns();
        let sql = format!(
            "SELECT {cols} FROM entries WHERE vault_id = ?1 AND deleted = 0 AND type NOT IN ({SYSTEM})
             ORDER BY updated_at DESC, entry_id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([vault.hex()], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The highest scope id ever allocated in a vault (tombstones included, so ids are never reused).
    pub fn max_scope_id(&self, vault: &VaultId) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT MAX(scopes) FROM entries WHERE vault_id = ?1 AND type = 'scope'",
            [vault.hex()],
            |r| r.get(0),
        )?)
    }

    /// Live system entries of one type (`agent`, `scope`), oldest first.
    pub fn system_entries(
        &self,
        vault: &VaultId,
        entry_type: &str,
    ) -> Result<Vec<EntryRow>, StoreError> {
        let cols = EntryRec::columns();
        let sql = format!("SELECT {cols} FROM entries WHERE vault_id = ?1 AND deleted = 0 AND type = ?2 ORDER BY created_at, entry_id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![vault.hex(), entry_type], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Live entries whose blind title index matches, newest first.
    pub fn entries_by_title(
        &self,
        vault: &VaultId,
        title_idx: &[u8; 32],
    ) -> Result<Vec<EntryRow>, StoreError> {
        let cols = EntryRec::columns();
        let sql = format!(
            "SELECT {cols} FROM entries WHERE vault_id = ?1 AND title_idx = ?2 AND deleted = 0
             AND type NOT IN ({SYSTEM}) ORDER BY updated_at DESC, entry_id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![vault.hex(), &title_idx[..]], from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Tx<'_> {
    /// Replaces a live entry if it is still at `if_version`; returns the new version.
    pub fn replace_entry(
        &self,
        vault: &VaultId,
        e: &NewEntry,
        if_version: i64,
    ) -> Result<i64, StoreError> {
        let tx = self.conn;
        let current: Option<(i64, bool)> = tx
            .query_row(
                "SELECT version, deleted FROM entries WHERE vault_id = ?1 AND entry_id = ?2",
                params![vault.hex(), e.entry_id.hex()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match current {
            None | Some((_, true)) => return Err(StoreError::NotFound("entry")),
            Some((v, false)) if v != if_version => {
                return Err(StoreError::VersionConflict { current: v })
            }
            Some(_) => {}
        }
        tx.execute(
            "UPDATE entries SET type = ?3, scopes = ?4, title_idx = ?5, doc = ?6, version = version + 1,
                    updated_at = ?7, dirty = 1, pop_id = ?8
             WHERE vault_id = ?1 AND entry_id = ?2",
            params![vault.hex(), e.entry_id.hex(), e.entry_type, e.scopes, &e.title_idx[..], e.doc.as_str(), e.updated_at, self.pop_id],
        )?;
        Ok(if_version + 1)
    }

    /// Soft delete: the row stays as a tombstone (for replication) with its content wiped.
    pub fn delete_entry(&self, vault: &VaultId, id: &EntryId) -> Result<i64, StoreError> {
        let n = self.conn.execute(
            "UPDATE entries SET deleted = 1, doc = '', title_idx = zeroblob(32), version = version + 1,
                    updated_at = ?3, dirty = 1, pop_id = ?4
             WHERE vault_id = ?1 AND entry_id = ?2 AND deleted = 0",
            params![vault.hex(), id.hex(), now_ms(), self.pop_id],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound("entry"));
        }
        Ok(self.conn.query_row(
            "SELECT version FROM entries WHERE vault_id = ?1 AND entry_id = ?2",
            params![vault.hex(), id.hex()],
            |r| r.get(0),
        )?)
    }
}
