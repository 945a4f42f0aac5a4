//! The one CSV row type, on the `csv` crate (never a hand-rolled parser):
//! records with the line they start on, a header looked up by aliases, and
//! the width policy every CSV importer shares (applied by the
//! [`Sink`](super::Sink)).

use super::text::head;
use crate::import::{ImportError, Input};

/// One CSV record and the line it starts on (1-based).
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub line: u64,
    pub fields: Vec<String>,
}

impl Row {
    /// The record label used in errors and skip reports: "line N".
    pub(crate) fn record(&self) -> String {
        format!("line {}", self.line)
    }

    /// The field at `i` exactly as written (passwords keep their spaces);
    /// "" when the column is absent or the row short.
    pub(crate) fn get(&self, i: Option<usize>) -> &str {
        i.and_then(|i| self.fields.get(i))
            .map_or("", String::as_str)
    }

    /// The field at `i`, trimmed (for names, URLs, folders).
    pub(crate) fn text(&self, i: Option<usize>) -> &str {
        self.get(i).trim()
    }

    /// True when every field is empty or whitespace (`,,,,` lines).
    pub(crate) fn is_blank(&self) -> bool {
        self.fields.iter().all(|c| c.trim().is_empty())
    }
}

/// Normalized header name: lower case, without spaces, underscores,
/// dashes or a BOM, so "Website Address" = "website_address".
pub(crate) fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A header row: names as written, looked up by aliases (see [`norm`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Header {
    raw: Vec<String>,
    normalized: Vec<String>,
}

impl Header {
    pub(crate) fn new(cells: &[String]) -> Self {
        Header {
            raw: cells
                .iter()
                .map(|c| c.trim_start_matches('\u{feff}').trim().to_string())
                .collect(),
            normalized: cells.iter().map(|c| norm(c)).collect(),
        }
    }

    /// Index of the first column named one of `aliases` (tried in order).
    pub(crate) fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|n| {
            let n = norm(n);
            self.normalized.iter().position(|h| *h == n)
        })
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.find(&[name]).is_some()
    }

    /// True when the header has every one of `names`.
    pub(crate) fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.has(n))
    }

    /// The names as written (trimmed).
    pub(crate) fn names(&self) -> &[String] {
        &self.raw
    }

    /// The names in lower case, for formats that compare whole names.
    pub(crate) fn lower(&self) -> Vec<String> {
        self.raw.iter().map(|h| h.to_lowercase()).collect()
    }

    /// The column's name as written.
    pub(crate) fn raw(&self, i: usize) -> &str {
        self.raw.get(i).map_or("", String::as_str)
    }

    pub(crate) fn len(&self) -> usize {
        self.raw.len()
    }

    /// True when the header holds exactly the columns in `required` plus
    /// any of `optional`, nothing else (order, case and spelling ignored).
    pub(crate) fn is(&self, required: &[&str], optional: &[&str]) -> bool {
        self.has_all(required)
            && self
                .normalized
                .iter()
                .all(|h| required.iter().chain(optional).any(|n| norm(n) == *h))
    }
}

/// Whether rows may be longer than the header. Only formats that are
/// ragged by design (trailing name/value pairs) are read as `Ragged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Rectangular,
    Ragged,
}

/// A CSV export read as a header and the rows after it (blank rows dropped).
#[derive(Debug)]
pub(crate) struct Table {
    pub header: Header,
    pub rows: Vec<Row>,
    pub shape: Shape,
    /// The fewest fields a row may have: the columns after the last
    /// required one are optional trailing columns a short row may lack.
    pub min_fields: usize,
}

impl Table {
    /// Reads `text` (already decoded): the header is the first non-blank
    /// record. A file without one is an error.
    pub(crate) fn parse(file: &str, text: &str, shape: Shape) -> Result<Table, ImportError> {
        Table::parse_with(file, text, shape, false)
    }

    /// Like [`Table::parse`] for dialects that escape quotes with a
    /// backslash (1Password 4 for Mac).
    pub(crate) fn parse_escaped(
        file: &str,
        text: &str,
        shape: Shape,
    ) -> Result<Table, ImportError> {
        Table::parse_with(file, text, shape, true)
    }

    fn parse_with(
        file: &str,
        text: &str,
        shape: Shape,
        escaped: bool,
    ) -> Result<Table, ImportError> {
        let mut rows = read_rows(file, text, escaped)?.into_iter();
        let header = rows.next().ok_or_else(|| {
            super::file_error(file, "the file is empty: expected a CSV header line")
        })?;
        let header = Header::new(&header.fields);
        Ok(Table {
            min_fields: header.len(),
            header,
            rows: rows.collect(),
            shape,
        })
    }

    /// Decodes and reads a whole CSV export.
    pub(crate) fn read(input: &Input<'_>, shape: Shape) -> Result<Table, ImportError> {
        Table::parse(input.name, &super::text(input)?, shape)
    }

    /// Index of the first column named one of `aliases`.
    pub(crate) fn col(&self, aliases: &[&str]) -> Option<usize> {
        self.header.find(aliases)
    }

    /// Declares the columns a row cannot do without: the first one the
    /// header lacks is returned (the caller says what was expected), and
    /// rows may now stop after the last of them ([`Table::min_fields`]).
    pub(crate) fn require<'n>(&mut self, names: &[&'n str]) -> Result<(), &'n str> {
        let mut last = 0;
        for n in names {
            last = last.max(self.col(&[n]).ok_or(*n)? + 1);
        }
        self.min_fields = last;
        Ok(())
    }

    /// Checks a row's width: `Ok(None)` when whole, `Ok(Some(missing))`
    /// when only optional trailing columns are missing, `Err(message)` for
    /// a row too short for a required column or with extra data (a broken
    /// quote usually). Extra empty fields (a trailing comma) are fine. The
    /// message names no value.
    pub(crate) fn width(&self, row: &Row) -> Result<Option<usize>, String> {
        let want = self.header.len();
        let got = row.fields.len();
        let extra_data = self.shape == Shape::Rectangular
            && row.fields.iter().skip(want).any(|f| !f.trim().is_empty());
        if got < self.min_fields || extra_data {
            return Err(format!(
                "has {got} fields, expected {want} (one per header column); is a field's quoting broken?"
            ));
        }
        Ok((got < want).then(|| want - got))
    }
}

/// Reads every non-blank record (a header too) with the `csv` crate, with
/// the line each starts on. Rows may differ in length: the width policy is
/// the caller's ([`Table::width`]).
pub(crate) fn rows(file: &str, text: &str) -> Result<Vec<Row>, ImportError> {
    read_rows(file, text, false)
}

/// The rows of a headerless export some tools still give a header line
/// (Keeper, Enpass): every record, without a first one `is_header` accepts.
pub(crate) fn rows_without_header(
    input: &Input<'_>,
    is_header: impl Fn(&[String]) -> bool,
) -> Result<Vec<Row>, ImportError> {
    let mut rows = rows(input.name, &super::text(input)?)?;
    if rows.first().is_some_and(|r| is_header(&r.fields)) {
        rows.remove(0);
    }
    Ok(rows)
}

fn read_rows(file: &str, text: &str, escaped: bool) -> Result<Vec<Row>, ImportError> {
    let mut lines = LineCounter::new(text.as_bytes());
    let mut out = Vec::new();
    let mut reader = reader(text);
    if escaped {
        reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .escape(Some(b'\\'))
            .from_reader(text.as_bytes());
    }
    for rec in reader.records() {
        let rec = rec.map_err(|e| ImportError::Record {
            file: file.to_string(),
            record: e
                .position()
                .map(|p| format!("line {}", lines.at(p.byte())))
                .unwrap_or_else(|| "a record".into()),
            message: "expected a well-formed CSV record".into(),
        })?;
        let row = Row {
            line: rec.position().map_or(0, |p| lines.at(p.byte())),
            fields: rec.iter().map(str::to_string).collect(),
        };
        if !row.is_blank() {
            out.push(row);
        }
    }
    Ok(out)
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

/// The first non-blank record of a file's first 64 KiB, fields trimmed,
/// for detection; `None` for data that is not CSV-like text (binary,
/// JSON, XML).
pub(crate) fn first_row(input: &Input<'_>) -> Option<Vec<String>> {
    let head = head(input);
    let first = head.trim_start_matches('\u{feff}').trim_start();
    if first.starts_with('{') || first.starts_with('[') || first.starts_with('<') {
        return None;
    }
    if head.contains('\0') {
        return None;
    }
    let rec = reader(&head)
        .records()
        .filter_map(Result::ok)
        .find(|r| r.iter().any(|f| !f.trim().is_empty()))?;
    Some(
        rec.iter()
            .map(|f| f.trim_start_matches('\u{feff}').trim().to_string())
            .collect(),
    )
}

/// The lower-cased names of a CSV-looking file's first row, for
/// detection (empty when it is not CSV-like).
pub(crate) fn header_names(input: &Input<'_>) -> Vec<String> {
    first_row(input)
        .map(|r| r.iter().map(|c| c.to_lowercase()).collect())
        .unwrap_or_default()
}

/// The header of a CSV-looking file for detection: [`first_row`] when it
/// has more than one column.
pub(crate) fn header(input: &Input<'_>) -> Option<Header> {
    first_row(input)
        .filter(|r| r.len() > 1)
        .map(|r| Header::new(&r))
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
    fn crlf_multiline_blank_rows_and_lines() {
        let t = Table::parse(
            "t.csv",
            "Name , URL\r\n\r\n,\r\n\"a\r\nb\",x\r\nc,d",
            Shape::Rectangular,
        )
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].fields[0], "a\r\nb");
        assert_eq!(t.rows[0].line, 4);
        assert_eq!(t.rows[1].line, 6);
        assert_eq!(t.col(&["nope", "url"]), Some(1));
    }

    #[test]
    fn short_rows_with_only_optional_columns_missing_are_accepted() {
        let mut t =
            Table::parse("t", "a,b,c\n1,2\n1\n1,2,3,\n1,2,3,4", Shape::Rectangular).unwrap();
        assert!(t.width(&t.rows[0]).is_err(), "strict until told");
        t.require(&["a", "b"]).unwrap();
        assert_eq!(t.width(&t.rows[0]), Ok(Some(1)));
        assert!(t.width(&t.rows[1]).is_err(), "b is required");
        assert_eq!(t.width(&t.rows[2]), Ok(None));
        assert!(t.width(&t.rows[3]).unwrap_err().contains("4 fields"));
        assert_eq!(t.require(&["a", "zz"]), Err("zz"));
    }

    #[test]
    fn header_sniffing_and_aliases() {
        let h = header(&input(b"\xEF\xBB\xBFx,Web Site\n1,2")).unwrap();
        assert_eq!(h.find(&["website"]), Some(1));
        assert_eq!(h.raw(1), "Web Site");
        assert!(header(&input(b"{\"a\":1}")).is_none());
        assert!(header(&input(b"\x00\x01\x02")).is_none());
        assert!(header(&input(b"just one column\n")).is_none());
        let h = header(&input(b"name,url,username,password")).unwrap();
        assert!(h.is(&["name", "url", "username", "password"], &["note"]));
        assert!(!h.is(&["name", "url"], &[]));
    }
}
