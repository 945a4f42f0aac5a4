//! Inter-POP authentication of apply requests (SPEC section 9):
//!
//! `Authorization: Clavitor-HMAC pop=<pop_id>,ts=<unix s>,nonce=<B64 16 bytes>,sig=<B64>`
//! with `sig = HMAC-SHA256(key, "POST\n/api/v1/replication/apply\n" + ts + "\n" + nonce + "\n" + hex(SHA-256(body)))`.
//!
//! The backup refuses an unknown POP, a clock skew over 300 s, a bad
//! signature, or a nonce it has seen within the window (replay). Nonces
//! are remembered in memory until their timestamp leaves the window; after
//! a restart a replay inside the window would be accepted, which is
//! harmless because applying is idempotent and last-write-wins.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::crypto::{b64, hex, random_bytes, sha256, unb64, Key32};
use crate::error_code::Code;

/// The one route these signatures cover.
pub const APPLY_PATH: &str = "/api/v1/replication/apply";
/// Largest accepted difference between the sender's clock and ours.
pub const MAX_SKEW_S: u64 = 300;
const SCHEME: &str = "Clavitor-HMAC ";

/// Why an apply request was not authenticated. Messages name no secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Malformed,
    UnknownPop,
    Skew,
    BadSignature,
    Replay,
}

impl AuthError {
    /// (code, message) for the 401 answer.
    pub fn describe(self) -> (Code, &'static str) {
        match self {
            AuthError::Missing => (
                Code::ReplicationBadSignature,
                "replication request without `Authorization: Clavitor-HMAC ...`",
            ),
            AuthError::Malformed => (
                Code::ReplicationBadSignature,
                "malformed Clavitor-HMAC header: expected pop=,ts=,nonce=,sig=",
            ),
            AuthError::UnknownPop => (
                Code::ReplicationUnknownPop,
                "this backup does not accept batches from that POP (primary_pop)",
            ),
            AuthError::Skew => (
                Code::ReplicationClockSkew,
                "request timestamp is more than 300 s from this POP's clock",
            ),
            AuthError::BadSignature => (Code::ReplicationBadSignature, "bad replication signature"),
            AuthError::Replay => (
                Code::ReplicationReplay,
                "nonce already used (replayed request)",
            ),
        }
    }
}

/// The signed message for `ts`, `nonce` and `body`.
pub fn message(ts: &str, nonce: &str, body: &[u8]) -> String {
    format!("POST\n{APPLY_PATH}\n{ts}\n{nonce}\n{}", hex(&sha256(body)))
}

fn tag(key: &Key32, ts: &str, nonce: &str, body: &[u8]) -> ring::hmac::Tag {
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.expose());
    ring::hmac::sign(&k, message(ts, nonce, body).as_bytes())
}

/// The `Authorization` value for `body` from `pop` at `ts` with `nonce`.
pub fn header(key: &Key32, pop: &str, ts: u64, nonce: &str, body: &[u8]) -> String {
    let ts = ts.to_string();
    let sig = b64(tag(key, &ts, nonce, body).as_ref());
    format!("{SCHEME}pop={pop},ts={ts},nonce={nonce},sig={sig}")
}

/// A header for sending now, with a fresh random nonce.
pub fn fresh_header(key: &Key32, pop: &str, body: &[u8]) -> String {
    header(
        key,
        pop,
        super::super::unix_now(),
        &b64(&random_bytes::<16>()),
        body,
    )
}

struct Parsed<'a> {
    pop: &'a str,
    ts: &'a str,
    nonce: &'a str,
    sig: Vec<u8>,
}

fn parse(value: &str) -> Result<Parsed<'_>, AuthError> {
    let rest = value.strip_prefix(SCHEME).ok_or(AuthError::Malformed)?;
    let (mut pop, mut ts, mut nonce, mut sig) = (None, None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(AuthError::Malformed)?;
        let slot = match k {
            "pop" => &mut pop,
            "ts" => &mut ts,
            "nonce" => &mut nonce,
            "sig" => &mut sig,
            _ => return Err(AuthError::Malformed),
        };
        if slot.replace(v).is_some() {
            return Err(AuthError::Malformed);
        }
    }
    let (Some(pop), Some(ts), Some(nonce), Some(sig)) = (pop, ts, nonce, sig) else {
        return Err(AuthError::Malformed);
    };
    let ts_ok = !ts.is_empty() && ts.len() <= 12 && ts.bytes().all(|b| b.is_ascii_digit());
    let nonce_ok = unb64(nonce).is_ok_and(|n| n.len() == 16);
    let sig = unb64(sig).map_err(|_| AuthError::Malformed)?;
    if !ts_ok || !nonce_ok || sig.len() != 32 {
        return Err(AuthError::Malformed);
    }
    Ok(Parsed {
        pop,
        ts,
        nonce,
        sig,
    })
}

/// Nonces seen within the window, with the time they leave it.
#[derive(Default)]
pub struct NonceCache {
    seen: Mutex<HashMap<String, u64>>,
}

impl NonceCache {
    /// Records `nonce`; false if it was already there (a replay).
    fn insert(&self, nonce: &str, ts: u64, now: u64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 4096 {
            seen.retain(|_, expires| *expires >= now);
        }
        seen.insert(nonce.to_string(), ts + MAX_SKEW_S + 1)
            .is_none()
    }
}

/// Checks an apply request; returns the sending POP's id. `expected_pop`:
/// the primary this backup names (`primary_pop`); `None` accepts any POP
/// holding the key (a backup file without `primary_pop`, as in the seed's
/// provisioning example: the shared key is the authentication).
pub fn verify(
    value: Option<&str>,
    body: &[u8],
    key: &Key32,
    expected_pop: Option<&str>,
    now: u64,
    nonces: &NonceCache,
) -> Result<String, AuthError> {
    let p = parse(value.ok_or(AuthError::Missing)?)?;
    if expected_pop.is_some_and(|want| p.pop != want) {
        return Err(AuthError::UnknownPop);
    }
    let ts: u64 = p.ts.parse().map_err(|_| AuthError::Malformed)?;
    if ts.abs_diff(now) > MAX_SKEW_S {
        return Err(AuthError::Skew);
    }
    let k = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.expose());
    ring::hmac::verify(&k, message(p.ts, p.nonce, body).as_bytes(), &p.sig)
        .map_err(|_| AuthError::BadSignature)?;
    // Only a request with a valid signature may occupy the cache.
    if !nonces.insert(p.nonce, ts, now) {
        return Err(AuthError::Replay);
    }
    Ok(p.pop.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::unhex;
    use crate::crypto::vectors::replication as v;

    fn key() -> Key32 {
        Key32::from_slice(&unhex(v::KEY).unwrap()).unwrap()
    }

    #[test]
    fn reproduces_the_shared_vector() {
        let ts: u64 = v::TS.parse().unwrap();
        assert_eq!(message(v::TS, v::NONCE_B64, v::BODY.as_bytes()), v::MESSAGE);
        assert_eq!(
            header(&key(), "calgary-01", ts, v::NONCE_B64, v::BODY.as_bytes()),
            v::HEADER
        );
        assert!(v::HEADER.ends_with(&format!("sig={}", v::SIG_B64)));
    }

    #[test]
    fn accepts_once_and_refuses_replay_tamper_skew_and_strangers() {
        let ts: u64 = v::TS.parse().unwrap();
        let body = v::BODY.as_bytes();
        let cache = NonceCache::default();
        let ok = verify(
            Some(v::HEADER),
            body,
            &key(),
            Some("calgary-01"),
            ts + 10,
            &cache,
        );
        assert_eq!(ok.as_deref(), Ok("calgary-01"));
        let again = verify(
            Some(v::HEADER),
            body,
            &key(),
            Some("calgary-01"),
            ts + 11,
            &cache,
        );
        assert_eq!(again, Err(AuthError::Replay));
        let fresh = NonceCache::default();
        let tampered = verify(
            Some(v::HEADER),
            b"{\"pop_id\":\"x\",\"records\":[]}",
            &key(),
            Some("calgary-01"),
            ts,
            &fresh,
        );
        assert_eq!(tampered, Err(AuthError::BadSignature));
        let stale = verify(
            Some(v::HEADER),
            body,
            &key(),
            Some("calgary-01"),
            ts + 301,
            &fresh,
        );
        assert_eq!(stale, Err(AuthError::Skew));
        let stranger = verify(Some(v::HEADER), body, &key(), Some("zurich-01"), ts, &fresh);
        assert_eq!(stranger, Err(AuthError::UnknownPop));
        let wrong_key = verify(
            Some(v::HEADER),
            body,
            &Key32::from_bytes([1; 32]),
            Some("calgary-01"),
            ts,
            &fresh,
        );
        assert_eq!(wrong_key, Err(AuthError::BadSignature));
        // Refused requests did not use up the nonce. Without a named
        // primary, any POP holding the key is accepted.
        assert_eq!(
            verify(Some(v::HEADER), body, &key(), None, ts, &fresh).as_deref(),
            Ok("calgary-01")
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let cache = NonceCache::default();
        for h in [
            "Bearer x",
            "Clavitor-HMAC pop=a,ts=1,nonce=x",
            "Clavitor-HMAC pop=a,pop=a,ts=1,nonce=pgONARgYS3sIH4kvIUG9Jw,sig=x",
            "Clavitor-HMAC pop=a,ts=-1,nonce=pgONARgYS3sIH4kvIUG9Jw,sig=-NOYC1D3V1i8LmY0P4TeHnBsGiD6xfylVhgbsxLBeic",
        ] {
            assert_eq!(verify(Some(h), b"", &key(), Some("a"), 1, &cache), Err(AuthError::Malformed), "{h}");
        }
        assert_eq!(
            verify(None, b"", &key(), None, 1, &cache),
            Err(AuthError::Missing)
        );
    }
}
