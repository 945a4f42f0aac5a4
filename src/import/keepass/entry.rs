//! One KeePass entry: its `String` fields and times, turned into an item.
//!
//! Standard keys: `Title`, `UserName`, `Password`, `URL`, `Notes`. One-time
//! passwords come in three conventions: KeePassXC's `otp` (an `otpauth://`
//! URI, or KeeOtp's `key=…&step=…&size=…`), the older KeeTrayTOTP pair
//! `TOTP Seed` + `TOTP Settings` (`30;6`, `30;S` for Steam) and KeePass
//! 2.47+'s `TimeOtp-Secret-*` with `TimeOtp-Period/Length/Algorithm`.
//! Non-default settings give an `otpauth://` URI; a plain 30 s / 6 digit
//! SHA-1 secret is left bare for the pipeline to wrap. `KP2A_URL*` keys
//! are extra URLs. Every other key is a custom field, hidden when the entry
//! marks it `ProtectInMemory`.

use data_encoding::{BASE32_NOPAD, BASE64, HEXLOWER_PERMISSIVE};

use crate::import::read::{add_field, iso_rfc3339, rfc3339_epoch, url as add_url};
use crate::import::Item;

/// A `String` element of an entry.
#[derive(Debug, Default)]
pub(super) struct StringField {
    pub key: String,
    pub value: String,
    /// `ProtectInMemory="True"`: the user asked KeePass to guard it.
    pub protect_in_memory: bool,
    /// `Protected="True"`: the value is ciphertext of the KDBX inner stream.
    pub encrypted: bool,
}

/// An entry being read.
#[derive(Debug, Default)]
pub(super) struct EntryBuf {
    pub line: usize,
    pub strings: Vec<StringField>,
    /// The `String` currently open.
    pub pending: StringField,
    pub created: String,
    pub modified: String,
    pub tags: String,
}

const STANDARD: &[&str] = &["Title", "UserName", "Password", "URL", "Notes"];
const OTP_KEYS: &[&str] = &[
    "otp",
    "TOTP Seed",
    "TOTP Settings",
    "TimeOtp-Secret-Base32",
    "TimeOtp-Secret",
    "TimeOtp-Secret-Hex",
    "TimeOtp-Secret-Base64",
    "TimeOtp-Period",
    "TimeOtp-Length",
    "TimeOtp-Algorithm",
];

impl EntryBuf {
    pub(super) fn new(line: usize) -> Self {
        EntryBuf {
            line,
            ..Default::default()
        }
    }

    fn get(&self, key: &str) -> &str {
        self.strings
            .iter()
            .find(|s| s.key == key)
            .map_or("", |s| s.value.as_str())
    }

    /// The item, or what was wrong with the entry.
    pub(super) fn into_item(self, folder: String) -> Result<Item, String> {
        if let Some(s) = self
            .strings
            .iter()
            .find(|s| s.encrypted && !s.value.is_empty())
        {
            return Err(format!(
                "`{}` is encrypted with the database's inner stream (a raw KDBX dump); expected a KeePass XML export with plain values",
                s.key
            ));
        }
        let mut item = Item {
            item_type: "login".into(),
            title: self.get("Title").to_string(),
            folder,
            username: self.get("UserName").to_string(),
            password: self.get("Password").to_string(),
            notes: self.get("Notes").to_string(),
            totp: self.totp(),
            created_at: time(&self.created),
            updated_at: time(&self.modified),
            source: "keepass-xml".into(),
            ..Default::default()
        };
        add_url(&mut item, self.get("URL"));
        for s in &self.strings {
            if STANDARD.contains(&s.key.as_str())
                || OTP_KEYS.contains(&s.key.as_str()) && !item.totp.is_empty()
            {
                continue;
            }
            if s.key.starts_with("KP2A_URL") {
                add_url(&mut item, &s.value);
            } else if (s.key.eq_ignore_ascii_case("email") || s.key.eq_ignore_ascii_case("e-mail"))
                && item.email.is_empty()
            {
                item.email = s.value.trim().to_string();
            } else {
                add_field(&mut item, &s.key, &s.value, s.protect_in_memory);
            }
        }
        let tags: Vec<&str> = self
            .tags
            .split([';', ','])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        add_field(&mut item, "tags", &tags.join(", "), false);
        if item.username.is_empty()
            && item.password.is_empty()
            && item.urls.is_empty()
            && item.totp.is_empty()
        {
            item.item_type = "note".into();
        }
        Ok(item)
    }

    /// The entry's TOTP in whichever convention it uses ("" for none).
    fn totp(&self) -> String {
        let otp = self.get("otp").trim();
        if otp.starts_with("otpauth://") {
            return otp.to_string();
        }
        let label = self.get("Title");
        if otp.contains("key=") {
            // KeeOtp: key=SECRET&step=30&size=6&otpHashMode=Sha256
            let param = |name: &str| {
                otp.split('&')
                    .find_map(|p| {
                        p.split_once('=')
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v)
                    })
                    .unwrap_or("")
            };
            let algorithm = param("otpHashMode").to_ascii_uppercase();
            return totp_uri(
                label,
                param("key"),
                param("step"),
                param("size"),
                &algorithm,
            );
        }
        if !otp.is_empty() {
            return otp.to_string();
        }
        let seed = self.get("TOTP Seed").trim();
        if !seed.is_empty() {
            let mut settings = self.get("TOTP Settings").split(';');
            let period = settings.next().unwrap_or("");
            let digits = settings.next().unwrap_or("");
            return totp_uri(label, seed, period, digits, "");
        }
        let secret = self.time_otp_secret();
        if secret.is_empty() {
            return String::new();
        }
        let algorithm = self
            .get("TimeOtp-Algorithm")
            .trim()
            .trim_start_matches("HMAC-")
            .replace('-', "");
        totp_uri(
            label,
            &secret,
            self.get("TimeOtp-Period"),
            self.get("TimeOtp-Length"),
            &algorithm,
        )
    }

    /// KeePass 2.47+ stores the secret in one of four encodings; returns base32.
    fn time_otp_secret(&self) -> String {
        let b32 = self.get("TimeOtp-Secret-Base32").trim();
        if !b32.is_empty() {
            return b32.to_string();
        }
        let bytes = [
            Some(self.get("TimeOtp-Secret").as_bytes().to_vec()).filter(|b| !b.is_empty()),
            HEXLOWER_PERMISSIVE
                .decode(self.get("TimeOtp-Secret-Hex").trim().as_bytes())
                .ok(),
            BASE64
                .decode(self.get("TimeOtp-Secret-Base64").trim().as_bytes())
                .ok(),
        ];
        bytes
            .into_iter()
            .flatten()
            .find(|b| !b.is_empty())
            .map(|b| BASE32_NOPAD.encode(&b))
            .unwrap_or_default()
    }
}

/// A TOTP secret with its settings: bare base32 when they are the defaults
/// (30 s, 6 digits, SHA-1), else an `otpauth://` URI carrying them.
pub(super) fn totp_uri(
    label: &str,
    secret: &str,
    period: &str,
    digits: &str,
    algorithm: &str,
) -> String {
    let secret: String = secret
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect();
    let period = period.trim();
    let digits = digits.trim();
    let algorithm = algorithm.trim().to_ascii_uppercase();
    let mut params = Vec::new();
    if !period.is_empty() && period != "30" {
        params.push(format!("period={}", encode(period)));
    }
    if digits.eq_ignore_ascii_case("S") {
        params.push("encoder=steam".to_string());
    } else if !digits.is_empty() && digits != "6" {
        params.push(format!("digits={}", encode(digits)));
    }
    if !algorithm.is_empty() && algorithm != "SHA1" {
        params.push(format!("algorithm={}", encode(&algorithm)));
    }
    if params.is_empty() {
        return secret;
    }
    format!(
        "otpauth://totp/{}?secret={}&{}",
        encode(label),
        encode(&secret),
        params.join("&")
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// KeePass times: ISO 8601 text in XML exports, or (KDBX 4 dumps) base64
/// of a little-endian i64 counting seconds since 0001-01-01.
fn time(text: &str) -> Option<String> {
    let text = text.trim();
    if let Some(t) = iso_rfc3339(text) {
        return Some(t);
    }
    let bytes = BASE64.decode(text.as_bytes()).ok()?;
    let raw: [u8; 8] = bytes.as_slice().try_into().ok()?;
    const SECONDS_TO_1970: i64 = 62_135_596_800;
    rfc3339_epoch(i64::from_le_bytes(raw).checked_sub(SECONDS_TO_1970)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pairs: &[(&str, &str)]) -> EntryBuf {
        let mut e = EntryBuf::new(1);
        for (k, v) in pairs {
            e.strings.push(StringField {
                key: k.to_string(),
                value: v.to_string(),
                ..Default::default()
            });
        }
        e
    }

    #[test]
    fn totp_conventions_all_resolve() {
        assert_eq!(
            entry(&[("otp", "otpauth://totp/x?secret=AB")]).totp(),
            "otpauth://totp/x?secret=AB"
        );
        assert_eq!(
            entry(&[("TOTP Seed", "JBSW Y3DP"), ("TOTP Settings", "30;6")]).totp(),
            "JBSWY3DP"
        );
        assert_eq!(
            entry(&[
                ("Title", "a b"),
                ("TOTP Seed", "JBSWY3DP"),
                ("TOTP Settings", "60;8")
            ])
            .totp(),
            "otpauth://totp/a%20b?secret=JBSWY3DP&period=60&digits=8"
        );
        assert_eq!(
            entry(&[
                ("TimeOtp-Secret", "12345678901234567890"),
                ("TimeOtp-Algorithm", "HMAC-SHA-256")
            ])
            .totp(),
            "otpauth://totp/?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256"
        );
        assert_eq!(
            entry(&[("otp", "key=JBSWY3DP&step=30&size=6")]).totp(),
            "JBSWY3DP"
        );
    }

    #[test]
    fn kdbx4_base64_times_decode() {
        // 2021-01-01T00:00:00Z = 63745056000 s after 0001-01-01.
        let b64 = BASE64.encode(&63_745_056_000i64.to_le_bytes());
        assert_eq!(time(&b64).as_deref(), Some("2021-01-01T00:00:00Z"));
        assert_eq!(
            time("2016-12-31T21:40:23Z").as_deref(),
            Some("2016-12-31T21:40:23Z")
        );
        assert_eq!(time("garbage"), None);
    }
}
