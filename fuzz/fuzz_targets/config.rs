//! `clavitor.yaml`: any text is either a configuration or an error message,
//! never a panic or a hang.
#![no_main]

use clavitor::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(config) = Config::parse(text) {
            // What parses is usable by the server.
            let _ = config.worker_count();
            let _ = config.db_path();
            let _ = config.token_key_path();
        }
    }
});
