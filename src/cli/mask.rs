//! Masking resolved values out of text a model or a log may see (SPEC 13):
//! `clavitor run`'s piped output, `clavitor mcp`'s brokered responses and
//! the proxy's responses.
//!
//! [`Secrets`] is the set of values resolved so far; [`Secrets::scrub`]
//! masks a whole buffer; [`StreamMasker`] masks a byte stream chunk by
//! chunk. It holds back only the shortest tail that could still become a
//! secret (a proper prefix of one), so a value split across two reads is
//! still masked, lines are never held for their own sake, and the held
//! bytes are bounded by the longest secret.

use zeroize::Zeroizing;

/// What replaces a resolved value.
pub const MASK: &str = "<concealed by clavitor>";

/// Values shorter than this are not masked: masking every `1` or `on` would
/// destroy the output and protect nothing.
pub const MIN_MASKED: usize = 4;

/// The resolved values to mask, longest first (so a value containing
/// another is masked whole).
pub struct Secrets {
    values: Vec<Zeroizing<Vec<u8>>>,
    /// Bytes some value starts with: the scan skips every other byte
    /// without comparing (plain text goes through at copy speed).
    first: [bool; 256],
}

impl Default for Secrets {
    fn default() -> Secrets {
        Secrets {
            values: Vec::new(),
            first: [false; 256],
        }
    }
}

impl Secrets {
    pub fn new() -> Secrets {
        Secrets::default()
    }

    /// Adds a value (and each of its lines, for multi-line values such as
    /// keys, which programs often print line by line).
    pub fn add(&mut self, value: &str) {
        self.add_one(value.as_bytes());
        // As a JSON string would carry it (an API echoing it in a body).
        let json = serde_json::to_string(value).expect("strings serialize");
        let escaped = &json[1..json.len() - 1];
        if escaped != value {
            self.add_one(escaped.as_bytes());
        }
        if value.contains('\n') {
            for line in value.lines() {
                self.add_one(line.trim_end_matches('\r').as_bytes());
            }
        }
    }

    fn add_one(&mut self, v: &[u8]) {
        if v.len() < MIN_MASKED || self.values.iter().any(|s| s[..] == *v) {
            return;
        }
        self.values.push(Zeroizing::new(v.to_vec()));
        self.values.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.first[usize::from(v[0])] = true;
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The secret that starts at `text[i..]`, by length.
    fn match_at(&self, text: &[u8]) -> Option<usize> {
        self.values
            .iter()
            .find(|s| text.starts_with(s))
            .map(|s| s.len())
    }

    /// Whether `tail` (shorter than some secret) is the start of one.
    fn could_start(&self, tail: &[u8]) -> bool {
        self.values
            .iter()
            .any(|s| s.len() > tail.len() && s.starts_with(tail))
    }

    /// `text` with every value replaced by [`MASK`].
    pub fn scrub(&self, text: &[u8]) -> Vec<u8> {
        let mut m = StreamMasker::new(self);
        let mut out = m.feed(text);
        out.extend(m.finish());
        out
    }

    /// [`Secrets::scrub`] for text.
    pub fn scrub_str(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.scrub(text.as_bytes())).into_owned()
    }
}

/// Masks a stream: feed chunks as they arrive, write what comes back.
pub struct StreamMasker<'a> {
    secrets: &'a Secrets,
    pending: Zeroizing<Vec<u8>>,
}

impl<'a> StreamMasker<'a> {
    pub fn new(secrets: &'a Secrets) -> StreamMasker<'a> {
        StreamMasker {
            secrets,
            pending: Zeroizing::new(Vec::new()),
        }
    }

    /// Masks `chunk` (after what was held back) and returns every byte that
    /// can no longer be part of a secret.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        let buf = std::mem::take(&mut *self.pending);
        let buf = Zeroizing::new(buf);
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        while i < buf.len() {
            let next = buf[i..]
                .iter()
                .position(|b| self.secrets.first[usize::from(*b)])
                .map_or(buf.len(), |p| i + p);
            out.extend_from_slice(&buf[i..next]);
            i = next;
            if i == buf.len() {
                break;
            }
            if let Some(n) = self.secrets.match_at(&buf[i..]) {
                out.extend_from_slice(MASK.as_bytes());
                i += n;
            } else if self.secrets.could_start(&buf[i..]) {
                self.pending.extend_from_slice(&buf[i..]);
                break;
            } else {
                out.push(buf[i]);
                i += 1;
            }
        }
        out
    }

    /// Whether bytes are held back (a possible start of a secret).
    pub fn holding(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Releases what was held back: the stream ended, or went quiet long
    /// enough that the held bytes are not the start of a value after all.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(vals: &[&str]) -> Secrets {
        let mut s = Secrets::new();
        for v in vals {
            s.add(v);
        }
        s
    }

    #[test]
    fn whole_buffers_are_scrubbed() {
        let s = secrets(&["sk-live-123456", "sk-live-1234", "ab"]);
        assert_eq!(
            s.scrub_str("key=sk-live-123456 short=sk-live-1234! ab"),
            format!("key={MASK} short={MASK}! ab")
        );
        assert_eq!(s.scrub_str("sk-live-12"), "sk-live-12");
    }

    #[test]
    fn a_value_split_across_chunks_is_masked_and_nothing_else_is_held() {
        let s = secrets(&["hunter2hunter2"]);
        let mut m = StreamMasker::new(&s);
        let mut out = m.feed(b"line one\npass=hunt");
        assert_eq!(out, b"line one\npass=");
        assert!(m.holding());
        out.extend(m.feed(b"er2hun"));
        out.extend(m.feed(b"ter2\nnext h"));
        out.extend(m.feed(b"ello\n"));
        assert!(!m.holding());
        out.extend(m.finish());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("line one\npass={MASK}\nnext hello\n")
        );
    }

    #[test]
    fn every_split_point_is_masked() {
        let s = secrets(&["0123456789abcdef"]);
        let text = b"aa 0123456789abcdef bb 0123456789abcdef";
        for cut in 0..text.len() {
            let mut m = StreamMasker::new(&s);
            let mut out = m.feed(&text[..cut]);
            out.extend(m.feed(&text[cut..]));
            out.extend(m.finish());
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("aa {MASK} bb {MASK}"),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn json_escaped_forms_are_masked() {
        let s = secrets(&["pa\"ss\\word"]);
        assert_eq!(
            s.scrub_str(r#"{"echo":"pa\"ss\\word"}"#),
            format!(r#"{{"echo":"{MASK}"}}"#)
        );
    }

    #[test]
    fn lines_of_multi_line_values_are_masked() {
        let s = secrets(&["-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----"]);
        assert_eq!(s.scrub_str("got AAAABBBBCCCC"), format!("got {MASK}"));
    }
}
