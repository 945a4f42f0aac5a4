//! The embedded files of the web UI. Adding a file under `src/web/assets/`
//! means adding a line here (a unit test checks that none is forgotten).

/// One embedded file, served at `/assets/<version>/<path>`.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// The page shell; `{{V}}` is replaced by the asset version.
pub const INDEX_HTML: &str = include_str!("assets/index.html");

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

macro_rules! assets {
    ($($path:literal => $ty:expr),* $(,)?) => {
        &[$(Asset { path: $path, content_type: $ty, bytes: include_bytes!(concat!("assets/", $path)) }),*]
    };
}

/// Every file but the page shell.
pub static ASSETS: &[Asset] = assets![
    "app.css" => CSS,
    "icon.svg" => "image/svg+xml",
    "fonts/figtree-latin-400.woff2" => "font/woff2",
    "fonts/figtree-latin-600.woff2" => "font/woff2",
    "fonts/OFL.txt" => "text/plain; charset=utf-8",
    "js/app.js" => JS,
    "js/dom.js" => JS,
    "js/nav.js" => JS,
    "js/crypto.js" => JS,
    "js/totp.js" => JS,
    "js/api.js" => JS,
    "js/session.js" => JS,
    "js/passkey.js" => JS,
    "js/fieldspec.js" => JS,
    "js/entrydoc.js" => JS,
    "js/importmap.js" => JS,
    "js/pages/unlock.js" => JS,
    "js/pages/entries.js" => JS,
    "js/pages/entry-view.js" => JS,
    "js/pages/entry-edit.js" => JS,
    "js/pages/agents.js" => JS,
    "js/pages/agent-edit.js" => JS,
    "js/pages/scopes.js" => JS,
    "js/pages/transfer.js" => JS,
    "js/pages/audit.js" => JS,
    "js/pages/activity.js" => JS,
    "js/pages/settings.js" => JS,
];
