//! `clavitor://` references in request headers: finding them, resolving
//! each through a [`Resolve`] for the request's destination host, and
//! substituting the values. The resolver (and the server behind it)
//! decides whether the entry allows that host, audits the read, and applies
//! the agent's scopes and rate limits; the proxy only refuses the request
//! when a reference does not resolve.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::wire::Header;

/// What every reference starts with.
pub const SCHEME: &str = "clavitor://";

/// Why a reference did not resolve. Messages name the reference and the
/// reason, never a value.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The entry does not allow the destination host.
    #[error("{0}")]
    HostNotAllowed(String),
    /// Scopes, agent lock-out, or a refused credential.
    #[error("{0}")]
    Denied(String),
    #[error("{0}")]
    NotFound(String),
    /// Rate limited or the agent is locked.
    #[error("{0}")]
    Limited(String),
    /// The reference is not well formed.
    #[error("{0}")]
    Invalid(String),
    /// The vault server could not be asked.
    #[error("{0}")]
    Failed(String),
}

impl ResolveError {
    /// The status the proxy answers the client with.
    pub fn status(&self) -> u16 {
        match self {
            ResolveError::HostNotAllowed(_) | ResolveError::Denied(_) => 403,
            ResolveError::NotFound(_) => 404,
            ResolveError::Limited(_) => 429,
            ResolveError::Invalid(_) => 400,
            ResolveError::Failed(_) => 502,
        }
    }
}

/// Resolves one reference for one destination host.
pub trait Resolve: Send + Sync {
    fn resolve(&self, reference: &str, dest_host: &str) -> Result<Zeroizing<String>, ResolveError>;
}

/// Byte ranges of the references in `s`: from `clavitor://` to the first
/// whitespace, quote, comma, semicolon or angle bracket.
pub fn find_refs(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find(SCHEME) {
        let start = from + i;
        let end = s[start..]
            .char_indices()
            .skip(SCHEME.len())
            .find(|(_, c)| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | '<' | '>'))
            .map_or(s.len(), |(j, _)| start + j);
        out.push((start, end));
        from = end;
    }
    out
}

/// What resolving a request's headers produced: the values to scrub from
/// the response (each value, and every encoded header that carries one).
pub struct Resolved {
    pub count: usize,
    pub needles: Vec<Zeroizing<Vec<u8>>>,
}

/// A refused reference: which one, and why.
pub struct Refusal {
    pub reference: String,
    pub error: ResolveError,
}

/// Replaces every reference in `headers` with its value for `host`.
/// A reference used twice is resolved once. `Authorization: Basic` values
/// are decoded first, so `user:clavitor://…` credentials work too.
pub fn resolve_headers(
    headers: &mut [Header],
    host: &str,
    resolver: &dyn Resolve,
) -> Result<Resolved, Refusal> {
    let mut cache: HashMap<String, Zeroizing<String>> = HashMap::new();
    let mut needles = Vec::new();
    for h in headers.iter_mut() {
        let Ok(text) = std::str::from_utf8(&h.value) else {
            continue;
        };
        if h.is("authorization") {
            if let Some(b64) = text.trim().strip_prefix("Basic ") {
                if let Some(encoded) = basic(b64.trim(), host, resolver, &mut cache)? {
                    needles.push(Zeroizing::new(encoded.as_bytes().to_vec()));
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
    needles.extend(cache.into_values().flat_map(encodings));
    Ok(Resolved { count, needles })
}

/// The forms a value takes in a response that echoes it: as is, and
/// JSON-escaped when that differs.
fn encodings(v: Zeroizing<String>) -> Vec<Zeroizing<Vec<u8>>> {
    let mut out = vec![Zeroizing::new(v.as_bytes().to_vec())];
    let json = Zeroizing::new(serde_json::to_string(v.as_str()).expect("strings serialize"));
    let inner = &json[1..json.len() - 1];
    if inner != v.as_str() {
        out.push(Zeroizing::new(inner.as_bytes().to_vec()));
    }
    out
}

/// `text` with its references resolved; `None` when it has none.
fn substitute(
    text: &str,
    host: &str,
    resolver: &dyn Resolve,
    cache: &mut HashMap<String, Zeroizing<String>>,
) -> Result<Option<Zeroizing<String>>, Refusal> {
    let refs = find_refs(text);
    if refs.is_empty() {
        return Ok(None);
    }
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut at = 0;
    for (start, end) in refs {
        let reference = &text[start..end];
        if !cache.contains_key(reference) {
            let value = resolver.resolve(reference, host).map_err(|error| Refusal {
                reference: reference.to_string(),
                error,
            })?;
            cache.insert(reference.to_string(), value);
        }
        out.push_str(&text[at..start]);
        out.push_str(&cache[reference]);
        at = end;
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
) -> Result<Option<Zeroizing<String>>, Refusal> {
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

    /// Resolves `clavitor://e/f` to `v-e-f` for host `ok.test` and records calls.
    struct Fake(Mutex<Vec<String>>);

    impl Resolve for Fake {
        fn resolve(&self, r: &str, host: &str) -> Result<Zeroizing<String>, ResolveError> {
            self.0.lock().unwrap().push(r.to_string());
            if host != "ok.test" {
                return Err(ResolveError::HostNotAllowed(format!("{r}: not for {host}")));
            }
            let rest = r.strip_prefix(SCHEME).unwrap();
            Ok(Zeroizing::new(format!("v-{}", rest.replace('/', "-"))))
        }
    }

    #[test]
    fn references_end_at_delimiters() {
        let s = "Bearer clavitor://a/b, x=\"clavitor://Title%20x/api_key\";clavitor://c/d";
        let found: Vec<&str> = find_refs(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(
            found,
            [
                "clavitor://a/b",
                "clavitor://Title%20x/api_key",
                "clavitor://c/d"
            ]
        );
        assert!(find_refs("no reference").is_empty());
    }

    #[test]
    fn headers_are_substituted_once_per_reference_and_basic_is_decoded() {
        let fake = Fake(Mutex::new(Vec::new()));
        let basic = data_encoding::BASE64.encode(b"user:clavitor://e/p");
        let mut hs = vec![
            Header::new("Authorization", format!("Basic {basic}")),
            Header::new("X-Key", "clavitor://e/p and clavitor://e/k"),
            Header::new("Accept", "*/*"),
        ];
        let r = resolve_headers(&mut hs, "ok.test", &fake)
            .map_err(|r| r.reference)
            .unwrap();
        assert_eq!(r.count, 2);
        assert_eq!(
            fake.0.lock().unwrap().len(),
            2,
            "clavitor://e/p resolved once"
        );
        assert_eq!(hs[1].value, b"v-e-p and v-e-k");
        let expect = data_encoding::BASE64.encode(b"user:v-e-p");
        assert_eq!(hs[0].value, format!("Basic {expect}").into_bytes());
        assert!(r.needles.iter().any(|n| n[..] == *expect.as_bytes()));
        assert!(r.needles.iter().any(|n| &n[..] == b"v-e-k"));
    }

    #[test]
    fn a_refused_reference_names_itself() {
        let fake = Fake(Mutex::new(Vec::new()));
        let mut hs = vec![Header::new("X-Key", "clavitor://e/p")];
        let refusal = resolve_headers(&mut hs, "evil.test", &fake).err().unwrap();
        assert_eq!(refusal.reference, "clavitor://e/p");
        assert_eq!(refusal.error.status(), 403);
        assert_eq!(hs[0].value, b"clavitor://e/p", "nothing substituted");
    }
}
