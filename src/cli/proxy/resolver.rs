//! The proxy's [`Resolve`] over the CLI's session (an agent's client
//! credential or the owner's login): each resolution is one normal,
//! audited, policy-checked and rate-limited read of the entry.

use serde_json::Value;
use zeroize::Zeroizing;

use super::refs::{Resolve, ResolveError, SCHEME};
use crate::cli::client::wipe_json;
use crate::cli::entries::fetch_decrypted;
use crate::cli::profile::Session;
use crate::cli::CliError;

pub struct SessionResolver {
    session: Session,
}

impl SessionResolver {
    pub fn new(session: Session) -> SessionResolver {
        SessionResolver { session }
    }
}

/// `clavitor://ENTRY/FIELD`, ENTRY percent-decoded.
fn parse(reference: &str) -> Result<(String, String), ResolveError> {
    let bad = |why: &str| ResolveError::Invalid(format!("{reference}: {why}"));
    let rest = reference
        .strip_prefix(SCHEME)
        .ok_or_else(|| bad("expected clavitor://ENTRY/FIELD"))?;
    let (entry, field) = rest
        .rsplit_once('/')
        .ok_or_else(|| bad("expected clavitor://ENTRY/FIELD"))?;
    let decoded = percent_decode(entry).ok_or_else(|| bad("bad percent-encoding in ENTRY"))?;
    if decoded.is_empty() || field.is_empty() {
        return Err(bad("ENTRY and FIELD must not be empty"));
    }
    Ok((decoded, field.to_string()))
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The host part of a URL (`https://user@host:port/path` → `host`).
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether the entry allows `host`: one of its URLs' hosts, or its
/// `allowed_hosts` list (exact, or `*.domain` for any subdomain).
fn host_allowed(entry: &Value, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let strs = |k: &str| {
        entry[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let from_urls = strs("urls")
        .iter()
        .filter_map(|u| url_host(u))
        .any(|h| h == host);
    from_urls
        || strs("allowed_hosts").iter().any(|pattern| {
            let p = pattern.to_ascii_lowercase();
            match p.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => p == host,
            }
        })
}

fn field_value(entry: &Value, name: &str) -> Option<Zeroizing<String>> {
    entry["fields"]
        .as_array()?
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
        .map(|v| Zeroizing::new(v.to_string()))
}

fn from_cli(reference: &str, e: CliError) -> ResolveError {
    let m = format!("{reference}: {}", e.message());
    match e {
        CliError::Denied(_) => ResolveError::Denied(m),
        CliError::NotFound(_) => ResolveError::NotFound(m),
        CliError::Locked(_) => ResolveError::Limited(m),
        CliError::Usage(_) => ResolveError::Invalid(m),
        CliError::Failed(_) => ResolveError::Failed(m),
    }
}

impl Resolve for SessionResolver {
    fn resolve(&self, reference: &str, host: &str) -> Result<Zeroizing<String>, ResolveError> {
        let (entry, field) = parse(reference)?;
        let mut doc = fetch_decrypted(&self.session, &entry).map_err(|e| from_cli(reference, e))?;
        let result = if !host_allowed(&doc, host) {
            Err(ResolveError::HostNotAllowed(format!(
                "{reference}: the entry does not allow the host {host} (add it to the entry's URLs or allowed hosts)"
            )))
        } else if field == "totp" {
            totp(&doc, reference)
        } else {
            field_value(&doc, &field).ok_or_else(|| {
                ResolveError::NotFound(format!("{reference}: the entry has no field {field:?}"))
            })
        };
        wipe_json(&mut doc);
        result
    }
}

fn totp(doc: &Value, reference: &str) -> Result<Zeroizing<String>, ResolveError> {
    let secret = field_value(doc, "totp").ok_or_else(|| {
        ResolveError::NotFound(format!("{reference}: the entry has no totp field"))
    })?;
    let t = crate::crypto::Totp::parse(&secret)
        .map_err(|e| ResolveError::Failed(format!("{reference}: the entry's totp field: {e}")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(Zeroizing::new(t.code_at(now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_parse() {
        assert_eq!(
            parse("clavitor://My%20API%2Fkey/api_key").unwrap(),
            ("My API/key".to_string(), "api_key".to_string())
        );
        assert!(parse("clavitor://x").is_err());
        assert!(parse("clavitor://%zz/f").is_err());
        assert!(parse("clavitor:///f").is_err());
    }

    #[test]
    fn hosts_come_from_urls_and_the_allowed_list() {
        let e = json!({"urls": ["https://api.example.com:8443/v1", "http://user@127.0.0.1:9/x"],
                       "allowed_hosts": ["*.stripe.com", "Other.test"]});
        for ok in ["api.example.com", "127.0.0.1", "a.stripe.com", "other.test"] {
            assert!(host_allowed(&e, ok), "{ok}");
        }
        for no in [
            "example.com",
            "stripe.com",
            "evil.test",
            "api.example.com.evil",
        ] {
            assert!(!host_allowed(&e, no), "{no}");
        }
    }
}
