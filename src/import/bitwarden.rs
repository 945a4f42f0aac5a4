//! Bitwarden exports: JSON (personal: `folders` + `items`; organization:
//! `collections` + `items`), the ZIP "with attachments" (its `data.json`),
//! and CSV ([`super::bitwarden_csv`]).
//!
//! Only unencrypted exports can be read: an encrypted one (`"encrypted":
//! true`, password-protected or account-restricted) is refused with a
//! message saying to export again unencrypted. Item types: 1 login,
//! 2 secure note, 3 card, 4 identity, 5 SSH key; anything newer becomes a
//! note keeping title, notes and fields. Items with a `deletedDate` are in
//! the trash and skipped. Organization items take their first collection
//! as folder. Linked custom fields (type 3) point at another field and are
//! dropped; boolean ones (type 2) keep "true"/"false".

use std::collections::HashMap;

use serde::Deserialize;

use super::bitwarden_csv::BitwardenCsv;
use super::detect::json_keys;
use super::lenient::{json_error, opt, Flag, Lenient, Text};
use super::read::{expiry_of, is_zip, text, Sink, Zip};
use super::{Card, Confidence, CustomField, Identity, ImportError, Importer, Input, Item, Parsed};

/// The formats this module parses.
pub static IMPORTERS: &[&dyn Importer] = &[&BitwardenJson, &BitwardenCsv];

/// Bitwarden's JSON export (and the ZIP holding it).
pub struct BitwardenJson;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Export {
    encrypted: Flag,
    password_protected: Flag,
    #[serde(deserialize_with = "opt")]
    folders: Option<Vec<Named>>,
    #[serde(deserialize_with = "opt")]
    collections: Option<Vec<Named>>,
    items: Option<Vec<Lenient<BwItem>>>,
}

/// A folder or collection.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Named {
    id: Text,
    name: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BwItem {
    #[serde(rename = "type")]
    kind: Text,
    name: Text,
    notes: Text,
    favorite: Flag,
    folder_id: Text,
    #[serde(deserialize_with = "opt")]
    collection_ids: Option<Vec<Text>>,
    #[serde(deserialize_with = "opt")]
    fields: Option<Vec<BwField>>,
    #[serde(deserialize_with = "opt")]
    login: Option<Login>,
    #[serde(deserialize_with = "opt")]
    card: Option<BwCard>,
    #[serde(deserialize_with = "opt")]
    identity: Option<BwIdentity>,
    #[serde(deserialize_with = "opt")]
    ssh_key: Option<SshKey>,
    creation_date: Text,
    revision_date: Text,
    deleted_date: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BwField {
    name: Text,
    value: Text,
    #[serde(rename = "type")]
    kind: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Login {
    #[serde(deserialize_with = "opt")]
    uris: Option<Vec<Uri>>,
    username: Text,
    password: Text,
    totp: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Uri {
    uri: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BwCard {
    cardholder_name: Text,
    brand: Text,
    number: Text,
    exp_month: Text,
    exp_year: Text,
    code: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BwIdentity {
    title: Text,
    first_name: Text,
    middle_name: Text,
    last_name: Text,
    address1: Text,
    address2: Text,
    address3: Text,
    city: Text,
    state: Text,
    postal_code: Text,
    country: Text,
    company: Text,
    email: Text,
    phone: Text,
    ssn: Text,
    username: Text,
    passport_number: Text,
    license_number: Text,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SshKey {
    private_key: Text,
    public_key: Text,
    key_fingerprint: Text,
}

impl Importer for BitwardenJson {
    fn name(&self) -> &'static str {
        "bitwarden-json"
    }

    fn detect(&self, input: &Input<'_>) -> Confidence {
        if is_zip(input.bytes) {
            let has = Zip::open(input.name, input.bytes)
                .is_ok_and(|z| z.names().iter().any(|n| n == "data.json"));
            return if has { Confidence::Yes } else { Confidence::No };
        }
        // Proton Pass also writes "encrypted" (next to "vaults"); Bitwarden
        // puts its items in "items", or ciphertext in "data".
        let Some(k) = json_keys(input.bytes) else {
            return Confidence::No;
        };
        let has = |name: &str| k.iter().any(|x| x == name);
        let body = has("items") || has("data");
        match (has("encrypted"), has("folders") || has("collections")) {
            _ if !body || has("vaults") => Confidence::No,
            (true, _) => Confidence::Yes,
            (false, true) => Confidence::Maybe,
            (false, false) => Confidence::No,
        }
    }

    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError> {
        let file = || input.name.to_string();
        let unzipped;
        let bytes = if is_zip(input.bytes) {
            unzipped = Zip::open(input.name, input.bytes)?.read("data.json")?;
            &unzipped[..]
        } else {
            input.bytes
        };
        let text = text(&Input {
            name: input.name,
            bytes,
        })?;
        let export: Export = serde_json::from_str(&text).map_err(|e| ImportError::File {
            file: file(),
            message: format!("not a readable Bitwarden JSON export: {}", json_error(&e)),
        })?;
        if export.encrypted.0 {
            let kind = if export.password_protected.0 {
                "password-protected"
            } else {
                "account-restricted"
            };
            return Err(ImportError::File {
                file: file(),
                message: format!(
                    "this Bitwarden export is encrypted ({kind}); clavitor cannot read it. \
                     In Bitwarden choose Export vault → File format \".json\" (not \".json (Encrypted)\") and import that file"
                ),
            });
        }
        let items = export.items.ok_or_else(|| ImportError::File {
            file: file(),
            message: "not a Bitwarden JSON export: expected an \"items\" array".into(),
        })?;
        let names = |list: Option<Vec<Named>>| -> HashMap<String, String> {
            list.unwrap_or_default()
                .into_iter()
                .map(|n| (n.id.0, n.name.0))
                .collect()
        };
        let folders = names(export.folders);
        let collections = names(export.collections);
        let mut out = Sink::new(input.name, skip_invalid);
        for (i, raw) in items.into_iter().enumerate() {
            let record = format!("item {}", i + 1);
            let bw = match raw.0 {
                Ok(bw) => bw,
                Err(message) => {
                    out.invalid(record, message)?;
                    continue;
                }
            };
            if !bw.deleted_date.0.is_empty() {
                out.skip(record, "in the trash");
                continue;
            }
            let folder = folders.get(&bw.folder_id.0).cloned().or_else(|| {
                let first = bw.collection_ids.as_ref()?.first()?;
                collections.get(&first.0).cloned()
            });
            out.push_record(|| record, to_item(bw, folder.unwrap_or_default()));
        }
        Ok(out.finish())
    }
}

fn to_item(bw: BwItem, folder: String) -> Item {
    let mut item = Item {
        title: bw.name.0,
        notes: bw.notes.0,
        favorite: bw.favorite.0,
        folder,
        created_at: Some(bw.creation_date.0).filter(|s| !s.is_empty()),
        updated_at: Some(bw.revision_date.0).filter(|s| !s.is_empty()),
        source: "bitwarden-json".into(),
        ..Default::default()
    };
    for f in bw.fields.unwrap_or_default() {
        if f.kind.0 == "3" {
            continue;
        }
        item.fields.push(CustomField {
            label: f.name.0,
            value: f.value.0,
            hidden: f.kind.0 == "1",
        });
    }
    item.item_type = match bw.kind.0.as_str() {
        "1" => "login",
        "3" => "card",
        "4" => "identity",
        "5" => "ssh_key",
        _ => "note",
    }
    .into();
    if let Some(l) = bw.login {
        item.urls = l
            .uris
            .unwrap_or_default()
            .into_iter()
            .map(|u| u.uri.0)
            .collect();
        item.username = l.username.0;
        item.password = l.password.0;
        item.totp = l.totp.0;
    }
    if let (Some(c), "card") = (bw.card, item.item_type.as_str()) {
        item.card = Some(Card {
            cardholder: c.cardholder_name.0,
            brand: c.brand.0,
            number: c.number.0,
            expiry: expiry_of(c.exp_month.as_str(), c.exp_year.as_str()),
            cvv: c.code.0,
            pin: String::new(),
        });
    }
    if let (Some(id), "identity") = (bw.identity, item.item_type.as_str()) {
        let mut address2 = id.address2.0;
        if !id.address3.0.is_empty() {
            address2 = [address2, id.address3.0]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
        }
        if !id.title.0.is_empty() {
            item.fields.insert(
                0,
                CustomField {
                    label: "Title".into(),
                    value: id.title.0,
                    hidden: false,
                },
            );
        }
        item.username = id.username.0;
        item.identity = Some(Identity {
            first_name: id.first_name.0,
            middle_name: id.middle_name.0,
            last_name: id.last_name.0,
            email: id.email.0,
            phone: id.phone.0,
            address1: id.address1.0,
            address2,
            city: id.city.0,
            state: id.state.0,
            zip: id.postal_code.0,
            country: id.country.0,
            company: id.company.0,
            ssn: id.ssn.0,
            passport: id.passport_number.0,
            license: id.license_number.0,
        });
    }
    if let (Some(k), "ssh_key") = (bw.ssh_key, item.item_type.as_str()) {
        for (name, v) in [
            ("private_key", k.private_key.0),
            ("public_key", k.public_key.0),
            ("fingerprint", k.key_fingerprint.0),
        ] {
            if !v.is_empty() {
                item.typed.insert(name.into(), v);
            }
        }
    }
    item
}

#[cfg(test)]
#[path = "bitwarden_tests.rs"]
mod tests;
