//! ZIP archives (1PUX, Dashlane's CSV archive): opening, listing and
//! reading members with a size cap.

use std::io::{Cursor, Read};

use super::file_error;
use crate::import::ImportError;

/// Largest ZIP member we decompress (uncompressed bytes). Real exports are
/// far smaller; the cap stops a ZIP bomb from exhausting memory.
pub(crate) const MAX_ZIP_MEMBER: u64 = 64 * 1024 * 1024;
/// Most members we look at in one archive (a ZIP can list millions).
const MAX_ZIP_MEMBERS: usize = 10_000;

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
            format!(
                "expected at most {MAX_ZIP_MEMBERS} files in the archive, found {}",
                archive.len()
            ),
        ));
    }
    Ok(archive)
}

/// Member names in archive order (unreadable names are left out).
pub(crate) fn zip_names(archive: &Archive<'_>) -> Vec<String> {
    archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect()
}

/// The last path component of a member name.
pub(crate) fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Reads one member fully, refusing encrypted members and anything over
/// [`MAX_ZIP_MEMBER`] bytes (checked while reading: the header can lie).
pub(crate) fn read_member(
    archive: &mut Archive<'_>,
    file: &str,
    name: &str,
) -> Result<Vec<u8>, ImportError> {
    let index = archive
        .index_for_name(name)
        .ok_or_else(|| file_error(file, format!("expected a member `{name}` in the archive")))?;
    let member = archive.by_index(index).map_err(|_| {
        file_error(
            file,
            format!("`{name}`: expected a readable, unencrypted archive member"),
        )
    })?;
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
        .map_err(|_| {
            file_error(
                file,
                format!("`{name}`: expected readable compressed data; the archive is damaged"),
            )
        })?;
    if out.len() as u64 > MAX_ZIP_MEMBER {
        return Err(file_error(
            file,
            format!("`{name}`: expected at most {MAX_ZIP_MEMBER} bytes uncompressed"),
        ));
    }
    Ok(out)
}
