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
pub mod routes;
mod scopes;
mod session;
mod throttle;
mod unlock;
mod vaults;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::config::Config;
use crate::crypto::token::Keyring;
use crate::crypto::Key32;
use crate::edition::Edition;
pub use crate::http::rfc3339;
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
        match routes::table().route(method, segments).map(|r| r.body) {
            Some(routes::Body::Import) => limits.max_import_body,
            _ => limits.max_body,
        }
    }

    fn handle(&self, req: &Req, store: &mut Store) -> Answer {
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

    /// Bodies above 1 MiB go only to the routes the table marks
    /// [`routes::Body::Import`]: the owner's imports (token checked before a
    /// worker waits for the body, so an anonymous client cannot hold workers
    /// with large uploads it never sends) and the edition's inter-POP
    /// routes (authenticated by their own signature over the body).
    fn admit_unread_body(&self, req: &Req, store: &mut Store) -> Option<Reply> {
        let mut ctx = Ctx::new(self, store, req);
        routes::admit_unread_body(&mut ctx).map(|e| e.reply())
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

/// Matches the request in the route table; a read-only backup refuses
/// writes before anything else; the row's access check runs before its handler.
fn route(ctx: &mut Ctx<'_>) -> Result<Reply> {
    let table = routes::table();
    match table.resolve(ctx.req.method, &ctx.req.segments) {
        routes::Resolved::NotFound => Err(routes::no_such_route()),
        routes::Resolved::WrongMethod(allow) => Err(method_not_allowed(allow)),
        routes::Resolved::Found(route, params) => {
            if route.writes {
                if let Some(refusal) = ctx.app.edition.refuse_write() {
                    return Err(refusal.into());
                }
            }
            routes::call(ctx, route, &params)
        }
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
