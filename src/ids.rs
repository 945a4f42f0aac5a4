//! Identifiers on the wire and in the store (SPEC section 2).
//!
//! Each id is its own type so a vault id can never be passed where an entry
//! id is expected, and parsing is the only way to make one from input.

use std::fmt;

use thiserror::Error;

/// Why an id from input was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum IdError {
    #[error("expected 32 lowercase hex characters, got {0} characters")]
    HexLength(usize),
    #[error("expected 32 lowercase hex characters (0-9, a-f), got other characters")]
    HexAlphabet,
    #[error("expected a scope id of four digits (\"0001\"..\"9999\", or \"0000\" for owner-only), got a value of {0} characters")]
    Scope(usize),
}

/// An id made of 16 raw bytes. Fresh ones come from `crypto::GenerateId`
/// (randomness is `crypto`'s; this module depends on nothing else in the crate).
pub trait RawId: Sized {
    fn from_bytes(b: [u8; 16]) -> Self;
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// Parses 32 lowercase hex characters.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                parse_hex16(s).map(Self)
            }

            /// Wraps raw bytes (from a token payload).
            pub fn from_bytes(b: [u8; 16]) -> Self {
                Self(b)
            }

            /// The raw 16 bytes.
            pub fn bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Lowercase hex, as stored and sent.
            pub fn hex(&self) -> String {
                data_encoding::HEXLOWER.encode(&self.0)
            }
        }

        impl RawId for $name {
            fn from_bytes(b: [u8; 16]) -> Self {
                Self(b)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.hex())
            }
        }
    };
}

hex_id!(
    /// A vault: one owner, one master secret.
    VaultId
);
hex_id!(
    /// An entry inside a vault (credentials and the system entries).
    EntryId
);

fn parse_hex16(s: &str) -> Result<[u8; 16], IdError> {
    if s.len() != 32 {
        return Err(IdError::HexLength(s.chars().count()));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(IdError::HexAlphabet);
    }
    let mut out = [0u8; 16];
    for (i, pair) in s.as_bytes().chunks(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16).expect("checked hex digit");
        let lo = (pair[1] as char).to_digit(16).expect("checked hex digit");
        out[i] = (hi * 16 + lo) as u8;
    }
    Ok(out)
}

/// A scope id: four digits. `0000` marks an entry owner-only.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(u16);

impl ScopeId {
    /// The reserved owner-only scope: an entry carrying it is never visible to any agent.
    pub const OWNER_ONLY: ScopeId = ScopeId(0);

    /// Parses exactly four ASCII digits.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(ScopeId(s.parse().expect("four digits fit in u16")))
        } else {
            Err(IdError::Scope(s.chars().count()))
        }
    }

    /// True for `0000`.
    pub fn is_owner_only(self) -> bool {
        self == Self::OWNER_ONLY
    }

    /// The scope with number `n` (`0` to `9999`), e.g. the next free one.
    pub fn from_number(n: u16) -> Option<ScopeId> {
        (n <= 9999).then_some(ScopeId(n))
    }
}

/// On the wire and in sealed records a scope id is its four-digit string.
impl serde::Serialize for ScopeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Parsed once, where a record or body is read; a bad value fails the read.
impl<'de> serde::Deserialize<'de> for ScopeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ScopeId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ScopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl fmt::Debug for ScopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeId({:04})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_id_round_trips_and_rejects_bad_input() {
        let s = "f73de89fb22ecd1310f333e6f4575bb7";
        assert_eq!(VaultId::parse(s).unwrap().hex(), s);
        assert_eq!(
            VaultId::parse("F73DE89FB22ECD1310F333E6F4575BB7"),
            Err(IdError::HexAlphabet)
        );
        assert_eq!(VaultId::parse("abc"), Err(IdError::HexLength(3)));
        assert!(VaultId::parse("é3de89fb22ecd1310f333e6f4575bb7").is_err());
    }

    #[test]
    fn scope_ids_are_four_digits() {
        assert_eq!(ScopeId::parse("0042").unwrap().to_string(), "0042");
        assert!(ScopeId::parse("0000").unwrap().is_owner_only());
        for bad in ["42", "12a4", "00001", "", "-001", "+001"] {
            assert!(ScopeId::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(ScopeId::from_number(7).unwrap().to_string(), "0007");
        assert_eq!(ScopeId::from_number(10_000), None);
    }

    #[test]
    fn scope_ids_serialize_as_their_string() {
        let ids: Vec<ScopeId> = serde_json::from_str(r#"["0001","0042"]"#).unwrap();
        assert_eq!(serde_json::to_string(&ids).unwrap(), r#"["0001","0042"]"#);
        let e = serde_json::from_str::<Vec<ScopeId>>(r#"["12a4"]"#).unwrap_err();
        assert!(e.to_string().contains("four digits"), "{e}");
    }
}
