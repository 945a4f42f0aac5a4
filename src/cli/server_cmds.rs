//! Commands run on the server machine: `check-config` and `backup`.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde_json::json;

use super::{BackupArgs, CliError, CliResult};
use crate::config::Config;
use crate::edition;
use crate::vault::Store;

/// `clavitor check-config`: parse and validate, print what would be used.
pub fn check_config(path: Option<&Path>, json: bool) -> CliResult {
    let (config, used) = Config::load(path).map_err(|e| CliError::Failed(e.to_string()))?;
    edition::current()
        .check_config(&config)
        .map_err(CliError::Failed)?;
    let source = used
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "built-in defaults".into());
    if json {
        println!(
            "{}",
            json!({"ok": true, "source": source, "listen": config.listen.to_string(), "data_dir": config.data_dir})
        );
    } else {
        println!(
            "configuration OK ({source}): listen {}, data_dir {}",
            config.listen,
            config.data_dir.display()
        );
    }
    Ok(())
}

/// `clavitor backup --output FILE`: SQLite online backup of the live database.
pub fn backup(args: &BackupArgs, json: bool) -> CliResult {
    let (config, _) =
        Config::load(args.config.as_deref()).map_err(|e| CliError::Failed(e.to_string()))?;
    let db = config.db_path();
    if !db.exists() {
        return Err(CliError::NotFound(format!(
            "{}: no database here (is data_dir right?)",
            db.display()
        )));
    }
    // The copy holds every vault's ciphertext, verifiers and audit log:
    // created 0600 (owner only) before SQLite writes a byte into it, and
    // `create_new` refuses an existing file without a race.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.output)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => CliError::Failed(format!(
                "{}: already exists; choose a new file",
                args.output.display()
            )),
            _ => CliError::Failed(format!("{}: {e}", args.output.display())),
        })?;
    let copied = Store::open(&db)
        .map_err(|e| CliError::Failed(format!("{}: {e}", db.display())))
        .and_then(|store| {
            store
                .backup_to(&args.output)
                .map_err(|e| CliError::Failed(format!("{}: {e}", args.output.display())))
        });
    if let Err(e) = copied {
        // Leave no half-written copy behind.
        let _ = std::fs::remove_file(&args.output);
        return Err(e);
    }
    let check = Store::open(&args.output)
        .and_then(|s| s.integrity_check())
        .map_err(|e| CliError::Failed(format!("{}: {e}", args.output.display())))?;
    if check != "ok" {
        return Err(CliError::Failed(format!(
            "{}: integrity check failed: {check}",
            args.output.display()
        )));
    }
    if json {
        println!("{}", json!({"output": args.output, "integrity": check}));
    } else {
        println!("backup written to {} (integrity ok)", args.output.display());
    }
    Ok(())
}
