//! CVT envelopes (SPEC section 4): the POP keyring, `cvt0.` wire tokens and
//! `cvc1.` client credentials.
//!
//! A wire token is sealed under a key only the POP holds, so holding one does
//! not reveal the K1 inside it. A client credential is a bearer secret minted
//! by the owner's client: a wire token plus K2 and where to use them.
//! The keyring itself lives in [`super::keyring`] and is re-exported here.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use super::keyring::{Keyring, KeyringError};
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
    let kind = PrincipalKind::from_byte(r.u8()?).ok_or(TokenError::Malformed(
        "token names an unknown principal kind",
    ))?;
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
            .ok_or(TokenError::Malformed(
                "a client credential starts with `cvc1.`",
            ))?;
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
        return Err(TokenError::Malformed("wire token is not printable ASCII"));
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
    use crate::crypto::unhex;
    use crate::crypto::vectors::{
        self, client_credential as cv, owner_token as ov, wire_token as wv,
    };

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
        assert_eq!(
            open_token(&vector_ring(), wv::TOKEN).expect("opens"),
            claims
        );
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
        let old = seal_token_with(
            1,
            ring.get(1).expect("id 1"),
            super::super::random_bytes(),
            &agent_claims(),
        );
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
                    1 => assert!(matches!(
                        err,
                        TokenError::UnknownKey(_) | TokenError::Invalid
                    )),
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
        assert_eq!(
            open_token(&vector_ring(), &t2),
            Err(TokenError::UnknownKey(7))
        );
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
        assert!(matches!(
            open_token(&vector_ring(), &token),
            Err(TokenError::Malformed(_))
        ));
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
        assert_eq!(
            ClientCredential::decode(&with_newline).expect("decodes"),
            cred
        );
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
            assert!(
                ClientCredential::decode(&cv::CREDENTIAL[..cut]).is_err(),
                "cut {cut}"
            );
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
}
