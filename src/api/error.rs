//! API errors: an HTTP status, a stable `CV-` code (listed in docs/API.md)
//! and a message that says what was wrong. Messages never carry keys,
//! tokens, titles or values.

use serde_json::{json, Value};

pub use crate::error_code::Code;
use crate::http::Reply;
use crate::records::RecordError;
use crate::vault::StoreError;

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

/// An edition's refusal (it names nothing of the API) as an error answer.
impl From<crate::edition::Refusal> for ApiError {
    fn from(r: crate::edition::Refusal) -> ApiError {
        use crate::edition::Refusal;
        match r {
            Refusal::Status {
                code,
                message,
                headers,
            } => {
                let mut e = ApiError::new(code, message);
                e.headers = headers;
                e
            }
            Refusal::BadJson(e) => json_error(&e),
            Refusal::Store(e) => e.into(),
        }
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

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> ApiError {
        match e {
            RecordError::Store(e) => e.into(),
            // The agent was deleted after its token checked out.
            RecordError::AgentGone(_) => ApiError::access_denied(),
            // Names ids only, never content: fit for the server log.
            RecordError::WrongKey { .. } | RecordError::Unreadable { .. } => {
                log::error!("{e}");
                ApiError::internal()
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

    #[test]
    fn wire_form_is_code_string_and_status() {
        let r = ApiError::new(Code::NoSuchRoute, "no such route").reply();
        assert_eq!(r.status, 404);
        assert_eq!(
            String::from_utf8_lossy(&r.body),
            r#"{"error":{"code":"CV-3003","message":"no such route"}}"#
        );
        let internal = ApiError::new(Code::Internal, "internal error").reply();
        assert_eq!(
            (internal.status, &internal.body[..]),
            (500, crate::http::UNANSWERED_BODY)
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
