//! Epoch times as RFC 3339 and calendar dates.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

/// Beyond this `humantime` cannot format (year 9999).
const MAX_SECS: u64 = 253_402_300_799;

/// RFC 3339 from seconds since the epoch; `None` when out of range.
pub(crate) fn rfc3339_secs(secs: i64) -> Option<String> {
    let secs = u64::try_from(secs).ok().filter(|s| *s <= MAX_SECS)?;
    Some(humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string())
}

/// RFC 3339 from an epoch that may be in seconds or milliseconds
/// (values past 1e11 cannot be seconds of a real export: year 5138).
pub(crate) fn rfc3339_epoch(n: i64) -> Option<String> {
    if n.unsigned_abs() >= 100_000_000_000 {
        rfc3339_secs(n.div_euclid(1000))
    } else {
        rfc3339_secs(n)
    }
}

/// "YYYY-MM-DD" from a date-only field stored as an epoch (seconds or
/// milliseconds). Such fields hold the user's local midnight, so the
/// nearest UTC midnight is the calendar date meant, for every zone from
/// UTC−12 to UTC+12; plain truncation would give the day before east of UTC.
pub(crate) fn date_epoch(n: i64) -> Option<String> {
    let secs = if n.unsigned_abs() >= 100_000_000_000 {
        n.div_euclid(1000)
    } else {
        n
    };
    let day = secs
        .checked_add(43_200)?
        .div_euclid(86_400)
        .checked_mul(86_400)?;
    rfc3339_secs(day).and_then(|s| s.get(..10).map(str::to_string))
}

/// An epoch number from a JSON number or numeric string.
pub(crate) fn epoch_of(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_in_seconds_and_milliseconds() {
        assert_eq!(
            rfc3339_epoch(1_689_182_868).as_deref(),
            Some("2023-07-12T17:27:48Z")
        );
        assert_eq!(
            rfc3339_epoch(1_689_182_868_000).as_deref(),
            Some("2023-07-12T17:27:48Z")
        );
        assert_eq!(rfc3339_epoch(-5), None);
        assert_eq!(rfc3339_epoch(i64::MAX), None);
        assert_eq!(rfc3339_epoch(i64::MIN), None);
        // Local midnight in UTC+2 is 22:00 UTC the day before.
        assert_eq!(date_epoch(642_722_400_000).as_deref(), Some("1990-05-15"));
        // Local midnight in UTC-8 is 08:00 UTC the same day.
        assert_eq!(date_epoch(1_700_035_200).as_deref(), Some("2023-11-15"));
    }
}
