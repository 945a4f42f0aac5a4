//! The commercial edition: two POPs on loopback (replication, mTLS,
//! provisioning, tarpit, operations). `bench`, `tarpit` and `idle` also
//! feed `make bench-commercial`.

mod agents;
mod bench;
mod config;
mod idle;
mod mtls;
mod ops;
mod provisioning;
mod replication;
mod resilience;
mod tarpit;
