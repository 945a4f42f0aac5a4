//! LastPass typed secure notes: `extra` holds `NoteType:<type>` then
//! `Key:Value` lines, the last being `Notes:` whose value runs to the end.
//!
//! Mapping (decisions): Credit Card → card; Address, Driver's License,
//! Passport and Social Security → identity (numbers in `license`,
//! `passport`, `ssn`); Database → database; SSH Key → ssh_key; Software
//! License → software_license; Wi-Fi Password → wifi; Server, Email
//! Account and Instant Messenger → login. Bank Account, Membership,
//! insurance and custom types → note with custom fields: bank account
//! numbers, IBANs and PINs are hidden (L2) although LastPass shows them.
//! Dates written `Month,Day,Year` become `YYYY-MM-DD`, `Month,Year` `MM/YYYY`.

use crate::import::read::{
    add_field, expiry_of, fill, looks_secret, month_number, split_name, url as add_url,
};
use crate::import::Item;

/// Where a note key's value goes.
#[derive(Clone, Copy)]
enum Dest {
    Holder,
    Brand,
    Number,
    Cvv,
    Expiry,
    First,
    Middle,
    Last,
    FullName,
    Company,
    Address1,
    Address2,
    City,
    State,
    Zip,
    Country,
    Email,
    Phone,
    Ssn,
    Passport,
    License,
    Username,
    Password,
    Url,
    Typed(&'static str),
    /// Kept as a custom field, hidden.
    Hidden,
}

use Dest::*;

/// Note type, the item type it becomes, and where each key goes.
type NoteRules = (&'static str, &'static str, &'static [(&'static str, Dest)]);

const TYPES: &[NoteRules] = &[
    (
        "Credit Card",
        "card",
        &[
            ("Name on Card", Holder),
            ("Type", Brand),
            ("Number", Number),
            ("Security Code", Cvv),
            ("Expiration Date", Expiry),
        ],
    ),
    (
        "Address",
        "identity",
        &[
            ("First Name", First),
            ("Middle Name", Middle),
            ("Last Name", Last),
            ("Company", Company),
            ("Address 1", Address1),
            ("Address 2", Address2),
            ("Address 3", Address2),
            ("City / Town", City),
            ("State", State),
            ("Zip / Postal Code", Zip),
            ("Country", Country),
            ("Email Address", Email),
            ("Phone", Phone),
        ],
    ),
    (
        "Driver's License",
        "identity",
        &[
            ("Number", License),
            ("Name", FullName),
            ("Address", Address1),
            ("City / Town", City),
            ("State", State),
            ("ZIP / Postal Code", Zip),
            ("Country", Country),
        ],
    ),
    (
        "Passport",
        "identity",
        &[
            ("Number", Passport),
            ("Name", FullName),
            ("Country", Country),
        ],
    ),
    (
        "Social Security",
        "identity",
        &[("Number", Ssn), ("Name", FullName)],
    ),
    (
        "Database",
        "database",
        &[
            ("Type", Typed("db_type")),
            ("Hostname", Typed("hostname")),
            ("Port", Typed("port")),
            ("Database", Typed("database")),
            ("Username", Username),
            ("Password", Password),
        ],
    ),
    (
        "Server",
        "login",
        &[
            ("Hostname", Url),
            ("Username", Username),
            ("Password", Password),
        ],
    ),
    (
        "SSH Key",
        "ssh_key",
        &[
            ("Private Key", Typed("private_key")),
            ("Public Key", Typed("public_key")),
            ("Passphrase", Typed("passphrase")),
            ("Format", Typed("key_type")),
        ],
    ),
    (
        "Software License",
        "software_license",
        &[
            ("License Key", Typed("license_key")),
            ("Version", Typed("version")),
            ("Publisher", Typed("publisher")),
            ("Purchase Date", Typed("purchase_date")),
            ("Website", Url),
        ],
    ),
    (
        "Wi-Fi Password",
        "wifi",
        &[
            ("SSID", Typed("ssid")),
            ("Password", Password),
            ("Authentication", Typed("security")),
        ],
    ),
    (
        "Email Account",
        "login",
        &[("Username", Username), ("Password", Password)],
    ),
    (
        "Instant Messenger",
        "login",
        &[("Username", Username), ("Password", Password)],
    ),
    (
        "Bank Account",
        "note",
        &[
            ("Account Number", Hidden),
            ("IBAN Number", Hidden),
            ("Pin", Hidden),
        ],
    ),
    (
        "Membership",
        "note",
        &[("Website", Url), ("Password", Hidden)],
    ),
];

/// Fills `item` (a note) from a secure note's `extra` text.
pub(super) fn apply(item: &mut Item, extra: &str) {
    let Some(rest) = extra.strip_prefix("NoteType:") else {
        item.notes = extra.to_string();
        return;
    };
    let (note_type, body) = rest.split_once('\n').unwrap_or((rest, ""));
    let note_type = note_type.trim_end_matches('\r').trim();
    let known = TYPES.iter().find(|t| t.0 == note_type);
    if let Some((_, item_type, _)) = known {
        item.item_type = item_type.to_string();
    }
    let rules: &[(&str, Dest)] = known.map_or(&[], |t| t.2);
    for (key, value) in pairs(body) {
        if key == "Notes" {
            item.notes = value;
            continue;
        }
        if key == "Language" {
            continue; // the note form's locale, not user data
        }
        let value = date(&value);
        let dest = rules.iter().find(|(k, _)| *k == key).map(|(_, d)| *d);
        let placed = match dest {
            Some(Hidden) => false,
            Some(dest) => place(item, dest, &value),
            None => false,
        };
        if !placed {
            let hidden = matches!(dest, Some(Hidden)) || looks_secret(&key);
            add_field(item, &key, &value, hidden);
        }
    }
}

/// Splits `Key:Value` lines. A line starts a new pair when it looks like
/// `Key:` with a short key of words; other lines continue the previous
/// value (multi-line addresses, keys). `Notes:` takes the rest verbatim.
fn pairs(body: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut lines = body.split('\n');
    while let Some(line) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        // Inside a PEM block, `Proc-Type: …` header lines are key text.
        let in_pem = out
            .last()
            .is_some_and(|(_, v)| v.contains("-----BEGIN") && !v.contains("-----END"));
        match line.split_once(':').filter(|_| !in_pem) {
            Some(("Notes", first)) => {
                let rest: Vec<&str> = lines.by_ref().collect();
                let mut notes = first.to_string();
                for r in rest {
                    notes.push('\n');
                    notes.push_str(r);
                }
                out.push(("Notes".into(), notes));
                break;
            }
            Some((key, value)) if is_key(key) => out.push((key.to_string(), value.to_string())),
            _ => match out.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line);
                }
                None if !line.trim().is_empty() => out.push(("Text".into(), line.to_string())),
                None => {}
            },
        }
    }
    out
}

fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 40
        && !key.starts_with(' ')
        && !key.starts_with('-')
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || " /'._-()&".contains(c))
}

/// LastPass date pickers: `Month,Day,Year` → `YYYY-MM-DD`, `Month,Year` →
/// `MM/YYYY`; a picker left blank (`,` or `,,`) → "". Other text unchanged.
fn date(value: &str) -> String {
    let parts: Vec<&str> = value.split(',').map(str::trim).collect();
    let month_ok = |m: &str| m.is_empty() || month_number(m).is_some() && m.parse::<u32>().is_err();
    let year_ok = |y: &str| y.is_empty() || y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [m, y] if month_ok(m) && year_ok(y) => expiry_of(m, y),
        [m, d, y]
            if month_ok(m)
                && year_ok(y)
                && d.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d)) =>
        {
            match month_number(m) {
                Some(m) if !y.is_empty() => {
                    format!("{y}-{m:02}-{:02}", d.parse::<u32>().unwrap_or(1))
                }
                _ => value.to_string(),
            }
        }
        [m, d, y] if m.is_empty() && d.is_empty() && y.is_empty() => String::new(),
        _ => value.to_string(),
    }
}

/// LastPass stores address-form phones as JSON (`{"num":"…","cc3l":"USA"}`).
fn phone(value: &str) -> String {
    if value.trim_start().starts_with('{') {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(value) {
            if let Some(num) = json.get("num").and_then(|n| n.as_str()) {
                return num.to_string();
            }
        }
    }
    value.to_string()
}

/// Stores a value; false when the destination already holds another value.
fn place(item: &mut Item, dest: Dest, value: &str) -> bool {
    match dest {
        Username => return fill(&mut item.username, value),
        Password => return fill(&mut item.password, value),
        Url => {
            add_url(item, value);
            return true;
        }
        Typed(key) => return fill(item.typed.entry(key.to_string()).or_default(), value),
        Holder | Brand | Number | Cvv | Expiry => {
            let card = item.card.get_or_insert_with(Default::default);
            let slot = match dest {
                Holder => &mut card.cardholder,
                Brand => &mut card.brand,
                Number => &mut card.number,
                Cvv => &mut card.cvv,
                _ => &mut card.expiry,
            };
            return fill(slot, value);
        }
        _ => {}
    }
    let id = item.identity.get_or_insert_with(Default::default);
    let slot = match dest {
        FullName => {
            if !id.first_name.is_empty() || !id.last_name.is_empty() {
                return false;
            }
            (id.first_name, id.middle_name, id.last_name) = split_name(value);
            return true;
        }
        Phone => return fill(&mut id.phone, &phone(value)),
        Address2 if !id.address2.is_empty() && !value.trim().is_empty() => {
            id.address2 = format!("{}, {value}", id.address2);
            return true;
        }
        First => &mut id.first_name,
        Middle => &mut id.middle_name,
        Last => &mut id.last_name,
        Company => &mut id.company,
        Address1 => &mut id.address1,
        Address2 => &mut id.address2,
        City => &mut id.city,
        State => &mut id.state,
        Zip => &mut id.zip,
        Country => &mut id.country,
        Email => &mut id.email,
        Ssn => &mut id.ssn,
        Passport => &mut id.passport,
        _ => &mut id.license,
    };
    fill(slot, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_normalise_and_blank_pickers_vanish() {
        assert_eq!(date("September,22,2890"), "2890-09-22");
        assert_eq!(date("June,2020"), "06/2020");
        assert_eq!(date(","), "");
        assert_eq!(
            date("1 Main Street, Bree, Bree-hill, Eriador"),
            "1 Main Street, Bree, Bree-hill, Eriador"
        );
        assert_eq!(date("12,34"), "12,34");
    }

    #[test]
    fn continuation_lines_join_the_previous_value() {
        let p = pairs("Private Key:-----BEGIN KEY-----\nProc-Type: 4,ENCRYPTED\nabc\n-----END KEY-----\nNotes:x\ny:z");
        assert_eq!(p[0].0, "Private Key");
        assert_eq!(
            p[0].1,
            "-----BEGIN KEY-----\nProc-Type: 4,ENCRYPTED\nabc\n-----END KEY-----"
        );
        assert_eq!(p[1], ("Notes".to_string(), "x\ny:z".to_string()));
    }

    #[test]
    fn address_phones_unwrap_json() {
        assert_eq!(
            phone(r#"{"num":"5551234","ext":"","cc3l":"USA"}"#),
            "5551234"
        );
        assert_eq!(phone("555"), "555");
    }
}
