//! The proxy's local certificate authority, and the per-host leaf
//! certificates it mints to terminate intercepted `CONNECT` tunnels.
//!
//! Files, in the CLI config directory (`profile::config_dir`):
//! * `proxy-ca.key`: the CA's PKCS#8 ECDSA P-256 key, 0600. A key file that
//!   others may read is refused: whoever holds it can impersonate any site
//!   to clients that trust the CA.
//! * `proxy-ca.pem`: the CA certificate clients are told to trust.
//!
//! Both are created on first use. The CA's subject name is derived from its
//! public key, so the signing identity is rebuilt from the key alone and no
//! X.509 parser is needed (rcgen's `x509-parser` feature stays off).
//! Leaf certificates live in memory only, one per host, re-minted daily.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

use super::super::profile;
use crate::cli::CliError;

pub const CA_CERT_FILE: &str = "proxy-ca.pem";
pub const CA_KEY_FILE: &str = "proxy-ca.key";

/// How long a minted leaf is reused before a fresh one is made.
const LEAF_REUSE: Duration = Duration::from_secs(24 * 3600);
/// Most hosts whose leaf is kept (the cache is cleared past this).
const LEAF_CACHE_MAX: usize = 1024;
const DAY: i64 = 24 * 3600;

/// The local CA: its signing identity and certificate, and the leaf cache.
pub struct LocalCa {
    issuer: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
    pub cert_path: PathBuf,
    leaves: Mutex<HashMap<String, (Instant, Arc<ServerConfig>)>>,
}

fn failed(path: &Path, what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("{}: {what}: {e}", path.display()))
}

fn unix_time(offset_days: i64) -> time::OffsetDateTime {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(now + offset_days * DAY)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The CA's parameters; the name comes from the key so it can be rebuilt.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let id = crate::crypto::hex(&crate::crypto::sha256(key.public_key_raw())[..6]);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("clavitor proxy CA {id}"));
    dn.push(DnType::OrganizationName, "clavitor (local)");
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = unix_time(-1);
    p.not_after = unix_time(10 * 365);
    p
}

impl LocalCa {
    /// Loads the CA from the config directory, creating it on first use.
    pub fn load_or_create() -> Result<LocalCa, CliError> {
        Self::load_or_create_in(&profile::ensure_dir()?)
    }

    /// [`LocalCa::load_or_create`] in `dir` (which exists, 0700).
    fn load_or_create_in(dir: &Path) -> Result<LocalCa, CliError> {
        let key_path = dir.join(CA_KEY_FILE);
        let cert_path = dir.join(CA_CERT_FILE);
        let key = match std::fs::read_to_string(&key_path) {
            Ok(pem) => {
                let mode = std::fs::metadata(&key_path)
                    .map_err(|e| failed(&key_path, "cannot read", e))?
                    .permissions()
                    .mode();
                if mode & 0o077 != 0 {
                    return Err(CliError::Failed(format!(
                        "{}: the proxy CA key is readable by other users (mode {:o}); \
                         run `chmod 600` on it, or delete it and {} to make a new CA",
                        key_path.display(),
                        mode & 0o777,
                        CA_CERT_FILE
                    )));
                }
                let key = KeyPair::from_pem(&pem)
                    .map_err(|e| failed(&key_path, "not a PKCS#8 PEM key", e))?;
                drop(zeroize::Zeroizing::new(pem));
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = KeyPair::generate()
                    .map_err(|e| CliError::Failed(format!("cannot generate the CA key: {e}")))?;
                let pem = zeroize::Zeroizing::new(key.serialize_pem());
                profile::write_private(&key_path, pem.as_bytes())?;
                // A certificate of an older key must not survive it.
                let _ = std::fs::remove_file(&cert_path);
                key
            }
            Err(e) => return Err(failed(&key_path, "cannot read", e)),
        };
        let params = ca_params(&key);
        let ca_der = match read_cert(&cert_path)? {
            Some(der) => der,
            None => {
                let cert = params
                    .self_signed(&key)
                    .map_err(|e| CliError::Failed(format!("cannot sign the CA: {e}")))?;
                std::fs::write(&cert_path, cert.pem())
                    .map_err(|e| failed(&cert_path, "cannot write", e))?;
                cert.der().clone()
            }
        };
        Ok(LocalCa {
            issuer: Issuer::new(params, key),
            ca_der,
            cert_path,
            leaves: Mutex::new(HashMap::new()),
        })
    }

    /// The TLS server configuration presenting a certificate for `host`
    /// (a DNS name or an IP address), minted on first use and cached.
    pub fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>, String> {
        let host = host.to_ascii_lowercase();
        {
            let cache = self.leaves.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((made, cfg)) = cache.get(&host) {
                if made.elapsed() < LEAF_REUSE {
                    return Ok(cfg.clone());
                }
            }
        }
        let cfg = Arc::new(self.mint(&host)?);
        let mut cache = self.leaves.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= LEAF_CACHE_MAX {
            cache.clear();
        }
        cache.insert(host, (Instant::now(), cfg.clone()));
        Ok(cfg)
    }

    fn mint(&self, host: &str) -> Result<ServerConfig, String> {
        let mut p = CertificateParams::new(vec![host.to_string()])
            .map_err(|e| format!("no certificate can name {host:?}: {e}"))?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, host);
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.use_authority_key_identifier_extension = true;
        p.not_before = unix_time(-1);
        p.not_after = unix_time(30);
        let key = KeyPair::generate().map_err(|e| format!("cannot generate a key: {e}"))?;
        let cert = p
            .signed_by(&key, &self.issuer)
            .map_err(|e| format!("cannot sign a certificate for {host:?}: {e}"))?;
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone(), self.ca_der.clone()], key_der)
            .map_err(|e| format!("rustls refused the minted certificate: {e}"))?;
        // The proxy speaks HTTP/1.1 only; say so, or clients may try h2.
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(cfg)
    }
}

/// The first certificate of a PEM file, `None` if the file does not exist.
fn read_cert(path: &Path) -> Result<Option<CertificateDer<'static>>, CliError> {
    use rustls::pki_types::pem::PemObject;
    match std::fs::read(path) {
        Ok(bytes) => CertificateDer::pem_slice_iter(&bytes)
            .next()
            .transpose()
            .map_err(|e| failed(path, "not a PEM certificate", e))?
            .map(Some)
            .ok_or_else(|| failed(path, "no certificate", "the file is empty")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(failed(path, "cannot read", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    /// A TLS handshake in memory: a client trusting only `ca` connects to
    /// `name` and is answered with `server`'s configuration.
    fn handshake(ca: &LocalCa, server: Arc<ServerConfig>, name: &str) -> Result<(), rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca.ca_der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client_cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from(name.to_string()).unwrap();
        let mut client = rustls::ClientConnection::new(Arc::new(client_cfg), name).unwrap();
        let mut server = rustls::ServerConnection::new(server).unwrap();
        for _ in 0..10 {
            let mut buf = Vec::new();
            client.write_tls(&mut buf).unwrap();
            server.read_tls(&mut &buf[..]).unwrap();
            server.process_new_packets()?;
            let mut buf = Vec::new();
            server.write_tls(&mut buf).unwrap();
            client.read_tls(&mut &buf[..]).unwrap();
            client.process_new_packets()?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("the handshake did not finish");
    }

    #[test]
    fn leaves_chain_to_the_ca_and_the_ca_survives_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let ca = LocalCa::load_or_create_in(dir.path()).unwrap();
        let cfg = ca.server_config("API.Example.com").unwrap();
        handshake(&ca, cfg.clone(), "api.example.com").unwrap();
        assert!(
            Arc::ptr_eq(&cfg, &ca.server_config("api.example.com").unwrap()),
            "cached"
        );
        handshake(&ca, ca.server_config("::1").unwrap(), "::1").unwrap();
        // A leaf names only its host.
        assert!(handshake(&ca, cfg, "other.example.com").is_err());
        // The key is 0600; a reload signs with the same identity.
        let mode = std::fs::metadata(dir.path().join(CA_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = LocalCa::load_or_create_in(dir.path()).unwrap();
        assert_eq!(again.ca_der, ca.ca_der);
        handshake(&ca, again.server_config("x.test").unwrap(), "x.test").unwrap();
    }
}
