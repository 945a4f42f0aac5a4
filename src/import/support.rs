//! Helpers shared by the NordPass, Keeper, RoboForm, Enpass and Proton Pass
//! importers: decoding text, reading CSV rows with their line numbers,
//! applying the skip-invalid policy, epoch times, card expiry, names, ZIP
//! members and JSON look-ups.
//!
//! It is declared from `enpass.rs` (`#[path]`) only because this branch may
//! not touch `import/mod.rs`; it belongs there as `mod support;`.
//! Invariant: no message built here contains a value read from the input.

use std::borrow::Cow;
use std::io::{Cursor, Read};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

use crate::import::{CustomField, ImportError, Input, Item, Parsed};

/// Largest ZIP member we inflate: real exports are a few MiB; anything
/// bigger is more likely a decompression bomb than a vault.
pub(crate) const MAX_MEMBER_BYTES: u64 = 64 * 1024 * 1024;

// ---------------------------------------------------------------- errors

/// A whole-file error.
pub(crate) fn file_error(file: &str, message: impl Into<String>) -> ImportError {
    ImportError::File {
        file: file.to_string(),
        message: message.into(),
    }
}

/// Collects items and applies the skip-invalid policy in one place.
pub(crate) struct Sink<'a> {
    file: &'a str,
    skip_invalid: bool,
    parsed: Parsed,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(input: &'a Input<'_>, skip_invalid: bool) -> Self {
        Sink {
            file: input.name,
            skip_invalid,
            parsed: Parsed::default(),
        }
    }

    pub(crate) fn push(&mut self, item: Item) {
        self.parsed.items.push(item);
    }

    /// A bad record: fails the file, or is reported in `skipped` with
    /// `--skip-invalid`. `message` says what was expected, never a value.
    pub(crate) fn invalid(
        &mut self,
        record: String,
        message: impl Into<String>,
    ) -> Result<(), ImportError> {
        let message = message.into();
        if self.skip_invalid {
            self.parsed.skipped.push((record, message));
            Ok(())
        } else {
            Err(ImportError::Record {
                file: self.file.to_string(),
                record,
                message,
            })
        }
    }

    /// A record deliberately left out (trash, unsupported kind).
    pub(crate) fn skip(&mut self, record: String, reason: &str) {
        self.parsed.skipped.push((record, reason.to_string()));
    }

    pub(crate) fn finish(self) -> Parsed {
        self.parsed
    }
}

// ------------------------------------------------------------------ text

/// The input as text: UTF-8 with or without a BOM, or UTF-16 with a BOM
/// (Windows tools sometimes write that). An empty or blank file is an
/// error: it is far more often the wrong file than an empty vault.
pub(crate) fn text<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ImportError> {
    let text = decode(input)?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(file_error(input.name, "the file is empty"));
    }
    Ok(text)
}

fn decode<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ImportError> {
    let b = input.bytes;
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(input.name, rest).map(Cow::Borrowed);
    }
    let utf16 = |le: bool| -> Result<Cow<'a, str>, ImportError> {
        let rest = b.get(2..).unwrap_or_default();
        if rest.len() % 2 != 0 {
            return Err(file_error(
                input.name,
                "UTF-16 text with an odd number of bytes (truncated?)",
            ));
        }
        let units = rest.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| file_error(input.name, "invalid UTF-16 text"))
    };
    if b.starts_with(b"\xFF\xFE") {
        return utf16(true);
    }
    if b.starts_with(b"\xFE\xFF") {
        return utf16(false);
    }
    utf8(input.name, b).map(Cow::Borrowed)
}

fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&c| c == b'\n')
            .count();
        file_error(
            file,
            format!("line {line}: not UTF-8 text; export the file again as UTF-8"),
        )
    })
}

/// The first few KiB as text, for cheap detection (never fails).
pub(crate) fn head(input: &Input<'_>) -> String {
    let b = input.bytes.get(..8192).unwrap_or(input.bytes);
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

// ------------------------------------------------------------------- CSV

/// Whether rows may differ in length. Only formats that are ragged by
/// design (trailing name/value pairs) are read as `Ragged`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Rectangular,
    Ragged,
}

/// One CSV record and the line it starts on (1-based).
pub(crate) struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

impl Row {
    /// The record label used in errors: "line N".
    pub(crate) fn record(&self) -> String {
        format!("line {}", self.line)
    }
    /// The cell at `i`, trimmed; "" when absent.
    pub(crate) fn get(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.cells.get(i)).map_or("", |s| s.trim())
    }
    /// True when every cell is empty or whitespace (`,,,,` lines).
    pub(crate) fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A malformed CSV record: (record label, what was expected).
pub(crate) type BadRow = (String, String);

/// Reads every record (the header too) with the `csv` crate. Malformed
/// records come back in place so the caller applies the skip policy.
/// Lines that are entirely empty are skipped by the reader itself.
pub(crate) fn rows(text: &str, shape: Shape) -> Vec<Result<Row, BadRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(shape == Shape::Ragged)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for result in reader.records() {
        match result {
            Ok(rec) => out.push(Ok(Row {
                line: rec.position().map_or(0, |p| p.line()),
                cells: rec.iter().map(str::to_string).collect(),
            })),
            Err(e) => {
                let bad = describe_csv_error(&e);
                let stop = !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. });
                out.push(Err(bad));
                // Only a length mismatch leaves the reader in a usable state.
                if stop {
                    break;
                }
            }
        }
    }
    out
}

fn describe_csv_error(e: &csv::Error) -> BadRow {
    let line = |p: Option<&csv::Position>| {
        p.map_or_else(|| "record".to_string(), |p| format!("line {}", p.line()))
    };
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            line(pos.as_ref()),
            format!("expected {expected_len} fields like the header, found {len}"),
        ),
        csv::ErrorKind::Utf8 { pos, .. } => (line(pos.as_ref()), "expected UTF-8 text".into()),
        _ => (
            line(e.position()),
            "expected a well-formed CSV record".into(),
        ),
    }
}

/// Header names normalized for lookup: lower case, without spaces,
/// underscores, dashes or a BOM, so "Website Address" = "website_address".
pub(crate) struct Header {
    raw: Vec<String>,
    normalized: Vec<String>,
}

impl Header {
    pub(crate) fn new(cells: &[String]) -> Self {
        Header {
            raw: cells
                .iter()
                .map(|c| c.trim().trim_start_matches('\u{feff}').to_string())
                .collect(),
            normalized: cells.iter().map(|c| norm(c)).collect(),
        }
    }
    /// Index of the first column named any of `names`.
    pub(crate) fn find(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| {
            let n = norm(n);
            self.normalized.iter().position(|h| *h == n)
        })
    }
    pub(crate) fn has(&self, name: &str) -> bool {
        self.find(&[name]).is_some()
    }
    /// The column's name as written.
    pub(crate) fn raw(&self, i: usize) -> &str {
        self.raw.get(i).map_or("", String::as_str)
    }
}

/// Normalized header name (see [`Header`]).
pub(crate) fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first record of a CSV file (for detection), if it parses.
pub(crate) fn first_row(input: &Input<'_>) -> Option<Vec<String>> {
    let head = head(input);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(head.as_bytes());
    let rec = reader.records().next()?.ok()?;
    Some(rec.iter().map(str::to_string).collect())
}

// ------------------------------------------------------------------ items

/// A new item of `item_type` with its title and importer name.
pub(crate) fn item(item_type: &str, title: &str, source: &str) -> Item {
    Item {
        item_type: item_type.to_string(),
        title: title.trim().to_string(),
        source: source.to_string(),
        ..Item::default()
    }
}

/// Adds a custom field unless its value is empty.
pub(crate) fn field(item: &mut Item, label: &str, value: &str, hidden: bool) {
    if value.trim().is_empty() {
        return;
    }
    item.fields.push(CustomField {
        label: label.trim().to_string(),
        value: value.to_string(),
        hidden,
    });
}

/// Adds a URL unless empty or already present.
pub(crate) fn url(item: &mut Item, u: &str) {
    let u = u.trim();
    if !u.is_empty() && !item.urls.iter().any(|x| x == u) {
        item.urls.push(u.to_string());
    }
}

/// Appends a paragraph to the notes.
pub(crate) fn append_note(item: &mut Item, text: &str) {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return;
    }
    if !item.notes.is_empty() {
        item.notes.push_str("\n\n");
    }
    item.notes.push_str(text);
}

/// Sets `typed[name]` unless the value is empty.
pub(crate) fn typed(item: &mut Item, name: &str, value: &str) {
    if !value.trim().is_empty() {
        item.typed
            .insert(name.to_string(), value.trim().to_string());
    }
}

/// Joins folder names into a `/` path. A `/` inside one name would read as
/// nesting, so it becomes U+2215 DIVISION SLASH (looks the same, stays one
/// folder); empty names are dropped.
pub(crate) fn folder_path<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    names
        .into_iter()
        .map(|n| n.as_ref().trim().replace('/', "\u{2215}"))
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// A source folder path that already uses `/` between levels, cleaned of
/// leading, trailing and doubled slashes ("/Work//Dev/" → "Work/Dev").
pub(crate) fn slash_path(path: &str) -> String {
    path.split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
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

// ------------------------------------------------------------- card data

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

// ------------------------------------------------------------------ time

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

// ------------------------------------------------------------------ JSON

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

// ------------------------------------------------------------------- ZIP

/// True when the bytes start like a ZIP archive.
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// An opened archive, with errors that say what went wrong.
pub(crate) struct Zip<'a> {
    file: &'a str,
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Zip<'a> {
    pub(crate) fn open(input: &'a Input<'a>) -> Result<Self, ImportError> {
        let archive = zip::ZipArchive::new(Cursor::new(input.bytes)).map_err(|_| {
            file_error(
                input.name,
                "not a readable ZIP archive (truncated or damaged?)",
            )
        })?;
        Ok(Zip {
            file: input.name,
            archive,
        })
    }

    /// Member names (those that are valid text).
    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(Result::ok)
            .map(|n| n.into_owned())
            .collect()
    }

    /// Reads a member, refusing encrypted ones and any over
    /// [`MAX_MEMBER_BYTES`] (checked while inflating, not only by header).
    pub(crate) fn read(&mut self, name: &str) -> Result<Vec<u8>, ImportError> {
        let file = self.file;
        let damaged = || {
            file_error(
                file,
                format!("ZIP member `{name}` could not be read (truncated or damaged?)"),
            )
        };
        let member = self.archive.by_name(name).map_err(|_| damaged())?;
        if member.encrypted() {
            return Err(file_error(
                file,
                format!("ZIP member `{name}` is password-protected"),
            ));
        }
        if member.size() > MAX_MEMBER_BYTES {
            return Err(too_big(file, name));
        }
        let mut out = Vec::new();
        member
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|_| damaged())?;
        if out.len() as u64 > MAX_MEMBER_BYTES {
            return Err(too_big(file, name));
        }
        Ok(out)
    }
}

fn too_big(file: &str, name: &str) -> ImportError {
    file_error(
        file,
        format!("ZIP member `{name}` is larger than 64 MiB; refusing to inflate it"),
    )
}

// ------------------------------------------------------------------- SSH

/// The key type named by an OpenSSH public key ("ssh-ed25519") or a PEM
/// private key header ("RSA"); "" when neither says.
pub(crate) fn ssh_key_type(public: &str, private: &str) -> String {
    if let Some(t) = public
        .split_whitespace()
        .next()
        .filter(|t| t.starts_with("ssh-") || t.starts_with("ecdsa-"))
    {
        return t.to_string();
    }
    // "OPENSSH" and PKCS#8 headers name a container, not the key type.
    let header = private.lines().next().unwrap_or_default().trim();
    match header
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix(" PRIVATE KEY-----"))
    {
        Some(t @ ("RSA" | "DSA" | "EC")) => t.to_string(),
        _ => String::new(),
    }
}

/// The OpenSSH SHA-256 fingerprint ("SHA256:…") of a public key line.
pub(crate) fn ssh_fingerprint(public: &str) -> Option<String> {
    let blob = public.split_whitespace().nth(1)?;
    let raw = data_encoding::BASE64.decode(blob.as_bytes()).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &raw);
    Some(format!(
        "SHA256:{}",
        data_encoding::BASE64_NOPAD.encode(digest.as_ref())
    ))
}

/// Fills the ssh_key typed fields from a key pair.
pub(crate) fn ssh_key(item: &mut Item, public: &str, private: &str) {
    typed(item, "public_key", public);
    if !private.trim().is_empty() {
        // Byte for byte: some tools reject a key file without its final newline.
        item.typed.insert("private_key".into(), private.to_string());
    }
    typed(item, "key_type", &ssh_key_type(public, private));
    if let Some(fp) = ssh_fingerprint(public) {
        typed(item, "fingerprint", &fp);
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

    #[test]
    fn names_split() {
        assert_eq!(split_name("Ada"), ("Ada".into(), "".into(), "".into()));
        assert_eq!(
            split_name(" Ada  King  Lovelace "),
            ("Ada".into(), "King".into(), "Lovelace".into())
        );
    }

    #[test]
    fn utf16_and_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "a,é".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let i = Input {
            name: "x",
            bytes: &b,
        };
        assert_eq!(text(&i).unwrap(), "a,é");
        let i = Input {
            name: "x",
            bytes: b"\xEF\xBB\xBFok",
        };
        assert_eq!(text(&i).unwrap(), "ok");
        let i = Input {
            name: "x",
            bytes: b"a\n\xFF",
        };
        assert_eq!(
            text(&i).unwrap_err().to_string(),
            "x: line 2: not UTF-8 text; export the file again as UTF-8"
        );
    }

    #[test]
    fn brands() {
        assert_eq!(card_brand("4024007103939509"), "Visa");
        assert_eq!(card_brand("5555 5555 5555 4444"), "Mastercard");
        assert_eq!(card_brand("378282246310005"), "American Express");
        assert_eq!(card_brand("123"), "");
    }

    #[test]
    fn ssh_type_and_fingerprint() {
        assert_eq!(ssh_key_type("ssh-ed25519 AAAA", ""), "ssh-ed25519");
        assert_eq!(
            ssh_key_type("", "-----BEGIN RSA PRIVATE KEY-----\nx"),
            "RSA"
        );
        assert_eq!(
            ssh_key_type("", "-----BEGIN OPENSSH PRIVATE KEY-----\nx"),
            ""
        );
        // The digest `ssh-keygen -lf` prints for this key.
        let pk = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGb8Yy0p4nW1vY9bXJpOkq2m5M0n2xKq3XQ2pKz1dE5c";
        assert_eq!(
            ssh_fingerprint(pk).as_deref(),
            Some("SHA256:eLJnV0Svw6jnA/0+5heYu1dmC5iILDWrIF44+nOdGrY")
        );
        assert_eq!(ssh_fingerprint("ssh-rsa !!!"), None);
    }
}
