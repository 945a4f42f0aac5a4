//! Dashlane's JSON export: one top-level array per data type, named in
//! Dashlane's internal (partly French) vocabulary: `AUTHENTIFIANT` (logins),
//! `PAYMENTMEANS_CREDITCARD`, `PAYMENTMEAN_PAYPAL`, `BANKSTATEMENT`,
//! `IDENTITY`, `ADDRESS`, `EMAIL`, `PHONE`, `COMPANY`, `PERSONALWEBSITE`,
//! `IDCARD`, `PASSPORT`, `DRIVERLICENCE`, `SOCIALSECURITYSTATEMENT`,
//! `FISCALSTATEMENT`, `SECURENOTE`. Member names vary in case between
//! versions, so they are looked up ignoring case. Arrays of other types
//! become notes with every value as a custom field; records are named
//! `<TYPE> item N` in errors.

use serde_json::{Map, Value as Json};

use crate::import::read::{
    add_field, card_brand, expiry_of, file_error, json, looks_secret, lossy, rfc3339_epoch,
    split_name, text as decode, url as add_url, Sink,
};
use crate::import::{Card, Confidence, ImportError, Importer, Input, Item, Parsed};

/// The `dashlane-json` importer.
pub(super) struct DashlaneJson;

/// Top-level keys only Dashlane uses.
const KNOWN: &[&str] = &[
    "AUTHENTIFIANT",
    "PAYMENTMEANS_CREDITCARD",
    "SECURENOTE",
    "IDENTITY",
    "BANKSTATEMENT",
];

impl Importer for DashlaneJson {
    fn name(&self) -> &'static str {
        "dashlane-json"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        let text = lossy(input.bytes);
        let start = text.trim_start();
        if !start.starts_with('{') || !KNOWN.iter().any(|k| start.contains(&format!("\"{k}\""))) {
            return Confidence::No;
        }
        match serde_json::from_str::<Json>(start) {
            Ok(Json::Object(map))
                if KNOWN
                    .iter()
                    .any(|k| map.get(*k).is_some_and(Json::is_array)) =>
            {
                Confidence::Yes
            }
            _ => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let json: Json = json(input.name, &decode(input)?)?;
        let Json::Object(top) = json else {
            return Err(file_error(
                input.name,
                "expected a JSON object of Dashlane data types",
            ));
        };
        let mut out = Sink::new(input.name, skip_invalid);
        for (kind, records) in &top {
            let Some(records) = records.as_array() else {
                continue;
            };
            for (i, record) in records.iter().enumerate() {
                let Json::Object(obj) = record else {
                    out.invalid(format!("{kind} item {}", i + 1), "expected a JSON object")?;
                    continue;
                };
                out.push(item(kind, &Obj(obj)));
            }
        }
        Ok(out.finish())
    }
}

/// A Dashlane object with case-insensitive member lookup.
struct Obj<'a>(&'a Map<String, Json>);

impl Obj<'_> {
    /// The first of `keys` present as text (numbers rendered), or "".
    fn s(&self, keys: &[&str]) -> String {
        keys.iter()
            .find_map(|k| {
                self.0
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                    .and_then(|(_, v)| match v {
                        Json::String(s) if !s.is_empty() => Some(s.clone()),
                        Json::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
            })
            .unwrap_or_default()
    }

    /// Members not in `used`, as custom fields.
    fn rest(&self, item: &mut Item, used: &[&str]) {
        for (key, value) in self.0 {
            if used.iter().any(|u| key.eq_ignore_ascii_case(u))
                || META.iter().any(|m| key.eq_ignore_ascii_case(m))
            {
                continue;
            }
            let text = match value {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                _ => continue,
            };
            add_field(item, key, &text, looks_secret(key));
        }
    }
}

/// Bookkeeping members that are not user data.
const META: &[&str] = &[
    "id",
    "anonId",
    "localeFormat",
    "spaceId",
    "creationDatetime",
    "creationDate",
    "userModificationDatetime",
    "lastBackupTime",
    "lastUse",
    "kwType",
    "attachments",
    "checked",
    "autoLogin",
    "autoProtected",
    "subdomainOnly",
    "useFixedUrl",
    "numberUse",
    "strength",
    "linkedServices",
    "userSelectedUrl",
    "trustedUrlGroup",
    "status",
];

fn item(kind: &str, o: &Obj<'_>) -> Item {
    let mut item = Item {
        source: "dashlane-json".into(),
        created_at: o
            .s(&["creationDatetime", "creationDate"])
            .parse()
            .ok()
            .and_then(rfc3339_epoch),
        updated_at: o
            .s(&["userModificationDatetime"])
            .parse()
            .ok()
            .and_then(rfc3339_epoch),
        ..Default::default()
    };
    let used: &[&str] = match kind {
        "AUTHENTIFIANT" => {
            item.item_type = "login".into();
            item.title = o.s(&["title"]);
            item.username = o.s(&["login"]);
            item.email = o.s(&["email"]);
            item.password = o.s(&["password"]);
            item.notes = o.s(&["note"]);
            item.totp = o.s(&["otpUrl", "otpSecret"]);
            add_url(&mut item, &o.s(&["url", "domain"]));
            add_field(
                &mut item,
                "secondary login",
                &o.s(&["secondaryLogin"]),
                false,
            );
            &[
                "title",
                "login",
                "email",
                "password",
                "note",
                "otpUrl",
                "otpSecret",
                "url",
                "domain",
                "secondaryLogin",
            ]
        }
        "PAYMENTMEANS_CREDITCARD" => {
            item.item_type = "card".into();
            let number = o.s(&["cardNumber"]);
            item.title = o.s(&["name", "bank"]);
            item.notes = o.s(&["note"]);
            item.card = Some(Card {
                cardholder: o.s(&["owner", "ownerName"]),
                brand: card_brand(&number).to_string(),
                expiry: expiry_of(&o.s(&["expireMonth"]), &o.s(&["expireYear"])),
                cvv: o.s(&["securityCode"]),
                number,
                pin: String::new(),
            });
            &[
                "name",
                "cardNumber",
                "note",
                "owner",
                "ownerName",
                "expireMonth",
                "expireYear",
                "securityCode",
                "cardNumberLastDigits",
            ]
        }
        "PAYMENTMEAN_PAYPAL" => {
            item.item_type = "login".into();
            item.title = o.s(&["name"]);
            item.username = o.s(&["login"]);
            item.password = o.s(&["password"]);
            add_url(&mut item, "https://www.paypal.com");
            &["name", "login", "password"]
        }
        "SECURENOTE" => {
            item.item_type = "note".into();
            item.title = o.s(&["title"]);
            item.notes = o.s(&["content"]);
            &["title", "content", "category", "secured", "type"]
        }
        "IDENTITY"
        | "ADDRESS"
        | "EMAIL"
        | "PHONE"
        | "COMPANY"
        | "IDCARD"
        | "PASSPORT"
        | "DRIVERLICENCE"
        | "SOCIALSECURITYSTATEMENT"
        | "FISCALSTATEMENT" => identity(kind, o, &mut item),
        _ => {
            // BANKSTATEMENT, PERSONALWEBSITE and anything newer: a note.
            item.item_type = "note".into();
            item.title = o.s(&["title", "name", "BankAccountName", "personalNote"]);
            add_url(&mut item, &o.s(&["website"]));
            let hidden_bank = ["BankAccountIBAN", "BankAccountNumber"];
            for key in hidden_bank {
                add_field(&mut item, key, &o.s(&[key]), true);
            }
            &[
                "title",
                "name",
                "BankAccountName",
                "website",
                "BankAccountIBAN",
                "BankAccountNumber",
            ]
        }
    };
    o.rest(&mut item, used);
    item
}

/// The identity-like types; returns the members it used.
fn identity(kind: &str, o: &Obj<'_>, item: &mut Item) -> &'static [&'static str] {
    item.item_type = "identity".into();
    let id = item.identity.get_or_insert_with(Default::default);
    match kind {
        "IDENTITY" => {
            let full = o.s(&["fullName"]);
            (id.first_name, id.middle_name, id.last_name) = split_name(&full);
            for (slot, key) in [
                (&mut id.first_name, "firstName"),
                (&mut id.middle_name, "middleName"),
                (&mut id.last_name, "lastName"),
            ] {
                let v = o.s(&[key]);
                if !v.is_empty() {
                    *slot = v;
                }
            }
            item.title = Some(full).filter(|f| !f.is_empty()).unwrap_or_else(|| {
                format!("{} {}", id.first_name, id.last_name)
                    .trim()
                    .to_string()
            });
            add_field(item, "username", &o.s(&["pseudo"]), false);
            &["fullName", "firstName", "middleName", "lastName", "pseudo"]
        }
        "ADDRESS" => {
            item.title = o.s(&["addressName"]);
            id.address1 = o.s(&["addressFull", "streetName"]);
            id.city = o.s(&["city"]);
            id.state = o.s(&["state"]);
            id.zip = o.s(&["zipcode", "zipCode"]);
            id.country = o.s(&["country"]);
            &[
                "addressName",
                "addressFull",
                "streetName",
                "city",
                "state",
                "zipcode",
                "zipCode",
                "country",
            ]
        }
        "EMAIL" => {
            item.title = o.s(&["emailName"]);
            id.email = o.s(&["email"]);
            &["emailName", "email"]
        }
        "PHONE" => {
            item.title = o.s(&["phoneName"]);
            id.phone = o.s(&["number"]);
            &["phoneName", "number"]
        }
        "COMPANY" => {
            id.company = o.s(&["name"]);
            item.title = id.company.clone();
            &["name"]
        }
        _ => {
            let name = o.s(&["fullname", "name"]);
            (id.first_name, id.middle_name, id.last_name) = split_name(&name);
            let number = o.s(&["number"]);
            let label = match kind {
                "PASSPORT" => {
                    id.passport = number;
                    "Passport"
                }
                "DRIVERLICENCE" => {
                    id.license = number;
                    "Driver's license"
                }
                "SOCIALSECURITYSTATEMENT" => {
                    id.ssn = o.s(&["socialSecurityNumber", "number"]);
                    "Social security"
                }
                "FISCALSTATEMENT" => {
                    add_field(item, "tax number", &o.s(&["fiscalNumber", "number"]), true);
                    "Tax number"
                }
                _ => {
                    add_field(item, "ID card number", &number, true);
                    "ID card"
                }
            };
            item.title = if name.is_empty() {
                label.to_string()
            } else {
                format!("{label}: {name}")
            };
            &[
                "fullname",
                "name",
                "number",
                "socialSecurityNumber",
                "fiscalNumber",
            ]
        }
    }
}
