//! The sealed-value container (SPEC section 3):
//! `cv1.<tier>.<B64(nonce12 || ciphertext || tag16)>`, AES-256-GCM.
//!
//! The AAD binds a value to its vault, entry, field and tier, so a value
//! moved to another place fails to open.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{aead_open, aead_seal_into, b64, unb64, CryptoError, Key32, NONCE_LEN, TAG_LEN};
use crate::ids::{EntryId, VaultId};

/// Prefix shared by every sealed value.
const PREFIX: &str = "cv1.";
/// The AAD prefix for every sealed value and wrapped master.
const AAD_PREFIX: &str = "clavitor v1|";

/// An encryption tier (SPEC section 3): who may read a value. On the wire
/// and in documents it is the label `"l1"`, `"l2"` or `"l3"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Sealed by the server with K1; owner and permitted agents.
    L1,
    /// Sealed by clients with K2; agents decrypt locally.
    L2,
    /// Sealed by clients with K3; owner clients only.
    L3,
}

impl Tier {
    /// The wire label: `"l1"`, `"l2"` or `"l3"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::L1 => "l1",
            Tier::L2 => "l2",
            Tier::L3 => "l3",
        }
    }

    /// Parses a wire label (exact, lower case).
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "l1" => Some(Tier::L1),
            "l2" => Some(Tier::L2),
            "l3" => Some(Tier::L3),
            _ => None,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sealed value as text: `cv1.<tier>.<base64url>` (or, for a tombstone's
/// document, empty). A type of its own so that a sealed value cannot be
/// passed where plaintext is expected, nor the other way round; its `Debug`
/// shows only its length. [`open`] is the way back to plaintext.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sealed(String);

impl Sealed {
    /// Text read back from the store or a peer. Not checked here: [`open`]
    /// refuses anything that is not a well-formed value sealed as asked.
    pub fn from_stored(text: String) -> Sealed {
        Sealed(text)
    }

    /// The text, for storing or sending.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// True for a tombstone's wiped document.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} chars)", self.0.len())
    }
}

impl PartialEq<&str> for Sealed {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for Sealed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The AAD of a field value or (with `name = "doc"`) of the L1 document:
/// `"clavitor v1|" + vault_id + "|" + entry_id + "|" + name + "|" + tier`.
/// The ids are typed so that a vault id and an entry id cannot be swapped:
///
/// ```compile_fail
/// use clavitor::crypto::seal::{field_aad, Tier};
/// use clavitor::ids::{EntryId, VaultId};
/// let (vault, entry) = (VaultId::generate(), EntryId::generate());
/// field_aad(&entry, &vault, "password", Tier::L2); // swapped: does not compile
/// ```
pub fn field_aad(vault_id: &VaultId, entry_id: &EntryId, name: &str, tier: Tier) -> String {
    format!("{AAD_PREFIX}{vault_id}|{entry_id}|{name}|{}", tier.as_str())
}

/// The AAD of an entry's L1 document (`field_aad` with name `doc`).
pub fn doc_aad(vault_id: &VaultId, entry_id: &EntryId) -> String {
    field_aad(vault_id, entry_id, "doc", Tier::L1)
}

/// The AAD of a wrapped master secret:
/// `"clavitor v1|" + vault_id + "|unlock|" + method_id`.
pub fn unlock_aad(vault_id: &str, method_id: &str) -> String {
    format!("{AAD_PREFIX}{vault_id}|unlock|{method_id}")
}

/// Seals `plaintext` under `key` with a fresh random nonce.
pub fn seal(key: &Key32, tier: Tier, aad: &str, plaintext: &[u8]) -> Sealed {
    seal_with_nonce(key, tier, aad, super::random_bytes(), plaintext)
}

/// Seals with a caller-chosen nonce. Only for known-answer tests and
/// reproducible fixtures: reusing a nonce under one key breaks AES-GCM.
pub fn seal_with_nonce(
    key: &Key32,
    tier: Tier,
    aad: &str,
    nonce: [u8; NONCE_LEN],
    plaintext: &[u8],
) -> Sealed {
    let mut raw = Vec::new();
    aead_seal_into(&mut raw, key, nonce, aad.as_bytes(), plaintext);
    Sealed(format!("{PREFIX}{}.{}", tier.as_str(), b64(&raw)))
}

/// Opens a sealed value. Fails if its tier label is not `tier`, if it is not
/// well formed, or if `key` or `aad` differ from the ones it was sealed with.
pub fn open(
    key: &Key32,
    tier: Tier,
    aad: &str,
    sealed: &str,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (found, raw) = parse(sealed)?;
    if found != tier {
        return Err(CryptoError::TierMismatch {
            expected: tier,
            found,
        });
    }
    aead_open(key, aad.as_bytes(), &raw)
}

/// Cheap structural check used by the server to validate client-sealed values
/// without keys: `"cv1.<tier>."` prefix, valid base64url, decoded length
/// >= 12+16.
pub fn sealed_tier(sealed: &str) -> Result<Tier, CryptoError> {
    parse(sealed).map(|(tier, _)| tier)
}

/// Whether `sealed` is a 32-byte key sealed for `tier` (nonce, 32 bytes,
/// tag): the shape of a wrapped master secret, checked without a key.
pub fn is_sealed_key(sealed: &str, tier: Tier) -> bool {
    parse(sealed).is_ok_and(|(t, raw)| t == tier && raw.len() == NONCE_LEN + 32 + TAG_LEN)
}

/// Splits `cv1.<tier>.<b64>` into its tier and decoded bytes.
fn parse(sealed: &str) -> Result<(Tier, Vec<u8>), CryptoError> {
    let rest = sealed
        .strip_prefix(PREFIX)
        .ok_or(CryptoError::Malformed("a sealed value starts with `cv1.`"))?;
    let (label, body) = rest.split_once('.').ok_or(CryptoError::Malformed(
        "a sealed value has the form `cv1.<tier>.<base64url>`",
    ))?;
    let tier = Tier::parse(label).ok_or(CryptoError::Malformed(
        "a sealed value's tier is `l1`, `l2` or `l3`",
    ))?;
    let raw = unb64(body).map_err(|_| {
        CryptoError::Malformed("a sealed value's body is base64url without padding")
    })?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed(
            "a sealed value's body is shorter than a nonce and a tag",
        ));
    }
    Ok((tier, raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::{MasterSecret, VaultKeys};
    use crate::crypto::GenerateId;
    use crate::crypto::{unhex, vectors};

    fn vault_keys() -> VaultKeys {
        let m: [u8; 32] = unhex(vectors::MASTER_SECRET)
            .expect("hex")
            .try_into()
            .expect("32 bytes");
        MasterSecret::from_bytes(m).derive(vectors::VAULT_ID)
    }

    fn key_named<'a>(keys: &'a VaultKeys, name: &str) -> &'a Key32 {
        match name {
            "K1" => &keys.l1,
            "K2" => &keys.l2,
            "K3" => &keys.l3,
            other => panic!("vector names unknown key {other}"),
        }
    }

    fn vault(hex_id: &str) -> VaultId {
        VaultId::parse(hex_id).expect("vector id")
    }

    fn entry(hex_id: &str) -> EntryId {
        EntryId::parse(hex_id).expect("vector id")
    }

    fn nonce(hex_str: &str) -> [u8; 12] {
        unhex(hex_str).expect("hex").try_into().expect("12 bytes")
    }

    #[test]
    fn sealed_vectors_reproduce_and_open() {
        let keys = vault_keys();
        for v in &vectors::SEALED {
            let tier = Tier::parse(v.tier).expect("vector tier");
            let key = key_named(&keys, v.key);
            let aad = field_aad(
                &vault(vectors::VAULT_ID),
                &entry(vectors::ENTRY_ID),
                v.name,
                tier,
            );
            assert_eq!(aad, v.aad);
            let sealed = seal_with_nonce(key, tier, &aad, nonce(v.nonce), v.plaintext.as_bytes());
            assert_eq!(sealed, v.sealed, "{} {}", v.key, v.name);
            let opened = open(key, tier, &aad, v.sealed).expect("vector opens");
            assert_eq!(opened.as_slice(), v.plaintext.as_bytes());
            assert_eq!(sealed_tier(v.sealed).expect("well formed"), tier);
        }
    }

    #[test]
    fn random_nonce_round_trip() {
        let key = Key32::generate();
        let aad = field_aad(
            &VaultId::generate(),
            &EntryId::generate(),
            "password",
            Tier::L2,
        );
        let a = seal(&key, Tier::L2, &aad, b"secret");
        let b = seal(&key, Tier::L2, &aad, b"secret");
        assert_ne!(a, b, "each seal uses a fresh nonce");
        assert_eq!(
            open(&key, Tier::L2, &aad, a.as_str())
                .expect("opens")
                .as_slice(),
            b"secret"
        );
        let empty = seal(&key, Tier::L2, &aad, b"");
        assert!(open(&key, Tier::L2, &aad, empty.as_str())
            .expect("opens")
            .is_empty());
    }

    #[test]
    fn moved_or_altered_values_fail() {
        let keys = vault_keys();
        let v = &vectors::SEALED[0];
        let aad = v.aad;
        // Wrong entry, field, vault: the AAD differs.
        for other in [
            field_aad(
                &vault(vectors::VAULT_ID),
                &entry(vectors::AGENT_ID),
                v.name,
                Tier::L2,
            ),
            field_aad(
                &vault(vectors::VAULT_ID),
                &entry(vectors::ENTRY_ID),
                "username",
                Tier::L2,
            ),
            // An entry id where the vault id belongs: only by parsing it as one.
            field_aad(
                &vault(vectors::ENTRY_ID),
                &entry(vectors::ENTRY_ID),
                v.name,
                Tier::L2,
            ),
        ] {
            assert!(matches!(
                open(&keys.l2, Tier::L2, &other, v.sealed),
                Err(CryptoError::Decrypt)
            ));
        }
        // Wrong key.
        assert!(matches!(
            open(&keys.l3, Tier::L2, aad, v.sealed),
            Err(CryptoError::Decrypt)
        ));
        // Asked for another tier.
        assert!(matches!(
            open(&keys.l2, Tier::L3, aad, v.sealed),
            Err(CryptoError::TierMismatch {
                expected: Tier::L3,
                found: Tier::L2
            })
        ));
        // Relabelled tier: the label passes, but the AAD names the old tier.
        let relabelled = v.sealed.replacen("cv1.l2.", "cv1.l3.", 1);
        assert!(matches!(
            open(&keys.l2, Tier::L3, &aad.replace("|l2", "|l3"), &relabelled),
            Err(CryptoError::Decrypt)
        ));
        // Every altered byte of the body.
        let raw = unb64(&v.sealed["cv1.l2.".len()..]).expect("b64");
        for i in 0..raw.len() {
            let mut bad = raw.clone();
            bad[i] ^= 0x01;
            let s = format!("cv1.l2.{}", b64(&bad));
            assert!(open(&keys.l2, Tier::L2, aad, &s).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn structural_errors() {
        let key = Key32::generate();
        let min = b64(&[0u8; 28]);
        assert_eq!(sealed_tier(&format!("cv1.l1.{min}")).expect("ok"), Tier::L1);
        for bad in [
            String::new(),
            "cv1".into(),
            "cv1.".into(),
            "cv1.l2".into(),
            "cv1.l2.".into(),
            "cv2.l2.".to_string() + &min,
            "cv1.L2.".to_string() + &min,
            "cv1.l4.".to_string() + &min,
            "cv1.l2.".to_string() + &b64(&[0u8; 27]),
            "cv1.l2.".to_string() + &min + "=",
            "cv1.l2.".to_string() + &min + ".",
            "cv1.l2.AAAA+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            " cv1.l2.".to_string() + &min,
        ] {
            assert!(
                matches!(sealed_tier(&bad), Err(CryptoError::Malformed(_))),
                "{bad:?}"
            );
            assert!(open(&key, Tier::L2, "", &bad).is_err(), "{bad:?}");
        }
        // Every truncation of a real value fails cleanly, even with the right
        // key and AAD.
        let keys = vault_keys();
        let v = &vectors::SEALED[1];
        for cut in 0..v.sealed.len() {
            assert!(
                open(&keys.l3, Tier::L3, v.aad, &v.sealed[..cut]).is_err(),
                "cut {cut}"
            );
        }
        assert!(open(&keys.l3, Tier::L3, v.aad, v.sealed).is_ok());
    }

    #[test]
    fn tier_labels() {
        for t in [Tier::L1, Tier::L2, Tier::L3] {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
            assert_eq!(t.to_string(), t.as_str());
        }
        assert_eq!(Tier::parse("L1"), None);
        assert_eq!(Tier::parse(""), None);
        assert_eq!(
            unlock_aad("abc", "passphrase"),
            "clavitor v1|abc|unlock|passphrase"
        );
    }

    #[test]
    fn error_messages_do_not_echo_input() {
        let key = Key32::generate();
        let sealed = seal(&key, Tier::L2, "a", b"hunter2");
        let err = open(&key, Tier::L2, "b", sealed.as_str()).expect_err("wrong aad");
        let msg = err.to_string();
        assert_eq!(
            msg,
            "authentication failed: wrong key, or the value was moved or altered"
        );
        let body = &sealed.as_str()["cv1.l2.".len()..];
        let err = sealed_tier(&format!("cv1.l9.{body}")).expect_err("bad tier");
        assert!(!err.to_string().contains(body));
    }
}
