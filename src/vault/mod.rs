//! The store: one SQLite file (WAL) holding vaults, unlock methods, entries
//! and the audit log. Everything secret in it is ciphertext; the store never
//! sees a key.
//!
//! Each worker thread owns one [`Store`] (one connection); SQLite's WAL lets
//! readers run beside the single writer.

mod audit;
mod committer;
mod entries;
mod migrations;
pub mod rows;
mod vaults;

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use thiserror::Error;

use crate::ids::VaultId;
use crate::metrics::{AuditTally, METRICS};
pub use audit::{ActorKind, AuditEvent, AuditFilter, AuditRow, ChainBreak, Outcome};
pub use committer::{Committer, Job};
pub use entries::{Creator, EntryRow, NewEntry};
pub use vaults::{NewVault, StoredUnlock, UnlockMethodRow, VaultRow};

/// A store operation that did not happen.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row to insert exists already (id or unique handle).
    #[error("{0} already exists")]
    Exists(&'static str),
    /// The row to change is not there.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// `If-Match` named a version that is no longer current.
    #[error("version conflict: the entry is at version {current}")]
    VersionConflict { current: i64 },
    /// Refused because it would leave the vault without any way to unlock.
    #[error("cannot remove the last unlock method")]
    LastUnlockMethod,
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The audit row could not be written; the change it describes did not happen.
    #[error("audit log: {0}")]
    Audit(rusqlite::Error),
    /// A group-commit job gave up; its savepoint was rolled back.
    #[error("rolled back")]
    RolledBack,
    #[error("database schema version {found} is newer than this binary understands ({supported}); upgrade clavitor")]
    TooNew { found: i64, supported: i64 },
}

/// Called after every committed [`Store::write`] with the audit rows that
/// transaction appended (possibly none). The edition uses it to wake
/// replication and to feed the SIEM stream; it must not block.
pub type CommitHook = Arc<dyn Fn(&[(VaultId, AuditRow)]) + Send + Sync>;

/// How a transaction that records reads and refusals (and changes nothing
/// else an owner made) reaches the disk before its answer is released: the
/// `audit_sync` setting. Owner changes are always committed with `Full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditSync {
    /// fsync before the answer: the audit row survives a power loss.
    #[default]
    Full,
    /// Written to the operating system before the answer (SQLite
    /// `synchronous=NORMAL` in WAL mode): the row survives a crash or
    /// `kill -9` of clavitor but a power loss may take the last ones. The
    /// next `Full` commit syncs them with it (the WAL is one file).
    Normal,
}

/// One connection to the vault database.
pub struct Store {
    conn: Connection,
    pop_id: String,
    hook: Option<CommitHook>,
    /// Audit rows appended by the transaction in progress.
    appended: RefCell<Vec<(VaultId, AuditRow)>>,
}

/// Read-only queries, on a connection in autocommit mode ([`Store::db`]) or
/// inside a transaction (a [`Tx`] derefs to one).
pub struct Db<'a> {
    conn: &'a Connection,
    pop_id: &'a str,
}

/// A write transaction ([`Store::write`]): every query of [`Db`] plus the
/// changes. Changes exist only here, so none can run outside a
/// transaction, and a transaction commits only what its closure returns as
/// [`Audited`], which only [`Tx::audit`] makes: no change commits without
/// its audit row. (The replication of rows between POPs, `Store::write_raw`,
/// is the one exception: it moves rows audited where they were made.)
///
/// A change goes through a transaction and returns its audit row's proof:
///
/// ```no_run
/// # use clavitor::{ids::VaultId, vault::{AuditEvent, NewEntry, Store, StoreError}};
/// # fn f(store: &mut Store, v: &VaultId, e: &NewEntry, ev: &AuditEvent) -> Result<(), StoreError> {
/// store.write(|tx| {
///     tx.insert_entry(v, e)?;
///     Ok::<_, StoreError>(tx.audit(v, ev)?.with(()))
/// })
/// # }
/// ```
///
/// A change on the read-only handle does not compile:
///
/// ```compile_fail
/// # use clavitor::{ids::VaultId, vault::{NewEntry, Store, StoreError}};
/// # fn f(store: &mut Store, v: &VaultId, e: &NewEntry) -> Result<(), StoreError> {
/// store.db().insert_entry(v, e)
/// # }
/// ```
///
/// nor does a transaction that changes without auditing:
///
/// ```compile_fail
/// # use clavitor::{ids::VaultId, vault::{NewEntry, Store, StoreError}};
/// # fn f(store: &mut Store, v: &VaultId, e: &NewEntry) -> Result<(), StoreError> {
/// store.write(|tx| tx.insert_entry(v, e))
/// # }
/// ```
pub struct Tx<'a> {
    db: Db<'a>,
    /// Audit rows appended so far, for the commit hook.
    appended: &'a RefCell<Vec<(VaultId, AuditRow)>>,
    /// Audit rows appended so far; counted into the metrics only once the
    /// transaction commits.
    tally: Cell<AuditTally>,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = Db<'a>;
    fn deref(&self) -> &Db<'a> {
        &self.db
    }
}

/// A transaction's result, with the proof that the transaction appended its
/// audit row(s): made only by [`Tx::audit`] (then [`Audited::with`]).
#[must_use = "a change commits only together with its audit row: return this from the transaction"]
pub struct Audited<T>(T);

impl Audited<()> {
    /// The transaction's result, now that its change is audited.
    pub fn with<T>(self, value: T) -> Audited<T> {
        Audited(value)
    }
}

impl<T> Audited<T> {
    /// Changes the result, keeping the proof.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Audited<U> {
        Audited(f(self.0))
    }

    /// The result, once the transaction that audited it is over (group
    /// commit hands it on only after the batch commits).
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl Tx<'_> {
    /// Runs `f` in a savepoint of the enclosing transaction: if it fails,
    /// whatever it wrote (and the audit rows it appended) is undone and the
    /// rest of the transaction goes on. Group commit runs each request's
    /// work this way, so one failing request cannot take its batch down.
    pub fn savepoint<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let appended = self.appended.borrow().len();
        let tally = self.tally.get();
        self.conn.prepare_cached("SAVEPOINT job")?.execute([])?;
        match f(self) {
            Ok(out) => {
                self.conn.prepare_cached("RELEASE job")?.execute([])?;
                Ok(out)
            }
            Err(e) => {
                self.conn.prepare_cached("ROLLBACK TO job")?.execute([])?;
                self.conn.prepare_cached("RELEASE job")?.execute([])?;
                self.appended.borrow_mut().truncate(appended);
                self.tally.set(tally);
                Err(e)
            }
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path)?;
        // WAL: readers never block the writer. synchronous=FULL: a commit is
        // fsynced before we answer 2xx, so an acknowledged write survives not
        // only kill -9 (NORMAL would do for that) but also power loss. Vault
        // writes are rare and small; the fsync costs about a millisecond.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Not `busy_timeout`: SQLite's own handler sleeps in steps of up to
        // 100 ms, so a request that loses the race for the write lock by a
        // microsecond waited tens of milliseconds (the p99 of two racing
        // readers was 314 ms). Ours retries within a fraction of a millisecond.
        conn.busy_handler(Some(retry_busy))?;
        // Room for every statement a request runs (rusqlite keeps 16).
        conn.set_prepared_statement_cache_capacity(64);
        let mut store = Store {
            conn,
            pop_id: "local".into(),
            hook: None,
            appended: RefCell::new(Vec::new()),
        };
        migrations::run(&mut store.conn)?;
        Ok(store)
    }

    /// Caps the database file (`PRAGMA max_page_count`); writes past it fail
    /// with "database or disk is full" and change nothing. 0 = no cap.
    pub fn set_max_size(&self, bytes: u64) -> Result<(), StoreError> {
        if bytes > 0 {
            let page: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let pages = (bytes as i64 / page).max(1);
            self.conn
                .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// Sets this POP's id, used for its audit chain and as the writer of
    /// entry rows ("local" until set; the edition decides).
    pub fn set_pop_id(&mut self, pop_id: &str) {
        self.pop_id = pop_id.to_string();
    }

    /// Installs the hook called after each committed [`Store::write`].
    pub fn set_commit_hook(&mut self, hook: CommitHook) {
        self.hook = Some(hook);
    }

    /// Autocommit access for reads.
    pub fn db(&self) -> Db<'_> {
        Db {
            conn: &self.conn,
            pop_id: &self.pop_id,
        }
    }

    /// The raw connection, for the commercial edition's replication queries
    /// (dirty rows, last-write-wins apply), which read and write the
    /// `version`, `dirty` and `pop_id` columns this module maintains.
    pub fn raw(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` on the raw connection in one `BEGIN IMMEDIATE` transaction
    /// (see [`Store::raw`]). No audit row is appended and the commit hook is
    /// not called: replication moves rows, it does not make changes.
    pub fn write_raw<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: the write lock is taken
    /// up front, so concurrent writers queue (busy handler) instead of
    /// failing on a lock upgrade. Commits if `f` succeeds, which it can only
    /// with its change audited (see [`Tx`]).
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<Audited<T>, E>,
    ) -> Result<T, E> {
        self.appended.borrow_mut().clear();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let db = Tx {
            db: Db {
                conn: &tx,
                pop_id: &self.pop_id,
            },
            appended: &self.appended,
            tally: Cell::default(),
        };
        let Audited(out) = f(&db)?;
        let tally = db.tally.get();
        tx.commit().map_err(StoreError::from)?;
        METRICS.audit_committed(tally);
        let appended = std::mem::take(&mut *self.appended.borrow_mut());
        if let Some(hook) = &self.hook {
            hook(&appended);
        }
        Ok(out)
    }

    /// [`Store::write`] committed as `sync` says. For the transactions of
    /// credential reads and refusals, which the fsync of `Full` dominates.
    pub fn write_audited_read<T, E: From<StoreError>>(
        &mut self,
        sync: AuditSync,
        f: impl FnOnce(&Tx<'_>) -> Result<Audited<T>, E>,
    ) -> Result<T, E> {
        if sync == AuditSync::Full {
            return self.write(f);
        }
        // The safety level cannot change inside a transaction, so it is
        // lowered around this one and restored whatever `f` did.
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(StoreError::from)?;
        let out = self.write(f);
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(StoreError::from)?;
        out
    }

    /// `PRAGMA integrity_check` — "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Copies the live database into `dest` with SQLite's online backup API
    /// (consistent even while the server writes).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let mut out = Connection::open(dest)?;
        let backup = rusqlite::backup::Backup::new(&self.conn, &mut out)?;
        backup.run_to_completion(256, Duration::from_millis(0), None)?;
        Ok(())
    }

    /// The id of this POP in audit chains ("local" on a standalone server).
    pub fn pop_id(&self) -> &str {
        &self.pop_id
    }

    /// A server-wide value from the `meta` table.
    pub fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets `key` only if it has no value yet; returns the value in force.
    pub fn meta_init(&self, key: &str, value: &str) -> Result<String, StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            [key, value],
        )?;
        Ok(self.meta_get(key)?.expect("row inserted or present"))
    }

    /// Closes the connection, reporting an error instead of dropping it silently.
    pub fn close(self) -> Result<(), StoreError> {
        self.conn.close().map_err(|(_, e)| StoreError::Sqlite(e))
    }
}

/// The busy handler: `true` retries the lock. Short sleeps (a commit holds
/// the write lock for about one fsync, a few hundred microseconds), growing
/// to 1 ms, for about five seconds in all before the statement fails with
/// SQLITE_BUSY.
fn retry_busy(attempt: i32) -> bool {
    const GIVE_UP: i32 = 5_000;
    if attempt >= GIVE_UP {
        return false;
    }
    let us = (50 * (attempt as u64 + 1)).min(1_000);
    std::thread::sleep(Duration::from_micros(us));
    true
}

/// Milliseconds since the epoch, the store's clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &Store) -> i64 {
        store
            .raw()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap()
    }

    /// A relaxed read commit must never leave the connection relaxed for
    /// the owner changes that follow it, whether it succeeded or failed.
    #[test]
    fn relaxed_read_commits_restore_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        const FULL: i64 = 2;
        assert_eq!(synchronous(&store), FULL);
        let seen = store
            .write_audited_read(AuditSync::Normal, |tx| {
                let level = tx
                    .conn
                    .query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?;
                Ok::<_, StoreError>(Audited(level))
            })
            .unwrap();
        assert_eq!(seen, 1, "NORMAL inside the relaxed transaction");
        assert_eq!(synchronous(&store), FULL);
        let failed = store.write_audited_read(AuditSync::Normal, |_| {
            Err::<Audited<()>, _>(StoreError::NotFound("entry"))
        });
        assert!(matches!(failed, Err(StoreError::NotFound(_))));
        assert_eq!(synchronous(&store), FULL);
    }
}
