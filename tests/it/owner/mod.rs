//! The owner's API, CLI and web assets, the documented contract
//! (OpenAPI, man pages, metrics) and signals.

mod api_errors;
mod backup_restore;
mod cli;
mod cli_verbs;
#[cfg(not(feature = "commercial"))]
mod community_edition;
mod man_pages;
mod metrics;
mod openapi;
mod signals;
mod smoke;
mod unlock;
mod web_assets;
