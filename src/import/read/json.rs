//! JSON parsing and lenient member look-ups.

use serde_json::Value;

use super::{file_error, text};
use crate::import::{ImportError, Input};

/// Parses JSON, describing a failure by position only (serde's message
/// may quote the input).
pub(crate) fn json(file: &str, text: &str) -> Result<Value, ImportError> {
    value(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "ends early (truncated?)",
            _ => "is not valid JSON",
        };
        file_error(
            file,
            format!("{what} at line {} column {}", e.line(), e.column()),
        )
    })
}

/// Parses a JSON value. `FromStr` is compiled inside serde_json, so it is
/// optimised even in debug builds (a generic `from_str::<Value>` here was
/// 10× slower in the prefix-fuzz tests).
pub(crate) fn value(text: &str) -> Result<Value, serde_json::Error> {
    text.parse()
}

/// The whole input as JSON, for detection; `None` when it is not.
pub(crate) fn json_of(input: &Input<'_>) -> Option<Value> {
    text(input).ok().and_then(|t| value(&t).ok())
}

/// A string member as text: strings as they are, numbers and booleans
/// written out, anything else "".
pub(crate) fn s(v: &Value, key: &str) -> String {
    scalar(v.get(key))
}

/// A scalar as text (see [`s`]).
pub(crate) fn scalar(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// True for `true`, non-zero numbers and "1"/"true".
pub(crate) fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true" | "True" | "TRUE"),
        _ => false,
    }
}

/// An array member, or an empty slice.
pub(crate) fn arr<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}
