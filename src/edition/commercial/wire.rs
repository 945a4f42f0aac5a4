//! The body of `POST /api/v1/replication/apply`:
//! `{"pop_id": "<sender>", "records": [{"kind": "vault" | "unlock" | "entry" | "audit", ...}]}`.
//!
//! Records carry rows exactly as stored: ciphertext, verifiers and ids,
//! never a key, in the row shapes of `vault::rows` (each table's columns are
//! declared there once). Binary columns are base64url without padding.
//! Unknown fields are ignored so that POPs can be upgraded one at a time.

use serde::{Deserialize, Serialize};

/// The records are the tables' row shapes, defined once in the store.
pub use crate::vault::rows::{AuditRec, EntryRec, UnlockRec, VaultRec};

/// One apply request.
#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub pop_id: String,
    pub records: Vec<Record>,
}

/// One replicated row.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Vault(VaultRec),
    Unlock(UnlockRec),
    Entry(EntryRec),
    Audit(AuditRec),
}

impl Record {
    /// Rough size on the wire, to keep batches bounded in bytes too.
    pub fn weight(&self) -> usize {
        256 + match self {
            Record::Entry(e) => e.doc.len(),
            Record::Unlock(u) => u.wrapped.len() + u.kdf.len(),
            _ => 0,
        }
    }
}
