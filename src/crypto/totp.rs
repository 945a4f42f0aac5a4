//! RFC 6238 time-based one-time passwords, for entries with a TOTP field.
//!
//! A stored TOTP value is either an `otpauth://totp/...` URI or a bare base32
//! secret; [`Totp::parse`] accepts both, as password managers export both.

use std::fmt;
use std::sync::OnceLock;

use data_encoding::{Encoding, Specification, BASE32_NOPAD};
use ring::hmac;
use zeroize::Zeroizing;

use super::CryptoError;

/// Digits in a code when the URI does not say.
pub const DEFAULT_DIGITS: u32 = 6;
/// Seconds per code when the URI does not say.
pub const DEFAULT_PERIOD: u64 = 30;

const URI_PREFIX: &str = "otpauth://";
const BASE32_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The HMAC behind a TOTP code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotpAlgorithm {
    /// HMAC-SHA1, the default and by far the most common.
    Sha1,
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl TotpAlgorithm {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            // RFC 6238's default; SHA-1's collision weakness does not affect
            // HMAC, and authenticator apps only speak SHA-1 for most sites.
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }
}

/// A TOTP generator: secret, digits, period and algorithm. The secret is wiped
/// on drop and never printed.
#[derive(Clone)]
pub struct Totp {
    secret: Zeroizing<Vec<u8>>,
    digits: u32,
    period: u64,
    algorithm: TotpAlgorithm,
}

impl Totp {
    /// A generator from raw parts. `digits` must be 6 to 10, `period` 1 to
    /// 3600 seconds, and the secret non-empty.
    pub fn new(
        secret: Vec<u8>,
        digits: u32,
        period: u64,
        algorithm: TotpAlgorithm,
    ) -> Result<Totp, CryptoError> {
        let secret = Zeroizing::new(secret);
        if secret.is_empty() {
            return Err(CryptoError::Malformed("TOTP secret is empty"));
        }
        if !(6..=10).contains(&digits) {
            return Err(CryptoError::Malformed("TOTP digits must be 6 to 10"));
        }
        if !(1..=3600).contains(&period) {
            return Err(CryptoError::Malformed(
                "TOTP period must be 1 to 3600 seconds",
            ));
        }
        Ok(Totp {
            secret,
            digits,
            period,
            algorithm,
        })
    }

    /// Reads `otpauth://totp/Label?secret=...&digits=..&period=..&algorithm=..`
    /// (parameter names in any case; unknown parameters such as `issuer` are
    /// ignored) or a bare base32 secret (spaces ignored, any case, optional
    /// `=` padding).
    pub fn parse(s: &str) -> Result<Totp, CryptoError> {
        let s = s.trim();
        match s.get(..URI_PREFIX.len()) {
            Some(p) if p.eq_ignore_ascii_case(URI_PREFIX) => parse_uri(&s[URI_PREFIX.len()..]),
            _ => Totp::new(
                decode_secret(s)?.to_vec(),
                DEFAULT_DIGITS,
                DEFAULT_PERIOD,
                TotpAlgorithm::Sha1,
            ),
        }
    }

    /// The code for the period containing `unix_secs`, zero-padded to
    /// [`Totp::digits`] characters.
    pub fn code_at(&self, unix_secs: u64) -> String {
        let counter = unix_secs / self.period;
        let key = hmac::Key::new(self.algorithm.hmac(), &self.secret);
        let tag = hmac::sign(&key, &counter.to_be_bytes());
        let h = tag.as_ref();
        // RFC 4226 section 5.3 dynamic truncation. The offset is at most 15,
        // and the shortest tag (SHA-1) has 20 bytes, so the slice is in range.
        let offset = usize::from(h[h.len() - 1] & 0x0f);
        let word: [u8; 4] = h[offset..offset + 4]
            .try_into()
            .expect("offset + 4 <= 19 < tag length");
        let bin = u64::from(u32::from_be_bytes(word) & 0x7fff_ffff);
        let code = bin % 10u64.pow(self.digits);
        format!("{code:0width$}", width = self.digits as usize)
    }

    /// Seconds until the code valid at `unix_secs` changes.
    pub fn seconds_remaining(&self, unix_secs: u64) -> u64 {
        self.period - unix_secs % self.period
    }

    /// Digits per code.
    pub fn digits(&self) -> u32 {
        self.digits
    }

    /// Seconds per code.
    pub fn period(&self) -> u64 {
        self.period
    }

    /// The HMAC algorithm.
    pub fn algorithm(&self) -> TotpAlgorithm {
        self.algorithm
    }
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &"..")
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

fn parse_uri(rest: &str) -> Result<Totp, CryptoError> {
    let (kind, after) = rest.split_once('/').ok_or(CryptoError::Malformed(
        "an otpauth URI looks like otpauth://totp/Label?secret=...",
    ))?;
    if !kind.eq_ignore_ascii_case("totp") {
        return Err(CryptoError::Malformed(
            "only otpauth://totp/ URIs are supported (not counter-based hotp)",
        ));
    }
    let query = after.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    let mut secret = None;
    let mut digits = DEFAULT_DIGITS;
    let mut period = DEFAULT_PERIOD;
    let mut algorithm = TotpAlgorithm::Sha1;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name.to_ascii_lowercase().as_str() {
            "secret" => secret = Some(decode_secret(&percent_decode(value)?)?),
            "digits" => {
                digits = value.parse().map_err(|_| {
                    CryptoError::Malformed("otpauth `digits` must be a number from 6 to 10")
                })?
            }
            "period" => {
                period = value.parse().map_err(|_| {
                    CryptoError::Malformed("otpauth `period` must be a number of seconds")
                })?
            }
            "algorithm" => {
                algorithm = TotpAlgorithm::parse(&percent_decode(value)?).ok_or(
                    CryptoError::Malformed("otpauth `algorithm` must be SHA1, SHA256 or SHA512"),
                )?
            }
            _ => {}
        }
    }
    let secret = secret.ok_or(CryptoError::Malformed(
        "otpauth URI has no `secret` parameter",
    ))?;
    Totp::new(secret.to_vec(), digits, period, algorithm)
}

/// Decodes `%XX` escapes and `+` (space) in a query value.
fn percent_decode(s: &str) -> Result<Zeroizing<String>, CryptoError> {
    let bytes = s.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or(CryptoError::Malformed(
                        "otpauth URI has a `%` not followed by two hex digits",
                    ))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    let text = std::str::from_utf8(&out)
        .map_err(|_| CryptoError::Malformed("otpauth URI value is not UTF-8"))?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Base32 that ignores the unused low bits of the last character. Secrets
/// are often random strings of any length, and authenticator apps accept
/// them, so a strict decoder would refuse working secrets.
fn base32_lenient() -> &'static Encoding {
    static ENCODING: OnceLock<Encoding> = OnceLock::new();
    ENCODING.get_or_init(|| {
        let mut spec = Specification::new();
        spec.symbols.push_str(BASE32_ALPHABET);
        spec.check_trailing_bits = false;
        spec.encoding()
            .expect("a 32-symbol alphabet without padding is a valid specification")
    })
}

/// Decodes a base32 secret as people paste it: spaces ignored, any case,
/// optional `=` padding.
fn decode_secret(s: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut clean = Zeroizing::new(String::with_capacity(s.len()));
    for c in s.chars().filter(|c| !c.is_whitespace()) {
        clean.push(c.to_ascii_uppercase());
    }
    let trimmed_len = clean.trim_end_matches('=').len();
    clean.truncate(trimmed_len);
    if clean.is_empty() {
        return Err(CryptoError::Malformed("TOTP secret is empty"));
    }
    if !clean.chars().all(|c| BASE32_ALPHABET.contains(c)) {
        return Err(CryptoError::Malformed(
            "TOTP secret must be base32 (letters A-Z and digits 2-7)",
        ));
    }
    // A final 1, 3 or 6 characters past a multiple of 8 holds fewer than 8
    // spare bits: the last character adds no byte, so drop it as lenient
    // decoders do.
    if matches!(clean.len() % 8, 1 | 3 | 6) {
        clean.pop();
    }
    let bytes = base32_lenient()
        .decode(clean.as_bytes())
        .map_err(|_| CryptoError::Malformed("TOTP secret must be base32"))?;
    if bytes.is_empty() {
        return Err(CryptoError::Malformed("TOTP secret is too short"));
    }
    Ok(Zeroizing::new(bytes))
}

/// Turns a bare base32 secret into `otpauth://totp/<label>?secret=<SECRET>`
/// (secret upper case, unpadded; label percent-encoded except for unreserved
/// characters, `:` and `@`). A value that is already an otpauth URI is
/// checked and returned unchanged.
pub fn secret_to_uri(secret_b32: &str, label: &str) -> Result<String, CryptoError> {
    let trimmed = secret_b32.trim();
    if trimmed
        .get(..URI_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(URI_PREFIX))
    {
        Totp::parse(trimmed)?;
        return Ok(trimmed.to_owned());
    }
    let secret = decode_secret(trimmed)?;
    let mut out = String::from("otpauth://totp/");
    for b in label.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push_str(&super::hex(&[b]).to_ascii_uppercase());
        }
    }
    out.push_str("?secret=");
    out.push_str(&BASE32_NOPAD.encode(&secret));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    /// RFC 6238 appendix B: (time, SHA1, SHA256, SHA512), 8 digits, 30 s.
    const RFC6238: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1111111109, "07081804", "68084774", "25091201"),
        (1111111111, "14050471", "67062674", "99943326"),
        (1234567890, "89005924", "91819424", "93441116"),
        (2000000000, "69279037", "90698825", "38618901"),
        (20000000000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc6238_vectors() {
        let sha1 = Totp::new(SEED20.to_vec(), 8, 30, TotpAlgorithm::Sha1).expect("valid");
        let sha256 = Totp::new(SEED32.to_vec(), 8, 30, TotpAlgorithm::Sha256).expect("valid");
        let sha512 = Totp::new(SEED64.to_vec(), 8, 30, TotpAlgorithm::Sha512).expect("valid");
        for (t, c1, c256, c512) in RFC6238 {
            assert_eq!(sha1.code_at(t), c1, "SHA1 at {t}");
            assert_eq!(sha256.code_at(t), c256, "SHA256 at {t}");
            assert_eq!(sha512.code_at(t), c512, "SHA512 at {t}");
        }
    }

    #[test]
    fn rfc6238_vectors_through_uris() {
        for (seed, alg, col) in [
            (SEED20, "sha1", 1),
            (SEED32, "SHA256", 2),
            (SEED64, "Sha-512", 3),
        ] {
            let uri = format!(
                "otpauth://totp/ACME:alice@example.com?Secret={}&DIGITS=8&period=30&Algorithm={alg}&issuer=ACME",
                BASE32_NOPAD.encode(seed)
            );
            let totp = Totp::parse(&uri).expect("parses");
            assert_eq!(totp.digits(), 8);
            for row in RFC6238 {
                let want = [row.1, row.2, row.3][col - 1];
                assert_eq!(totp.code_at(row.0), want, "{alg} at {}", row.0);
            }
        }
    }

    #[test]
    fn six_digit_codes_are_zero_padded() {
        let totp = Totp::parse(&BASE32_NOPAD.encode(SEED20)).expect("bare secret");
        assert_eq!(totp.digits(), 6);
        assert_eq!(totp.period(), 30);
        assert_eq!(totp.algorithm(), TotpAlgorithm::Sha1);
        assert_eq!(totp.code_at(1111111109), "081804");
        assert_eq!(totp.code_at(59), "287082");
        assert_eq!(totp.seconds_remaining(59), 1);
        assert_eq!(totp.seconds_remaining(60), 30);
    }

    #[test]
    fn bare_secret_forms() {
        let canonical = Totp::parse("JBSWY3DPEHPK3PXP").expect("parses");
        for form in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            " jbsw y3dp\tehpk 3pxp \n",
            "JBSWY3DPEHPK3PXP======",
        ] {
            let t = Totp::parse(form).expect("parses");
            assert_eq!(
                t.code_at(1_700_000_000),
                canonical.code_at(1_700_000_000),
                "{form:?}"
            );
        }
        // Padded to a full block, and an odd length with spare bits set.
        assert!(Totp::parse("GEZDGNBV").is_ok());
        assert!(Totp::parse("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJR").is_ok());
        assert!(Totp::parse("ABCDEFGHIJKLMNOPQRSTUVWXYZ").is_ok());
        assert!(Totp::parse("ABCDEFGHIJK").is_ok());
    }

    #[test]
    fn uri_defaults_and_percent_decoding() {
        let t = Totp::parse("otpauth://totp/x?secret=JBSW%20Y3DP+EHPK3PXP").expect("parses");
        assert_eq!(
            (t.digits(), t.period(), t.algorithm()),
            (6, 30, TotpAlgorithm::Sha1)
        );
        let plain = Totp::parse("JBSWY3DPEHPK3PXP").expect("parses");
        assert_eq!(t.code_at(99), plain.code_at(99));
        let t =
            Totp::parse("OTPAUTH://TOTP/x?period=60&secret=JBSWY3DPEHPK3PXP#frag").expect("parses");
        assert_eq!(t.period(), 60);
        assert_eq!(t.code_at(0), t.code_at(59));
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "",
            "   ",
            "====",
            "JBSWY3DP1",
            "not base32!",
            "A",
            "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1",
            "otpauth://totp/x",
            "otpauth://totp/x?issuer=ACME",
            "otpauth://totp/x?secret=",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=5",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=11",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=-30",
            "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            "otpauth://totp/x?secret=JBSW%2",
            "otpauth://totp/x?secret=JBSW%FF",
            "otpauth://totp",
            "otpauth://ü",
        ] {
            assert!(
                matches!(Totp::parse(bad), Err(CryptoError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn secret_to_uri_builds_a_parseable_uri() {
        let uri = secret_to_uri("jbsw y3dp ehpk 3pxp", "ACME Co:alice@example.com").expect("valid");
        assert_eq!(
            uri,
            "otpauth://totp/ACME%20Co:alice@example.com?secret=JBSWY3DPEHPK3PXP"
        );
        let from_uri = Totp::parse(&uri).expect("parses");
        let bare = Totp::parse("JBSWY3DPEHPK3PXP").expect("parses");
        assert_eq!(from_uri.code_at(1234), bare.code_at(1234));
        assert_eq!(
            secret_to_uri("JBSWY3DPEHPK3PXP", "a/b?c&d=é").expect("valid"),
            "otpauth://totp/a%2Fb%3Fc%26d%3D%C3%A9?secret=JBSWY3DPEHPK3PXP"
        );
        let existing = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=8";
        assert_eq!(secret_to_uri(existing, "ignored").expect("valid"), existing);
        assert!(secret_to_uri("not base32!", "x").is_err());
        assert!(secret_to_uri("otpauth://totp/x", "x").is_err());
    }

    #[test]
    fn debug_hides_secret() {
        let t = Totp::parse("JBSWY3DPEHPK3PXP").expect("parses");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("[72"), "{dbg}"); // first secret byte is b'H' = 72
        assert!(!dbg.to_uppercase().contains("JBSW"), "{dbg}");
        assert!(dbg.contains("digits: 6"));
    }
}
