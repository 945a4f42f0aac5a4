//! The part every 1Password format shares: a field has a stable key
//! (`ccnum`, `firstname`, `reg_code`…), a label and a typed value. This
//! module decides, per category, which fields land in the item's own slots
//! (username, card number, identity name, FIELD_SPEC `typed` fields) and
//! keeps the rest as custom fields, hidden when 1Password concealed them.

use super::category::Category::{self, *};
use super::support::{add_field, add_url, fill, split_name};
use crate::import::Item;

/// A field value, already rendered as text where 1Password stores numbers
/// (dates become `YYYY-MM-DD`, month-years `MM/YYYY`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Text(String),
    Concealed(String),
    Totp(String),
    Url(String),
    Address {
        street: String,
        city: String,
        state: String,
        zip: String,
        country: String,
    },
    SshKey {
        private_key: String,
        public_key: String,
        fingerprint: String,
        key_type: String,
    },
}

impl Value {
    /// The value as one line of text (for custom fields).
    fn text(&self) -> String {
        match self {
            Value::Text(s) | Value::Concealed(s) | Value::Totp(s) | Value::Url(s) => s.clone(),
            Value::Address {
                street,
                city,
                state,
                zip,
                country,
            } => [street, city, state, zip, country]
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Value::SshKey { private_key, .. } => private_key.clone(),
        }
    }

    fn hidden(&self) -> bool {
        matches!(self, Value::Concealed(_) | Value::Totp(_) | Value::SshKey { .. })
    }
}

/// One field of a 1Password item.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// Section title ("" for the main section); disambiguates labels.
    pub section: String,
    /// 1Password's key for the field (`ccnum`); may be empty or random.
    pub id: String,
    /// What the user saw ("number").
    pub label: String,
    pub value: Value,
}

/// Where a known field goes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
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
    (&["cardholder"], &["cardholder name", "name on card"], Slot::Holder),
    (&["type"], &["type"], Slot::Brand),
    (&["ccnum"], &["number", "card number"], Slot::Number),
    (&["cvv"], &["verification number", "security code", "cvv"], Slot::Cvv),
    (&["expiry"], &["expiry date", "expiration date"], Slot::Expiry),
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
        &["default phone", "home", "cell", "mobile", "business", "phone"],
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
    (&["publisher_name"], &["publisher"], Slot::Typed("publisher")),
    (&["order_date"], &["purchase date"], Slot::Typed("purchase_date")),
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
    (&["wireless_security"], &["wireless security"], Slot::Typed("security")),
    (&["wireless_password"], &["wireless network password"], Slot::Password),
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
    (&["private_key"], &["private key"], Slot::Typed("private_key")),
    (&["public_key"], &["public key"], Slot::Typed("public_key")),
    (&["fingerprint"], &["fingerprint"], Slot::Typed("fingerprint")),
    (&["key_type"], &["key type"], Slot::Typed("key_type")),
];
const WALLET: &[Rule] = &[
    (&["recoveryphrase", "recovery_phrase"], &["recovery phrase", "seed phrase"], Slot::Typed("seed_phrase")),
    (&["walletaddress", "wallet_address"], &["wallet address"], Slot::Typed("address")),
    (&["privatekey", "private_key"], &["private key"], Slot::Typed("private_key")),
];
const WEBSITE: &[Rule] = &[(&["website"], &["website"], Slot::Url)];

/// Keys of bank-account fields kept hidden although 1Password shows them.
const BANK_SECRETS: &[&str] = &["accountno", "iban", "telephonepin", "account number", "pin"];

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

fn slot_for(cat: Category, field: &Field) -> Option<Slot> {
    let id = field.id.to_ascii_lowercase();
    let label = field.label.trim().to_lowercase();
    rules(cat).iter().find_map(|(ids, labels, slot)| {
        let by_id = !id.is_empty() && ids.contains(&id.as_str());
        // Labels only decide when the field has no meaningful key.
        let by_label = (id.is_empty() || id == label) && labels.contains(&label.as_str());
        (by_id || by_label).then_some(*slot)
    })
}

/// Puts `fields` into `item` (whose `item_type` matches `cat`).
pub(super) fn apply(cat: Category, item: &mut Item, fields: Vec<Field>) {
    match item.item_type.as_str() {
        "card" => drop(item.card.get_or_insert_with(Default::default)),
        "identity" => drop(item.identity.get_or_insert_with(Default::default)),
        _ => {}
    }
    for field in fields {
        if let Value::Totp(t) = &field.value {
            if fill(&mut item.totp, t) {
                continue;
            }
        }
        let placed = match slot_for(cat, &field) {
            Some(slot) => place(item, slot, &field.value),
            None => false,
        };
        if !placed {
            keep(cat, item, &field);
        }
    }
}

/// Keeps an unmapped field as a custom field, prefixing the section title
/// when the bare label is already taken by a different value.
fn keep(cat: Category, item: &mut Item, field: &Field) {
    let text = field.value.text();
    let mut label = if field.label.trim().is_empty() {
        unnamed_label(field)
    } else {
        field.label.trim().to_string()
    };
    if !field.section.is_empty() && item.fields.iter().any(|f| f.label.eq_ignore_ascii_case(&label) && f.value != text) {
        label = format!("{}: {label}", field.section);
    }
    let hidden = field.value.hidden()
        || cat == BankAccount
            && (BANK_SECRETS.contains(&field.id.to_ascii_lowercase().as_str())
                || BANK_SECRETS.contains(&label.to_lowercase().as_str()));
    add_field(item, &label, &text, hidden);
}

/// A label for a field 1Password shows without a title: its key when the
/// key means something, else the section title. 1Password's generated keys
/// (26 lowercase base-32 characters) are noise to a reader.
fn unnamed_label(field: &Field) -> String {
    let id = field.id.trim();
    let generated = id.len() == 26 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !id.is_empty() && !generated {
        id.to_string()
    } else if !field.section.trim().is_empty() {
        field.section.trim().to_string()
    } else {
        "field".to_string()
    }
}

/// Stores a value in its slot; false when the slot already holds another value.
fn place(item: &mut Item, slot: Slot, value: &Value) -> bool {
    let text = value.text();
    if let Value::SshKey {
        private_key,
        public_key,
        fingerprint,
        key_type,
    } = value
    {
        for (k, v) in [
            ("private_key", private_key),
            ("public_key", public_key),
            ("fingerprint", fingerprint),
            ("key_type", key_type),
        ] {
            if !v.is_empty() {
                item.typed.entry(k.to_string()).or_insert_with(|| v.clone());
            }
        }
        return true;
    }
    match slot {
        Slot::Username => fill(&mut item.username, &text),
        Slot::Password => fill(&mut item.password, &text),
        Slot::Email => fill(&mut item.email, &text),
        Slot::Url => {
            if item.urls.is_empty() || item.urls.contains(&text) {
                add_url(item, &text);
                true
            } else {
                false
            }
        }
        Slot::Typed(key) => fill(item.typed.entry(key.to_string()).or_default(), &text),
        Slot::Holder | Slot::Brand | Slot::Number | Slot::Cvv | Slot::Expiry | Slot::Pin => {
            let card = item.card.get_or_insert_with(Default::default);
            let target = match slot {
                Slot::Holder => &mut card.cardholder,
                Slot::Brand => &mut card.brand,
                Slot::Number => &mut card.number,
                Slot::Cvv => &mut card.cvv,
                Slot::Expiry => &mut card.expiry,
                _ => &mut card.pin,
            };
            fill(target, &text)
        }
        _ => place_identity(item, slot, value),
    }
}

fn place_identity(item: &mut Item, slot: Slot, value: &Value) -> bool {
    let text = value.text();
    let id = item.identity.get_or_insert_with(Default::default);
    match slot {
        Slot::First => fill(&mut id.first_name, &text),
        Slot::Middle => fill(&mut id.middle_name, &text),
        Slot::Last => fill(&mut id.last_name, &text),
        Slot::FullName => {
            let (first, middle, last) = split_name(&text);
            if id.first_name.is_empty() && id.last_name.is_empty() {
                id.first_name = first;
                id.middle_name = middle;
                id.last_name = last;
                true
            } else {
                false
            }
        }
        Slot::Phone => fill(&mut id.phone, &text),
        Slot::Company => fill(&mut id.company, &text),
        Slot::State => fill(&mut id.state, &text),
        Slot::Country => fill(&mut id.country, &text),
        Slot::Ssn => fill(&mut id.ssn, &text),
        Slot::PassportNo => fill(&mut id.passport, &text),
        Slot::LicenseNo => fill(&mut id.license, &text),
        Slot::Address => match value {
            Value::Address {
                street,
                city,
                state,
                zip,
                country,
            } if id.address1.is_empty() => {
                id.address1 = street.clone();
                fill(&mut id.city, city);
                fill(&mut id.state, state);
                fill(&mut id.zip, zip);
                fill(&mut id.country, country);
                true
            }
            // A free-text address: first line as address1, the rest as address2.
            _ if id.address1.is_empty() => {
                let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
                id.address1 = lines.next().unwrap_or_default().to_string();
                id.address2 = lines.collect::<Vec<_>>().join(", ");
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Display name for a 1Password `creditCardType` value ("mc" → "Mastercard").
pub(super) fn card_brand(code: &str) -> String {
    let name = match code.to_ascii_lowercase().as_str() {
        "visa" => "Visa",
        "mc" | "mastercard" => "Mastercard",
        "amex" | "american express" => "American Express",
        "discover" => "Discover",
        "diners" | "diners club" => "Diners Club",
        "jcb" => "JCB",
        "maestro" => "Maestro",
        "unionpay" => "UnionPay",
        "laser" => "Laser",
        "solo" => "Solo",
        "switch" => "Switch",
        "carteblanche" => "Carte Blanche",
        "visaelectron" => "Visa Electron",
        _ => return code.to_string(),
    };
    name.to_string()
}

/// A 1Password month-year: `YYYYMM` (number or text) or `M/YYYY`, or the
/// `M/D/YYYY h:mm AM` the Windows CSV writes, as "MM/YYYY".
pub(super) fn month_year(text: &str) -> String {
    let t = text.trim();
    if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m) = t.split_at(4);
        return super::support::expiry(m, y);
    }
    let date = t.split_whitespace().next().unwrap_or("");
    let parts: Vec<&str> = date.split('/').collect();
    match parts.as_slice() {
        [m, y] => super::support::expiry(m, y),
        [m, _d, y] => super::support::expiry(m, y),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, label: &str, value: Value) -> Field {
        Field {
            section: String::new(),
            id: id.into(),
            label: label.into(),
            value,
        }
    }

    #[test]
    fn card_fields_fill_the_card_and_extras_stay_custom() {
        let mut item = Item {
            item_type: "card".into(),
            ..Default::default()
        };
        apply(
            CreditCard,
            &mut item,
            vec![
                f("ccnum", "number", Value::Text("4111".into())),
                f("cvv", "verification number", Value::Concealed("123".into())),
                f("creditLimit", "credit limit", Value::Text("$1".into())),
                f("pin", "PIN", Value::Concealed("1234".into())),
            ],
        );
        let card = item.card.unwrap();
        assert_eq!((card.number.as_str(), card.cvv.as_str(), card.pin.as_str()), ("4111", "123", "1234"));
        assert_eq!(item.fields.len(), 1);
        assert!(!item.fields[0].hidden);
    }

    #[test]
    fn month_years_normalise() {
        assert_eq!(month_year("209912"), "12/2099");
        assert_eq!(month_year("1/3/1970 12:23 AM"), "01/1970");
        assert_eq!(month_year("01/2030"), "01/2030");
    }

    #[test]
    fn windows_labels_match_without_keys() {
        let field = f("", "verification number", Value::Text("1".into()));
        assert_eq!(slot_for(CreditCard, &field), Some(Slot::Cvv));
        let random = f("txbzvwzpck7ejhfres3733rbpm", "", Value::Text("card".into()));
        assert_eq!(slot_for(CreditCard, &random), None);
    }
}
