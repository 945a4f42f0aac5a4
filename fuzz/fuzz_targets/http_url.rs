//! Request-target parsing: `split_url` and `percent_decode` on any text.
#![no_main]

use clavitor::http::{percent_decode, split_url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(decoded) = percent_decode(&text) {
        // Decoding never grows the text.
        assert!(decoded.len() <= text.len());
        if !text.contains('%') {
            assert_eq!(decoded, text);
        }
    }
    if let Some((segments, query)) = split_url(&text) {
        assert!(text.starts_with('/'));
        assert!(segments.iter().all(|s| !s.is_empty()));
        let _ = query;
    }
});
