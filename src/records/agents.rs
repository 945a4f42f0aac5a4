//! Agent records (the sealed plaintext of `agent` system entries) and the
//! two transactions that read and change them on an agent's request: the
//! rate-limited read (run by the committer inside its batch) and the
//! write-limited create. Both call only `policy` and `vault`: nothing in
//! them reaches back into the API layer.

use std::time::Duration;

use super::{AgentRecords, RecordError, Records, Result};
use crate::ids::EntryId;
use crate::policy::{self, AgentRecord, RateDecision, WriteCounts};
use crate::vault::{now_ms, AuditEvent, Audited, Db, EntryRow, NewEntry, Tx};

impl Records {
    /// Loads and opens an agent's record; `None` if there is no live agent with that id.
    pub fn load_agent(&self, db: &Db<'_>, id: &EntryId) -> Result<Option<(EntryRow, AgentRecord)>> {
        let Some(row) = db
            .entry(&self.vault, id)?
            .filter(|r| !r.deleted && r.entry_type == "agent")
        else {
            return Ok(None);
        };
        let record = self.open_record(&row)?;
        Ok(Some((row, record)))
    }

    /// Re-seals an agent record in place (same transaction as the caller's
    /// audit row); fails on a version conflict.
    pub fn save_agent(&self, tx: &Tx<'_>, row: &EntryRow, record: &AgentRecord) -> Result<()> {
        let new = self.agent_row(row.entry_id, record, row.created_at);
        tx.replace_entry(&self.vault, &new, row.version)?;
        Ok(())
    }
}

impl AgentRecords {
    fn load_agent(&self, db: &Db<'_>, id: &EntryId) -> Result<(EntryRow, AgentRecord)> {
        self.0
            .load_agent(db, id)?
            .ok_or(RecordError::AgentGone(*id))
    }
}

/// An agent's read as the committer decides it, inside its batch
/// transaction, so that concurrent reads by the same agent — even reads
/// queued in the same batch — are counted exactly. The agent record is
/// re-read inside it when it changed since authentication: a violation or
/// lock recorded by a parallel request is seen, and a new one is persisted
/// before the answer goes out.
pub struct AgentRead {
    pub records: AgentRecords,
    pub agent: EntryId,
    pub entry: EntryId,
    pub lockdown_window: Duration,
    /// The record authentication opened, and the row it came from.
    pub loaded: (EntryRow, AgentRecord),
    /// The audit rows for each outcome: read, over the limit, locked.
    pub success: AuditEvent,
    pub limited: AuditEvent,
    pub locked: AuditEvent,
}

impl AgentRead {
    /// Counts, decides (`policy::rate_check`), persists a violation and
    /// appends the audit row. [`RecordError::AgentGone`] if the agent was
    /// deleted meanwhile (nothing is appended).
    pub fn decide(self, tx: &Tx<'_>) -> Result<Audited<RateDecision>> {
        let vault = *self.records.vault();
        let (loaded_row, loaded_record) = self.loaded;
        // The record authentication opened is current unless a request
        // before this one (a violation, a lock, the owner) changed it.
        let (row, mut record) = if tx.live_version(&vault, &self.agent)? == Some(loaded_row.version)
        {
            (loaded_row, loaded_record)
        } else {
            self.records.load_agent(tx, &self.agent)?
        };
        if record.locked {
            return Ok(tx
                .audit_refusal(&vault, &self.locked)?
                .with(RateDecision::Lock));
        }
        let now = now_ms();
        let counts = tx.distinct_reads(
            &vault,
            &self.agent.hex(),
            (now - 60_000, now - 3_600_000),
            &self.entry,
        )?;
        let decision = policy::rate_check(&mut record, &counts, now, self.lockdown_window);
        if decision == RateDecision::Allow {
            return Ok(tx.audit(&vault, &self.success)?.with(decision));
        }
        let mut limited = self.limited;
        if decision == RateDecision::Lock {
            limited.reason = Some("rate_limited_locked");
        }
        self.records.0.save_agent(tx, &row, &record)?;
        Ok(tx.audit(&vault, &limited)?.with(decision))
    }
}

/// What became of an agent's create.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    Created,
    /// Over the write limit: a violation, retry after this many seconds.
    Limited {
        retry_after: u64,
    },
    /// The agent is (now) locked.
    Locked,
}

/// An agent's create: the write limit, the entry and its audit row in one
/// transaction, so parallel creates by one agent are counted exactly (as
/// reads are). A refusal commits its audit row and the violation, never the
/// entry; a second violation within the lockdown window locks the agent.
pub struct AgentCreate<'a> {
    pub records: &'a AgentRecords,
    pub agent: EntryId,
    pub row: &'a NewEntry,
    pub lockdown_window: Duration,
    pub limit_minute: u32,
    pub limit_hour: u32,
    /// The audit rows for each outcome: created, over the limit, locked.
    pub success: AuditEvent,
    pub limited: AuditEvent,
    pub locked: AuditEvent,
}

impl AgentCreate<'_> {
    pub fn run(self, tx: &Tx<'_>) -> Result<Audited<CreateOutcome>> {
        let vault = *self.records.vault();
        let (record_row, mut record) = self.records.load_agent(tx, &self.agent)?;
        if record.locked {
            return Ok(tx.audit(&vault, &self.locked)?.with(CreateOutcome::Locked));
        }
        let now = now_ms();
        let agent_hex = self.agent.hex();
        let counts = WriteCounts {
            minute: tx.successes_since(&vault, &agent_hex, "create", now - 60_000)?,
            hour: tx.successes_since(&vault, &agent_hex, "create", now - 3_600_000)?,
            limit_minute: self.limit_minute,
            limit_hour: self.limit_hour,
        };
        match policy::write_check(&mut record, &counts, now, self.lockdown_window) {
            RateDecision::Allow => {
                tx.insert_entry(&vault, self.row)?;
                Ok(tx
                    .audit(&vault, &self.success)?
                    .with(CreateOutcome::Created))
            }
            decision => {
                let mut limited = self.limited;
                let outcome = if decision == RateDecision::Lock {
                    limited.reason = Some("rate_limited_locked");
                    CreateOutcome::Locked
                } else {
                    CreateOutcome::Limited {
                        retry_after: counts.retry_after(),
                    }
                };
                self.records.0.save_agent(tx, &record_row, &record)?;
                Ok(tx.audit(&vault, &limited)?.with(outcome))
            }
        }
    }
}
