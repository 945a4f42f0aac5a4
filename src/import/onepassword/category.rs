//! 1Password item categories, named three ways: 1PUX/OPVault category
//! UUIDs ("001"), 1PIF type names ("webforms.WebForm") and the Mac CSV
//! `Type` column ("Credit Card").

/// The 1Password categories we map; anything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Category {
    Login,
    CreditCard,
    SecureNote,
    Identity,
    Password,
    Document,
    SoftwareLicense,
    BankAccount,
    Database,
    DriverLicense,
    OutdoorLicense,
    Membership,
    Passport,
    RewardProgram,
    SocialSecurity,
    WirelessRouter,
    Server,
    EmailAccount,
    ApiCredential,
    MedicalRecord,
    SshKey,
    CryptoWallet,
    Other,
}

use Category::*;

/// (category UUID, 1PIF type name, display name) per category.
const NAMES: &[(Category, &str, &str, &str)] = &[
    (Login, "001", "webforms.WebForm", "Login"),
    (
        CreditCard,
        "002",
        "wallet.financial.CreditCard",
        "Credit Card",
    ),
    (SecureNote, "003", "securenotes.SecureNote", "Secure Note"),
    (Identity, "004", "identities.Identity", "Identity"),
    (Password, "005", "passwords.Password", "Password"),
    (Document, "006", "system.Document", "Document"),
    (
        SoftwareLicense,
        "100",
        "wallet.computer.License",
        "Software License",
    ),
    (
        BankAccount,
        "101",
        "wallet.financial.BankAccountUS",
        "Bank Account",
    ),
    (Database, "102", "wallet.computer.Database", "Database"),
    (
        DriverLicense,
        "103",
        "wallet.government.DriversLicense",
        "Driver License",
    ),
    (
        OutdoorLicense,
        "104",
        "wallet.government.HuntingLicense",
        "Outdoor License",
    ),
    (
        Membership,
        "105",
        "wallet.membership.Membership",
        "Membership",
    ),
    (Passport, "106", "wallet.government.Passport", "Passport"),
    (
        RewardProgram,
        "107",
        "wallet.membership.RewardProgram",
        "Reward Program",
    ),
    (
        SocialSecurity,
        "108",
        "wallet.government.SsnUS",
        "Social Security Number",
    ),
    (
        WirelessRouter,
        "109",
        "wallet.computer.Router",
        "Wireless Router",
    ),
    (Server, "110", "wallet.computer.UnixServer", "Server"),
    (
        EmailAccount,
        "111",
        "wallet.onlineservices.Email.v2",
        "Email Account",
    ),
    (
        ApiCredential,
        "112",
        "wallet.computer.ApiCredential",
        "API Credential",
    ),
    (
        MedicalRecord,
        "113",
        "wallet.medical.MedicalRecord",
        "Medical Record",
    ),
    (SshKey, "114", "wallet.computer.SshKey", "SSH Key"),
    (
        CryptoWallet,
        "115",
        "wallet.financial.CryptoWallet",
        "Crypto Wallet",
    ),
];

impl Category {
    /// From a 1PUX `categoryUuid` or OPVault `category` ("001").
    pub(super) fn from_uuid(uuid: &str) -> Category {
        NAMES.iter().find(|n| n.1 == uuid).map_or(Other, |n| n.0)
    }

    /// From a 1PIF `typeName`; older exports use variants of a few names.
    pub(super) fn from_type_name(name: &str) -> Category {
        if let Some(n) = NAMES.iter().find(|n| n.2 == name) {
            return n.0;
        }
        match name {
            "wallet.financial.BankAccount" => BankAccount,
            "wallet.onlineservices.Email" | "wallet.onlineservices.GenericAccount" => EmailAccount,
            "wallet.membership.Membership.v2" => Membership,
            "wallet.computer.License.v2" => SoftwareLicense,
            _ => Other,
        }
    }

    /// From a CSV `Type`/`Category` column ("Credit Card", "login", "002").
    pub(super) fn from_display(name: &str) -> Category {
        let name = name.trim();
        if let Some(n) = NAMES
            .iter()
            .find(|n| n.3.eq_ignore_ascii_case(name) || n.1 == name)
        {
            return n.0;
        }
        match name.to_ascii_lowercase().as_str() {
            "driver's license" | "drivers license" | "driver licence" => DriverLicense,
            "social security" | "ssn" => SocialSecurity,
            "rewards program" | "reward" => RewardProgram,
            "note" | "secure notes" => SecureNote,
            "api credentials" => ApiCredential,
            "bank account (us)" => BankAccount,
            _ => Other,
        }
    }

    /// The FIELD_SPEC type an item of this category becomes.
    ///
    /// Bank accounts, memberships, reward programs, medical records and
    /// documents have no FIELD_SPEC type: they become notes whose fields are
    /// kept as custom fields (account numbers, IBANs and PINs hidden, so L2).
    /// Licences, passports and SSNs are identities with the number in
    /// `license`/`passport`/`ssn` (L3).
    pub(super) fn item_type(self) -> &'static str {
        match self {
            Login | Password | Server | EmailAccount => "login",
            CreditCard => "card",
            Identity | DriverLicense | OutdoorLicense | Passport | SocialSecurity => "identity",
            SoftwareLicense => "software_license",
            Database => "database",
            WirelessRouter => "wifi",
            ApiCredential => "api_key",
            SshKey => "ssh_key",
            CryptoWallet => "crypto_wallet",
            SecureNote | Document | BankAccount | Membership | RewardProgram | MedicalRecord
            | Other => "note",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_three_ways() {
        assert_eq!(Category::from_uuid("002"), CreditCard);
        assert_eq!(
            Category::from_type_name("wallet.computer.Router"),
            WirelessRouter
        );
        assert_eq!(Category::from_display("credit card"), CreditCard);
        assert_eq!(Category::from_display("Spaceship"), Other);
        assert_eq!(Category::from_uuid("114").item_type(), "ssh_key");
    }
}
