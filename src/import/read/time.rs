//! The one time parser: epochs (seconds or milliseconds) and ISO 8601
//! text to RFC 3339, epochs to calendar dates.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

/// 9999-12-31T23:59:59Z: the last instant RFC 3339 can express (and
/// `humantime` format; its `to_string` panics past it).
const MAX_SECS: i64 = 253_402_300_799;
/// Epoch values at or past this are milliseconds: as seconds they would
/// be past year 5138, which no export means.
const MS_THRESHOLD: u64 = 100_000_000_000;

fn secs_of(n: i64) -> i64 {
    if n.unsigned_abs() >= MS_THRESHOLD {
        n.div_euclid(1000)
    } else {
        n
    }
}

/// RFC 3339 (seconds) from an epoch in seconds or milliseconds. `None`
/// for 0 and negative values (exports write them for "unknown") and
/// past year 9999.
pub(crate) fn rfc3339_epoch(n: i64) -> Option<String> {
    let secs = secs_of(n);
    if secs <= 0 || secs > MAX_SECS {
        return None;
    }
    let t = UNIX_EPOCH + Duration::from_secs(secs as u64);
    Some(humantime::format_rfc3339_seconds(t).to_string())
}

/// RFC 3339 with milliseconds from an epoch in milliseconds (Firefox);
/// `None` past the end of year 9999.
pub(crate) fn rfc3339_millis(ms: u64) -> Option<String> {
    if ms > MAX_SECS as u64 * 1000 + 999 {
        return None;
    }
    let t = UNIX_EPOCH + Duration::from_millis(ms);
    Some(humantime::format_rfc3339_millis(t).to_string())
}

/// What instant of its day a source stores for a date-only field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateAt {
    /// The user's local midnight (Keeper, Proton Pass): the nearest UTC
    /// midnight is the date meant, for every zone from UTC−12 to UTC+12.
    LocalMidnight,
    /// Some time of the UTC day itself (1Password writes 12:01 UTC).
    UtcDay,
}

/// "YYYY-MM-DD" from a date-only field stored as an epoch (seconds or
/// milliseconds; negative for dates before 1970, down to year 0001).
pub(crate) fn date_epoch(n: i64, at: DateAt) -> Option<String> {
    let secs = secs_of(n);
    if !(-62_135_596_800..=MAX_SECS).contains(&secs) {
        return None;
    }
    let shift = match at {
        DateAt::LocalMidnight => 43_200,
        DateAt::UtcDay => 0,
    };
    let (y, m, d) = civil_from_days((secs + shift).div_euclid(86_400));
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A timestamp text in RFC 3339 / ISO 8601 form normalised to RFC 3339
/// UTC; `None` when it is not one.
pub(crate) fn iso_rfc3339(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    humantime::parse_rfc3339_weak(text)
        .ok()
        .map(|t| humantime::format_rfc3339_seconds(t).to_string())
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
        assert_eq!(rfc3339_epoch(0), None);
        assert_eq!(rfc3339_epoch(-5), None);
        assert_eq!(rfc3339_epoch(i64::MAX), None);
        assert_eq!(rfc3339_epoch(i64::MIN), None);
        assert_eq!(rfc3339_millis(253_402_300_800_000), None);
    }

    #[test]
    fn dates_by_what_the_source_stores_and_before_1970() {
        // Local midnight in UTC+2 is 22:00 UTC the day before.
        let local = |n| date_epoch(n, DateAt::LocalMidnight);
        let utc = |n| date_epoch(n, DateAt::UtcDay);
        assert_eq!(local(642_722_400_000).as_deref(), Some("1990-05-15"));
        // Local midnight in UTC-8 is 08:00 UTC the same day.
        assert_eq!(local(1_700_035_200).as_deref(), Some("2023-11-15"));
        assert_eq!(utc(0).as_deref(), Some("1970-01-01"));
        assert_eq!(utc(347_198_460).as_deref(), Some("1981-01-01"));
        assert_eq!(utc(-86_400).as_deref(), Some("1969-12-31"));
        assert_eq!(utc(i64::MAX), None);
        assert_eq!(local(i64::MIN), None);
    }
}
