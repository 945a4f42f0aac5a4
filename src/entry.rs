//! The entry document (the plaintext of an entry's L1 blob) and its
//! validation against FIELD_SPEC. Values of L2/L3 fields arrive sealed by
//! the client; this module checks their shape, never their content.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::crypto::seal::{self, Tier};
use crate::fieldspec::{self, Kind};
use crate::ids::ScopeId;

const MAX_TITLE: usize = 1024;
const MAX_TEXT: usize = 256 * 1024;
const MAX_FIELDS: usize = 256;
const MAX_URLS: usize = 64;
const MAX_TAGS: usize = 64;
const MAX_SCOPES: usize = 64;

/// An entry as a client sends it (create, replace, batch).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    /// Required on create: chosen by the client because L2/L3 AADs bind to it.
    #[serde(default)]
    pub entry_id: Option<String>,
    #[serde(rename = "type")]
    pub entry_type: String,
    pub title: String,
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub folder: String,
    #[serde(default)]
    pub favorite: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: Vec<FieldInput>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The owner lets agents' raw-value tools (`clavitor mcp`'s
    /// `reveal_secret`) return this entry's values (SPEC 13).
    #[serde(default)]
    pub agent_reveal: bool,
    /// Hosts a reference to this entry may be sent to, besides the hosts
    /// of its URLs (SPEC 13: brokered requests and the proxy).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

/// A field as a client sends it; label, kind and tier default from FIELD_SPEC.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub kind: Option<Kind>,
    #[serde(default)]
    pub tier: Option<String>,
    pub value: String,
}

/// The sealed document. Timestamps are RFC 3339. `F` is the field type:
/// [`Field`] in what is stored and what the owner gets, [`AgentField`] in
/// what an agent gets ([`AgentDocument`]), which has no place for L3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Document<F = Field> {
    #[serde(rename = "type")]
    pub entry_type: String,
    pub title: String,
    pub urls: Vec<String>,
    pub notes: String,
    pub folder: String,
    pub favorite: bool,
    pub tags: Vec<String>,
    pub fields: Vec<F>,
    pub created_at: String,
    pub updated_at: String,
    /// Entry document options (SPEC 13); absent in documents that predate
    /// them, and left out when at their default so those stay byte-equal.
    #[serde(default, skip_serializing_if = "is_false")]
    pub agent_reveal: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_hosts: Vec<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An entry document as an agent may receive it: the same shape, without
/// its L3 fields (not even as ciphertext), by construction.
pub type AgentDocument = Document<AgentField>;

impl Document {
    /// The document an agent may receive: every L3 field left out.
    pub fn for_agent(self) -> AgentDocument {
        Document {
            entry_type: self.entry_type,
            title: self.title,
            urls: self.urls,
            notes: self.notes,
            folder: self.folder,
            favorite: self.favorite,
            tags: self.tags,
            fields: self.fields.into_iter().filter_map(AgentField::of).collect(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            agent_reveal: self.agent_reveal,
            allowed_hosts: self.allowed_hosts,
        }
    }
}

impl<F> Document<F> {
    /// Whether a reference to this entry may be resolved for a request to
    /// `host`: one of its URLs' hosts, or one of its `allowed_hosts`
    /// (`*.example.com` also matches any subdomain). Case-insensitive; a
    /// port on either side is ignored.
    pub fn allows_host(&self, host: &str) -> bool {
        let want = bare_host(host);
        if want.is_empty() {
            return false;
        }
        let by_url = self.urls.iter().any(|u| url_host(u) == want);
        by_url
            || self.allowed_hosts.iter().any(|pattern| {
                let p = bare_host(pattern);
                match p.strip_prefix("*.") {
                    Some(suffix) => {
                        want.len() > suffix.len() + 1 && want.ends_with(&format!(".{suffix}"))
                    }
                    None => p == want,
                }
            })
    }
}

/// The host of a URL (`https://user@Host:8443/path` → `host`), lower-case;
/// a bare `host/path` counts too. Empty when there is none.
pub fn url_host(url: &str) -> String {
    let rest = url.trim();
    let rest = rest.split_once("://").map_or(rest, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    bare_host(authority)
}

/// `Host:port` or `[v6]:port` → lower-case host without port or brackets.
pub fn bare_host(h: &str) -> String {
    let h = h.trim();
    let h = if let Some(v6) = h.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else if h.matches(':').count() == 1 {
        h.split(':').next().unwrap_or_default()
    } else {
        h
    };
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// An `allowed_hosts` item: a host name or address, optionally `*.` in front.
fn check_host_pattern(at: &str, p: &str) -> Result<(), EntryError> {
    let body = p.strip_prefix("*.").unwrap_or(p);
    let ok = !body.is_empty()
        && p.len() <= 253
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if ok {
        Ok(())
    } else {
        Err(err(
            at,
            format!(
                "expected a host name such as api.example.com or *.example.com, got {}",
                clip(p)
            ),
        ))
    }
}

/// One field of a stored document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    pub tier: Tier,
    pub value: String,
}

/// The tiers an agent may receive. There is no L3 here: an [`AgentField`]
/// cannot hold an owner-only value.
///
/// ```compile_fail
/// let _ = clavitor::entry::AgentTier::L3; // no such variant
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentTier {
    L1,
    L2,
}

/// A field as an agent receives it; serializes exactly like [`Field`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentField {
    pub name: String,
    pub label: String,
    pub kind: Kind,
    pub tier: AgentTier,
    pub value: String,
}

impl AgentField {
    /// The field for an agent; `None` for an L3 field.
    pub fn of(f: Field) -> Option<AgentField> {
        let tier = match f.tier {
            Tier::L1 => AgentTier::L1,
            Tier::L2 => AgentTier::L2,
            Tier::L3 => return None,
        };
        Some(AgentField {
            name: f.name,
            label: f.label,
            kind: f.kind,
            tier,
            value: f.value,
        })
    }
}

/// What is wrong with an entry, naming the offending part.
#[derive(Debug, Error, PartialEq)]
#[error("{at}: {problem}")]
pub struct EntryError {
    /// JSON path of the bad value, e.g. `fields[2].value`.
    pub at: String,
    pub problem: String,
}

fn err(at: impl Into<String>, problem: impl Into<String>) -> EntryError {
    EntryError {
        at: at.into(),
        problem: problem.into(),
    }
}

/// A validated entry ready to seal.
#[derive(Debug)]
pub struct ValidEntry {
    pub doc: Document,
    pub scopes: Vec<ScopeId>,
}

impl EntryInput {
    /// Checks the entry against FIELD_SPEC and the size limits. `now` is RFC 3339;
    /// `created_at` is kept from the existing entry on replace.
    pub fn validate(self, created_at: &str, now: &str) -> Result<ValidEntry, EntryError> {
        let def = fieldspec::entry_type(&self.entry_type)
            .filter(|t| !t.system)
            .ok_or_else(|| {
                let allowed: Vec<_> = fieldspec::user_type_names().collect();
                err(
                    "type",
                    format!(
                        "expected one of {}, got {}",
                        allowed.join(", "),
                        clip(&self.entry_type)
                    ),
                )
            })?;
        let title = self.title.trim();
        if title.is_empty() {
            return Err(err("title", "must not be empty"));
        }
        check_len("title", title, MAX_TITLE)?;
        check_len("notes", &self.notes, MAX_TEXT)?;
        check_len("folder", &self.folder, MAX_TITLE)?;
        check_list("urls", &self.urls, MAX_URLS, MAX_TEXT)?;
        check_list("tags", &self.tags, MAX_TAGS, MAX_TITLE)?;
        if self.fields.len() > MAX_FIELDS {
            return Err(err(
                "fields",
                format!("at most {MAX_FIELDS} fields, got {}", self.fields.len()),
            ));
        }
        let scopes = parse_scopes(&self.scopes)?;
        if self.allowed_hosts.len() > MAX_URLS {
            return Err(err(
                "allowed_hosts",
                format!("at most {MAX_URLS} hosts, got {}", self.allowed_hosts.len()),
            ));
        }
        for (i, h) in self.allowed_hosts.iter().enumerate() {
            check_host_pattern(&format!("allowed_hosts[{i}]"), h)?;
        }
        let allowed_hosts = self
            .allowed_hosts
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();

        let mut fields = Vec::with_capacity(self.fields.len());
        for (i, input) in self.fields.into_iter().enumerate() {
            let at = format!("fields[{i}]");
            if fields.iter().any(|f: &Field| f.name == input.name) {
                return Err(err(
                    format!("{at}.name"),
                    format!("duplicate field name ({})", clip(&input.name)),
                ));
            }
            fields.push(validate_field(def, input, &at)?);
        }
        let doc = Document {
            entry_type: self.entry_type,
            title: title.to_string(),
            urls: self.urls,
            notes: self.notes,
            folder: self.folder,
            favorite: self.favorite,
            tags: self.tags,
            fields,
            created_at: created_at.to_string(),
            updated_at: now.to_string(),
            agent_reveal: self.agent_reveal,
            allowed_hosts,
        };
        Ok(ValidEntry { doc, scopes })
    }
}

fn validate_field(
    def: &fieldspec::TypeDef,
    input: FieldInput,
    at: &str,
) -> Result<Field, EntryError> {
    let name_ok = !input.name.is_empty()
        && input.name.len() <= 64
        && input
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(err(
            format!("{at}.name"),
            format!(
                "expected 1-64 characters a-z, 0-9 or _, got {}",
                clip(&input.name)
            ),
        ));
    }
    let asked = match &input.tier {
        Some(t) => Some(Tier::parse(t).ok_or_else(|| {
            err(
                format!("{at}.tier"),
                format!("expected l1, l2 or l3, got {}", clip(t)),
            )
        })?),
        None => None,
    };
    let (label, kind, tier) = match def.field(&input.name) {
        Some(known) => {
            if let Some(t) = asked.filter(|t| *t != known.tier) {
                return Err(err(
                    format!("{at}.tier"),
                    format!(
                        "FIELD_SPEC puts {}.{} in {}, got {}",
                        def.name,
                        known.name,
                        known.tier.as_str(),
                        t.as_str()
                    ),
                ));
            }
            (
                input.label.unwrap_or_else(|| known.label.to_string()),
                input.kind.unwrap_or(known.kind),
                known.tier,
            )
        }
        // Custom fields: the client says how sensitive they are (importers map
        // concealed/hidden to L2); plain text otherwise.
        None => (
            input.label.unwrap_or_else(|| input.name.clone()),
            input.kind.unwrap_or(Kind::Text),
            asked.unwrap_or(Tier::L1),
        ),
    };
    check_len(&format!("{at}.label"), &label, MAX_TITLE)?;
    check_len(&format!("{at}.value"), &input.value, MAX_TEXT)?;
    if tier != Tier::L1 {
        match seal::sealed_tier(&input.value) {
            Ok(t) if t == tier => {}
            Ok(t) => {
                return Err(err(format!("{at}.value"), format!("expected a value sealed for {}, got one sealed for {}", tier.as_str(), t.as_str())))
            }
            Err(_) => {
                return Err(err(
                    format!("{at}.value"),
                    format!("{} fields must be sealed by the client (cv1.{}.<base64url>); got plaintext or a malformed value", tier.as_str(), tier.as_str()),
                ))
            }
        }
    }
    Ok(Field {
        name: input.name,
        label,
        kind,
        tier,
        value: input.value,
    })
}

/// Parses scope ids, keeping order and dropping duplicates.
pub fn parse_scopes(raw: &[String]) -> Result<Vec<ScopeId>, EntryError> {
    if raw.len() > MAX_SCOPES {
        return Err(err(
            "scopes",
            format!("at most {MAX_SCOPES} scopes, got {}", raw.len()),
        ));
    }
    let mut out: Vec<ScopeId> = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let id = ScopeId::parse(s).map_err(|e| err(format!("scopes[{i}]"), e.to_string()))?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Scope ids as stored in the plaintext column: comma-separated.
pub fn scopes_column(scopes: &[ScopeId]) -> String {
    scopes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The stored column back into ids; unparsable parts are dropped (the column is ours).
pub fn scopes_from_column(col: &str) -> Vec<ScopeId> {
    col.split(',')
        .filter_map(|s| ScopeId::parse(s).ok())
        .collect()
}

fn check_len(at: &str, s: &str, max: usize) -> Result<(), EntryError> {
    if s.len() > max {
        return Err(err(at, format!("at most {max} bytes, got {}", s.len())));
    }
    Ok(())
}

fn check_list(
    at: &str,
    items: &[String],
    max_items: usize,
    max_len: usize,
) -> Result<(), EntryError> {
    if items.len() > max_items {
        return Err(err(
            at,
            format!("at most {max_items} items, got {}", items.len()),
        ));
    }
    for (i, s) in items.iter().enumerate() {
        check_len(&format!("{at}[{i}]"), s, max_len)?;
    }
    Ok(())
}

/// Describes a rejected value without repeating it: it may be a secret sent in the wrong place.
pub(crate) fn clip(s: &str) -> String {
    format!("a value of {} characters", s.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> EntryInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn destination_hosts_come_from_urls_and_allowed_hosts() {
        let valid = input(
            r#"{"type":"note","title":"t","urls":["https://User@API.Example.com:8443/v1?x=1"],
                "allowed_hosts":["uploads.example.net","*.Corp.example"]}"#,
        )
        .validate("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
        .unwrap();
        let doc = valid.doc;
        assert_eq!(doc.allowed_hosts, ["uploads.example.net", "*.corp.example"]);
        for ok in [
            "api.example.com",
            "API.example.com:443",
            "uploads.example.net",
            "a.corp.example",
            "x.y.corp.example",
        ] {
            assert!(doc.allows_host(ok), "{ok}");
        }
        for no in [
            "example.com",
            "evil.com",
            "corp.example",
            "api.example.com.evil.com",
            "",
            "xcorp.example",
        ] {
            assert!(!doc.allows_host(no), "{no}");
        }
        assert!(!doc.agent_reveal);
    }

    #[test]
    fn document_options_default_off_and_old_documents_stay_byte_equal() {
        let old = r#"{"type":"note","title":"t","urls":[],"notes":"","folder":"","favorite":false,"tags":[],"fields":[],"created_at":"a","updated_at":"b"}"#;
        let doc: Document = serde_json::from_str(old).unwrap();
        assert!(!doc.agent_reveal && doc.allowed_hosts.is_empty());
        assert_eq!(serde_json::to_string(&doc).unwrap(), old);
        let bad = input(r#"{"type":"note","title":"t","allowed_hosts":["https://x/y"]}"#)
            .validate("a", "b")
            .unwrap_err();
        assert_eq!(bad.at, "allowed_hosts[0]");
    }

    const SEALED_L2: &str = "cv1.l2.nFDDCh9eKfdQY3cqCQMBDSKPAavqevUXUBamzZ5CTi6QtC9fRZtv";

    #[test]
    fn login_with_sealed_password_is_valid_and_gets_labels() {
        let v = input(&format!(
            r#"{{"type":"login","title":" GitHub ","fields":[{{"name":"username","value":"alice"}},{{"name":"password","value":"{SEALED_L2}"}}],"scopes":["0001","0001"]}}"#
        ))
        .validate("t0", "t1")
        .unwrap();
        assert_eq!(v.doc.title, "GitHub");
        assert_eq!(v.doc.fields[1].label, "Password");
        assert_eq!(v.doc.fields[1].tier, Tier::L2);
        assert_eq!(v.scopes.len(), 1);
    }

    #[test]
    fn plaintext_password_is_refused_with_its_path() {
        let e = input(
            r#"{"type":"login","title":"x","fields":[{"name":"password","value":"hunter2"}]}"#,
        )
        .validate("t", "t")
        .unwrap_err();
        assert_eq!(e.at, "fields[0].value");
    }

    #[test]
    fn tier_mismatch_and_bad_types_are_refused() {
        let e = input(&format!(r#"{{"type":"login","title":"x","fields":[{{"name":"password","tier":"l1","value":"{SEALED_L2}"}}]}}"#))
            .validate("t", "t")
            .unwrap_err();
        assert_eq!(e.at, "fields[0].tier");
        let e = input(r#"{"type":"agent","title":"x"}"#)
            .validate("t", "t")
            .unwrap_err();
        assert_eq!(e.at, "type");
        let e = input(r#"{"type":"note","title":"x","scopes":["12a4"]}"#)
            .validate("t", "t")
            .unwrap_err();
        assert_eq!(e.at, "scopes[0]");
        let e = input(r#"{"type":"note","title":"   "}"#)
            .validate("t", "t")
            .unwrap_err();
        assert_eq!(e.at, "title");
    }

    #[test]
    fn unknown_keys_are_refused_by_serde() {
        assert!(serde_json::from_str::<EntryInput>(
            r#"{"type":"note","title":"x","colour":"red"}"#
        )
        .is_err());
    }
}
