//! `clavitor put`, `get`, `totp`, `list` and `rm`.
//!
//! L2 and L3 field values are sealed here with K2/K3 before they leave the
//! machine and opened here after they arrive; tiers come only from
//! FIELD_SPEC (custom fields are L1). `get`, `totp` and `put` work on a
//! [`Session`]: the owner's login, or an agent's client credential (K2 only,
//! so an agent neither reads nor writes L3 fields).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::client::{
    ambiguity, encode_query, print_json, wipe_json, Client, ClientError, AMBIGUOUS_TITLE,
};
use super::profile::{self, Session};
use super::values;
use super::{CliError, CliResult, GenerateArgs, GetArgs, ListArgs, PutArgs, RmArgs, TotpArgs};
use crate::crypto::seal::{self, field_aad, Tier};
use crate::crypto::GenerateId;
use crate::crypto::{Key32, Totp};
use crate::fieldspec::{self, TypeDef};
use crate::generate::Recipe;
use crate::ids::{EntryId, ScopeId, VaultId};

/// `clavitor put TYPE --title T ...`: create an entry.
pub fn put(a: &PutArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let def = user_type(&a.entry_type)?;
    for s in &a.scopes {
        ScopeId::parse(s).map_err(|e| CliError::Usage(format!("--scope: {e}")))?;
    }
    let args = values::parse_all(&a.fields)?;
    let session = profile::session(cred)?;
    if session.k3.is_none() && a.scopes.is_empty() {
        return Err(CliError::Usage(
            "an agent writes only into its own scopes: give --scope S".into(),
        ));
    }
    let tier_of = |name: &str| def.field(name).map_or(Tier::L1, |f| f.tier);
    refuse_l3_for_agent(&session, def, args.iter().map(|f| f.name.as_str()))?;
    let generated: Vec<String> = args
        .iter()
        .filter(|f| f.source == values::Source::Generate)
        .map(|f| f.name.clone())
        .collect();
    let entry_id = EntryId::generate().hex();
    let mut fields = Vec::with_capacity(args.len());
    for f in values::resolve(args, tier_of)? {
        let tier = tier_of(&f.name);
        let stored = seal_value(&session, &entry_id, &f.name, tier, &f.value)?;
        fields.push(json!({"name": f.name, "tier": tier.as_str(), "value": stored.as_str()}));
    }
    let body = json!({
        "entry_id": entry_id,
        "type": def.name,
        "title": a.title,
        "urls": a.urls,
        "notes": a.notes.as_deref().unwrap_or(""),
        "folder": a.folder.as_deref().unwrap_or(""),
        "fields": fields,
        "scopes": a.scopes,
        "agent_reveal": a.agent_reveal,
        "allowed_hosts": a.allowed_hosts,
    });
    let answer = client(&session)?.post("/api/v1/entries", Some(&session.token), &body)?;
    let version = answer["version"].as_i64().unwrap_or(1);
    for name in generated {
        eprintln!("clavitor: generated a new value for {name}; `clavitor get {entry_id} --field {name}` shows it");
    }
    if json {
        print_json(&json!({"entry_id": entry_id, "version": version}));
    } else {
        println!("{entry_id}");
    }
    Ok(())
}

/// `clavitor generate [--length N | --words N] [--symbols | --no-symbols]`.
pub fn generate(a: &GenerateArgs, json: bool) -> CliResult {
    let recipe = match a.words {
        Some(count) => Recipe::Words { count },
        None => Recipe::Chars {
            length: a.length.unwrap_or(crate::generate::DEFAULT_LENGTH),
            symbols: !a.no_symbols,
        },
    };
    let g = recipe
        .generate()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if json {
        print_json(
            &json!({"value": g.value.as_str(), "entropy_bits": (g.entropy_bits * 10.0).round() / 10.0}),
        );
    } else {
        println!("{}", g.value.as_str());
    }
    Ok(())
}

/// A creatable type from FIELD_SPEC, or a usage error listing them.
pub(super) fn user_type(name: &str) -> Result<&'static TypeDef, CliError> {
    fieldspec::entry_type(name)
        .filter(|t| !t.system)
        .ok_or_else(|| {
            let types: Vec<_> = fieldspec::user_type_names().collect();
            CliError::Usage(format!(
                "unknown entry type {name:?}; expected one of: {}",
                types.join(", ")
            ))
        })
}

/// An agent credential holds no K3: refuse an owner-only (L3) field up front,
/// before any value is read or asked for.
pub(super) fn refuse_l3_for_agent<'a>(
    session: &Session,
    def: &TypeDef,
    names: impl Iterator<Item = &'a str>,
) -> CliResult {
    if session.k3.is_some() {
        return Ok(());
    }
    for name in names {
        if def.field(name).is_some_and(|f| f.tier == Tier::L3) {
            return Err(CliError::Denied(format!(
                "--field {name}: an owner-only (L3) field of a {} entry; an agent credential cannot write it",
                def.name
            )));
        }
    }
    Ok(())
}

/// The key for a client-sealed tier; `None` for L1.
fn tier_key(session: &Session, tier: Tier) -> Result<Option<&Key32>, CliError> {
    match tier {
        Tier::L1 => Ok(None),
        Tier::L2 => Ok(Some(&session.k2)),
        Tier::L3 => session.k3.as_ref().map(Some).ok_or_else(|| {
            CliError::Denied("owner-only (L3) fields need the owner's login".into())
        }),
    }
}

/// The AAD of a field of `entry` in the session's vault (ids parsed, so
/// the two cannot be swapped).
fn aad(s: &Session, entry: &str, name: &str, tier: Tier) -> Result<String, CliError> {
    let vault = VaultId::parse(&s.vault_id)
        .map_err(|e| CliError::Failed(format!("session vault id: {e}; log in again")))?;
    let entry = EntryId::parse(entry)
        .map_err(|e| CliError::Failed(format!("entry id from the server: {e}")))?;
    Ok(field_aad(&vault, &entry, name, tier))
}

/// The value as stored: plaintext for L1, sealed for L2/L3.
pub(super) fn seal_value(
    s: &Session,
    entry: &str,
    name: &str,
    tier: Tier,
    value: &str,
) -> Result<Zeroizing<String>, CliError> {
    Ok(Zeroizing::new(match tier_key(s, tier)? {
        None => value.to_string(),
        Some(k) => seal::seal(k, tier, &aad(s, entry, name, tier)?, value.as_bytes()).into_string(),
    }))
}

/// `clavitor get QUERY [--field NAME]`.
pub fn get(a: &GetArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let session = profile::session(cred)?;
    let mut entry = fetch_decrypted(&session, &a.query)?;
    let names = if is_agent_made(&entry) {
        agent_names(&session)
    } else {
        HashMap::new()
    };
    if a.field.is_some() && !json && is_agent_made(&entry) && session.k3.is_some() {
        // The value alone goes to stdout (scripts); the owner still learns
        // that an agent, not they, wrote it.
        eprintln!(
            "note: this entry was created by {}",
            creator_text(&entry["created_by"], Some(&names))
        );
    }
    let shown = show(&entry, a.field.as_deref(), json, &names);
    wipe_json(&mut entry);
    shown
}

/// True if an agent created the entry (or summary).
fn is_agent_made(entry: &Value) -> bool {
    entry["created_by"]["kind"] == "agent"
}

/// Agent names by id, for the owner's displays; empty for an agent
/// credential (agents cannot list agents) or if the list is unavailable.
fn agent_names(session: &Session) -> HashMap<String, String> {
    if session.k3.is_none() {
        return HashMap::new();
    }
    let Ok(answer) = client(session).and_then(|c| {
        c.get("/api/v1/agents", Some(&session.token))
            .map_err(CliError::from)
    }) else {
        return HashMap::new();
    };
    answer["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                a["agent_id"].as_str()?.to_string(),
                a["name"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Who created an entry, from its `created_by` wire object: `the owner`,
/// `agent <id>`, or `agent "<name>" (<id>)` when the name is known.
pub(super) fn creator_text(created_by: &Value, names: Option<&HashMap<String, String>>) -> String {
    match created_by["kind"].as_str() {
        Some("owner") => "the owner".to_string(),
        Some("agent") => {
            let id = clean(created_by["agent_id"].as_str().unwrap_or_default());
            match names.and_then(|n| n.get(&id)) {
                Some(name) => format!("agent {:?} ({id})", clean(name)),
                None => format!("agent {id}"),
            }
        }
        _ => "unknown".to_string(),
    }
}

/// Prints the entry, or one of its values, as `get` was asked.
fn show(
    entry: &Value,
    field: Option<&str>,
    json: bool,
    names: &HashMap<String, String>,
) -> CliResult {
    match (field, json) {
        (Some(name), _) => {
            let value = pick(entry, name)?;
            if json {
                print_json(&json!({"name": name, "value": value.as_str()}));
            } else {
                println!("{}", value.as_str());
            }
        }
        (None, true) => print_json(entry),
        (None, false) => print_entry(entry, names),
    }
    Ok(())
}

/// `clavitor totp QUERY`: the current code of the entry's `totp` field.
pub fn totp(a: &TotpArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let session = profile::session(cred)?;
    let mut entry = fetch_decrypted(&session, &a.query)?;
    let parsed = field_value(&entry, "totp")
        .ok_or_else(|| CliError::NotFound("this entry has no totp field".into()))
        .and_then(|s| {
            Totp::parse(s).map_err(|e| CliError::Failed(format!("the entry's totp field: {e}")))
        });
    wipe_json(&mut entry);
    let totp = parsed?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| CliError::Failed("the system clock is before 1970".into()))?;
    let code = totp.code_at(now);
    if json {
        print_json(&json!({"code": code, "seconds_remaining": totp.seconds_remaining(now)}));
    } else {
        println!("{code}");
    }
    Ok(())
}

/// Fetches an entry by id or exact title and opens its L2/L3 values.
/// A title that matches more than one entry visible to this session is
/// [`CliError::Ambiguous`] (exit 6) listing the candidates: never a pick.
pub fn fetch_decrypted(session: &Session, query: &str) -> Result<Value, CliError> {
    fetch_decrypted_for(session, query, None)
}

/// [`fetch_decrypted`] for a value that will be sent to `host` (SPEC 13):
/// the server refuses unless the entry allows that host, and audits it.
pub fn fetch_decrypted_for(
    session: &Session,
    query: &str,
    host: Option<&str>,
) -> Result<Value, CliError> {
    let mut entry = fetch_sealed_for(session, query, host)?;
    decrypt_fields(session, &mut entry)?;
    Ok(entry)
}

/// Fetches an entry by id, or by exact title through the server's lookup
/// route (which refuses an ambiguous title), with its values still sealed.
pub(super) fn fetch_sealed(session: &Session, query: &str) -> Result<Value, CliError> {
    fetch_sealed_for(session, query, None)
}

fn fetch_sealed_for(session: &Session, query: &str, host: Option<&str>) -> Result<Value, CliError> {
    let host_param = |sep: char| {
        host.map(|h| format!("{sep}host={}", encode_query(h)))
            .unwrap_or_default()
    };
    let path = match EntryId::parse(query) {
        Ok(id) => format!("/api/v1/entries/{}{}", id.hex(), host_param('?')),
        Err(_) => format!(
            "/api/v1/entries/lookup?title={}{}",
            encode_query(query),
            host_param('&')
        ),
    };
    client(session)?
        .get(&path, Some(&session.token))
        .map_err(|e| match e {
            // The owner gets the agents named: a look-alike's creator at a glance.
            ClientError::Api {
                ref code,
                ref candidates,
                ..
            } if code == AMBIGUOUS_TITLE => {
                CliError::Ambiguous(ambiguity(candidates, Some(&agent_names(session))))
            }
            e => CliError::from(e),
        })
        .map_err(|e| match e {
            CliError::NotFound(_) => CliError::NotFound(format!(
                "no entry matches {query:?} (exact title or entry id)"
            )),
            other => other,
        })
}

/// Replaces every sealed field value with its plaintext.
pub(super) fn decrypt_fields(session: &Session, entry: &mut Value) -> Result<(), CliError> {
    let entry_id = entry["entry_id"].as_str().unwrap_or_default().to_string();
    let Some(fields) = entry.get_mut("fields").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    for field in fields {
        let tier = field["tier"]
            .as_str()
            .and_then(Tier::parse)
            .unwrap_or(Tier::L1);
        let Some(key) = tier_key(session, tier)? else {
            continue;
        };
        let name = field["name"].as_str().unwrap_or_default().to_string();
        let sealed = field["value"].as_str().unwrap_or_default();
        let plain = seal::open(key, tier, &aad(session, &entry_id, &name, tier)?, sealed).map_err(|_| {
            CliError::Failed(format!(
                "field {name:?} of entry {entry_id} does not decrypt with this vault's keys (moved or altered?)"
            ))
        })?;
        let text = String::from_utf8(plain.to_vec()).map_err(|_| {
            CliError::Failed(format!("field {name:?} of entry {entry_id} is not UTF-8"))
        })?;
        field["value"] = Value::String(text);
    }
    Ok(())
}

/// A field's (decrypted) value by name.
fn field_value<'a>(entry: &'a Value, name: &str) -> Option<&'a str> {
    entry["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
}

/// `--field NAME`: a field by name or label, or title/notes/url/folder.
pub(super) fn pick(entry: &Value, name: &str) -> Result<Zeroizing<String>, CliError> {
    if let Some(v) = field_value(entry, name) {
        return Ok(Zeroizing::new(v.to_string()));
    }
    let by_label = entry["fields"].as_array().and_then(|fs| {
        fs.iter().find(|f| {
            f["label"]
                .as_str()
                .is_some_and(|l| l.eq_ignore_ascii_case(name))
        })
    });
    if let Some(v) = by_label.and_then(|f| f["value"].as_str()) {
        return Ok(Zeroizing::new(v.to_string()));
    }
    let builtin = match name {
        "title" | "notes" | "folder" | "type" => entry[name].as_str(),
        "url" => entry["urls"].get(0).and_then(Value::as_str),
        "id" | "entry_id" => entry["entry_id"].as_str(),
        _ => None,
    };
    builtin
        .map(|v| Zeroizing::new(v.to_string()))
        .ok_or_else(|| CliError::NotFound(format!("this entry has no field {name:?}")))
}

/// The readable listing of `get` without `--field`.
fn print_entry(e: &Value, names: &HashMap<String, String>) {
    let s = |k: &str| clean(e[k].as_str().unwrap_or_default());
    println!("Title:  {}", s("title"));
    println!("Type:   {}", s("type"));
    println!("Id:     {}", s("entry_id"));
    if is_agent_made(e) {
        println!(
            "Created by: {} (not the owner)",
            creator_text(&e["created_by"], Some(names))
        );
    }
    for u in e["urls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        println!("URL:    {}", clean(u));
    }
    if !s("folder").is_empty() {
        println!("Folder: {}", s("folder"));
    }
    for f in e["fields"].as_array().into_iter().flatten() {
        let label = clean(
            f["label"]
                .as_str()
                .or(f["name"].as_str())
                .unwrap_or_default(),
        );
        println!("{label}: {}", f["value"].as_str().unwrap_or_default());
    }
    let notes = e["notes"].as_str().unwrap_or_default();
    if !notes.is_empty() {
        println!("Notes:");
        for line in notes.lines() {
            println!("  {line}");
        }
    }
}

/// Drops control characters so stored text cannot drive the terminal.
pub(super) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A string field of a listed object, cleaned for the terminal ("" when absent).
pub(super) fn text(v: &Value, key: &str) -> String {
    clean(v[key].as_str().unwrap_or_default())
}

/// A table column's width: its widest cell, kept within `min..=max`.
pub(super) fn column_width(cells: impl Iterator<Item = String>, min: usize, max: usize) -> usize {
    cells
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(min, max)
}

/// `clavitor list [--type T]`.
pub fn list(a: &ListArgs, json: bool) -> CliResult {
    let session = profile::owner_session()?;
    let path = match &a.entry_type {
        Some(t) => {
            if fieldspec::entry_type(t).is_none() {
                user_type(t)?;
            }
            format!("/api/v1/entries?type={}", encode_query(t))
        }
        None => "/api/v1/entries".to_string(),
    };
    let answer = client(&session)?.get(&path, Some(&session.token))?;
    if json {
        print_json(&answer);
        return Ok(());
    }
    let rows = answer["entries"].as_array().cloned().unwrap_or_default();
    let names = if rows.iter().any(is_agent_made) {
        agent_names(&session)
    } else {
        HashMap::new()
    };
    let type_w = column_width(rows.iter().map(|r| text(r, "type")), 4, usize::MAX);
    let title_w = column_width(rows.iter().map(|r| text(r, "title")), 5, 48);
    // Agent-made entries are marked so the owner can tell a look-alike
    // from their own entry of the same title.
    let by = |r: &Value| {
        if is_agent_made(r) {
            creator_text(&r["created_by"], Some(&names))
        } else {
            "owner".to_string()
        }
    };
    let by_w = column_width(rows.iter().map(by), 10, usize::MAX);
    println!(
        "{:<32}  {:<type_w$}  {:<title_w$}  {:<by_w$}  FOLDER",
        "ID", "TYPE", "TITLE", "CREATED BY"
    );
    for r in &rows {
        println!(
            "{:<32}  {:<type_w$}  {:<title_w$}  {:<by_w$}  {}",
            text(r, "entry_id"),
            text(r, "type"),
            text(r, "title"),
            by(r),
            text(r, "folder")
        );
    }
    Ok(())
}

/// `clavitor rm ID`: soft-delete an entry.
pub fn rm(a: &RmArgs, json: bool) -> CliResult {
    let id = EntryId::parse(&a.id)
        .map_err(|e| CliError::Usage(format!("entry id: {e}")))?
        .hex();
    let session = profile::owner_session()?;
    client(&session)?.delete(&format!("/api/v1/entries/{id}"), Some(&session.token))?;
    if json {
        print_json(&json!({"entry_id": id, "deleted": true}));
    } else {
        println!("deleted {id}");
    }
    Ok(())
}

pub(super) fn client(session: &Session) -> Result<Client, CliError> {
    Client::new(&session.server)
}
