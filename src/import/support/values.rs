//! Small value conversions several formats need: month names, card
//! expiry and network, full names, and which labels name secrets.

/// Month number from an English month name or a number ("June", "6", "06").
pub(crate) fn month_number(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let lower = t.to_lowercase();
    if lower.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&lower))
        .map(|i| i as u32 + 1)
}

/// Card expiry as "MM/YYYY" when month and year are known; otherwise
/// whichever part the source had (trimmed).
pub(crate) fn expiry(month: &str, year: &str) -> String {
    let (month, year) = (month.trim(), year.trim());
    let y = match year.parse::<u32>() {
        Ok(y) if year.len() == 2 => Some(2000 + y),
        Ok(y) if year.len() == 4 => Some(y),
        _ => None,
    };
    match (month_number(month), y) {
        (Some(m), Some(y)) => format!("{m:02}/{y}"),
        (Some(m), None) if year.is_empty() => format!("{m:02}"),
        _ if month.is_empty() => year.to_string(),
        _ if year.is_empty() => month.to_string(),
        _ => format!("{month}/{year}"),
    }
}

/// A card network guessed from the number's prefix (IIN ranges), or "".
pub(crate) fn brand_from_number(number: &str) -> &'static str {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let prefix = |n: usize| {
        digits
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match (prefix(1), prefix(2), prefix(4)) {
        _ if digits.len() < 12 => "",
        (4, _, _) => "Visa",
        (_, 51..=55, _) | (_, _, 2221..=2720) => "Mastercard",
        (_, 34 | 37, _) => "American Express",
        (_, 65, _) | (_, _, 6011) => "Discover",
        (_, 35, _) => "JCB",
        (_, 36 | 38, _) | (_, 30, _) => "Diners Club",
        (_, 62, _) => "UnionPay",
        _ => "",
    }
}

/// Splits a full name into (first, middle, last): first word, last word,
/// everything between.
pub(crate) fn split_name(full: &str) -> (String, String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => Default::default(),
        [one] => (one.to_string(), String::new(), String::new()),
        [first, middle @ .., last] => (first.to_string(), middle.join(" "), last.to_string()),
    }
}

/// Whether a field label names something secret (for sources that do not
/// say which fields are concealed, e.g. `key:value` note text).
pub(crate) fn looks_secret(label: &str) -> bool {
    let l = label.to_lowercase();
    let words: Vec<&str> = l.split(|c: char| !c.is_alphanumeric()).collect();
    [
        "pin",
        "cvv",
        "cvc",
        "ssn",
        "iban",
        "password",
        "passphrase",
        "secret",
    ]
    .iter()
    .any(|w| words.contains(w))
        || [
            "security code",
            "private key",
            "license key",
            "licence key",
            "account number",
            "social security",
        ]
        .iter()
        .any(|p| l.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_keeps_partial_values() {
        assert_eq!(expiry("June", "2020"), "06/2020");
        assert_eq!(expiry("1", "23"), "01/2023");
        assert_eq!(expiry("", "2020"), "2020");
        assert_eq!(expiry("January", ""), "01");
        assert_eq!(expiry("", ""), "");
    }

    #[test]
    fn names_split_into_three_parts() {
        assert_eq!(
            split_name("Jane M Doe"),
            ("Jane".into(), "M".into(), "Doe".into())
        );
        assert_eq!(split_name("  Cher "), ("Cher".into(), "".into(), "".into()));
    }
}
