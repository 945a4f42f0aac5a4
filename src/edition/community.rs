//! The community edition: a single self-hosted server.

use super::Edition;
use crate::config::Config;

pub struct Community;

impl Edition for Community {
    fn name(&self) -> &'static str {
        "community"
    }

    fn role(&self) -> &'static str {
        "standalone"
    }

    fn operator_alert(&self, kind: &str, message: &str) {
        eprintln!("OPERATOR ALERT [{kind}]: {message}");
    }

    fn check_config(&self, config: &Config) -> Result<(), String> {
        if let Some(path) = &config.replication_config {
            log::warn!(
                "replication_config ({}) is ignored: replication is part of the commercial edition",
                path.display()
            );
        }
        Ok(())
    }
}
