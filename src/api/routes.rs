//! The route table: every route the server answers, written once.
//!
//! A row says the method and path pattern, who may call the route
//! ([`Access`], which also fixes what its handler receives), how large a
//! body it takes ([`Body`]) and whether it writes. Everything else is
//! derived from the rows: the router's matching, `404`/`405` and the
//! `Allow` header, authentication (done here, before the handler runs — a
//! handler of an owner route receives the [`Owner`] and cannot run without
//! one), body limits and which bodies may wait for a worker
//! (`admit_unread_body`), the metrics `route` label, the list
//! `tests/it/owner/openapi.rs` compares with `docs/openapi.yaml` and
//! `docs/API.md`, and which requests a read-only backup refuses.
//!
//! Adding a route is one row here plus its handler.
//!
//! Patterns are OpenAPI paths: `{name}` matches one segment; `{name...}`
//! (last only) one or more, and is documented as `{name}`. Where a literal
//! and a parameter could both match (`/entries/batch`,
//! `/entries/{entry_id}`), the pattern with more literal segments wins.

use std::net::IpAddr;
use std::sync::OnceLock;

use super::auth::{self, Owner, Principal};
use super::error::Code;
use super::{agents, audit, entries, import, metrics, scopes, session, unlock, vaults};
use super::{ApiError, Ctx, Result};
use crate::edition::EditionRoute;
use crate::http::{Method, Reply};

/// Path parameters in the order of the pattern (a `{name...}` tail adds all its segments).
pub type Params<'a> = [&'a str];

/// Who may call a route. The router checks it before the handler runs and
/// hands the handler what it established.
#[derive(Clone, Copy)]
pub enum Access {
    /// No token (health, the web UI, the public unlock steps, login,
    /// vault creation with its setup token).
    Anyone(fn(&mut Ctx<'_>, &Params<'_>) -> Result<Reply>),
    /// Loopback peers without a token, anyone else with the owner's (the
    /// metrics scrape, SPEC 5); an agent gets 403, audited.
    LoopbackOrOwner(fn(&mut Ctx<'_>, &Params<'_>) -> Result<Reply>),
    /// The vault owner's token; an agent's gets 403, audited
    /// (`auth::require_owner`).
    Owner(fn(&mut Ctx<'_>, Owner, &Params<'_>) -> Result<Reply>),
    /// An owner's or an agent's token (`auth::authenticate`); what an
    /// agent may do there is the policy's decision, in the handler.
    AgentOrOwner(fn(&mut Ctx<'_>, Principal, &Params<'_>) -> Result<Reply>),
    /// Another POP, authenticated by the edition itself (a signature over
    /// the body); the edition's route number `n` (`Edition::serve`).
    InterPop(usize),
}

/// Which body limit applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `limits.max_body`.
    Normal,
    /// `limits.max_import_body`: imports and replication batches. Such a
    /// body is read only after the caller is authenticated.
    Import,
}

/// One row of the table.
#[derive(Clone, Copy)]
pub struct Route {
    pub method: Method,
    pub pattern: &'static str,
    pub access: Access,
    pub body: Body,
    /// Changes vault data: a read-only backup refuses it (503 CV-5030).
    pub writes: bool,
}

impl Route {
    const fn new(method: Method, pattern: &'static str, access: Access) -> Route {
        Route {
            method,
            pattern,
            access,
            body: Body::Normal,
            writes: false,
        }
    }

    /// The pattern as `docs/openapi.yaml` writes it (`{name...}` as `{name}`).
    pub fn documented_pattern(&self) -> String {
        self.pattern.replace("...}", "}")
    }

    const fn writes(mut self) -> Route {
        self.writes = true;
        self
    }

    const fn import(mut self) -> Route {
        self.body = Body::Import;
        self
    }
}

use Access::{AgentOrOwner, Anyone, LoopbackOrOwner, Owner as OwnerOnly};
use Method::{Delete, Get, Head, Post, Put};

/// Every route of the API and the web UI (the edition adds its own: [`table`]).
pub const ROUTES: &[Route] = &[
    Route::new(Get, "/healthz", Anyone(|c, _| Ok(super::health(c)))),
    Route::new(Head, "/healthz", Anyone(|c, _| Ok(super::health(c)))),
    Route::new(Get, "/metrics", LoopbackOrOwner(|c, _| metrics::scrape(c))),
    Route::new(Head, "/metrics", LoopbackOrOwner(|c, _| metrics::scrape(c))),
    Route::new(Get, "/", Anyone(|_, _| Ok(crate::web::index()))),
    Route::new(Head, "/", Anyone(|_, _| Ok(crate::web::index()))),
    // Embedded web UI files: `app.css`, `icon.svg`, `js/app.js`, `js/pages/…`.
    Route::new(Get, "/assets/{version}/{file}", Anyone(asset)),
    Route::new(Head, "/assets/{version}/{file}", Anyone(asset)),
    Route::new(Get, "/assets/{version}/{dir}/{name...}", Anyone(asset)),
    Route::new(Head, "/assets/{version}/{dir}/{name...}", Anyone(asset)),
    Route::new(Post, "/api/v1/vaults", Anyone(|c, _| vaults::create(c))).writes(),
    Route::new(
        Get,
        "/api/v1/vaults/{vault_id}/unlock/{method_id}",
        Anyone(|c, p| unlock::get_unlock(c, p[0], p[1])),
    ),
    Route::new(
        Post,
        "/api/v1/vaults/{vault_id}/unlock/{method_id}",
        OwnerOnly(|c, o, p| vaults::put_unlock(c, o, p[0], p[1])),
    )
    .writes(),
    Route::new(
        Delete,
        "/api/v1/vaults/{vault_id}/unlock/{method_id}",
        OwnerOnly(|c, o, p| vaults::delete_unlock(c, o, p[0], p[1])),
    )
    .writes(),
    // The unlock proof changes no vault data (its audit row joins the POP's own chain).
    Route::new(
        Post,
        "/api/v1/vaults/{vault_id}/unlock/{method_id}/open",
        Anyone(|c, p| unlock::open(c, p[0], p[1])),
    ),
    Route::new(Get, "/api/v1/unlock", Anyone(|c, _| unlock::by_handle(c))),
    Route::new(
        Get,
        "/api/v1/unlock/passkey/{credential_id}",
        Anyone(|c, p| unlock::by_passkey(c, p[0])),
    ),
    // Logging in changes no vault data: a backup serves it.
    Route::new(Post, "/api/v1/session", Anyone(|c, _| session::create(c))),
    Route::new(
        Post,
        "/api/v1/session/revoke-all",
        OwnerOnly(|c, o, _| session::revoke_all(c, o)),
    )
    .writes(),
    Route::new(
        Get,
        "/api/v1/entries",
        OwnerOnly(|c, o, _| entries::list(c, o)),
    ),
    Route::new(
        Post,
        "/api/v1/entries",
        AgentOrOwner(|c, who, _| entries::create(c, who)),
    )
    .writes(),
    Route::new(
        Post,
        "/api/v1/entries/batch",
        OwnerOnly(|c, o, _| entries::batch(c, o)),
    )
    .import()
    .writes(),
    Route::new(
        Get,
        "/api/v1/entries/lookup",
        AgentOrOwner(|c, who, _| entries::lookup(c, who)),
    ),
    Route::new(
        Get,
        "/api/v1/entries/{entry_id}",
        AgentOrOwner(|c, who, p| entries::get(c, who, p[0])),
    ),
    Route::new(
        Put,
        "/api/v1/entries/{entry_id}",
        AgentOrOwner(|c, who, p| entries::replace(c, who, p[0])),
    )
    .writes(),
    Route::new(
        Delete,
        "/api/v1/entries/{entry_id}",
        OwnerOnly(|c, o, p| entries::delete(c, o, p[0])),
    )
    .writes(),
    Route::new(
        Get,
        "/api/v1/scopes",
        OwnerOnly(|c, o, _| scopes::list(c, o)),
    ),
    Route::new(
        Post,
        "/api/v1/scopes",
        OwnerOnly(|c, o, _| scopes::create(c, o)),
    )
    .writes(),
    Route::new(
        Put,
        "/api/v1/scopes/{scope_id}",
        OwnerOnly(|c, o, p| scopes::rename(c, o, p[0])),
    )
    .writes(),
    Route::new(
        Delete,
        "/api/v1/scopes/{scope_id}",
        OwnerOnly(|c, o, p| scopes::delete(c, o, p[0])),
    )
    .writes(),
    Route::new(
        Get,
        "/api/v1/agents",
        OwnerOnly(|c, o, _| agents::list(c, o)),
    ),
    Route::new(
        Post,
        "/api/v1/agents",
        OwnerOnly(|c, o, _| agents::create(c, o)),
    )
    .writes(),
    Route::new(
        Get,
        "/api/v1/agents/{agent_id}",
        OwnerOnly(|c, o, p| agents::show(c, o, p[0])),
    ),
    Route::new(
        Put,
        "/api/v1/agents/{agent_id}",
        OwnerOnly(|c, o, p| agents::update(c, o, p[0])),
    )
    .writes(),
    Route::new(
        Delete,
        "/api/v1/agents/{agent_id}",
        OwnerOnly(|c, o, p| agents::delete(c, o, p[0])),
    )
    .writes(),
    Route::new(
        Post,
        "/api/v1/agents/{agent_id}/rotate",
        OwnerOnly(|c, o, p| agents::rotate(c, o, p[0])),
    )
    .writes(),
    Route::new(
        Post,
        "/api/v1/agents/{agent_id}/unlock",
        OwnerOnly(|c, o, p| agents::unlock(c, o, p[0])),
    )
    .writes(),
    Route::new(Get, "/api/v1/audit", OwnerOnly(|c, o, _| audit::list(c, o))),
    Route::new(
        Get,
        "/api/v1/audit/verify",
        OwnerOnly(|c, o, _| audit::verify(c, o)),
    ),
    // Stores nothing, but its only use is an upload the backup refuses: refused there too.
    Route::new(
        Post,
        "/api/v1/import/parse",
        OwnerOnly(|c, o, _| import::parse(c, o)),
    )
    .import()
    .writes(),
];

fn asset(_: &mut Ctx<'_>, p: &Params<'_>) -> Result<Reply> {
    crate::web::asset(p).ok_or_else(no_such_route)
}

/// 404 CV-3003.
pub fn no_such_route() -> ApiError {
    ApiError::new(Code::NoSuchRoute, "no such route")
}

/// One segment of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Lit(&'static str),
    Param,
    Tail,
}

/// The routes of one pattern.
struct PathRoutes {
    /// The pattern as documented (`{name...}` written `{name}`): the metrics label.
    label: String,
    segs: Vec<Seg>,
    literals: usize,
    /// `Allow` of a 405: the methods of the rows, in table order.
    allow: String,
    routes: Vec<Route>,
}

impl PathRoutes {
    fn matches<S: AsRef<str>>(&self, path: &[S]) -> bool {
        let mut i = 0;
        for seg in &self.segs {
            match seg {
                Seg::Tail => return path.len() > i,
                Seg::Param if i < path.len() => {}
                Seg::Lit(l) if i < path.len() && path[i].as_ref() == *l => {}
                _ => return false,
            }
            i += 1;
        }
        i == path.len()
    }
}

/// The table as the router uses it: rows grouped by pattern.
pub struct Table {
    paths: Vec<PathRoutes>,
}

/// What a request resolves to.
pub enum Resolved<'t, 'r> {
    Found(&'t Route, Vec<&'r str>),
    /// The path exists, the method does not: `Allow`.
    WrongMethod(&'t str),
    NotFound,
}

fn split(pattern: &'static str) -> Vec<Seg> {
    pattern
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with('{') && s.ends_with("...}") {
                Seg::Tail
            } else if s.starts_with('{') {
                Seg::Param
            } else {
                Seg::Lit(s)
            }
        })
        .collect()
}

impl Table {
    /// Groups `api` and the edition's routes by pattern.
    pub fn build(api: &[Route], edition: &[EditionRoute]) -> Table {
        let edition_rows = edition.iter().enumerate().map(|(n, r)| Route {
            method: r.method,
            pattern: r.pattern,
            access: Access::InterPop(n),
            body: Body::Import,
            writes: false,
        });
        let mut paths: Vec<PathRoutes> = Vec::new();
        for route in api.iter().copied().chain(edition_rows) {
            let at = match paths
                .iter()
                .position(|p| p.routes[0].pattern == route.pattern)
            {
                Some(at) => at,
                None => {
                    let segs = split(route.pattern);
                    paths.push(PathRoutes {
                        label: route.documented_pattern(),
                        literals: segs.iter().filter(|s| matches!(s, Seg::Lit(_))).count(),
                        segs,
                        allow: String::new(),
                        routes: Vec::new(),
                    });
                    paths.len() - 1
                }
            };
            let p = &mut paths[at];
            if !p.allow.is_empty() {
                p.allow.push_str(", ");
            }
            p.allow.push_str(method_name(route.method));
            p.routes.push(route);
        }
        Table { paths }
    }

    /// The pattern a path belongs to, by index: the most literal match.
    pub fn slot<S: AsRef<str>>(&self, path: &[S]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, p) in self.paths.iter().enumerate() {
            if p.matches(path) && best.is_none_or(|b| self.paths[b].literals < p.literals) {
                best = Some(i);
            }
        }
        best
    }

    /// The route for a request line, with its path parameters.
    pub fn resolve<'t, 'r>(&'t self, method: Method, path: &'r [String]) -> Resolved<'t, 'r> {
        let Some(slot) = self.slot(path) else {
            return Resolved::NotFound;
        };
        let p = &self.paths[slot];
        let Some(route) = p.routes.iter().find(|r| r.method == method) else {
            return Resolved::WrongMethod(&p.allow);
        };
        let mut params = Vec::new();
        for (i, seg) in p.segs.iter().enumerate() {
            match seg {
                Seg::Lit(_) => {}
                Seg::Param => params.push(path[i].as_str()),
                Seg::Tail => params.extend(path[i..].iter().map(String::as_str)),
            }
        }
        Resolved::Found(route, params)
    }

    /// The row a request line resolves to, if any.
    pub fn route(&self, method: Method, path: &[String]) -> Option<&Route> {
        match self.resolve(method, path) {
            Resolved::Found(r, _) => Some(r),
            _ => None,
        }
    }

    /// The metrics labels, by [`Table::slot`].
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(|p| p.label.as_str())
    }

    /// Every (method, pattern) served, patterns as documented (`{name}`).
    pub fn served(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.paths.iter().flat_map(|p| {
            p.routes
                .iter()
                .map(move |r| (method_name(r.method), p.label.as_str()))
        })
    }

    /// Every row.
    pub fn rows(&self) -> impl Iterator<Item = &Route> {
        self.paths.iter().flat_map(|p| p.routes.iter())
    }
}

/// The table of this build: [`ROUTES`] and the edition's routes.
pub fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Table::build(ROUTES, crate::edition::current().routes()))
}

pub fn method_name(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Other => "OTHER",
    }
}

/// `::ffff:127.0.0.1` is how an IPv4 loopback client appears on a `[::]` listener.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Checks the row's access, then runs its handler with what was established.
pub fn call(ctx: &mut Ctx<'_>, route: &Route, params: &Params<'_>) -> Result<Reply> {
    match route.access {
        Access::Anyone(handler) => handler(ctx, params),
        Access::LoopbackOrOwner(handler) => {
            if !is_loopback(ctx.req.peer) {
                auth::require_owner(ctx)?;
            }
            handler(ctx, params)
        }
        Access::Owner(handler) => {
            let owner = auth::require_owner(ctx)?;
            handler(ctx, owner, params)
        }
        Access::AgentOrOwner(handler) => {
            let principal = auth::authenticate(ctx)?;
            handler(ctx, principal, params)
        }
        Access::InterPop(n) => ctx
            .app
            .edition
            .serve(n, ctx.req, ctx.store)
            .map_err(ApiError::from),
    }
}

/// A body larger than tiny_http reads ahead waits for a worker only once
/// the caller is known: the owner for import routes; inter-POP routes are
/// authenticated by the edition over the body itself. `Some`: refuse.
pub fn admit_unread_body(ctx: &mut Ctx<'_>) -> Option<ApiError> {
    let route = table().route(ctx.req.method, &ctx.req.segments);
    match route.map(|r| r.access) {
        Some(Access::InterPop(_)) => None,
        _ => auth::require_owner(ctx).err(),
    }
}

/// `Allow` of every pattern, e.g. for tests.
#[cfg(test)]
fn allow_of(t: &Table, path: &str) -> Option<String> {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    match t.resolve(Method::Other, &segs) {
        Resolved::WrongMethod(a) => Some(a.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(path: &str) -> Vec<String> {
        crate::http::split_url(path).unwrap().0
    }

    #[test]
    fn literals_win_over_parameters_and_tails_take_the_rest() {
        let t = Table::build(ROUTES, &[]);
        let batch = t
            .route(Method::Post, &segs("/api/v1/entries/batch"))
            .unwrap();
        assert_eq!(batch.pattern, "/api/v1/entries/batch");
        assert!(t
            .route(Method::Get, &segs("/api/v1/entries/batch"))
            .is_none());
        let nested = segs("/assets/v1/js/pages/unlock.js");
        let Resolved::Found(r, p) = t.resolve(Method::Get, &nested) else {
            panic!("nested asset not routed")
        };
        assert_eq!(r.pattern, "/assets/{version}/{dir}/{name...}");
        assert_eq!(p, ["v1", "js", "pages", "unlock.js"]);
        assert!(t.slot(&segs("/assets/v1")).is_none());
        let open = segs("/api/v1/vaults/0123/unlock/passphrase/open");
        let Resolved::Found(_, p) = t.resolve(Method::Post, &open) else {
            panic!()
        };
        assert_eq!(p, ["0123", "passphrase"]);
    }

    #[test]
    fn allow_lists_the_table_methods_in_table_order() {
        let t = Table::build(ROUTES, &[]);
        assert_eq!(allow_of(&t, "/healthz").unwrap(), "GET, HEAD");
        assert_eq!(
            allow_of(&t, "/api/v1/entries/x").unwrap(),
            "GET, PUT, DELETE"
        );
        assert_eq!(
            allow_of(&t, "/api/v1/vaults/x/unlock/y").unwrap(),
            "GET, POST, DELETE"
        );
        assert_eq!(allow_of(&t, "/api/v1/scopes/0001").unwrap(), "PUT, DELETE");
        assert_eq!(allow_of(&t, "/assets/v/js/app.js").unwrap(), "GET, HEAD");
        assert!(allow_of(&t, "/api/v1/nope").is_none());
    }

    #[test]
    fn every_pattern_is_served_once_per_method_and_fits_the_metrics() {
        let t = table();
        let mut seen = std::collections::BTreeSet::new();
        for (m, p) in t.served() {
            assert!(seen.insert((m, p.to_string())), "{m} {p} twice");
        }
        assert!(t.labels().count() < crate::metrics::ROUTE_SLOTS);
    }

    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Handler runs of the test routes below (each would answer 200).
    static RAN: AtomicUsize = AtomicUsize::new(0);

    fn ran(_: &mut Ctx<'_>) -> Result<Reply> {
        RAN.fetch_add(1, Ordering::SeqCst);
        Ok(Reply::json(200, &serde_json::json!({"ran": true})))
    }

    /// The router, not the handler, checks access: handlers that would
    /// answer 200 to anyone are never reached without what their row requires.
    #[test]
    fn the_router_refuses_before_a_handler_runs() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        let app = super::super::App::new(
            config,
            crate::crypto::Keyring::generate(),
            crate::crypto::Key32::from_bytes([7; 32]),
            None,
            crate::edition::current(),
        );
        let mut store = crate::vault::Store::open(&app.config().db_path()).unwrap();
        let guarded = [
            Route::new(Method::Post, "/t", OwnerOnly(|c, _, _| ran(c))),
            Route::new(Method::Post, "/t", AgentOrOwner(|c, _, _| ran(c))),
            Route::new(Method::Get, "/t", LoopbackOrOwner(|c, _| ran(c))),
        ];
        let bearer = "Bearer cvt0.not-a-token".to_string();
        for headers in [vec![], vec![("authorization".to_string(), bearer)]] {
            let req = crate::http::Req {
                method: Method::Post,
                segments: vec!["t".into()],
                query: Vec::new(),
                headers,
                body: b"{not json".to_vec(),
                peer: IpAddr::from([192, 0, 2, 1]),
            };
            for route in &guarded {
                let mut ctx = Ctx::new(&app, &mut store, &req);
                let Err(err) = call(&mut ctx, route, &[]) else {
                    panic!("{} answered without authentication", route.pattern)
                };
                assert_eq!(err.status(), 401, "{}", route.pattern);
                assert!(
                    matches!(err.code, Code::NoToken | Code::InvalidToken),
                    "{:?}",
                    err.code
                );
            }
        }
        assert_eq!(
            RAN.load(Ordering::SeqCst),
            0,
            "a handler ran unauthenticated"
        );
        // The same handler behind `Anyone` does run: the refusal came from the row.
        let req = crate::http::Req {
            method: Method::Get,
            segments: vec!["t".into()],
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            peer: IpAddr::from([127, 0, 0, 1]),
        };
        for route in [
            Route::new(Method::Get, "/t", Anyone(|c, _| ran(c))),
            Route::new(Method::Get, "/t", LoopbackOrOwner(|c, _| ran(c))),
        ] {
            let mut ctx = Ctx::new(&app, &mut store, &req);
            assert_eq!(call(&mut ctx, &route, &[]).unwrap().status, 200);
        }
        assert_eq!(RAN.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn bodies_above_the_preread_limit_go_only_to_authenticated_routes() {
        for r in table().rows() {
            if r.body == Body::Import {
                assert!(
                    matches!(r.access, Access::Owner(_) | Access::InterPop(_)),
                    "{} {}",
                    method_name(r.method),
                    r.pattern
                );
            }
        }
    }
}
