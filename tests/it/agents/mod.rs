//! Agents: scoped tokens, their limits, the CLI's agent verbs and the
//! integrations that use a secret without showing it.

mod adversarial;
mod cli;
mod concurrency;
mod policy_values;
mod proxy;
pub mod proxy_support;
mod secret_refs;
mod smoke;
