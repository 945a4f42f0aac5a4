//! Keeper's structured field values (`$paymentCard`, `$keyPair`, `$host`,
//! `$name`, `$address`, `$phone`, `$bankAccount`, …), as JSON objects or
//! as the CSV export's flattened strings, placed on an item.

use serde_json::Value;

use super::fields::{humanize, s, text, Ctx};
use crate::import::read::{self as sup, field};
use crate::import::Item;

pub(super) fn payment_card(it: &mut Item, v: &Value) {
    let (number, exp, cvv) = match v {
        Value::Object(_) => (
            s(v, "cardNumber"),
            s(v, "cardExpirationDate"),
            s(v, "cardSecurityCode"),
        ),
        // The CSV export flattens it to "number MM/YYYY cvv".
        other => {
            let flat = text(other);
            let words: Vec<&str> = flat.split_whitespace().collect();
            let split = words
                .iter()
                .position(|w| w.contains('/'))
                .map(|i| words.split_at(i));
            match split.and_then(|(before, rest)| Some((before, rest.split_first()?))) {
                Some((before, (exp, after))) => (before.concat(), exp.to_string(), after.concat()),
                None => (words.concat(), String::new(), String::new()),
            }
        }
    };
    match it.card.as_mut() {
        Some(card) if card.number.is_empty() => {
            card.number = number;
            card.expiry = sup::expiry(&exp);
            card.cvv = cvv;
        }
        _ => {
            field(it, "Card number", &number, true);
            field(it, "Expiry", &exp, false);
            field(it, "Security code", &cvv, true);
        }
    }
}

pub(super) fn key_pair(it: &mut Item, v: &Value) {
    let (public, private) = match v {
        Value::Object(_) => (s(v, "publicKey"), s(v, "privateKey")),
        other => (String::new(), text(other)), // the CSV keeps only the private key
    };
    if it.item_type == "ssh_key" && !it.typed.contains_key("private_key") {
        sup::ssh_key(it, public.trim(), &private);
    } else {
        field(it, "Public key", &public, false);
        field(it, "Private key", &private, true);
    }
}

pub(super) fn host(it: &mut Item, v: &Value, label: &str) {
    let (host, port) = match v {
        Value::Object(_) => (s(v, "hostName"), s(v, "port")),
        other => {
            let flat = text(other);
            match flat.rsplit_once(':') {
                Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                    (h.to_string(), p.to_string())
                }
                _ => (flat, String::new()),
            }
        }
    };
    if it.item_type == "database" && !it.typed.contains_key("hostname") {
        sup::typed(it, "hostname", &host);
        sup::typed(it, "port", &port);
    } else {
        field(it, label, &host, false);
        field(it, "Port", &port, false);
    }
}

pub(super) fn person_name(it: &mut Item, ctx: &mut Ctx, v: &Value, label: &str) {
    let (first, middle, last) = match v {
        Value::Object(_) => (s(v, "first"), s(v, "middle"), s(v, "last")),
        // The CSV export writes "Last, First Middle".
        other => {
            let flat = text(other);
            match flat.split_once(',') {
                Some((last, rest)) => {
                    let mut words = rest.split_whitespace();
                    let first = words.next().unwrap_or_default().to_string();
                    (
                        first,
                        words.collect::<Vec<_>>().join(" "),
                        last.trim().to_string(),
                    )
                }
                None => sup::split_name(&flat),
            }
        }
    };
    match it.identity.as_mut() {
        Some(id) if !ctx.name_done && (label.is_empty() || ctx.kind == "contact") => {
            ctx.name_done = true;
            id.first_name = first.trim().to_string();
            id.middle_name = middle.trim().to_string();
            id.last_name = last.trim().to_string();
        }
        _ => {
            let full = [first, middle, last]
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let l = if label.is_empty() {
                "Name".to_string()
            } else {
                humanize(label)
            };
            field(it, &l, &full, false);
        }
    }
}

pub(super) fn address(it: &mut Item, ctx: &mut Ctx, v: &Value, label: &str) {
    let parts = ["street1", "street2", "city", "state", "zip", "country"]
        .map(|k| s(v, k).trim().to_string());
    match (it.identity.as_mut(), v) {
        (Some(id), Value::Object(_)) if !ctx.address_done => {
            ctx.address_done = true;
            let [a1, a2, city, state, zip, country] = parts;
            (
                id.address1,
                id.address2,
                id.city,
                id.state,
                id.zip,
                id.country,
            ) = (a1, a2, city, state, zip, country);
        }
        (Some(id), Value::String(flat)) if !ctx.address_done => {
            ctx.address_done = true;
            id.address1 = flat.trim().to_string();
        }
        (_, Value::Object(_)) => {
            let joined = parts
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            field(it, label, &joined, false);
        }
        (_, other) => field(it, label, &text(other), false),
    }
}

pub(super) fn phone(it: &mut Item, v: &Value, label: &str) {
    let (number, label) = match v {
        Value::Object(_) => {
            let mut n = s(v, "number");
            let region = s(v, "region");
            if !region.is_empty() && !n.is_empty() {
                n = format!("({region}) {n}");
            }
            let ext = s(v, "ext");
            if !ext.is_empty() {
                n = format!("{n} ext. {ext}");
            }
            let kind = s(v, "type");
            let label = if kind.is_empty() {
                label.to_string()
            } else {
                format!("{label} ({kind})")
            };
            (n, label)
        }
        other => (text(other), label.to_string()),
    };
    match it.identity.as_mut() {
        Some(id) if id.phone.is_empty() => id.phone = number.trim().to_string(),
        _ => field(it, &label, &number, false),
    }
}

pub(super) fn email(it: &mut Item, value: &str, label: &str) {
    let value = value.trim();
    match it.identity.as_mut() {
        Some(id) if id.email.is_empty() => id.email = value.to_string(),
        _ if it.item_type == "login" && it.email.is_empty() => it.email = value.to_string(),
        _ => field(it, label, value, false),
    }
}

pub(super) fn account_number(it: &mut Item, ctx: &Ctx, v: &Value, label: &str) {
    let value = text(v).trim().to_string();
    if let Some(id) = it.identity.as_mut() {
        let slot = match (label, ctx.kind.as_str()) {
            ("identityNumber", _) | ("", "ssnCard") => Some(&mut id.ssn),
            ("passportNumber", _) | ("", "passport") => Some(&mut id.passport),
            ("dlNumber", _) | ("", "driverLicense") => Some(&mut id.license),
            _ => None,
        };
        if let Some(slot) = slot.filter(|s| s.is_empty()) {
            *slot = value;
            return;
        }
    }
    let l = if label.is_empty() {
        "Account number".to_string()
    } else {
        humanize(label)
    };
    field(it, &l, &value, false);
}

pub(super) fn bank_account(it: &mut Item, v: &Value) {
    let (kind, routing, number) = match v {
        Value::Object(_) => {
            let other = s(v, "otherType");
            (
                if other.is_empty() {
                    s(v, "accountType")
                } else {
                    other
                },
                s(v, "routingNumber"),
                s(v, "accountNumber"),
            )
        }
        // The CSV export flattens it to "type routing account".
        other => {
            let flat = text(other);
            match flat.split_whitespace().collect::<Vec<_>>().as_slice() {
                [k, r, n] => (k.to_string(), r.to_string(), n.to_string()),
                _ => return field(it, "Bank account", &flat, true),
            }
        }
    };
    field(it, "Account type", &kind, false);
    field(it, "Routing number", &routing, false);
    field(it, "Account number", &number, true);
}
