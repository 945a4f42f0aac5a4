//! Timestamps: Unix epochs and ISO 8601 text to RFC 3339, epochs to
//! calendar dates.

use std::time::{Duration, UNIX_EPOCH};

/// 9999-12-31T23:59:59Z: the last instant RFC 3339 can express.
const MAX_EPOCH: i64 = 253_402_300_799;

/// Seconds since the Unix epoch as RFC 3339 (`None` for 0, negative or
/// out-of-range values, which exports use for "unknown").
pub(crate) fn epoch_rfc3339(secs: i64) -> Option<String> {
    if secs <= 0 || secs > MAX_EPOCH {
        return None;
    }
    let t = UNIX_EPOCH + Duration::from_secs(secs as u64);
    Some(humantime::format_rfc3339_seconds(t).to_string())
}

/// Milliseconds since the Unix epoch as RFC 3339 with milliseconds; `None`
/// past the end of year 9999, which no export means and which humantime
/// cannot print (its `Display` fails, and `to_string` panics on that).
pub(crate) fn epoch_ms_rfc3339(ms: u64) -> Option<String> {
    if ms > MAX_EPOCH as u64 * 1000 + 999 {
        return None;
    }
    let t = UNIX_EPOCH + Duration::from_millis(ms);
    Some(humantime::format_rfc3339_millis(t).to_string())
}

/// Seconds since the Unix epoch as a calendar date `YYYY-MM-DD`. Dates
/// before 1970 (birth dates) are negative in some exports, so those are
/// accepted down to year 0001 via civil-date arithmetic.
pub(crate) fn epoch_date(secs: i64) -> Option<String> {
    if !(-62_135_596_800..=MAX_EPOCH).contains(&secs) {
        return None;
    }
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
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

/// A timestamp text in RFC 3339 / ISO 8601 form, normalised to RFC 3339
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_negative_epochs_and_reject_absurd_ones() {
        assert_eq!(epoch_date(0).as_deref(), Some("1970-01-01"));
        assert_eq!(epoch_date(347198460).as_deref(), Some("1981-01-01"));
        assert_eq!(epoch_date(-86_400).as_deref(), Some("1969-12-31"));
        assert_eq!(epoch_date(i64::MAX), None);
        assert_eq!(
            epoch_rfc3339(1635522833).as_deref(),
            Some("2021-10-29T15:53:53Z")
        );
        assert_eq!(epoch_rfc3339(0), None);
        assert_eq!(epoch_rfc3339(i64::MIN), None);
    }
}
