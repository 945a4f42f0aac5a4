//! Editions. One trait, chosen at compile time; this module is the only
//! place that looks at the `commercial` feature.
//! Invariant: no `cfg(feature = "commercial")` outside `src/edition/`.

mod community;

use crate::config::Config;

/// What differs between the community and commercial builds.
pub trait Edition: Sync + Send {
    /// "community" or "commercial" (reported by `/healthz`).
    fn name(&self) -> &'static str;
    /// Replication role for `/healthz`: "standalone" without replication.
    fn role(&self) -> &'static str;
    /// Reports a condition an operator must act on.
    fn operator_alert(&self, kind: &str, message: &str);
    /// Edition-specific checks of a configuration (warnings or refusal).
    fn check_config(&self, config: &Config) -> Result<(), String>;
}

#[cfg(feature = "commercial")]
compile_error!("the commercial edition (replication, tarpit, alerts, telemetry) is not implemented yet; build without --features commercial");

/// The edition this binary was built as.
pub fn current() -> &'static dyn Edition {
    &community::Community
}
