//! clavitor: a self-hosted credential vault whose AI agents get scoped,
//! rate-limited, audited access to some secrets. See docs/ARCHITECTURE.md.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod api;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod edition;
pub mod entry;
pub mod error_code;
pub mod fieldspec;
pub mod generate;
pub mod http;
pub mod ids;
pub mod import;
pub mod logging;
pub mod metrics;
pub mod policy;
pub mod records;
pub mod serve;
pub mod vault;
pub mod web;
