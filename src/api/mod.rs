//! The API: routes requests to handlers. Data flows one way:
//! HTTP (`http`) → handler (here) → policy → store (`vault`).

mod agents;
mod audit;
mod auth;
mod entries;
pub mod error;
mod import;
mod metrics;
mod release;
mod scopes;
mod session;
mod throttle;
mod unlock;
mod vaults;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::config::Config;
use crate::crypto::token::Keyring;
use crate::crypto::Key32;
use crate::edition::Edition;
use crate::http::{self, Answer, Method, Reply, Req};
use crate::vault::{Audited, Committer, Store, StoreError, Tx};
pub use error::ApiError;
use error::Code;

/// Shared state of a running server. Workers hold it through an `Arc`.
pub struct App {
    config: RwLock<Arc<Config>>,
    keyring: RwLock<Arc<Keyring>>,
    throttle: throttle::Throttle,
    /// Server secret for the deterministic decoys answered for unknown
    /// handles, vault ids, methods and passkey credentials.
    decoy_key: Key32,
    /// SHA-256 of the one-time setup token while no vault exists and registration is closed.
    setup: Mutex<Option<SetupToken>>,
    stopping: AtomicBool,
    edition: &'static dyn Edition,
    /// Group commit of audited requests; started by `serve` after the
    /// workers' stores can open.
    committer: OnceLock<Arc<Committer>>,
}

/// The one-time token that allows creating the first vault.
pub struct SetupToken {
    pub digest: [u8; 32],
    pub file: PathBuf,
}

/// What a handler works with.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub store: &'a mut Store,
    pub req: &'a Req,
    pub config: Arc<Config>,
    /// A reply handed to the committer (see [`Ctx::release_after_audit`]).
    pending: Option<release::Pending>,
}

impl<'a> Ctx<'a> {
    /// A request's context, with the configuration in force now.
    fn new(app: &'a App, store: &'a mut Store, req: &'a Req) -> Ctx<'a> {
        Ctx {
            app,
            store,
            req,
            config: app.config(),
            pending: None,
        }
    }

    /// Releases `reply`-producing `work` through group commit: `work` runs
    /// on the committer inside a batch transaction (appending the request's
    /// audit rows, and deciding what goes out), and its reply is sent only
    /// once that batch is durable. The worker does not wait. Returns a
    /// placeholder the router discards.
    pub fn release_after_audit(
        &mut self,
        work: impl FnOnce(&Tx<'_>) -> Result<Audited<Reply>> + Send + 'static,
    ) -> Result<Reply> {
        self.pending = Some(release::Pending {
            sync: self.config.audit_sync,
            work: Box::new(work),
        });
        Ok(release::placeholder())
    }

    /// Runs `f` in the next group commit and waits until it is durable: for
    /// audited refusals and changes whose outcome the handler needs.
    pub fn audited<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<Audited<T>, StoreError> + Send + 'static,
    ) -> std::result::Result<T, StoreError> {
        let sync = self.config.audit_sync;
        match self.app.committer.get() {
            Some(c) => c.run(sync, f),
            // `serve` starts it before the first request; without it nothing audited can happen.
            None => Err(StoreError::RolledBack),
        }
    }
}

type Result<T> = std::result::Result<T, ApiError>;

impl App {
    pub fn new(
        config: Config,
        keyring: Keyring,
        decoy_key: Key32,
        setup: Option<SetupToken>,
        edition: &'static dyn Edition,
    ) -> App {
        App {
            config: RwLock::new(Arc::new(config)),
            keyring: RwLock::new(Arc::new(keyring)),
            throttle: throttle::Throttle::default(),
            decoy_key,
            setup: Mutex::new(setup),
            stopping: AtomicBool::new(false),
            edition,
            committer: OnceLock::new(),
        }
    }

    /// Starts group commit on a connection of its own; every audited request
    /// goes through it (before it is started they are refused, fail-closed).
    pub fn start_committer(&self) -> std::result::Result<(), String> {
        let store = http::Handler::local(self)?;
        let committer = Arc::new(Committer::start(store)?);
        if self.committer.set(committer).is_err() {
            return Err("the audit committer was started twice".into());
        }
        Ok(())
    }

    /// Commits what is queued and stops group commit (after the workers stopped).
    pub fn stop_committer(&self) {
        if let Some(c) = self.committer.get() {
            c.stop();
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The token keyring in force.
    pub fn keyring(&self) -> Arc<Keyring> {
        self.keyring
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Swaps in a validated configuration and keyring together (SIGHUP).
    pub fn swap(&self, config: Config, keyring: Keyring) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
        *self.keyring.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keyring);
    }

    /// Begins a graceful stop.
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

impl http::Handler for App {
    type Local = Store;

    fn local(&self) -> std::result::Result<Store, String> {
        let config = self.config();
        let mut store = Store::open(&config.db_path())
            .map_err(|e| format!("{}: {e}", config.db_path().display()))?;
        store
            .set_max_size(config.limits.max_db_size)
            .map_err(|e| format!("limits.max_db_size: {e}"))?;
        store.set_pop_id(&self.edition.pop_id());
        let edition = self.edition;
        store.set_commit_hook(Arc::new(move |audit| edition.committed(audit)));
        Ok(store)
    }

    fn body_limit(&self, method: Method, segments: &[String]) -> u64 {
        let limits = &self.config().limits;
        let import = method == Method::Post
            && matches!(segments, [a, v, x, ..] if a == "api" && v == "v1" && (x == "import" || x == "entries"))
            && segments
                .get(3)
                .is_some_and(|s| s == "batch" || s == "parse");
        // Replication batches carry up to `batch_size` rows of any size.
        let replication = matches!(segments, [a, v, r, x] if a == "api" && v == "v1" && r == "replication" && x == "apply");
        if import || replication {
            limits.max_import_body
        } else {
            limits.max_body
        }
    }

    fn handle(&self, req: &Req, store: &mut Store) -> Answer {
        if let Some(reply) = self.edition.intercept(req, store) {
            return Answer::Now(reply);
        }
        let mut ctx = Ctx::new(self, store, req);
        let routed = route(&mut ctx);
        match (routed, ctx.pending.take()) {
            (Err(e), _) => Answer::Now(e.reply()),
            (Ok(reply), None) => Answer::Now(reply),
            (Ok(_), Some(pending)) => match self.committer.get() {
                // `serve` starts it before the first request: fail closed.
                None => Answer::Now(auth::audit_unavailable().reply()),
                Some(committer) => {
                    let committer = committer.clone();
                    Answer::Later(Box::new(move |responder| {
                        committer.submit(pending.into_job(responder))
                    }))
                }
            },
        }
    }

    fn error(&self, failure: http::Failure) -> Reply {
        match failure {
            http::Failure::BadPath => ApiError::new(
                Code::MalformedPath,
                "the request path is not valid percent-encoded UTF-8",
            ),
            http::Failure::TooLarge { limit } => ApiError::new(
                Code::BodyTooLarge,
                format!("request body too large: the limit for this route is {limit} bytes"),
            ),
            http::Failure::Panicked => ApiError::new(Code::Internal, "internal error"),
        }
        .reply()
    }

    /// Bodies above 1 MiB go only to the owner's import routes (and to the
    /// commercial replication route, authenticated by its own signature
    /// over the body): the owner token is checked before a worker waits
    /// for such a body, so an anonymous client cannot hold workers with
    /// large uploads it never sends.
    fn admit_unread_body(&self, req: &Req, store: &mut Store) -> Option<Reply> {
        let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
        if matches!(segs.as_slice(), ["api", "v1", "replication", "apply"]) {
            return None;
        }
        let mut ctx = Ctx::new(self, store, req);
        auth::require_owner(&mut ctx).err().map(|e| e.reply())
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.config().limits.idle_timeout_s)
    }

    fn observe(&self, req: &Req, reply: &Reply, elapsed: Duration) {
        metrics::observe(req, reply.status, elapsed);
    }

    /// Unknown routes and bad methods: the edition may take the connection over (tarpit).
    fn take_over(&self, req: &Req, reply: &Reply) -> Option<http::Takeover> {
        if matches!(reply.status, 404 | 405) {
            self.edition.not_found(req)
        } else {
            None
        }
    }
}

/// Every route the router serves, as (method, path pattern) with OpenAPI-style
/// `{param}` segments. `docs/openapi.yaml` must describe exactly these, and
/// each one must reach a handler (tests/it/owner/openapi.rs checks both against the
/// real binary). Add a route here when you add it to [`route`].
pub fn routes() -> &'static [(&'static str, &'static str)] {
    &[
        ("GET", "/healthz"),
        ("HEAD", "/healthz"),
        ("GET", "/metrics"),
        ("HEAD", "/metrics"),
        ("GET", "/"),
        ("HEAD", "/"),
        // Embedded web UI files: `app.css`, `icon.svg`, `js/app.js`, ...
        ("GET", "/assets/{version}/{file}"),
        ("HEAD", "/assets/{version}/{file}"),
        ("GET", "/assets/{version}/{dir}/{name}"),
        ("HEAD", "/assets/{version}/{dir}/{name}"),
        ("POST", "/api/v1/vaults"),
        ("GET", "/api/v1/vaults/{vault_id}/unlock/{method_id}"),
        ("POST", "/api/v1/vaults/{vault_id}/unlock/{method_id}"),
        ("DELETE", "/api/v1/vaults/{vault_id}/unlock/{method_id}"),
        ("POST", "/api/v1/vaults/{vault_id}/unlock/{method_id}/open"),
        ("GET", "/api/v1/unlock"),
        ("GET", "/api/v1/unlock/passkey/{credential_id}"),
        ("POST", "/api/v1/session"),
        ("POST", "/api/v1/session/revoke-all"),
        ("GET", "/api/v1/entries"),
        ("POST", "/api/v1/entries"),
        ("POST", "/api/v1/entries/batch"),
        ("GET", "/api/v1/entries/lookup"),
        ("GET", "/api/v1/entries/{entry_id}"),
        ("PUT", "/api/v1/entries/{entry_id}"),
        ("DELETE", "/api/v1/entries/{entry_id}"),
        ("GET", "/api/v1/scopes"),
        ("POST", "/api/v1/scopes"),
        ("PUT", "/api/v1/scopes/{scope_id}"),
        ("DELETE", "/api/v1/scopes/{scope_id}"),
        ("GET", "/api/v1/agents"),
        ("POST", "/api/v1/agents"),
        ("GET", "/api/v1/agents/{agent_id}"),
        ("PUT", "/api/v1/agents/{agent_id}"),
        ("DELETE", "/api/v1/agents/{agent_id}"),
        ("POST", "/api/v1/agents/{agent_id}/rotate"),
        ("POST", "/api/v1/agents/{agent_id}/unlock"),
        ("GET", "/api/v1/audit"),
        ("GET", "/api/v1/audit/verify"),
        ("POST", "/api/v1/import/parse"),
    ]
}

fn route(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let req = ctx.req;
    let m = req.method;
    let path = req.path();
    use Method::*;
    match (m, path.as_slice()) {
        (Get | Head, ["healthz"]) => Ok(health(ctx)),
        (Get | Head, ["metrics"]) => metrics::scrape(ctx),
        (Get | Head, []) => Ok(crate::web::index()),
        (Get | Head, ["assets", rest @ ..]) => {
            crate::web::asset(rest).ok_or_else(|| ApiError::new(Code::NoSuchRoute, "no such route"))
        }
        (_, ["api", "v1", rest @ ..]) => api_route(ctx, m, rest),
        (_, ["healthz"] | ["metrics"] | [] | ["assets", ..]) => {
            Err(method_not_allowed("GET, HEAD"))
        }
        _ => Err(ApiError::new(Code::NoSuchRoute, "no such route")),
    }
}

fn api_route(ctx: &mut Ctx<'_>, m: Method, rest: &[&str]) -> Result<Reply> {
    use Method::*;
    match (m, rest) {
        (Post, ["vaults"]) => vaults::create(ctx),
        (Get, ["vaults", v, "unlock", id]) => unlock::get_unlock(ctx, v, id),
        (Post, ["vaults", v, "unlock", id, "open"]) => unlock::open(ctx, v, id),
        (Post, ["vaults", v, "unlock", id]) => vaults::put_unlock(ctx, v, id),
        (Delete, ["vaults", v, "unlock", id]) => vaults::delete_unlock(ctx, v, id),
        (Get, ["unlock"]) => unlock::by_handle(ctx),
        (Get, ["unlock", "passkey", cred]) => unlock::by_passkey(ctx, cred),
        (Post, ["session"]) => session::create(ctx),
        (Post, ["session", "revoke-all"]) => session::revoke_all(ctx),
        (Get, ["entries"]) => entries::list(ctx),
        (Post, ["entries"]) => entries::create(ctx),
        (Post, ["entries", "batch"]) => entries::batch(ctx),
        (Get, ["entries", "lookup"]) => entries::lookup(ctx),
        (_, ["entries", "batch"]) => Err(method_not_allowed("POST")),
        (_, ["entries", "lookup"]) => Err(method_not_allowed("GET")),
        (Get, ["entries", id]) => entries::get(ctx, id),
        (Put, ["entries", id]) => entries::replace(ctx, id),
        (Delete, ["entries", id]) => entries::delete(ctx, id),
        (Get, ["scopes"]) => scopes::list(ctx),
        (Post, ["scopes"]) => scopes::create(ctx),
        (Put, ["scopes", id]) => scopes::rename(ctx, id),
        (Delete, ["scopes", id]) => scopes::delete(ctx, id),
        (Get, ["agents"]) => agents::list(ctx),
        (Post, ["agents"]) => agents::create(ctx),
        (Get, ["agents", id]) => agents::show(ctx, id),
        (Put, ["agents", id]) => agents::update(ctx, id),
        (Delete, ["agents", id]) => agents::delete(ctx, id),
        (Post, ["agents", id, "rotate"]) => agents::rotate(ctx, id),
        (Post, ["agents", id, "unlock"]) => agents::unlock(ctx, id),
        (Get, ["audit"]) => audit::list(ctx),
        (Get, ["audit", "verify"]) => audit::verify(ctx),
        (Post, ["import", "parse"]) => import::parse(ctx),
        (_, ["vaults"] | ["session"] | ["session", "revoke-all"]) => {
            Err(method_not_allowed("POST"))
        }
        (_, ["vaults", _, "unlock", _]) => Err(method_not_allowed("GET, POST, DELETE")),
        (_, ["vaults", _, "unlock", _, "open"]) => Err(method_not_allowed("POST")),
        (_, ["unlock"] | ["unlock", "passkey", _]) => Err(method_not_allowed("GET")),
        (_, ["entries"]) => Err(method_not_allowed("GET, POST")),
        (_, ["entries", _]) => Err(method_not_allowed("GET, PUT, DELETE")),
        (_, ["scopes"] | ["agents"]) => Err(method_not_allowed("GET, POST")),
        (_, ["scopes", _]) => Err(method_not_allowed("PUT, DELETE")),
        (_, ["agents", _]) => Err(method_not_allowed("GET, PUT, DELETE")),
        (_, ["agents", _, "rotate" | "unlock"]) => Err(method_not_allowed("POST")),
        (_, ["audit"] | ["audit", "verify"]) => Err(method_not_allowed("GET")),
        (_, ["import", "parse"]) => Err(method_not_allowed("POST")),
        _ => Err(ApiError::new(Code::NoSuchRoute, "no such route")),
    }
}

fn method_not_allowed(allow: &'static str) -> ApiError {
    let mut e = ApiError::new(
        Code::MethodNotAllowed,
        format!("method not allowed; this route accepts {allow}"),
    );
    e.allow = Some(allow);
    e
}

fn health(ctx: &Ctx<'_>) -> Reply {
    Reply::json(
        200,
        &json!({
            "status": "ok",
            "edition": ctx.app.edition.name(),
            "role": ctx.app.edition.role(),
            "version": env!("CARGO_PKG_VERSION"),
        }),
    )
}

/// Parses a JSON body: UTF-8 first (so the error says so), then the type.
pub fn parse_body<T: DeserializeOwned>(req: &Req) -> Result<T> {
    if req.body.is_empty() {
        return Err(ApiError::new(
            Code::BodyNotJson,
            "request body is empty; expected a JSON object",
        ));
    }
    if let Err(e) = std::str::from_utf8(&req.body) {
        return Err(ApiError::new(
            Code::BodyNotUtf8,
            format!(
                "request body is not valid UTF-8 (at byte {})",
                e.valid_up_to()
            ),
        ));
    }
    serde_json::from_slice(&req.body).map_err(|e| error::json_error(&e))
}

/// RFC 3339 UTC with milliseconds, the wire format for timestamps. Clamped
/// to years 1970-9999: humantime cannot print later times (its `Display`
/// fails, which `to_string` turns into a panic), and a replicated row could
/// carry any number.
pub fn rfc3339(ms: i64) -> String {
    const LAST_MS: i64 = 253_402_300_799_999;
    let t = SystemTime::UNIX_EPOCH + Duration::from_millis(ms.clamp(0, LAST_MS) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn wire_times_are_clamped_to_what_rfc3339_can_print() {
        assert_eq!(rfc3339(1_600_000_000_000), "2020-09-13T12:26:40.000Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59.999Z");
    }
}
