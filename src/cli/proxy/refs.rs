//! `clavitor://` references in request headers: finding them, resolving
//! each through a [`Resolve`] for the request's destination host, and
//! substituting the values. The resolver (and the server behind it)
//! decides whether the entry allows that host, audits the read, and applies
//! the agent's scopes and rate limits; the proxy only refuses the request
//! when a reference does not resolve.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::wire::Header;
use crate::cli::mask::Secrets;
use crate::cli::secretref::{self, Purpose, Reference, ResolveError, Spaces};

/// Resolves one reference for one destination host. The CLI's
/// [`secretref::Resolver`] is the implementation; the trait lets the
/// substitution below be tested without a vault.
pub trait Resolve: Send + Sync {
    fn resolve(&self, r: &Reference, dest_host: &str) -> Result<Zeroizing<String>, ResolveError>;
}

impl Resolve for secretref::Resolver {
    fn resolve(&self, r: &Reference, dest_host: &str) -> Result<Zeroizing<String>, ResolveError> {
        secretref::Resolver::resolve(self, r, &Purpose::SendTo(dest_host.to_string()))
    }
}

/// The status the proxy answers a client whose reference did not resolve.
pub fn status(e: &ResolveError) -> u16 {
    match e {
        ResolveError::Malformed { .. } => 400,
        ResolveError::Denied { .. } | ResolveError::HostRefused { .. } => 403,
        ResolveError::NotFound { .. } => 404,
        ResolveError::Limited { .. } => 429,
        // The title names several entries: the client must name one by id.
        ResolveError::Ambiguous { .. } => 409,
        ResolveError::Failed { .. } => 502,
    }
}

/// What resolving a request's headers produced: how many references, and
/// the values to scrub from the response (each value, its JSON-escaped
/// form, and every re-encoded Basic credential that carries one).
pub struct Resolved {
    pub count: usize,
    pub secrets: Secrets,
}

/// Replaces every reference in `headers` with its value for `host`.
/// A reference used twice is resolved once. `Authorization: Basic` values
/// are decoded first, so `user:clavitor://…` credentials work too.
pub fn resolve_headers(
    headers: &mut [Header],
    host: &str,
    resolver: &dyn Resolve,
) -> Result<Resolved, ResolveError> {
    let mut cache: HashMap<String, Zeroizing<String>> = HashMap::new();
    let mut secrets = Secrets::new();
    for h in headers.iter_mut() {
        let Ok(text) = std::str::from_utf8(&h.value) else {
            continue;
        };
        if h.is("authorization") {
            if let Some(b64) = text.trim().strip_prefix("Basic ") {
                if let Some(encoded) = basic(b64.trim(), host, resolver, &mut cache)? {
                    secrets.add(&encoded);
                    h.value = format!("Basic {}", encoded.as_str()).into_bytes();
                    continue;
                }
            }
        }
        if let Some(new) = substitute(text, host, resolver, &mut cache)? {
            h.value = new.as_bytes().to_vec();
        }
    }
    let count = cache.len();
    for value in cache.values() {
        // Also its JSON-escaped form (`Secrets::add`).
        secrets.add(value);
    }
    Ok(Resolved { count, secrets })
}

/// `text` with its references resolved; `None` when it has none.
fn substitute(
    text: &str,
    host: &str,
    resolver: &dyn Resolve,
    cache: &mut HashMap<String, Zeroizing<String>>,
) -> Result<Option<Zeroizing<String>>, ResolveError> {
    if !secretref::mentions(text) {
        return Ok(None);
    }
    // In headers a title with spaces is percent-encoded (SPEC 13).
    let found = secretref::scan(text, Spaces::Encoded)?;
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut at = 0;
    for f in found {
        let key = f.reference.as_str().to_string();
        if !cache.contains_key(&key) {
            let value = resolver.resolve(&f.reference, host)?;
            cache.insert(key.clone(), value);
        }
        out.push_str(&text[at..f.range.start]);
        out.push_str(&cache[&key]);
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    Ok(Some(out))
}

/// A Basic credential with references inside, resolved and re-encoded.
fn basic(
    b64: &str,
    host: &str,
    resolver: &dyn Resolve,
    cache: &mut HashMap<String, Zeroizing<String>>,
) -> Result<Option<Zeroizing<String>>, ResolveError> {
    let Ok(raw) = data_encoding::BASE64.decode(b64.as_bytes()) else {
        return Ok(None);
    };
    let raw = Zeroizing::new(raw);
    let Ok(plain) = std::str::from_utf8(&raw) else {
        return Ok(None);
    };
    Ok(substitute(plain, host, resolver, cache)?
        .map(|p| Zeroizing::new(data_encoding::BASE64.encode(p.as_bytes()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Resolves `clavitor://e/f` to `value-e-f` for host `ok.test` and records calls.
    struct Fake(Mutex<Vec<String>>);

    impl Resolve for Fake {
        fn resolve(&self, r: &Reference, host: &str) -> Result<Zeroizing<String>, ResolveError> {
            self.0.lock().unwrap().push(r.as_str().to_string());
            if host != "ok.test" {
                return Err(ResolveError::HostRefused {
                    reference: r.as_str().to_string(),
                    host: host.to_string(),
                });
            }
            Ok(Zeroizing::new(format!("value-{}-{}", r.entry(), r.field())))
        }
    }

    fn value_of(hs: &[Header], i: usize) -> String {
        String::from_utf8(hs[i].value.clone()).unwrap()
    }

    #[test]
    fn headers_are_substituted_once_per_reference_and_basic_is_decoded() {
        let fake = Fake(Mutex::new(Vec::new()));
        let basic = data_encoding::BASE64.encode(b"user:clavitor://e/p");
        let mut hs = vec![
            Header::new("Authorization", format!("Basic {basic}")),
            Header::new("X-Key", "clavitor://e/p, clavitor://My%20key/k"),
            Header::new("Accept", "*/*"),
        ];
        let r = resolve_headers(&mut hs, "ok.test", &fake)
            .map_err(|e| e.to_string())
            .unwrap();
        assert_eq!(r.count, 2);
        assert_eq!(
            fake.0.lock().unwrap().len(),
            2,
            "clavitor://e/p resolved once"
        );
        assert_eq!(value_of(&hs, 1), "value-e-p, value-My key-k");
        let expect = data_encoding::BASE64.encode(b"user:value-e-p");
        assert_eq!(value_of(&hs, 0), format!("Basic {expect}"));
        let echoed = format!("{expect} value-e-p value-My key-k");
        assert!(
            !r.secrets.scrub_str(&echoed).contains("value-"),
            "all masked"
        );
        assert!(
            !r.secrets.scrub_str(&echoed).contains(&expect),
            "Basic masked"
        );
    }

    #[test]
    fn a_refused_or_malformed_reference_names_itself_and_substitutes_nothing() {
        let fake = Fake(Mutex::new(Vec::new()));
        let mut hs = vec![Header::new("X-Key", "clavitor://e/p")];
        let e = resolve_headers(&mut hs, "evil.test", &fake).err().unwrap();
        assert!(e.to_string().starts_with("clavitor://e/p"), "{e}");
        assert_eq!(status(&e), 403);
        assert_eq!(value_of(&hs, 0), "clavitor://e/p", "nothing substituted");
        let mut hs = vec![Header::new("X-Key", "Bearer clavitor://no-field")];
        let e = resolve_headers(&mut hs, "ok.test", &fake).err().unwrap();
        assert_eq!(status(&e), 400, "{e}");
        assert!(
            fake.0.lock().unwrap().len() == 1,
            "a malformed reference is never resolved"
        );
    }
}
