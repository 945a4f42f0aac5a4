//! Harness for `clavitor proxy` tests: echo upstreams on loopback (plain
//! HTTP, and HTTPS with a test CA made here), a vault with an agent and an
//! entry through the real CLI, the proxy binary itself, and curl.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;

/// The secret stored in the vault; the tests look for it everywhere.
pub const KEY: &str = "sk_live_proxy_4f9a1c7e2b";
pub const TITLE: &str = "Upstream key";
/// The reference to KEY, as an agent writes it.
pub const REF: &str = "clavitor://Upstream%20key/key";

/// An echo server: answers every request with the request's headers in a
/// JSON body and its Authorization in `X-Echo-Authorization`; with
/// `/chunked` in the path the body comes in 5-byte chunks.
pub struct Upstream {
    pub port: u16,
    /// Every request head received, as text.
    pub seen: Arc<Mutex<Vec<String>>>,
}

fn handle(stream: &mut (impl Read + Write), seen: &Mutex<Vec<String>>) {
    let mut r = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    if r.read_exact(&mut body).is_err() {
        return;
    }
    seen.lock().unwrap().push(head.clone());
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let headers: serde_json::Map<String, Value> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), json!(v.trim())))
        .collect();
    let out = json!({"path": path, "headers": headers, "body": String::from_utf8_lossy(&body)})
        .to_string();
    let auth = header("authorization").unwrap_or_default();
    let w = r.get_mut();
    let mut resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Echo-Authorization: {auth}\r\nConnection: close\r\n"
    );
    if path.contains("chunked") {
        resp.push_str("Transfer-Encoding: chunked\r\n\r\n");
        for piece in out.as_bytes().chunks(5) {
            resp.push_str(&format!(
                "{:x}\r\n{}\r\n",
                piece.len(),
                String::from_utf8_lossy(piece)
            ));
        }
        resp.push_str("0\r\n\r\n");
    } else {
        resp.push_str(&format!("Content-Length: {}\r\n\r\n{out}", out.len()));
    }
    let _ = w.write_all(resp.as_bytes());
    let _ = w.flush();
}

/// A plain HTTP echo server on 127.0.0.1.
pub fn echo_http() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for mut tcp in listener.incoming().flatten() {
            let s = s.clone();
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(20))).ok();
                handle(&mut tcp, &s);
            });
        }
    });
    Upstream { port, seen }
}

/// An HTTPS echo server on 127.0.0.1 whose certificate is signed by a CA
/// made here; returns it and the CA's PEM file (for `--upstream-ca`).
pub fn echo_https(dir: &Path) -> (Upstream, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "upstream test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let ca_path = dir.join("upstream-ca.pem");
    std::fs::write(&ca_path, ca_cert.pem()).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
            )
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (s, config) = (s.clone(), config.clone());
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(20))).ok();
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                handle(&mut tls, &s);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (Upstream { port, seen }, ca_path)
}

/// One finished command.
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

/// A vault (made with the real CLI), an entry holding KEY for the host
/// 127.0.0.1, and an agent that may read it.
pub struct Vault {
    pub server: TestServer,
    pub agent_id: String,
    pub credential: String,
    pub entry_id: String,
}

pub fn cli(server: &TestServer, args: &[&str]) -> Run {
    let o = server.cli(args);
    Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn ok(server: &TestServer, args: &[&str]) -> String {
    let r = cli(server, args);
    assert_eq!(r.code, 0, "clavitor {args:?}: {}", r.err);
    r.out
}

impl Vault {
    pub fn new() -> Vault {
        let server = TestServer::start();
        let pass = server.dir.path().join("pass.txt");
        std::fs::write(&pass, "correct horse battery staple\n").unwrap();
        ok(
            &server,
            &[
                "init",
                "--server",
                &server.url,
                "--passphrase-file",
                pass.to_str().unwrap(),
            ],
        );
        let entry: Value = serde_json::from_str(&ok(
            &server,
            &[
                "--json",
                "put",
                "api_key",
                "--title",
                TITLE,
                "--url",
                "https://127.0.0.1/",
                "--field",
                &format!("key={KEY}"),
            ],
        ))
        .unwrap();
        let agent: Value = serde_json::from_str(&ok(
            &server,
            &["--json", "agent", "create", "proxy-agent", "--all-access"],
        ))
        .unwrap();
        Vault {
            agent_id: agent["agent_id"].as_str().unwrap().to_string(),
            credential: agent["credential"].as_str().unwrap().to_string(),
            entry_id: entry["entry_id"].as_str().unwrap().to_string(),
            server,
        }
    }

    /// The owner's audit events (`clavitor --json audit`).
    pub fn audit(&self) -> Vec<Value> {
        let v: Value = serde_json::from_str(&ok(&self.server, &["--json", "audit"])).unwrap();
        v["events"].as_array().unwrap().clone()
    }
}

/// A running `clavitor proxy`, as the agent.
pub struct Proxy {
    child: Child,
    pub port: u16,
    pub secret: String,
    /// The `https_proxy` setting the proxy printed.
    pub https_proxy: String,
    pub ca_cert: PathBuf,
    pub log: PathBuf,
}

impl Proxy {
    pub fn start(vault: &Vault, extra: &[&str]) -> Proxy {
        let port = free_port();
        let dir = vault.server.dir.path();
        let log = dir.join(format!("proxy-{port}.log"));
        let mut child = Command::new(bin())
            .args(["--json", "proxy", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("XDG_CONFIG_HOME", dir.join("agent-xdg"))
            .env("CLAVITOR_CREDENTIAL", &vault.credential)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start clavitor proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "proxy start-up line {line:?}; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let url = v["https_proxy"].as_str().unwrap();
        let secret = url
            .split_once("x:")
            .and_then(|(_, r)| r.split_once('@'))
            .map(|(s, _)| s.to_string())
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "proxy does not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Proxy {
            child,
            port,
            secret,
            https_proxy: url.to_string(),
            ca_cert: PathBuf::from(v["ca_cert"].as_str().unwrap()),
            log,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `Proxy-Authorization` for this proxy.
    pub fn auth(&self) -> String {
        format!(
            "Basic {}",
            data_encoding::BASE64.encode(format!("x:{}", self.secret).as_bytes())
        )
    }

    /// Everything the proxy wrote to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs curl (no proxy settings from the environment), with a time limit.
pub fn curl(args: &[&str]) -> Run {
    curl_env(args, &[])
}

/// [`curl`] with these environment variables set (after the proxy
/// variables of the test's own environment are removed).
pub fn curl_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "30", "-D", "-"])
        .args(args)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("CURL_CA_BUNDLE")
        .env_remove("SSL_CERT_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run curl");
    Run {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// The status code of curl's last response head (`-D -` output).
pub fn last_status(out: &str) -> u16 {
    out.lines()
        .rev()
        .find(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
