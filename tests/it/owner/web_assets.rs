//! The embedded web UI over real HTTP: content types, the strict CSP,
//! cache headers, HEAD, and refusals. The UI itself is tested in a
//! browser by tests/browser/ (`make test-browser`).

use crate::common;
use common::*;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn page_and_assets_are_served_with_types_csp_and_cache_headers() {
    let server = TestServer::start();
    let (st, h, body) = raw(&server.url, "GET", "/", &[], b"");
    assert_eq!(st, 200);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(&h, "content-security-policy"), Some(CSP));
    assert_eq!(header(&h, "cache-control"), Some("no-store"));
    assert_eq!(header(&h, "x-frame-options"), Some("DENY"));
    let page = String::from_utf8(body).unwrap();
    let version = page
        .split("/assets/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("the page names its asset version")
        .to_string();

    for (path, ty) in [
        ("js/app.js", "text/javascript; charset=utf-8"),
        ("js/crypto.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("fonts/figtree-latin-400.woff2", "font/woff2"),
        ("fonts/figtree-latin-600.woff2", "font/woff2"),
        ("fonts/OFL.txt", "text/plain; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
        ("fieldspec.json", "application/json"),
    ] {
        let (st, h, body) = raw(
            &server.url,
            "GET",
            &format!("/assets/{version}/{path}"),
            &[],
            b"",
        );
        assert_eq!(st, 200, "{path}");
        assert_eq!(header(&h, "content-type"), Some(ty), "{path}");
        assert_eq!(header(&h, "content-security-policy"), Some(CSP), "{path}");
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{path}"
        );
        assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
        assert!(!body.is_empty(), "{path}");
    }
    // An old version still loads (a page cached before an upgrade) but is not cached.
    let (st, h, _) = raw(
        &server.url,
        "GET",
        "/assets/000000000000/js/app.js",
        &[],
        b"",
    );
    assert_eq!(st, 200);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    // HEAD: headers, no body.
    let (st, h, body) = raw(
        &server.url,
        "HEAD",
        &format!("/assets/{version}/app.css"),
        &[],
        b"",
    );
    assert_eq!(st, 200);
    assert_eq!(header(&h, "content-type"), Some("text/css; charset=utf-8"));
    assert!(body.is_empty());
}

// Every probe here is on a path the commercial tarpit holds (`tarpitted`).
#[cfg(not(feature = "commercial"))]
#[test]
fn unknown_assets_and_other_methods_are_refused() {
    let server = TestServer::start();
    for path in [
        "/assets/x/nope.js",
        "/assets/x/../Cargo.toml",
        "/assets/x",
        "/assets",
    ] {
        let (st, _, body) = raw(&server.url, "GET", path, &[], b"");
        assert_eq!(st, 404, "{path}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "CV-3003", "{path}");
    }
    let (st, h, _) = raw(&server.url, "POST", "/assets/x/js/app.js", &[], b"{}");
    assert_eq!(st, 405);
    assert_eq!(header(&h, "allow"), Some("GET, HEAD"));
    let (st, _, _) = raw(&server.url, "PUT", "/", &[], b"");
    assert_eq!(st, 405);
}

#[test]
fn fieldspec_json_matches_the_rust_table() {
    let server = TestServer::start();
    let (_, _, body) = raw(&server.url, "GET", "/assets/any/fieldspec.json", &[], b"");
    let v: Value = serde_json::from_slice(&body).unwrap();
    for t in clavitor::fieldspec::TYPES {
        let served = v["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == t.name)
            .unwrap_or_else(|| panic!("type {} missing", t.name));
        assert_eq!(served["system"], t.system);
        for (i, f) in t.fields.iter().enumerate() {
            assert_eq!(served["fields"][i]["name"], f.name);
            assert_eq!(served["fields"][i]["tier"], f.tier.as_str());
            assert_eq!(served["fields"][i]["label"], f.label);
        }
    }
}
