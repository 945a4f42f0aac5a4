//! `clavitor://ENTRY/FIELD` references (SPEC 13) and the one resolver every
//! integration uses: `read`, `run`, `inject`, `mcp` and `proxy`.
//!
//! A resolution is a normal entry read through the API — by id, or by exact
//! title through the lookup route and [`entries::fetch_decrypted_for`] (so
//! the ambiguous-title rule applies) — made with the agent's credential or
//! the owner's session. The server audits it, counts it against the agent's
//! rate limits and refuses it by the same policy as `clavitor get`. With a
//! destination host ([`Purpose::SendTo`]) the server also refuses unless
//! the entry allows that host, and records the host in the audit row.
//! Values are opened here, held in [`Zeroizing`] strings, and never written
//! to disk or logs; errors name the reference, never a value.
//!
//! The API, for every caller:
//! ```text
//! let resolver = Resolver::from_cli(cred)?;            // or Resolver::new(session)
//! let r = Reference::parse("clavitor://OpenAI/api_key")?;
//! let v = resolver.resolve(&r, &Purpose::SendTo("api.openai.com".into()))?;
//! let text = resolver.resolve_text(header, Spaces::Encoded, &purpose, &mut secrets)?;
//! ```
//! `Resolver` is `Send + Sync` and holds no per-call state: share it behind
//! an `Arc` across threads.

use std::ops::Range;
use std::path::Path;

use serde_json::Value;
use thiserror::Error;
use zeroize::Zeroizing;

use super::client::wipe_json;
use super::entries;
use super::mask::Secrets;
use super::profile::{self, Session};
use super::CliError;
use crate::crypto::Totp;
use crate::error_code::Code;

/// The scheme every reference starts with.
pub const SCHEME: &str = "clavitor://";

/// The field name that resolves to the current one-time code (not the seed).
pub const TOTP_FIELD: &str = "totp";

/// A parsed reference. `entry` is an entry id (32 hex) or an exact title,
/// percent-decoded; `field` a field name or label (or `totp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    raw: String,
    entry: String,
    field: String,
}

/// Whether raw spaces may appear in the ENTRY part of an embedded
/// reference. SPEC 13 accepts them in environment values; elsewhere (HTTP
/// headers and bodies, templates) a title with spaces is percent-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spaces {
    Allowed,
    Encoded,
}

/// What a value is resolved for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Used on this machine: printed, put into a child's environment or a file.
    Local,
    /// Sent to this destination host (brokered request, proxy). The server
    /// refuses unless the entry allows the host, and audits the host.
    SendTo(String),
}

impl Purpose {
    fn host(&self) -> Option<&str> {
        match self {
            Purpose::Local => None,
            Purpose::SendTo(h) => Some(h),
        }
    }
}

/// Why a reference did not resolve. Every message names the reference as
/// written (entry id or title, and field) and never a value.
#[derive(Debug, Error)]
pub enum ResolveError {
    #[error("{reference}: not a reference: {problem}")]
    Malformed { reference: String, problem: String },
    #[error("{reference}: denied: {detail}")]
    Denied { reference: String, detail: String },
    #[error("{reference}: destination host {host} is not allowed for this entry (its URLs' hosts and allowed_hosts decide)")]
    HostRefused { reference: String, host: String },
    #[error("{reference}: not found: {detail}")]
    NotFound { reference: String, detail: String },
    #[error("{reference}: {detail}")]
    Limited { reference: String, detail: String },
    /// The title names several entries the caller may see (SPEC 5): never a pick.
    #[error("{reference}: {detail}")]
    Ambiguous { reference: String, detail: String },
    #[error("{reference}: {detail}")]
    Failed { reference: String, detail: String },
}

impl ResolveError {
    /// The CLI exit code (SPEC 10): 3 denied, 4 not found, 5 rate limited
    /// or locked, 6 ambiguous title, 2 malformed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            ResolveError::Malformed { .. } => 2,
            ResolveError::Denied { .. } | ResolveError::HostRefused { .. } => 3,
            ResolveError::NotFound { .. } => 4,
            ResolveError::Limited { .. } => 5,
            ResolveError::Ambiguous { .. } => 6,
            ResolveError::Failed { .. } => 1,
        }
    }

    fn from_cli(reference: &str, host: Option<&str>, e: CliError) -> ResolveError {
        let reference = reference.to_string();
        let detail = e.message().to_string();
        match e {
            CliError::Denied(_)
                if host.is_some() && detail.contains(Code::HostNotAllowed.as_str()) =>
            {
                ResolveError::HostRefused {
                    reference,
                    host: host.unwrap_or_default().to_string(),
                }
            }
            CliError::Denied(_) => ResolveError::Denied { reference, detail },
            CliError::NotFound(_) => ResolveError::NotFound { reference, detail },
            CliError::Locked(_) => ResolveError::Limited { reference, detail },
            CliError::Usage(_) => ResolveError::Malformed {
                reference,
                problem: detail,
            },
            CliError::Ambiguous(_) => ResolveError::Ambiguous { reference, detail },
            CliError::Failed(_) => ResolveError::Failed { reference, detail },
        }
    }
}

impl From<ResolveError> for CliError {
    fn from(e: ResolveError) -> CliError {
        let m = e.to_string();
        match e {
            ResolveError::Malformed { .. } => CliError::Usage(m),
            ResolveError::Denied { .. } | ResolveError::HostRefused { .. } => CliError::Denied(m),
            ResolveError::NotFound { .. } => CliError::NotFound(m),
            ResolveError::Limited { .. } => CliError::Locked(m),
            ResolveError::Ambiguous { .. } => CliError::Ambiguous(m),
            ResolveError::Failed { .. } => CliError::Failed(m),
        }
    }
}

/// Longest entry part (a title is at most 1024 bytes, percent-encoding triples it).
const MAX_ENTRY: usize = 3 * 1024;
/// Longest field part (the server's field-name rule).
const MAX_FIELD: usize = 64;

fn field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Characters that end the ENTRY part of an embedded reference: they
/// delimit it in JSON, shell, templates and headers.
fn entry_stop(c: char, spaces: Spaces) -> bool {
    c == '/'
        || c.is_control()
        || matches!(c, '"' | '\'' | '<' | '>' | '{' | '}' | '`' | '\\' | '|')
        || (c.is_whitespace() && (c != ' ' || spaces == Spaces::Encoded))
}

impl Reference {
    /// Parses a whole string as one reference (surrounding whitespace is
    /// ignored; raw spaces inside the title are accepted).
    pub fn parse(s: &str) -> Result<Reference, ResolveError> {
        let s = s.trim();
        let malformed = |problem: &str| ResolveError::Malformed {
            reference: shorten(s),
            problem: problem.to_string(),
        };
        let Some(rest) = s.strip_prefix(SCHEME) else {
            return Err(malformed("expected clavitor://ENTRY/FIELD"));
        };
        let (entry, field) = rest
            .rsplit_once('/')
            .ok_or_else(|| malformed("expected clavitor://ENTRY/FIELD (no /FIELD)"))?;
        if entry.contains('/') {
            return Err(malformed("a title holding / must be percent-encoded (%2F)"));
        }
        Reference::build(s, entry, field)
    }

    fn build(raw: &str, entry: &str, field: &str) -> Result<Reference, ResolveError> {
        let malformed = |problem: &str| ResolveError::Malformed {
            reference: shorten(raw),
            problem: problem.to_string(),
        };
        if entry.is_empty() || entry.len() > MAX_ENTRY {
            return Err(malformed("ENTRY must be an entry id or an exact title"));
        }
        if field.is_empty() || field.len() > MAX_FIELD || !field.chars().all(field_char) {
            return Err(malformed(
                "FIELD must be a field name (letters, digits, _), or totp",
            ));
        }
        let decoded = crate::http::percent_decode(entry)
            .ok_or_else(|| malformed("ENTRY has a bad percent-encoding (expected %XX of UTF-8)"))?;
        if decoded.trim().is_empty() {
            return Err(malformed("ENTRY must be an entry id or an exact title"));
        }
        Ok(Reference {
            raw: raw.to_string(),
            entry: decoded,
            field: field.to_string(),
        })
    }

    /// The reference as written (safe for messages: it holds no value).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The entry id or exact title, decoded.
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The field name (or `totp`).
    pub fn field(&self) -> &str {
        &self.field
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// A reference found inside a larger text, with its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub range: Range<usize>,
    pub reference: Reference,
}

/// Every reference embedded in `text`, in order. A `clavitor://` that does
/// not form a valid reference is an error (naming it), not silently kept:
/// a typo must not send the literal reference to a server.
pub fn scan(text: &str, spaces: Spaces) -> Result<Vec<Found>, ResolveError> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(SCHEME) {
        let start = from + at;
        let body = &text[start + SCHEME.len()..];
        let entry_len = body
            .char_indices()
            .find(|&(_, c)| entry_stop(c, spaces))
            .map_or(body.len(), |(i, _)| i);
        // Trailing spaces belong to the surrounding text, not the title.
        let entry = body[..entry_len].trim_end();
        let after_entry = &body[entry_len..];
        let field_len = after_entry
            .strip_prefix('/')
            .map(|f| f.find(|c: char| !field_char(c)).unwrap_or(f.len()))
            .unwrap_or(0);
        let end = if after_entry.starts_with('/') {
            start + SCHEME.len() + entry_len + 1 + field_len
        } else {
            start + SCHEME.len() + entry.len()
        };
        let raw = &text[start..end];
        if !after_entry.starts_with('/') || entry.len() != entry_len {
            return Err(ResolveError::Malformed {
                reference: shorten(raw),
                problem: "expected clavitor://ENTRY/FIELD".into(),
            });
        }
        let field = &after_entry[1..1 + field_len];
        out.push(Found {
            range: start..end,
            reference: Reference::build(raw, entry, field)?,
        });
        from = end;
    }
    Ok(out)
}

/// Whether `text` mentions a reference at all (cheap pre-check).
pub fn mentions(text: &str) -> bool {
    text.contains(SCHEME)
}

/// At most 200 characters of a reference for a message (a long garbage
/// "reference" must not flood the terminal).
fn shorten(s: &str) -> String {
    if s.chars().count() <= 200 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(200).collect::<String>())
    }
}

/// An entry fetched and opened for a caller; its decrypted values are wiped
/// when it is dropped.
pub struct OpenEntry {
    doc: Value,
}

impl OpenEntry {
    /// The entry id (32 hex).
    pub fn id(&self) -> &str {
        self.doc["entry_id"].as_str().unwrap_or_default()
    }

    /// The owner allowed raw-value tools to return this entry's values.
    pub fn agent_reveal(&self) -> bool {
        self.doc["agent_reveal"].as_bool().unwrap_or(false)
    }

    /// The entry's type (login, api_key, …).
    pub fn entry_type(&self) -> &str {
        self.doc["type"].as_str().unwrap_or_default()
    }

    /// Names of the fields this caller received (an agent never gets L3).
    pub fn field_names(&self) -> Vec<String> {
        self.doc["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str().map(str::to_string))
            .collect()
    }

    /// A field's value by name or label (or title/notes/url), or for
    /// `totp` the current one-time code.
    pub fn value(&self, field: &str) -> Result<Zeroizing<String>, CliError> {
        if field == TOTP_FIELD {
            return self.totp_now().map(|(code, _)| code);
        }
        entries::pick(&self.doc, field)
    }

    /// The current one-time code and the seconds it stays valid.
    pub fn totp_now(&self) -> Result<(Zeroizing<String>, u64), CliError> {
        let seed = entries::pick(&self.doc, TOTP_FIELD)?;
        let totp = Totp::parse(&seed)
            .map_err(|e| CliError::Failed(format!("the entry's totp field: {e}")))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| CliError::Failed("the system clock is before 1970".into()))?;
        Ok((
            Zeroizing::new(totp.code_at(now)),
            totp.seconds_remaining(now),
        ))
    }
}

impl Drop for OpenEntry {
    fn drop(&mut self) {
        wipe_json(&mut self.doc);
    }
}

/// Resolves references with one identity: an agent's client credential or
/// the owner's session. Stateless per call; share it across threads.
pub struct Resolver {
    session: Session,
}

impl Resolver {
    /// A resolver acting as `session`.
    pub fn new(session: Session) -> Resolver {
        Resolver { session }
    }

    /// The identity the CLI would use: `--credential-file F`,
    /// `$CLAVITOR_CREDENTIAL`, else the owner's login.
    pub fn from_cli(credential_file: Option<&Path>) -> Result<Resolver, CliError> {
        Ok(Resolver::new(profile::session(credential_file)?))
    }

    /// Fetches and opens the entry a reference (or an MCP tool) names: one
    /// audited, rate-limited, policy-checked read.
    pub fn open(
        &self,
        entry: &str,
        label: &str,
        purpose: &Purpose,
    ) -> Result<OpenEntry, ResolveError> {
        let host = purpose.host();
        entries::fetch_decrypted_for(&self.session, entry, host)
            .map(|doc| OpenEntry { doc })
            .map_err(|e| ResolveError::from_cli(label, host, e))
    }

    /// One reference's value.
    pub fn resolve(
        &self,
        r: &Reference,
        purpose: &Purpose,
    ) -> Result<Zeroizing<String>, ResolveError> {
        let entry = self.open(r.entry(), r.as_str(), purpose)?;
        entry.value(r.field()).map_err(|e| match e {
            CliError::NotFound(_) => ResolveError::NotFound {
                reference: r.as_str().to_string(),
                detail: format!("the entry has no field {:?}", r.field()),
            },
            other => ResolveError::from_cli(r.as_str(), None, other),
        })
    }

    /// `text` with every embedded reference replaced by its value; each
    /// value is also added to `secrets` (for masking and scrubbing).
    pub fn resolve_text(
        &self,
        text: &str,
        spaces: Spaces,
        purpose: &Purpose,
        secrets: &mut Secrets,
    ) -> Result<Zeroizing<String>, ResolveError> {
        let found = scan(text, spaces)?;
        let mut out = Zeroizing::new(String::with_capacity(text.len()));
        let mut last = 0;
        for f in found {
            let value = self.resolve(&f.reference, purpose)?;
            out.push_str(&text[last..f.range.start]);
            out.push_str(&value);
            secrets.add(&value);
            last = f.range.end;
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_references_parse() {
        let r = Reference::parse("clavitor://GitHub token/password").unwrap();
        assert_eq!((r.entry(), r.field()), ("GitHub token", "password"));
        let r = Reference::parse(" clavitor://a%2Fb%20c/api_key\n").unwrap();
        assert_eq!((r.entry(), r.field()), ("a/b c", "api_key"));
        let id = "0123456789abcdef0123456789abcdef";
        let r = Reference::parse(&format!("clavitor://{id}/totp")).unwrap();
        assert_eq!((r.entry(), r.field()), (id, "totp"));
        for bad in [
            "op://x/y",
            "clavitor://x",
            "clavitor:///password",
            "clavitor://x/",
            "clavitor://a/b/c",
            "clavitor://x%zz/y",
            "clavitor://x/pass word",
            "clavitor://%20/y",
        ] {
            let e = Reference::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.to_string().starts_with(bad.trim()), "{e}");
        }
    }

    #[test]
    fn embedded_references_are_found() {
        let text =
            r#"{"auth":"Bearer clavitor://OpenAI/api_key","x":"clavitor://db%20prod/password."}"#;
        let found = scan(text, Spaces::Encoded).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].range.clone()], "clavitor://OpenAI/api_key");
        assert_eq!(found[1].reference.entry(), "db prod");
        assert_eq!(found[1].reference.field(), "password");
        let env = "postgres://u:clavitor://My DB/password@host/db";
        let found = scan(env, Spaces::Allowed).unwrap();
        assert_eq!(found[0].reference.entry(), "My DB");
        assert!(scan("Bearer clavitor://My DB/password", Spaces::Encoded).is_err());
        assert!(scan("nothing here", Spaces::Allowed).unwrap().is_empty());
        assert!(scan("clavitor://nofield", Spaces::Allowed).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics_and_found_ranges_are_references() {
        let pieces = [
            "clavitor://",
            "/",
            "%",
            "%2",
            "%2F",
            "%C3",
            "é",
            "€",
            " ",
            "\n",
            "a",
            "Z",
            "_",
            "9",
            "{{",
            "}}",
            "\"",
            "'",
            "#",
            "=",
            "totp",
            "clavitor:/",
            "\u{0}",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(state % 12) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let _ = Reference::parse(&text);
            for spaces in [Spaces::Allowed, Spaces::Encoded] {
                if let Ok(found) = scan(&text, spaces) {
                    for f in found {
                        assert!(text[f.range.clone()].starts_with(SCHEME), "{text:?}");
                        assert_eq!(f.reference.as_str(), &text[f.range]);
                    }
                }
            }
        }
    }

    #[test]
    fn resolver_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Resolver>();
    }
}
