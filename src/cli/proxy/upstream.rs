//! Where a request goes (`Target`) and the connection to it: plain TCP, or
//! TLS with normal certificate verification against Mozilla's roots
//! (`webpki-roots`, the set ureq uses for the rest of the CLI) plus the
//! certificates of `--upstream-ca FILE`.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use crate::cli::CliError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for an upstream byte (a slow API may think for a while).
const IO_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn parse(s: &str) -> Option<Scheme> {
        match s.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A destination: scheme, host (lower case, IPv6 without brackets) and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
}

impl Target {
    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`.
    pub fn parse(scheme: Scheme, authority: &str) -> Result<Target, String> {
        let bad = || {
            format!(
                "destination {:?}: expected HOST or HOST:PORT",
                authority.chars().take(100).collect::<String>()
            )
        };
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(bad)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(bad)?),
            };
            if h.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad());
            }
            (h, port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        let port = match port {
            None => scheme.default_port(),
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
        };
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'_'));
        if !host_ok {
            return Err(bad());
        }
        Ok(Target {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// `host[:port]` as a Host header names it (port only when not the default).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// A byte stream to or from a peer, plain or TLS.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// Opens upstream connections.
pub struct Connector {
    tls: Arc<rustls::ClientConfig>,
}

impl Connector {
    /// Trusts Mozilla's roots, plus every certificate in `extra_ca` (PEM).
    pub fn new(extra_ca: Option<&Path>) -> Result<Connector, CliError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = extra_ca {
            use rustls::pki_types::{pem::PemObject, CertificateDer};
            let fail = |e: &dyn std::fmt::Display| {
                CliError::Usage(format!("--upstream-ca {}: {e}", path.display()))
            };
            let mut added = 0;
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| fail(&e))? {
                roots
                    .add(cert.map_err(|e| fail(&e))?)
                    .map_err(|e| fail(&e))?;
                added += 1;
            }
            if added == 0 {
                return Err(fail(&"no PEM certificate in the file"));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| CliError::Failed(format!("TLS set-up: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Connector {
            tls: Arc::new(config),
        })
    }

    /// Connects to `t` (TCP, then TLS for https with the host verified).
    pub fn open(&self, t: &Target) -> io::Result<Box<dyn Stream>> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the name has no address");
        let mut tcp = None;
        for addr in (t.host.as_str(), t.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let tcp = tcp.ok_or(last)?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))?;
        let _ = tcp.set_nodelay(true);
        match t.scheme {
            Scheme::Http => Ok(Box::new(tcp)),
            Scheme::Https => {
                let name = ServerName::try_from(t.host.clone())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let conn = rustls::ClientConnection::new(self.tls.clone(), name)
                    .map_err(io::Error::other)?;
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                // Handshake now, so a certificate problem is reported as one.
                while tls.conn.is_handshaking() {
                    tls.conn.complete_io(&mut tls.sock)?;
                }
                Ok(Box::new(tls))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_parse() {
        let t = Target::parse(Scheme::Https, "API.Example.com").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("api.example.com", 443));
        let t = Target::parse(Scheme::Http, "127.0.0.1:8080").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.authority()),
            ("127.0.0.1", 8080, "127.0.0.1:8080".to_string())
        );
        let t = Target::parse(Scheme::Https, "[::1]:8443").unwrap();
        assert_eq!(
            (t.host.as_str(), t.authority()),
            ("::1", "[::1]:8443".to_string())
        );
        for bad in ["", "a b", "host:0", "host:x", "[zz]", "a/b", "x@y"] {
            assert!(Target::parse(Scheme::Https, bad).is_err(), "{bad}");
        }
    }
}
