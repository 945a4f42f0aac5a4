//! One Keeper record, as both export formats describe it, mapped onto a
//! normalized [`Item`]. The CSV and JSON readers only build [`Record`]s;
//! every decision about types and fields lives here and in `fields.rs`.

use serde_json::Value;

use super::fields;
use crate::import::read::{self as sup, item};
use crate::import::{Card, Identity, Item};

/// A Keeper record before mapping.
#[derive(Debug, Default)]
pub(super) struct Record {
    pub title: String,
    pub login: String,
    pub password: String,
    pub login_url: String,
    pub notes: String,
    /// The `$type` of a typed (v3) record; "" for legacy records.
    pub kind: String,
    /// Custom fields in source order: the key as written (`$type:label:1`,
    /// `TFC:Keeper`, a plain label) and its value.
    pub fields: Vec<(String, Value)>,
    /// Folder paths, already `/`-joined; the first one is where the item goes.
    pub folders: Vec<String>,
    /// `last_modified`, seconds or milliseconds since the epoch.
    pub modified: Option<i64>,
}

/// The FIELD_SPEC type for a Keeper record type. Types with no FIELD_SPEC
/// counterpart become a login when they hold credentials, else a note.
fn target(r: &Record) -> &'static str {
    match r.kind.as_str() {
        "bankCard" => "card",
        "sshKeys" => "ssh_key",
        "databaseCredentials" => "database",
        "wifiCredentials" => "wifi",
        "softwareLicense" => "software_license",
        "address" | "contact" | "passport" | "driverLicense" | "ssnCard" | "birthCertificate" => {
            "identity"
        }
        "encryptedNotes" | "file" | "photo" => "note",
        _ if has_credentials(r) => "login",
        _ => "note",
    }
}

fn has_credentials(r: &Record) -> bool {
    !r.login.trim().is_empty()
        || !r.password.trim().is_empty()
        || !r.login_url.trim().is_empty()
        || r.fields.iter().any(|(k, _)| {
            let (t, _) = fields::parse_key(k);
            matches!(t.as_str(), "url" | "oneTimeCode" | "totp")
        })
}

/// Maps a record. `source` is the importer name.
pub(super) fn to_item(r: Record, source: &str) -> Item {
    let kind = target(&r);
    let mut it = item(kind, &r.title, source);
    match kind {
        "card" => it.card = Some(Card::default()),
        "identity" => it.identity = Some(Identity::default()),
        _ => {}
    }
    it.notes = r.notes.trim_end().to_string();
    sup::url(&mut it, &r.login_url);
    place_credentials(&mut it, &r.login, &r.password);
    if let Some(first) = r.folders.first() {
        it.folder = first.clone();
    }
    // Decision: an item lives in one folder; Keeper lets a record sit in
    // several, so the others are kept visible as fields, not dropped.
    for other in r.folders.iter().skip(1) {
        sup::field(&mut it, "Also in Keeper folder", other, false);
    }
    it.updated_at = r.modified.and_then(sup::rfc3339_epoch);
    let mut ctx = fields::Ctx::new(&r.kind);
    for (key, value) in &r.fields {
        fields::apply(&mut it, &mut ctx, key, value);
    }
    it
}

/// Puts the record's login and password where the target type has them,
/// else in custom fields so nothing is lost.
fn place_credentials(it: &mut Item, login: &str, password: &str) {
    let login = login.trim();
    match it.item_type.as_str() {
        "login" | "database" => {
            it.username = login.to_string();
            it.password = password.to_string();
        }
        "wifi" => {
            sup::field(it, "Login", login, false);
            it.password = password.to_string();
        }
        "ssh_key" => {
            sup::field(it, "Username", login, false);
            if !password.is_empty() {
                it.typed.insert("passphrase".into(), password.to_string());
            }
        }
        _ => {
            sup::field(it, "Login", login, false);
            sup::field(it, "Password", password, true);
        }
    }
}
