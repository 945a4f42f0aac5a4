//! CSV files read fully into a header and rows, with the field-count
//! check done here so a ragged row can be skipped rather than end the read.

use super::file_error;
use super::Collector;
use crate::import::ImportError;

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
        index
            .and_then(|i| self.fields.get(i))
            .map(String::as_str)
            .unwrap_or("")
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
    csv_header(text)
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect()
}

/// Reads a headed CSV text. Rows made only of empty or blank fields are
/// dropped; a row whose field count differs from the header's is reported
/// through `out` (an error, or skipped with --skip-invalid).
pub(crate) fn read_csv(
    text: &str,
    backslash_escape: bool,
    out: &mut Collector,
) -> Result<Table, ImportError> {
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
            headers = Some(
                record
                    .iter()
                    .map(|h| h.trim().to_string())
                    .collect::<Vec<_>>(),
            );
            continue;
        };
        if record.len() != header.len() {
            out.invalid(
                format!("line {line}"),
                format!(
                    "expected {} fields as in the header, found {}",
                    header.len(),
                    record.len()
                ),
            )?;
            continue;
        }
        rows.push(Row {
            line,
            fields: record.iter().map(str::to_string).collect(),
        });
    }
    let headers = headers
        .ok_or_else(|| file_error(out.file(), "expected a CSV header row; the file is empty"))?;
    Ok(Table { headers, rows })
}
