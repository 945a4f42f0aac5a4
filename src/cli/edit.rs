//! `clavitor edit QUERY ...`: change an entry in place.
//!
//! The entry is fetched (by id, or by exact title through the server's
//! lookup, which refuses an ambiguous title), changed here and sent back
//! with `If-Match: <the version read>` (or `--if-match`). A concurrent
//! change makes the server answer 409 and nothing is written: the edit is
//! refused with exit 1, never merged blindly. The entry keeps its id, so
//! agents, references and the audit trail still point at it.
//!
//! Fields that are not named keep their stored (sealed) values untouched;
//! a changed L2/L3 value is sealed here, for this entry id, before it
//! leaves the machine.

use std::path::Path;

use serde_json::{json, Value};

use super::client::{print_json, wipe_json, ClientError};
use super::entries::{client, fetch_sealed, refuse_l3_for_agent, seal_value, user_type};
use super::profile::{self, Session};
use super::values::{self, FieldArg, Source};
use super::{CliError, CliResult, EditArgs};
use crate::crypto::seal::Tier;
use crate::error_code::Code;
use crate::fieldspec::TypeDef;
use crate::ids::ScopeId;

/// Runs `clavitor edit`.
pub fn run(a: &EditArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let args = values::parse_all(&a.fields)?;
    check_args(a, &args)?;
    let session = profile::session(cred)?;
    let mut entry = fetch_sealed(&session, &a.query)?;
    let result = change_and_save(a, args, &session, &entry, json);
    wipe_json(&mut entry);
    result
}

/// Usage errors before anything is fetched or asked for.
fn check_args(a: &EditArgs, args: &[FieldArg]) -> CliResult {
    for s in &a.scopes {
        ScopeId::parse(s).map_err(|e| CliError::Usage(format!("--scope {s:?}: {e}")))?;
    }
    for name in &a.remove_fields {
        values::check_name(name)?;
        if args.iter().any(|f| &f.name == name) {
            return Err(CliError::Usage(format!(
                "--field {name} and --remove-field {name}: choose one"
            )));
        }
    }
    if let Some(t) = &a.title {
        if t.trim().is_empty() {
            return Err(CliError::Usage("--title: must not be empty".into()));
        }
    }
    let nothing = a.title.is_none()
        && a.urls.is_empty()
        && !a.no_url
        && a.notes.is_none()
        && a.folder.is_none()
        && args.is_empty()
        && a.remove_fields.is_empty()
        && a.scopes.is_empty();
    if nothing {
        return Err(CliError::Usage(
            "nothing to change: give --title, --url, --no-url, --notes, --folder, --field, --remove-field or --scope"
                .into(),
        ));
    }
    Ok(())
}

fn change_and_save(
    a: &EditArgs,
    args: Vec<FieldArg>,
    session: &Session,
    entry: &Value,
    json: bool,
) -> CliResult {
    let entry_id = entry["entry_id"].as_str().unwrap_or_default().to_string();
    let read_version = entry["version"].as_i64().ok_or_else(|| {
        CliError::Failed(
            "the server's answer has no entry version (is this a clavitor server?)".into(),
        )
    })?;
    let def = user_type(entry["type"].as_str().unwrap_or_default())?;
    refuse_l3_for_agent(session, def, args.iter().map(|f| f.name.as_str()))?;
    let mut fields: Vec<Value> = entry["fields"].as_array().cloned().unwrap_or_default();
    for name in &a.remove_fields {
        let before = fields.len();
        fields.retain(|f| f["name"] != name.as_str());
        if fields.len() == before {
            return Err(CliError::NotFound(format!(
                "--remove-field {name}: this entry has no field {name:?}"
            )));
        }
    }
    let generated: Vec<String> = args
        .iter()
        .filter(|f| f.source == Source::Generate)
        .map(|f| f.name.clone())
        .collect();
    let resolved = values::resolve(args, |name| stored_tier(&fields, def, name))?;
    for f in resolved {
        let tier = stored_tier(&fields, def, &f.name);
        let sealed = seal_value(session, &entry_id, &f.name, tier, &f.value)?;
        match fields.iter_mut().find(|x| x["name"] == f.name.as_str()) {
            Some(existing) => existing["value"] = json!(sealed.as_str()),
            None => fields
                .push(json!({"name": f.name, "tier": tier.as_str(), "value": sealed.as_str()})),
        }
    }
    let pick = |new: &Option<String>, key: &str| match new {
        Some(v) => json!(v),
        None => entry[key].clone(),
    };
    let urls = if a.no_url {
        json!([])
    } else if a.urls.is_empty() {
        entry["urls"].clone()
    } else {
        json!(a.urls)
    };
    let scopes = if a.scopes.is_empty() {
        entry["scopes"].clone()
    } else {
        json!(a.scopes)
    };
    // Start from the entry as read, so document options this client does not
    // know (added by a newer server) are sent back unchanged rather than
    // reset; only the answer-only keys are dropped. A new answer-only key
    // makes the server refuse the body (400), never lose data.
    let mut body = entry.clone();
    if let Some(obj) = body.as_object_mut() {
        for answer_only in ["version", "created_at", "updated_at", "created_by"] {
            obj.remove(answer_only);
        }
    }
    body["entry_id"] = json!(entry_id);
    body["type"] = json!(def.name);
    body["title"] = pick(&a.title, "title");
    body["urls"] = urls;
    body["notes"] = pick(&a.notes, "notes");
    body["folder"] = pick(&a.folder, "folder");
    body["fields"] = json!(fields);
    body["scopes"] = scopes;
    let version = a.if_match.unwrap_or(read_version);
    let sent = client(session)?.put_if_match(
        &format!("/api/v1/entries/{entry_id}"),
        Some(&session.token),
        &body,
        version,
    );
    wipe_json(&mut body);
    let answer = sent.map_err(|e| conflict_or(e, &entry_id, version))?;
    let new_version = answer["version"].as_i64().unwrap_or(version + 1);
    for name in generated {
        eprintln!(
            "clavitor: generated a new value for {name}; `clavitor get {entry_id} --field {name}` shows it"
        );
    }
    if json {
        print_json(&json!({"entry_id": entry_id, "version": new_version}));
    } else {
        println!("{entry_id}");
    }
    Ok(())
}

/// An existing field keeps its stored tier; a new one takes FIELD_SPEC's (custom: L1).
fn stored_tier(fields: &[Value], def: &TypeDef, name: &str) -> Tier {
    fields
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["tier"].as_str())
        .and_then(Tier::parse)
        .unwrap_or_else(|| def.field(name).map_or(Tier::L1, |f| f.tier))
}

/// A 409 becomes a conflict message (exit 1) that says nothing was changed.
fn conflict_or(e: ClientError, entry_id: &str, version: i64) -> CliError {
    match e {
        ClientError::Api {
            status: 409,
            message,
            code,
            ..
        } if code == Code::VersionConflict.as_str() => CliError::Failed(format!(
            "conflict: entry {entry_id} is no longer at version {version} ({message} [{code}]); \
             nothing was changed: run the edit again to apply it to the current version"
        )),
        other => other.into(),
    }
}
