//! Server logging: `log` + `simplelog` to stderr (journald picks it up).
//!
//! The logger is installed at the most verbose level once; the level in
//! force is `log::max_level`, which SIGHUP changes without reinstalling.

use log::LevelFilter;

/// Installs the stderr logger and sets the level. Safe to call once per process.
pub fn init(level: LevelFilter) {
    let config = simplelog::ConfigBuilder::new()
        .set_time_format_rfc3339()
        .set_thread_level(LevelFilter::Off)
        .set_target_level(LevelFilter::Off)
        .build();
    // Err only if a logger exists already (tests calling twice): keep it.
    let _ = simplelog::WriteLogger::init(LevelFilter::Trace, config, std::io::stderr());
    set_level(level);
}

/// Changes the level in force.
pub fn set_level(level: LevelFilter) {
    log::set_max_level(level);
}
