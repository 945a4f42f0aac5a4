//! Every cryptographic operation clavitor performs (SPEC sections 2, 3 and 4).
//!
//! All primitives come from `ring` (HKDF-SHA256, HMAC, SHA-256, AES-256-GCM,
//! PBKDF2, the OS random generator); encodings come from `data_encoding`.
//! Nothing here hand-rolls a primitive.
//!
//! Invariant: nothing outside `crypto/` touches raw key bytes except through
//! [`Key32::expose`], and no type in this module prints key bytes in `Debug`
//! or error messages.
//!
//! Map:
//! * [`keys`]: the master secret, the per-vault key hierarchy, title index,
//!   owner verifier, K1 check.
//! * [`seal`]: the `cv1.<tier>.<b64>` sealed-value container.
//! * [`unlock`]: key-encryption keys for passphrase, recovery code and passkey,
//!   and wrapping of the master secret.
//! * [`keyring`]: the POP's token keyring file (`token_key_file`).
//! * [`rest`]: unlock material sealed at rest with a keyring key, and in transit between POPs.
//! * [`token`]: `cvt0.` wire tokens and `cvc1.` client credentials.
//! * [`totp`]: RFC 6238 one-time codes for stored TOTP fields.

pub mod keyring;
pub mod keys;
pub mod rest;
pub mod seal;
pub mod token;
pub mod totp;
pub mod unlock;

#[cfg(test)]
pub(crate) mod vectors;

pub use keys::{Key32, MasterSecret, VaultKeys};
pub use seal::Tier;
pub use token::{ClientCredential, Keyring, KeyringError, PrincipalKind, TokenClaims, TokenError};
pub use totp::{Totp, TotpAlgorithm};

use std::sync::OnceLock;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER, HEXLOWER_PERMISSIVE};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// Length of an AES-256-GCM nonce in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of an AES-256-GCM authentication tag in bytes.
pub const TAG_LEN: usize = 16;

/// Errors from key handling, sealing and opening.
///
/// Messages say what was wrong with the input; they never contain key bytes,
/// plaintext or ciphertext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The input does not have the expected structure; the text says what was
    /// expected.
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    /// AEAD authentication failed.
    #[error("authentication failed: wrong key, or the value was moved or altered")]
    Decrypt,
    /// A sealed value carries a different tier label than the caller asked to
    /// open.
    #[error("sealed value is tier {found}, expected tier {expected}")]
    TierMismatch {
        /// The tier the caller asked for.
        expected: Tier,
        /// The tier named in the sealed value's prefix.
        found: Tier,
    },
    /// A recovery code could not be read; the text says why and how to fix it.
    #[error("recovery code: {0}")]
    RecoveryCode(String),
}

/// Returns `N` bytes from the operating system's secure random generator.
///
/// # Panics
/// If the OS generator fails. There is no safe way to continue without
/// randomness (nonces and keys would repeat), so this is treated as fatal.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// A fresh random id: `VaultId::generate()` with this trait in scope.
pub trait GenerateId: crate::ids::RawId {
    fn generate() -> Self {
        <Self as crate::ids::RawId>::from_bytes(random_bytes::<16>())
    }
}

impl<T: crate::ids::RawId> GenerateId for T {}

/// Fills `buf` from the OS secure random generator; see [`random_bytes`].
pub(crate) fn fill_random(buf: &mut [u8]) {
    SystemRandom::new()
        .fill(buf)
        .expect("the OS random generator failed; refusing to continue without randomness");
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    let tag = ring::hmac::sign(&key, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Compares two byte strings without leaking, through timing, where they
/// differ.
///
/// Double HMAC: both inputs are MACed under a per-process random key and the
/// tags compared with `ring::hmac::verify`. Any timing difference in that
/// comparison concerns tags an attacker cannot compute, not the inputs.
// ring 0.17.14 deprecates its public `constant_time::verify_slices_are_equal`
// ("no promises regarding side channels"), so it is not used here.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    static KEY: OnceLock<ring::hmac::Key> = OnceLock::new();
    let key =
        KEY.get_or_init(|| ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &random_bytes::<32>()));
    let tag = ring::hmac::sign(key, a);
    ring::hmac::verify(key, b, tag.as_ref()).is_ok()
}

/// `B64(data)`: base64url without padding (SPEC section 2).
pub fn b64(data: &[u8]) -> String {
    BASE64URL_NOPAD.encode(data)
}

/// Decodes base64url without padding. Rejects padding, the standard alphabet
/// and non-canonical trailing bits.
pub fn unb64(s: &str) -> Result<Vec<u8>, CryptoError> {
    decode(&BASE64URL_NOPAD, s, "expected base64url without padding")
}

/// Lowercase hexadecimal.
pub fn hex(data: &[u8]) -> String {
    HEXLOWER.encode(data)
}

/// Decodes hexadecimal (either case).
pub fn unhex(s: &str) -> Result<Vec<u8>, CryptoError> {
    decode(
        &HEXLOWER_PERMISSIVE,
        s,
        "expected an even number of hexadecimal digits",
    )
}

/// Decodes `s` with `encoding`; the error says what was `expected`, never the input.
fn decode(
    encoding: &data_encoding::Encoding,
    s: &str,
    expected: &'static str,
) -> Result<Vec<u8>, CryptoError> {
    encoding
        .decode(s.as_bytes())
        .map_err(|_| CryptoError::Malformed(expected))
}

fn aead_key(key: &Key32) -> LessSafeKey {
    LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key.expose())
            .expect("a 32-byte key is always a valid AES-256 key"),
    )
}

/// Appends `nonce || AES-256-GCM(key, plaintext, aad) || tag` to `out`.
///
/// The plaintext is copied straight into `out`'s spare capacity and encrypted
/// in place, so no second plaintext copy is left behind in freed memory.
pub(crate) fn aead_seal_into(
    out: &mut Vec<u8>,
    key: &Key32,
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &[u8],
) {
    out.reserve_exact(NONCE_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = aead_key(key)
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[start..],
        )
        .expect("AES-GCM sealing only fails for inputs over 64 GiB");
    out.extend_from_slice(tag.as_ref());
}

/// Opens `nonce || ciphertext || tag` and returns the plaintext.
pub(crate) fn aead_open(
    key: &Key32,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed(
            "sealed data is shorter than a nonce and a tag",
        ));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
    // The buffer holds plaintext after a successful open, so it is wiped on drop.
    let mut buf = Zeroizing::new(body.to_vec());
    let len = aead_key(key)
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| CryptoError::Decrypt)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_hmac_known_answers() {
        // FIPS 180-2 "abc" and RFC 4231 test case 2.
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn ct_eq_compares_contents_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn b64_is_url_safe_unpadded_and_strict() {
        assert_eq!(b64(&[0xfb, 0xff]), "-_8");
        assert_eq!(unb64("-_8").expect("valid"), vec![0xfb, 0xff]);
        assert!(unb64("+/8").is_err(), "standard alphabet refused");
        assert!(unb64("-_8=").is_err(), "padding refused");
        assert!(unb64("-_9").is_err(), "non-canonical trailing bits refused");
        assert!(unb64("a").is_err(), "impossible length refused");
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0xab, 0x01]), "ab01");
        assert_eq!(unhex("AB01").expect("valid"), vec![0xab, 0x01]);
        assert!(unhex("abc").is_err());
        assert!(unhex("zz").is_err());
    }

    #[test]
    fn random_bytes_differ() {
        assert_ne!(random_bytes::<32>(), random_bytes::<32>());
    }

    #[test]
    fn replication_hmac_vector() {
        use vectors::replication as r;
        let key = unhex(r::KEY).expect("hex");
        let body_hash = hex(&sha256(r::BODY.as_bytes()));
        let message = format!(
            "POST\n/api/v1/replication/apply\n{}\n{}\n{}",
            r::TS,
            r::NONCE_B64,
            body_hash
        );
        assert_eq!(message, r::MESSAGE);
        let sig = b64(&hmac_sha256(&key, message.as_bytes()));
        assert_eq!(sig, r::SIG_B64);
        let header = format!(
            "Clavitor-HMAC pop=calgary-01,ts={},nonce={},sig={}",
            r::TS,
            r::NONCE_B64,
            sig
        );
        assert_eq!(header, r::HEADER);
        assert_eq!(unb64(r::NONCE_B64).expect("b64").len(), 16);
        // The receiver's check: recompute and compare in constant time.
        let expected = unb64(r::SIG_B64).expect("b64");
        assert!(ct_eq(&hmac_sha256(&key, r::MESSAGE.as_bytes()), &expected));
        assert!(!ct_eq(&hmac_sha256(&key, b"POST\n/other"), &expected));
    }

    #[test]
    fn aead_open_rejects_short_input_without_panicking() {
        let key = Key32::generate();
        for len in 0..(NONCE_LEN + TAG_LEN) {
            assert!(matches!(
                aead_open(&key, b"", &vec![0u8; len]),
                Err(CryptoError::Malformed(_))
            ));
        }
        assert!(matches!(
            aead_open(&key, b"", &[0u8; NONCE_LEN + TAG_LEN]),
            Err(CryptoError::Decrypt)
        ));
    }
}
