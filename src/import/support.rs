//! Helpers shared by the 1Password, LastPass, Dashlane, KeePass and
//! KeePassXC importers: text decoding, CSV tables, ZIP members, the
//! error-or-skip collector, timestamps and the last step that fits an item
//! to its FIELD_SPEC type.
//!
//! It is compiled once, as `onepassword::support` (see the `#[path]` in
//! `onepassword.rs`), because `import/mod.rs` belongs to the pipeline; it
//! can move to `import::support` with one `mod` line there.
//!
//! Invariant: no message built here contains a field value — only file
//! names, record positions and what was expected.

use std::borrow::Cow;
use std::io::{Cursor, Read};
use std::time::{Duration, UNIX_EPOCH};

use crate::fieldspec;

use super::super::{CustomField, ImportError, Item, Parsed};

/// Largest ZIP member we decompress (uncompressed bytes). Real exports are
/// far smaller; the cap stops a ZIP bomb from exhausting memory.
pub(crate) const MAX_ZIP_MEMBER: u64 = 64 * 1024 * 1024;
/// Most members we look at in one archive (a ZIP can list millions).
const MAX_ZIP_MEMBERS: usize = 10_000;
/// 9999-12-31T23:59:59Z: the last instant RFC 3339 can express.
const MAX_EPOCH: i64 = 253_402_300_799;

/// A file-level error (the record cannot be named).
pub(crate) fn file_error(file: &str, message: impl Into<String>) -> ImportError {
    ImportError::File {
        file: file.to_string(),
        message: message.into(),
    }
}

/// Decodes an export's bytes as text: UTF-8 with or without a BOM, or
/// UTF-16 with a BOM (what Windows tools write when asked for "Unicode").
pub(crate) fn text<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, ImportError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(file, rest);
    }
    let utf16 = |rest: &[u8], le: bool| -> Result<Cow<'a, str>, ImportError> {
        let units = rest.chunks_exact(2).map(|c| {
            if le {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| file_error(file, "expected UTF-16 text after the byte-order mark"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    utf8(file, bytes)
}

fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, ImportError> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        file_error(
            file,
            format!("expected UTF-8 text; invalid byte at offset {}", e.valid_up_to()),
        )
    })
}

/// Text for detection only: lossy, never fails.
pub(crate) fn sniff(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8_lossy(bytes)
}

/// Gathers a parse's items; decides whether a bad record fails the whole
/// file or is skipped (`--skip-invalid`).
pub(crate) struct Collector {
    file: String,
    skip_invalid: bool,
    parsed: Parsed,
}

impl Collector {
    pub(crate) fn new(file: &str, skip_invalid: bool) -> Self {
        Collector {
            file: file.to_string(),
            skip_invalid,
            parsed: Parsed::default(),
        }
    }

    /// The file name errors are reported against.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Accepts an item after fitting it to its type.
    pub(crate) fn push(&mut self, mut item: Item) {
        fit_to_type(&mut item);
        self.parsed.items.push(item);
    }

    /// A record that cannot be imported: fails the file unless skipping.
    pub(crate) fn invalid(&mut self, record: String, message: impl Into<String>) -> Result<(), ImportError> {
        let message = message.into();
        if self.skip_invalid {
            self.parsed.skipped.push((record, message));
            Ok(())
        } else {
            Err(ImportError::Record {
                file: self.file.clone(),
                record,
                message,
            })
        }
    }

    /// A record left out on purpose (trash, folder placeholders).
    pub(crate) fn skip(&mut self, record: String, reason: &str) {
        self.parsed.skipped.push((record, reason.to_string()));
    }

    /// Adds what another collector gathered (ZIP members).
    pub(crate) fn absorb(&mut self, other: Parsed) {
        self.parsed.items.extend(other.items);
        self.parsed.skipped.extend(other.skipped);
    }

    pub(crate) fn finish(self) -> Parsed {
        self.parsed
    }
}

/// The reason recorded for items the source had deleted.
pub(crate) const IN_TRASH: &str = "in trash";

// ---------------------------------------------------------------- CSV

/// One data row of a CSV file.
pub(crate) struct Row {
    /// 1-based line the record starts on (the header is line 1).
    pub line: u64,
    pub fields: Vec<String>,
}

impl Row {
    pub(crate) fn record(&self) -> String {
        format!("line {}", self.line)
    }

    /// The field at `index`, or "" when the column is absent.
    pub(crate) fn get(&self, index: Option<usize>) -> &str {
        index.and_then(|i| self.fields.get(i)).map(String::as_str).unwrap_or("")
    }
}

/// A CSV file's header and rows, read fully (exports are small).
pub(crate) struct Table {
    /// Header names, trimmed; compare with [`Table::col`].
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Index of the first header equal (ignoring ASCII case) to one of `names`.
    pub(crate) fn col(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.headers.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }
}

fn csv_builder(backslash_escape: bool) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    // Field counts are checked here rather than by the csv crate so a ragged
    // row can be skipped under --skip-invalid instead of ending the read.
    b.has_headers(false).flexible(true);
    if backslash_escape {
        b.escape(Some(b'\\'));
    }
    b
}

/// The header row of a CSV text, for detection (empty when unreadable).
pub(crate) fn csv_header(text: &str) -> Vec<String> {
    let mut reader = csv_builder(false).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|h| h.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Lowercased header set, for detection.
pub(crate) fn header_set(text: &str) -> Vec<String> {
    csv_header(text).into_iter().map(|h| h.to_ascii_lowercase()).collect()
}

/// Reads a headed CSV text. Rows made only of empty or blank fields are
/// dropped; a row whose field count differs from the header's is reported
/// through `out` (an error, or skipped with --skip-invalid).
pub(crate) fn read_csv(text: &str, backslash_escape: bool, out: &mut Collector) -> Result<Table, ImportError> {
    let mut reader = csv_builder(backslash_escape).from_reader(text.as_bytes());
    let mut headers = None;
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(ImportError::Record {
                    file: out.file().to_string(),
                    record: format!("line {line}"),
                    message: "expected a CSV record".into(),
                });
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let Some(header) = &headers else {
            headers = Some(record.iter().map(|h| h.trim().to_string()).collect::<Vec<_>>());
            continue;
        };
        if record.len() != header.len() {
            out.invalid(
                format!("line {line}"),
                format!("expected {} fields as in the header, found {}", header.len(), record.len()),
            )?;
            continue;
        }
        rows.push(Row {
            line,
            fields: record.iter().map(str::to_string).collect(),
        });
    }
    let headers = headers.ok_or_else(|| file_error(out.file(), "expected a CSV header row; the file is empty"))?;
    Ok(Table { headers, rows })
}

// ---------------------------------------------------------------- ZIP

/// Whether the bytes start like a ZIP archive (local header or empty archive).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

pub(crate) type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// Opens a ZIP archive; a truncated or damaged one is a clear file error.
pub(crate) fn open_zip<'a>(file: &str, bytes: &'a [u8]) -> Result<Archive<'a>, ImportError> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| file_error(file, "expected a ZIP archive; it is truncated or damaged"))?;
    if archive.len() > MAX_ZIP_MEMBERS {
        return Err(file_error(
            file,
            format!("expected at most {MAX_ZIP_MEMBERS} files in the archive, found {}", archive.len()),
        ));
    }
    Ok(archive)
}

/// Member names in archive order (unreadable names are left out).
pub(crate) fn zip_names(archive: &Archive<'_>) -> Vec<String> {
    archive.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect()
}

/// The last path component of a member name.
pub(crate) fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Reads one member fully, refusing encrypted members and anything over
/// [`MAX_ZIP_MEMBER`] bytes (checked while reading: the header can lie).
pub(crate) fn read_member(archive: &mut Archive<'_>, file: &str, name: &str) -> Result<Vec<u8>, ImportError> {
    let index = archive
        .index_for_name(name)
        .ok_or_else(|| file_error(file, format!("expected a member `{name}` in the archive")))?;
    let member = archive
        .by_index(index)
        .map_err(|_| file_error(file, format!("`{name}`: expected a readable, unencrypted archive member")))?;
    if member.size() > MAX_ZIP_MEMBER {
        return Err(file_error(
            file,
            format!("`{name}`: expected at most {MAX_ZIP_MEMBER} bytes uncompressed, the archive says {}", member.size()),
        ));
    }
    let mut out = Vec::new();
    member
        .take(MAX_ZIP_MEMBER + 1)
        .read_to_end(&mut out)
        .map_err(|_| file_error(file, format!("`{name}`: expected readable compressed data; the archive is damaged")))?;
    if out.len() as u64 > MAX_ZIP_MEMBER {
        return Err(file_error(file, format!("`{name}`: expected at most {MAX_ZIP_MEMBER} bytes uncompressed")));
    }
    Ok(out)
}

// ---------------------------------------------------------------- time

/// Seconds since the Unix epoch as RFC 3339 (`None` for 0, negative or
/// out-of-range values, which exports use for "unknown").
pub(crate) fn epoch_rfc3339(secs: i64) -> Option<String> {
    if secs <= 0 || secs > MAX_EPOCH {
        return None;
    }
    let t = UNIX_EPOCH + Duration::from_secs(secs as u64);
    Some(humantime::format_rfc3339_seconds(t).to_string())
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

// ---------------------------------------------------------------- values

/// Month number from an English month name or a number ("June", "6", "06").
pub(crate) fn month_number(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u32>() {
        return (1..=12).contains(&n).then_some(n);
    }
    const MONTHS: [&str; 12] = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
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
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
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
    ["pin", "cvv", "cvc", "ssn", "iban", "password", "passphrase", "secret"]
        .iter()
        .any(|w| words.contains(w))
        || ["security code", "private key", "license key", "licence key", "account number", "social security"]
            .iter()
            .any(|p| l.contains(p))
}

/// Adds a custom field unless the value is blank or the same label and value
/// are already there (several sources repeat a value under two columns).
pub(crate) fn add_field(item: &mut Item, label: &str, value: &str, hidden: bool) {
    if value.trim().is_empty() {
        return;
    }
    let label = label.trim();
    if item
        .fields
        .iter()
        .any(|f| f.value == value && f.label.eq_ignore_ascii_case(label))
    {
        return;
    }
    item.fields.push(CustomField {
        label: label.to_string(),
        value: value.to_string(),
        hidden,
    });
}

/// Adds a URL unless blank or already present.
pub(crate) fn add_url(item: &mut Item, url: &str) {
    let url = url.trim();
    if !url.is_empty() && !item.urls.iter().any(|u| u == url) {
        item.urls.push(url.to_string());
    }
}

/// Stores `value` in `slot` when the slot is empty; returns false (so the
/// caller keeps the value elsewhere) when the slot already holds a
/// different value.
pub(crate) fn fill(slot: &mut String, value: &str) -> bool {
    if value.trim().is_empty() || slot == value {
        return true;
    }
    if slot.is_empty() {
        *slot = value.to_string();
        return true;
    }
    false
}

/// Joins folder path parts with `/`, trimming them and dropping empty ones.
pub(crate) fn folder_path<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Moves top-level values the item's FIELD_SPEC type has no field for
/// (e.g. a username on an identity) into custom fields, and `typed` keys the
/// type does not define likewise, so the pipeline never drops data.
pub(crate) fn fit_to_type(item: &mut Item) {
    let Some(def) = fieldspec::entry_type(&item.item_type) else {
        item.item_type = "note".into();
        return fit_to_type(item);
    };
    if item.item_type == "identity" {
        let identity = item.identity.get_or_insert_with(Default::default);
        if fill(&mut identity.email, &item.email) {
            item.email.clear();
        }
    }
    for (name, label, hidden) in [
        ("username", "username", false),
        ("email", "email", false),
        ("password", "password", true),
        ("totp", "one-time password", true),
    ] {
        if def.field(name).is_some() {
            continue;
        }
        let slot = match name {
            "username" => &mut item.username,
            "email" => &mut item.email,
            "password" => &mut item.password,
            _ => &mut item.totp,
        };
        let value = std::mem::take(slot);
        add_field(item, label, &value, hidden);
    }
    let stray: Vec<String> = item.typed.keys().filter(|k| def.field(k).is_none()).cloned().collect();
    for key in stray {
        if let Some(value) = item.typed.remove(&key) {
            add_field(item, &key, &value, looks_secret(&key));
        }
    }
    item.typed.retain(|_, v| !v.trim().is_empty());
    if item.item_type != "card" {
        item.card = None;
    }
    if item.item_type != "identity" {
        item.identity = None;
    }
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
        assert_eq!(epoch_rfc3339(1635522833).as_deref(), Some("2021-10-29T15:53:53Z"));
        assert_eq!(epoch_rfc3339(0), None);
        assert_eq!(epoch_rfc3339(i64::MIN), None);
    }

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
        assert_eq!(split_name("Jane M Doe"), ("Jane".into(), "M".into(), "Doe".into()));
        assert_eq!(split_name("  Cher "), ("Cher".into(), "".into(), "".into()));
    }

    #[test]
    fn text_decodes_boms() {
        assert_eq!(text("f", b"\xEF\xBB\xBFa,b").unwrap(), "a,b");
        assert_eq!(text("f", b"\xFF\xFEa\x00").unwrap(), "a");
        assert!(matches!(text("f", b"\xFF\x00\xC3"), Err(ImportError::File { .. })));
    }

    #[test]
    fn fit_moves_unsupported_values_to_fields() {
        let mut item = Item {
            item_type: "identity".into(),
            username: "gengels".into(),
            email: "g@example.invalid".into(),
            ..Default::default()
        };
        item.typed.insert("hostname".into(), "db".into());
        fit_to_type(&mut item);
        assert!(item.username.is_empty());
        assert_eq!(item.identity.as_ref().unwrap().email, "g@example.invalid");
        assert_eq!(item.fields.len(), 2);
        assert!(item.typed.is_empty());
    }
}
