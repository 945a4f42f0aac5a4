//! Keeper custom fields: keys like `$paymentCard`, `$name:insuredsName:1`,
//! `$text:SSID`, the legacy `TFC:Keeper` TOTP key or a plain label, with
//! string, number (epoch-ms dates), array or object values. Each is placed
//! on the item's own fields when its FIELD_SPEC type has a slot for it and
//! kept as a custom field otherwise.

use serde_json::Value;

use super::values::{
    account_number, address, bank_account, email, host, key_pair, payment_card, person_name, phone,
};
use crate::import::read::{self as sup, field};
use crate::import::Item;

/// What earlier fields of the same record already filled.
pub(super) struct Ctx {
    pub(super) kind: String,
    pub(super) name_done: bool,
    pub(super) address_done: bool,
}

impl Ctx {
    pub(super) fn new(kind: &str) -> Self {
        Ctx {
            kind: kind.to_string(),
            name_done: false,
            address_done: false,
        }
    }
}

/// Splits a key into (field type, label): `$name:insuredsName:1` →
/// ("name", "insuredsName"); `TFC:Keeper` → ("oneTimeCode", ""); a plain
/// label is a text field.
pub(super) fn parse_key(key: &str) -> (String, String) {
    let key = key.trim();
    if key == "TFC:Keeper" {
        return ("oneTimeCode".into(), String::new());
    }
    let Some(rest) = key.strip_prefix('$') else {
        return (String::new(), key.to_string());
    };
    let (t, label) = rest.split_once(':').unwrap_or((rest, ""));
    // Keeper disambiguates repeated keys with a ":N" suffix.
    let label = match label.rsplit_once(':') {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => head,
        _ if label.bytes().all(|b| b.is_ascii_digit()) => "",
        _ => label,
    };
    (t.trim().to_string(), label.trim().to_string())
}

/// Applies one custom field (every element of an array value).
pub(super) fn apply(it: &mut Item, ctx: &mut Ctx, key: &str, value: &Value) {
    let (t, label) = parse_key(key);
    match value {
        Value::Array(values) => values.iter().for_each(|v| one(it, ctx, &t, &label, v)),
        v => one(it, ctx, &t, &label, v),
    }
}

fn one(it: &mut Item, ctx: &mut Ctx, t: &str, label: &str, v: &Value) {
    let name = |fallback: &str| {
        if label.is_empty() {
            fallback.to_string()
        } else {
            humanize(label)
        }
    };
    match t {
        "oneTimeCode" | "otp" => {
            let s = text(v);
            if it.item_type == "login" && it.totp.is_empty() {
                it.totp = s.trim().to_string();
            } else {
                field(it, &name("One-time code"), &s, true);
            }
        }
        "url" => sup::url(it, &text(v)),
        "paymentCard" => payment_card(it, v),
        "pinCode" => match it.card.as_mut() {
            Some(card) if card.pin.is_empty() => card.pin = text(v),
            _ => field(it, &name("PIN"), &text(v), true),
        },
        "keyPair" => key_pair(it, v),
        "host" => host(it, v, &name("Hostname")),
        "name" => person_name(it, ctx, v, label),
        "address" => address(it, ctx, v, &name("Address")),
        "phone" => phone(it, v, &name("Phone")),
        "email" => email(it, &text(v), &name("Email")),
        "accountNumber" => account_number(it, ctx, v, label),
        "licenseNumber"
            if it.item_type == "software_license" && !it.typed.contains_key("license_key") =>
        {
            sup::typed(it, "license_key", &text(v));
        }
        "licenseNumber" => field(it, &name("Licence number"), &text(v), true),
        "bankAccount" => bank_account(it, v),
        "securityQuestion" => {
            field(it, "Security question", &s(v, "question"), false);
            field(it, "Security answer", &s(v, "answer"), true);
        }
        "date" | "birthDate" | "expirationDate" => {
            let value = sup::epoch_of(Some(v))
                .and_then(|n| sup::date_epoch(n, sup::DateAt::LocalMidnight))
                .unwrap_or_else(|| text(v));
            field(it, &name(&humanize(t)), &value, false);
        }
        "note" if it.item_type == "note" => {
            // The secured body of an encryptedNotes record reads first.
            let rest = std::mem::take(&mut it.notes);
            it.notes = text(v).trim_end().to_string();
            sup::append_note(it, &rest);
        }
        "note" => field(it, &name("Note"), &text(v), false),
        "secret" | "password" => field(it, &name(&humanize(t)), &text(v), true),
        "checkbox" => field(it, &name("Checkbox"), &text(v), false),
        "wifiEncryption" if it.item_type == "wifi" => sup::typed(it, "security", &text(v)),
        // References to other records or attachments mean nothing here.
        "appFiller" | "fileRef" => {}
        t if t.ends_with("Ref") => {}
        _ => plain(it, t, label, v),
    }
}

/// `$text:…`, `$multiline:…` and plain labels, with the few labels a
/// FIELD_SPEC type has a slot for.
fn plain(it: &mut Item, t: &str, label: &str, v: &Value) {
    let value = text(v);
    let l = label.to_ascii_lowercase();
    match (it.item_type.as_str(), l.as_str()) {
        ("database", "type") => sup::typed(it, "db_type", &value),
        ("wifi", "ssid") => sup::typed(it, "ssid", &value),
        ("wifi", "security" | "encryption") => sup::typed(it, "security", &value),
        ("card", "cardholdername") => {
            if let Some(card) = it.card.as_mut() {
                card.cardholder = value.trim().to_string();
            }
        }
        ("identity", "company") => {
            if let Some(id) = it.identity.as_mut() {
                id.company = value.trim().to_string();
            }
        }
        _ => {
            let l = if !label.is_empty() {
                humanize(label)
            } else if t.is_empty() {
                "Field".into()
            } else {
                humanize(t)
            };
            field(it, &l, &value, false);
        }
    }
}

/// A string member of an object value, "" otherwise.
pub(super) fn s(v: &Value, key: &str) -> String {
    sup::s(v, key)
}

/// Any value as text: scalars as written, structures as compact JSON so
/// nothing is lost.
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => v.to_string(),
        other => sup::scalar(Some(other)),
    }
}

/// "insuredsName" → "Insureds name"; labels with spaces or capitals
/// elsewhere are the user's own and kept.
pub(super) fn humanize(label: &str) -> String {
    let camel = label.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && label.chars().all(|c| c.is_ascii_alphanumeric())
        && label.chars().any(|c| c.is_ascii_uppercase());
    if !camel {
        let mut c = label.chars();
        return match c.next() {
            Some(f) if label.chars().all(|c| c.is_ascii_lowercase()) => {
                f.to_uppercase().chain(c).collect()
            }
            _ => label.to_string(),
        };
    }
    let mut out = String::new();
    for (i, c) in label.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else if c.is_ascii_uppercase() {
            out.push(' ');
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            parse_key("$name:insuredsName:1"),
            ("name".into(), "insuredsName".into())
        );
        assert_eq!(parse_key("$keyPair::1"), ("keyPair".into(), "".into()));
        assert_eq!(
            parse_key("$url:profile url"),
            ("url".into(), "profile url".into())
        );
        assert_eq!(parse_key("TFC:Keeper"), ("oneTimeCode".into(), "".into()));
        assert_eq!(parse_key("IP Address"), ("".into(), "IP Address".into()));
        assert_eq!(parse_key("$"), ("".into(), "".into()));
    }

    #[test]
    fn labels() {
        assert_eq!(humanize("insuredsName"), "Insureds name");
        assert_eq!(humanize("dateIssued"), "Date issued");
        assert_eq!(humanize("account"), "Account");
        assert_eq!(humanize("some label"), "some label");
        assert_eq!(humanize("SSID"), "SSID");
    }
}
