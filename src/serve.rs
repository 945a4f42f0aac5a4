//! `clavitor serve`: start-up, signals (SIGHUP reload, SIGTERM/SIGINT
//! graceful stop) and shutdown.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::api::{App, SetupToken};
use crate::config::{Config, Registration};
use crate::crypto::token::Keyring;
use crate::crypto::{b64, random_bytes, sha256, unb64, Key32};
use crate::edition::{self, Edition, Overrides, Services};
use crate::vault::Store;
use crate::{http, logging};

/// How long in-flight requests get to finish after SIGTERM.
const STOP_GRACE: Duration = Duration::from_millis(1500);
/// How long after SIGTERM background work (tarpit, replication) may take;
/// what still runs then is abandoned (replication rows stay dirty).
const EDITION_GRACE: Duration = Duration::from_millis(1500);

/// Runs the server until SIGTERM/SIGINT. Errors are start-up failures, worded for the operator.
pub fn run(config_path: Option<&Path>, overrides: &Overrides) -> Result<(), String> {
    let (config, path) = Config::load(config_path).map_err(|e| e.to_string())?;
    logging::init(config.log.level);
    let edition = edition::current();
    let staged = edition.stage(&config, overrides)?;
    if config.tls.is_some() {
        return Err(
            "tls: in-process TLS is not available in this build; terminate TLS at a reverse proxy \
                    and listen on loopback (see docs/OPERATIONS.md)"
                .into(),
        );
    }
    match &path {
        Some(p) => log::info!("configuration: {}", p.display()),
        None => log::info!("no configuration file; using built-in defaults"),
    }

    // Everything the server creates (database, WAL, keyring, setup token) is for its user alone.
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe { libc::umask(0o077) };
    raise_fd_limit();
    ensure_private_dir(&config.data_dir)?;
    let keyring = Keyring::load_or_create(&config.token_key_path()).map_err(|e| e.to_string())?;
    let mut store = Store::open(&config.db_path())
        .map_err(|e| format!("{}: {e}", config.db_path().display()))?;
    let resealed = crate::records::unlock::reseal_at_rest(&mut store, &keyring)
        .map_err(|e| format!("{}: {e}", config.db_path().display()))?;
    if resealed > 0 {
        log::info!(
            "{resealed} unlock methods sealed at rest with token keyring key {}",
            keyring.current_id()
        );
    }
    let decoy_key = server_secret(&store)?;
    let setup = setup_token(&config, &store)?;

    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let signals = Signals::new([SIGHUP, SIGTERM, SIGINT])
        .map_err(|e| format!("installing signal handlers: {e}"))?;
    let workers = config.worker_count();
    let max_connections = config.limits.max_connections;
    let services = Services {
        db_path: config.db_path(),
    };
    edition.commit(staged);
    let app = Arc::new(App::new(config, keyring, decoy_key, setup, edition));
    edition.use_keyring(app.keyring());
    crate::metrics::METRICS.set_started(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    );
    app.start_committer()?;
    let running = http::start(listener, workers, max_connections, app.clone())?;
    edition.start(&services)?;
    log::info!(
        "clavitor {} ({}) listening on http://{} with {workers} workers",
        env!("CARGO_PKG_VERSION"),
        edition.name(),
        running.local_addr
    );

    let mut signals = signals;
    for signal in signals.forever() {
        match signal {
            SIGHUP => reload(&app, &mut store, path.as_deref(), edition, overrides),
            _ => break,
        }
    }
    log::info!("stopping: finishing in-flight requests");
    app.begin_stop();
    edition.begin_stop();
    let stop_started = std::time::Instant::now();
    if !running.stop(STOP_GRACE) {
        log::warn!(
            "some requests did not finish within {} ms",
            STOP_GRACE.as_millis()
        );
    }
    // The workers are done: commit (and answer) what they handed over.
    app.stop_committer();
    edition.finish_stop(EDITION_GRACE.saturating_sub(stop_started.elapsed()));
    store
        .close()
        .map_err(|e| format!("closing the database: {e}"))?;
    log::info!("stopped");
    Ok(())
}

/// tiny_http holds two descriptors per connection and its accept loop ends
/// for good on any accept error other than ECONNABORTED, so running out of
/// descriptors (EMFILE) under a connection flood would leave the server
/// deaf. Raise the soft limit to the hard limit, as most servers do.
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to an rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            let wanted = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
                log::debug!(
                    "open-file limit raised from {} to {}",
                    lim.rlim_cur,
                    lim.rlim_max
                );
            }
        }
    }
}

/// SIGHUP: re-read the configuration, the edition's files (replication.yaml)
/// and the keyring; swap only if all are valid.
fn reload(
    app: &App,
    store: &mut Store,
    path: Option<&Path>,
    edition: &dyn Edition,
    overrides: &Overrides,
) {
    let old = app.config();
    let fresh = Config::load(path)
        .map_err(|e| e.to_string())
        .and_then(|(c, _)| {
            let staged = edition.stage(&c, overrides)?;
            let ring = Keyring::load(&c.token_key_path()).map_err(|e| e.to_string())?;
            // Unlock material at rest must open with the new keyring; this
            // seals it under the new current key (and refuses a keyring
            // that dropped a key still in use).
            crate::records::unlock::reseal_at_rest(store, &ring)?;
            Ok((c, ring, staged))
        });
    match fresh {
        Ok((config, keyring, staged)) => {
            for key in old.needs_restart(&config) {
                log::warn!("reload: `{key}` changed; it needs a restart to take effect");
            }
            logging::set_level(config.log.level);
            app.swap(config, keyring);
            edition.use_keyring(app.keyring());
            edition.commit(staged);
            log::info!("configuration reloaded");
        }
        Err(e) => {
            log::error!("reload failed, keeping the current configuration: {e}");
            edition.operator_alert(
                "config",
                &format!("reload failed, current configuration kept: {e}"),
            );
        }
    }
}

fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("data_dir {}: cannot create: {e}", dir.display()))?;
    }
    let meta = fs::metadata(dir).map_err(|e| format!("data_dir {}: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!("data_dir {}: not a directory", dir.display()));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        log::warn!(
            "data_dir {} is readable by other users; chmod 700 it",
            dir.display()
        );
    }
    Ok(())
}

/// The server secret for decoys, made once and kept in the database.
fn server_secret(store: &Store) -> Result<Key32, String> {
    let stored = store
        .meta_init("decoy_key", &b64(&random_bytes::<32>()))
        .map_err(|e| e.to_string())?;
    let bytes = unb64(&stored).map_err(|_| "database meta `decoy_key` is corrupt".to_string())?;
    Key32::from_slice(&bytes).map_err(|_| "database meta `decoy_key` is corrupt".to_string())
}

/// With closed registration and no vault yet, writes a fresh one-time setup
/// token to `data_dir/setup-token` (0600) and logs where it is, never its value.
fn setup_token(config: &Config, store: &Store) -> Result<Option<SetupToken>, String> {
    let file: PathBuf = config.data_dir.join("setup-token");
    let vaults = store.db().vault_count().map_err(|e| e.to_string())?;
    if config.registration != Registration::Closed || vaults > 0 {
        let _ = fs::remove_file(&file);
        return Ok(None);
    }
    let token = b64(&random_bytes::<32>());
    let _ = fs::remove_file(&file);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .map_err(|e| format!("{}: cannot write the setup token: {e}", file.display()))?;
    writeln!(f, "{token}").map_err(|e| format!("{}: {e}", file.display()))?;
    log::info!(
        "no vault yet and registration is closed: create the first vault with `clavitor init --setup-token-file {}`",
        file.display()
    );
    Ok(Some(SetupToken {
        digest: sha256(token.as_bytes()),
        file,
    }))
}
