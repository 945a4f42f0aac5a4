//! Importers: parse other password managers' export files into normalized
//! [`Item`]s (SPEC section 11). Parsing happens in the client (`clavitor
//! import`) or statelessly on the server (`POST /api/v1/import/parse`, for
//! the web UI); either way L2/L3 values are sealed by the client before
//! anything is stored.
//!
//! One module per manager (`import/<manager>.rs`), each implementing
//! [`Importer`]; `clavitor.rs` reads clavitor's own exports back. Shared by
//! all: `read` (the toolkit: decoder, CSV row type, sink, folder paths,
//! ZIP, times), `lenient` (forgiving JSON), `detect` (choosing a
//! format, hints). After parsing, `pipeline` runs `normalize` and `dedup`
//! for every format; `map` turns items into entries through FIELD_SPEC and
//! `classify` picks each entry's scope. Invariant: importers only parse — mapping onto FIELD_SPEC,
//! dedup and scope classification happen once, after parsing, for all of them.

pub mod bitwarden;
pub mod bitwarden_csv;
pub mod chrome;
pub mod classify;
pub mod clavitor;
pub mod dashlane;
pub mod dedup;
pub mod detect;
mod domains;
pub mod enpass;
pub mod firefox;
pub mod keepass;
pub mod keepassxc;
pub mod keeper;
pub mod lastpass;
pub mod lenient;
pub mod map;
pub mod nordpass;
pub mod normalize;
pub mod onepassword;
pub mod pipeline;
pub mod protonpass;
/// The one reading toolkit: decoder, CSV rows, sink, folder paths, ZIP, times.
pub(crate) mod read;
pub mod roboform;
pub mod safari;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A custom field carried over from the source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomField {
    pub label: String,
    pub value: String,
    /// Concealed/hidden in the source: stored as L2.
    pub hidden: bool,
}

/// Payment card details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub cardholder: String,
    pub brand: String,
    pub number: String,
    /// "MM/YYYY" when both parts are known, else what the source had.
    pub expiry: String,
    pub cvv: String,
    pub pin: String,
}

/// Identity details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub address1: String,
    pub address2: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub company: String,
    pub ssn: String,
    pub passport: String,
    pub license: String,
}

/// One normalized item: the SPEC's shape, also the `export --format json` shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// A FIELD_SPEC type name: login, note, card, identity, ssh_key, database, wifi, api_key, software_license, crypto_wallet.
    #[serde(rename = "type")]
    pub item_type: String,
    pub title: String,
    /// Path with `/` separators; empty for none.
    pub folder: String,
    pub urls: Vec<String>,
    pub username: String,
    pub email: String,
    pub password: String,
    /// An `otpauth://` URI (bare secrets are converted).
    pub totp: String,
    pub notes: String,
    pub favorite: bool,
    pub fields: Vec<CustomField>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub card: Option<Card>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity: Option<Identity>,
    /// Other FIELD_SPEC fields of the item's type by field name (e.g.
    /// `private_key` of an ssh_key, `hostname` of a database).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub typed: BTreeMap<String, String>,
    /// RFC 3339, when the source has it.
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The importer that produced it (e.g. "bitwarden-json").
    pub source: String,
    /// Entry document options (SPEC 13), kept by a clavitor export and
    /// re-import; other managers have no such thing.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub agent_reveal: bool,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub allowed_hosts: Vec<String>,
}

/// An export file to parse.
pub struct Input<'a> {
    /// File name as given (for error messages and detection by extension).
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// How sure an importer is that a file is its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    No,
    /// Plausible (e.g. a generic CSV header subset).
    Maybe,
    /// Certain (distinctive header, JSON shape or ZIP contents).
    Yes,
}

/// A file that could not be imported. Messages name the file, the record
/// (line or item index) and what was expected, never a secret value.
#[derive(Debug, Error, PartialEq)]
pub enum ImportError {
    #[error("{file}: {record}: {message}")]
    Record {
        file: String,
        record: String,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
    #[error("{file}: could not recognise this file{}", .hint.as_ref().map(|h| format!("; it looks like {h}")).unwrap_or_default())]
    Unrecognised { file: String, hint: Option<String> },
}

/// One source format.
pub trait Importer: Sync {
    /// Stable name used by `--format` (e.g. "bitwarden-json", "lastpass-csv").
    fn name(&self) -> &'static str;
    /// Whether `input` looks like this format.
    fn detect(&self, input: &Input<'_>) -> Confidence;
    /// Parses every record. With `skip_invalid`, bad records are skipped and
    /// reported in `Parsed::skipped`; otherwise the first one fails the file.
    fn parse(&self, input: &Input<'_>, skip_invalid: bool) -> Result<Parsed, ImportError>;
}

/// What a parse produced.
#[derive(Debug, Default)]
pub struct Parsed {
    pub items: Vec<Item>,
    /// (record, reason) for records left out: trashed items, skipped invalid ones.
    pub skipped: Vec<(String, String)>,
    /// Records the importer folded into another record's item (Dashlane's
    /// personal-info rows of one person), counted as merged.
    pub merged: usize,
    /// What the user should know about records that were imported anyway
    /// (e.g. the lines of rows lacking optional trailing columns).
    pub notes: Vec<String>,
}

/// Every importer, in detection order (most distinctive formats first is
/// not required: detection takes the highest confidence).
pub fn importers() -> Vec<&'static dyn Importer> {
    [
        bitwarden::IMPORTERS,
        onepassword::IMPORTERS,
        protonpass::IMPORTERS,
        lastpass::IMPORTERS,
        dashlane::IMPORTERS,
        keepass::IMPORTERS,
        keepassxc::IMPORTERS,
        nordpass::IMPORTERS,
        keeper::IMPORTERS,
        roboform::IMPORTERS,
        enpass::IMPORTERS,
        safari::IMPORTERS,
        chrome::IMPORTERS,
        firefox::IMPORTERS,
        clavitor::IMPORTERS,
    ]
    .concat()
}
