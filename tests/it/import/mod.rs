//! Importers: every format through the registry, detection, the CLI and
//! the API, import → export round trips, and their fuzz targets.

pub mod harness;

mod api;
mod detection;
mod formats;
mod fuzz_targets;
mod parsers;
mod pipeline;
mod roundtrip;
