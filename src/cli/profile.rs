//! Client state on disk: which server to talk to, and the owner session.
//!
//! Location: `$XDG_CONFIG_HOME/clavitor/`, or `$HOME/.config/clavitor/` when
//! `XDG_CONFIG_HOME` is unset or empty. The directory is created 0700; every
//! file is created 0600 and replaced atomically (temporary file in the same
//! directory, `fsync`, `rename`), so a crash never leaves half a session.
//!
//! * `config.json` = `{"server"}`: the last server URL given with `--server`.
//!   The default server is that one, else `http://127.0.0.1:1984` (the
//!   server's built-in listen address).
//!
//! An agent does not log in: it hands the CLI its client credential
//! (`cvc1.…`, SPEC section 4) in `$CLAVITOR_CREDENTIAL` or with the global
//! `--credential-file F`, and [`session`] turns that into the same
//! [`Session`] shape, without K3.
//!
//! * `session.json` = `{"server","vault_id","token","expires_at","k2","k3"}`
//!   (keys base64url). The CLI keeps K2 and K3 because it seals and opens
//!   L2/L3 values locally. It deliberately does **not** keep M, K_auth or K1:
//!   K1 travels only inside the server-sealed wire token, so a stolen
//!   session file expires with its token and cannot mint new sessions or
//!   read L1 data without the server. (K2/K3 in the file are the price of
//!   not asking for the passphrase on every command; the file is 0600 and
//!   `clavitor logout` deletes it.)

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::CliError;
use crate::crypto::token::ClientCredential;
use crate::crypto::{b64, hex, unb64, Key32};

/// Where a client talks to when nothing else is known.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:1984";

const SESSION_FILE: &str = "session.json";
const CONFIG_FILE: &str = "config.json";
/// The environment variable an agent puts its client credential in.
pub const CREDENTIAL_ENV: &str = "CLAVITOR_CREDENTIAL";

/// What a client needs to act on a vault: where, as whom, and the client-side
/// tier keys. Today it comes from an owner login (`session.json`); an agent's
/// client credential (`cvc1.`) yields the same shape with `k3: None`.
pub struct Session {
    pub server: String,
    pub vault_id: String,
    pub token: Zeroizing<String>,
    /// RFC 3339; informational (the server enforces expiry).
    pub expires_at: String,
    pub k2: Key32,
    /// K3 — owner sessions only.
    pub k3: Option<Key32>,
}

/// `session.json` as stored; wiped from memory on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    server: String,
    vault_id: String,
    token: String,
    expires_at: String,
    k2: String,
    k3: String,
}

#[derive(Serialize, Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    server: Option<String>,
}

/// `$XDG_CONFIG_HOME/clavitor` or `$HOME/.config/clavitor`.
pub fn config_dir() -> Result<PathBuf, CliError> {
    let nonempty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = nonempty("XDG_CONFIG_HOME") {
        return Ok(x.join("clavitor"));
    }
    nonempty("HOME")
        .map(|h| h.join(".config").join("clavitor"))
        .ok_or_else(|| {
            CliError::Failed("cannot find a config directory: set XDG_CONFIG_HOME or HOME".into())
        })
}

/// Creates the config directory (0700), tightening it if it already exists.
pub(crate) fn ensure_dir() -> Result<PathBuf, CliError> {
    let dir = config_dir()?;
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| {
            CliError::Failed(format!(
                "{}: cannot create the config directory: {e}",
                dir.display()
            ))
        })?;
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| CliError::Failed(format!("{}: cannot set permissions: {e}", dir.display())))?;
    Ok(dir)
}

/// Writes `data` to `path` as a new 0600 file (temporary file + rename, so
/// a reader never sees half a file and an older file's permissions never
/// apply).
pub(crate) fn write_private(path: &Path, data: &[u8]) -> Result<(), CliError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let fail =
        |e: std::io::Error| CliError::Failed(format!("{}: cannot write: {e}", path.display()));
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

/// Reads `dir/name`, `None` if it does not exist.
fn read_private(dir: &Path, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, CliError> {
    let path = dir.join(name);
    match fs::read(&path) {
        Ok(b) => Ok(Some(Zeroizing::new(b))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Failed(format!(
            "{}: cannot read: {e}",
            path.display()
        ))),
    }
}

/// The server to use: `flag`, else the saved one, else [`DEFAULT_SERVER`].
pub fn resolve_server(flag: Option<&str>) -> Result<String, CliError> {
    if let Some(s) = flag {
        return super::client::normalize_server(s);
    }
    let saved = read_private(&config_dir()?, CONFIG_FILE)?
        .and_then(|b| serde_json::from_slice::<ConfigFile>(&b).ok())
        .and_then(|c| c.server);
    super::client::normalize_server(saved.as_deref().unwrap_or(DEFAULT_SERVER))
}

/// Remembers `server` as the default for later commands.
pub fn remember_server(server: &str) -> Result<(), CliError> {
    let dir = ensure_dir()?;
    let body = serde_json::to_vec_pretty(&ConfigFile {
        server: Some(server.to_string()),
    })
    .expect("config serializes");
    write_private(&dir.join(CONFIG_FILE), &body)
}

/// Saves an owner session (replacing any previous one).
pub fn save_session(s: &Session) -> Result<(), CliError> {
    let dir = ensure_dir()?;
    let file = SessionFile {
        server: s.server.clone(),
        vault_id: s.vault_id.clone(),
        token: s.token.to_string(),
        expires_at: s.expires_at.clone(),
        k2: b64(s.k2.expose()),
        k3: s.k3.as_ref().map(|k| b64(k.expose())).unwrap_or_default(),
    };
    let body = Zeroizing::new(serde_json::to_vec_pretty(&file).expect("session serializes"));
    write_private(&dir.join(SESSION_FILE), &body)
}

/// Loads the owner session, `None` when not logged in.
pub fn load_session() -> Result<Option<Session>, CliError> {
    let dir = config_dir()?;
    let Some(bytes) = read_private(&dir, SESSION_FILE)? else {
        return Ok(None);
    };
    let corrupt = || {
        CliError::Failed(format!(
            "{}: unreadable session file; run `clavitor logout` and `clavitor login` again",
            dir.join(SESSION_FILE).display()
        ))
    };
    let file: SessionFile = serde_json::from_slice(&bytes).map_err(|_| corrupt())?;
    let key = |s: &str| {
        unb64(s)
            .ok()
            .map(Zeroizing::new)
            .and_then(|b| Key32::from_slice(&b).ok())
    };
    let k2 = key(&file.k2).ok_or_else(corrupt)?;
    let k3 = if file.k3.is_empty() {
        None
    } else {
        Some(key(&file.k3).ok_or_else(corrupt)?)
    };
    Ok(Some(Session {
        server: file.server.clone(),
        vault_id: file.vault_id.clone(),
        token: Zeroizing::new(file.token.clone()),
        expires_at: file.expires_at.clone(),
        k2,
        k3,
    }))
}

/// File of the audit chain heads this client verified, per server and vault.
const AUDIT_HEADS_FILE: &str = "audit-heads.json";

/// The newest row of one audit chain (one per POP) that `audit --verify`
/// found intact: a later verification must find the same hash at this seq.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub pop_id: String,
    pub seq: i64,
    /// Hex SHA-256 of the row.
    pub hash: String,
}

/// `{"<server> <vault_id>": [AuditHead…]}`.
type AuditHeads = std::collections::BTreeMap<String, Vec<AuditHead>>;

fn audit_heads_file() -> Result<AuditHeads, CliError> {
    let dir = config_dir()?;
    let Some(bytes) = read_private(&dir, AUDIT_HEADS_FILE)? else {
        return Ok(AuditHeads::new());
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        CliError::Failed(format!(
            "{}: unreadable ({e}); it holds the audit heads verified so far — \
             move it aside only if you trust the server's log as it is now",
            dir.join(AUDIT_HEADS_FILE).display()
        ))
    })
}

/// The heads last verified for `vault` on `server` (empty the first time).
pub fn audit_heads(server: &str, vault: &str) -> Result<Vec<AuditHead>, CliError> {
    Ok(audit_heads_file()?
        .remove(&format!("{server} {vault}"))
        .unwrap_or_default())
}

/// Records the heads just verified for `vault` on `server` (0600 file).
pub fn save_audit_heads(server: &str, vault: &str, heads: &[AuditHead]) -> Result<(), CliError> {
    let dir = ensure_dir()?;
    let mut all = audit_heads_file()?;
    all.insert(format!("{server} {vault}"), heads.to_vec());
    let body = serde_json::to_vec_pretty(&all).expect("audit heads serialize");
    write_private(&dir.join(AUDIT_HEADS_FILE), &body)
}

/// Deletes the session file; `false` if there was none.
pub fn delete_session() -> Result<bool, CliError> {
    let path = config_dir()?.join(SESSION_FILE);
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(CliError::Failed(format!(
            "{}: cannot delete: {e}",
            path.display()
        ))),
    }
}

/// The owner session, or "not logged in" (exit 3). An expired session is
/// reported as such rather than sent to the server.
pub fn owner_session() -> Result<Session, CliError> {
    let s = load_session()?
        .ok_or_else(|| CliError::Denied("not logged in: run `clavitor login`".into()))?;
    let expired = humantime::parse_rfc3339_weak(&s.expires_at)
        .is_ok_and(|t| t <= std::time::SystemTime::now());
    if expired {
        return Err(CliError::Denied(
            "session expired: run `clavitor login`".into(),
        ));
    }
    Ok(s)
}

/// Where this invocation's agent credential comes from, if it acts as an agent.
enum CredentialSource<'a> {
    /// `--credential-file F` (wins over the environment).
    File(&'a Path),
    /// `$CLAVITOR_CREDENTIAL`.
    Env,
}

fn credential_source(file: Option<&Path>) -> Option<CredentialSource<'_>> {
    match file {
        Some(f) => Some(CredentialSource::File(f)),
        None => std::env::var_os(CREDENTIAL_ENV)
            .filter(|v| !v.is_empty())
            .map(|_| CredentialSource::Env),
    }
}

/// True when an agent credential is given (`--credential-file` or `$CLAVITOR_CREDENTIAL`).
pub fn agent_mode(file: Option<&Path>) -> bool {
    credential_source(file).is_some()
}

/// Refuses an owner-only command (`what`) when an agent credential is given (exit 3).
pub fn refuse_agent(file: Option<&Path>, what: &str) -> Result<(), CliError> {
    if agent_mode(file) {
        return Err(CliError::Denied(format!(
            "owner only: `clavitor {what}` needs the owner's login, not an agent credential \
             (unset {CREDENTIAL_ENV} and drop --credential-file)"
        )));
    }
    Ok(())
}

/// The session for commands open to agents (`get`, `totp`, `put`): the agent
/// credential when one is given, else the owner's login.
pub fn session(file: Option<&Path>) -> Result<Session, CliError> {
    match credential_source(file) {
        None => owner_session(),
        Some(CredentialSource::File(f)) => {
            warn_if_shared(f);
            let text = super::vaults::read_trimmed(f)?;
            agent_session(&text, &f.display().to_string())
        }
        Some(CredentialSource::Env) => {
            let text = std::env::var(CREDENTIAL_ENV)
                .map(Zeroizing::new)
                .map_err(|_| {
                    CliError::Denied(format!(
                        "{CREDENTIAL_ENV}: not valid UTF-8, so not a client credential"
                    ))
                })?;
            agent_session(&text, CREDENTIAL_ENV)
        }
    }
}

/// Decodes a `cvc1.` credential into a session; `origin` names where it came
/// from in errors (which never repeat the credential itself).
fn agent_session(text: &str, origin: &str) -> Result<Session, CliError> {
    let cred = ClientCredential::decode(text)
        .map_err(|e| CliError::Denied(format!("{origin}: not a usable client credential ({e})")))?;
    let server = super::client::normalize_server(&cred.server_url).map_err(|e| {
        CliError::Denied(format!(
            "{origin}: the credential's server URL is unusable: {}",
            e.message()
        ))
    })?;
    Ok(Session {
        server,
        vault_id: hex(&cred.vault_id),
        token: Zeroizing::new(cred.wire_token.clone()),
        expires_at: String::new(),
        k2: cred.k2.clone(),
        k3: None,
    })
}

/// Warns (on stderr) when a credential file is readable by others.
fn warn_if_shared(f: &Path) {
    if let Ok(meta) = fs::metadata(f) {
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "clavitor: warning: {} is readable by other users; a client credential is a bearer secret (chmod 600 it)",
                f.display()
            );
        }
    }
}
