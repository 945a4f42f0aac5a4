//! The SIEM audit stream: every audit row this POP writes is appended as
//! one JSON line to `audit_stream`, after its transaction committed. The
//! file is reopened on SIGHUP, so log rotation is `mv` + SIGHUP.
//!
//! Lines carry ids, actions and outcomes (like the audit log itself), never
//! titles or values.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::json;

use crate::crypto::hex;
use crate::ids::VaultId;
use crate::vault::AuditRow;

/// An open stream file, ready to be swapped in.
pub struct Opened {
    path: PathBuf,
    file: File,
}

/// Opens (creating, 0600) `path` for appending.
pub fn open(path: &Path) -> Result<Opened, String> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            format!(
                "audit_stream {}: cannot open for appending: {e}",
                path.display()
            )
        })?;
    Ok(Opened {
        path: path.to_path_buf(),
        file,
    })
}

/// The stream in force (none when `audit_stream` is not set).
#[derive(Default)]
pub struct AuditStream {
    out: Mutex<Option<Opened>>,
}

/// One line.
pub fn line(vault: &VaultId, r: &AuditRow) -> String {
    json!({
        "time": crate::http::rfc3339(r.ts),
        "pop_id": r.pop_id,
        "vault_id": vault.hex(),
        "seq": r.seq,
        "actor_kind": r.actor_kind,
        "actor_id": r.actor_id,
        "action": r.action,
        "entry_id": r.entry_id,
        "outcome": r.outcome,
        "reason": r.reason,
        "source_ip": r.source_ip,
        "host": r.host,
        "count": r.count,
        "hash": hex(&r.hash),
    })
    .to_string()
}

impl AuditStream {
    /// Swaps in a freshly opened file (or none).
    pub fn set(&self, opened: Option<Opened>) {
        *self.out.lock().unwrap_or_else(|p| p.into_inner()) = opened;
    }

    /// Appends one line per row.
    pub fn write(&self, rows: &[(VaultId, AuditRow)]) {
        if rows.is_empty() {
            return;
        }
        let mut text = String::new();
        for (vault, row) in rows {
            text.push_str(&line(vault, row));
            text.push('\n');
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(o) = out.as_mut() {
            if let Err(e) = o.file.write_all(text.as_bytes()) {
                log::error!("audit_stream {}: write failed: {e}", o.path.display());
            }
        }
    }
}
