//! Replication's SQL: reading dirty rows on the primary, clearing their
//! flags, and applying batches on the backup.
//!
//! Invariant: a dirty flag is cleared only if the row's version is still the
//! one that was sent (audit rows never change), so a write that lands while
//! its row is in flight stays dirty and is sent again.
//! Invariant: applying is idempotent and last-write-wins by
//! (updated_at, version, pop_id); audit rows are inserted once by
//! (pop_id, vault_id, seq) and keep the chain of the POP that wrote them.

use rusqlite::{Connection, OptionalExtension};

use super::wire::{AuditRec, EntryRec, Record, UnlockRec, VaultRec};
use crate::crypto::rest::{self, Column};
use crate::crypto::{Key32, Keyring};
use crate::ids::{EntryId, VaultId};
use crate::vault::rows::{OnConflict, TableRow, REPLICATED};
use crate::vault::{Store, StoreError};

/// Which backup this database was last fully sent to (`meta` key).
const TARGET_KEY: &str = "replication_target";

/// Up to `limit` dirty rows and roughly `max_bytes`, parents first:
/// vaults, unlock methods, entries (tombstones included), audit rows.
pub fn collect(
    conn: &Connection,
    limit: usize,
    max_bytes: usize,
) -> Result<Vec<Record>, StoreError> {
    let mut out: Vec<Record> = Vec::new();
    let mut bytes = 0;
    let mut room = Room {
        limit,
        max_bytes,
        bytes: &mut bytes,
    };
    dirty::<VaultRec>(conn, "", &mut out, &mut room, Record::Vault)?;
    dirty::<UnlockRec>(conn, "", &mut out, &mut room, Record::Unlock)?;
    dirty::<EntryRec>(conn, "", &mut out, &mut room, Record::Entry)?;
    // In chain order, so a backup's copy of a chain never has a gap.
    let order = "ORDER BY pop_id, vault_id, seq";
    dirty::<AuditRec>(conn, order, &mut out, &mut room, Record::Audit)?;
    Ok(out)
}

/// How much more a batch may take.
struct Room<'a> {
    limit: usize,
    max_bytes: usize,
    bytes: &'a mut usize,
}

/// Appends the dirty rows of `R`'s table to `out` while there is room.
fn dirty<R: TableRow>(
    conn: &Connection,
    order: &str,
    out: &mut Vec<Record>,
    room: &mut Room<'_>,
    wrap: fn(R) -> Record,
) -> Result<(), StoreError> {
    let left = room.limit - out.len();
    if left == 0 || *room.bytes >= room.max_bytes {
        return Ok(());
    }
    let sql = format!(
        "SELECT {} FROM {} WHERE dirty = 1 {order} LIMIT ?1",
        R::columns(),
        R::TABLE
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([left as i64])?;
    while let Some(row) = rows.next()? {
        let rec = wrap(R::from_row(row)?);
        *room.bytes += rec.weight();
        out.push(rec);
        if *room.bytes >= room.max_bytes {
            break;
        }
    }
    Ok(())
}

/// Prepares collected rows for the wire: unlock material sealed at rest with
/// this POP's keyring is opened and sealed for transit under `transit`
/// (from the replication key), because the backup may hold another keyring.
pub fn seal_for_transit(
    records: &mut [Record],
    ring: &Keyring,
    transit: &Key32,
) -> Result<(), String> {
    reseal_unlocks(records, |_, (vault, method), column, value| {
        let plain = if rest::is_sealed_at_rest(value) {
            rest::open_at_rest(ring, vault, method, column, value)
                .map_err(|e| format!("unlock method {method} of vault {vault}: {e}"))?
        } else {
            zeroize::Zeroizing::new(value.as_bytes().to_vec())
        };
        Ok(rest::seal_in_transit(
            transit, vault, method, column, &plain,
        ))
    })
}

/// The receiving side of [`seal_for_transit`]: opens transit seals and
/// seals unlock material at rest with this POP's own keyring. A plain
/// `cv1.l3.` wrapped copy (a sender older than v1.1) is sealed as it is.
pub fn seal_for_rest(
    records: &mut [Record],
    ring: &Keyring,
    transit: &Key32,
) -> Result<(), ApplyError> {
    reseal_unlocks(records, |i, (vault, method), column, value| {
        let plain = if column == Column::Wrapped && value.starts_with("cv1.l3.") {
            zeroize::Zeroizing::new(value.as_bytes().to_vec())
        } else {
            rest::open_in_transit(transit, vault, method, column, value).map_err(|e| {
                ApplyError::Invalid(format!(
                    "records[{i}]: unlock material does not open with the replication key: {e}"
                ))
            })?
        };
        Ok(rest::seal_at_rest(ring, vault, method, column, &plain))
    })
}

/// Replaces the sealed unlock material of each unlock record (`wrapped`,
/// `verifier`; an empty value stays empty) with what `reseal` makes of it,
/// given the record's index, its `(vault_id, method_id)`, the column and
/// the current value.
fn reseal_unlocks<E>(
    records: &mut [Record],
    mut reseal: impl FnMut(usize, (&str, &str), Column, &str) -> Result<String, E>,
) -> Result<(), E> {
    for (i, rec) in records.iter_mut().enumerate() {
        let Record::Unlock(u) = rec else { continue };
        let ids = (u.vault_id.as_str(), u.method_id.as_str());
        for (column, value) in [
            (Column::Wrapped, &mut u.wrapped),
            (Column::Verifier, &mut u.verifier),
        ] {
            if !value.is_empty() {
                *value = reseal(i, ids, column, value)?;
            }
        }
    }
    Ok(())
}

/// Clears the flags of rows the backup acknowledged, unless they changed since.
pub fn clear(store: &mut Store, sent: &[Record]) -> Result<(), StoreError> {
    store.write_raw(|tx| {
        for rec in sent {
            match rec {
                Record::Vault(v) => clear_row(tx, v, Some(v.version)),
                Record::Unlock(u) => clear_row(tx, u, Some(u.version)),
                Record::Entry(e) => clear_row(tx, e, Some(e.version)),
                // Audit rows never change: acknowledged is done.
                Record::Audit(a) => clear_row(tx, a, None),
            }?;
        }
        Ok(())
    })
}

/// Clears one row's flag, if it is still at `version` (when given).
fn clear_row<R: TableRow>(tx: &Connection, r: &R, version: Option<i64>) -> Result<(), StoreError> {
    let n = R::KEY.len();
    let mut sql = format!(
        "UPDATE {} SET dirty = 0 WHERE {}",
        R::TABLE,
        R::key_condition(1)
    );
    if version.is_some() {
        sql.push_str(&format!(" AND version = ?{}", n + 1));
    }
    let mut stmt = tx.prepare_cached(&sql)?;
    r.bind_key(|key| {
        let mut args = key.to_vec();
        if let Some(v) = &version {
            args.push(v);
        }
        stmt.execute(&*args)
    })?;
    Ok(())
}

/// Rows still to send.
pub fn backlog(conn: &Connection) -> Result<i64, StoreError> {
    let counts: Vec<String> = REPLICATED
        .iter()
        .map(|t| format!("(SELECT COUNT(*) FROM {t} WHERE dirty = 1)"))
        .collect();
    Ok(conn.query_row(&format!("SELECT {}", counts.join(" + ")), [], |r| r.get(0))?)
}

/// When this database was last fully sent to a different backup (or never),
/// marks every row dirty so the new backup receives everything. True if it did.
pub fn ensure_target(store: &mut Store, backup: &str) -> Result<bool, StoreError> {
    store.write_raw(|tx| {
        let current: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [TARGET_KEY], |r| r.get(0))
            .optional()?;
        if current.as_deref() == Some(backup) {
            return Ok(false);
        }
        for table in REPLICATED {
            tx.execute(&format!("UPDATE {table} SET dirty = 1"), [])?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [TARGET_KEY, backup],
        )?;
        Ok(true)
    })
}

/// Why a batch was refused; nothing of it was applied.
#[derive(Debug)]
pub enum ApplyError {
    /// A record is malformed (400).
    Invalid(String),
    /// A record cannot be stored next to what is here, e.g. a handle taken by another vault (409).
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for ApplyError {
    fn from(e: StoreError) -> Self {
        ApplyError::Store(e)
    }
}

impl From<rusqlite::Error> for ApplyError {
    fn from(e: rusqlite::Error) -> Self {
        ApplyError::Store(e.into())
    }
}

/// What a batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Rows inserted or replaced.
    pub applied: usize,
    /// Rows this POP already had in the same or a newer version.
    pub skipped: usize,
}

/// Applies `records` in one transaction: all or nothing.
pub fn apply(store: &mut Store, records: &[Record]) -> Result<Applied, ApplyError> {
    for (i, r) in records.iter().enumerate() {
        validate(r).map_err(|m| ApplyError::Invalid(format!("records[{i}]: {m}")))?;
    }
    let tx = store.raw();
    tx.execute_batch("BEGIN IMMEDIATE")?;
    let result = apply_all(tx, records).and_then(|done| {
        tx.execute_batch("COMMIT")?;
        Ok(done)
    });
    if result.is_err() && !tx.is_autocommit() {
        let _ = tx.execute_batch("ROLLBACK");
    }
    result
}

fn apply_all(tx: &Connection, records: &[Record]) -> Result<Applied, ApplyError> {
    let mut done = Applied::default();
    for (i, rec) in records.iter().enumerate() {
        let changed = match rec {
            Record::Vault(v) => apply_vault(tx, v),
            Record::Unlock(u) => apply_unlock(tx, u),
            Record::Entry(e) => apply_entry(tx, e),
            Record::Audit(a) => apply_audit(tx, a),
        }
        .map_err(|e| match e {
            ApplyError::Conflict(m) => ApplyError::Conflict(format!("records[{i}]: {m}")),
            other => other,
        })?;
        if changed {
            done.applied += 1;
        } else {
            done.skipped += 1;
        }
    }
    Ok(done)
}

fn validate(r: &Record) -> Result<(), String> {
    let vault = match r {
        Record::Vault(v) => &v.vault_id,
        Record::Unlock(u) => &u.vault_id,
        Record::Entry(e) => &e.vault_id,
        Record::Audit(a) => &a.vault_id,
    };
    VaultId::parse(vault).map_err(|_| "vault_id: expected 32 lowercase hex digits".to_string())?;
    match r {
        Record::Entry(e) => {
            EntryId::parse(&e.entry_id)
                .map_err(|_| "entry_id: expected 32 lowercase hex digits".to_string())?;
            if e.title_idx.len() != 32 {
                return Err("title_idx: expected 32 bytes".into());
            }
            crate::vault::Creator::from_column(&e.created_by).map_err(|_| {
                "created_by: expected \"\" (owner) or 32 lowercase hex digits (agent id)"
                    .to_string()
            })?;
        }
        Record::Audit(a) if a.hash.len() != 32 || a.prev_hash.len() != 32 => {
            return Err("hash, prev_hash: expected 32 bytes each".into())
        }
        Record::Audit(a) if a.seq < 1 => return Err("seq: expected 1 or more".into()),
        _ => {}
    }
    Ok(())
}

/// Whether `(updated_at, version, pop)` of an incoming row beats what is stored.
fn newer(incoming: (i64, i64, &str), stored: Option<(i64, i64, String)>) -> bool {
    match stored {
        None => true,
        Some((u, v, p)) => incoming > (u, v, p.as_str()),
    }
}

fn conflict_or(e: rusqlite::Error, what: &str) -> ApplyError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            ApplyError::Conflict(format!(
                "{what} conflicts with a row on this POP ({})",
                f.extended_code
            ))
        }
        _ => e.into(),
    }
}

fn apply_vault(tx: &Connection, v: &VaultRec) -> Result<bool, ApplyError> {
    let incoming = (v.updated_at, v.version, "");
    apply_newer(tx, v, incoming, "''", "vault (its handle?)")
}

fn apply_unlock(tx: &Connection, u: &UnlockRec) -> Result<bool, ApplyError> {
    let incoming = (u.updated_at, u.version, "");
    apply_newer(tx, u, incoming, "''", "unlock method (its vault missing?)")
}

fn apply_entry(tx: &Connection, e: &EntryRec) -> Result<bool, ApplyError> {
    let incoming = (e.updated_at, e.version, e.pop_id.as_str());
    apply_newer(tx, e, incoming, "pop_id", "entry (its vault missing?)")
}

/// Inserts or replaces `r` if `incoming` (its `(updated_at, version,
/// pop)`) beats the stored row's; `pop` is the SQL for the stored row's
/// writer (`pop_id`, or `''` for tables that do not keep it).
fn apply_newer<R: TableRow>(
    tx: &Connection,
    r: &R,
    incoming: (i64, i64, &str),
    pop: &str,
    what: &str,
) -> Result<bool, ApplyError> {
    let sql = format!(
        "SELECT updated_at, version, {pop} FROM {} WHERE {}",
        R::TABLE,
        R::key_condition(1)
    );
    let stored = r.bind_key(|key| {
        tx.prepare_cached(&sql)?
            .query_row(key, |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .optional()
    })?;
    if !newer(incoming, stored) {
        return Ok(false);
    }
    let sql = R::insert_sql(false, OnConflict::Update);
    r.bind(|args| tx.prepare_cached(&sql)?.execute(args))
        .map_err(|e| conflict_or(e, what))?;
    Ok(true)
}

/// Audit rows are inserted once, as written by the POP whose chain they are.
fn apply_audit(tx: &Connection, a: &AuditRec) -> Result<bool, ApplyError> {
    let sql = AuditRec::insert_sql(false, OnConflict::Ignore);
    let n = a.bind(|args| tx.prepare_cached(&sql)?.execute(args))?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, s)
    }

    fn vault(version: i64, updated_at: i64) -> Record {
        Record::Vault(VaultRec {
            vault_id: "f73de89fb22ecd1310f333e6f4575bb7".into(),
            handle: Some("alice".into()),
            owner_verifier: vec![1; 32],
            l1_check: vec![2; 32],
            session_generation: version as u32,
            created_at: 1,
            updated_at,
            version,
        })
    }

    fn generation(s: &Store) -> i64 {
        s.raw()
            .query_row("SELECT session_generation FROM vaults", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn apply_is_idempotent_and_last_write_wins() {
        let (_d, mut s) = store();
        assert_eq!(
            apply(&mut s, &[vault(2, 20)]).unwrap(),
            Applied {
                applied: 1,
                skipped: 0
            }
        );
        assert_eq!(
            apply(&mut s, &[vault(2, 20)]).unwrap(),
            Applied {
                applied: 0,
                skipped: 1
            }
        );
        assert_eq!(
            apply(&mut s, &[vault(1, 10)]).unwrap().skipped,
            1,
            "older loses"
        );
        assert_eq!(generation(&s), 2);
        apply(&mut s, &[vault(3, 30)]).unwrap();
        assert_eq!(generation(&s), 3);
        assert_eq!(backlog(s.raw()).unwrap(), 0, "applied rows are not dirty");
    }

    fn unlock(wrapped: String, verifier: String) -> Record {
        Record::Unlock(UnlockRec {
            vault_id: "f73de89fb22ecd1310f333e6f4575bb7".into(),
            method_id: "recovery".into(),
            kind: "recovery".into(),
            kdf: "{\"alg\":\"hkdf-sha256\"}".into(),
            wrapped,
            verifier,
            created_at: 1,
            updated_at: 1,
            version: 1,
            deleted: false,
        })
    }

    /// Unlock material crosses from one keyring to another: sealed at rest
    /// with the sender's, in transit with the replication key, at rest with
    /// the receiver's. A plain pre-v1.1 copy and empty values pass through.
    #[test]
    fn unlock_material_is_resealed_between_keyrings() {
        let (v, m) = ("f73de89fb22ecd1310f333e6f4575bb7", "recovery");
        let (sender, receiver) = (Keyring::generate(), Keyring::generate());
        let transit = rest::transit_key(&[9; 32]);
        let wrapped = "cv1.l3.AAAA";
        let mut recs = vec![
            unlock(
                rest::seal_at_rest(&sender, v, m, Column::Wrapped, wrapped.as_bytes()),
                rest::seal_at_rest(&sender, v, m, Column::Verifier, &[4; 32]),
            ),
            unlock(wrapped.into(), String::new()),
        ];
        seal_for_transit(&mut recs, &sender, &transit).unwrap();
        let Record::Unlock(u) = &recs[0] else {
            panic!()
        };
        assert!(u.wrapped.starts_with("rtx1.") && u.verifier.starts_with("rtx1."));
        assert!(rest::open_at_rest(&sender, v, m, Column::Wrapped, &u.wrapped).is_err());
        seal_for_rest(&mut recs, &receiver, &transit).unwrap();
        for (i, r) in recs.iter().enumerate() {
            let Record::Unlock(u) = r else { panic!() };
            let w = rest::open_at_rest(&receiver, v, m, Column::Wrapped, &u.wrapped).unwrap();
            assert_eq!(&w[..], wrapped.as_bytes(), "record {i}");
        }
        let Record::Unlock(u) = &recs[0] else {
            panic!()
        };
        let ver = rest::open_at_rest(&receiver, v, m, Column::Verifier, &u.verifier).unwrap();
        assert_eq!(&ver[..], &[4; 32]);
        let Record::Unlock(u) = &recs[1] else {
            panic!()
        };
        assert_eq!(u.verifier, "", "no verifier stays none");
        // Sealed under another replication key: refused, nothing applied.
        let mut foreign = vec![unlock(wrapped.into(), String::new())];
        seal_for_transit(&mut foreign, &sender, &rest::transit_key(&[8; 32])).unwrap();
        assert!(matches!(
            seal_for_rest(&mut foreign, &receiver, &transit),
            Err(ApplyError::Invalid(_))
        ));
    }

    #[test]
    fn a_bad_record_applies_nothing() {
        let (_d, mut s) = store();
        let mut bad = vault(1, 1);
        if let Record::Vault(v) = &mut bad {
            v.vault_id = "nope".into();
        }
        assert!(
            matches!(apply(&mut s, &[vault(1, 1), bad]), Err(ApplyError::Invalid(m)) if m.starts_with("records[1]"))
        );
        assert_eq!(s.db().vault_count().unwrap(), 0);
    }

    /// `entries.created_by` (who created an entry) travels with the row and
    /// lands on the backup; a malformed one is refused.
    #[test]
    fn entries_carry_their_creator() {
        use crate::crypto::GenerateId;
        use crate::vault::{Creator, NewEntry};
        let (_d, mut primary) = store();
        apply(&mut primary, &[vault(1, 1)]).unwrap();
        let vault_id = VaultId::parse("f73de89fb22ecd1310f333e6f4575bb7").unwrap();
        let agent = EntryId::generate();
        let entry = EntryId::generate();
        primary
            .write(|db| {
                db.insert_entry(
                    &vault_id,
                    &NewEntry {
                        entry_id: entry,
                        entry_type: "login".into(),
                        scopes: "0001".into(),
                        title_idx: [7; 32],
                        doc: crate::crypto::seal::Sealed::from_stored("cv1.l1.x".into()),
                        created_at: 1,
                        updated_at: 1,
                        created_by: Creator::Agent(agent),
                    },
                )?;
                db.audit(
                    &vault_id,
                    &crate::vault::AuditEvent {
                        actor_kind: crate::vault::ActorKind::Agent,
                        actor_id: agent.hex(),
                        action: "create",
                        entry_id: Some(entry),
                        outcome: crate::vault::Outcome::Success,
                        reason: None,
                        source_ip: "127.0.0.1".into(),
                        host: None,
                    },
                )
            })
            .unwrap();
        let sent = collect(primary.raw(), 100, 1 << 20).unwrap();
        let rec = sent
            .iter()
            .find_map(|r| match r {
                Record::Entry(e) => Some(e.clone()),
                _ => None,
            })
            .expect("the entry is dirty");
        assert_eq!(rec.created_by, agent.hex());
        let (_d2, mut backup) = store();
        apply(&mut backup, &[vault(1, 1), Record::Entry(rec.clone())]).unwrap();
        let row = backup.db().entry(&vault_id, &entry).unwrap().unwrap();
        assert_eq!(row.created_by, Creator::Agent(agent));
        let mut bad = rec;
        bad.created_by = "not-an-id".into();
        assert!(
            matches!(apply(&mut backup, &[Record::Entry(bad)]), Err(ApplyError::Invalid(m)) if m.contains("created_by"))
        );
    }

    #[test]
    fn flags_clear_only_if_the_version_is_unchanged() {
        let (_d, mut s) = store();
        s.raw()
            .execute_batch(
                "INSERT INTO vaults (vault_id, owner_verifier, l1_check, created_at, updated_at, dirty)
                 VALUES ('f73de89fb22ecd1310f333e6f4575bb7', x'00', x'00', 1, 1, 1)",
            )
            .unwrap();
        let sent = collect(s.raw(), 100, 1 << 20).unwrap();
        assert_eq!(sent.len(), 1);
        s.raw()
            .execute_batch("UPDATE vaults SET version = version + 1")
            .unwrap();
        clear(&mut s, &sent).unwrap();
        assert_eq!(
            backlog(s.raw()).unwrap(),
            1,
            "changed in flight: still dirty"
        );
        let sent = collect(s.raw(), 100, 1 << 20).unwrap();
        clear(&mut s, &sent).unwrap();
        assert_eq!(backlog(s.raw()).unwrap(), 0);
        assert!(
            ensure_target(&mut s, "zurich-01").unwrap(),
            "first target: full resync"
        );
        assert_eq!(backlog(s.raw()).unwrap(), 1);
        assert!(!ensure_target(&mut s, "zurich-01").unwrap());
    }

    /// Every stored row of `R`'s table, in key order, in its row shape.
    fn all<R: TableRow>(s: &Store) -> Vec<R> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            R::columns(),
            R::TABLE,
            R::KEY.join(", ")
        );
        let mut stmt = s.raw().prepare(&sql).unwrap();
        let rows = stmt.query_map([], R::from_row).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// Rows made through the store's own API cross the wire and land on
    /// the backup identical, column for column, in all four tables: what
    /// replication sends is the row shape, whatever columns it has.
    #[test]
    fn every_column_of_every_table_arrives() {
        use crate::crypto::{seal::Sealed, GenerateId};
        use crate::vault::UnlockMethodRow;
        use crate::vault::{ActorKind, AuditEvent, Creator, NewEntry, NewVault, Outcome};
        let (_d, mut primary) = store();
        let vault = VaultId::from_bytes([7; 16]);
        let entry = EntryId::generate();
        let ev = AuditEvent {
            actor_kind: ActorKind::Owner,
            actor_id: String::new(),
            action: "create",
            entry_id: Some(entry),
            outcome: Outcome::Success,
            reason: None,
            source_ip: "127.0.0.1".into(),
            host: Some("api.example.com".into()),
        };
        primary
            .write(|tx| {
                tx.create_vault(&NewVault {
                    vault_id: vault,
                    handle: Some("alice".into()),
                    owner_verifier: vec![1; 32],
                    l1_check: vec![2; 32],
                    unlock: vec![UnlockMethodRow {
                        method_id: "passphrase".into(),
                        kind: "passphrase".into(),
                        kdf: "{}".into(),
                        wrapped: "cv1.l3.AAAA".into(),
                        verifier: String::new(),
                    }],
                })?;
                tx.insert_entry(
                    &vault,
                    &NewEntry {
                        entry_id: entry,
                        entry_type: "login".into(),
                        scopes: "0001".into(),
                        title_idx: [9; 32],
                        doc: Sealed::from_stored("cv1.l1.x".into()),
                        created_at: 5,
                        updated_at: 6,
                        created_by: Creator::Owner,
                    },
                )?;
                tx.audit(&vault, &ev)
            })
            .unwrap();
        let sent = collect(primary.raw(), 100, 1 << 20).unwrap();
        assert_eq!(sent.len(), 4, "one row of each table");
        let wire = serde_json::to_string(&sent).unwrap();
        let received: Vec<Record> = serde_json::from_str(&wire).unwrap();
        let (_d2, mut backup) = store();
        assert_eq!(apply(&mut backup, &received).unwrap().applied, 4);
        assert_eq!(all::<VaultRec>(&backup), all::<VaultRec>(&primary));
        assert_eq!(all::<UnlockRec>(&backup), all::<UnlockRec>(&primary));
        assert_eq!(all::<EntryRec>(&backup), all::<EntryRec>(&primary));
        assert_eq!(all::<AuditRec>(&backup), all::<AuditRec>(&primary));
        assert_eq!(
            all::<AuditRec>(&backup)[0].host.as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            backlog(backup.raw()).unwrap(),
            0,
            "applied rows are not dirty"
        );
    }

    #[test]
    fn counted_audit_rows_replicate_with_their_count_and_keep_the_chain() {
        use crate::ids::VaultId;
        use crate::vault::{ActorKind, AuditEvent, AuditFilter, Outcome};
        let (_d, mut primary) = store();
        let vault = VaultId::from_bytes([7; 16]);
        let ev = AuditEvent {
            actor_kind: ActorKind::Agent,
            actor_id: "ab".repeat(16),
            action: "authenticate",
            entry_id: None,
            outcome: Outcome::Denied,
            reason: Some("token_invalid"),
            source_ip: "127.0.0.1".into(),
            host: None,
        };
        for _ in 0..5 {
            primary.write(|db| db.audit_refusal(&vault, &ev)).unwrap();
        }
        primary.write(|db| db.audit_flush_refusals(&vault)).unwrap();
        let sent = collect(primary.raw(), 100, 1 << 20).unwrap();
        // Through the wire format, as a batch travels.
        let wire = serde_json::to_string(&sent).unwrap();
        let received: Vec<Record> = serde_json::from_str(&wire).unwrap();
        let (_d2, mut backup) = store();
        apply(&mut backup, &received).unwrap();
        let rows = backup
            .db()
            .audit_rows(
                &vault,
                &AuditFilter {
                    limit: 10,
                    ..Default::default()
                },
            )
            .unwrap();
        let counts: Vec<i64> = rows.iter().map(|r| r.count).collect();
        assert_eq!(
            counts,
            [4, 1],
            "newest first: the counted repeats, then the first"
        );
        let (checked, broken) = backup.db().audit_verify(&vault).unwrap();
        assert_eq!((checked, broken), (2, None));
    }
}
