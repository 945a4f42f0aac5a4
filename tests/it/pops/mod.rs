//! Servers started as processes of their own: two POPs on loopback sharing
//! a token keyring and a replication key (commercial), a server with a given
//! environment, and a receiver for what a server sends out (telemetry,
//! alerts, heartbeats).

// The benchmarks measure the community edition too; its tests do not.
#[cfg_attr(not(feature = "commercial"), allow(dead_code))]
mod measure;
#[cfg(feature = "commercial")]
mod pair;
mod process;
pub mod receiver;

#[cfg_attr(not(feature = "commercial"), allow(unused_imports))]
pub use measure::*;
#[cfg(feature = "commercial")]
pub use pair::*;
pub use process::*;
