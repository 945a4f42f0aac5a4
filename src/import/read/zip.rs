//! ZIP archives (1PUX, Bitwarden with attachments, Dashlane's CSV archive,
//! Proton Pass): opening, listing and reading members with limits.

use std::io::{Cursor, Read};

use super::file_error;
use crate::import::ImportError;

/// Largest ZIP member we inflate: real exports are a few MiB; anything
/// bigger is more likely a decompression bomb than a vault.
pub(crate) const MAX_MEMBER_BYTES: u64 = 64 * 1024 * 1024;
/// Most members we look at in one archive (a ZIP can list millions).
const MAX_MEMBERS: usize = 10_000;

/// True when the bytes start like a ZIP archive (local header or empty archive).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// An opened archive, with errors that say what went wrong.
pub(crate) struct Zip<'a> {
    file: &'a str,
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Zip<'a> {
    /// Opens `bytes` (named `file` in errors); a truncated or damaged
    /// archive, or one listing absurdly many members, is a file error.
    pub(crate) fn open(file: &'a str, bytes: &'a [u8]) -> Result<Self, ImportError> {
        let archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|_| file_error(file, "not a readable ZIP archive (truncated or damaged?)"))?;
        if archive.len() > MAX_MEMBERS {
            return Err(file_error(
                file,
                format!(
                    "expected at most {MAX_MEMBERS} files in the archive, found {}",
                    archive.len()
                ),
            ));
        }
        Ok(Zip { file, archive })
    }

    /// Member names in archive order (those that are valid text).
    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .filter_map(|n| Some(n.ok()?.into_owned()))
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
        let index = self.archive.index_for_name(name).ok_or_else(|| {
            file_error(file, format!("expected a member `{name}` in the archive"))
        })?;
        let member = self.archive.by_index(index).map_err(|_| damaged())?;
        if member.encrypted() {
            return Err(file_error(
                file,
                format!("ZIP member `{name}` is password-protected"),
            ));
        }
        let too_big = || {
            file_error(
                file,
                format!("ZIP member `{name}` is larger than 64 MiB; refusing to inflate it"),
            )
        };
        if member.size() > MAX_MEMBER_BYTES {
            return Err(too_big());
        }
        let mut out = Vec::new();
        member
            .take(MAX_MEMBER_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|_| damaged())?;
        if out.len() as u64 > MAX_MEMBER_BYTES {
            return Err(too_big());
        }
        Ok(out)
    }
}

/// The last path component of a member name.
pub(crate) fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}
