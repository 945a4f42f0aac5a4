//! The `CV-` error codes: one table, each code with its HTTP status. A
//! leaf module (it depends on nothing), so the API, the editions and
//! anything else that refuses a request name codes the same way; the
//! API's `ApiError::new(Code::X, message)` builds the answer.

/// Declares [`Code`]: each variant with its wire string and HTTP status,
/// written once here (the table in docs/API.md lists the same pairs; a unit
/// test keeps them equal).
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = ($code:literal, $status:literal $(, feature = $feat:literal)?),)*) => {
        /// A `CV-` error code. The variant fixes both the string on the wire
        /// and the HTTP status, so a call site cannot pair them wrongly.
        /// Codes only the commercial edition sends exist only in its build
        /// (the community binary carries none of their strings).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $(#[cfg(feature = $feat)])? $name,)*
        }

        impl Code {
            /// Every code of this build, in table order.
            pub const ALL: &'static [Code] = &[$($(#[cfg(feature = $feat)])? Code::$name,)*];

            /// The wire string, e.g. `"CV-3003"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($(#[cfg(feature = $feat)])? Code::$name => $code,)*
                }
            }

            /// The HTTP status this code is always sent with.
            pub const fn status(self) -> u16 {
                match self {
                    $($(#[cfg(feature = $feat)])? Code::$name => $status,)*
                }
            }
        }
    };
}

codes! {
    /// The body is not JSON, or is empty.
    BodyNotJson = ("CV-1000", 400),
    /// The body is not valid UTF-8.
    BodyNotUtf8 = ("CV-1001", 400),
    /// JSON of the wrong shape: wrong type, unknown or missing field.
    BodyWrongShape = ("CV-1002", 400),
    /// A malformed id (vault, entry, agent, scope).
    MalformedId = ("CV-1003", 400),
    /// A value fails validation; the message names its path.
    InvalidValue = ("CV-1004", 400),
    /// The request path is not valid percent-encoded UTF-8.
    MalformedPath = ("CV-1005", 400),
    /// Malformed HTTP (request line or header). Sent by tiny_http itself
    /// (vendor/tiny_http_fork/src/client.rs), listed here so the code stays taken.
    MalformedHttp = ("CV-1006", 400),
    /// The body is larger than the route's limit.
    BodyTooLarge = ("CV-1010", 413),
    /// `If-Match` missing or not a version number.
    BadIfMatch = ("CV-1020", 400),
    /// Import: the file's format is not recognised.
    ImportUnrecognised = ("CV-1030", 400),
    /// Import: unknown `format` name.
    ImportUnknownFormat = ("CV-1031", 400),
    /// Import: the file does not parse as the chosen format.
    ImportUnparsable = ("CV-1032", 400),
    /// No token, or not `Bearer <token>`.
    NoToken = ("CV-2001", 401),
    /// The token does not open, or its vault is gone.
    InvalidToken = ("CV-2002", 401),
    /// The token expired.
    TokenExpired = ("CV-2003", 401),
    /// The owner's sessions were revoked ("log out everywhere").
    SessionRevoked = ("CV-2004", 401),
    /// Wrong credentials for a session (or no such vault).
    WrongCredentials = ("CV-2010", 401),
    /// Too many failed session attempts; `Retry-After`.
    LoginThrottled = ("CV-2011", 429),
    /// Registration closed, or the setup token is missing or wrong.
    RegistrationClosed = ("CV-2020", 403),
    /// Access denied: the one answer for "missing" and "not yours".
    AccessDenied = ("CV-2041", 403),
    /// An agent called from outside its IP allowlist.
    IpNotAllowed = ("CV-2043", 403),
    /// The entry does not allow the requested destination host.
    HostNotAllowed = ("CV-2044", 403),
    /// Replication: missing or malformed `Clavitor-HMAC`, or a bad signature.
    ReplicationBadSignature = ("CV-2050", 401, feature = "commercial"),
    /// Replication: timestamp too far from this POP's clock.
    ReplicationClockSkew = ("CV-2051", 401, feature = "commercial"),
    /// Replication: a nonce already used (replay).
    ReplicationReplay = ("CV-2052", 401, feature = "commercial"),
    /// Replication: the sender is not this backup's primary.
    ReplicationUnknownPop = ("CV-2053", 401, feature = "commercial"),
    /// Not found (owner): an entry or other stored object.
    NotFound = ("CV-3002", 404),
    /// No such route.
    NoSuchRoute = ("CV-3003", 404),
    /// Method not allowed on this route; `Allow` lists the allowed ones.
    MethodNotAllowed = ("CV-3004", 405),
    /// No such unlock method.
    NoSuchUnlockMethod = ("CV-3005", 404),
    /// No such agent.
    NoSuchAgent = ("CV-3006", 404),
    /// No such scope.
    NoSuchScope = ("CV-3007", 404),
    /// `If-Match` version is not current.
    VersionConflict = ("CV-4001", 409),
    /// An object with that id exists (ids are never reused).
    AlreadyExists = ("CV-4002", 409),
    /// The handle is taken.
    HandleTaken = ("CV-4003", 409),
    /// The vault id is taken.
    VaultIdTaken = ("CV-4004", 409),
    /// The last unlock method cannot be removed.
    LastUnlockMethod = ("CV-4005", 409),
    /// A scope with that name exists.
    ScopeNameTaken = ("CV-4006", 409),
    /// All 9999 scope ids are used.
    ScopeIdsExhausted = ("CV-4007", 409),
    /// Replication batch sent to a primary.
    ReplicationToPrimary = ("CV-4010", 409, feature = "commercial"),
    /// Replication batch conflicts with a row on the backup.
    ReplicationConflict = ("CV-4011", 409, feature = "commercial"),
    /// A title matches several entries the caller may see.
    AmbiguousTitle = ("CV-4020", 409),
    /// The agent is locked after a second rate-limit violation.
    AgentLocked = ("CV-4230", 423),
    /// Agent read rate limit; `Retry-After`.
    ReadRateLimited = ("CV-4290", 429),
    /// Agent write limit; `Retry-After`.
    WriteRateLimited = ("CV-4291", 429),
    /// Internal error (a bug; details only in the server log).
    Internal = ("CV-5000", 500),
    /// This POP is a read-only backup.
    ReadOnlyBackup = ("CV-5030", 503, feature = "commercial"),
    /// The audit log is unavailable: nothing was done or released.
    AuditUnavailable = ("CV-5031", 503),
    /// The database is busy.
    DatabaseBusy = ("CV-5033", 503),
    /// Storage full; nothing written.
    StorageFull = ("CV-5034", 503),
    /// Storage read-only; nothing written.
    StorageReadOnly = ("CV-5035", 503),
    /// Too many open connections. Sent by tiny_http itself
    /// (vendor/tiny_http_fork/src/client.rs), listed here so the code stays taken.
    ServerBusy = ("CV-5036", 503),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    /// `| CV-xxxx | status | meaning |` rows of docs/API.md's error table:
    /// code → (status, marked "(commercial)").
    fn documented() -> BTreeMap<String, (u16, bool)> {
        let doc = include_str!("../docs/API.md");
        let mut rows = BTreeMap::new();
        for line in doc.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, code, status, meaning, ..] = cells[..] {
                if code.starts_with("CV-") {
                    let status = status.parse().expect("a status number in the table");
                    let commercial = meaning.ends_with("(commercial)");
                    let old = rows.insert(code.to_string(), (status, commercial));
                    assert!(old.is_none(), "{code} twice in docs/API.md");
                }
            }
        }
        rows
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} used by two variants");
            assert!(
                s.len() == 7 && s.starts_with("CV-") && s[3..].bytes().all(|b| b.is_ascii_digit()),
                "{s}"
            );
            assert!((400..600).contains(&c.status()), "{c:?}");
        }
    }

    #[test]
    fn every_code_is_documented_with_its_status() {
        let doc = documented();
        for c in Code::ALL {
            assert_eq!(
                doc.get(c.as_str()).map(|(status, _)| *status),
                Some(c.status()),
                "{c:?} ({}) in docs/API.md's error table",
                c.as_str()
            );
        }
        let ours: HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        for (code, (_, commercial)) in &doc {
            // The community build has no variants for commercial-only codes.
            let absent_here = *commercial && !cfg!(feature = "commercial");
            assert_eq!(
                ours.contains(code.as_str()),
                !absent_here,
                "{code}: documented, but no Code variant (or one the community build must not have)"
            );
        }
    }
}
