//! The row shape of each replicated table, defined once: its columns in
//! table order, the struct that holds a whole row, and both directions to
//! SQL (`from_row`, `bind`). The store reads and appends through these
//! shapes, and the commercial edition's replication (collect, clear, apply)
//! builds its SQL from them, so a new column is one field here plus its
//! migration step.
//!
//! The structs are also the replication wire format
//! (`POST /api/v1/replication/apply`, `edition::commercial::wire`): binary
//! columns travel as base64url without padding, and a column added after
//! v1.0 has a serde default so POPs can be upgraded one at a time.
//!
//! `dirty` is not part of a shape: it is replication state, set by whoever
//! writes the row (1 for a local change, 0 for an applied one).

use rusqlite::{types::ToSql, Row};
use serde::{Deserialize, Serialize};

/// A table whose whole row has one struct.
pub trait TableRow: Sized {
    /// The table's name.
    const TABLE: &'static str;
    /// Every column of the shape, in the order of the struct's fields.
    const COLUMNS: &'static [&'static str];
    /// The primary key's columns.
    const KEY: &'static [&'static str];

    /// One result row of `SELECT {columns()} FROM {TABLE} ...`.
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self>;

    /// Calls `f` with every column's value, in [`TableRow::COLUMNS`] order.
    fn bind<T>(&self, f: impl FnOnce(&[&dyn ToSql]) -> T) -> T;

    /// Calls `f` with the primary key's values, in [`TableRow::KEY`] order.
    fn bind_key<T>(&self, f: impl FnOnce(&[&dyn ToSql]) -> T) -> T;

    /// The column list, comma-separated, for a `SELECT`.
    fn columns() -> &'static str;

    /// `INSERT [OR IGNORE] INTO t (every column, dirty) VALUES (?1, …, dirty)`,
    /// with `ON CONFLICT (key) DO UPDATE` of every other column when `upsert`.
    fn insert_sql(dirty: bool, conflict: OnConflict) -> String {
        let n = Self::COLUMNS.len();
        let holes: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
        let verb = match conflict {
            OnConflict::Ignore => "INSERT OR IGNORE",
            OnConflict::Fail | OnConflict::Update => "INSERT",
        };
        let mut sql = format!(
            "{verb} INTO {} ({}, dirty) VALUES ({}, {})",
            Self::TABLE,
            Self::columns(),
            holes.join(", "),
            u8::from(dirty)
        );
        if conflict == OnConflict::Update {
            let set: Vec<String> = Self::COLUMNS
                .iter()
                .filter(|c| !Self::KEY.contains(c))
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            sql.push_str(&format!(
                " ON CONFLICT ({}) DO UPDATE SET {}, dirty = {}",
                Self::KEY.join(", "),
                set.join(", "),
                u8::from(dirty)
            ));
        }
        sql
    }

    /// `key1 = ?{first} AND key2 = ?{first + 1} …`: the row's primary key
    /// as a condition whose placeholders start at `first`.
    fn key_condition(first: usize) -> String {
        let parts: Vec<String> = Self::KEY
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ?{}", first + i))
            .collect();
        parts.join(" AND ")
    }
}

/// What an insert does when the key exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// The statement fails (a constraint error).
    Fail,
    /// The existing row stays (audit rows never change).
    Ignore,
    /// Every non-key column is replaced.
    Update,
}

/// The column a field is stored in: its own name unless given.
macro_rules! column {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident, $col:literal) => {
        $col
    };
}

/// Declares a table's row struct and its [`TableRow`] impl from one list
/// of fields (`field: Type => "column"` where the names differ).
macro_rules! table_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:literal key($($key:ident),+) {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty $(=> $col:literal)?
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )+
        }

        impl TableRow for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(column!($field $(, $col)?)),+];
            const KEY: &'static [&'static str] = &[$(stringify!($key)),+];

            fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
                // Struct expressions evaluate their fields in the order
                // written, which is the column order.
                let mut i = 0;
                let mut next = || {
                    i += 1;
                    i - 1
                };
                Ok($name { $( $field: r.get(next())?, )+ })
            }

            fn bind<T>(&self, f: impl FnOnce(&[&dyn ToSql]) -> T) -> T {
                f(&[$(&self.$field as &dyn ToSql),+])
            }

            fn bind_key<T>(&self, f: impl FnOnce(&[&dyn ToSql]) -> T) -> T {
                f(&[$(&self.$key as &dyn ToSql),+])
            }

            fn columns() -> &'static str {
                static COLUMNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                COLUMNS.get_or_init(|| Self::COLUMNS.join(", "))
            }
        }
    };
}

table_row! {
    /// A row of `vaults`: verifiers, never keys.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct VaultRec in "vaults" key(vault_id) {
        pub vault_id: String,
        pub handle: Option<String>,
        #[serde(with = "b64bytes")]
        pub owner_verifier: Vec<u8>,
        #[serde(with = "b64bytes")]
        pub l1_check: Vec<u8>,
        pub session_generation: u32,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
    }
}

table_row! {
    /// A row of `unlock_methods`: a wrapped copy of the master secret.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct UnlockRec in "unlock_methods" key(vault_id, method_id) {
        pub vault_id: String,
        pub method_id: String,
        #[serde(rename = "method_kind")]
        pub kind: String,
        pub kdf: String,
        /// At rest `rest1.…` (sealed with this POP's keyring). In transit
        /// `rtx1.…` (sealed under a key from the replication key; the
        /// sender's keyring seal is removed, the receiver seals with its
        /// own), `""` for a deleted method, or a plain `cv1.l3.` from a
        /// sender older than v1.1.
        pub wrapped: String,
        pub created_at: i64,
        pub updated_at: i64,
        pub version: i64,
        pub deleted: bool,
        /// The unlock proof's verifier, sealed like `wrapped`; `""` when the
        /// method has none yet (created before v1.1) or the sender predates it.
        #[serde(default)]
        pub verifier: String,
    }
}

table_row! {
    /// A row of `entries`: one sealed L1 document (`cv1.l1.…`, empty for a
    /// tombstone), its plaintext type and scopes, and its blind title index.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct EntryRec in "entries" key(vault_id, entry_id) {
        pub vault_id: String,
        pub entry_id: String,
        #[serde(rename = "type")]
        pub entry_type: String => "type",
        pub scopes: String,
        #[serde(with = "b64bytes")]
        pub title_idx: Vec<u8>,
        pub doc: String,
        pub version: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub deleted: bool,
        /// The POP that wrote this version (last-write-wins tie-break).
        pub pop_id: String,
        /// Who created the entry: `""` for the owner, the agent's 32-hex id
        /// otherwise. Absent from POPs that predate it.
        #[serde(default)]
        pub created_by: String,
    }
}

table_row! {
    /// A row of `audit`, chained per (POP, vault) (see `vault::audit`).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct AuditRec in "audit" key(pop_id, vault_id, seq) {
        /// The POP whose chain this row belongs to.
        pub pop_id: String,
        pub vault_id: String,
        pub seq: i64,
        pub ts: i64,
        pub actor_kind: String,
        pub actor_id: String,
        pub action: String,
        pub entry_id: Option<String>,
        pub outcome: String,
        pub reason: Option<String>,
        pub source_ip: Option<String>,
        #[serde(with = "b64bytes")]
        pub prev_hash: Vec<u8>,
        #[serde(with = "b64bytes")]
        pub hash: Vec<u8>,
        /// Requests the row stands for (collapsed refusals). Left out at its
        /// default, 1, so a POP of the previous release reads every other row.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        pub count: i64,
        /// Destination host of a reference resolution (SPEC 13); absent from
        /// senders that predate the column.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub host: Option<String>,
    }
}

/// The replicated tables, parents first (the order rows are sent in).
pub const REPLICATED: [&str; 4] = [
    VaultRec::TABLE,
    UnlockRec::TABLE,
    EntryRec::TABLE,
    AuditRec::TABLE,
];

fn one() -> i64 {
    1
}

fn is_one(n: &i64) -> bool {
    *n == 1
}

mod b64bytes {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::crypto::b64(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        crate::crypto::unb64(&s)
            .map_err(|_| de::Error::custom("expected base64url without padding"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column of each shape exists in the migrated schema, and every
    /// column of the table (but `dirty`) is in the shape: a column added by
    /// a migration and forgotten here fails this test.
    #[test]
    fn shapes_cover_their_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::Store::open(&dir.path().join("t.db")).unwrap();
        let shapes: [(&str, &[&str]); 4] = [
            (VaultRec::TABLE, VaultRec::COLUMNS),
            (UnlockRec::TABLE, UnlockRec::COLUMNS),
            (EntryRec::TABLE, EntryRec::COLUMNS),
            (AuditRec::TABLE, AuditRec::COLUMNS),
        ];
        for (table, columns) in shapes {
            let mut stmt = store
                .raw()
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap();
            let mut stored: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            stored.retain(|c| c != "dirty");
            stored.sort();
            let mut shape: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
            shape.sort();
            assert_eq!(shape, stored, "{table}");
        }
    }

    #[test]
    fn statements_name_every_column_once() {
        assert_eq!(
            UnlockRec::insert_sql(false, OnConflict::Update),
            "INSERT INTO unlock_methods (vault_id, method_id, kind, kdf, wrapped, created_at, updated_at, \
             version, deleted, verifier, dirty) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0) \
             ON CONFLICT (vault_id, method_id) DO UPDATE SET kind = excluded.kind, kdf = excluded.kdf, \
             wrapped = excluded.wrapped, created_at = excluded.created_at, updated_at = excluded.updated_at, \
             version = excluded.version, deleted = excluded.deleted, verifier = excluded.verifier, dirty = 0"
        );
        assert_eq!(
            AuditRec::key_condition(2),
            "pop_id = ?2 AND vault_id = ?3 AND seq = ?4"
        );
        assert_eq!(EntryRec::COLUMNS[2], "type");
    }
}
