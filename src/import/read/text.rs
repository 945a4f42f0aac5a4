//! The one text decoder: an export's bytes as text, whatever the tool that
//! wrote it chose. UTF-8 (with or without a BOM); UTF-16 LE or BE with a
//! BOM (what Windows tools write when asked for "Unicode"); anything else
//! that is not UTF-8 is read as Windows-1252, the ANSI code page older
//! Windows exports (KeePass 1.x, Dashlane, Excel "CSV") use — every byte
//! has a meaning there, so nothing is dropped or replaced.

use std::borrow::Cow;

use super::file_error;
use crate::import::{ImportError, Input};

/// How much of a file detection looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// Windows-1252 for 0x80..=0x9F (the rest is Latin-1). The five bytes the
/// code page leaves undefined map to the C1 controls, as WHATWG does.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Why bytes are not text. UTF-16 is the only encoding that can fail: it
/// is announced by its BOM, and then it must be whole.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Undecodable {
    OddUtf16,
    BadUtf16,
}

impl Undecodable {
    fn message(self) -> &'static str {
        match self {
            Undecodable::OddUtf16 => "UTF-16 text with an odd number of bytes (truncated?)",
            Undecodable::BadUtf16 => "invalid UTF-16 text after the byte-order mark",
        }
    }
}

fn utf16(rest: &[u8], le: bool, lossy: bool) -> Result<String, Undecodable> {
    if rest.len() % 2 != 0 && !lossy {
        return Err(Undecodable::OddUtf16);
    }
    let units = rest.chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    if lossy {
        return Ok(char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect());
    }
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| Undecodable::BadUtf16)
}

/// The decoder: BOM, UTF-16 LE/BE, UTF-8, else Windows-1252. With `lossy`
/// (detection on a prefix) a cut UTF-16 unit or UTF-8 character at the end
/// is dropped instead of failing or being read as Windows-1252.
fn decode(bytes: &[u8], lossy: bool) -> Result<Cow<'_, str>, Undecodable> {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true, lossy).map(Cow::Owned),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false, lossy).map(Cow::Owned),
        _ => {
            let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match std::str::from_utf8(b) {
                Ok(t) => Ok(Cow::Borrowed(t)),
                // A multi-byte character cut at the sniff boundary is still UTF-8.
                Err(e) if lossy && e.error_len().is_none() => Ok(Cow::Borrowed(
                    std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""),
                )),
                Err(_) => Ok(Cow::Owned(cp1252(b))),
            }
        }
    }
}

/// The input as text (see the module). A blank file is an error: it is far
/// more often the wrong file than an empty vault.
pub(crate) fn text<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ImportError> {
    let text = decode(input.bytes, false).map_err(|e| file_error(input.name, e.message()))?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(file_error(input.name, "the file is empty"));
    }
    // Windows-1252 reads any bytes; NUL is in no text export, only in binary data.
    if text.contains('\0') {
        return Err(file_error(
            input.name,
            "binary data (a NUL byte), not a text export",
        ));
    }
    Ok(text)
}

/// The whole input as text for detection: never fails.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    decode(bytes, true).unwrap_or_default()
}

/// The first 64 KiB as text, for cheap detection (never fails).
pub(crate) fn head<'a>(input: &Input<'a>) -> Cow<'a, str> {
    lossy(&input.bytes[..input.bytes.len().min(SNIFF_BYTES)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(b: &[u8]) -> Input<'_> {
        Input {
            name: "x",
            bytes: b,
        }
    }

    #[test]
    fn boms_utf16_and_windows_1252() {
        let mut b = vec![0xFF, 0xFE];
        for u in "a,é".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(text(&input(&b)).unwrap(), "a,é");
        assert_eq!(head(&input(&b)), "a,é");
        let mut be = vec![0xFE, 0xFF];
        for u in "a,é".encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(text(&input(&be)).unwrap(), "a,é");
        assert_eq!(text(&input(b"\xEF\xBB\xBFok")).unwrap(), "ok");
        // Windows-1252: "Müller €5" as an ANSI export writes it.
        assert_eq!(text(&input(b"M\xfcller \x805")).unwrap(), "Müller €5");
    }

    #[test]
    fn one_policy_for_broken_utf16_and_empty_files() {
        let e = text(&input(b"\xFF\xFEa\x00b")).unwrap_err().to_string();
        assert!(e.contains("odd number of bytes"), "{e}");
        // Detection on a prefix drops the cut unit instead.
        assert_eq!(head(&input(b"\xFF\xFEa\x00b")), "a");
        let e = text(&input(b"\xFF\xFE\x00\xD8")).unwrap_err().to_string();
        assert!(e.contains("invalid UTF-16"), "{e}");
        assert_eq!(
            text(&input(b" \n")).unwrap_err().to_string(),
            "x: the file is empty"
        );
        // A UTF-8 character cut by the sniff limit is not Windows-1252.
        assert_eq!(lossy(b"ab\xC3"), "ab");
    }
}
