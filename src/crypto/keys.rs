//! The key hierarchy of a vault (SPEC section 3).
//!
//! `M` (the [`MasterSecret`]) is the root; HKDF-SHA256 with
//! `salt = ASCII(vault_id)` derives K_auth, K1, K2 and K3 from it, and K_idx
//! from K1. Keys are [`Key32`] values that wipe themselves on drop and never
//! print their bytes.

use std::fmt;

use ring::hkdf;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{hmac_sha256, sha256, CryptoError};

/// HKDF info label for K_auth.
pub const LABEL_OWNER_AUTH: &str = "clavitor v1 owner-auth";
/// HKDF info label for K1.
pub const LABEL_L1: &str = "clavitor v1 l1";
/// HKDF info label for K2.
pub const LABEL_L2: &str = "clavitor v1 l2";
/// HKDF info label for K3.
pub const LABEL_L3: &str = "clavitor v1 l3";
/// HKDF info label for K_idx (derived from K1, not from M).
pub const LABEL_TITLE_INDEX: &str = "clavitor v1 title-index";
/// Message MACed under K1 to make the per-vault K1 check value.
pub const L1_CHECK_MESSAGE: &str = "clavitor v1 l1-check";

/// 32 secret bytes: a key, or key material.
///
/// Wiped on drop. `Debug` prints `Key32(..)`, never the bytes; there is no
/// `Display`. Equality is constant-time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// Wraps 32 bytes. The caller should wipe its own copy if it keeps one.
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// Copies a key from a slice, which must be exactly 32 bytes long.
    pub fn from_slice(b: &[u8]) -> Result<Self, CryptoError> {
        let mut key = Self([0u8; 32]);
        if b.len() != key.0.len() {
            return Err(CryptoError::Malformed("a key must be exactly 32 bytes"));
        }
        key.0.copy_from_slice(b);
        Ok(key)
    }

    /// A fresh key from the OS random generator.
    pub fn generate() -> Self {
        let mut key = Self([0u8; 32]);
        super::fill_random(&mut key.0);
        key
    }

    /// The raw bytes, for handing to a primitive or an encoder.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for Key32 {
    fn eq(&self, other: &Self) -> bool {
        super::ct_eq(&self.0, &other.0)
    }
}

impl Eq for Key32 {}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32(..)")
    }
}

/// The vault master secret M: 32 random bytes made by the client that creates
/// the vault. The server never sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterSecret(Key32);

impl MasterSecret {
    /// A fresh random master secret.
    pub fn generate() -> Self {
        Self(Key32::generate())
    }

    /// Wraps 32 bytes (an unwrapped M, or a test vector).
    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(Key32::from_bytes(b))
    }

    /// The raw bytes, for wrapping under an unlock KEK.
    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// Derives the vault's working keys from M.
    pub fn derive(&self, vault_id: &str) -> VaultKeys {
        let m = self.0.expose();
        VaultKeys {
            auth: hkdf32(m, vault_id, LABEL_OWNER_AUTH),
            l1: hkdf32(m, vault_id, LABEL_L1),
            l2: hkdf32(m, vault_id, LABEL_L2),
            l3: hkdf32(m, vault_id, LABEL_L3),
        }
    }
}

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

/// The keys derived from M for one vault (SPEC section 3 table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultKeys {
    /// K_auth: proves ownership; the server keeps only [`owner_verifier`] of it.
    pub auth: Key32,
    /// K1: the server-side tier key, carried inside sealed tokens.
    pub l1: Key32,
    /// K2: the client-side tier key agents also hold.
    pub l2: Key32,
    /// K3: the owner-only tier key.
    pub l3: Key32,
}

/// HKDF-SHA256 with `salt = ASCII(vault_id)` and `info = ASCII(info)`, 32
/// bytes of output: the one derivation every key in SPEC section 3 uses.
pub fn hkdf32(ikm: &[u8], vault_id: &str, info: &str) -> Key32 {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, vault_id.as_bytes()).extract(ikm);
    let info = [info.as_bytes()];
    // `HKDF_SHA256` as a key type asks for one digest length: 32 bytes.
    let okm = prk
        .expand(&info, hkdf::HKDF_SHA256)
        .expect("32 bytes is within HKDF-SHA256's 8160-byte limit");
    let mut key = Key32([0u8; 32]);
    okm.fill(&mut key.0)
        .expect("the output buffer has the requested length");
    key
}

/// K_idx = HKDF(K1, info `clavitor v1 title-index`): the title-index key.
pub fn title_key(k1: &Key32, vault_id: &str) -> Key32 {
    hkdf32(k1.expose(), vault_id, LABEL_TITLE_INDEX)
}

/// The title as the index sees it: surrounding whitespace removed, lower case.
pub fn normalize_title(title: &str) -> String {
    title.trim().to_lowercase()
}

/// `title_idx = HMAC-SHA256(K_idx, lowercase(trim(title)))`: lets an agent
/// look an entry up by exact title without listing titles.
pub fn title_index(k_idx: &Key32, title: &str) -> [u8; 32] {
    hmac_sha256(k_idx.expose(), normalize_title(title).as_bytes())
}

/// `SHA-256(K_auth)`: what the server stores to check an owner's K_auth.
pub fn owner_verifier(k_auth: &Key32) -> [u8; 32] {
    sha256(k_auth.expose())
}

/// `HMAC-SHA256(K1, "clavitor v1 l1-check")`: lets the server reject a wrong
/// K1 in O(1) before it seals it into a token.
pub fn l1_check(k1: &Key32) -> [u8; 32] {
    hmac_sha256(k1.expose(), L1_CHECK_MESSAGE.as_bytes())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::vectors::{self, hkdf as hv};
    use crate::crypto::{hex, unhex};

    pub(crate) fn key(hex_str: &str) -> Key32 {
        Key32::from_slice(&unhex(hex_str).expect("vector is hex")).expect("vector is 32 bytes")
    }

    fn master() -> MasterSecret {
        MasterSecret::from_bytes(*key(vectors::MASTER_SECRET).expose())
    }

    #[test]
    fn derives_vector_keys_with_vault_id_salt() {
        let keys = master().derive(vectors::VAULT_ID);
        assert_eq!(hex(keys.auth.expose()), hv::K_AUTH);
        assert_eq!(hex(keys.l1.expose()), hv::K1);
        assert_eq!(hex(keys.l2.expose()), hv::K2);
        assert_eq!(hex(keys.l3.expose()), hv::K3);
        assert_eq!(
            hex(title_key(&keys.l1, vectors::VAULT_ID).expose()),
            hv::K_IDX
        );
    }

    #[test]
    fn hkdf_depends_on_vault_id() {
        let a = hkdf32(b"ikm", vectors::VAULT_ID, LABEL_L1);
        let b = hkdf32(b"ikm", vectors::ENTRY_ID, LABEL_L1);
        assert_ne!(a, b);
    }

    #[test]
    fn owner_verifier_and_l1_check_vectors() {
        assert_eq!(
            hex(&owner_verifier(&key(hv::K_AUTH))),
            vectors::OWNER_VERIFIER
        );
        assert_eq!(hex(&l1_check(&key(hv::K1))), vectors::L1_CHECK);
    }

    #[test]
    fn title_index_vector_and_normalization() {
        use vectors::title_index as t;
        assert_eq!(normalize_title(t::TITLE), t::NORMALIZED);
        let k_idx = key(hv::K_IDX);
        assert_eq!(hex(&title_index(&k_idx, t::TITLE)), t::TITLE_IDX);
        assert_eq!(hex(&title_index(&k_idx, t::NORMALIZED)), t::TITLE_IDX);
        assert_eq!(hex(&title_index(&k_idx, "GITHUB DEPLOY\n")), t::TITLE_IDX);
        assert_ne!(hex(&title_index(&k_idx, "github  deploy")), t::TITLE_IDX);
    }

    #[test]
    fn from_slice_requires_32_bytes() {
        assert!(Key32::from_slice(&[0u8; 31]).is_err());
        assert!(Key32::from_slice(&[0u8; 33]).is_err());
        assert!(Key32::from_slice(&[]).is_err());
        assert_eq!(
            Key32::from_slice(&[7u8; 32]).expect("32").expose(),
            &[7u8; 32]
        );
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Key32::generate(), Key32::generate());
        assert_ne!(MasterSecret::generate(), MasterSecret::generate());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let k = key(hv::K1);
        let m = master();
        let keys = m.derive(vectors::VAULT_ID);
        let outputs = [
            format!("{k:?}"),
            format!("{k:#?}"),
            format!("{m:?}"),
            format!("{keys:?}"),
            format!("{keys:#?}"),
        ];
        assert_eq!(outputs[0], "Key32(..)");
        assert_eq!(outputs[2], "MasterSecret(..)");
        for out in &outputs {
            for secret in [k.expose(), m.expose(), keys.l2.expose(), keys.auth.expose()] {
                assert_no_key_in(out, secret);
            }
        }
    }

    /// Fails if `text` contains `key` as hex, base64url, or a byte-array dump.
    pub(crate) fn assert_no_key_in(text: &str, key: &[u8]) {
        let lower = text.to_lowercase();
        assert!(!lower.contains(&hex(&key[..8])), "hex of key in {text}");
        assert!(
            !text.contains(&crate::crypto::b64(key)[..10]),
            "b64 of key in {text}"
        );
        let dump = format!("{:?}", &key[..4]);
        assert!(
            !text.contains(&dump[1..dump.len() - 1]),
            "byte dump of key in {text}"
        );
    }
}
