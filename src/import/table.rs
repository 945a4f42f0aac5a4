//! CSV exports read as a table: header names and rows with their line
//! numbers, on top of the `csv` crate (never a hand-rolled parser).
//!
//! What every CSV importer needs and gets here once: a UTF-8 BOM (or a
//! UTF-16 file with its BOM, as Excel saves "Unicode text") is decoded,
//! CRLF and quoted multi-line fields are the csv crate's business, rows
//! whose fields are all empty are dropped, header names are compared
//! trimmed and case-insensitively, and a row with the wrong number of
//! fields is reported with its line.

use std::borrow::Cow;

use super::{ImportError, Input};

/// How much of a file detection looks at to find a CSV header.
const SNIFF_BYTES: usize = 64 * 1024;

/// A parsed CSV export.
#[derive(Debug)]
pub struct Table {
    /// Header names, trimmed and lower-cased.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug)]
pub struct Row {
    /// The line the row starts on (1-based; a multi-line row has one number).
    pub line: u64,
    pub fields: Vec<String>,
}

impl Row {
    /// The field in column `col`, or "" when the column is absent or the row short.
    pub fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.fields.get(c))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The record name used in errors and skip reports: `line N`.
    pub fn record(&self) -> String {
        format!("line {}", self.line)
    }

    /// True when every field is empty or whitespace.
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
    }
}

impl Table {
    /// The index of the first header equal (case-insensitively) to one of `names`.
    pub fn col(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.headers.iter().position(|h| h.eq_ignore_ascii_case(n)))
    }

    /// True when the header has every one of `names`.
    pub fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.col(&[n]).is_some())
    }

    /// Checks a row's width against the header: fewer fields, or extra
    /// non-empty ones, make a ragged row. Extra empty fields (a trailing
    /// comma) are accepted. The message names no value.
    pub fn check_width(&self, row: &Row) -> Result<(), String> {
        let want = self.headers.len();
        let got = row.fields.len();
        let extra_data = row.fields.iter().skip(want).any(|f| !f.trim().is_empty());
        if got < want || extra_data {
            return Err(format!(
                "has {got} fields, expected {want} (one per header column); is a field's quoting broken?"
            ));
        }
        Ok(())
    }
}

/// Width check for one row with the usual policy: `Ok(true)` to use it;
/// a ragged row fails the file, or with `skip_invalid` is reported in
/// `skipped` and `Ok(false)` returned.
pub fn check_row(
    t: &Table,
    row: &Row,
    file: &str,
    skip_invalid: bool,
    skipped: &mut Vec<(String, String)>,
) -> Result<bool, ImportError> {
    match t.check_width(row) {
        Ok(()) => Ok(true),
        Err(message) if skip_invalid => {
            skipped.push((row.record(), message));
            Ok(false)
        }
        Err(message) => Err(ImportError::Record {
            file: file.to_string(),
            record: row.record(),
            message,
        }),
    }
}

/// The file's error when required columns are missing.
pub fn missing_columns(file: &str, what: &str, required: &[&str]) -> ImportError {
    ImportError::File {
        file: file.to_string(),
        message: format!("not a {what}: expected the columns {}", required.join(", ")),
    }
}

/// Decodes an export's bytes as text: UTF-8 (BOM dropped) or UTF-16 with a BOM.
/// Invalid UTF-8 is an error naming the line, so passwords are never
/// silently altered by a lossy decode.
pub fn decode_text<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ImportError> {
    let b = input.bytes;
    let utf16 = |le: bool| {
        let units = b[2..].chunks(2).map(|c| {
            let pair = [c[0], *c.get(1).unwrap_or(&0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| ImportError::File {
                file: input.name.to_string(),
                message: "the file starts with a UTF-16 byte-order mark but is not valid UTF-16"
                    .into(),
            })
    };
    match b {
        [0xFF, 0xFE, ..] => utf16(true),
        [0xFE, 0xFF, ..] => utf16(false),
        _ => {
            let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
            std::str::from_utf8(b).map(Cow::Borrowed).map_err(|e| {
                let line = 1 + b[..e.valid_up_to()].iter().filter(|&&c| c == b'\n').count();
                ImportError::Record {
                    file: input.name.to_string(),
                    record: format!("line {line}"),
                    message: "not valid UTF-8 text; save the export as UTF-8 and try again".into(),
                }
            })
        }
    }
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// Line numbers from byte offsets. The csv crate's own line count is off
/// after blank lines and CRLF, and a record's offset points before the
/// line breaks it skipped, so both are corrected here. Offsets must not
/// decrease (records come in order), which keeps counting linear.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of the first character at or after `byte` that is not a line break.
    fn at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        while self
            .text
            .get(start)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            start += 1;
        }
        if start > self.offset {
            let breaks = self.text[self.offset..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.line += breaks as u64;
            self.offset = start;
        }
        self.line
    }
}

fn normalize_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// Reads the whole CSV. The header is the first non-blank record; blank
/// rows are dropped. Errors name the file and line.
pub fn read(input: &Input<'_>) -> Result<Table, ImportError> {
    let text = decode_text(input)?;
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut lines = LineCounter::new(text.as_bytes());
    for rec in reader(&text).records() {
        let rec = rec.map_err(|e| ImportError::Record {
            file: input.name.to_string(),
            record: e
                .position()
                .map(|p| format!("line {}", lines.at(p.byte())))
                .unwrap_or_else(|| "a record".into()),
            message: "unreadable CSV record".into(),
        })?;
        let line = rec.position().map(|p| lines.at(p.byte())).unwrap_or(0);
        let row = Row {
            line,
            fields: rec.iter().map(str::to_string).collect(),
        };
        if row.is_blank() {
            continue;
        }
        match headers {
            None => headers = Some(row.fields.iter().map(|h| normalize_header(h)).collect()),
            Some(_) => rows.push(row),
        }
    }
    let headers = headers.ok_or_else(|| ImportError::File {
        file: input.name.to_string(),
        message: "the file is empty: expected a CSV header line".into(),
    })?;
    Ok(Table { headers, rows })
}

/// The header of a CSV-looking file, for detection: the first non-blank
/// record of the first 64 KiB, trimmed and lower-cased. `None` for data
/// that is not text, or whose first record is a single column.
pub fn header(input: &Input<'_>) -> Option<Vec<String>> {
    let head = &input.bytes[..input.bytes.len().min(SNIFF_BYTES)];
    if head.contains(&0) && !matches!(head, [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..]) {
        return None;
    }
    let text: Cow<str> = match head {
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => {
            // Cut to whole UTF-16 units; a pair split at the boundary only loses the tail.
            let even = &head[..head.len() & !1];
            let mut units = even.len();
            loop {
                match decode_text(&Input {
                    name: input.name,
                    bytes: &even[..units],
                }) {
                    Ok(t) => break Cow::Owned(t.into_owned()),
                    Err(_) if units > 4 && even.len() - units < 4 => units -= 2,
                    Err(_) => return None,
                }
            }
        }
        _ => {
            let b = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
            match std::str::from_utf8(b) {
                Ok(t) => Cow::Borrowed(t),
                // A multi-byte character cut at the sniff boundary is still text.
                Err(e) if e.error_len().is_none() => {
                    Cow::Borrowed(std::str::from_utf8(&b[..e.valid_up_to()]).ok()?)
                }
                Err(_) => return None,
            }
        }
    };
    let first = text.trim_start();
    if first.starts_with('{') || first.starts_with('[') || first.starts_with('<') {
        return None;
    }
    let rec = reader(&text)
        .records()
        .filter_map(Result::ok)
        .find(|r| r.iter().any(|f| !f.trim().is_empty()))?;
    let cols: Vec<String> = rec.iter().map(normalize_header).collect();
    (cols.len() > 1).then_some(cols)
}

/// True when `header` holds exactly the columns in `required` plus any of
/// `optional`, nothing else (order and case ignored).
pub fn header_is(header: &[String], required: &[&str], optional: &[&str]) -> bool {
    required.iter().all(|r| header.iter().any(|h| h == r))
        && header
            .iter()
            .all(|h| required.contains(&h.as_str()) || optional.contains(&h.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(b: &[u8]) -> Input<'_> {
        Input {
            name: "t.csv",
            bytes: b,
        }
    }

    #[test]
    fn bom_crlf_multiline_and_blank_rows() {
        let t = read(&input(
            b"\xEF\xBB\xBFName , URL\r\n\r\n,\r\n\"a\r\nb\",x\r\nc,d",
        ))
        .unwrap();
        assert_eq!(t.headers, ["name", "url"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].fields[0], "a\r\nb");
        assert_eq!(t.rows[0].line, 4);
        assert_eq!(t.rows[1].line, 6);
        assert_eq!(t.col(&["nope", "URL"]), Some(1));
    }

    #[test]
    fn utf16_and_bad_utf8() {
        let mut b = vec![0xFF, 0xFE];
        for u in "a,b\n1,é".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let t = read(&input(&b)).unwrap();
        assert_eq!(t.rows[0].fields[1], "é");
        let e = read(&input(b"a,b\n1,2\n\xff,3")).unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn ragged_rows_are_named() {
        let t = read(&input(b"a,b,c\n1,2\n1,2,3,\n1,2,3,4")).unwrap();
        assert!(t.check_width(&t.rows[0]).is_err());
        assert!(t.check_width(&t.rows[1]).is_ok());
        assert!(t.check_width(&t.rows[2]).unwrap_err().contains("4 fields"));
    }

    #[test]
    fn header_sniffing() {
        assert_eq!(header(&input(b"x,Y\n1,2")).unwrap(), ["x", "y"]);
        assert!(header(&input(b"{\"a\":1}")).is_none());
        assert!(header(&input(b"\x00\x01\x02")).is_none());
        assert!(header(&input(b"just one column\n")).is_none());
        let h = header(&input(b"name,url,username,password")).unwrap();
        assert!(header_is(
            &h,
            &["name", "url", "username", "password"],
            &["note"]
        ));
        assert!(!header_is(&h, &["name", "url"], &[]));
    }
}
