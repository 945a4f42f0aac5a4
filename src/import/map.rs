//! Normalized items ↔ entries, through FIELD_SPEC (the only source of tiers).
//!
//! Item → entry: the item's username, e-mail, password, TOTP, card,
//! identity and `typed` values go to the FIELD_SPEC fields of its type with
//! that name. A value whose name the type does not have (a password on a
//! card, say) becomes a custom field labelled like the FIELD_SPEC field,
//! in the strictest tier FIELD_SPEC gives that name anywhere (so a card
//! number stays L3 wherever it lands). The item's own custom fields become
//! `custom_1`, `custom_2`, … with their label: hidden → L2, else L1.
//! L2 values are sealed with K2 and L3 with K3 for their final entry id.
//!
//! Entry → item (export) is the inverse; `custom_*` and other unknown field
//! names come back as custom fields (hidden unless L1).

use serde::Deserialize;
use serde_json::{json, Value};

use super::{Card, CustomField, Identity, Item};
use crate::crypto::seal::{self, field_aad, Tier};
use crate::crypto::Key32;
use crate::entry::EntryInput;
use crate::fieldspec::{self, Kind, TypeDef};
use crate::ids::{EntryId, VaultId};

/// A field before sealing.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainField {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    pub tier: Tier,
    pub value: String,
}

/// The keys L2/L3 values are sealed with, and the vault they bind to.
pub struct SealKeys<'a> {
    pub vault_id: &'a str,
    pub k2: &'a Key32,
    pub k3: &'a Key32,
}

const CARD: [&str; 6] = ["cardholder", "brand", "number", "expiry", "cvv", "pin"];
const IDENTITY: [&str; 15] = [
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "phone",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "country",
    "company",
    "ssn",
    "passport",
    "license",
];

/// The creatable type of an item, or why not.
pub fn item_type(item: &Item) -> Result<&'static TypeDef, String> {
    fieldspec::entry_type(&item.item_type)
        .filter(|t| !t.system)
        .ok_or_else(|| {
            let names: Vec<_> = fieldspec::user_type_names().collect();
            format!(
                "type {:?} is not one of {}",
                item.item_type.chars().take(40).collect::<String>(),
                names.join(", ")
            )
        })
}

/// Fits a parsed item to its FIELD_SPEC type, for every importer (the
/// pipeline calls it after `normalize`): a type FIELD_SPEC does not offer
/// becomes a note; an identity's top-level e-mail is its identity e-mail;
/// a username, e-mail, password, TOTP or `typed` value the type has no
/// field for becomes a custom field with FIELD_SPEC's label (hidden unless
/// L1), so the item shows what it will store. L3 values (a card number on
/// a note, a private key) stay where they are: [`plain_fields`] keeps them
/// L3 as custom fields, which a hidden custom field (L2) would not.
pub fn fit_type(item: &mut Item) {
    let def = match item_type(item) {
        Ok(def) => def,
        Err(_) => {
            item.item_type = "note".into();
            match item_type(item) {
                Ok(def) => def,
                Err(_) => return,
            }
        }
    };
    // An empty card or identity on another type is nothing to keep.
    if item.card.as_ref().is_some_and(|c| *c == Card::default()) && item.item_type != "card" {
        item.card = None;
    }
    if item
        .identity
        .as_ref()
        .is_some_and(|i| *i == Identity::default())
        && item.item_type != "identity"
    {
        item.identity = None;
    }
    if item.item_type == "identity" {
        let identity = item.identity.get_or_insert_with(Default::default);
        if identity.email.is_empty() {
            identity.email = std::mem::take(&mut item.email);
        } else if identity.email == item.email {
            item.email.clear();
        }
    }
    for name in ["username", "email", "password", "totp"] {
        if def.field(name).is_some() || spec_tier(name) == Tier::L3 {
            continue;
        }
        let slot = match name {
            "username" => &mut item.username,
            "email" => &mut item.email,
            "password" => &mut item.password,
            _ => &mut item.totp,
        };
        let value = std::mem::take(slot);
        to_custom(item, name, value);
    }
    let stray: Vec<String> = item
        .typed
        .keys()
        .filter(|k| def.field(k).is_none() && spec_tier(k) != Tier::L3)
        .cloned()
        .collect();
    for key in stray {
        if let Some(value) = item.typed.remove(&key) {
            to_custom(item, &key, value);
        }
    }
}

fn spec_tier(name: &str) -> Tier {
    spec_anywhere(name).map_or(Tier::L1, |(tier, _, _)| tier)
}

/// `value` as a custom field labelled as FIELD_SPEC labels `name`
/// (unless blank, or already there under that label).
fn to_custom(item: &mut Item, name: &str, value: String) {
    if value.trim().is_empty() {
        return;
    }
    let (tier, label) = spec_anywhere(name).map_or((Tier::L1, name), |(t, l, _)| (t, l));
    let label = if label.is_empty() { name } else { label };
    if item
        .fields
        .iter()
        .any(|f| f.value == value && f.label.eq_ignore_ascii_case(label))
    {
        return;
    }
    item.fields.push(CustomField {
        label: label.into(),
        value,
        hidden: tier != Tier::L1,
    });
}

/// The strictest tier and a label/kind FIELD_SPEC gives `name` in any type.
fn spec_anywhere(name: &str) -> Option<(Tier, &'static str, Kind)> {
    let rank = |t: Tier| match t {
        Tier::L1 => 0,
        Tier::L2 => 1,
        Tier::L3 => 2,
    };
    fieldspec::TYPES
        .iter()
        .filter(|t| !t.system)
        .filter_map(|t| t.field(name))
        .max_by_key(|f| rank(f.tier))
        .map(|f| (f.tier, f.label, f.kind))
}

fn card_pairs(c: &Card) -> [(&'static str, &str); 6] {
    [
        ("cardholder", &c.cardholder),
        ("brand", &c.brand),
        ("number", &c.number),
        ("expiry", &c.expiry),
        ("cvv", &c.cvv),
        ("pin", &c.pin),
    ]
}

fn identity_pairs(i: &Identity) -> [(&'static str, &str); 15] {
    [
        ("first_name", &i.first_name),
        ("middle_name", &i.middle_name),
        ("last_name", &i.last_name),
        ("email", &i.email),
        ("phone", &i.phone),
        ("address1", &i.address1),
        ("address2", &i.address2),
        ("city", &i.city),
        ("state", &i.state),
        ("zip", &i.zip),
        ("country", &i.country),
        ("company", &i.company),
        ("ssn", &i.ssn),
        ("passport", &i.passport),
        ("license", &i.license),
    ]
}

/// The item's fields, in FIELD_SPEC order then custom fields, unsealed.
pub fn plain_fields(item: &Item) -> Result<(&'static TypeDef, Vec<PlainField>), String> {
    let def = item_type(item)?;
    let mut named: Vec<(&str, &str)> = vec![
        ("username", &item.username),
        ("email", &item.email),
        ("password", &item.password),
        ("totp", &item.totp),
    ];
    if let Some(c) = &item.card {
        named.extend(card_pairs(c));
    }
    if let Some(i) = &item.identity {
        named.extend(identity_pairs(i));
    }
    named.extend(item.typed.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut known: Vec<PlainField> = Vec::new();
    let mut custom: Vec<PlainField> = Vec::new();
    for (name, value) in named.into_iter().filter(|(_, v)| !v.is_empty()) {
        match def.field(name) {
            Some(f) if !known.iter().any(|k| k.name == name) => known.push(PlainField {
                name: name.into(),
                label: f.label.into(),
                kind: f.kind,
                tier: f.tier,
                value: value.into(),
            }),
            _ => {
                let (tier, label, kind) =
                    spec_anywhere(name).unwrap_or((Tier::L1, "", custom_kind(false, value)));
                let label = if label.is_empty() { name } else { label };
                custom.push(PlainField {
                    name: String::new(),
                    label: label.into(),
                    kind,
                    tier,
                    value: value.into(),
                });
            }
        }
    }
    known.sort_by_key(|f| def.fields.iter().position(|d| d.name == f.name));
    for f in &item.fields {
        custom.push(PlainField {
            name: String::new(),
            label: f.label.clone(),
            kind: custom_kind(f.hidden, &f.value),
            tier: if f.hidden { Tier::L2 } else { Tier::L1 },
            value: f.value.clone(),
        });
    }
    for (i, f) in custom.iter_mut().enumerate() {
        f.name = format!("custom_{}", i + 1);
    }
    known.extend(custom);
    Ok((def, known))
}

fn custom_kind(hidden: bool, value: &str) -> Kind {
    if hidden {
        Kind::Secret
    } else if value.contains('\n') {
        Kind::Multiline
    } else {
        Kind::Text
    }
}

/// The entry as `POST /entries` (and the batch) takes it, with L2/L3 values
/// sealed for `entry_id`.
pub fn entry_json(
    item: &Item,
    entry_id: &str,
    keys: &SealKeys<'_>,
    scopes: &[String],
) -> Result<Value, String> {
    let (def, fields) = plain_fields(item)?;
    let vault = VaultId::parse(keys.vault_id).map_err(|e| format!("vault id: {e}"))?;
    let entry = EntryId::parse(entry_id).map_err(|e| format!("entry id: {e}"))?;
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|f| {
            let value = match f.tier {
                Tier::L1 => f.value,
                t => {
                    let key = if t == Tier::L2 { keys.k2 } else { keys.k3 };
                    let aad = field_aad(&vault, &entry, &f.name, t);
                    seal::seal(key, t, &aad, f.value.as_bytes()).into_string()
                }
            };
            json!({"name": f.name, "label": f.label, "kind": f.kind, "tier": f.tier.as_str(), "value": value})
        })
        .collect();
    Ok(json!({
        "entry_id": entry_id,
        "type": def.name,
        "title": item.title,
        "urls": item.urls,
        "notes": item.notes,
        "folder": item.folder,
        "favorite": item.favorite,
        "fields": fields,
        "scopes": scopes,
        "agent_reveal": item.agent_reveal,
        "allowed_hosts": item.allowed_hosts,
    }))
}

/// Runs the server's own validation on an entry body, so a file is
/// refused before anything is uploaded. The message names the part, never
/// a value.
pub fn validate(entry: &Value) -> Result<(), String> {
    let input = EntryInput::deserialize(entry)
        .map_err(|e| format!("cannot form an entry ({})", e.classify_name()))?;
    input
        .validate("", "")
        .map(|_| ())
        .map_err(|e| format!("{}: {}", e.at, e.problem))
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Data => "wrong shape",
            _ => "malformed",
        }
    }
}

/// A decrypted entry (as `GET /entries/{id}` returns it, L2/L3 opened) back
/// into a normalized item.
pub fn item_from_entry(e: &Value) -> Item {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut item = Item {
        item_type: s(&e["type"]),
        title: s(&e["title"]),
        folder: s(&e["folder"]),
        urls: e["urls"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        notes: s(&e["notes"]),
        favorite: e["favorite"].as_bool().unwrap_or(false),
        created_at: e["created_at"].as_str().map(str::to_string),
        updated_at: e["updated_at"].as_str().map(str::to_string),
        source: "clavitor".into(),
        agent_reveal: e["agent_reveal"].as_bool().unwrap_or(false),
        allowed_hosts: e["allowed_hosts"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        ..Default::default()
    };
    let def = fieldspec::entry_type(&item.item_type);
    let mut card = Card::default();
    let mut identity = Identity::default();
    for f in e["fields"].as_array().into_iter().flatten() {
        let (name, value) = (s(&f["name"]), s(&f["value"]));
        let known = def.and_then(|d| d.field(&name)).is_some() && !name.starts_with("custom_");
        let slot: Option<&mut String> = match (known, item.item_type.as_str(), name.as_str()) {
            (false, ..) => None,
            (_, _, "username") => Some(&mut item.username),
            (_, _, "email") if item.item_type != "identity" => Some(&mut item.email),
            (_, _, "password") => Some(&mut item.password),
            (_, _, "totp") => Some(&mut item.totp),
            (_, "card", n) if CARD.contains(&n) => card_slot(&mut card, n),
            (_, "identity", n) if IDENTITY.contains(&n) => identity_slot(&mut identity, n),
            (_, _, n) => {
                item.typed.insert(n.to_string(), value.clone());
                continue;
            }
        };
        match slot {
            Some(slot) => *slot = value,
            None => item.fields.push(CustomField {
                label: f["label"].as_str().map(str::to_string).unwrap_or(name),
                value,
                hidden: f["tier"].as_str() != Some("l1"),
            }),
        }
    }
    if item.item_type == "card" {
        item.card = Some(card);
    }
    if item.item_type == "identity" {
        item.identity = Some(identity);
    }
    item
}

fn card_slot<'a>(c: &'a mut Card, name: &str) -> Option<&'a mut String> {
    Some(match name {
        "cardholder" => &mut c.cardholder,
        "brand" => &mut c.brand,
        "number" => &mut c.number,
        "expiry" => &mut c.expiry,
        "cvv" => &mut c.cvv,
        "pin" => &mut c.pin,
        _ => return None,
    })
}

fn identity_slot<'a>(i: &'a mut Identity, name: &str) -> Option<&'a mut String> {
    Some(match name {
        "first_name" => &mut i.first_name,
        "middle_name" => &mut i.middle_name,
        "last_name" => &mut i.last_name,
        "email" => &mut i.email,
        "phone" => &mut i.phone,
        "address1" => &mut i.address1,
        "address2" => &mut i.address2,
        "city" => &mut i.city,
        "state" => &mut i.state,
        "zip" => &mut i.zip,
        "country" => &mut i.country,
        "company" => &mut i.company,
        "ssn" => &mut i.ssn,
        "passport" => &mut i.passport,
        "license" => &mut i.license,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
