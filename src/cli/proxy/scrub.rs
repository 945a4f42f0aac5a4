//! Replaces resolved secret values in what flows back to the client.
//!
//! Streaming: a body passes through in pieces, and only the last
//! `longest value - 1` bytes are held back (they could be the start of a
//! value that the next piece completes), so a response of any size is
//! scrubbed in constant memory and never buffered whole.

use zeroize::Zeroizing;

/// What a client sees instead of a resolved value.
pub const MASK: &[u8] = b"<concealed by clavitor>";

/// The values to hide and the bytes held back between pieces.
pub struct Scrubber {
    /// Longest first, so a value that contains another is masked whole.
    needles: Vec<Zeroizing<Vec<u8>>>,
    pending: Zeroizing<Vec<u8>>,
}

impl Scrubber {
    /// A scrubber for these values (empty ones are ignored, duplicates merged).
    pub fn new(values: Vec<Zeroizing<Vec<u8>>>) -> Scrubber {
        let mut needles: Vec<Zeroizing<Vec<u8>>> =
            values.into_iter().filter(|v| !v.is_empty()).collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a[..].cmp(&b[..])));
        needles.dedup_by(|a, b| a[..] == b[..]);
        Scrubber {
            needles,
            pending: Zeroizing::new(Vec::new()),
        }
    }

    /// True when there is nothing to hide.
    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// The length of the value that starts at `data[i..]`, if one does.
    fn match_at(&self, data: &[u8], i: usize) -> Option<usize> {
        self.needles
            .iter()
            .find(|n| data[i..].starts_with(n))
            .map(|n| n.len())
    }

    /// Whether `tail` could be the beginning of a value.
    fn could_start(&self, tail: &[u8]) -> bool {
        self.needles.iter().any(|n| n.starts_with(tail))
    }

    /// Scrubs `pending`, appending what is safe to `out`; with `last`
    /// nothing is held back.
    fn drain(&mut self, out: &mut Vec<u8>, last: bool) {
        let data = std::mem::take(&mut *self.pending);
        let mut i = 0;
        while i < data.len() {
            if let Some(n) = self.match_at(&data, i) {
                out.extend_from_slice(MASK);
                i += n;
                continue;
            }
            if !last && self.could_start(&data[i..]) {
                break;
            }
            out.push(data[i]);
            i += 1;
        }
        self.pending.extend_from_slice(&data[i..]);
        let mut data = Zeroizing::new(data);
        data.clear();
    }

    /// Feeds the next piece; appends the scrubbed bytes that are final to `out`.
    pub fn feed(&mut self, piece: &[u8], out: &mut Vec<u8>) {
        if self.needles.is_empty() {
            out.extend_from_slice(piece);
            return;
        }
        self.pending.extend_from_slice(piece);
        self.drain(out, false);
    }

    /// Appends whatever was held back, scrubbed.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.drain(out, true);
    }

    /// Scrubs one complete value (a header, a status reason).
    pub fn scrub(&self, data: &[u8]) -> Vec<u8> {
        let mut one = Scrubber {
            needles: self.needles.clone(),
            pending: Zeroizing::new(data.to_vec()),
        };
        let mut out = Vec::with_capacity(data.len());
        one.drain(&mut out, true);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber(values: &[&str]) -> Scrubber {
        Scrubber::new(
            values
                .iter()
                .map(|v| Zeroizing::new(v.as_bytes().to_vec()))
                .collect(),
        )
    }

    #[test]
    fn values_split_across_pieces_are_masked() {
        let body = b"{\"echo\":\"sk_live_123\",\"again\":\"sk_live_123sk_live_12\"}";
        for split in 1..body.len() {
            let mut s = scrubber(&["sk_live_123"]);
            let mut out = Vec::new();
            for piece in body.chunks(split) {
                s.feed(piece, &mut out);
            }
            s.finish(&mut out);
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                text,
                "{\"echo\":\"<concealed by clavitor>\",\"again\":\"<concealed by clavitor>sk_live_12\"}",
                "pieces of {split}"
            );
        }
    }

    #[test]
    fn the_longest_value_wins_and_empty_values_are_ignored() {
        let s = scrubber(&["", "abc", "abcdef"]);
        assert_eq!(
            s.scrub(b"xabcdefyabc"),
            b"x<concealed by clavitor>y<concealed by clavitor>"
        );
        assert!(scrubber(&[""]).is_empty());
        assert_eq!(scrubber(&[]).scrub(b"abc"), b"abc");
    }
}
