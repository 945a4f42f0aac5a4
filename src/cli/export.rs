//! `clavitor export [--format json|csv] [--output F]` (owner only): every
//! entry fetched, its L2/L3 values opened locally, written as
//! `{"items":[normalized items]}` (the complete form, the same items
//! `import` reads) or as a CSV of `title,folder,url,username,password,
//! totp,notes,type` (several URLs on separate lines of `url`; card,
//! identity, typed and custom fields are only in the JSON). Both forms
//! import back without duplicates.
//!
//! The output is plaintext secrets: `--output` files are created 0600
//! (written to a temporary file in the same directory, then renamed), and
//! writing to a terminal prints a warning on stderr first.

use std::io::{IsTerminal, Write};
use std::path::Path;

use serde_json::json;
use zeroize::Zeroizing;

use super::client::{print_json, wipe_json, Client};
use super::entries::decrypt_fields;
use super::{profile, CliError, CliResult, ExportArgs, ExportFormat};
use crate::ids::EntryId;
use crate::import::clavitor::CSV_COLUMNS;
use crate::import::map::item_from_entry;
use crate::import::Item;

/// `clavitor export`.
pub fn run(a: &ExportArgs, json: bool) -> CliResult {
    let session = profile::owner_session()?;
    let client = Client::new(&session.server)?;
    let token = Some(session.token.as_str());
    let list = client.get("/api/v1/entries", token)?;
    let ids: Vec<String> = list["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["entry_id"].as_str())
        .filter_map(|id| EntryId::parse(id).ok())
        .map(|id| id.hex())
        .collect();
    let progress = std::io::stderr().is_terminal() && ids.len() > 1;
    let mut items = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let mut entry = client.get(&format!("/api/v1/entries/{id}"), token)?;
        let opened = decrypt_fields(&session, &mut entry);
        if opened.is_ok() {
            items.push(item_from_entry(&entry));
        }
        wipe_json(&mut entry);
        opened?;
        if progress {
            eprint!("\rexporting {}/{}", i + 1, ids.len());
        }
    }
    if progress {
        eprintln!();
    }
    let body = match a.format {
        ExportFormat::Json => {
            let mut v =
                serde_json::to_vec_pretty(&json!({"items": items})).expect("items serialize");
            v.push(b'\n');
            Zeroizing::new(v)
        }
        ExportFormat::Csv => to_csv(&items)?,
    };
    match &a.output {
        Some(path) => {
            write_output(path, &body)?;
            if json {
                print_json(&json!({"exported": items.len(), "output": path.display().to_string()}));
            } else {
                eprintln!("exported {} entries to {}", items.len(), path.display());
            }
        }
        None => {
            if std::io::stdout().is_terminal() {
                eprintln!("clavitor: warning: writing decrypted secrets to the terminal; use --output F to write a 0600 file");
            }
            let mut out = std::io::stdout().lock();
            out.write_all(&body)
                .and_then(|()| out.flush())
                .map_err(|e| CliError::Failed(format!("cannot write to standard output: {e}")))?;
        }
    }
    Ok(())
}

/// The CSV form.
fn to_csv(items: &[Item]) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| CliError::Failed(format!("cannot write CSV: {e}"));
    w.write_record(CSV_COLUMNS).map_err(fail)?;
    for i in items {
        let urls = i.urls.join("\n");
        w.write_record([
            i.title.as_str(),
            i.folder.as_str(),
            urls.as_str(),
            i.username.as_str(),
            i.password.as_str(),
            i.totp.as_str(),
            i.notes.as_str(),
            i.item_type.as_str(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map(Zeroizing::new)
        .map_err(|e| CliError::Failed(format!("cannot write CSV: {e}")))
}

/// Writes `data` to `path` as a new 0600 file (see [`profile::write_private`]).
fn write_output(path: &Path, data: &[u8]) -> Result<(), CliError> {
    if path.file_name().is_none() {
        return Err(CliError::Usage(format!(
            "--output {}: not a file name",
            path.display()
        )));
    }
    profile::write_private(path, data)
}
