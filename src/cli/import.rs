//! `clavitor import FILE [--format auto|NAME] [--dry-run] [--skip-invalid]`.
//!
//! Everything happens here, on the owner's machine: the file is parsed
//! (`import::pipeline`), compared with the vault's entries (duplicates:
//! the newer modification time wins, without timestamps the existing entry
//! wins), classified into scopes, sealed (L2 with K2, L3 with K3, for each
//! entry's final id) and checked with the server's own validation —
//! all before the first upload, so a bad file imports nothing unless
//! `--skip-invalid`. Then new entries go up in batches
//! ([`super::upload`]) and newer versions replace existing entries.
//! `--dry-run` parses, maps and validates locally and never contacts the
//! server.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::{json, Value};

use super::client::{print_json, Client};
use super::entries::clean;
use super::upload::{self, Planned};
use super::{profile, CliError, CliResult, ImportArgs};
use crate::crypto::GenerateId;
use crate::crypto::Key32;
use crate::ids::EntryId;
use crate::import::classify::{self, Category};
use crate::import::map::{self, SealKeys};
use crate::import::pipeline::{self, PipelineError, MAX_FILE_BYTES};
use crate::import::{dedup, detect, importers, Input, Item};

/// An existing entry, as far as duplicate detection needs it.
pub(super) struct Existing {
    pub entry_id: String,
    pub version: i64,
    pub updated_at: Option<String>,
    pub scopes: Vec<String>,
    pub urls: Vec<String>,
}

/// What happens to one parsed item.
enum Plan {
    Create(Category),
    /// A newer version of an existing entry.
    Replace(usize),
    /// An existing entry is at least as new: nothing to do.
    KeepExisting,
}

/// `clavitor import`.
pub fn run(a: &ImportArgs, json: bool) -> CliResult {
    let format = a.format.trim();
    detect::candidates(&importers(), Some(format)).map_err(|_| {
        let names = pipeline::format_names().join(", ");
        CliError::Usage(format!(
            "--format {:?}: unknown format; expected auto, a manager name or one of: {names}",
            format.chars().take(40).collect::<String>()
        ))
    })?;
    let file = a.file.display().to_string();
    let bytes = read_limited(&a.file)?;
    let input = Input {
        name: &file,
        bytes: &bytes,
    };
    let parsed = pipeline::parse(&input, Some(format), a.skip_invalid).map_err(|e| match e {
        PipelineError::UnknownFormat { .. } => CliError::Usage(e.to_string()),
        PipelineError::Import(e) => CliError::Failed(e.to_string()),
    })?;
    drop(bytes);
    let mut skipped = parsed.skipped;
    let mut merged = parsed.merged;
    let notes = parsed.notes;

    let session = if a.dry_run {
        None
    } else {
        Some(profile::owner_session()?)
    };
    let client = match &session {
        Some(s) => Some(Client::new(&s.server)?),
        None => None,
    };
    let existing = match (&session, &client) {
        (Some(s), Some(c)) => existing_entries(c, &s.token)?,
        _ => (Vec::new(), HashMap::new()),
    };
    let (existing, by_key) = existing;

    // Plan every item against the vault before sealing anything. An
    // existing entry is replaced at most once (two items can share a weak
    // key); later matches count as merged.
    let mut claimed = std::collections::HashSet::new();
    let plans: Vec<Plan> = parsed
        .items
        .iter()
        .map(|item| match by_key.get(&dedup::item_key(item)).copied() {
            Some(at) if !claimed.insert(at) => Plan::KeepExisting,
            Some(at)
                if dedup::is_newer(
                    item.updated_at.as_deref(),
                    existing[at].updated_at.as_deref(),
                ) =>
            {
                Plan::Replace(at)
            }
            Some(_) => Plan::KeepExisting,
            None => Plan::Create(classify::category(&item.urls)),
        })
        .collect();

    // Seal and validate everything (throwaway keys for a dry run).
    let throwaway = (Key32::generate(), Key32::generate());
    let (vault_id, k2, k3) = match &session {
        Some(s) => (
            s.vault_id.as_str(),
            &s.k2,
            s.k3.as_ref()
                .ok_or_else(|| CliError::Denied("import needs the owner's login (K3)".into()))?,
        ),
        None => (
            "00000000000000000000000000000000",
            &throwaway.0,
            &throwaway.1,
        ),
    };
    let keys = SealKeys { vault_id, k2, k3 };
    let mut planned: Vec<Planned> = Vec::new();
    for ((mut item, plan), record) in parsed.items.into_iter().zip(plans).zip(parsed.records) {
        let (entry_id, scopes, category, replace) = match plan {
            Plan::KeepExisting => {
                merged += 1;
                continue;
            }
            Plan::Create(c) => (EntryId::generate().hex(), Vec::new(), Some(c), None),
            Plan::Replace(at) => {
                let old = &existing[at];
                unite_urls(&mut item, &old.urls);
                (
                    old.entry_id.clone(),
                    old.scopes.clone(),
                    None,
                    Some(old.version),
                )
            }
        };
        let entry = map::entry_json(&item, &entry_id, &keys, &scopes)
            .and_then(|e| map::validate(&e).map(|()| e));
        match entry {
            Ok(entry) => planned.push(Planned { entry, category, replace }),
            Err(reason) if a.skip_invalid => skipped.push((record, reason)),
            Err(reason) => {
                return Err(CliError::Failed(format!(
                    "{file}: {record}: {reason}; nothing was imported (use --skip-invalid to import the rest)"
                )))
            }
        }
    }
    let replaced = planned.iter().filter(|p| p.replace.is_some()).count();
    merged += replaced;
    let created = planned.len() - replaced;

    if let (Some(s), Some(c)) = (&session, &client) {
        upload::scopes(c, &s.token, &mut planned)?;
        upload::run(c, &s.token, planned, &file)?;
    }
    report(
        json,
        a.dry_run,
        &file,
        parsed.format,
        created,
        merged,
        replaced,
        &skipped,
        &notes,
    );
    Ok(())
}

/// The existing entries and an index from duplicate key to position (the
/// newest entry wins a shared key: the list is ordered newest first).
fn existing_entries(
    client: &Client,
    token: &str,
) -> Result<(Vec<Existing>, HashMap<String, usize>), CliError> {
    let list = client.get("/api/v1/entries", Some(token))?;
    let mut out = Vec::new();
    let mut by_key = HashMap::new();
    for e in list["entries"].as_array().into_iter().flatten() {
        let text = |k: &str| e[k].as_str().unwrap_or_default();
        let strings = |k: &str| -> Vec<String> {
            e[k].as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let urls = strings("urls");
        let key = dedup::key(
            text("type"),
            text("title"),
            text("username"),
            urls.first().map(String::as_str),
        );
        by_key.entry(key).or_insert(out.len());
        out.push(Existing {
            entry_id: text("entry_id").to_string(),
            version: e["version"].as_i64().unwrap_or(1),
            updated_at: e["updated_at"].as_str().map(str::to_string),
            scopes: strings("scopes"),
            urls,
        });
    }
    Ok((out, by_key))
}

/// The imported URLs first, then the existing entry's others.
fn unite_urls(item: &mut Item, old: &[String]) {
    for u in old {
        if !item.urls.contains(u) {
            item.urls.push(u.clone());
        }
    }
}

/// Reads the export, refusing files over the import limit before reading them.
fn read_limited(path: &Path) -> Result<Vec<u8>, CliError> {
    let shown = path.display();
    let fail = |e: std::io::Error| CliError::Failed(format!("{shown}: cannot read: {e}"));
    let meta = std::fs::metadata(path).map_err(fail)?;
    if meta.is_dir() {
        return Err(CliError::Failed(format!(
            "{shown}: is a directory, expected an export file"
        )));
    }
    let too_big = |size: u64| {
        CliError::Failed(format!(
            "{shown}: the file is {:.1} MiB; clavitor imports files of at most {} MiB (the server's import limit). Export fewer items at a time",
            size as f64 / (1024.0 * 1024.0),
            MAX_FILE_BYTES / (1024 * 1024)
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .map_err(fail)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The summary: one JSON object with `--json`, else a few lines.
#[allow(clippy::too_many_arguments)]
fn report(
    json: bool,
    dry_run: bool,
    file: &str,
    format: &str,
    created: usize,
    merged: usize,
    replaced: usize,
    skipped: &[(String, String)],
    notes: &[String],
) {
    if json {
        let skipped: Vec<Value> = skipped
            .iter()
            .map(|(record, reason)| json!({"record": record, "reason": reason}))
            .collect();
        print_json(
            &json!({"format": format, "imported": created, "merged": merged, "skipped": skipped, "notes": notes}),
        );
        return;
    }
    let verb = if dry_run { "would import" } else { "imported" };
    let entries = if created == 1 { "entry" } else { "entries" };
    let updated = match replaced {
        0 => String::new(),
        1 => " (1 updated an existing entry)".into(),
        n => format!(" ({n} updated existing entries)"),
    };
    println!(
        "{verb} {created} {entries} from {} ({format}); {merged} merged with duplicates{updated}; {} skipped",
        clean(file),
        skipped.len()
    );
    for (record, reason) in skipped {
        println!("  skipped {}: {}", clean(record), clean(reason));
    }
    for note in notes {
        println!("  note: {}", clean(note));
    }
}
