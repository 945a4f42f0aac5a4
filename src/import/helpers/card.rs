//! Card expiry and brand.

/// "MM/YYYY" from a month and a year (two-digit years are 20YY); `None`
/// when either is not a number in range.
pub(crate) fn expiry_parts(month: &str, year: &str) -> Option<String> {
    let m: u32 = month.trim().parse().ok()?;
    let y_str = year.trim();
    let y: u32 = y_str.parse().ok()?;
    let y = match y_str.len() {
        2 => 2000 + y,
        4 => y,
        _ => return None,
    };
    (1..=12).contains(&m).then(|| format!("{m:02}/{y}"))
}

/// Normalizes the common one-string expiry forms ("01 / 22", "1/2025",
/// "2025-01", "01-2025") to "MM/YYYY"; anything else is kept as written.
pub(crate) fn expiry(s: &str) -> String {
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let parsed = match parts.as_slice() {
        [a, b] if a.len() == 4 => expiry_parts(b, a),
        [a, b] => expiry_parts(a, b),
        _ => None,
    };
    parsed.unwrap_or_else(|| s.trim().to_string())
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
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        assert_eq!(expiry("01 / 22"), "01/2022");
        assert_eq!(expiry("1/2025"), "01/2025");
        assert_eq!(expiry("2025-01"), "01/2025");
        assert_eq!(expiry("13/25"), "13/25");
        assert_eq!(expiry("soon"), "soon");
    }

    #[test]
    fn brands() {
        assert_eq!(card_brand("4024007103939509"), "Visa");
        assert_eq!(card_brand("5555 5555 5555 4444"), "Mastercard");
        assert_eq!(card_brand("378282246310005"), "American Express");
        assert_eq!(card_brand("123"), "");
    }
}
