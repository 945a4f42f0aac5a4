//! The integration tests: one binary (one compile and link of the shared
//! harness), modules by concern. Each test drives the real `clavitor`
//! binary over real HTTP on 127.0.0.1 with a real SQLite file.
//!
//! Run one concern with a filter: `cargo test --test it agents::`;
//! the commercial edition's modules exist only with `--features commercial`.

mod common;
mod pops;

mod agents;
#[cfg(feature = "commercial")]
mod commercial;
mod faults;
mod import;
mod owner;
mod security;
mod structure;
