//! A cheap fuzz: every sample cut at many lengths never panics.

use super::*;

/// Lengths to cut a sample at: every length up to 4 KiB for this
/// project's samples (64 for the shared ones), then about 300 evenly spaced.
fn cuts(len: usize, dense: bool) -> Vec<usize> {
    let limit = len.min(if dense { 4096 } else { 64 });
    let step = (len / 300).max(1);
    let mut v: Vec<usize> = (0..=limit)
        .chain((limit..=len).step_by(step))
        .chain([len])
        .collect();
    v.dedup();
    v
}

/// Feeds prefixes of every sample to the parsers: no input may panic. The
/// owning importer detects and parses (strict and skipping) every cut; the
/// others every 31st, to keep this quadratic loop to seconds on 2 cores.
#[test]
fn truncated_inputs_never_panic() {
    let mine: Vec<&dyn Importer> = MINE.iter().map(|n| importer(n)).collect();
    let own_root = own("");
    for (owner, path) in super::detection::corpus() {
        let bytes = std::fs::read(&path).unwrap();
        for (n, cut) in cuts(bytes.len(), path.starts_with(&own_root))
            .into_iter()
            .enumerate()
        {
            let input = Input {
                name: "cut",
                bytes: &bytes[..cut],
            };
            for imp in mine.iter().filter(|i| i.name() == owner || n % 31 == 0) {
                let _ = imp.detect(&input);
                let _ = imp.parse(&input, true);
                let _ = imp.parse(&input, false);
            }
        }
    }
}
