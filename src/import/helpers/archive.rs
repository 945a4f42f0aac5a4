//! ZIP members, read with limits.

use std::io::{Cursor, Read};

use super::file_error;
use crate::import::{ImportError, Input};

/// Largest ZIP member we inflate: real exports are a few MiB; anything
/// bigger is more likely a decompression bomb than a vault.
pub(crate) const MAX_MEMBER_BYTES: u64 = 64 * 1024 * 1024;

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
