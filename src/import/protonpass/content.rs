//! Proton Pass item content (`data.type` + `data.content`) mapped onto an
//! item; shared by the JSON/ZIP reader and the CSV reader (whose card and
//! identity rows carry the same content as JSON in the note column).

use serde_json::Value;

use crate::import::read::{self as sup, field};
use crate::import::{Card, Identity, Item};

/// The FIELD_SPEC type for a Proton Pass item type.
pub(super) fn target(kind: &str) -> &'static str {
    match kind {
        "login" => "login",
        "creditCard" => "card",
        "identity" => "identity",
        "sshKey" => "ssh_key",
        "wifi" => "wifi",
        // note, alias, custom and types this code does not know yet.
        _ => "note",
    }
}

/// A new item for `kind` with its content applied.
pub(super) fn item(kind: &str, title: &str, content: &Value, source: &str) -> Item {
    let mut it = sup::item(target(kind), title, source);
    match kind {
        "login" => login(&mut it, content),
        "creditCard" => card(&mut it, content),
        "identity" => identity(&mut it, content),
        "sshKey" => {
            sup::ssh_key(
                &mut it,
                sup::s(content, "publicKey").trim(),
                &sup::s(content, "privateKey"),
            );
        }
        "wifi" => {
            sup::typed(&mut it, "ssid", &sup::s(content, "ssid"));
            sup::typed(&mut it, "security", &sup::s(content, "security"));
            it.password = sup::s(content, "password");
        }
        "note" | "alias" | "custom" => {}
        // Unknown types: keep every scalar member as a field.
        _ => {
            if let Some(o) = content.as_object() {
                for (k, v) in o {
                    field(&mut it, k, &sup::scalar(Some(v)), true);
                }
            }
        }
    }
    sections(&mut it, sup::arr(content, "sections"));
    it
}

/// `extraFields` and section fields: `{fieldName, type, data: {content |
/// totpUri | timestamp}}`; hidden and TOTP values are concealed. A TOTP
/// extra field fills an empty login TOTP.
pub(super) fn extra_fields(it: &mut Item, list: &[Value]) {
    for f in list {
        let kind = sup::s(f, "type");
        let data = f.get("data").unwrap_or(&Value::Null);
        let value = match kind.as_str() {
            "totp" => sup::s(data, "totpUri"),
            "timestamp" => sup::epoch_of(data.get("timestamp"))
                .and_then(|n| sup::date_epoch(n, sup::DateAt::LocalMidnight))
                .unwrap_or_else(|| sup::s(data, "timestamp")),
            _ => sup::s(data, "content"),
        };
        if kind == "totp" && it.item_type == "login" && it.totp.is_empty() {
            it.totp = value.trim().to_string();
            continue;
        }
        let label = sup::s(f, "fieldName");
        field(
            it,
            if label.is_empty() { "Field" } else { &label },
            &value,
            matches!(kind.as_str(), "hidden" | "totp"),
        );
    }
}

fn sections(it: &mut Item, list: &[Value]) {
    for s in list {
        extra_fields(it, sup::arr(s, "sectionFields"));
    }
}

fn login(it: &mut Item, c: &Value) {
    it.email = sup::s(c, "itemEmail").trim().to_string();
    it.username = sup::s(c, "itemUsername").trim().to_string();
    // Before 1.18 exports had one `username` that was usually an email.
    let old = sup::s(c, "username");
    let old = old.trim();
    if !old.is_empty() {
        if old.contains('@') && it.email.is_empty() {
            it.email = old.to_string();
        } else if it.username.is_empty() {
            it.username = old.to_string();
        }
    }
    it.password = sup::s(c, "password");
    it.totp = sup::s(c, "totpUri").trim().to_string();
    for u in sup::arr(c, "urls") {
        sup::url(it, &sup::scalar(Some(u)));
    }
    // Passkeys cannot be used elsewhere, but they are the user's data:
    // kept whole and concealed.
    for p in sup::arr(c, "passkeys") {
        field(it, "Passkey", &p.to_string(), true);
    }
}

fn card(it: &mut Item, c: &Value) {
    let number = sup::s(c, "number").trim().to_string();
    // "YYYY-MM" in the export.
    let exp = sup::s(c, "expirationDate");
    it.card = Some(Card {
        cardholder: sup::s(c, "cardholderName").trim().to_string(),
        brand: sup::card_brand(&number).to_string(),
        expiry: sup::expiry(&exp),
        cvv: sup::s(c, "verificationNumber").trim().to_string(),
        pin: sup::s(c, "pin").trim().to_string(),
        number,
    });
}

/// Identity members with a FIELD_SPEC slot; the rest become fields.
fn identity(it: &mut Item, c: &Value) {
    let g = |k: &str| sup::s(c, k).trim().to_string();
    let mut id = Identity {
        first_name: g("firstName"),
        middle_name: g("middleName"),
        last_name: g("lastName"),
        email: g("email"),
        phone: g("phoneNumber"),
        address1: g("streetAddress"),
        city: g("city"),
        state: g("stateOrProvince"),
        zip: g("zipOrPostalCode"),
        country: g("countryOrRegion"),
        company: g("company"),
        ssn: g("socialSecurityNumber"),
        passport: g("passportNumber"),
        license: g("licenseNumber"),
        ..Identity::default()
    };
    let full = g("fullName");
    let parts = [&id.first_name, &id.middle_name, &id.last_name].map(String::as_str);
    if id.first_name.is_empty() && id.last_name.is_empty() {
        (id.first_name, id.middle_name, id.last_name) = sup::split_name(&full);
    } else if full
        .split_whitespace()
        .ne(parts.iter().flat_map(|p| p.split_whitespace()))
    {
        // A full name that differs from its parts (a nickname, another order).
        field(it, "Full name", &full, false);
    }
    if id.company.is_empty() {
        id.company = g("organization");
    } else if g("organization") != id.company {
        field(it, "Organization", &g("organization"), false);
    }
    it.identity = Some(id);
    sup::url(it, &g("website"));
    let rest = [
        ("birthdate", "Birth date"),
        ("gender", "Gender"),
        ("floor", "Floor"),
        ("county", "County"),
        ("secondPhoneNumber", "Second phone"),
        ("workPhoneNumber", "Work phone"),
        ("workEmail", "Work email"),
        ("jobTitle", "Job title"),
        ("personalWebsite", "Personal website"),
        ("xHandle", "X handle"),
        ("linkedin", "LinkedIn"),
        ("reddit", "Reddit"),
        ("facebook", "Facebook"),
        ("yahoo", "Yahoo"),
        ("instagram", "Instagram"),
    ];
    for (key, label) in rest {
        field(it, label, &g(key), false);
    }
    for list in [
        "extraPersonalDetails",
        "extraAddressDetails",
        "extraContactDetails",
        "extraWorkDetails",
    ] {
        extra_fields(it, sup::arr(c, list));
    }
    sections(it, sup::arr(c, "extraSections"));
}
