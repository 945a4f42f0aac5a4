//! Versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! Append new steps; never edit a released one. Each step runs in its own
//! transaction together with the version bump.

use rusqlite::Connection;

use super::StoreError;

const STEPS: &[&str] = &[
    // 1: the initial schema. Replication columns (version, dirty, deleted,
    // pop_id) exist from the start so later editions need no data rewrite.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE vaults (
        vault_id           TEXT PRIMARY KEY,
        handle             TEXT UNIQUE,
        owner_verifier     BLOB NOT NULL,
        l1_check           BLOB NOT NULL,
        session_generation INTEGER NOT NULL DEFAULT 0,
        created_at         INTEGER NOT NULL,
        updated_at         INTEGER NOT NULL,
        version            INTEGER NOT NULL DEFAULT 1,
        dirty              INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE unlock_methods (
        vault_id   TEXT NOT NULL REFERENCES vaults(vault_id),
        method_id  TEXT NOT NULL,
        kind       TEXT NOT NULL,
        kdf        TEXT NOT NULL,
        wrapped    TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version    INTEGER NOT NULL DEFAULT 1,
        deleted    INTEGER NOT NULL DEFAULT 0,
        dirty      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (vault_id, method_id)
    );
    CREATE TABLE entries (
        vault_id   TEXT NOT NULL REFERENCES vaults(vault_id),
        entry_id   TEXT NOT NULL,
        type       TEXT NOT NULL,
        scopes     TEXT NOT NULL,
        title_idx  BLOB NOT NULL,
        doc        TEXT NOT NULL,
        version    INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted    INTEGER NOT NULL DEFAULT 0,
        dirty      INTEGER NOT NULL DEFAULT 0,
        pop_id     TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (vault_id, entry_id)
    );
    CREATE INDEX entries_by_title ON entries (vault_id, title_idx);
    CREATE INDEX entries_dirty ON entries (dirty) WHERE dirty = 1;
    CREATE TABLE audit (
        pop_id     TEXT NOT NULL,
        vault_id   TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        ts         INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id   TEXT NOT NULL,
        action     TEXT NOT NULL,
        entry_id   TEXT,
        outcome    TEXT NOT NULL,
        reason     TEXT,
        source_ip  TEXT,
        prev_hash  BLOB NOT NULL,
        hash       BLOB NOT NULL,
        dirty      INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (pop_id, vault_id, seq)
    );
    CREATE INDEX audit_by_time ON audit (vault_id, ts);
    "#,
    // 2: agent rate limits count distinct reads per actor over a sliding window.
    r#"
    CREATE INDEX audit_by_actor ON audit (vault_id, actor_id, action, ts);
    "#,
    // 3: replication (commercial) looks for dirty rows after every write;
    // partial indexes keep that lookup independent of table size.
    r#"
    CREATE INDEX vaults_dirty ON vaults (dirty) WHERE dirty = 1;
    CREATE INDEX unlock_methods_dirty ON unlock_methods (dirty) WHERE dirty = 1;
    CREATE INDEX audit_dirty ON audit (dirty) WHERE dirty = 1;
    "#,
    // 4: the agent rate check counted DISTINCT entry ids over every audit row
    // of the last hour, a cost that grew with each re-read of the same entry.
    // `agent_reads` keeps one row per (agent, entry): the time of its last
    // successful read. An entry counts in a window iff it was last read
    // inside it, so the check reads at most the agent's distinct entries of
    // the last hour. A trigger derives it from the audit log, so replicated
    // audit rows count exactly as before; rows older than the longest window
    // (one hour) are pruned as the agent reads on.
    r#"
    CREATE TABLE agent_reads (
        vault_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        entry_id TEXT NOT NULL,
        last_ts  INTEGER NOT NULL,
        PRIMARY KEY (vault_id, agent_id, entry_id)
    ) WITHOUT ROWID;
    INSERT INTO agent_reads (vault_id, agent_id, entry_id, last_ts)
        SELECT vault_id, actor_id, entry_id, MAX(ts) FROM audit
        WHERE actor_kind = 'agent' AND action = 'read' AND outcome = 'success'
          AND entry_id IS NOT NULL
        GROUP BY vault_id, actor_id, entry_id;
    CREATE TRIGGER audit_agent_read AFTER INSERT ON audit
    WHEN NEW.actor_kind = 'agent' AND NEW.action = 'read' AND NEW.outcome = 'success'
         AND NEW.entry_id IS NOT NULL
    BEGIN
        INSERT INTO agent_reads (vault_id, agent_id, entry_id, last_ts)
            VALUES (NEW.vault_id, NEW.actor_id, NEW.entry_id, NEW.ts)
            ON CONFLICT (vault_id, agent_id, entry_id)
            DO UPDATE SET last_ts = max(last_ts, excluded.last_ts);
        DELETE FROM agent_reads
            WHERE vault_id = NEW.vault_id AND agent_id = NEW.actor_id
              AND last_ts < NEW.ts - 3600000;
    END;
    "#,
    // integrations: the destination host a reference was resolved for
    // (SPEC 13); NULL for every other row, which then hashes as before.
    r#"
    ALTER TABLE audit ADD COLUMN host TEXT;
    "#,
];

/// Brings the schema to the newest version this binary knows.
pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let supported = STEPS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > supported {
        return Err(StoreError::TooNew { found, supported });
    }
    for (i, step) in STEPS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        log::info!("database schema migrated to version {}", i + 1);
    }
    Ok(())
}
