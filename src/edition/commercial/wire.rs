//! The body of `POST /api/v1/replication/apply`:
//! `{"pop_id": "<sender>", "records": [{"kind": "vault" | "unlock" | "entry" | "audit", ...}]}`.
//!
//! Records carry rows exactly as stored: ciphertext, verifiers and ids,
//! never a key. Binary columns are base64url without padding. Unknown
//! fields are ignored so that POPs can be upgraded one at a time.

use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultRec {
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

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnlockRec {
    pub vault_id: String,
    pub method_id: String,
    #[serde(rename = "method_kind")]
    pub kind: String,
    pub kdf: String,
    pub wrapped: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryRec {
    pub vault_id: String,
    pub entry_id: String,
    #[serde(rename = "type")]
    pub entry_type: String,
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
    /// otherwise (`entries.created_by`). Absent from POPs that predate it.
    #[serde(default)]
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditRec {
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
