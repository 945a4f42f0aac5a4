//! Small value conversions several formats need: month names, card
//! expiry and network, full names, and which labels name secrets.

/// Month number from an English month name or a number ("June", "Jun", "6", "06").
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

/// Card expiry as "MM/YYYY" from a month and a year (two-digit years are
/// 20YY) when both are known; otherwise whichever part the source had.
pub(crate) fn expiry_of(month: &str, year: &str) -> String {
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

/// Normalizes the common one-string expiry forms ("01 / 22", "1/2025",
/// "2025-01", "01-2025") to "MM/YYYY"; anything else is kept as written.
pub(crate) fn expiry(s: &str) -> String {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let (m, y) = match parts.as_slice() {
        [a, b] if a.len() == 4 => (*b, *a),
        [a, b] => (*a, *b),
        _ => return s.trim().to_string(),
    };
    let valid = numeric(m)
        && numeric(y)
        && matches!(y.len(), 2 | 4)
        && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    if valid {
        expiry_of(m, y)
    } else {
        s.trim().to_string()
    }
}

/// The brand of a card number by its IIN prefix, for sources that do not
/// say; "" when unknown.
pub(crate) fn card_brand(number: &str) -> &'static str {
    let d: String = number.chars().filter(char::is_ascii_digit).collect();
    let p = |n: usize| d.get(..n).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    match () {
        _ if d.len() < 12 => "",
        _ if d.starts_with('4') => "Visa",
        _ if (51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4)) => "Mastercard",
        _ if p(2) == 34 || p(2) == 37 => "American Express",
        _ if p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3)) => "Discover",
        _ if (3528..=3589).contains(&p(4)) => "JCB",
        _ if p(2) == 36 || p(2) == 38 || (300..=305).contains(&p(3)) => "Diners Club",
        _ if p(2) == 62 => "UnionPay",
        _ => "",
    }
}

/// Splits "First Middle Last" into its parts; one word is a first name.
pub(crate) fn split_name(full: &str) -> (String, String, String) {
    let words: Vec<&str> = full.split_whitespace().collect();
    match words.as_slice() {
        [] => Default::default(),
        [first] => (first.to_string(), String::new(), String::new()),
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
    fn expiry_forms() {
        assert_eq!(expiry_of("June", "2020"), "06/2020");
        assert_eq!(expiry_of("1", "23"), "01/2023");
        assert_eq!(expiry_of("12", "30"), "12/2030");
        assert_eq!(expiry_of("", "2020"), "2020");
        assert_eq!(expiry_of("January", ""), "01");
        assert_eq!(expiry_of("", ""), "");
        assert_eq!(expiry("01 / 22"), "01/2022");
        assert_eq!(expiry("1/2025"), "01/2025");
        assert_eq!(expiry("2025-01"), "01/2025");
        assert_eq!(expiry("13/25"), "13/25");
        assert_eq!(expiry("soon"), "soon");
    }

    #[test]
    fn brands_and_names() {
        assert_eq!(card_brand("4024007103939509"), "Visa");
        assert_eq!(card_brand("5555 5555 5555 4444"), "Mastercard");
        assert_eq!(card_brand("378282246310005"), "American Express");
        assert_eq!(card_brand("123"), "");
        assert_eq!(
            split_name(" Ada  King  Lovelace "),
            ("Ada".into(), "King".into(), "Lovelace".into())
        );
        assert_eq!(split_name("  Cher "), ("Cher".into(), "".into(), "".into()));
    }
}
