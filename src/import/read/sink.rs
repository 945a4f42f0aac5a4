//! The one sink every importer hands its records to. It applies the
//! skip-invalid policy in one place and accounts for every record: each
//! is pushed (later imported, or merged as a duplicate), folded into
//! another record's item (merged), or skipped with a reason, so a
//! summary's counts add up to the records in the file.

use super::csv::{Row, Shape, Table};
use crate::import::normalize::{is_empty, EMPTY};
use crate::import::{ImportError, Input, Item, Parsed};

/// Collects a parse's items, skips and notes.
pub(crate) struct Sink {
    file: String,
    skip_invalid: bool,
    parsed: Parsed,
    /// Lines of rows that lacked optional trailing columns, and how many
    /// columns the shortest lacked.
    short: Vec<u64>,
    short_cols: usize,
}

impl Sink {
    pub(crate) fn new(file: &str, skip_invalid: bool) -> Self {
        Sink {
            file: file.to_string(),
            skip_invalid,
            parsed: Parsed::default(),
            short: Vec::new(),
            short_cols: 0,
        }
    }

    /// The file name errors are reported against.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// Accepts an item (the pipeline tidies it and reports it if empty).
    pub(crate) fn push(&mut self, item: Item) {
        self.parsed.items.push(item);
    }

    /// Accepts a record's item, or reports it under the record's own name
    /// when it carries nothing (a title alone is something).
    pub(crate) fn push_record(&mut self, record: impl FnOnce() -> String, item: Item) {
        if is_empty(&item) {
            self.parsed.skipped.push((record(), EMPTY.into()));
        } else {
            self.parsed.items.push(item);
        }
    }

    /// A record that cannot be imported: fails the file, or is reported in
    /// `skipped` with `--skip-invalid`. `message` says what was expected,
    /// never a value.
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

    /// Counts `n` records folded into another record's item (merged).
    pub(crate) fn merged(&mut self, n: usize) {
        self.parsed.merged += n;
    }

    /// Adds what another parse gathered (ZIP members).
    pub(crate) fn absorb(&mut self, other: Parsed) {
        self.parsed.items.extend(other.items);
        self.parsed.skipped.extend(other.skipped);
        self.parsed.notes.extend(other.notes);
        self.parsed.merged += other.merged;
    }

    /// Whether a CSV row is used, by [`Table::width`]: a row missing only
    /// optional trailing columns is used and its line noted; a malformed
    /// one is [`Sink::invalid`] (`Ok(false)` when skipped).
    pub(crate) fn accept(&mut self, table: &Table, row: &Row) -> Result<bool, ImportError> {
        match table.width(row) {
            Ok(None) => Ok(true),
            Ok(Some(missing)) => {
                self.short.push(row.line);
                self.short_cols = self.short_cols.max(missing);
                Ok(true)
            }
            Err(message) => self.invalid(row.record(), message).map(|()| false),
        }
    }

    /// Decodes and reads a headed CSV export whose header must name
    /// `required` (see [`Table::require`]); `what` names the format in the
    /// header's error ("line 1: expected a Chrome CSV header with the
    /// columns …; `url` is missing").
    pub(crate) fn read_table(
        &self,
        input: &Input<'_>,
        shape: Shape,
        required: &[&str],
        what: &str,
    ) -> Result<Table, ImportError> {
        let mut table = Table::read(input, shape)?;
        table
            .require(required)
            .map_err(|missing| ImportError::Record {
                file: input.name.to_string(),
                record: "line 1".into(),
                message: format!(
                    "expected a {what} header with the columns {}; `{missing}` is missing",
                    required.join(", ")
                ),
            })?;
        Ok(table)
    }

    /// The table with only the rows [`Sink::accept`] takes.
    pub(crate) fn checked(&mut self, mut table: Table) -> Result<Table, ImportError> {
        let rows = std::mem::take(&mut table.rows);
        for row in rows {
            if self.accept(&table, &row)? {
                table.rows.push(row);
            }
        }
        Ok(table)
    }

    /// Pushes what `map` makes of each accepted row of `table`; `Err`
    /// is the reason a row is not an item (a folder row), reported.
    pub(crate) fn push_rows(
        &mut self,
        table: &Table,
        mut map: impl FnMut(&Row) -> Result<Item, &'static str>,
    ) -> Result<(), ImportError> {
        for row in &table.rows {
            if self.accept(table, row)? {
                match map(row) {
                    Ok(item) => self.push_record(|| row.record(), item),
                    Err(reason) => self.skip(row.record(), reason),
                }
            }
        }
        Ok(())
    }

    /// The parse, with a note naming the short rows.
    pub(crate) fn finish(mut self) -> Parsed {
        if !self.short.is_empty() {
            let shown: Vec<String> = self.short.iter().take(20).map(u64::to_string).collect();
            let more = if self.short.len() > 20 { ", …" } else { "" };
            self.parsed.notes.push(format!(
                "line{} {}{more}: fewer fields than the header (up to {} missing at the end); the missing optional columns were read as empty",
                if self.short.len() == 1 { "" } else { "s" },
                shown.join(", "),
                self.short_cols
            ));
        }
        self.parsed
    }
}
