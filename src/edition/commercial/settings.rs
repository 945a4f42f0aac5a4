//! `replication.yaml`: parsing and validation (SPEC section 9).
//!
//! Mandatory in the commercial edition. Every error names the file and says
//! what is wrong; serde_yaml adds the key path, line and column. Key and
//! certificate files are read here, so a reload that points to a broken
//! file fails before anything is swapped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::tls;
use crate::config::check_url;
use crate::crypto::Key32;
use crate::edition::telemetry::Secret;

/// Where the file is looked for when `replication_config` is not set.
pub const DEFAULT_PATH: &str = "/etc/clavitor/replication.yaml";

/// Replication role of this POP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Primary,
    Backup,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Backup => "backup",
        }
    }
}

/// Another POP: its id and base URL.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    #[serde(deserialize_with = "de_pop_id")]
    pub id: String,
    #[serde(deserialize_with = "de_url")]
    pub url: String,
}

/// `backup_pop`: a peer, and optionally the key for talking to it (the
/// seed's provisioning example names it; the default is `auth.token_file`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    #[serde(deserialize_with = "de_pop_id")]
    id: String,
    #[serde(deserialize_with = "de_url")]
    url: String,
    auth_token_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(deserialize_with = "de_pop_id")]
    pop_id: String,
    region: Option<String>,
    role: Role,
    backup_pop: Option<RawBackup>,
    primary_pop: Option<Peer>,
    auth: RawAuth,
    #[serde(default)]
    replication: Tuning,
    control_plane: Option<RawControlPlane>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    token_file: PathBuf,
    mtls_cert: Option<PathBuf>,
    mtls_key: Option<PathBuf>,
    ca_cert: Option<PathBuf>,
}

/// Batching and retry knobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tuning {
    /// Rows per apply request (1–1000).
    #[serde(deserialize_with = "de_batch")]
    pub batch_size: usize,
    /// Consecutive failures before the operator is alerted (1–1000).
    #[serde(deserialize_with = "de_retries")]
    pub max_retries: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            batch_size: 100,
            max_retries: 5,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControlPlane {
    #[serde(deserialize_with = "de_url")]
    url: String,
    token_file: PathBuf,
    #[serde(default = "default_heartbeat")]
    heartbeat_interval: u64,
}

fn default_heartbeat() -> u64 {
    60
}

/// The optional control plane that receives heartbeats.
#[derive(Debug, Clone)]
pub struct ControlPlane {
    pub url: String,
    pub token: Secret,
    pub interval: Duration,
}

/// A validated `replication.yaml`, with its key loaded and its HTTP client built.
pub struct Settings {
    pub path: PathBuf,
    pub pop_id: String,
    pub region: Option<String>,
    pub role: Role,
    /// Where a primary sends (required for `role: primary`).
    pub backup: Option<Peer>,
    /// Whom a backup accepts applies from and sends clients to. Optional:
    /// without it a backup accepts batches from any POP holding the
    /// replication key and its 503 answers carry no `X-Primary-Location`.
    pub primary: Option<Peer>,
    /// This POP's replication key (`auth.token_file`): checks the apply
    /// requests it receives.
    pub key: Key32,
    /// The key that signs apply requests to `backup` (`backup_pop.auth_token_file`,
    /// by default `auth.token_file`).
    pub backup_key: Key32,
    /// Client for apply requests (mTLS when configured).
    pub agent: ureq::Agent,
    pub tuning: Tuning,
    pub control_plane: Option<ControlPlane>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("path", &self.path)
            .field("pop_id", &self.pop_id)
            .field("role", &self.role)
            .field("backup", &self.backup)
            .field("primary", &self.primary)
            .finish_non_exhaustive()
    }
}

/// Loads and validates the file at `path`.
pub fn load(path: &Path) -> Result<Settings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: cannot read the replication configuration: {e} \
             (the commercial edition needs it; set `replication_config` in clavitor.yaml)",
            path.display()
        )
    })?;
    parse(path, &text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse(path: &Path, text: &str) -> Result<Settings, String> {
    let raw: Raw = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    if raw.role == Role::Primary && raw.backup_pop.is_none() {
        return Err("role primary needs `backup_pop: {id, url}` (where to replicate to)".into());
    }
    if raw.backup_pop.as_ref().is_some_and(|b| b.id == raw.pop_id)
        || raw.primary_pop.as_ref().is_some_and(|p| p.id == raw.pop_id)
    {
        return Err(format!(
            "pop_id {} names this POP as its own peer",
            raw.pop_id
        ));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let key = load_key(&resolve(base, &raw.auth.token_file), "auth.token_file")?;
    let backup_key = match raw
        .backup_pop
        .as_ref()
        .and_then(|b| b.auth_token_file.as_ref())
    {
        Some(file) => load_key(&resolve(base, file), "backup_pop.auth_token_file")?,
        None => key.clone(),
    };
    let client_tls = tls::ClientTls::load(
        raw.auth
            .mtls_cert
            .as_ref()
            .map(|p| resolve(base, p))
            .as_deref(),
        raw.auth
            .mtls_key
            .as_ref()
            .map(|p| resolve(base, p))
            .as_deref(),
        raw.auth
            .ca_cert
            .as_ref()
            .map(|p| resolve(base, p))
            .as_deref(),
    )?;
    let control_plane = match raw.control_plane {
        Some(c) => Some(control_plane(base, c)?),
        None => None,
    };
    Ok(Settings {
        path: path.to_path_buf(),
        pop_id: raw.pop_id,
        region: raw.region,
        role: raw.role,
        backup: raw.backup_pop.map(|b| Peer {
            id: b.id,
            url: b.url,
        }),
        primary: raw.primary_pop,
        key,
        backup_key,
        agent: client_tls.agent(),
        tuning: raw.replication,
        control_plane,
    })
}

/// Relative paths are relative to the directory of replication.yaml.
fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn control_plane(base: &Path, c: RawControlPlane) -> Result<ControlPlane, String> {
    if !(5..=86_400).contains(&c.heartbeat_interval) {
        return Err(format!(
            "control_plane.heartbeat_interval: expected 5 to 86400 seconds, got {}",
            c.heartbeat_interval
        ));
    }
    let file = resolve(base, &c.token_file);
    let text = Zeroizing::new(read_private(&file, "control_plane.token_file")?);
    let token = text.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(format!(
            "control_plane.token_file {}: expected one token on one line",
            file.display()
        ));
    }
    Ok(ControlPlane {
        url: c.url,
        token: Secret::new(token),
        interval: Duration::from_secs(c.heartbeat_interval),
    })
}

/// Reads a secret file that must not be readable by group or others.
fn read_private(file: &Path, key: &str) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file)
        .map_err(|e| format!("{key} {}: cannot read: {e}", file.display()))?;
    if !meta.is_file() {
        return Err(format!("{key} {}: not a regular file", file.display()));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{key} {}: mode {mode:03o} lets other users read the secret; run `chmod 600 {}`",
            file.display(),
            file.display()
        ));
    }
    std::fs::read_to_string(file).map_err(|e| format!("{key} {}: cannot read: {e}", file.display()))
}

/// Optional prefix of a replication key (the seed's `clavitor-pop-v1-...`).
pub const KEY_PREFIX: &str = "clavitor-pop-v1-";

/// A 256-bit replication key from the file named by `key` (`auth.token_file`
/// or `backup_pop.auth_token_file`): one line holding 32 bytes as 64 hex
/// digits, standard base64 (padded or not, e.g. `openssl rand -base64 32`)
/// or base64url, optionally prefixed `clavitor-pop-v1-`. Surrounding
/// whitespace (the newline openssl writes) is ignored.
pub fn load_key(file: &Path, key: &str) -> Result<Key32, String> {
    let text = Zeroizing::new(read_private(file, key)?);
    decode_key(text.trim()).ok_or_else(|| {
        // Never quotes the file: it holds (a mangled copy of) the secret.
        format!(
            "{key} {}: expected a 256-bit key on one line: 32 random bytes as 64 hex digits, \
             standard base64 (44 characters with `=`, or 43 without) or base64url (43), \
             optionally prefixed `{KEY_PREFIX}`; make one with `openssl rand -base64 32`",
            file.display()
        )
    })
}

/// Decodes one key line; `None` unless it is exactly 32 bytes in one of the
/// accepted encodings. Lengths decide hex (64) from base64 (43 or 44), so no
/// text is read two ways; the alphabet decides standard from url-safe.
fn decode_key(line: &str) -> Option<Key32> {
    use data_encoding::{BASE64, BASE64URL, BASE64URL_NOPAD, BASE64_NOPAD, HEXLOWER_PERMISSIVE};
    let t = line.strip_prefix(KEY_PREFIX).unwrap_or(line);
    let url_safe = t.contains(['-', '_']);
    let encoding = match (t.len(), url_safe) {
        (64, _) => &HEXLOWER_PERMISSIVE,
        (43, false) => &BASE64_NOPAD,
        (44, false) => &BASE64,
        (43, true) => &BASE64URL_NOPAD,
        (44, true) => &BASE64URL,
        _ => return None,
    };
    let bytes = Zeroizing::new(encoding.decode(t.as_bytes()).ok()?);
    Key32::from_slice(&bytes).ok()
}

fn de_pop_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let ok = (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        return Err(de::Error::custom(format!(
            "expected a POP id of 1 to 64 letters, digits, '-', '_' or '.', like \"calgary-01\", got {s:?}"
        )));
    }
    Ok(s)
}

fn de_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    check_url(&s).map_err(de::Error::custom)?;
    Ok(s.trim_end_matches('/').to_string())
}

fn de_batch<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let n = u64::deserialize(d)?;
    if !(1..=1000).contains(&n) {
        return Err(de::Error::custom(format!(
            "batch_size: expected 1 to 1000 rows per batch, got {n}"
        )));
    }
    Ok(n as usize)
}

fn de_retries<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u64::deserialize(d)?;
    if !(1..=1000).contains(&n) {
        return Err(de::Error::custom(format!(
            "max_retries: expected 1 to 1000 consecutive failures before alerting, got {n}"
        )));
    }
    Ok(n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir_with_key(mode: u32, key: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("replication.key");
        std::fs::write(&file, key).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    const KEY: &str = "28a6c33b9dbdf28e650f8d947bed4c1a8bd1154ddba3e7f6846c1d94217ac3eb\n";

    fn try_parse(dir: &tempfile::TempDir, yaml: &str) -> Result<Settings, String> {
        parse(&dir.path().join("replication.yaml"), yaml)
    }

    #[test]
    fn primary_parses_with_relative_key_path() {
        let dir = dir_with_key(0o600, KEY);
        let s = try_parse(
            &dir,
            "pop_id: calgary-01\nregion: na\nrole: primary\n\
             backup_pop: {id: zurich-01, url: \"http://127.0.0.1:9/\"}\n\
             auth: {token_file: replication.key}\nreplication: {batch_size: 50}\n",
        )
        .unwrap();
        assert_eq!(s.role, Role::Primary);
        assert_eq!(s.backup.unwrap().url, "http://127.0.0.1:9");
        assert_eq!(
            s.tuning,
            Tuning {
                batch_size: 50,
                max_retries: 5
            }
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let dir = dir_with_key(0o600, KEY);
        let e = try_parse(
            &dir,
            "pop_id: a\nrole: leader\nauth: {token_file: replication.key}\n",
        )
        .unwrap_err();
        assert!(
            e.contains("primary") && e.contains("backup") && e.contains("line 2"),
            "{e}"
        );
        let e = try_parse(
            &dir,
            "pop_id: a\nrole: primary\nauth: {token_file: replication.key}\n",
        )
        .unwrap_err();
        assert!(e.contains("backup_pop"), "{e}");
        let e = try_parse(
            &dir,
            "pop_id: a\nrole: backup\nauth: {token_file: replication.key}\nprimary_pop: {id: b, url: \"http://b\", auth_token_file: k}\n",
        )
        .unwrap_err();
        assert!(e.contains("unknown field `auth_token_file`"), "{e}");
        let e = try_parse(
            &dir,
            "pop_id: a\nrole: primary\nauth: {token_file: replication.key}\nbackup_pop: {id: b, url: \"http://b\", auth_token: k}\n",
        )
        .unwrap_err();
        assert!(
            e.contains("unknown field `auth_token`") && e.contains("auth_token_file"),
            "{e}"
        );
        let e = try_parse(
            &dir,
            "pop_id: \"a b\"\nrole: backup\nauth: {token_file: x}\n",
        )
        .unwrap_err();
        assert!(e.contains("POP id"), "{e}");
        let e = try_parse(
            &dir,
            "pop_id: a\nrole: primary\nbackup_pop: {id: b, url: \"x\"}\nauth: {token_file: k}\n",
        )
        .unwrap_err();
        assert!(e.contains("https://"), "{e}");
        let e = try_parse(&dir, "pop_id: a\nrole: primary\nbackup_pop: {id: b, url: \"http://b\"}\nauth: {token_file: missing.key}\n").unwrap_err();
        assert!(
            e.contains("missing.key") && e.contains("cannot read"),
            "{e}"
        );
    }

    #[test]
    fn shipped_example_is_valid_yaml_with_the_defaults() {
        let raw: Raw =
            serde_yaml::from_str(include_str!("../../../config/replication.yaml")).unwrap();
        assert_eq!(raw.role, Role::Primary);
        assert_eq!(raw.replication, Tuning::default());
        assert!(raw.backup_pop.is_some());
    }

    #[test]
    fn key_files_must_be_private_and_well_formed() {
        let yaml = "pop_id: a\nrole: primary\nbackup_pop: {id: b, url: \"http://b\"}\nauth: {token_file: replication.key}\n";
        let e = try_parse(&dir_with_key(0o644, KEY), yaml).unwrap_err();
        assert!(e.contains("chmod 600") && e.contains("644"), "{e}");
        let e = try_parse(&dir_with_key(0o600, "short\n"), yaml).unwrap_err();
        assert!(
            e.contains("64 hex digits") && e.contains("base64") && !e.contains("short"),
            "{e}"
        );
        let b64 = crate::crypto::b64(&[7u8; 32]);
        assert!(try_parse(&dir_with_key(0o600, &b64), yaml).is_ok());
    }

    /// Every encoding the SPEC accepts, of the same 32 bytes, gives the same key.
    #[test]
    fn keys_in_every_documented_encoding_decode_to_the_same_bytes() {
        use data_encoding::{BASE64, BASE64URL, BASE64URL_NOPAD, BASE64_NOPAD, HEXLOWER, HEXUPPER};
        // Bytes chosen so that standard and url-safe base64 differ (0xfb 0xff → "+/" vs "-_").
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0xfb;
        }
        bytes[0] = 0xfb;
        bytes[1] = 0xff;
        bytes[2] = 0xbf;
        let want = Key32::from_bytes(bytes);
        let forms = [
            HEXLOWER.encode(&bytes),
            HEXUPPER.encode(&bytes),
            BASE64.encode(&bytes),
            BASE64_NOPAD.encode(&bytes),
            BASE64URL.encode(&bytes),
            BASE64URL_NOPAD.encode(&bytes),
        ];
        assert!(forms[2].starts_with("+/+/") && forms[4].starts_with("-_-_"));
        assert!(forms[2].ends_with('=') && forms[2].len() == 44);
        for form in &forms {
            for text in [
                format!("{form}\n"),
                format!("{KEY_PREFIX}{form}\n"),
                format!("  {form}\r\n\n"),
            ] {
                let dir = dir_with_key(0o600, &text);
                let got = load_key(&dir.path().join("replication.key"), "auth.token_file");
                assert!(got.as_ref() == Ok(&want), "{text:?}: {got:?}");
            }
        }
        // Not 32 bytes, two alphabets mixed, two lines, bad padding, a bare prefix.
        let std = BASE64.encode(&bytes);
        for bad in [
            BASE64.encode(&bytes[..31]),
            HEXLOWER.encode(&bytes[..31]),
            HEXLOWER.encode(&[bytes.as_slice(), &[1]].concat()),
            std.replacen('/', "_", 1),
            format!("{}\n{}", &std[..20], &std[20..]),
            format!("{}==", &std[..42]),
            KEY_PREFIX.to_string(),
            format!("clavitor-pop-v2-{}", HEXLOWER.encode(&bytes)),
        ] {
            let dir = dir_with_key(0o600, &bad);
            let e = load_key(&dir.path().join("replication.key"), "auth.token_file").unwrap_err();
            assert!(e.contains("openssl rand -base64 32"), "{bad:?}: {e}");
        }
    }

    /// The key file the seed's provisioning example writes, and keys made by
    /// `openssl rand -base64 32` / `-hex 32`, as openssl writes them.
    #[test]
    fn openssl_made_keys_load() {
        for args in [["rand", "-base64", "32"], ["rand", "-hex", "32"]] {
            let out = std::process::Command::new("openssl")
                .args(args)
                .output()
                .expect("openssl is installed (the documented way to make a key)");
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(text.ends_with('\n'));
            let dir = dir_with_key(0o600, &text);
            load_key(&dir.path().join("replication.key"), "auth.token_file").unwrap();
        }
    }

    /// The seed document's provisioning examples (SPEC section 9), verbatim
    /// but for `/etc/clavitor/` (a temporary directory here).
    pub const CALGARY: &str = r#"pop_id: "calgary-01"
region: "north-america"
role: "primary"
backup_pop:
  id: "zurich-01"
  url: "https://zurich-01.clavitor.ai"
  auth_token_file: "/etc/clavitor/replication.key"
auth:
  token_file: "/etc/clavitor/replication.key"
"#;
    pub const ZURICH: &str = r#"pop_id: "zurich-01"
region: "europe"
role: "backup"
auth:
  token_file: "/etc/clavitor/replication.key"
"#;

    fn seed_key_dir() -> tempfile::TempDir {
        // The example's form: `clavitor-pop-v1-` and hex digits.
        let key = format!("{KEY_PREFIX}{}\n", crate::crypto::hex(&[0xa1; 32]));
        dir_with_key(0o600, &key)
    }

    fn in_dir(dir: &tempfile::TempDir, yaml: &str) -> String {
        yaml.replace("/etc/clavitor/", &format!("{}/", dir.path().display()))
    }

    #[test]
    fn seed_provisioning_examples_parse() {
        let dir = seed_key_dir();
        let calgary = try_parse(&dir, &in_dir(&dir, CALGARY)).unwrap();
        assert_eq!(calgary.role, Role::Primary);
        let backup = calgary.backup.as_ref().unwrap();
        assert_eq!(
            (backup.id.as_str(), backup.url.as_str()),
            ("zurich-01", "https://zurich-01.clavitor.ai")
        );
        assert_eq!(calgary.backup_key, Key32::from_bytes([0xa1; 32]));
        assert_eq!(calgary.region.as_deref(), Some("north-america"));

        let zurich = try_parse(&dir, &in_dir(&dir, ZURICH)).unwrap();
        assert_eq!(zurich.role, Role::Backup);
        assert!(zurich.primary.is_none() && zurich.backup.is_none());
        assert_eq!(zurich.key, calgary.key, "the same shared key");

        // The failover example: before (backup naming its primary) and after.
        let before = ZURICH.replace(
            "role: \"backup\"\n",
            "role: \"backup\"\nprimary_pop:\n  id: \"calgary-01\"\n  url: \"https://calgary-01.clavitor.ai\"\n",
        );
        let s = try_parse(&dir, &in_dir(&dir, &before)).unwrap();
        assert_eq!(s.primary.unwrap().id, "calgary-01");
        let after = ZURICH.replace(
            "role: \"backup\"\n",
            "role: \"primary\"\nbackup_pop:\n  id: \"calgary-01\"  # Old primary becomes backup\n  url: \"https://calgary-01.clavitor.ai\"\n",
        );
        let s = try_parse(&dir, &in_dir(&dir, &after)).unwrap();
        assert_eq!(s.role, Role::Primary);
        assert_eq!(s.backup.unwrap().id, "calgary-01");
    }

    #[test]
    fn backup_pop_may_name_its_own_key_file() {
        let dir = dir_with_key(0o600, KEY);
        let other = dir.path().join("zurich.key");
        std::fs::write(&other, format!("{}\n", crate::crypto::b64(&[9u8; 32]))).unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
        let s = try_parse(
            &dir,
            "pop_id: a\nrole: primary\nauth: {token_file: replication.key}\n\
             backup_pop: {id: b, url: \"http://b\", auth_token_file: zurich.key}\n",
        )
        .unwrap();
        assert_eq!(s.backup_key, Key32::from_bytes([9; 32]));
        assert_ne!(s.key, s.backup_key);
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = try_parse(
            &dir,
            "pop_id: a\nrole: primary\nauth: {token_file: replication.key}\n\
             backup_pop: {id: b, url: \"http://b\", auth_token_file: zurich.key}\n",
        )
        .unwrap_err();
        assert!(
            e.contains("backup_pop.auth_token_file") && e.contains("chmod 600"),
            "{e}"
        );
    }
}
