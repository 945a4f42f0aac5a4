//! Which 1Password field keys (or, without keys, labels) fill which slot
//! of an item, per category. Keys are 1Password's own (`ccnum`,
//! `reg_code`); labels are what the Windows CSV shows, lowercased.

use super::category::Category::{self, *};
use super::fields::Field;

/// Where a known field goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Slot {
    Username,
    Password,
    Email,
    Url,
    Holder,
    Brand,
    Number,
    Cvv,
    Expiry,
    Pin,
    First,
    Middle,
    Last,
    FullName,
    Phone,
    Address,
    State,
    Country,
    Company,
    Ssn,
    PassportNo,
    LicenseNo,
    Typed(&'static str),
}

/// (keys, labels, slot): a field matches by key, or by lowercase label when
/// the format has no keys (1Password for Windows CSV).
type Rule = (&'static [&'static str], &'static [&'static str], Slot);

const LOGIN: &[Rule] = &[
    (&["username"], &["username"], Slot::Username),
    (&["password"], &["password"], Slot::Password),
    (&["email"], &["email", "e-mail"], Slot::Email),
    (&["url", "website"], &["url", "website"], Slot::Url),
];
const CARD: &[Rule] = &[
    (
        &["cardholder"],
        &["cardholder name", "name on card"],
        Slot::Holder,
    ),
    (&["type"], &["type"], Slot::Brand),
    (&["ccnum"], &["number", "card number"], Slot::Number),
    (
        &["cvv"],
        &["verification number", "security code", "cvv"],
        Slot::Cvv,
    ),
    (
        &["expiry"],
        &["expiry date", "expiration date"],
        Slot::Expiry,
    ),
    (&["pin"], &["pin"], Slot::Pin),
    (&["website"], &["website"], Slot::Url),
];
const IDENTITY: &[Rule] = &[
    (&["firstname"], &["first name"], Slot::First),
    (&["initial"], &["initial", "middle name"], Slot::Middle),
    (&["lastname"], &["last name"], Slot::Last),
    (&["company"], &["company"], Slot::Company),
    (&["address"], &["address"], Slot::Address),
    (
        &["defphone", "homephone", "cellphone", "busphone"],
        &[
            "default phone",
            "home",
            "cell",
            "mobile",
            "business",
            "phone",
        ],
        Slot::Phone,
    ),
    (&["email", "e-mail"], &["email", "e-mail"], Slot::Email),
    (&["website"], &["website"], Slot::Url),
];
const DRIVER_LICENSE: &[Rule] = &[
    (&["fullname"], &["full name"], Slot::FullName),
    (&["address"], &["address"], Slot::Address),
    (&["state"], &["state"], Slot::State),
    (&["country"], &["country"], Slot::Country),
    (&["number"], &["number"], Slot::LicenseNo),
];
const OUTDOOR_LICENSE: &[Rule] = &[
    (&["name", "fullname"], &["full name"], Slot::FullName),
    (&["state"], &["state"], Slot::State),
    (&["country"], &["country"], Slot::Country),
];
const PASSPORT: &[Rule] = &[
    (&["fullname"], &["full name"], Slot::FullName),
    (&["number"], &["number"], Slot::PassportNo),
    (&["issuing_country"], &["issuing country"], Slot::Country),
];
const SSN: &[Rule] = &[
    (&["name"], &["name"], Slot::FullName),
    (&["number"], &["number"], Slot::Ssn),
];
const SOFTWARE_LICENSE: &[Rule] = &[
    (&["product_version"], &["version"], Slot::Typed("version")),
    (&["reg_code"], &["license key"], Slot::Typed("license_key")),
    (
        &["publisher_name"],
        &["publisher"],
        Slot::Typed("publisher"),
    ),
    (
        &["order_date"],
        &["purchase date"],
        Slot::Typed("purchase_date"),
    ),
    (&["reg_email"], &["registered email"], Slot::Email),
    (&["publisher_website"], &["website"], Slot::Url),
];
const DATABASE: &[Rule] = &[
    (&["database_type"], &["type"], Slot::Typed("db_type")),
    (&["hostname"], &["server"], Slot::Typed("hostname")),
    (&["port"], &["port"], Slot::Typed("port")),
    (&["database"], &["database"], Slot::Typed("database")),
    (&["username"], &["username"], Slot::Username),
    (&["password"], &["password"], Slot::Password),
];
const ROUTER: &[Rule] = &[
    (&["network_name"], &["network name"], Slot::Typed("ssid")),
    (
        &["wireless_security"],
        &["wireless security"],
        Slot::Typed("security"),
    ),
    (
        &["wireless_password"],
        &["wireless network password"],
        Slot::Password,
    ),
];
const SERVER: &[Rule] = &[
    (&["url"], &["url"], Slot::Url),
    (&["username"], &["username"], Slot::Username),
    (&["password"], &["password"], Slot::Password),
];
const EMAIL_ACCOUNT: &[Rule] = &[
    (&["pop_username", "username"], &["username"], Slot::Username),
    (&["pop_password", "password"], &["password"], Slot::Password),
];
const API: &[Rule] = &[
    (&["username"], &["username"], Slot::Username),
    (&["credential"], &["credential"], Slot::Typed("key")),
    (&["hostname"], &["hostname"], Slot::Typed("service")),
];
const SSH: &[Rule] = &[
    (
        &["private_key"],
        &["private key"],
        Slot::Typed("private_key"),
    ),
    (&["public_key"], &["public key"], Slot::Typed("public_key")),
    (
        &["fingerprint"],
        &["fingerprint"],
        Slot::Typed("fingerprint"),
    ),
    (&["key_type"], &["key type"], Slot::Typed("key_type")),
];
const WALLET: &[Rule] = &[
    (
        &["recoveryphrase", "recovery_phrase"],
        &["recovery phrase", "seed phrase"],
        Slot::Typed("seed_phrase"),
    ),
    (
        &["walletaddress", "wallet_address"],
        &["wallet address"],
        Slot::Typed("address"),
    ),
    (
        &["privatekey", "private_key"],
        &["private key"],
        Slot::Typed("private_key"),
    ),
];
const WEBSITE: &[Rule] = &[(&["website"], &["website"], Slot::Url)];

/// Keys of bank-account fields kept hidden although 1Password shows them.
pub(super) const BANK_SECRETS: &[&str] =
    &["accountno", "iban", "telephonepin", "account number", "pin"];

fn rules(cat: Category) -> &'static [Rule] {
    match cat {
        Login | Password => LOGIN,
        CreditCard => CARD,
        Identity => IDENTITY,
        DriverLicense => DRIVER_LICENSE,
        OutdoorLicense => OUTDOOR_LICENSE,
        Passport => PASSPORT,
        SocialSecurity => SSN,
        SoftwareLicense => SOFTWARE_LICENSE,
        Database => DATABASE,
        WirelessRouter => ROUTER,
        Server => SERVER,
        EmailAccount => EMAIL_ACCOUNT,
        ApiCredential => API,
        SshKey => SSH,
        CryptoWallet => WALLET,
        Membership | RewardProgram => WEBSITE,
        _ => &[],
    }
}

pub(super) fn slot_for(cat: Category, field: &Field) -> Option<Slot> {
    let id = field.id.to_ascii_lowercase();
    let label = field.label.trim().to_lowercase();
    rules(cat).iter().find_map(|(ids, labels, slot)| {
        let by_id = !id.is_empty() && ids.contains(&id.as_str());
        // Labels only decide when the field has no meaningful key.
        let by_label = (id.is_empty() || id == label) && labels.contains(&label.as_str());
        (by_id || by_label).then_some(*slot)
    })
}

#[cfg(test)]
mod tests {
    use super::super::fields::tests::f;
    use super::super::fields::Value;
    use super::*;

    #[test]
    fn windows_labels_match_without_keys() {
        let field = f("", "verification number", Value::Text("1".into()));
        assert_eq!(slot_for(CreditCard, &field), Some(Slot::Cvv));
        let random = f("txbzvwzpck7ejhfres3733rbpm", "", Value::Text("card".into()));
        assert_eq!(slot_for(CreditCard, &random), None);
    }
}
