//! Attacks from outside: key leaks, malformed HTTP, tampered audit chains,
//! idle and oversized connections.

mod audit_hardening;
mod connections;
mod http_hardening;
mod key_leaks;
mod route_access;
