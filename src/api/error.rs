//! API errors: an HTTP status, a stable `CV-` code (listed in docs/API.md)
//! and a message that says what was wrong. Messages never carry keys,
//! tokens, titles or values.

use serde_json::{json, Value};

use crate::http::Reply;
use crate::vault::StoreError;

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

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// The code; it also fixes the HTTP status ([`ApiError::status`]).
    pub code: Code,
    pub message: String,
    /// Seconds for `Retry-After` (429).
    pub retry_after: Option<u64>,
    /// Methods for `Allow` (405).
    pub allow: Option<&'static str>,
    /// Further headers, e.g. `X-Primary-Location` on a backup POP's 503.
    pub headers: Vec<(&'static str, String)>,
    /// One more member of the `error` object, e.g. `candidates` of an
    /// ambiguous title (ids and metadata only, never titles or values).
    /// Boxed: errors travel in every `Result` and stay small that way.
    pub extra: Option<Box<(&'static str, Value)>>,
}

impl ApiError {
    /// The one way to make an error: a code (which fixes the status) and a
    /// message that says what was wrong.
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
            allow: None,
            headers: Vec::new(),
            extra: None,
        }
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    /// The HTTP status, from the code.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The one answer agents get for "does not exist" and "not yours".
    pub fn access_denied() -> ApiError {
        ApiError::new(Code::AccessDenied, "Access denied")
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(Code::NotFound, format!("{what} not found"))
    }

    pub fn internal() -> ApiError {
        ApiError::new(Code::Internal, "internal error; the server log has details")
    }

    pub fn reply(&self) -> Reply {
        let mut error = json!({"code": self.code.as_str(), "message": self.message});
        if let Some(extra) = &self.extra {
            let (key, value) = &**extra;
            error[*key] = value.clone();
        }
        let mut r = Reply::json(self.status(), &json!({ "error": error }));
        if let Some(s) = self.retry_after {
            r = r.with_header("Retry-After", s.to_string());
        }
        if let Some(a) = self.allow {
            r = r.with_header("Allow", a);
        }
        for (name, value) in &self.headers {
            r = r.with_header(name, value.clone());
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Exists(what) => {
                ApiError::new(Code::AlreadyExists, format!("{what} already exists"))
            }
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::VersionConflict { current } => ApiError::new(
                Code::VersionConflict,
                format!(
                    "version conflict: the entry is now at version {current}; fetch it and retry"
                ),
            ),
            StoreError::LastUnlockMethod => ApiError::new(
                Code::LastUnlockMethod,
                "cannot remove the last unlock method; add another first",
            ),
            StoreError::Sqlite(ref err) => {
                log::error!("database error: {err}");
                match err.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::DatabaseBusy)
                    | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                        ApiError::new(Code::DatabaseBusy, "database busy; retry shortly")
                    }
                    Some(rusqlite::ErrorCode::DiskFull) => {
                        ApiError::new(Code::StorageFull, "storage full; nothing was written")
                    }
                    Some(rusqlite::ErrorCode::ReadOnly) => ApiError::new(
                        Code::StorageReadOnly,
                        "storage is read-only; nothing was written",
                    ),
                    _ => ApiError::internal(),
                }
            }
            StoreError::TooNew { .. } | StoreError::RolledBack => ApiError::internal(),
            StoreError::Audit(ref err) => {
                log::error!("audit write failed: {err}");
                ApiError::new(Code::AuditUnavailable, "audit log unavailable: the request was not carried out and nothing was released")
            }
        }
    }
}

/// Turns a serde_json error into a message that names the problem and its position.
pub fn json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    let code = match e.classify() {
        Category::Syntax | Category::Eof => Code::BodyNotJson,
        Category::Data => Code::BodyWrongShape,
        Category::Io => Code::BodyNotJson,
    };
    ApiError::new(
        code,
        format!("invalid request body: {}", redact_strings(&e.to_string())),
    )
}

/// serde_json quotes the offending string in type errors (`invalid type:
/// string "hunter2", expected u32`); that string may be a secret, so it is
/// replaced by its length.
fn redact_strings(msg: &str) -> String {
    let msg = redact_quoted(msg);
    let msg = redact_backquoted(&msg, "unknown variant `");
    redact_backquoted(&msg, "unknown field `")
}

/// `unknown variant `hunter2`, expected one of …` names the value too.
fn redact_backquoted(msg: &str, marker: &str) -> String {
    match msg.find(marker) {
        Some(i) => {
            let after = &msg[i + marker.len()..];
            match after.find("`, expected") {
                // Field names are structure, and naming a mistyped one helps; a
                // long or odd "name" may be a key pasted in the wrong place.
                Some(end) if marker.contains("field") && is_short_identifier(&after[..end]) => {
                    msg.to_string()
                }
                Some(end) => format!(
                    "{}{}a value of {} characters{}",
                    &msg[..i],
                    marker.trim_end_matches('`'),
                    after[..end].chars().count(),
                    &after[end + 1..]
                ),
                None => format!("{}{}", &msg[..i], marker.trim_end_matches('`')),
            }
        }
        None => msg.to_string(),
    }
}

fn is_short_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 8..];
        match after.find("\", ").or_else(|| after.rfind('"')) {
            Some(end) => {
                out.push_str(&format!(
                    "a string of {} characters",
                    after[..end].chars().count()
                ));
                rest = &after[end + 1..];
            }
            None => {
                out.push_str("a string");
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    /// `| CV-xxxx | status | meaning |` rows of docs/API.md's error table:
    /// code → (status, marked "(commercial)").
    fn documented() -> BTreeMap<String, (u16, bool)> {
        let doc = include_str!("../../docs/API.md");
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

    #[test]
    fn wire_form_is_code_string_and_status() {
        let r = ApiError::new(Code::NoSuchRoute, "no such route").reply();
        assert_eq!(r.status, 404);
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            r#"{"error":{"code":"CV-3003","message":"no such route"}}"#
        );
        let e = ApiError::access_denied();
        assert_eq!((e.status(), e.code.as_str()), (403, "CV-2041"));
    }

    #[test]
    fn type_errors_do_not_echo_strings() {
        let e = serde_json::from_str::<u32>("\"hunter2\"").unwrap_err();
        let m = json_error(&e).message;
        assert!(!m.contains("hunter2") && m.contains("7 characters"), "{m}");
    }

    #[test]
    fn enum_errors_do_not_echo_the_value() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(rename_all = "lowercase")]
        enum K {
            Text,
        }
        let e = serde_json::from_str::<K>("\"hunter2\"").unwrap_err();
        let m = json_error(&e).message;
        assert!(
            !m.contains("hunter2") && m.contains("expected") && m.contains("text"),
            "{m}"
        );
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct S {
            a: u8,
        }
        let key = "FqmN7m7VC6g9wH8ZlLk2Xv3jYbq0dJxS1nP4tRuW5yA";
        let e = serde_json::from_str::<S>(&format!("{{\"{key}\":1}}")).unwrap_err();
        let m = json_error(&e).message;
        assert!(!m.contains(key) && m.contains("unknown field"), "{m}");
        let e = serde_json::from_str::<S>("{\"colour\":1}").unwrap_err();
        assert!(json_error(&e).message.contains("colour"));
    }
}
