//! Mutual TLS between POPs, as deployed: the primary presents a client
//! certificate (ureq + rustls), and a TLS-terminating proxy in front of the
//! backup requires it (tiny_http cannot) and forwards to the backup on
//! loopback. Certificates are made with the `openssl` command.
use crate::common;
use crate::pops;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use pops::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA.
fn make_certs(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=clavitor test CA",
    ]);
    openssl(dir, &ca);
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    // client-v1: an X.509 v1 certificate (no extensions), which rustls refuses.
    for (name, cn, ext) in [
        ("server", "/CN=zurich-01", Some("server.ext")),
        ("client", "/CN=calgary-01", Some("client.ext")),
        ("client-v1", "/CN=calgary-01", None),
    ] {
        let mut req = vec!["req"];
        req.extend(ec);
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        req.extend(["-keyout", &key, "-out", &csr, "-subj", cn]);
        openssl(dir, &req);
        let mut sign = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
        ];
        if let Some(ext) = ext {
            sign.extend(["-extfile", ext]);
        }
        openssl(dir, &sign);
        std::fs::set_permissions(dir.join(&key), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

/// Terminates TLS (client certificate required, signed by ca.pem) and
/// forwards each HTTP request to `backend`, one request at a time.
fn start_proxy(dir: &Path, backend: u16) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let certs: Vec<_> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .map(|c| c.unwrap())
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(20))).ok();
                let conn = rustls::ServerConnection::new(config).unwrap();
                let tls = rustls::StreamOwned::new(conn, tcp);
                let _ = relay(tls, backend);
            });
        }
    });
    port
}

fn relay(
    tls: rustls::StreamOwned<rustls::ServerConnection, TcpStream>,
    backend: u16,
) -> std::io::Result<()> {
    let mut tls = BufReader::new(tls);
    loop {
        // One request: head, then Content-Length bytes.
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if tls.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let end = line == "\r\n";
            if !line.to_ascii_lowercase().starts_with("connection:") {
                head.push_str(&line);
            }
            if end {
                break;
            }
        }
        let len = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
            })
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        tls.read_exact(&mut body)?;
        let head = head.replacen("\r\n", "\r\nConnection: close\r\n", 1);
        let mut up = TcpStream::connect(("127.0.0.1", backend))?;
        up.write_all(head.as_bytes())?;
        up.write_all(&body)?;
        let mut answer = Vec::new();
        up.read_to_end(&mut answer)?;
        // Keep the TLS side alive: drop the backend's `Connection: close`.
        let text = String::from_utf8_lossy(&answer).replace("Connection: close\r\n", "");
        tls.get_mut().write_all(text.as_bytes())?;
        tls.get_mut().flush()?;
    }
}

#[test]
fn primary_replicates_through_an_mtls_proxy_and_fails_without_its_certificate() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("*** SKIPPED: no openssl command to make test certificates ***");
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let c = certs.path();
    make_certs(c);
    let keys = Keys::new();
    let backup = Pop::start(
        PopSpec::new("zurich-01", "backup", Some(("calgary-01", free_port()))),
        &keys,
        "",
    );
    let proxy = start_proxy(c, backup.spec.port);

    let yaml = |client: Option<&str>| {
        let cert = match client {
            Some(name) => format!(
                "mtls_cert: {}, mtls_key: {}, ",
                c.join(format!("{name}.pem")).display(),
                c.join(format!("{name}.key")).display()
            ),
            None => String::new(),
        };
        format!(
            "pop_id: calgary-01\nrole: primary\nbackup_pop: {{id: zurich-01, url: \"https://127.0.0.1:{proxy}\"}}\n\
             auth: {{token_file: {}, {cert}ca_cert: {}}}\nreplication: {{max_retries: 1}}\n",
            keys.replication_key.display(),
            c.join("ca.pem").display()
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("replication.yaml");
    std::fs::write(&file, yaml(Some("client"))).unwrap();
    let config = format!(
        "replication_config: {}\ntoken_key_file: {}\ntelemetry: {{enabled: false}}\n",
        file.display(),
        keys.keyring.display()
    );
    let primary = TestServer::start_with(&config);
    let vault = TestVault::create(&primary);
    let id = put_entry(&vault, &primary, "over mTLS");
    assert!(
        wait_until(Duration::from_secs(20), || readable(
            &vault,
            &backup.server,
            &id
        )),
        "nothing arrived through the mTLS proxy:\n{}",
        primary.log()
    );

    // A certificate rustls cannot use is refused when the file is loaded, not at the first batch.
    std::fs::write(&file, yaml(Some("client-v1"))).unwrap();
    let from = primary.log().len();
    primary.signal(1);
    assert!(wait_until(Duration::from_secs(5), || primary.log()[from..]
        .contains("reload failed")));
    assert!(
        primary.log()[from..].contains("not usable for TLS client authentication"),
        "{}",
        primary.log()
    );
    let cfg = dir.path().join("check.yaml");
    std::fs::write(
        &cfg,
        format!("data_dir: {}\n{config}", dir.path().join("d").display()),
    )
    .unwrap();
    let out = Command::new(bin())
        .args(["check-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Without the client certificate the proxy refuses the handshake.
    std::fs::write(&file, yaml(None)).unwrap();
    let from = primary.log().len();
    primary.signal(1);
    assert!(wait_until(Duration::from_secs(5), || primary.log()[from..]
        .contains("configuration reloaded")));
    let second = put_entry(&vault, &primary, "refused");
    assert!(
        wait_until(Duration::from_secs(10), || primary.log()[from..]
            .contains("OPERATOR ALERT [replication]")),
        "{}",
        primary.log()
    );
    assert!(!readable(&vault, &backup.server, &second));
}
