//! The TLS side of inter-POP requests (client side only).
//!
//! A primary can present a client certificate (`auth.mtls_cert` and
//! `auth.mtls_key`) and trust only a private CA (`auth.ca_cert`). tiny_http
//! cannot ask for or verify client certificates, so the backup's side of
//! mTLS is a TLS-terminating reverse proxy that requires them (see
//! docs/REPLICATION.md); the HMAC signature is checked by clavitor itself.

use std::path::Path;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Time to establish a connection to the backup.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time for a whole apply request, including the backup's commit.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Pooled connections older than this are not reused: the backup's idle
/// reaper closes silent connections after `limits.idle_timeout_s` (30 s by default).
const MAX_IDLE_AGE: Duration = Duration::from_secs(10);

/// Client certificate and trust anchors, loaded and checked.
pub struct ClientTls {
    client: Option<ClientCert>,
    roots: Option<Vec<Certificate<'static>>>,
}

impl ClientTls {
    /// Loads the PEM files; `cert` and `key` come together or not at all.
    pub fn load(
        cert: Option<&Path>,
        key: Option<&Path>,
        ca: Option<&Path>,
    ) -> Result<ClientTls, String> {
        let (client, rustls_key) = match (cert, key) {
            (Some(c), Some(k)) => {
                let (key, rustls_key) = private_key(k)?;
                (
                    Some(ClientCert::new_with_certs(
                        &certs(c, "auth.mtls_cert")?,
                        key,
                    )),
                    Some(rustls_key),
                )
            }
            (None, None) => (None, None),
            _ => {
                return Err("auth: mtls_cert and mtls_key go together; set both or neither".into())
            }
        };
        let roots = match ca {
            Some(path) => Some(certs(path, "auth.ca_cert")?),
            None => None,
        };
        let tls = ClientTls { client, roots };
        tls.check(rustls_key)?;
        Ok(tls)
    }

    /// Builds the rustls configuration ureq will build on first use, so a
    /// certificate or key rustls refuses (e.g. an X.509 v1 certificate, a
    /// key that does not match) is a load error, not a panic in ureq later.
    fn check(&self, key: Option<PrivateKeyDer<'static>>) -> Result<(), String> {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut store = rustls::RootCertStore::empty();
        for c in self.roots.iter().flatten() {
            store
                .add(CertificateDer::from(c.der().to_vec()))
                .map_err(|e| format!("auth.ca_cert: not a usable CA certificate: {e}"))?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(store);
        if let (Some(client), Some(key)) = (&self.client, key) {
            let chain = client
                .certs()
                .iter()
                .map(|c| CertificateDer::from(c.der().to_vec()))
                .collect();
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                format!("auth.mtls_cert/mtls_key: the certificate or key is not usable for TLS client authentication: {e}")
            })?;
        }
        Ok(())
    }

    /// An HTTP client for apply requests with these TLS settings.
    pub fn agent(&self) -> ureq::Agent {
        let mut tls = TlsConfig::builder().client_cert(self.client.clone());
        if let Some(roots) = &self.roots {
            tls = tls.root_certs(RootCerts::new_with_certs(roots));
        }
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .max_redirects(0)
            .max_idle_age(MAX_IDLE_AGE)
            .user_agent(concat!("clavitor-replication/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .new_agent()
    }
}

fn certs(path: &Path, key: &str) -> Result<Vec<Certificate<'static>>, String> {
    let pem =
        std::fs::read(path).map_err(|e| format!("{key} {}: cannot read: {e}", path.display()))?;
    let mut out = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => out.push(c),
            Ok(_) => {}
            Err(e) => return Err(format!("{key} {}: not valid PEM: {e}", path.display())),
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{key} {}: no CERTIFICATE block found",
            path.display()
        ));
    }
    Ok(out)
}

/// The key for ureq, and the same key for the rustls check.
fn private_key(path: &Path) -> Result<(PrivateKey<'static>, PrivateKeyDer<'static>), String> {
    use std::os::unix::fs::PermissionsExt;
    let key = "auth.mtls_key";
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("{key} {}: cannot read: {e}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{key} {}: mode {mode:03o} lets other users read the private key; run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    let pem = zeroize::Zeroizing::new(
        std::fs::read(path).map_err(|e| format!("{key} {}: cannot read: {e}", path.display()))?,
    );
    let none = || {
        format!(
            "{key} {}: no PEM private key found (PKCS#8, PKCS#1 or SEC1 expected)",
            path.display()
        )
    };
    let for_ureq = PrivateKey::from_pem(&pem).map_err(|_| none())?;
    let for_rustls = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| none())?;
    Ok((for_ureq, for_rustls))
}
