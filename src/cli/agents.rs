//! `clavitor agent create | list | show | edit (alias update) | rotate | unlock | rm`.
//!
//! The server hands out an agent's wire token (on create and rotate, once).
//! The CLI wraps it here, locally, with the server URL, the vault id and K2
//! into the agent's `cvc1.` client credential (SPEC section 4): the server
//! never sees K2 or the credential. The credential goes to stdout once;
//! nothing else (errors, logs) ever repeats it or the token.

use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::client::{print_json, wipe_json, Client};
use super::entries::{clean, column_width, text};
use super::profile::{self, Session};
use super::{AgentCommand, AgentCreateArgs, AgentLimitArgs, AgentUpdateArgs, CliError, CliResult};
use crate::crypto::token::ClientCredential;
use crate::ids::{EntryId, ScopeId, VaultId};
use crate::policy::Cidr;

/// The owner's session and a client for its server.
struct Owner {
    session: Session,
    client: Client,
}

impl Owner {
    fn token(&self) -> Option<&str> {
        Some(self.session.token.as_str())
    }
}

/// Runs one `clavitor agent` subcommand (owner only).
pub fn run(c: &AgentCommand, json: bool) -> CliResult {
    let session = profile::owner_session()?;
    let client = Client::new(&session.server)?;
    let o = Owner { session, client };
    match c {
        AgentCommand::Create(a) => create(&o, a, json),
        AgentCommand::List => list(&o, json),
        AgentCommand::Show(a) => {
            let answer = o
                .client
                .get(&format!("/api/v1/agents/{}", agent_id(&a.id)?), o.token())?;
            print_agent(&answer, json);
            Ok(())
        }
        AgentCommand::Edit(a) => update(&o, a, json),
        AgentCommand::Rotate(a) => {
            let answer = o.client.post(
                &format!("/api/v1/agents/{}/rotate", agent_id(&a.id)?),
                o.token(),
                &json!({}),
            )?;
            hand_out(
                &o,
                answer,
                json,
                "rotated; the previous credential no longer works",
            )
        }
        AgentCommand::Unlock(a) => {
            let answer = o.client.post(
                &format!("/api/v1/agents/{}/unlock", agent_id(&a.id)?),
                o.token(),
                &json!({}),
            )?;
            done(&answer, json, "unlocked agent")
        }
        AgentCommand::Rm(a) => {
            let answer = o
                .client
                .delete(&format!("/api/v1/agents/{}", agent_id(&a.id)?), o.token())?;
            done(&answer, json, "deleted agent")
        }
    }
}

/// `agent create NAME --scope S ...`: POST /agents, then mint the credential.
fn create(o: &Owner, a: &AgentCreateArgs, json: bool) -> CliResult {
    if a.name.trim().is_empty() {
        return Err(CliError::Usage("the agent name is empty".into()));
    }
    let mut body = json!({
        "name": a.name,
        "scopes": checked_scopes(&a.scopes)?,
        "all_access": a.all_access,
        "can_write": a.can_write,
    });
    add_limits(&mut body, &a.limits)?;
    if let Some(t) = &a.expires {
        body["expires_at"] = json!(future_time(t)?);
    }
    let answer = o.client.post("/api/v1/agents", o.token(), &body)?;
    hand_out(o, answer, json, "created")
}

/// `agent edit ID ...`: PUT /agents/{id} with only what was given; the
/// server audits the change (`agent_update`) and it holds from the next request.
fn update(o: &Owner, a: &AgentUpdateArgs, json: bool) -> CliResult {
    let id = agent_id(&a.id)?;
    let mut body = json!({});
    if let Some(n) = &a.name {
        body["name"] = json!(n);
    }
    if !a.scopes.is_empty() {
        body["scopes"] = json!(checked_scopes(&a.scopes)?);
    }
    add_limits(&mut body, &a.limits)?;
    if a.any_ip {
        body["ip_whitelist"] = json!([]);
    }
    if let Some(b) = a.can_write {
        body["can_write"] = json!(b);
    }
    if let Some(b) = a.all_access {
        body["all_access"] = json!(b);
    }
    if let Some(t) = &a.expires {
        body["expires_at"] = json!(future_time(t)?);
    } else if a.no_expiry {
        body["expires_at"] = Value::Null;
    }
    if body.as_object().is_some_and(|m| m.is_empty()) {
        return Err(CliError::Usage(
            "nothing to change: give --name, --scope, --ip, --any-ip, --rate-minute, --rate-hour, --can-write, \
             --all-access, --expires or --no-expiry"
                .into(),
        ));
    }
    let answer = o
        .client
        .put(&format!("/api/v1/agents/{id}"), o.token(), &body)?;
    print_agent(&answer, json);
    Ok(())
}

/// `agent list`.
fn list(o: &Owner, json: bool) -> CliResult {
    let answer = o.client.get("/api/v1/agents", o.token())?;
    if json {
        print_json(&answer);
        return Ok(());
    }
    let rows = answer["agents"].as_array().cloned().unwrap_or_default();
    let name_w = column_width(rows.iter().map(|r| text(r, "name")), 4, 32);
    println!(
        "{:<32}  {:<name_w$}  {:<20}  {:<12}  STATE",
        "ID", "NAME", "ACCESS", "LIMITS"
    );
    for r in &rows {
        let limits = format!("{}/m {}/h", r["rate_limit_minute"], r["rate_limit_hour"]);
        println!(
            "{:<32}  {:<name_w$}  {:<20}  {:<12}  {}",
            text(r, "agent_id"),
            text(r, "name"),
            access(r),
            limits,
            state(r)
        );
    }
    Ok(())
}

/// Wraps the wire token of a create/rotate answer into a client credential
/// and prints it once; the token is wiped from memory afterwards.
fn hand_out(o: &Owner, mut answer: Value, json: bool, what: &str) -> CliResult {
    let id = text(&answer, "agent_id");
    let minted = answer["token"]
        .as_str()
        .ok_or_else(|| {
            CliError::Failed(
                "the server's answer has no agent token (is this a clavitor server?)".into(),
            )
        })
        .and_then(|t| mint(&o.session, t));
    wipe_json(&mut answer);
    let credential = minted?;
    if json {
        print_json(&json!({"agent_id": id, "credential": credential.as_str()}));
    } else {
        eprintln!("Agent {id} {what}. Its client credential follows, shown only this once.");
        eprintln!("WARNING: store it like a private key (a 0600 file or a secret store): anyone holding it");
        eprintln!("can read what this agent may read. Hand it over as CLAVITOR_CREDENTIAL or --credential-file.");
        println!("{}", credential.as_str());
    }
    Ok(())
}

/// `cvc1.` credential from the owner's session: server URL, vault id, K2.
fn mint(s: &Session, wire_token: &str) -> Result<Zeroizing<String>, CliError> {
    let vault = VaultId::parse(&s.vault_id).map_err(|_| {
        CliError::Failed("the saved session names no valid vault id; run `clavitor login`".into())
    })?;
    let cred = ClientCredential {
        server_url: s.server.clone(),
        wire_token: wire_token.to_string(),
        vault_id: *vault.bytes(),
        k2: s.k2.clone(),
    };
    cred.encode()
        .map(Zeroizing::new)
        .map_err(|e| CliError::Failed(format!("cannot build the client credential: {e}")))
}

/// Prints an agent object: as is with `--json`, else one line per setting.
fn print_agent(a: &Value, json: bool) {
    if json {
        print_json(a);
        return;
    }
    let ips: Vec<String> = strings(&a["ip_whitelist"]);
    println!("Agent:    {}", text(a, "agent_id"));
    println!("Name:     {}", text(a, "name"));
    println!("Access:   {}", access(a));
    println!(
        "Allowed:  {}",
        if ips.is_empty() {
            "any address".to_string()
        } else {
            ips.join(", ")
        }
    );
    println!(
        "Limits:   {} per minute, {} per hour",
        a["rate_limit_minute"], a["rate_limit_hour"]
    );
    println!("State:    {} ({} violations)", state(a), a["violations"]);
    println!("Created:  {}", text(a, "created_at"));
    println!(
        "Expires:  {}",
        a["expires_at"].as_str().map_or("never".to_string(), clean)
    );
}

/// Confirms unlock/rm: the server's object with `--json`, else one line.
fn done(answer: &Value, json: bool, what: &str) -> CliResult {
    if json {
        print_json(answer);
    } else {
        println!("{what} {}", text(answer, "agent_id"));
    }
    Ok(())
}

/// The grant in a few words: scopes or "all", plus "+write".
fn access(a: &Value) -> String {
    let scopes = strings(&a["scopes"]);
    let mut s = if a["all_access"] == true {
        "all".to_string()
    } else if scopes.is_empty() {
        "none".to_string()
    } else {
        scopes.join(",")
    };
    if a["can_write"] == true {
        s.push_str(" +write");
    }
    s
}

fn state(a: &Value) -> &'static str {
    let expired = a["expires_at"]
        .as_str()
        .and_then(|t| humantime::parse_rfc3339_weak(t).ok())
        .is_some_and(|t| t <= std::time::SystemTime::now());
    match (a["locked"] == true, expired) {
        (true, _) => "locked",
        (false, true) => "expired",
        _ => "active",
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(clean)
        .collect()
}

fn agent_id(raw: &str) -> Result<String, CliError> {
    Ok(EntryId::parse(raw)
        .map_err(|e| CliError::Usage(format!("agent id: {e}")))?
        .hex())
}

/// Checks `--scope` values: four digits, never the owner-only 0000.
fn checked_scopes(scopes: &[String]) -> Result<Vec<String>, CliError> {
    scopes
        .iter()
        .map(|s| {
            let id =
                ScopeId::parse(s).map_err(|e| CliError::Usage(format!("--scope {s:?}: {e}")))?;
            if id.is_owner_only() {
                return Err(CliError::Usage(
                    "--scope 0000: the owner-only scope cannot be granted to an agent".into(),
                ));
            }
            Ok(id.to_string())
        })
        .collect()
}

/// Adds `--ip`, `--rate-minute` and `--rate-hour` to a request body.
fn add_limits(body: &mut Value, l: &AgentLimitArgs) -> Result<(), CliError> {
    if !l.ips.is_empty() {
        for c in &l.ips {
            Cidr::parse(c).map_err(|e| CliError::Usage(format!("--ip {c:?}: {e}")))?;
        }
        body["ip_whitelist"] = json!(l.ips);
    }
    if let Some(n) = l.rate_minute {
        body["rate_limit_minute"] = json!(n);
    }
    if let Some(n) = l.rate_hour {
        body["rate_limit_hour"] = json!(n);
    }
    Ok(())
}

/// An RFC 3339 UTC time in the future, normalised.
fn future_time(t: &str) -> Result<String, CliError> {
    let at = humantime::parse_rfc3339_weak(t.trim()).map_err(|_| {
        CliError::Usage(format!(
            "--expires {t:?}: expected an RFC 3339 UTC time like 2027-01-31T00:00:00Z"
        ))
    })?;
    if at <= std::time::SystemTime::now() {
        return Err(CliError::Usage(format!(
            "--expires {t:?}: that time has passed"
        )));
    }
    Ok(humantime::format_rfc3339_seconds(at).to_string())
}
