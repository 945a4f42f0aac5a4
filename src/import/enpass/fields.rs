//! Enpass fields (from JSON `fields[]` or CSV label/value pairs) placed on
//! an item: by field type where Enpass gives one (`username`, `ccNumber`,
//! …), by identity field uid, else by label; anything left is a custom
//! field, concealed when Enpass marks it sensitive.

use crate::import::read::{self as sup, field};
use crate::import::{Card, Identity, Item};

/// One field as both export formats describe it.
pub(super) struct Field<'a> {
    pub label: &'a str,
    /// Enpass's field type; guessed from the label for CSV.
    pub kind: &'a str,
    pub value: &'a str,
    pub sensitive: bool,
    /// Template field id (identity fields are recognised by it).
    pub uid: Option<i64>,
}

/// The item type for a category and template, given its field types.
pub(super) fn target(category: &str, template: &str, kinds: &[&str]) -> &'static str {
    let has = |k: &str| kinds.contains(&k);
    let credentials = ["username", "email", "password", "url", "totp"]
        .iter()
        .any(|k| has(k));
    match category {
        "login" | "password" => "login",
        "creditcard" => "card",
        "note" => "note",
        "identity" => "identity",
        "license" => "software_license",
        _ if template.contains("wifi") || template.contains("wireless") => "wifi",
        _ if template.contains("database") => "database",
        _ if template.contains("crypto") => "crypto_wallet",
        _ if has("ccNumber") => "card",
        _ if credentials => "login",
        _ => "note",
    }
}

/// A new item of `kind` with the struct its type needs.
pub(super) fn new_item(kind: &str, title: &str, source: &str) -> Item {
    let mut it = sup::item(kind, title, source);
    match kind {
        "card" => it.card = Some(Card::default()),
        "identity" => it.identity = Some(Identity::default()),
        _ => {}
    }
    it
}

/// The field type a CSV label stands for (CSV exports have no types).
pub(super) fn kind_of_label(label: &str) -> &'static str {
    match sup::norm(label).as_str() {
        "username" | "login" | "userid" => "username",
        "email" | "emailaddress" => "email",
        "password" => "password",
        "url" | "website" | "webaddress" => "url",
        "totp" | "onetimecode" | "onetimepassword" | "2fa" => "totp",
        "cardholder" | "cardholdername" | "nameoncard" => "ccName",
        "number" | "cardnumber" => "ccNumber",
        "cvc" | "cvv" | "securitycode" => "ccCvc",
        "pin" => "ccPin",
        "expirydate" | "expiry" | "expirationdate" => "ccExpiry",
        "type" | "cardtype" => "ccType",
        _ => "text",
    }
}

/// Places one field.
pub(super) fn apply(it: &mut Item, f: &Field<'_>) {
    let value = f.value;
    if value.trim().is_empty() || f.kind == "section" {
        return;
    }
    let hidden = f.sensitive
        || matches!(
            f.kind,
            "password" | "ccCvc" | "ccPin" | "pin" | "ccTxnpassword" | "totp"
        );
    let t = it.item_type.clone();
    let placed = match (t.as_str(), f.kind) {
        (_, "url") => {
            sup::url(it, value);
            true
        }
        ("login" | "database", "username") => set(&mut it.username, value),
        ("login", "email") => set(&mut it.email, value),
        ("login" | "database" | "wifi", "password") => set(&mut it.password, value),
        ("login", "totp") => set(&mut it.totp, value.trim()),
        ("card", k) if k.starts_with("cc") => card(it, k, value),
        ("identity", _) => identity(it, f),
        ("software_license" | "wifi" | "database" | "crypto_wallet", _) => by_label(it, &t, f),
        _ => false,
    };
    if !placed {
        let label = if f.label.trim().is_empty() {
            f.kind
        } else {
            f.label
        };
        field(it, label, value, hidden);
    }
}

/// Sets an empty slot; false when already filled (the value becomes a field).
fn set(slot: &mut String, value: &str) -> bool {
    if slot.is_empty() {
        *slot = value.to_string();
        true
    } else {
        false
    }
}

fn card(it: &mut Item, kind: &str, value: &str) -> bool {
    let Some(c) = it.card.as_mut() else {
        return false;
    };
    match kind {
        "ccName" => set(&mut c.cardholder, value.trim()),
        "ccNumber" => set(&mut c.number, value.trim()),
        "ccCvc" => set(&mut c.cvv, value.trim()),
        "ccPin" => set(&mut c.pin, value.trim()),
        "ccType" => set(&mut c.brand, value.trim()),
        "ccExpiry" => set(&mut c.expiry, &sup::expiry(value)),
        _ => false,
    }
}

fn identity(it: &mut Item, f: &Field<'_>) -> bool {
    // Enpass's identity template field ids, stable across UI languages.
    let by_uid = match f.uid {
        Some(130) => "first_name",
        Some(131) => "middle_name",
        Some(132) => "last_name",
        Some(212) => "ssn",
        Some(143) => "address1",
        Some(144) => "city",
        Some(145) => "state",
        Some(146) => "country",
        Some(147) => "zip",
        Some(149) => "phone",
        Some(137) => "company",
        Some(165) => "email",
        _ => "",
    };
    let by_label = match sup::norm(f.label).as_str() {
        "firstname" | "givenname" => "first_name",
        "middlename" | "initial" => "middle_name",
        "lastname" | "surname" | "familyname" => "last_name",
        "company" | "organization" | "organisation" => "company",
        "email" | "emailaddress" => "email",
        "phone" | "telephone" | "mobile" | "phonenumber" => "phone",
        "address" | "street" | "streetaddress" | "address1" | "addressline1" => "address1",
        "address2" | "addressline2" => "address2",
        "city" | "town" => "city",
        "state" | "province" | "region" => "state",
        "zip" | "zipcode" | "postcode" | "postalcode" => "zip",
        "country" => "country",
        "ssn" | "socialsecuritynumber" => "ssn",
        "passport" | "passportnumber" => "passport",
        "license" | "licence" | "licensenumber" | "drivinglicense" | "driverslicense" => "license",
        _ => "",
    };
    let name = if by_uid.is_empty() { by_label } else { by_uid };
    let Some(id) = it.identity.as_mut() else {
        return false;
    };
    identity_slot(id, name).is_some_and(|s| set(s, f.value.trim()))
}

/// The identity field named as in FIELD_SPEC.
fn identity_slot<'i>(id: &'i mut Identity, name: &str) -> Option<&'i mut String> {
    Some(match name {
        "first_name" => &mut id.first_name,
        "middle_name" => &mut id.middle_name,
        "last_name" => &mut id.last_name,
        "email" => &mut id.email,
        "phone" => &mut id.phone,
        "address1" => &mut id.address1,
        "address2" => &mut id.address2,
        "city" => &mut id.city,
        "state" => &mut id.state,
        "zip" => &mut id.zip,
        "country" => &mut id.country,
        "company" => &mut id.company,
        "ssn" => &mut id.ssn,
        "passport" => &mut id.passport,
        "license" => &mut id.license,
        _ => return None,
    })
}

/// FIELD_SPEC fields of the other typed templates, recognised by label.
fn by_label(it: &mut Item, t: &str, f: &Field<'_>) -> bool {
    let name = match (t, sup::norm(f.label).as_str()) {
        (
            "software_license",
            "licensekey" | "licencekey" | "productkey" | "serialnumber" | "key" | "license"
            | "licence",
        ) => "license_key",
        ("software_license", "version") => "version",
        ("software_license", "publisher" | "vendor") => "publisher",
        ("software_license", "purchasedate" | "orderdate") => "purchase_date",
        ("software_license", "email" | "registeredemail") => "email",
        ("wifi", "ssid" | "networkname" | "stationname") => "ssid",
        ("wifi", "security" | "securitytype" | "wirelesssecurity") => "security",
        ("database", "type" | "databasetype") => "db_type",
        ("database", "server" | "host" | "hostname") => "hostname",
        ("database", "port") => "port",
        ("database", "database" | "sid" | "databasename") => "database",
        ("crypto_wallet", "address" | "walletaddress" | "publicaddress") => "address",
        ("crypto_wallet", "seed" | "seedphrase" | "recoveryphrase" | "mnemonic") => "seed_phrase",
        ("crypto_wallet", "privatekey") => "private_key",
        _ => return false,
    };
    if it.typed.contains_key(name) {
        return false;
    }
    sup::typed(it, name, f.value);
    true
}
