//! Input bytes as text.

use std::borrow::Cow;

use super::file_error;
use crate::import::{ImportError, Input};

/// The input as text: UTF-8 with or without a BOM, or UTF-16 with a BOM
/// (Windows tools sometimes write that). An empty or blank file is an
/// error: it is far more often the wrong file than an empty vault.
pub(crate) fn text<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ImportError> {
    let text = decode(input)?;
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(file_error(input.name, "the file is empty"));
    }
    Ok(text)
}

fn decode<'a>(input: &Input<'a>) -> Result<Cow<'a, str>, ImportError> {
    let b = input.bytes;
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(input.name, rest).map(Cow::Borrowed);
    }
    let utf16 = |le: bool| -> Result<Cow<'a, str>, ImportError> {
        let rest = b.get(2..).unwrap_or_default();
        if rest.len() % 2 != 0 {
            return Err(file_error(
                input.name,
                "UTF-16 text with an odd number of bytes (truncated?)",
            ));
        }
        let units = rest.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Cow::Owned)
            .map_err(|_| file_error(input.name, "invalid UTF-16 text"))
    };
    if b.starts_with(b"\xFF\xFE") {
        return utf16(true);
    }
    if b.starts_with(b"\xFE\xFF") {
        return utf16(false);
    }
    utf8(input.name, b).map(Cow::Borrowed)
}

fn utf8<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&c| c == b'\n')
            .count();
        file_error(
            file,
            format!("line {line}: not UTF-8 text; export the file again as UTF-8"),
        )
    })
}

/// The first few KiB as text, for cheap detection (never fails; a cut or
/// invalid character becomes U+FFFD).
pub(crate) fn head(input: &Input<'_>) -> String {
    let b = input.bytes.get(..8192).unwrap_or(input.bytes);
    let utf16 = |rest: &[u8], le: bool| {
        let units = rest.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    match b {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => String::from_utf8_lossy(b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_and_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "a,é".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let i = Input {
            name: "x",
            bytes: &b,
        };
        assert_eq!(text(&i).unwrap(), "a,é");
        assert_eq!(head(&i), "a,é");
        let i = Input {
            name: "x",
            bytes: b"\xEF\xBB\xBFok",
        };
        assert_eq!(text(&i).unwrap(), "ok");
        let i = Input {
            name: "x",
            bytes: b"a\n\xFF",
        };
        assert_eq!(
            text(&i).unwrap_err().to_string(),
            "x: line 2: not UTF-8 text; export the file again as UTF-8"
        );
    }
}
