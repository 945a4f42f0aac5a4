//! CVT envelopes (SPEC section 4): the POP keyring, `cvt0.` wire tokens and
//! `cvc1.` client credentials.
//!
//! A wire token is sealed under a key only the POP holds, so holding one does
//! not reveal the K1 inside it. A client credential is a bearer secret minted
//! by the owner's client: a wire token plus K2 and where to use them.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{aead_open, aead_seal_into, b64, hex, unb64, Key32, NONCE_LEN, TAG_LEN};

/// Prefix of a wire token (type 0x00).
pub const WIRE_TOKEN_PREFIX: &str = "cvt0.";
/// Prefix of a client credential (type 0x01).
pub const CREDENTIAL_PREFIX: &str = "cvc1.";

const TYPE_WIRE: u8 = 0x00;
const TYPE_CREDENTIAL: u8 = 0x01;
const HEADER_LEN: usize = 2;
/// vault_id 16 || kind 1 || principal_id 16 || K1 32 || issued_at 8 ||
/// expires_at 8 || generation 4.
const PAYLOAD_LEN: usize = 16 + 1 + 16 + 32 + 8 + 8 + 4;
const WIRE_LEN: usize = HEADER_LEN + NONCE_LEN + PAYLOAD_LEN + TAG_LEN;
/// Base64url characters of a wire token body: ceil(WIRE_LEN * 4 / 3).
const WIRE_B64_LEN: usize = (WIRE_LEN * 4).div_ceil(3);
/// A keyring file is a few lines; refuse to read anything far larger.
const MAX_KEYRING_FILE: u64 = 1 << 20;

/// Why a token or client credential was refused. Messages say what was wrong,
/// never the bytes.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of the expected shape; the text says what was expected.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The token names a key id this server's keyring does not hold (the key
    /// was retired, or the token is from another server).
    #[error("token was sealed with key id {0}, which this server's keyring does not hold")]
    UnknownKey(u8),
    /// Authentication failed: the token was altered or not issued here.
    #[error("token is not valid: it was altered, or was not issued by this server")]
    Invalid,
}

/// What kind of principal a token speaks for (wire byte 1 or 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// The vault owner (wire byte 1); the principal id is all zeros.
    Owner,
    /// An agent (wire byte 2); the principal id is the agent id.
    Agent,
}

impl PrincipalKind {
    /// The wire byte.
    pub fn to_byte(self) -> u8 {
        match self {
            PrincipalKind::Owner => 1,
            PrincipalKind::Agent => 2,
        }
    }

    /// Reads a wire byte.
    pub fn from_byte(b: u8) -> Option<PrincipalKind> {
        match b {
            1 => Some(PrincipalKind::Owner),
            2 => Some(PrincipalKind::Agent),
            _ => None,
        }
    }
}

/// The payload of a wire token. `Debug` shows everything but `k1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    /// The vault the token opens.
    pub vault_id: [u8; 16],
    /// Owner or agent.
    pub kind: PrincipalKind,
    /// The agent id; all zeros for an owner.
    pub principal_id: [u8; 16],
    /// The vault's K1, which the server needs to read L1 documents.
    pub k1: Key32,
    /// Unix seconds when the token was issued.
    pub issued_at: u64,
    /// Unix seconds when the token expires; 0 = never.
    pub expires_at: u64,
    /// Must equal the vault's `session_generation` (owner) or the agent's
    /// `token_generation` (agent) for the token to be valid.
    pub generation: u32,
}

impl TokenClaims {
    /// Whether the token has expired at `now` (unix seconds). Tokens with
    /// `expires_at == 0` never expire.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at != 0 && now >= self.expires_at
    }
}

fn encode_payload(c: &TokenClaims) -> Zeroizing<Vec<u8>> {
    let mut p = Zeroizing::new(Vec::with_capacity(PAYLOAD_LEN));
    p.extend_from_slice(&c.vault_id);
    p.push(c.kind.to_byte());
    p.extend_from_slice(&c.principal_id);
    p.extend_from_slice(c.k1.expose());
    p.extend_from_slice(&c.issued_at.to_be_bytes());
    p.extend_from_slice(&c.expires_at.to_be_bytes());
    p.extend_from_slice(&c.generation.to_be_bytes());
    debug_assert_eq!(p.len(), PAYLOAD_LEN);
    p
}

fn decode_payload(p: &[u8]) -> Result<TokenClaims, TokenError> {
    let mut r = Reader::new(p, "token payload has the wrong length");
    let vault_id = r.array::<16>()?;
    let kind = PrincipalKind::from_byte(r.u8()?)
        .ok_or(TokenError::Malformed("token names an unknown principal kind"))?;
    let principal_id = r.array::<16>()?;
    let k1 = Key32::from_slice(r.take(32)?).expect("take(32) yields 32 bytes");
    let issued_at = u64::from_be_bytes(r.array()?);
    let expires_at = u64::from_be_bytes(r.array()?);
    let generation = u32::from_be_bytes(r.array()?);
    r.finish()?;
    Ok(TokenClaims {
        vault_id,
        kind,
        principal_id,
        k1,
        issued_at,
        expires_at,
        generation,
    })
}

/// Seals `claims` under the keyring's current (highest) key with a fresh
/// random nonce.
pub fn seal_token(ring: &Keyring, claims: &TokenClaims) -> String {
    let (key_id, key) = ring.current();
    seal_token_with(key_id, key, super::random_bytes(), claims)
}

/// Seals with a given key and nonce:
/// `"cvt0." + B64(0x00 || key_id || nonce || AES-256-GCM(key, payload, AAD = header))`.
/// Use [`seal_token`] outside known-answer tests.
pub fn seal_token_with(
    key_id: u8,
    key: &Key32,
    nonce: [u8; NONCE_LEN],
    claims: &TokenClaims,
) -> String {
    let header = [TYPE_WIRE, key_id];
    let payload = encode_payload(claims);
    let mut raw = Vec::with_capacity(WIRE_LEN);
    raw.extend_from_slice(&header);
    aead_seal_into(&mut raw, key, nonce, &header, &payload);
    format!("{WIRE_TOKEN_PREFIX}{}", b64(&raw))
}

/// Opens a wire token with whichever keyring key its header names.
///
/// Expiry, generation and existence are not checked here; the caller does
/// that with its own clock and database.
pub fn open_token(ring: &Keyring, token: &str) -> Result<TokenClaims, TokenError> {
    let body = token
        .strip_prefix(WIRE_TOKEN_PREFIX)
        .ok_or(TokenError::Malformed("a wire token starts with `cvt0.`"))?;
    // Length first, so an oversized header value is never decoded.
    if body.len() != WIRE_B64_LEN {
        return Err(TokenError::Malformed("a wire token has the wrong length"));
    }
    let raw = unb64(body)
        .map_err(|_| TokenError::Malformed("a wire token's body is base64url without padding"))?;
    if raw.len() != WIRE_LEN {
        return Err(TokenError::Malformed("a wire token has the wrong length"));
    }
    let (header, sealed) = raw.split_at(HEADER_LEN);
    if header[0] != TYPE_WIRE {
        return Err(TokenError::Malformed(
            "not a wire token (type byte is not 0x00)",
        ));
    }
    let key_id = header[1];
    let key = ring.get(key_id).ok_or(TokenError::UnknownKey(key_id))?;
    let payload = aead_open(key, header, sealed).map_err(|_| TokenError::Invalid)?;
    decode_payload(&payload)
}

/// Why a token keyring could not be read, parsed or created. Messages name the
/// file and line and say what was expected; they never contain key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// A line is not `<key_id> <key>`, or repeats an id.
    #[error("{}line {line}: {what}", in_file(.path))]
    Line {
        /// The keyring file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line number.
        line: usize,
        /// What was wrong and what was expected.
        what: String,
    },
    /// The keyring has no key lines at all.
    #[error("{}no keys: expected at least one line `<key_id> <base64url 32-byte key>`", in_file(.path))]
    Empty {
        /// The keyring file, when the text came from one.
        path: Option<PathBuf>,
    },
    /// The file could not be opened, read, created or written.
    #[error("cannot {action} token keyring {}: {err}", .path.display())]
    Io {
        /// The keyring file.
        path: PathBuf,
        /// What was being done: "open", "read", "create" or "write".
        action: &'static str,
        /// The operating system's error.
        err: std::io::Error,
    },
    /// The file is readable or writable by group or others.
    #[error(
        "token keyring {} has mode {mode:03o}, so other users may read it; run `chmod 600 {}`",
        .path.display(),
        .path.display()
    )]
    Permissions {
        /// The keyring file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is larger than any keyring could be.
    #[error("token keyring {} is larger than 1 MiB; is it the right file?", .path.display())]
    TooLarge {
        /// The keyring file.
        path: PathBuf,
    },
}

fn in_file(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => format!("token keyring {}, ", p.display()),
        None => String::new(),
    }
}

impl KeyringError {
    fn in_path(self, file: &Path) -> Self {
        match self {
            KeyringError::Line { line, what, .. } => KeyringError::Line {
                path: Some(file.to_path_buf()),
                line,
                what,
            },
            KeyringError::Empty { .. } => KeyringError::Empty {
                path: Some(file.to_path_buf()),
            },
            other => other,
        }
    }
}

/// The POP's token keyring: key id (u8) to key. The highest id seals new
/// tokens; every id opens tokens, so old tokens survive a key rotation until
/// their key is removed.
///
/// Text format (`token_key_file`): lines `<key_id> <B64 32 bytes>`; `#`
/// comments and blank lines are allowed. `Debug` shows only the ids.
#[derive(Clone)]
pub struct Keyring {
    keys: BTreeMap<u8, Key32>,
}

impl Keyring {
    /// Parses the text format. Errors name the line number and what was
    /// expected; an empty keyring and a repeated id are errors.
    pub fn parse(text: &str) -> Result<Keyring, KeyringError> {
        let mut keys = BTreeMap::new();
        let mut first_line = BTreeMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let err = |what: String| KeyringError::Line {
                path: None,
                line,
                what,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = trimmed.split_whitespace().collect();
            let [id, key] = fields[..] else {
                return Err(err(format!(
                    "expected `<key_id> <base64url 32-byte key>` (2 fields), found {} fields",
                    fields.len()
                )));
            };
            // Never echo a field: a line with its fields swapped would put the
            // key where the id belongs.
            let id: u8 = id
                .parse()
                .map_err(|_| err("key id must be a whole number from 0 to 255".into()))?;
            let bytes = Zeroizing::new(
                unb64(key)
                    .map_err(|_| err("key must be base64url without padding".into()))?,
            );
            let key = Key32::from_slice(&bytes).map_err(|_| {
                err(format!(
                    "key must decode to 32 bytes, but decodes to {}",
                    bytes.len()
                ))
            })?;
            if let Some(first) = first_line.insert(id, line) {
                return Err(err(format!(
                    "key id {id} is already defined on line {first}"
                )));
            }
            keys.insert(id, key);
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty { path: None });
        }
        Ok(Keyring { keys })
    }

    /// A new keyring with one fresh random key, id 1.
    pub fn generate() -> Keyring {
        Keyring {
            keys: BTreeMap::from([(1, Key32::generate())]),
        }
    }

    /// The text format, with a comment header. Contains the keys: write it
    /// only to a 0600 file.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# clavitor token keyring: lines `<key_id> <base64url 32-byte key>`.\n\
             # The highest id seals new tokens; every id listed opens tokens.\n\
             # Secret: keep this file mode 0600 and out of backups of the database.\n",
        );
        for (id, key) in &self.keys {
            let encoded = Zeroizing::new(b64(key.expose()));
            out.push_str(&format!("{id} {}\n", encoded.as_str()));
        }
        out
    }

    /// Loads the keyring at `path`, creating it (mode 0600, one fresh key) if
    /// it does not exist. An existing file must not be accessible to group or
    /// others.
    pub fn load_or_create(path: &Path) -> Result<Keyring, KeyringError> {
        let io = |action, err| KeyringError::Io {
            path: path.to_path_buf(),
            action,
            err,
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut file) => {
                let ring = Keyring::generate();
                let text = Zeroizing::new(ring.to_text());
                if let Err(e) = file
                    .write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                {
                    drop(file);
                    // Do not leave an empty keyring behind for the next start
                    // to trip over.
                    let _ = std::fs::remove_file(path);
                    return Err(io("write", e));
                }
                Ok(ring)
            }
            // Another process may create it between our check and open;
            // `create_new` makes that race harmless: we then just load it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Keyring::load(path),
            Err(e) => Err(io("create", e)),
        }
    }

    /// Loads the keyring at `path`; never creates it. Refuses a file that is
    /// accessible to group or others (`mode & 0o077 != 0`).
    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let io = |action, err| KeyringError::Io {
            path: path.to_path_buf(),
            action,
            err,
        };
        let file = File::open(path).map_err(|e| io("open", e))?;
        // Check the opened file, not the path, so a swap between the check and
        // the read cannot slip a different file past it.
        let meta = file.metadata().map_err(|e| io("read", e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyringError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        if meta.len() > MAX_KEYRING_FILE {
            return Err(KeyringError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        // Sized up front so the buffer holding the keys never reallocates and
        // leaves a copy behind.
        let cap = usize::try_from(meta.len()).expect("at most 1 MiB") + 1;
        let mut text = Zeroizing::new(String::with_capacity(cap));
        file.take(MAX_KEYRING_FILE)
            .read_to_string(&mut text)
            .map_err(|e| io("read", e))?;
        Keyring::parse(&text).map_err(|e| e.in_path(path))
    }

    /// The id of the key that seals new tokens: the highest id.
    pub fn current_id(&self) -> u8 {
        self.current().0
    }

    /// The key with id `key_id`, if the keyring holds it.
    pub fn get(&self, key_id: u8) -> Option<&Key32> {
        self.keys.get(&key_id)
    }

    /// All key ids, lowest first.
    pub fn ids(&self) -> impl Iterator<Item = u8> + '_ {
        self.keys.keys().copied()
    }

    fn current(&self) -> (u8, &Key32) {
        self.keys
            .last_key_value()
            .map(|(id, key)| (*id, key))
            .expect("a Keyring always holds at least one key")
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The agent client credential (type 0x01): what the owner hands to an agent.
///
/// A bearer secret: it holds a wire token and K2. Wiped on drop; `Debug`
/// hides the token and the key.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ClientCredential {
    /// Where the agent's client sends requests.
    pub server_url: String,
    /// The agent's `cvt0.` wire token.
    pub wire_token: String,
    /// The vault the credential is for.
    pub vault_id: [u8; 16],
    /// K2, so the agent can open L2 fields locally.
    pub k2: Key32,
}

impl ClientCredential {
    /// `"cvc1." + B64(0x01 || u16 BE len || URL || u16 BE len || token ||
    /// vault_id || K2)`.
    ///
    /// Fails if the URL or token is empty or longer than 65535 bytes, or the
    /// token is not printable ASCII (it travels in an HTTP header).
    pub fn encode(&self) -> Result<String, TokenError> {
        let url = self.server_url.as_bytes();
        let token = self.wire_token.as_bytes();
        check_url(url)?;
        check_token(token)?;
        let url_len = u16::try_from(url.len())
            .map_err(|_| TokenError::Malformed("server URL is longer than 65535 bytes"))?;
        let token_len = u16::try_from(token.len())
            .map_err(|_| TokenError::Malformed("wire token is longer than 65535 bytes"))?;
        let mut raw = Zeroizing::new(Vec::with_capacity(1 + 2 + url.len() + 2 + token.len() + 48));
        raw.push(TYPE_CREDENTIAL);
        raw.extend_from_slice(&url_len.to_be_bytes());
        raw.extend_from_slice(url);
        raw.extend_from_slice(&token_len.to_be_bytes());
        raw.extend_from_slice(token);
        raw.extend_from_slice(&self.vault_id);
        raw.extend_from_slice(self.k2.expose());
        Ok(format!("{CREDENTIAL_PREFIX}{}", b64(&raw)))
    }

    /// Decodes a credential. Surrounding whitespace (a trailing newline from a
    /// file) is ignored; anything else out of place, including trailing bytes,
    /// is an error.
    pub fn decode(s: &str) -> Result<Self, TokenError> {
        let body = s
            .trim()
            .strip_prefix(CREDENTIAL_PREFIX)
            .ok_or(TokenError::Malformed("a client credential starts with `cvc1.`"))?;
        let raw = Zeroizing::new(unb64(body).map_err(|_| {
            TokenError::Malformed("a client credential's body is base64url without padding")
        })?);
        let mut r = Reader::new(&raw, "client credential is truncated");
        if r.u8()? != TYPE_CREDENTIAL {
            return Err(TokenError::Malformed(
                "not a client credential (type byte is not 0x01)",
            ));
        }
        let url_len = u16::from_be_bytes(r.array()?);
        let url = r.take(url_len.into())?;
        check_url(url)?;
        let server_url = std::str::from_utf8(url)
            .map_err(|_| TokenError::Malformed("server URL is not UTF-8"))?
            .to_owned();
        let token_len = u16::from_be_bytes(r.array()?);
        let token = r.take(token_len.into())?;
        check_token(token)?;
        let wire_token = std::str::from_utf8(token)
            .expect("checked to be printable ASCII")
            .to_owned();
        let vault_id = r.array::<16>()?;
        let k2 = Key32::from_slice(r.take(32)?).expect("take(32) yields 32 bytes");
        r.finish_with("client credential has bytes after the key")?;
        Ok(ClientCredential {
            server_url,
            wire_token,
            vault_id,
            k2,
        })
    }
}

fn check_url(url: &[u8]) -> Result<(), TokenError> {
    if url.is_empty() {
        return Err(TokenError::Malformed("server URL is empty"));
    }
    Ok(())
}

fn check_token(token: &[u8]) -> Result<(), TokenError> {
    if token.is_empty() {
        return Err(TokenError::Malformed("wire token is empty"));
    }
    if !token.iter().all(u8::is_ascii_graphic) {
        return Err(TokenError::Malformed(
            "wire token is not printable ASCII",
        ));
    }
    Ok(())
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredential")
            .field("server_url", &self.server_url)
            .field("vault_id", &hex(&self.vault_id))
            .field("wire_token", &"..")
            .field("k2", &self.k2)
            .finish()
    }
}

/// Bounds-checked reading of a byte string; every read that would run past
/// the end is an error, never a panic.
struct Reader<'a> {
    rest: &'a [u8],
    short: &'static str,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], short: &'static str) -> Self {
        Reader { rest: data, short }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TokenError> {
        if self.rest.len() < n {
            return Err(TokenError::Malformed(self.short));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TokenError> {
        Ok(self.take(N)?.try_into().expect("take(N) yields N bytes"))
    }

    fn u8(&mut self) -> Result<u8, TokenError> {
        Ok(self.take(1)?[0])
    }

    fn finish(&self) -> Result<(), TokenError> {
        self.finish_with(self.short)
    }

    fn finish_with(&self, msg: &'static str) -> Result<(), TokenError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(TokenError::Malformed(msg))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::tests::assert_no_key_in;
    use crate::crypto::vectors::{self, client_credential as cv, owner_token as ov, wire_token as wv};
    use crate::crypto::unhex;

    fn arr<const N: usize>(h: &str) -> [u8; N] {
        unhex(h).expect("hex").try_into().expect("length")
    }

    fn k_pop() -> Key32 {
        Key32::from_bytes(arr(wv::K_POP))
    }

    fn vector_ring() -> Keyring {
        Keyring::parse(&format!("{} {}\n", wv::KEY_ID, b64(k_pop().expose()))).expect("parses")
    }

    fn agent_claims() -> TokenClaims {
        TokenClaims {
            vault_id: arr(vectors::VAULT_ID),
            kind: PrincipalKind::from_byte(wv::KIND).expect("kind"),
            principal_id: arr(wv::PRINCIPAL_ID),
            k1: Key32::from_bytes(arr(vectors::hkdf::K1)),
            issued_at: wv::ISSUED_AT,
            expires_at: wv::EXPIRES_AT,
            generation: wv::GENERATION,
        }
    }

    fn owner_claims() -> TokenClaims {
        TokenClaims {
            kind: PrincipalKind::from_byte(ov::KIND).expect("kind"),
            principal_id: [0u8; 16],
            issued_at: ov::ISSUED_AT,
            expires_at: ov::EXPIRES_AT,
            generation: ov::GENERATION,
            ..agent_claims()
        }
    }

    #[test]
    fn agent_token_vector() {
        let claims = agent_claims();
        assert_eq!(claims.kind, PrincipalKind::Agent);
        assert_eq!(hex(&encode_payload(&claims)), wv::PAYLOAD);
        let token = seal_token_with(wv::KEY_ID, &k_pop(), arr(wv::NONCE), &claims);
        assert_eq!(token, wv::TOKEN);
        assert_eq!(open_token(&vector_ring(), wv::TOKEN).expect("opens"), claims);
    }

    #[test]
    fn owner_token_vector() {
        let claims = owner_claims();
        assert_eq!(claims.kind, PrincipalKind::Owner);
        assert_eq!(hex(&encode_payload(&claims)), ov::PAYLOAD);
        let token = seal_token_with(wv::KEY_ID, &k_pop(), arr(wv::NONCE), &claims);
        assert_eq!(token, ov::TOKEN);
        let opened = open_token(&vector_ring(), ov::TOKEN).expect("opens");
        assert_eq!(opened, claims);
        assert!(!opened.is_expired(u64::MAX), "expires_at 0 never expires");
    }

    #[test]
    fn expiry_helper() {
        let c = agent_claims();
        assert!(!c.is_expired(wv::EXPIRES_AT - 1));
        assert!(c.is_expired(wv::EXPIRES_AT));
    }

    #[test]
    fn seal_token_uses_highest_key_and_all_keys_open() {
        let ring = Keyring::parse(&format!(
            "# rotated\n1 {}\n\n3 {}\n2 {}\n",
            b64(Key32::generate().expose()),
            b64(Key32::generate().expose()),
            b64(Key32::generate().expose())
        ))
        .expect("parses");
        assert_eq!(ring.current_id(), 3);
        assert_eq!(ring.ids().collect::<Vec<_>>(), vec![1, 2, 3]);
        let token = seal_token(&ring, &agent_claims());
        let raw = unb64(&token[WIRE_TOKEN_PREFIX.len()..]).expect("b64");
        assert_eq!(&raw[..2], &[0, 3]);
        assert_eq!(open_token(&ring, &token).expect("opens"), agent_claims());
        // A token under an older key still opens.
        let old = seal_token_with(1, ring.get(1).expect("id 1"), super::super::random_bytes(), &agent_claims());
        assert!(open_token(&ring, &old).is_ok());
        // Two seals differ (fresh nonce).
        assert_ne!(token, seal_token(&ring, &agent_claims()));
    }

    #[test]
    fn every_byte_flip_fails_to_open() {
        // Key ids 0 and 1 both present, so some header flips reach a real key.
        let ring = Keyring::parse(&format!(
            "0 {}\n1 {}\n",
            b64(Key32::generate().expose()),
            b64(k_pop().expose())
        ))
        .expect("parses");
        let raw = unb64(&wv::TOKEN[WIRE_TOKEN_PREFIX.len()..]).expect("b64");
        assert!(open_token(&ring, wv::TOKEN).is_ok());
        for i in 0..raw.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = raw.clone();
                bad[i] ^= mask;
                let token = format!("{WIRE_TOKEN_PREFIX}{}", b64(&bad));
                let err = open_token(&ring, &token).expect_err("altered token must not open");
                match i {
                    0 => assert!(matches!(err, TokenError::Malformed(_))),
                    1 => assert!(matches!(err, TokenError::UnknownKey(_) | TokenError::Invalid)),
                    _ => assert_eq!(err, TokenError::Invalid),
                }
            }
        }
    }

    #[test]
    fn every_character_change_and_truncation_fails() {
        let ring = vector_ring();
        let t = wv::TOKEN;
        for i in 0..t.len() {
            let mut chars: Vec<char> = t.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let s: String = chars.into_iter().collect();
            assert!(open_token(&ring, &s).is_err(), "changed char {i}");
            assert!(open_token(&ring, &t[..i]).is_err(), "truncated to {i}");
        }
        assert!(open_token(&ring, &format!("{t}A")).is_err());
        assert!(open_token(&ring, &format!("{t}AAAA")).is_err());
        assert!(open_token(&ring, &format!(" {t}")).is_err());
        assert!(open_token(&ring, "").is_err());
        assert!(open_token(&ring, &"A".repeat(100_000)).is_err());
    }

    #[test]
    fn unknown_key_and_wrong_key() {
        let other = Keyring::generate();
        let claims = agent_claims();
        // Same id (1), different key: authentication fails.
        assert_eq!(open_token(&other, wv::TOKEN), Err(TokenError::Invalid));
        let t2 = seal_token_with(7, &k_pop(), [0u8; 12], &claims);
        assert_eq!(open_token(&vector_ring(), &t2), Err(TokenError::UnknownKey(7)));
        // A credential is not a wire token.
        assert!(matches!(
            open_token(&vector_ring(), cv::CREDENTIAL),
            Err(TokenError::Malformed(_))
        ));
    }

    #[test]
    fn bad_principal_kind_in_authentic_token_is_malformed() {
        let mut p = encode_payload(&agent_claims());
        p[16] = 9;
        let mut raw = vec![0u8, 1];
        aead_seal_into(&mut raw, &k_pop(), [0u8; 12], &[0, 1], &p);
        let token = format!("{WIRE_TOKEN_PREFIX}{}", b64(&raw));
        assert!(matches!(open_token(&vector_ring(), &token), Err(TokenError::Malformed(_))));
    }

    #[test]
    fn client_credential_vector() {
        let cred = ClientCredential {
            server_url: cv::SERVER_URL.into(),
            wire_token: cv::WIRE_TOKEN.into(),
            vault_id: arr(vectors::VAULT_ID),
            k2: Key32::from_bytes(arr(cv::K2)),
        };
        assert_eq!(cred.encode().expect("encodes"), cv::CREDENTIAL);
        let decoded = ClientCredential::decode(cv::CREDENTIAL).expect("decodes");
        assert_eq!(decoded, cred);
        assert_eq!(decoded.server_url, cv::SERVER_URL);
        assert_eq!(decoded.wire_token, cv::WIRE_TOKEN);
        assert_eq!(hex(decoded.k2.expose()), cv::K2);
        assert_eq!(hex(&decoded.vault_id), vectors::VAULT_ID);
        let with_newline = format!("{}\n", cv::CREDENTIAL);
        assert_eq!(ClientCredential::decode(&with_newline).expect("decodes"), cred);
    }

    fn raw_credential(url: &[u8], token: &[u8], tail: &[u8]) -> String {
        let mut raw = vec![TYPE_CREDENTIAL];
        raw.extend_from_slice(&(url.len() as u16).to_be_bytes());
        raw.extend_from_slice(url);
        raw.extend_from_slice(&(token.len() as u16).to_be_bytes());
        raw.extend_from_slice(token);
        raw.extend_from_slice(tail);
        format!("{CREDENTIAL_PREFIX}{}", b64(&raw))
    }

    #[test]
    fn client_credential_decode_is_strict() {
        let tail = [7u8; 48];
        assert!(ClientCredential::decode(&raw_credential(b"https://x", b"cvt0.a", &tail)).is_ok());
        let mut long_tail = tail.to_vec();
        long_tail.push(0);
        let bad = [
            raw_credential(b"https://x", b"cvt0.a", &long_tail),
            raw_credential(b"https://x", b"cvt0.a", &tail[..47]),
            raw_credential(b"https://\xff", b"cvt0.a", &tail),
            raw_credential(b"https://x", "cvt0.\u{e9}".as_bytes(), &tail),
            raw_credential(b"https://x", b"cvt0.a\r\nX: y", &tail),
            raw_credential(b"", b"cvt0.a", &tail),
            raw_credential(b"https://x", b"", &tail),
            format!("cvc2.{}", &cv::CREDENTIAL[5..]),
            cv::CREDENTIAL[5..].to_string(),
            format!("{}=", cv::CREDENTIAL),
            String::from("cvc1."),
            format!("{CREDENTIAL_PREFIX}{}", b64(&[2u8, 0, 0])),
            format!("{CREDENTIAL_PREFIX}{}", b64(&[1u8, 0xff, 0xff, b'a'])),
        ];
        for s in &bad {
            assert!(
                matches!(ClientCredential::decode(s), Err(TokenError::Malformed(_))),
                "{s}"
            );
        }
        // Every truncation of the real credential fails without panicking.
        for cut in 0..cv::CREDENTIAL.len() {
            assert!(ClientCredential::decode(&cv::CREDENTIAL[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn client_credential_encode_refuses_unencodable_fields() {
        let mut cred = ClientCredential::decode(cv::CREDENTIAL).expect("decodes");
        cred.server_url = "x".repeat(65_536);
        assert!(cred.encode().is_err());
        cred.server_url = "x".repeat(65_535);
        assert!(cred.encode().is_ok());
        cred.wire_token = "tok en".into();
        assert!(cred.encode().is_err());
    }

    #[test]
    fn debug_output_hides_secrets() {
        let claims = agent_claims();
        let cred = ClientCredential::decode(cv::CREDENTIAL).expect("decodes");
        let ring = vector_ring();
        let claims_dbg = format!("{claims:?}");
        let cred_dbg = format!("{cred:#?}");
        let ring_dbg = format!("{ring:?}");
        assert_no_key_in(&claims_dbg, claims.k1.expose());
        assert_no_key_in(&cred_dbg, cred.k2.expose());
        assert_no_key_in(&ring_dbg, k_pop().expose());
        assert!(!cred_dbg.contains(&cv::WIRE_TOKEN[5..20]), "{cred_dbg}");
        assert!(cred_dbg.contains(cv::SERVER_URL));
        assert!(claims_dbg.contains("Key32(..)"));
        assert_eq!(ring_dbg, "Keyring { key_ids: [1] }");
    }

    #[test]
    fn keyring_round_trips_through_text() {
        let ring = Keyring::generate();
        assert_eq!(ring.current_id(), 1);
        let parsed = Keyring::parse(&ring.to_text()).expect("own output parses");
        assert_eq!(parsed.get(1), ring.get(1));
        assert_eq!(parsed.ids().count(), 1);
    }

    #[test]
    fn keyring_errors_name_the_line_and_never_the_key() {
        let key = b64(Key32::generate().expose());
        let short = b64(&[1u8; 31]);
        let cases: Vec<(String, usize, &str)> = vec![
            (format!("# c\n\n{key}\n"), 3, "2 fields"),
            (format!("1 {key}\n{key} 2\n"), 2, "0 to 255"),
            (format!("1 {key} extra\n"), 1, "found 3 fields"),
            (format!("1 {key}\n300 {key}\n"), 2, "0 to 255"),
            (format!("1 {key}+\n"), 1, "base64url"),
            (format!("\n\n\n\n1 {short}\n"), 5, "decodes to 31"),
            (format!("1 {key}\r\n# x\r\n1 {key}\r\n"), 3, "already defined on line 1"),
        ];
        for (text, line, what) in cases {
            let err = Keyring::parse(&text).expect_err("bad keyring");
            let msg = err.to_string();
            assert!(matches!(err, KeyringError::Line { line: l, .. } if l == line), "{msg}");
            assert!(msg.starts_with(&format!("line {line}: ")), "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(!msg.contains(&key[..10]), "{msg}");
        }
        for empty in ["", "\n", "# only a comment\n   \n"] {
            let err = Keyring::parse(empty).expect_err("empty");
            assert!(matches!(err, KeyringError::Empty { .. }));
            assert!(err.to_string().contains("no keys"));
        }
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let p = std::env::temp_dir().join(format!(
                "clavitor-keyring-test-{}",
                hex(&super::super::random_bytes::<8>())
            ));
            std::fs::create_dir(&p).expect("create temp dir");
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn load_or_create_makes_a_private_file_and_reloads_it() {
        let dir = TempDir::new();
        let path = dir.0.join("token.key");
        assert!(matches!(Keyring::load(&path), Err(KeyringError::Io { action: "open", .. })));
        let created = Keyring::load_or_create(&path).expect("creates");
        let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Keyring::load_or_create(&path).expect("loads");
        assert_eq!(again.get(1), created.get(1));
        assert_eq!(Keyring::load(&path).expect("loads").get(1), created.get(1));
    }

    #[test]
    fn load_refuses_group_or_world_readable_file() {
        let dir = TempDir::new();
        let path = dir.0.join("token.key");
        Keyring::load_or_create(&path).expect("creates");
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let err = Keyring::load(&path).expect_err("too open");
            let msg = err.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains("chmod 600"), "{msg}");
            assert!(Keyring::load_or_create(&path).is_err());
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(Keyring::load(&path).is_ok());
    }

    #[test]
    fn load_reports_file_and_line() {
        let dir = TempDir::new();
        let path = dir.0.join("token.key");
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .expect("create");
        f.write_all(b"# keys\n1 not-a-key!\n").expect("write");
        drop(f);
        let msg = Keyring::load(&path).expect_err("bad line").to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }
}
