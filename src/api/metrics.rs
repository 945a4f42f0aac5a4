//! `GET /metrics` (SPEC section 5: loopback peers, or an owner token) and
//! the mapping from a request path to its route pattern, the `route` label.

use std::net::IpAddr;

use super::{auth, Ctx, Result};
use crate::http::{Method, Reply, Req};
use crate::metrics::{self, METRICS};

/// Prometheus text exposition format, version 0.0.4.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The scrape. Loopback peers need no token (a local Prometheus or node
/// exporter); anyone else needs an owner session, and an agent gets 403
/// (audited), like on every owner route.
pub fn scrape(ctx: &mut Ctx<'_>) -> Result<Reply> {
    if !is_loopback(ctx.req.peer) {
        auth::require_owner(ctx)?;
    }
    Ok(Reply::text(
        200,
        CONTENT_TYPE,
        METRICS.render(ctx.app.edition.name()),
    ))
}

/// `::ffff:127.0.0.1` is how an IPv4 loopback client appears on a `[::]` listener.
fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Records one answered request under its route pattern.
pub fn observe(req: &Req, status: u16, elapsed: std::time::Duration) {
    let route = metrics::route_slot(route_pattern(req, status));
    METRICS.request(route, method_label(req.method), status, elapsed);
}

fn method_label(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Other => "OTHER",
    }
}

/// The route pattern of a request: one of [`metrics::ROUTES`], never the raw path.
fn route_pattern(req: &Req, status: u16) -> &'static str {
    // The segments as `&str`s on the stack: no allocation per request.
    // No route has more than five segments.
    const MAX: usize = 6;
    if req.segments.len() > MAX {
        return metrics::UNMATCHED;
    }
    let mut buf = [""; MAX];
    for (slot, seg) in buf.iter_mut().zip(&req.segments) {
        *slot = seg;
    }
    match &buf[..req.segments.len()] {
        // The HTTP layer answers 400 for a path it cannot decode and hands
        // over no segments; `/` itself never answers 400.
        [] if status == 400 => metrics::UNMATCHED,
        [] => "/",
        ["healthz"] => "/healthz",
        ["metrics"] => "/metrics",
        ["assets", ..] => "/assets/{file}",
        ["api", "v1", rest @ ..] => match rest {
            ["vaults"] => "/api/v1/vaults",
            ["vaults", _, "unlock", _] => "/api/v1/vaults/{vault_id}/unlock/{method_id}",
            ["vaults", _, "unlock", _, "open"] => {
                "/api/v1/vaults/{vault_id}/unlock/{method_id}/open"
            }
            ["unlock"] => "/api/v1/unlock",
            ["unlock", "passkey", _] => "/api/v1/unlock/passkey/{credential_id}",
            ["session"] => "/api/v1/session",
            ["session", "revoke-all"] => "/api/v1/session/revoke-all",
            ["entries"] => "/api/v1/entries",
            ["entries", "batch"] => "/api/v1/entries/batch",
            ["entries", "lookup"] => "/api/v1/entries/lookup",
            ["entries", _] => "/api/v1/entries/{id}",
            ["scopes"] => "/api/v1/scopes",
            ["scopes", _] => "/api/v1/scopes/{id}",
            ["agents"] => "/api/v1/agents",
            ["agents", _] => "/api/v1/agents/{id}",
            ["agents", _, "rotate"] => "/api/v1/agents/{id}/rotate",
            ["agents", _, "unlock"] => "/api/v1/agents/{id}/unlock",
            ["audit"] => "/api/v1/audit",
            ["audit", "verify"] => "/api/v1/audit/verify",
            ["import", "parse"] => "/api/v1/import/parse",
            _ => metrics::UNMATCHED,
        },
        _ => metrics::UNMATCHED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str) -> Req {
        let (segments, query) = crate::http::split_url(path).unwrap();
        Req {
            method: Method::Get,
            segments,
            query,
            headers: Vec::new(),
            body: Vec::new(),
            peer: IpAddr::from([127, 0, 0, 1]),
        }
    }

    #[test]
    fn ids_never_become_labels() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            route_pattern(&req(&format!("/api/v1/entries/{id}")), 200),
            "/api/v1/entries/{id}"
        );
        assert_eq!(
            route_pattern(&req(&format!("/api/v1/vaults/{id}/unlock/passphrase")), 200),
            "/api/v1/vaults/{vault_id}/unlock/{method_id}"
        );
        assert_eq!(
            route_pattern(&req("/wp-login.php?user=admin"), 404),
            "unmatched"
        );
        assert_eq!(
            route_pattern(&req("/api/v1/entries/a/b/c"), 404),
            "unmatched"
        );
        assert_eq!(route_pattern(&req("/"), 400), "unmatched");
        assert_eq!(route_pattern(&req("/a/b/c/d/e/f/g/h"), 404), "unmatched");
    }

    #[test]
    fn every_pattern_is_a_known_label() {
        for path in [
            "/",
            "/healthz",
            "/metrics",
            "/assets/app.js",
            "/api/v1/vaults",
            "/api/v1/vaults/x/unlock/y",
            "/api/v1/unlock",
            "/api/v1/unlock/passkey/c",
            "/api/v1/session",
            "/api/v1/session/revoke-all",
            "/api/v1/entries",
            "/api/v1/entries/batch",
            "/api/v1/entries/lookup",
            "/api/v1/entries/x",
            "/api/v1/scopes",
            "/api/v1/scopes/0001",
            "/api/v1/agents",
            "/api/v1/agents/x",
            "/api/v1/agents/x/rotate",
            "/api/v1/agents/x/unlock",
            "/api/v1/audit",
            "/api/v1/audit/verify",
            "/api/v1/import/parse",
            "/nope",
        ] {
            let p = route_pattern(&req(path), 200);
            assert!(
                metrics::ROUTES.contains(&p),
                "{path} maps to {p}, missing from ROUTES"
            );
        }
    }

    #[test]
    fn ipv4_mapped_loopback_counts_as_loopback() {
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.1".parse().unwrap()));
        assert!(!is_loopback("::ffff:192.0.2.1".parse().unwrap()));
    }
}
