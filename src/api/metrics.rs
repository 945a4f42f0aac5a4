//! `GET /metrics` (SPEC section 5: loopback peers, or an owner token) and
//! the mapping from a request path to its route pattern, the `route` label.

use super::{routes, Ctx, Result};
use crate::http::{Reply, Req};
use crate::metrics::{self, METRICS};

/// Prometheus text exposition format, version 0.0.4.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The scrape. Loopback peers need no token (a local Prometheus or node
/// exporter); anyone else needs an owner session, and an agent gets 403
/// (audited), like on every owner route: the route table's
/// `LoopbackOrOwner` access, checked by the router.
pub fn scrape(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let labels: Vec<&str> = routes::table().labels().collect();
    Ok(Reply::text(
        200,
        CONTENT_TYPE,
        METRICS.render(ctx.app.edition.name(), &labels),
    ))
}

/// Records one answered request under its route pattern.
pub fn observe(req: &Req, status: u16, elapsed: std::time::Duration) {
    METRICS.request(
        route_slot(req, status),
        routes::method_name(req.method),
        status,
        elapsed,
    );
}

/// The metrics slot of a request: its pattern's place in the route table
/// (labelled with the pattern, never the raw path), or `unmatched`.
fn route_slot(req: &Req, status: u16) -> usize {
    // The HTTP layer answers 400 for a path it cannot decode and hands
    // over no segments; `/` itself never answers 400.
    if req.segments.is_empty() && status == 400 {
        return metrics::UNMATCHED_SLOT;
    }
    routes::table()
        .slot(&req.segments)
        .filter(|s| *s < metrics::UNMATCHED_SLOT)
        .unwrap_or(metrics::UNMATCHED_SLOT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use std::net::IpAddr;

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

    fn label(path: &str, status: u16) -> String {
        let slot = route_slot(&req(path), status);
        if slot == metrics::UNMATCHED_SLOT {
            return metrics::UNMATCHED.into();
        }
        routes::table().labels().nth(slot).unwrap().to_string()
    }

    #[test]
    fn ids_never_become_labels() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            label(&format!("/api/v1/entries/{id}"), 200),
            "/api/v1/entries/{entry_id}"
        );
        assert_eq!(
            label(&format!("/api/v1/vaults/{id}/unlock/passphrase"), 200),
            "/api/v1/vaults/{vault_id}/unlock/{method_id}"
        );
        assert_eq!(
            label("/assets/v/js/pages/x.js", 200),
            "/assets/{version}/{dir}/{name}"
        );
        assert_eq!(label("/wp-login.php?user=admin", 404), "unmatched");
        assert_eq!(label("/api/v1/entries/a/b/c", 404), "unmatched");
        assert_eq!(label("/", 400), "unmatched");
        assert_eq!(label("/", 200), "/");
        assert_eq!(label("/a/b/c/d/e/f/g/h", 404), "unmatched");
    }

    #[test]
    fn every_served_pattern_is_its_own_label() {
        for (_, pattern) in routes::table().served() {
            let path = pattern.replace('{', "x").replace('}', "");
            assert_eq!(label(&path, 200), pattern, "{path}");
        }
    }

    #[test]
    fn ipv4_mapped_loopback_counts_as_loopback() {
        use routes::is_loopback;
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.1".parse().unwrap()));
        assert!(!is_loopback("::ffff:192.0.2.1".parse().unwrap()));
    }
}
