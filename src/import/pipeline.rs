//! The client-independent half of an import, shared by `clavitor import`
//! and `POST /api/v1/import/parse`: choose the format, parse, tidy every
//! item ([`normalize`]) and merge duplicates within the file ([`dedup`]).
//! What comes out is plaintext: sealing and uploading are the CLI's job.

use thiserror::Error;

use super::{dedup, detect, importers, map, normalize, Confidence, ImportError, Input, Item};

/// The largest export file accepted (SPEC section 5: import bodies 64 MiB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file could not be parsed.
#[derive(Debug, Error)]
pub enum PipelineError {
    /// `--format NAME` names no importer (a usage error).
    #[error("unknown format {name:?}; expected auto, a manager ({managers}) or one of: {known}")]
    UnknownFormat {
        name: String,
        managers: String,
        known: String,
    },
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// A parsed, tidied file.
#[derive(Debug)]
pub struct Parsed {
    /// The importer that read it (e.g. `bitwarden-json`).
    pub format: &'static str,
    pub items: Vec<Item>,
    /// The record name of each item (`item N`: N counts the items the
    /// importer produced, in file order; records it skipped are not counted).
    pub records: Vec<String>,
    /// (record, reason) of records left out, in file order.
    pub skipped: Vec<(String, String)>,
    /// Items merged into another one within the file.
    pub merged: usize,
    /// What the user should know about records imported anyway.
    pub notes: Vec<String>,
}

/// Every format name `--format` accepts, for help and errors.
pub fn format_names() -> Vec<&'static str> {
    importers().iter().map(|i| i.name()).collect()
}

/// Parses `input` as `format` (`None`/`auto`: detected; a manager name:
/// detected among its formats; else that importer).
pub fn parse(
    input: &Input<'_>,
    format: Option<&str>,
    skip_invalid: bool,
) -> Result<Parsed, PipelineError> {
    let all = importers();
    let candidates = detect::candidates(&all, format).map_err(|known| {
        let mut managers: Vec<&str> = known.iter().map(|n| detect::manager(n)).collect();
        managers.dedup();
        PipelineError::UnknownFormat {
            name: format.unwrap_or_default().chars().take(40).collect(),
            managers: managers.join(", "),
            known: known.join(", "),
        }
    })?;
    let forced = format.is_some_and(|f| !f.trim().eq_ignore_ascii_case("auto"));
    let importer = if forced && candidates.len() == 1 {
        let only = candidates[0];
        if only.detect(input) == Confidence::No {
            return Err(ImportError::File {
                file: input.name.to_string(),
                message: format!(
                    "--format {}: this is not a {} export; it looks like {}",
                    only.name(),
                    only.name(),
                    detect::hint(input)
                ),
            }
            .into());
        }
        only
    } else {
        detect::choose(&candidates, input).map_err(|e| match (forced, e) {
            (true, ImportError::Unrecognised { file, hint }) => ImportError::File {
                file,
                message: format!(
                    "--format {}: none of its formats ({}) matches; it looks like {}",
                    format.unwrap_or_default(),
                    candidates
                        .iter()
                        .map(|i| i.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                    hint.unwrap_or_else(|| detect::hint(input))
                ),
            },
            (_, e) => e,
        })?
    };
    let parsed = importer.parse(input, skip_invalid)?;
    let mut skipped = parsed.skipped;
    let notes = parsed.notes;
    let folded = parsed.merged;
    let mut items = Vec::with_capacity(parsed.items.len());
    for (i, item) in parsed.items.into_iter().enumerate() {
        let record = format!("item {}", i + 1);
        match normalize::normalize(item) {
            Some(mut item) => {
                map::fit_type(&mut item);
                items.push((record, item))
            }
            None => skipped.push((record, normalize::EMPTY.into())),
        }
    }
    let (items, merged) = dedup::merge_in_file(items);
    let merged = merged + folded;
    let (records, items) = items.into_iter().unzip();
    Ok(Parsed {
        format: importer.name(),
        items,
        records,
        skipped,
        merged,
        notes,
    })
}
