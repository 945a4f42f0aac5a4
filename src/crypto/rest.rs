//! Unlock material sealed at rest with a key from the POP keyring (SPEC
//! section 3, "Proving an unlock"): the wrapped copies of M and their
//! verifiers are stored as
//!
//! ```text
//! rest1.<key_id>.<B64(nonce12 || AES-256-GCM(K_rest, value) || tag16)>
//! K_rest = HKDF(keyring[key_id], salt "clavitor pop keyring", info "clavitor v1 unlock-at-rest")
//! AAD    = "clavitor v1|" + vault_id + "|unlock-at-rest|" + method_id + "|" + column
//! ```
//!
//! so a stolen database without the keyring offers nothing to guess a
//! passphrase against. The AAD binds a value to its vault, method and
//! column: swapping a verifier into another row fails to open.
//!
//! Replication moves the same values between POPs that may hold different
//! keyrings; in transit they are sealed the same way under a key derived
//! from the shared replication key (`rtx1.`), see [`seal_in_transit`].

use zeroize::Zeroizing;

use super::keyring::Keyring;
use super::keys::hkdf32;
use super::{aead_open, aead_seal_into, b64, unb64, Key32};

const REST_PREFIX: &str = "rest1.";
const TRANSIT_PREFIX: &str = "rtx1.";
const KEY_SALT: &str = "clavitor pop keyring";
const LABEL_REST: &str = "clavitor v1 unlock-at-rest";
const LABEL_TRANSIT: &str = "clavitor v1 unlock-in-transit";

/// Which stored value of an unlock method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The wrapped copy of M (`cv1.l3.…` text).
    Wrapped,
    /// SHA-256 of the unlock proof (32 bytes).
    Verifier,
}

impl Column {
    fn as_str(self) -> &'static str {
        match self {
            Column::Wrapped => "wrapped",
            Column::Verifier => "verifier",
        }
    }
}

/// Why a sealed value could not be opened. Never carries key bytes or values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestError {
    #[error("not a value sealed at rest (expected `rest1.<key id>.<base64url>`)")]
    Malformed,
    #[error("sealed with keyring key id {0}, which the token keyring no longer holds")]
    UnknownKey(u8),
    #[error("does not open with the keyring key it names (altered, or moved to another row)")]
    Decrypt,
}

fn aad(vault_id: &str, method_id: &str, column: Column) -> String {
    format!(
        "clavitor v1|{vault_id}|unlock-at-rest|{method_id}|{}",
        column.as_str()
    )
}

fn rest_key(pop_key: &Key32) -> Key32 {
    hkdf32(pop_key.expose(), KEY_SALT, LABEL_REST)
}

fn seal_with(prefix: &str, key_id: u8, key: &Key32, aad: &str, value: &[u8]) -> String {
    let mut raw = Vec::new();
    aead_seal_into(&mut raw, key, super::random_bytes(), aad.as_bytes(), value);
    format!("{prefix}{key_id}.{}", b64(&raw))
}

fn split(prefix: &str, stored: &str) -> Result<(u8, Vec<u8>), RestError> {
    let rest = stored.strip_prefix(prefix).ok_or(RestError::Malformed)?;
    let (id, body) = rest.split_once('.').ok_or(RestError::Malformed)?;
    let id: u8 = id.parse().map_err(|_| RestError::Malformed)?;
    let raw = unb64(body).map_err(|_| RestError::Malformed)?;
    Ok((id, raw))
}

/// Seals `value` with the keyring's current key.
pub fn seal_at_rest(
    ring: &Keyring,
    vault_id: &str,
    method_id: &str,
    column: Column,
    value: &[u8],
) -> String {
    let (id, key) = ring.current();
    seal_with(
        REST_PREFIX,
        id,
        &rest_key(key),
        &aad(vault_id, method_id, column),
        value,
    )
}

/// Opens a value sealed by [`seal_at_rest`] with any key the keyring holds.
pub fn open_at_rest(
    ring: &Keyring,
    vault_id: &str,
    method_id: &str,
    column: Column,
    stored: &str,
) -> Result<Zeroizing<Vec<u8>>, RestError> {
    let (id, raw) = split(REST_PREFIX, stored)?;
    let key = ring.get(id).ok_or(RestError::UnknownKey(id))?;
    aead_open(
        &rest_key(key),
        aad(vault_id, method_id, column).as_bytes(),
        &raw,
    )
    .map_err(|_| RestError::Decrypt)
}

/// Whether a stored value is sealed at rest (rows written before v1.1 hold
/// the plain `cv1.l3.` wrapped copy until the server seals them at start-up).
pub fn is_sealed_at_rest(stored: &str) -> bool {
    stored.starts_with(REST_PREFIX)
}

/// The keyring key id a value sealed at rest names, if it is one.
pub fn rest_key_id(stored: &str) -> Option<u8> {
    split(REST_PREFIX, stored).ok().map(|(id, _)| id)
}

/// The key that protects unlock material between POPs, from the shared
/// replication key (POPs may hold different token keyrings).
pub fn transit_key(replication_key: &[u8]) -> Key32 {
    hkdf32(replication_key, KEY_SALT, LABEL_TRANSIT)
}

/// Seals `value` for the replication wire (`rtx1.0.…`).
pub fn seal_in_transit(
    key: &Key32,
    vault_id: &str,
    method_id: &str,
    column: Column,
    value: &[u8],
) -> String {
    seal_with(
        TRANSIT_PREFIX,
        0,
        key,
        &aad(vault_id, method_id, column),
        value,
    )
}

/// Opens a value sealed by [`seal_in_transit`].
pub fn open_in_transit(
    key: &Key32,
    vault_id: &str,
    method_id: &str,
    column: Column,
    sent: &str,
) -> Result<Zeroizing<Vec<u8>>, RestError> {
    let (_, raw) = split(TRANSIT_PREFIX, sent)?;
    aead_open(key, aad(vault_id, method_id, column).as_bytes(), &raw)
        .map_err(|_| RestError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_row_and_column() {
        let ring = Keyring::generate();
        let s = seal_at_rest(&ring, "v1", "passphrase", Column::Verifier, &[7; 32]);
        assert!(is_sealed_at_rest(&s));
        assert_eq!(rest_key_id(&s), Some(1));
        assert_eq!(
            &open_at_rest(&ring, "v1", "passphrase", Column::Verifier, &s).unwrap()[..],
            &[7; 32]
        );
        for (v, m, c) in [
            ("v2", "passphrase", Column::Verifier),
            ("v1", "recovery", Column::Verifier),
            ("v1", "passphrase", Column::Wrapped),
        ] {
            assert_eq!(open_at_rest(&ring, v, m, c, &s), Err(RestError::Decrypt));
        }
        let other = Keyring::generate();
        assert_eq!(
            open_at_rest(&other, "v1", "passphrase", Column::Verifier, &s),
            Err(RestError::Decrypt)
        );
        let text = Keyring::parse(&format!("2 {}\n", b64(&[1; 32]))).unwrap();
        assert_eq!(
            open_at_rest(&text, "v1", "passphrase", Column::Verifier, &s),
            Err(RestError::UnknownKey(1))
        );
        assert!(!is_sealed_at_rest("cv1.l3.abc"));
        assert_eq!(
            open_at_rest(&ring, "v1", "passphrase", Column::Wrapped, "cv1.l3.abc"),
            Err(RestError::Malformed)
        );
    }

    #[test]
    fn transit_values_open_with_the_replication_key_only() {
        let k = transit_key(&[3; 32]);
        let s = seal_in_transit(&k, "v1", "recovery", Column::Wrapped, b"cv1.l3.x");
        assert!(s.starts_with("rtx1.0."));
        assert_eq!(
            &open_in_transit(&k, "v1", "recovery", Column::Wrapped, &s).unwrap()[..],
            b"cv1.l3.x"
        );
        assert_eq!(
            open_in_transit(
                &transit_key(&[4; 32]),
                "v1",
                "recovery",
                Column::Wrapped,
                &s
            ),
            Err(RestError::Decrypt)
        );
        assert!(open_at_rest(&Keyring::generate(), "v1", "recovery", Column::Wrapped, &s).is_err());
    }
}
