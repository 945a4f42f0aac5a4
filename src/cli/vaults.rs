//! `clavitor init`, `login` and `logout`: creating a vault, unlocking it on
//! this machine, and forgetting the session.
//!
//! The master secret M is made and unwrapped here, on the client; the server
//! only ever sees SHA-256(K_auth), the K1 check, M wrapped under a
//! passphrase KEK and a recovery-code KEK, and the verifiers of the unlock
//! proofs. Logging in asks for the KDF parameters, derives the KEK, proves
//! it (`.../open`) and only then receives the wrapped copy (SPEC section 3).

use std::io::Read;
use std::path::Path;

use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::client::{encode_query, print_json, wipe_json, Client, ClientError};
use super::profile::{self, Session};
use super::{CliError, CliResult, InitArgs, LoginArgs, LogoutArgs};
use crate::crypto::keys::{l1_check, owner_verifier};
use crate::crypto::unlock::{
    check_passphrase_iterations, format_recovery_code, generate_recovery_code, parse_recovery_code,
    passphrase_kek, recovery_kek, unlock_proof, unlock_verifier, unwrap_master, wrap_master,
    METHOD_PASSPHRASE, METHOD_RECOVERY, PASSPHRASE_MIN_ITERATIONS, PASSPHRASE_SALT_LEN,
};
use crate::crypto::GenerateId;
use crate::crypto::{b64, random_bytes, unb64, Key32, MasterSecret, VaultKeys};
use crate::error_code::Code;
use crate::ids::VaultId;

/// Shortest passphrase `init` accepts, in characters.
const MIN_PASSPHRASE_CHARS: usize = 8;
/// Largest secret file (passphrase, recovery code, setup token) read.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// `clavitor init`: create a vault, print its id and recovery code once, log in.
pub fn init(a: &InitArgs, json: bool) -> CliResult {
    let server = profile::resolve_server(a.server.as_deref())?;
    let client = Client::new(&server)?;
    let setup_token = a
        .setup_token_file
        .as_deref()
        .map(read_trimmed)
        .transpose()?;
    let passphrase = match &a.passphrase_file {
        Some(f) => first_line(f)?,
        None => prompt_new_passphrase()?,
    };
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(CliError::Usage(format!(
            "the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }

    let vault_id = VaultId::generate().hex();
    let master = MasterSecret::generate();
    let keys = master.derive(&vault_id);
    let salt = random_bytes::<PASSPHRASE_SALT_LEN>();
    let pass_kek = passphrase_kek(&passphrase, &salt, PASSPHRASE_MIN_ITERATIONS);
    let code = generate_recovery_code();
    let rec_kek = recovery_kek(&code, &vault_id);

    let mut body = json!({
        "vault_id": vault_id,
        "owner_verifier": b64(&owner_verifier(&keys.auth)),
        "l1_check": b64(&l1_check(&keys.l1)),
        "unlock": [
            {"method_id": METHOD_PASSPHRASE, "kind": "passphrase",
             "kdf": {"alg": "pbkdf2-sha256", "salt": b64(&salt), "iterations": PASSPHRASE_MIN_ITERATIONS},
             "wrapped": wrap_master(&pass_kek, &vault_id, METHOD_PASSPHRASE, &master),
             "verifier": verifier_b64(&pass_kek, &vault_id, METHOD_PASSPHRASE)},
            {"method_id": METHOD_RECOVERY, "kind": "recovery", "kdf": {"alg": "hkdf-sha256"},
             "wrapped": wrap_master(&rec_kek, &vault_id, METHOD_RECOVERY, &master),
             "verifier": verifier_b64(&rec_kek, &vault_id, METHOD_RECOVERY)},
        ],
    });
    if let Some(h) = &a.handle {
        body["handle"] = json!(h);
    }
    if let Some(t) = &setup_token {
        body["setup_token"] = json!(t.as_str());
    }
    client
        .post("/api/v1/vaults", None, &body)
        .map_err(|e| create_error(e, setup_token.is_some()))?;

    let session = open_session(&client, &vault_id, &keys)?;
    profile::save_session(&session)?;
    profile::remember_server(client.server())?;

    let shown = Zeroizing::new(format_recovery_code(&code));
    eprintln!("Vault created on {} and logged in.", client.server());
    eprintln!(
        "WARNING: store the recovery code somewhere safe and offline. It is shown only once,"
    );
    eprintln!(
        "and it unlocks the vault without the passphrase: anyone who has it can read everything."
    );
    if json {
        print_json(&json!({"vault_id": vault_id, "recovery_code": shown.as_str()}));
    } else {
        println!("vault id:      {vault_id}");
        println!("recovery code: {}", shown.as_str());
    }
    Ok(())
}

/// Adds the setup-token hint to a closed-registration refusal.
fn create_error(e: ClientError, had_token: bool) -> CliError {
    let closed = e.code() == Some(Code::RegistrationClosed.as_str());
    let err = CliError::from(e);
    match (closed, had_token, &err) {
        (true, false, CliError::Denied(m)) => CliError::Denied(format!(
            "{m}\nhint: the server wrote a one-time setup token to <data_dir>/setup-token (its log names the path); \
             pass it with --setup-token-file"
        )),
        _ => err,
    }
}

/// B64(SHA-256(unlock_proof)) for a method: what the server keeps to check proofs.
fn verifier_b64(kek: &Key32, vault_id: &str, method_id: &str) -> String {
    b64(&unlock_verifier(&unlock_proof(kek, vault_id, method_id)))
}

/// `clavitor login`: unlock a vault with a passphrase or the recovery code.
pub fn login(a: &LoginArgs, json: bool) -> CliResult {
    let server = profile::resolve_server(a.server.as_deref())?;
    let client = Client::new(&server)?;
    let method = if a.recovery_file.is_some() {
        METHOD_RECOVERY
    } else {
        METHOD_PASSPHRASE
    };
    let (vault_id, unlock) = match (&a.vault, &a.handle) {
        (Some(v), _) => {
            let id = VaultId::parse(v)
                .map_err(|e| CliError::Usage(format!("--vault: {e}")))?
                .hex();
            let unlock = client.get(&format!("/api/v1/vaults/{id}/unlock/{method}"), None)?;
            (id, unlock)
        }
        (None, Some(h)) => by_handle(&client, h, method)?,
        (None, None) => return Err(CliError::Usage("give --vault ID or --handle H".into())),
    };
    let wrong = if a.handle.is_some() {
        "wrong passphrase (or recovery code) or unknown handle"
    } else {
        "wrong passphrase (or recovery code) for this vault, or no such vault"
    };
    let kek = match &a.recovery_file {
        Some(f) => recovery_kek_from_file(f, &vault_id)?,
        None => passphrase_kek_for(&unlock, a.passphrase_file.as_deref())?,
    };
    let opened = open_method(&client, &vault_id, method, &kek, wrong)?;
    let wrapped = opened["wrapped"]
        .as_str()
        .ok_or_else(|| bad_answer("wrapped"))?;
    let master = unwrap_master(&kek, &vault_id, method, wrapped)
        .map_err(|_| CliError::Denied(wrong.into()))?;
    let keys = master.derive(&vault_id);
    let session = open_session(&client, &vault_id, &keys)?;
    profile::save_session(&session)?;
    profile::remember_server(client.server())?;
    if opened["legacy"] == true {
        // Logged in either way; a backup POP, for one, refuses the write.
        if let Err(e) = add_verifier(&client, &session, method, &unlock, &kek, &master) {
            eprintln!("warning: {}", e.message());
        }
    }
    if json {
        print_json(&json!({"vault_id": vault_id, "expires_at": session.expires_at}));
    } else {
        println!(
            "logged in to vault {vault_id} on {} (session expires {})",
            client.server(),
            session.expires_at
        );
    }
    Ok(())
}

/// `POST .../unlock/{method}/open` with the unlock proof: the wrapped copy
/// of M for a matching proof; a wrong one (or an unknown vault) is `wrong`.
fn open_method(
    client: &Client,
    vault_id: &str,
    method: &str,
    kek: &Key32,
    wrong: &str,
) -> Result<Value, CliError> {
    let proof = unlock_proof(kek, vault_id, method);
    let mut body = json!({"proof": b64(proof.expose())});
    let answer = client.post(
        &format!("/api/v1/vaults/{vault_id}/unlock/{method}/open"),
        None,
        &body,
    );
    wipe_json(&mut body);
    match answer {
        Ok(v) => Ok(v),
        Err(ClientError::Api { status: 401, .. }) => Err(CliError::Denied(wrong.into())),
        Err(e) => Err(e.into()),
    }
}

/// A vault created before v1.1 has no verifier for this method: now that the
/// owner is logged in, store one (re-wrapping M under the same KEK and KDF
/// parameters), which ends the legacy release of this method's wrapped copy.
fn add_verifier(
    client: &Client,
    session: &Session,
    method: &str,
    unlock: &Value,
    kek: &Key32,
    master: &MasterSecret,
) -> Result<(), CliError> {
    let v = &session.vault_id;
    let body = json!({
        "kind": unlock["kind"], "kdf": unlock["kdf"],
        "wrapped": wrap_master(kek, v, method, master),
        "verifier": verifier_b64(kek, v, method),
    });
    client
        .post(
            &format!("/api/v1/vaults/{v}/unlock/{method}"),
            Some(&session.token),
            &body,
        )
        .map_err(|e| match CliError::from(e) {
            CliError::Failed(m) | CliError::Denied(m) | CliError::NotFound(m) => CliError::Failed(
                format!("logged in, but adding the unlock verifier this vault lacks failed: {m}"),
            ),
            other => other,
        })?;
    eprintln!("upgraded: the {method} unlock method now needs a proof (clavitor v1.1)");
    Ok(())
}

/// Looks a vault up by handle: `(vault_id, public unlock step)`. Unknown
/// handles get a decoy from the server, so they fail only at `open`.
fn by_handle(client: &Client, handle: &str, method: &str) -> Result<(String, Value), CliError> {
    let found = client.get(
        &format!("/api/v1/unlock?handle={}", encode_query(handle)),
        None,
    )?;
    let id = found["vault_id"]
        .as_str()
        .ok_or_else(|| bad_answer("vault_id"))?;
    let id = VaultId::parse(id)
        .map_err(|_| bad_answer("vault_id"))?
        .hex();
    if method == METHOD_PASSPHRASE {
        return Ok((id, found));
    }
    let unlock = client.get(&format!("/api/v1/vaults/{id}/unlock/{method}"), None)?;
    Ok((id, unlock))
}

/// The passphrase KEK with the server's KDF parameters, refusing weak or absurd ones.
fn passphrase_kek_for(unlock: &Value, file: Option<&Path>) -> Result<Key32, CliError> {
    let kdf = &unlock["kdf"];
    if kdf["alg"] != "pbkdf2-sha256" || unlock["kind"] != "passphrase" {
        return Err(bad_answer("kdf.alg"));
    }
    let salt = kdf["salt"]
        .as_str()
        .and_then(|s| unb64(s).ok())
        .ok_or_else(|| bad_answer("kdf.salt"))?;
    let iterations = kdf["iterations"]
        .as_u64()
        .and_then(|i| u32::try_from(i).ok())
        .ok_or_else(|| bad_answer("kdf.iterations"))?;
    check_passphrase_iterations(iterations)
        .map_err(|e| CliError::Failed(format!("refusing the server's unlock parameters: {e}")))?;
    let passphrase = match file {
        Some(f) => first_line(f)?,
        None => prompt("Passphrase: ")?,
    };
    if passphrase.is_empty() {
        return Err(CliError::Usage("the passphrase is empty".into()));
    }
    Ok(passphrase_kek(&passphrase, &salt, iterations))
}

/// The recovery KEK from a file holding the recovery code.
fn recovery_kek_from_file(f: &Path, vault_id: &str) -> Result<Key32, CliError> {
    let text = read_secret_file(f)?;
    let code = Zeroizing::new(
        parse_recovery_code(&text).map_err(|e| CliError::Usage(format!("{}: {e}", f.display())))?,
    );
    Ok(recovery_kek(&code, vault_id))
}

/// `POST /api/v1/session` with K_auth and K1; the session keeps K2 and K3 only.
fn open_session(client: &Client, vault_id: &str, keys: &VaultKeys) -> Result<Session, CliError> {
    let mut body = json!({"vault_id": vault_id, "owner_auth": b64(keys.auth.expose()), "l1": b64(keys.l1.expose())});
    let answer = client.post("/api/v1/session", None, &body);
    wipe_json(&mut body);
    let answer = answer?;
    let token = answer["token"]
        .as_str()
        .ok_or_else(|| bad_answer("token"))?;
    let expires_at = answer["expires_at"]
        .as_str()
        .ok_or_else(|| bad_answer("expires_at"))?;
    Ok(Session {
        server: client.server().to_string(),
        vault_id: vault_id.to_string(),
        token: Zeroizing::new(token.to_string()),
        expires_at: expires_at.to_string(),
        k2: keys.l2.clone(),
        k3: Some(keys.l3.clone()),
    })
}

/// `clavitor logout [--everywhere]`: idempotent when not logged in.
pub fn logout(a: &LogoutArgs, json: bool) -> CliResult {
    let Some(session) = profile::load_session()? else {
        if json {
            print_json(&json!({"logged_out": false, "everywhere": false}));
        } else {
            eprintln!("not logged in");
        }
        return Ok(());
    };
    if a.everywhere {
        let client = Client::new(&session.server)?;
        client.post(
            "/api/v1/session/revoke-all",
            Some(&session.token),
            &json!({}),
        )?;
    }
    profile::delete_session()?;
    if json {
        print_json(&json!({"logged_out": true, "everywhere": a.everywhere}));
    } else if a.everywhere {
        eprintln!("logged out here and on every other device");
    } else {
        eprintln!("logged out");
    }
    Ok(())
}

fn bad_answer(what: &str) -> CliError {
    CliError::Failed(format!(
        "the server's answer has no valid `{what}` (is this a clavitor server?)"
    ))
}

/// Reads a small secret file whole.
fn read_secret_file(f: &Path) -> Result<Zeroizing<String>, CliError> {
    let fail = |e: String| CliError::Failed(format!("{}: cannot read: {e}", f.display()));
    let file = std::fs::File::open(f).map_err(|e| fail(e.to_string()))?;
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_SECRET_FILE)
        .read_to_string(&mut text)
        .map_err(|e| fail(e.to_string()))?;
    Ok(text)
}

/// The first line of a file, without its line ending.
fn first_line(f: &Path) -> Result<Zeroizing<String>, CliError> {
    let text = read_secret_file(f)?;
    let line = text.split('\n').next().unwrap_or("");
    Ok(Zeroizing::new(
        line.strip_suffix('\r').unwrap_or(line).to_string(),
    ))
}

/// A whole file, surrounding whitespace removed (setup tokens, agent credentials).
pub(super) fn read_trimmed(f: &Path) -> Result<Zeroizing<String>, CliError> {
    let text = read_secret_file(f)?;
    Ok(Zeroizing::new(text.trim().to_string()))
}

/// Reads a passphrase from the terminal without echo; the prompt goes to stderr.
fn prompt(label: &str) -> Result<Zeroizing<String>, CliError> {
    ask_hidden(label, "", "a passphrase", "--passphrase-file")
}

/// Asks on the terminal (`/dev/tty`) without echo; the question goes to
/// stderr. Without a terminal, the error names `what` was wanted (after
/// `context`) and what to use `instead`.
pub(super) fn ask_hidden(
    question: &str,
    context: &str,
    what: &str,
    instead: &str,
) -> Result<Zeroizing<String>, CliError> {
    if let Err(e) = std::fs::File::open("/dev/tty") {
        return Err(CliError::Usage(format!(
            "{context}no terminal to ask for {what} ({e}); use {instead}"
        )));
    }
    let config = rpassword::ConfigBuilder::new()
        .output_writer(std::io::stderr())
        .build();
    rpassword::prompt_password_with_config(question, config)
        .map(Zeroizing::new)
        .map_err(|e| {
            CliError::Usage(format!(
                "{context}cannot read {what} from the terminal ({e}); use {instead}"
            ))
        })
}

/// Asks for a new passphrase twice.
fn prompt_new_passphrase() -> Result<Zeroizing<String>, CliError> {
    let first = prompt("New passphrase: ")?;
    let second = prompt("Repeat the passphrase: ")?;
    if *first != *second {
        return Err(CliError::Usage("the passphrases do not match".into()));
    }
    Ok(first)
}
