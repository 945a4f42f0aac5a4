//! The owner web UI: hand-written ES modules, CSS and the Figtree font,
//! embedded in the binary (`include_bytes!`) and served at `/` and
//! `/assets/<version>/…`. No build step, no request to another origin.
//!
//! Invariants (see docs/ARCHITECTURE.md):
//! * no inline script or style: every page answer carries [`CSP`], which
//!   allows scripts, styles and fonts from this origin only;
//! * nothing is fetched from a third-party origin (fonts are embedded);
//! * keys live in JavaScript memory only; the UI never writes them (or the
//!   session token) to localStorage, sessionStorage, cookies or IndexedDB.
//!
//! Caching: asset URLs carry a version (a hash of every embedded asset), so
//! they are cached as immutable; `/` is `no-store` and names the current
//! version.

mod assets;

use std::sync::OnceLock;

use serde_json::json;

use crate::fieldspec;
use crate::http::Reply;

/// The Content-Security-Policy of every web UI answer (issue 8).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Cache policy of versioned assets: their URL changes whenever they do.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of assets asked for under another version. The page itself
/// keeps the server default, `no-store`: it is tiny and must never be stale.
const REVALIDATE: &str = "no-cache";

/// The FIELD_SPEC table as the browser reads it (`/assets/<v>/fieldspec.json`).
pub fn fieldspec_json() -> &'static [u8] {
    static JSON: OnceLock<Vec<u8>> = OnceLock::new();
    JSON.get_or_init(|| {
        let types: Vec<_> = fieldspec::TYPES
            .iter()
            .map(|t| {
                let fields: Vec<_> = t
                    .fields
                    .iter()
                    .map(|f| json!({"name": f.name, "label": f.label, "kind": f.kind, "tier": f.tier.as_str()}))
                    .collect();
                json!({"name": t.name, "system": t.system, "fields": fields})
            })
            .collect();
        serde_json::to_vec(&json!({"types": types})).expect("the table serializes")
    })
}

/// A short hash of every embedded asset and the FIELD_SPEC JSON.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut all = Vec::new();
        for a in assets::ASSETS {
            all.extend_from_slice(a.path.as_bytes());
            all.extend_from_slice(&(a.bytes.len() as u64).to_be_bytes());
            all.extend_from_slice(a.bytes);
        }
        all.extend_from_slice(fieldspec_json());
        crate::crypto::hex(&crate::crypto::sha256(&all)[..6])
    })
}

/// `GET /`: the page shell, pointing at the current asset version.
pub fn index() -> Reply {
    static PAGE: OnceLock<Vec<u8>> = OnceLock::new();
    let page = PAGE.get_or_init(|| assets::INDEX_HTML.replace("{{V}}", version()).into_bytes());
    Reply::text(200, "text/html; charset=utf-8", page.clone())
        .with_header("Content-Security-Policy", CSP)
        .with_header("Cross-Origin-Opener-Policy", "same-origin")
}

/// `GET /assets/<version>/<path…>`: an embedded file, or `None` (404).
/// Any version serves the current file, but only the current one is cached.
pub fn asset(rest: &[&str]) -> Option<Reply> {
    let (ver, path) = rest.split_first()?;
    if path.is_empty() {
        return None;
    }
    let path = path.join("/");
    let (content_type, body): (&'static str, Vec<u8>) = if path == "fieldspec.json" {
        ("application/json", fieldspec_json().to_vec())
    } else {
        let a = assets::ASSETS.iter().find(|a| a.path == path)?;
        (a.content_type, a.bytes.to_vec())
    };
    let cache = if *ver == version() {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    Some(
        Reply::text(200, content_type, body)
            .with_header("Content-Security-Policy", CSP)
            .with_header("Cache-Control", cache),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn index_names_the_current_version_and_has_no_inline_script() {
        let r = index();
        let page = String::from_utf8(r.body.clone()).unwrap();
        assert!(page.contains(&format!("/assets/{}/js/app.js", version())));
        assert!(!page.contains("{{V}}"));
        // Every <script> has a src (CSP forbids inline script anyway).
        for part in page.split("<script").skip(1) {
            assert!(part.split('>').next().unwrap().contains("src="), "{part}");
        }
        assert!(!page.contains("style="), "no inline style attributes");
        assert_eq!(header(&r, "content-security-policy"), Some(CSP));
        assert_eq!(
            header(&r, "cache-control"),
            None,
            "the server default no-store applies"
        );
    }

    #[test]
    fn assets_have_types_and_cache_headers() {
        let v = version();
        let js = asset(&[v, "js", "app.js"]).unwrap();
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        assert_eq!(header(&js, "cache-control"), Some(IMMUTABLE));
        let font = asset(&[v, "fonts", "figtree-latin-400.woff2"]).unwrap();
        assert_eq!(font.content_type, "font/woff2");
        assert_eq!(&font.body[..4], b"wOF2");
        let old = asset(&["0000", "app.css"]).unwrap();
        assert_eq!(header(&old, "cache-control"), Some(REVALIDATE));
        assert!(asset(&[v, "nope.js"]).is_none());
        assert!(asset(&[v]).is_none());
        assert!(asset(&[v, "..", "Cargo.toml"]).is_none());
    }

    #[test]
    fn fieldspec_json_is_the_table() {
        let v: serde_json::Value = serde_json::from_slice(fieldspec_json()).unwrap();
        let login = v["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "login")
            .unwrap();
        let pw = login["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "password")
            .unwrap();
        assert_eq!(pw["tier"], "l2");
        assert_eq!(pw["kind"], "secret");
        assert_eq!(v["types"].as_array().unwrap().len(), fieldspec::TYPES.len());
    }

    #[test]
    fn every_asset_file_is_in_the_table() {
        // Guards against a file added to src/web/assets but not to the table.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/assets");
        let mut stack = vec![dir.clone()];
        let mut on_disk = Vec::new();
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    on_disk.push(p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
                }
            }
        }
        for f in on_disk.iter().filter(|f| *f != "index.html") {
            assert!(
                assets::ASSETS.iter().any(|a| a.path == f),
                "{f} is in src/web/assets but not in assets::ASSETS"
            );
        }
    }
}
