//! CSV records with their line numbers, and header lookup.

use super::head;
use crate::import::Input;

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
    /// The cell at `i` exactly as written (passwords keep their spaces);
    /// "" when absent.
    pub(crate) fn raw(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.cells.get(i)).map_or("", String::as_str)
    }
    /// True when every cell is empty or whitespace (`,,,,` lines).
    pub(crate) fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A malformed CSV record: (record label, what was expected).
pub(crate) type BadRow = (String, String);

/// A CSV export read as a header and the records after it. A missing or
/// unreadable header is a file error; `export` names the format in it
/// ("a NordPass CSV").
pub(crate) fn header_rows(
    file: &str,
    text: &str,
    shape: Shape,
    export: &str,
) -> Result<(Header, std::vec::IntoIter<Result<Row, BadRow>>), crate::import::ImportError> {
    let mut rows = rows(text, shape).into_iter();
    match rows.next() {
        Some(Ok(h)) => Ok((Header::new(&h.cells), rows)),
        Some(Err((_, msg))) => Err(super::file_error(file, format!("header line: {msg}"))),
        None => Err(super::file_error(
            file,
            format!("empty file; expected {export} header line"),
        )),
    }
}

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
