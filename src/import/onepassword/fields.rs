//! The part every 1Password format shares: a field has a stable key
//! (`ccnum`, `firstname`, `reg_code`…), a label and a typed value. This
//! module decides, per category, which fields land in the item's own slots
//! (username, card number, identity name, FIELD_SPEC `typed` fields) and
//! keeps the rest as custom fields, hidden when 1Password concealed them.

use super::category::Category::{self, *};
use super::rules::{slot_for, Slot, BANK_SECRETS};
use crate::import::read::{add_field, fill, split_name, url as add_url};
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
        matches!(
            self,
            Value::Concealed(_) | Value::Totp(_) | Value::SshKey { .. }
        )
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
    if !field.section.is_empty()
        && item
            .fields
            .iter()
            .any(|f| f.label.eq_ignore_ascii_case(&label) && f.value != text)
    {
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
    let generated = id.len() == 26
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
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
        return crate::import::read::expiry_of(m, y);
    }
    let date = t.split_whitespace().next().unwrap_or("");
    let parts: Vec<&str> = date.split('/').collect();
    match parts.as_slice() {
        [m, y] => crate::import::read::expiry_of(m, y),
        [m, _d, y] => crate::import::read::expiry_of(m, y),
        _ => t.to_string(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A field of no section (also used by `rules.rs`'s tests).
    pub(in crate::import::onepassword) fn f(id: &str, label: &str, value: Value) -> Field {
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
        assert_eq!(
            (card.number.as_str(), card.cvv.as_str(), card.pin.as_str()),
            ("4111", "123", "1234")
        );
        assert_eq!(item.fields.len(), 1);
        assert!(!item.fields[0].hidden);
    }

    #[test]
    fn month_years_normalise() {
        assert_eq!(month_year("209912"), "12/2099");
        assert_eq!(month_year("1/3/1970 12:23 AM"), "01/1970");
        assert_eq!(month_year("01/2030"), "01/2030");
    }
}
