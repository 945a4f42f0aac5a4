//! `clavitor scope create | list | rename | rm`: the named four-digit ids
//! that entries carry (`put --scope`) and agents are granted
//! (`agent create --scope`). The server allocates ids `0001`, `0002`, ….

use serde_json::{json, Value};

use super::client::{print_json, Client};
use super::entries::{column_width, text};
use super::profile;
use super::{CliError, CliResult, ScopeCommand};
use crate::ids::ScopeId;

/// Runs one `clavitor scope` subcommand (owner only).
pub fn run(c: &ScopeCommand, json: bool) -> CliResult {
    let session = profile::owner_session()?;
    let client = Client::new(&session.server)?;
    let token = Some(session.token.as_str());
    match c {
        ScopeCommand::Create { name } => {
            let answer = client.post(
                "/api/v1/scopes",
                token,
                &json!({"name": checked_name(name)?}),
            )?;
            let (id, name) = (text(&answer, "scope_id"), text(&answer, "name"));
            if json {
                print_json(&json!({"scope_id": id, "name": name}));
            } else {
                eprintln!("created scope {id} ({name})");
                println!("{id}");
            }
            Ok(())
        }
        ScopeCommand::List => list(&client.get("/api/v1/scopes", token)?, json),
        ScopeCommand::Rename { id, name } => {
            let path = format!("/api/v1/scopes/{}", scope_id(id)?);
            let answer = client.put(&path, token, &json!({"name": checked_name(name)?}))?;
            done(
                &answer,
                json,
                &format!(
                    "renamed scope {} to {}",
                    text(&answer, "scope_id"),
                    text(&answer, "name")
                ),
            )
        }
        ScopeCommand::Rm { id } => {
            let answer = client.delete(&format!("/api/v1/scopes/{}", scope_id(id)?), token)?;
            done(
                &answer,
                json,
                &format!("deleted scope {}", text(&answer, "scope_id")),
            )
        }
    }
}

/// `scope list`: the server's object with `--json`, else a table.
fn list(answer: &Value, json: bool) -> CliResult {
    if json {
        print_json(answer);
        return Ok(());
    }
    let rows = answer["scopes"].as_array().cloned().unwrap_or_default();
    let name_w = column_width(rows.iter().map(|r| text(r, "name")), 4, 64);
    println!("{:<5}  {:<name_w$}  CREATED", "SCOPE", "NAME");
    for r in &rows {
        println!(
            "{:<5}  {:<name_w$}  {}",
            text(r, "scope_id"),
            text(r, "name"),
            text(r, "created_at")
        );
    }
    Ok(())
}

fn done(answer: &Value, json: bool, line: &str) -> CliResult {
    if json {
        print_json(answer);
    } else {
        println!("{line}");
    }
    Ok(())
}

fn checked_name(name: &str) -> Result<&str, CliError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(CliError::Usage("the scope name is empty".into()));
    }
    Ok(n)
}

/// A four-digit scope id; `0000` is the reserved owner-only tier, not a scope one manages.
fn scope_id(raw: &str) -> Result<String, CliError> {
    let id = ScopeId::parse(raw).map_err(|e| CliError::Usage(format!("scope id {raw:?}: {e}")))?;
    if id.is_owner_only() {
        return Err(CliError::Usage(
            "scope 0000 is the reserved owner-only tier; it cannot be renamed or removed".into(),
        ));
    }
    Ok(id.to_string())
}
