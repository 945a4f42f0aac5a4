//! The audit log: one row per credential access and per owner change,
//! chained per (POP, vault) by `hash = SHA-256(prev_hash || canonical row)`.
//!
//! Rows hold ids, never titles or values. Appending happens inside the
//! same transaction as the change it describes ([`super::Store::write`]),
//! so a change without its audit row cannot commit — and a read whose
//! audit row cannot commit releases nothing (fail-closed).

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{now_ms, Db, StoreError};
use crate::crypto::sha256;
use crate::ids::{EntryId, VaultId};
use crate::metrics::AuditTally;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Owner,
    Agent,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Owner => "owner",
            ActorKind::Agent => "agent",
            ActorKind::System => "system",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Denied,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
        }
    }
}

/// A row to append.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor_kind: ActorKind,
    /// Agent id (hex), or "" for the owner and the system.
    pub actor_id: String,
    pub action: &'static str,
    pub entry_id: Option<EntryId>,
    pub outcome: Outcome,
    pub reason: Option<&'static str>,
    pub source_ip: String,
}

/// A stored row, as the API returns it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub pop_id: String,
    pub seq: i64,
    pub ts: i64,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub entry_id: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub source_ip: Option<String>,
    #[serde(skip)]
    pub prev_hash: Vec<u8>,
    #[serde(skip)]
    pub hash: Vec<u8>,
}

/// Filters for listing; all optional. Rows come newest first.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub entry_id: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Only rows with `ts`/`seq` strictly before this cursor (`(ts, seq)` of the last row seen).
    pub before: Option<(i64, i64)>,
    pub limit: usize,
}

/// The first row whose hash does not match the chain.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChainBreak {
    pub pop_id: String,
    pub seq: i64,
    /// What is wrong: "hash mismatch" (row altered), "prev_hash mismatch"
    /// (a row before it removed or replaced), or "sequence gap".
    pub problem: String,
}

/// The canonical bytes of a row: a JSON array, unambiguous whatever the fields contain.
fn canonical(pop: &str, vault: &str, r: &AuditRow) -> Vec<u8> {
    serde_json::to_vec(&(
        pop,
        vault,
        r.seq,
        r.ts,
        &r.actor_kind,
        &r.actor_id,
        &r.action,
        &r.entry_id,
        &r.outcome,
        &r.reason,
        &r.source_ip,
    ))
    .expect("tuples of strings and integers serialize")
}

fn chain_hash(prev: &[u8], canonical: &[u8]) -> [u8; 32] {
    let mut buf = Vec::with_capacity(prev.len() + canonical.len());
    buf.extend_from_slice(prev);
    buf.extend_from_slice(canonical);
    sha256(&buf)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        pop_id: r.get(0)?,
        seq: r.get(1)?,
        ts: r.get(2)?,
        actor_kind: r.get(3)?,
        actor_id: r.get(4)?,
        action: r.get(5)?,
        entry_id: r.get(6)?,
        outcome: r.get(7)?,
        reason: r.get(8)?,
        source_ip: r.get(9)?,
        prev_hash: r.get(10)?,
        hash: r.get(11)?,
    })
}

const COLS: &str = "pop_id, seq, ts, actor_kind, actor_id, action, entry_id, outcome, reason, source_ip, prev_hash, hash";

impl Db<'_> {
    /// Appends one row to this POP's chain for `vault`. Call inside [`super::Store::write`].
    pub fn audit(&self, vault: &VaultId, ev: &AuditEvent) -> Result<(), StoreError> {
        self.append(vault, ev).map_err(|e| match e {
            StoreError::Sqlite(e) => StoreError::Audit(e),
            other => other,
        })
    }

    fn append(&self, vault: &VaultId, ev: &AuditEvent) -> Result<(), StoreError> {
        // Both statements are cached: a batch import appends up to 1000 rows
        // per transaction, and re-preparing them dominated its CPU time.
        let last: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached(
                "SELECT seq, hash FROM audit WHERE pop_id = ?1 AND vault_id = ?2 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row(params![self.pop_id, vault.hex()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (seq, prev) = match last {
            Some((s, h)) => (s + 1, h),
            None => (1, vec![0u8; 32]),
        };
        let row = AuditRow {
            pop_id: self.pop_id.to_string(),
            seq,
            ts: now_ms(),
            actor_kind: ev.actor_kind.as_str().into(),
            actor_id: ev.actor_id.clone(),
            action: ev.action.into(),
            entry_id: ev.entry_id.map(|e| e.hex()),
            outcome: ev.outcome.as_str().into(),
            reason: ev.reason.map(str::to_string),
            source_ip: Some(ev.source_ip.clone()),
            prev_hash: Vec::new(),
            hash: Vec::new(),
        };
        let hash = chain_hash(&prev, &canonical(self.pop_id, &vault.hex(), &row));
        self.conn.prepare_cached(
            "INSERT INTO audit (pop_id, vault_id, seq, ts, actor_kind, actor_id, action, entry_id, outcome, reason,
                                source_ip, prev_hash, hash, dirty)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1)",
        )?
        .execute(
            params![
                row.pop_id, vault.hex(), row.seq, row.ts, row.actor_kind, row.actor_id, row.action, row.entry_id,
                row.outcome, row.reason, row.source_ip, prev, &hash[..]
            ],
        )?;
        let agent_denial = (ev.actor_kind == ActorKind::Agent && ev.outcome == Outcome::Denied)
            .then(|| ev.reason.unwrap_or("other"));
        AuditTally::add(&self.tally, agent_denial);
        if let Some(appended) = self.appended {
            let row = AuditRow {
                prev_hash: prev,
                hash: hash.to_vec(),
                ..row
            };
            appended.borrow_mut().push((*vault, row));
        }
        Ok(())
    }

    /// Distinct entries an agent read successfully since `since_ms`, and
    /// whether `entry` is among them (re-reading does not count twice).
    pub fn distinct_reads_since(
        &self,
        vault: &VaultId,
        agent: &str,
        since_ms: i64,
        entry: &EntryId,
    ) -> Result<(u32, bool), StoreError> {
        // One row per entry, holding its last successful read: see
        // migration 4. Bounded by the agent's distinct entries of the hour.
        let (count, seen): (u32, bool) = self.conn.query_row(
            "SELECT COUNT(*), COALESCE(MAX(entry_id = ?4), 0) FROM agent_reads
             WHERE vault_id = ?1 AND agent_id = ?2 AND last_ts >= ?3",
            params![vault.hex(), agent, since_ms, entry.hex()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((count, seen))
    }

    /// Successful `action` rows of one actor since `since_ms` (the agent
    /// write limit counts `create`s). The `audit_by_actor` index makes this
    /// a range scan over at most the limit's worth of rows: creates over the
    /// limit are refused, so they are not `success` rows.
    pub fn successes_since(
        &self,
        vault: &VaultId,
        actor: &str,
        action: &str,
        since_ms: i64,
    ) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM audit
             WHERE vault_id = ?1 AND actor_id = ?2 AND action = ?3 AND ts >= ?4 AND outcome = 'success'",
            params![vault.hex(), actor, action, since_ms],
            |r| r.get(0),
        )?)
    }

    /// A page of rows, newest first.
    pub fn audit_rows(
        &self,
        vault: &VaultId,
        f: &AuditFilter,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut sql = format!("SELECT {COLS} FROM audit WHERE vault_id = ?1");
        let mut args: Vec<rusqlite::types::Value> = vec![vault.hex().into()];
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            sql.push_str(&format!(" AND {clause} ?{}", args.len()));
        };
        if let Some(a) = &f.actor_id {
            add("actor_id =", a.clone().into());
        }
        if let Some(e) = &f.entry_id {
            add("entry_id =", e.clone().into());
        }
        if let Some(a) = &f.action {
            add("action =", a.clone().into());
        }
        if let Some(o) = &f.outcome {
            add("outcome =", o.clone().into());
        }
        if let Some(t) = f.since_ms {
            add("ts >=", t.into());
        }
        if let Some(t) = f.until_ms {
            add("ts <", t.into());
        }
        if let Some((ts, seq)) = f.before {
            args.push(ts.into());
            args.push(seq.into());
            let (a, b) = (args.len() - 1, args.len());
            sql.push_str(&format!(" AND (ts < ?{a} OR (ts = ?{a} AND seq < ?{b}))"));
        }
        sql.push_str(&format!(
            " ORDER BY ts DESC, seq DESC LIMIT {}",
            f.limit.clamp(1, 1000)
        ));
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Walks every chain of `vault` (one per POP) and returns the first broken link, if any,
    /// with the number of rows checked.
    pub fn audit_verify(&self, vault: &VaultId) -> Result<(usize, Option<ChainBreak>), StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLS} FROM audit WHERE vault_id = ?1 ORDER BY pop_id, seq"
        ))?;
        let rows = stmt.query_map([vault.hex()], from_row)?;
        let mut checked = 0;
        let mut prev: Option<(String, i64, Vec<u8>)> = None;
        for row in rows {
            let row = row?;
            checked += 1;
            let brk = |problem: &str| {
                Some(ChainBreak {
                    pop_id: row.pop_id.clone(),
                    seq: row.seq,
                    problem: problem.into(),
                })
            };
            let (expect_seq, expect_prev) = match &prev {
                Some((pop, seq, hash)) if *pop == row.pop_id => (seq + 1, hash.clone()),
                _ => (1, vec![0u8; 32]),
            };
            if row.seq != expect_seq {
                return Ok((checked, brk("sequence gap: rows missing before this one")));
            }
            if row.prev_hash != expect_prev {
                return Ok((
                    checked,
                    brk("prev_hash mismatch: the row before it was altered or removed"),
                ));
            }
            let want = chain_hash(&row.prev_hash, &canonical(&row.pop_id, &vault.hex(), &row));
            if row.hash != want {
                return Ok((checked, brk("hash mismatch: this row was altered")));
            }
            prev = Some((row.pop_id.clone(), row.seq, row.hash.clone()));
        }
        Ok((checked, None))
    }
}
