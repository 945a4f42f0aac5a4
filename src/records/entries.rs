//! Credential entries: a validated entry sealed into a row, a row opened
//! into its document — in full for the owner, without L3 for an agent.

use super::{AgentRecords, Records, Result};
use crate::crypto::seal::Tier;
use crate::entry::{scopes_column, AgentDocument, Document, Field, ValidEntry};
use crate::ids::EntryId;
use crate::policy::{AgentRecord, ScopeRecord};
use crate::vault::{now_ms, Creator, EntryRow, NewEntry};

impl Records {
    /// Seals a validated entry into a row.
    pub fn entry_row(
        &self,
        id: EntryId,
        valid: ValidEntry,
        created_by: Creator,
        created_ms: i64,
        now_ms: i64,
    ) -> NewEntry {
        NewEntry {
            entry_id: id,
            entry_type: valid.doc.entry_type.clone(),
            scopes: scopes_column(&valid.scopes),
            title_idx: self.title_index(&valid.doc.title),
            doc: self.seal(&id, &valid.doc),
            created_at: created_ms,
            updated_at: now_ms,
            created_by,
        }
    }

    /// Opens a stored credential entry's document, every field included.
    pub fn open_entry(&self, row: &EntryRow) -> Result<Document> {
        self.open(row, "entry")
    }

    /// Opens a system entry's record (an agent's or a scope's).
    pub fn open_record<T: serde::de::DeserializeOwned>(&self, row: &EntryRow) -> Result<T> {
        self.open(row, "system entry")
    }

    /// Seals an agent record into a new system-entry row.
    pub fn agent_row(&self, id: EntryId, record: &AgentRecord, created_ms: i64) -> NewEntry {
        self.system_row(
            id,
            "agent",
            String::new(),
            self.seal(&id, record),
            created_ms,
        )
    }

    /// Seals a scope record into a system-entry row; its id also goes into
    /// the plaintext `scopes` column, so ids are never reused.
    pub fn scope_row(&self, id: EntryId, record: &ScopeRecord, created_ms: i64) -> NewEntry {
        let scopes = record.scope_id.to_string();
        self.system_row(id, "scope", scopes, self.seal(&id, record), created_ms)
    }

    fn system_row(
        &self,
        id: EntryId,
        entry_type: &str,
        scopes: String,
        doc: crate::crypto::seal::Sealed,
        created_ms: i64,
    ) -> NewEntry {
        NewEntry {
            entry_id: id,
            entry_type: entry_type.into(),
            scopes,
            title_idx: [0; 32],
            doc,
            created_at: created_ms,
            updated_at: now_ms(),
            created_by: Creator::Owner,
        }
    }
}

/// An entry an agent is about to edit: what it may see of the current
/// document, and (hidden from it) the L3 fields the new version keeps.
pub struct AgentEdit {
    records: Records,
    current: EntryRow,
    kept_l3: Vec<Field>,
    /// The current document's `created_at` (RFC 3339), which an edit keeps.
    pub created_at: String,
}

impl AgentEdit {
    /// The new version's row: the agent's fields plus the kept L3 fields,
    /// the same creator and creation time.
    pub fn replace(self, mut valid: ValidEntry, now_ms: i64) -> NewEntry {
        valid.doc.fields.extend(self.kept_l3);
        self.records.entry_row(
            self.current.entry_id,
            valid,
            self.current.created_by,
            self.current.created_at,
            now_ms,
        )
    }
}

impl AgentRecords {
    /// Opens a credential entry for an agent: L3 fields are left out by
    /// the type ([`AgentDocument`] has no place for them).
    pub fn open_entry(&self, row: &EntryRow) -> Result<AgentDocument> {
        Ok(self.0.open_entry(row)?.for_agent())
    }

    /// Opens an entry the agent may edit (policy decided that).
    pub fn open_for_edit(&self, current: EntryRow) -> Result<AgentEdit> {
        let doc = self.0.open_entry(&current)?;
        Ok(AgentEdit {
            records: self.0.clone(),
            kept_l3: doc
                .fields
                .into_iter()
                .filter(|f| f.tier == Tier::L3)
                .collect(),
            created_at: doc.created_at,
            current,
        })
    }

    /// Seals an agent's new entry (the caller refused L3 fields and checked
    /// the scopes); the agent is its creator.
    pub fn new_entry_row(
        &self,
        id: EntryId,
        valid: ValidEntry,
        agent: EntryId,
        now: i64,
    ) -> NewEntry {
        self.0.entry_row(id, valid, Creator::Agent(agent), now, now)
    }
}
