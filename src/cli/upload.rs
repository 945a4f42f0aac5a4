//! The upload half of `clavitor import`: scopes created on demand, new
//! entries in batches through `POST /api/v1/entries/batch` (at most 1000
//! entries and [`BATCH_BYTES`] per request; a 413 from a server with a
//! smaller `limits.max_import_body` halves the batch), replacements through
//! `PUT /api/v1/entries/{id}` with `If-Match`. A progress line goes to
//! stderr only when stderr is a terminal.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use serde_json::{json, Value};

use super::client::{Client, ClientError};
use super::CliError;
use crate::import::classify::Category;

/// At most this many entries per batch (the server's limit).
const BATCH_ENTRIES: usize = 1000;
/// At most this many bytes of JSON per batch: well under the default
/// 64 MiB import limit, small enough that a slow link shows progress.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// One sealed, validated entry ready to go.
pub(super) struct Planned {
    /// The request body (`scopes` filled in by [`scopes`] for new entries).
    pub entry: Value,
    /// For new entries: the category whose scope it joins.
    pub category: Option<Category>,
    /// For replacements: the existing entry's version (`If-Match`).
    pub replace: Option<i64>,
}

/// Finds or creates the scope of every category in use (named like the
/// category, matched case-insensitively) and puts its id on the entries.
pub(super) fn scopes(
    client: &Client,
    token: &str,
    planned: &mut [Planned],
) -> Result<(), CliError> {
    let listed = client.get("/api/v1/scopes", Some(token))?;
    let mut ids: HashMap<String, String> = listed["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["name"].as_str()?.to_lowercase(),
                s["scope_id"].as_str()?.to_string(),
            ))
        })
        .collect();
    for p in planned.iter_mut() {
        let Some(cat) = p.category else { continue };
        let id = match ids.get(cat.name()) {
            Some(id) => id.clone(),
            None => {
                let made =
                    client.post("/api/v1/scopes", Some(token), &json!({"name": cat.name()}))?;
                let id = made["scope_id"]
                    .as_str()
                    .ok_or_else(|| {
                        CliError::Failed("the server created a scope without an id".into())
                    })?
                    .to_string();
                ids.insert(cat.name().to_string(), id.clone());
                id
            }
        };
        p.entry["scopes"] = json!([id]);
    }
    Ok(())
}

/// Uploads everything; on failure says how far it got (a re-run skips
/// what is already there, so it is safe to repeat).
pub(super) fn run(
    client: &Client,
    token: &str,
    planned: Vec<Planned>,
    file: &str,
) -> Result<(), CliError> {
    let total = planned.len();
    let mut progress = Progress::new(total);
    let (new, replace): (Vec<Planned>, Vec<Planned>) =
        planned.into_iter().partition(|p| p.replace.is_none());
    let fail = |done: usize, e: CliError| {
        CliError::Failed(format!(
            "{file}: the upload stopped after {done} of {total} entries: {}. Running the same import again skips what is already there",
            e.message()
        ))
    };
    // Each entry is serialized once; a batch body is the serialized entries joined.
    let mut batch: Vec<String> = Vec::new();
    let mut bytes = 0;
    let mut pending = new.len();
    for p in new {
        let text = p.entry.to_string();
        if !batch.is_empty()
            && (batch.len() >= BATCH_ENTRIES || bytes + text.len() + 1 > BATCH_BYTES)
        {
            let n = batch.len();
            post_batch(client, token, &batch).map_err(|e| fail(progress.done, e.into()))?;
            batch.clear();
            progress.advance(n);
            bytes = 0;
        }
        bytes += text.len() + 1;
        batch.push(text);
        pending -= 1;
        if pending == 0 {
            let n = batch.len();
            post_batch(client, token, &batch).map_err(|e| fail(progress.done, e.into()))?;
            progress.advance(n);
        }
    }
    for p in replace {
        let id = p.entry["entry_id"].as_str().unwrap_or_default().to_string();
        let version = p.replace.unwrap_or(0);
        client
            .put_if_match(
                &format!("/api/v1/entries/{id}"),
                Some(token),
                &p.entry,
                version,
            )
            .map_err(|e| fail(progress.done, e.into()))?;
        progress.advance(1);
    }
    progress.finish();
    Ok(())
}

/// One batch of serialized entries; a 413 splits it in two (bounded:
/// halving ends at one entry).
fn post_batch(client: &Client, token: &str, entries: &[String]) -> Result<(), ClientError> {
    let mut body = Vec::with_capacity(entries.iter().map(|e| e.len() + 1).sum::<usize>() + 16);
    body.extend_from_slice(b"{\"entries\":[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e.as_bytes());
    }
    body.extend_from_slice(b"]}");
    match client.post_json_bytes("/api/v1/entries/batch", Some(token), &body) {
        Err(ClientError::Api { status: 413, .. }) if entries.len() > 1 => {
            let (a, b) = entries.split_at(entries.len() / 2);
            post_batch(client, token, a)?;
            post_batch(client, token, b)
        }
        other => other.map(|_| ()),
    }
}

/// `\r`-redrawn progress on stderr, only on a terminal.
struct Progress {
    total: usize,
    done: usize,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            total,
            done: 0,
            shown: std::io::stderr().is_terminal() && total > 0,
        }
    }

    fn advance(&mut self, n: usize) {
        self.done += n;
        if self.shown {
            let width = 30;
            let filled = width * self.done / self.total.max(1);
            eprint!(
                "\rimporting [{}{}] {}/{}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                self.done,
                self.total
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}
