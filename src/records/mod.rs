//! Sealed records: the layer between `api` and `vault` that alone handles
//! K1, the key of a vault's L1 documents, which a request carries in its
//! wire token. It seals documents into rows and opens rows into documents
//! (credential entries, agent and scope records), computes blind title
//! indexes and mints the tokens that carry K1. Handlers hold a [`Records`]
//! (the owner) or an [`AgentRecords`] (an agent) and never see the key or
//! the sealed format.
//!
//! An agent's read goes one way: route → `policy` (may it see the entry)
//! → `records` ([`AgentRecords::open_entry`], which has no way to return
//! an L3 field, then [`agents::AgentRead`] in the committer's transaction)
//! → `vault`.

pub mod agents;
mod entries;
pub mod unlock;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

use crate::crypto::keys::{self, title_index, title_key};
use crate::crypto::seal::{self, Sealed, Tier};
use crate::crypto::token::{self, PrincipalKind, TokenClaims};
use crate::crypto::{ct_eq, Key32, Keyring};
use crate::ids::{EntryId, VaultId};
use crate::vault::{EntryRow, StoreError, VaultRow};

pub use entries::AgentEdit;

/// Why a record could not be read or written.
#[derive(Debug, Error)]
pub enum RecordError {
    /// A stored document does not open with the caller's K1 (or was moved).
    #[error("{what} {entry} of vault {vault} does not open with the session key")]
    WrongKey {
        what: &'static str,
        vault: VaultId,
        entry: EntryId,
    },
    /// A stored document opened but does not parse.
    #[error("{what} {entry} of vault {vault} holds an unreadable document")]
    Unreadable {
        what: &'static str,
        vault: VaultId,
        entry: EntryId,
    },
    /// The agent a request was authenticated as is gone (deleted meanwhile).
    #[error("agent {0} no longer exists")]
    AgentGone(EntryId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, RecordError>;

/// Whether `key` is this vault's K1 (its check value matches); constant time.
pub fn key_matches(key: &Key32, vault: &VaultRow) -> bool {
    ct_eq(&keys::l1_check(key), &vault.l1_check)
}

/// One vault's sealed records, as a caller holding its K1 opens and seals
/// them. The key lives for one request (it came in the caller's token);
/// shared, not copied, with the committer's job of that request.
#[derive(Clone)]
pub struct Records {
    vault: VaultId,
    key: Arc<Key32>,
}

impl Records {
    /// The records of `vault` under `key` (a login's K1, checked with
    /// [`key_matches`] by the caller).
    pub fn new(vault: VaultId, key: Key32) -> Records {
        Records {
            vault,
            key: Arc::new(key),
        }
    }

    /// The records a token opens, if the K1 it carries is this vault's.
    pub fn from_token(claims: &TokenClaims, vault: &VaultRow) -> Option<Records> {
        key_matches(&claims.k1, vault).then(|| Records::new(vault.vault_id, claims.k1.clone()))
    }

    pub fn vault(&self) -> &VaultId {
        &self.vault
    }

    /// The same records as an agent may use them.
    pub fn for_agent(self) -> AgentRecords {
        AgentRecords(self)
    }

    /// Serializes and seals a document for entry `id`.
    fn seal<T: Serialize>(&self, id: &EntryId, value: &T) -> Sealed {
        let plain = serde_json::to_vec(value).expect("documents and records serialize");
        seal::seal(&self.key, Tier::L1, &seal::doc_aad(&self.vault, id), &plain)
    }

    /// Opens and parses a row's document; `what` names it in errors.
    fn open<T: DeserializeOwned>(&self, row: &EntryRow, what: &'static str) -> Result<T> {
        let aad = seal::doc_aad(&self.vault, &row.entry_id);
        let plain = seal::open(&self.key, Tier::L1, &aad, row.doc.as_str()).map_err(|_| {
            RecordError::WrongKey {
                what,
                vault: self.vault,
                entry: row.entry_id,
            }
        })?;
        serde_json::from_slice(&plain).map_err(|_| RecordError::Unreadable {
            what,
            vault: self.vault,
            entry: row.entry_id,
        })
    }

    /// The blind index of a title (exact lookups without the title in clear).
    pub fn title_index(&self, title: &str) -> [u8; 32] {
        title_index(&title_key(&self.key, &self.vault.hex()), title)
    }

    /// An owner's wire token: valid until `expires_at` (unix seconds) and
    /// while the vault's session generation is `generation`.
    pub fn owner_token(
        &self,
        ring: &Keyring,
        generation: u32,
        now: u64,
        expires_at: u64,
    ) -> String {
        self.token(
            ring,
            PrincipalKind::Owner,
            [0; 16],
            generation,
            now,
            expires_at,
        )
    }

    /// An agent's wire token. It carries no expiry of its own (`expires_at`
    /// 0): the agent record's expiry, checked on every request, is the only
    /// one, so the owner can change it without a new credential.
    pub fn agent_token(
        &self,
        ring: &Keyring,
        agent: &EntryId,
        generation: u32,
        now: u64,
    ) -> String {
        self.token(
            ring,
            PrincipalKind::Agent,
            *agent.bytes(),
            generation,
            now,
            0,
        )
    }

    fn token(
        &self,
        ring: &Keyring,
        kind: PrincipalKind,
        principal_id: [u8; 16],
        generation: u32,
        issued_at: u64,
        expires_at: u64,
    ) -> String {
        let claims = TokenClaims {
            vault_id: *self.vault.bytes(),
            kind,
            principal_id,
            k1: Key32::clone(&self.key),
            issued_at,
            expires_at,
            generation,
        };
        token::seal_token(ring, &claims)
    }
}

/// A vault's records as an agent may use them: entries open only as
/// [`crate::entry::AgentDocument`]s (no L3 field), edits carry the L3
/// fields over without showing them.
#[derive(Clone)]
pub struct AgentRecords(Records);

impl AgentRecords {
    pub fn vault(&self) -> &VaultId {
        self.0.vault()
    }

    pub fn title_index(&self, title: &str) -> [u8; 32] {
        self.0.title_index(title)
    }
}

#[cfg(test)]
mod tests;
