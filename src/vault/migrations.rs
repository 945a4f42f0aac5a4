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
    // 5 (titles): who created each entry (SPEC section 5, v1.1): '' for the
    // owner, the agent's 32-hex id otherwise. Entries created by an agent
    // before this step are found through their `create` audit row (every
    // create commits with one), so the owner sees them marked too.
    r#"
    ALTER TABLE entries ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
    UPDATE entries SET created_by = a.actor_id
        FROM (SELECT vault_id, entry_id, actor_id FROM audit
              WHERE actor_kind = 'agent' AND action = 'create' AND outcome = 'success'
                AND entry_id IS NOT NULL) AS a
        WHERE entries.vault_id = a.vault_id AND entries.entry_id = a.entry_id;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The `created_by` step marks entries that agents created before it
    /// existed, from their `create` audit rows; everything else is the owner's.
    #[test]
    fn created_by_is_recovered_from_the_audit_log() {
        let step = STEPS
            .iter()
            .position(|s| s.contains("ADD COLUMN created_by"))
            .expect("the created_by step");
        let mut conn = Connection::open_in_memory().unwrap();
        for (i, s) in STEPS[..step].iter().enumerate() {
            conn.execute_batch(s).unwrap();
            conn.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        let (vault, agent) = ("a".repeat(32), "b".repeat(32));
        conn.execute(
            "INSERT INTO vaults (vault_id, owner_verifier, l1_check, created_at, updated_at)
             VALUES (?1, x'00', x'00', 1, 1)",
            [&vault],
        )
        .unwrap();
        for (entry, actor_kind, actor, outcome) in [
            ("1", "agent", agent.as_str(), "success"),
            ("2", "owner", "", "success"),
            ("3", "agent", agent.as_str(), "denied"),
        ] {
            let id = entry.repeat(32);
            conn.execute(
                "INSERT INTO entries (vault_id, entry_id, type, scopes, title_idx, doc, version, created_at, updated_at)
                 VALUES (?1, ?2, 'login', '0001', zeroblob(32), 'x', 1, 1, 1)",
                [&vault, &id],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO audit (pop_id, vault_id, seq, ts, actor_kind, actor_id, action, entry_id, outcome, prev_hash, hash)
                 VALUES ('local', ?1, ?2, 1, ?3, ?4, 'create', ?5, ?6, x'00', x'00')",
                rusqlite::params![vault, entry.parse::<i64>().unwrap(), actor_kind, actor, id, outcome],
            )
            .unwrap();
        }
        run(&mut conn).unwrap();
        let by = |e: &str| -> String {
            conn.query_row(
                "SELECT created_by FROM entries WHERE entry_id = ?1",
                [e.repeat(32)],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(by("1"), agent, "an agent's successful create");
        assert_eq!(by("2"), "", "the owner's");
        assert_eq!(by("3"), "", "a refused create made nothing of the agent's");
    }
}
