//! FIELD_SPEC (SPEC section 6): the one table that says, for every entry
//! type, which fields it has, how each renders (`kind`) and how it is
//! encrypted (`tier`). Server validation, the CLI and importers all read it.
//! Invariant: no other code hard-codes a field's tier.

use serde::{Deserialize, Serialize};

use crate::crypto::seal::Tier;

/// How a field is rendered; independent of its tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Secret,
    Email,
    Phone,
    Url,
    Date,
    Totp,
    Multiline,
}

/// One known field of a type.
#[derive(Debug)]
pub struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub tier: Tier,
}

/// One entry type.
#[derive(Debug)]
pub struct TypeDef {
    pub name: &'static str,
    pub fields: &'static [FieldDef],
    /// System types (agents, scopes) are owner-only and never reach an agent.
    pub system: bool,
}

const fn f(name: &'static str, label: &'static str, kind: Kind, tier: Tier) -> FieldDef {
    FieldDef {
        name,
        label,
        kind,
        tier,
    }
}

use Kind::*;
use Tier::{L1, L2, L3};

/// The table. Title, URLs and notes are L1 on every type and live outside `fields`.
pub static TYPES: &[TypeDef] = &[
    TypeDef {
        name: "login",
        system: false,
        fields: &[
            f("username", "Username", Text, L1),
            f("email", "Email", Email, L1),
            f("password", "Password", Secret, L2),
            f("totp", "One-time code", Totp, L2),
        ],
    },
    TypeDef {
        name: "card",
        system: false,
        fields: &[
            f("cardholder", "Cardholder", Text, L1),
            f("brand", "Brand", Text, L1),
            f("expiry", "Expiry", Date, L1),
            f("number", "Number", Secret, L3),
            f("cvv", "Security code", Secret, L3),
            f("pin", "PIN", Secret, L3),
        ],
    },
    TypeDef {
        name: "identity",
        system: false,
        fields: &[
            f("first_name", "First name", Text, L1),
            f("middle_name", "Middle name", Text, L1),
            f("last_name", "Last name", Text, L1),
            f("email", "Email", Email, L1),
            f("phone", "Phone", Phone, L1),
            f("address1", "Address", Text, L1),
            f("address2", "Address (line 2)", Text, L1),
            f("city", "City", Text, L1),
            f("state", "State", Text, L1),
            f("zip", "Postal code", Text, L1),
            f("country", "Country", Text, L1),
            f("company", "Company", Text, L1),
            f("ssn", "Social security number", Secret, L3),
            f("passport", "Passport number", Secret, L3),
            f("license", "Licence number", Secret, L3),
        ],
    },
    TypeDef {
        name: "ssh_key",
        system: false,
        fields: &[
            f("public_key", "Public key", Multiline, L1),
            f("fingerprint", "Fingerprint", Text, L1),
            f("key_type", "Key type", Text, L1),
            f("passphrase", "Passphrase", Secret, L2),
            f("private_key", "Private key", Multiline, L3),
        ],
    },
    TypeDef {
        name: "software_license",
        system: false,
        fields: &[
            f("version", "Version", Text, L1),
            f("publisher", "Publisher", Text, L1),
            f("purchase_date", "Purchase date", Date, L1),
            f("email", "Email", Email, L1),
            f("license_key", "Licence key", Secret, L2),
        ],
    },
    TypeDef {
        name: "database",
        system: false,
        fields: &[
            f("db_type", "Database type", Text, L1),
            f("hostname", "Host", Text, L1),
            f("port", "Port", Text, L1),
            f("database", "Database", Text, L1),
            f("username", "Username", Text, L1),
            f("password", "Password", Secret, L2),
        ],
    },
    TypeDef {
        name: "wifi",
        system: false,
        fields: &[
            f("ssid", "SSID", Text, L1),
            f("security", "Security", Text, L1),
            f("password", "Password", Secret, L2),
        ],
    },
    TypeDef {
        name: "api_key",
        system: false,
        fields: &[
            f("service", "Service", Text, L1),
            f("username", "Username", Text, L1),
            f("key", "Key", Secret, L2),
            f("secret", "Secret", Secret, L2),
        ],
    },
    TypeDef {
        name: "crypto_wallet",
        system: false,
        fields: &[
            f("address", "Address", Text, L1),
            f("seed_phrase", "Seed phrase", Multiline, L3),
            f("private_key", "Private key", Secret, L3),
        ],
    },
    TypeDef {
        name: "note",
        system: false,
        fields: &[],
    },
    TypeDef {
        name: "agent",
        system: true,
        fields: &[],
    },
    TypeDef {
        name: "scope",
        system: true,
        fields: &[],
    },
];

/// Looks a type up by name.
pub fn entry_type(name: &str) -> Option<&'static TypeDef> {
    TYPES.iter().find(|t| t.name == name)
}

/// Names of the types a client may create through `/entries`.
pub fn user_type_names() -> impl Iterator<Item = &'static str> {
    TYPES.iter().filter(|t| !t.system).map(|t| t.name)
}

impl TypeDef {
    /// The known field with this name, if any.
    pub fn field(&self, name: &str) -> Option<&'static FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_tiers_hold() {
        let tier = |t: &str, f: &str| entry_type(t).unwrap().field(f).unwrap().tier;
        assert_eq!(tier("login", "password"), L2);
        assert_eq!(tier("login", "username"), L1);
        assert_eq!(tier("card", "number"), L3);
        assert_eq!(tier("identity", "ssn"), L3);
        assert_eq!(tier("ssh_key", "private_key"), L3);
        assert_eq!(tier("crypto_wallet", "seed_phrase"), L3);
        assert!(entry_type("agent").unwrap().system);
        assert_eq!(user_type_names().count(), 10);
    }

    #[test]
    fn field_names_are_unique_per_type() {
        for t in TYPES {
            let mut names: Vec<_> = t.fields.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), t.fields.len(), "{}", t.name);
        }
    }
}
