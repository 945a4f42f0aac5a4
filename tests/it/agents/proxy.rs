//! `clavitor proxy` (SPEC section 13) driven from outside: the real binary
//! as an agent, real vault server, loopback upstreams (plain HTTP, and
//! HTTPS with their own test CA), and curl as the client.

use crate::agents::proxy_support;
use crate::common;

use common::*;
use proxy_support::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const MASK: &str = "<concealed by clavitor>";

/// Asserts a response reached the upstream with KEY and came back scrubbed.
fn assert_injected_and_scrubbed(what: &str, r: &Run, upstream: &Upstream, before: usize) {
    assert_eq!(last_status(&r.out), 200, "{what}: {}\n{}", r.out, r.err);
    let seen = upstream.seen.lock().unwrap();
    assert_eq!(seen.len(), before + 1, "{what}: one request upstream");
    let got = seen.last().unwrap();
    assert!(
        got.contains(&format!("Bearer {KEY}")),
        "{what}: the upstream got the key: {got}"
    );
    assert!(
        !got.contains("clavitor://"),
        "{what}: no reference upstream: {got}"
    );
    assert!(
        !got.to_ascii_lowercase().contains("proxy-authorization"),
        "{what}: {got}"
    );
    assert!(
        !r.out.contains(KEY),
        "{what}: the client saw the key:\n{}",
        r.out
    );
    assert!(
        r.out
            .contains(&format!("x-echo-authorization: Bearer {MASK}"))
            || r.out
                .contains(&format!("X-Echo-Authorization: Bearer {MASK}")),
        "{what}: the echoed header is masked:\n{}",
        r.out
    );
    assert!(
        r.out
            .contains(&format!("\"authorization\":\"Bearer {MASK}\"")),
        "{what}: the echoed body is masked:\n{}",
        r.out
    );
}

#[test]
fn the_proxy_injects_keys_in_both_modes_and_scrubs_every_response() {
    let vault = Vault::new();
    let (https, upstream_ca) = echo_https(vault.server.dir.path());
    let http = echo_http();
    let proxy = Proxy::start(&vault, &["--upstream-ca", upstream_ca.to_str().unwrap()]);
    let auth_header = format!("Authorization: Bearer {REF}");
    let user = format!("x:{}", proxy.secret);
    let ca = proxy.ca_cert.to_str().unwrap().to_string();

    // CONNECT with TLS interception; curl trusts only the proxy's CA.
    let n = https.seen.lock().unwrap().len();
    let r = curl(&[
        "--proxy",
        &proxy.url(),
        "--proxy-user",
        &user,
        "--cacert",
        &ca,
        "-H",
        &auth_header,
        &format!("https://127.0.0.1:{}/v1/charges", https.port),
    ]);
    assert_injected_and_scrubbed("CONNECT https", &r, &https, n);

    // The printed setting works as is for a client that reads the
    // environment: HTTPS_PROXY from the start-up line, the CA from `proxy ca`.
    let n = https.seen.lock().unwrap().len();
    let setting = proxy.https_proxy.clone();
    let r = curl_env(
        &[
            "-H",
            &auth_header,
            &format!("https://127.0.0.1:{}/env", https.port),
        ],
        &[("HTTPS_PROXY", &setting), ("CURL_CA_BUNDLE", &ca)],
    );
    assert_injected_and_scrubbed("CONNECT from the environment", &r, &https, n);

    // The same through a chunked upstream answer (values split over chunks).
    let n = https.seen.lock().unwrap().len();
    let r = curl(&[
        "--proxy",
        &proxy.url(),
        "--proxy-user",
        &user,
        "--cacert",
        &ca,
        "-H",
        &auth_header,
        &format!("https://127.0.0.1:{}/chunked", https.port),
    ]);
    assert_injected_and_scrubbed("CONNECT https chunked", &r, &https, n);

    // Absolute form to a plain HTTP upstream (HTTP_PROXY clients).
    let n = http.seen.lock().unwrap().len();
    let r = curl(&[
        "--proxy",
        &proxy.url(),
        "--proxy-user",
        &user,
        "-H",
        &auth_header,
        &format!("http://127.0.0.1:{}/plain", http.port),
    ]);
    assert_injected_and_scrubbed("absolute-form http", &r, &http, n);

    // Base-URL mode, HTTPS and plain upstreams; no proxy CA involved.
    let pa = format!("Proxy-Authorization: {}", proxy.auth());
    for (scheme, up) in [("https", &https), ("http", &http)] {
        let n = up.seen.lock().unwrap().len();
        let r = curl(&[
            "-H",
            &pa,
            "-H",
            &auth_header,
            "-X",
            "POST",
            "--data",
            "{\"q\":1}",
            &format!("{}/{scheme}/127.0.0.1:{}/v1/x?y=1", proxy.url(), up.port),
        ]);
        assert_injected_and_scrubbed(&format!("base-URL {scheme}"), &r, up, n);
        let got = up.seen.lock().unwrap().last().unwrap().clone();
        assert!(got.starts_with("POST /v1/x?y=1 HTTP/1.1"), "{got}");
        assert!(r.out.contains("\\\"q\\\":1"), "body forwarded: {}", r.out);
    }

    // Basic credentials with a reference inside are resolved too.
    let basic = data_encoding::BASE64.encode(format!("user:{REF}").as_bytes());
    let r = curl(&[
        "-H",
        &pa,
        "-H",
        &format!("Authorization: Basic {basic}"),
        &format!("{}/http/127.0.0.1:{}/basic", proxy.url(), http.port),
    ]);
    assert_eq!(last_status(&r.out), 200, "{}", r.out);
    let sent = data_encoding::BASE64.encode(format!("user:{KEY}").as_bytes());
    assert!(http.seen.lock().unwrap().last().unwrap().contains(&sent));
    assert!(!r.out.contains(&sent) && !r.out.contains(KEY), "{}", r.out);

    // Each resolution is an audited read by the agent of the entry.
    let reads: Vec<_> = vault
        .audit()
        .into_iter()
        .filter(|e| e["action"] == "read" && e["outcome"] == "success")
        .collect();
    assert!(
        reads.len() >= 6,
        "one audited read per resolution: {reads:?}"
    );
    for e in &reads {
        assert_eq!(e["actor_id"], vault.agent_id.as_str(), "{e}");
        assert_eq!(e["entry_id"], vault.entry_id.as_str(), "{e}");
        assert_eq!(e["host"], "127.0.0.1", "{e}");
    }
    // `clavitor audit` (the table) shows the destination host too.
    let table = proxy_support::cli(&vault.server, &["audit", "--agent", &vault.agent_id]);
    assert!(table.out.contains("127.0.0.1"), "{}", table.out);
    let log = proxy.log();
    assert!(!log.contains(KEY), "the proxy log holds the key:\n{log}");
    assert!(
        !log.contains(&proxy.secret),
        "the proxy log holds its secret:\n{log}"
    );
}

#[test]
fn a_reference_for_a_host_the_entry_does_not_allow_is_refused() {
    let vault = Vault::new();
    let http = echo_http();
    let proxy = Proxy::start(&vault, &[]);
    let pa = format!("Proxy-Authorization: {}", proxy.auth());
    // `localhost` is loopback too, but the entry names only 127.0.0.1.
    let r = curl(&[
        "-H",
        &pa,
        "-H",
        &format!("Authorization: Bearer {REF}"),
        &format!("{}/http/localhost:{}/steal", proxy.url(), http.port),
    ]);
    assert_eq!(last_status(&r.out), 403, "{}", r.out);
    assert!(
        r.out.contains(REF),
        "the refusal names the reference: {}",
        r.out
    );
    assert!(r.out.contains("localhost is not allowed"), "{}", r.out);
    assert!(!r.out.contains(KEY), "{}", r.out);
    assert!(
        http.seen.lock().unwrap().is_empty(),
        "nothing reached the host"
    );
    // The vault refused it and audited the refusal with the host.
    let refused: Vec<_> = vault
        .audit()
        .into_iter()
        .filter(|e| e["action"] == "read" && e["outcome"] == "denied")
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["actor_id"], vault.agent_id.as_str());
    assert_eq!(refused[0]["entry_id"], vault.entry_id.as_str());
    assert_eq!(refused[0]["host"], "localhost");

    // An unknown entry is refused the same way, naming the reference (an
    // agent is not told whether an entry it may not see exists).
    let r = curl(&[
        "-H",
        &pa,
        "-H",
        "X-Api-Key: clavitor://No%20such%20entry/key",
        &format!("{}/http/127.0.0.1:{}/", proxy.url(), http.port),
    ]);
    assert_eq!(last_status(&r.out), 403, "{}", r.out);
    assert!(
        r.out.contains("clavitor://No%20such%20entry/key"),
        "{}",
        r.out
    );
    assert!(http.seen.lock().unwrap().is_empty());
}

#[test]
fn without_the_proxy_secret_the_answer_is_407() {
    let vault = Vault::new();
    let http = echo_http();
    let proxy = Proxy::start(&vault, &[]);
    let target = format!("http://127.0.0.1:{}/", http.port);
    let base = format!("{}/http/127.0.0.1:{}/", proxy.url(), http.port);
    let wrong = format!(
        "Proxy-Authorization: Basic {}",
        data_encoding::BASE64.encode(b"x:not-the-secret")
    );
    for args in [
        vec!["--proxy", proxy.url().as_str(), target.as_str()],
        vec![
            "--proxy",
            proxy.url().as_str(),
            "--proxy-user",
            "x:wrong",
            target.as_str(),
        ],
        vec![base.as_str()],
        vec!["-H", wrong.as_str(), base.as_str()],
    ] {
        let r = curl(&args);
        assert_eq!(last_status(&r.out), 407, "{args:?}: {}", r.out);
        assert!(
            r.out
                .to_ascii_lowercase()
                .contains("proxy-authenticate: basic"),
            "{}",
            r.out
        );
    }
    // CONNECT without the secret never opens a tunnel.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        format!(
            "CONNECT 127.0.0.1:{} HTTP/1.1\r\nHost: x\r\n\r\n",
            http.port
        )
        .as_bytes(),
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");
    assert!(http.seen.lock().unwrap().is_empty());
}

#[test]
fn the_ca_is_made_once_with_a_private_key_and_named_by_proxy_ca() {
    let vault = Vault::new();
    let xdg = vault.server.dir.path().join("agent-xdg");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(bin())
            .args(args)
            .env("XDG_CONFIG_HOME", &xdg)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (out, err) = run(&["proxy", "ca"]);
    let path = out.trim().to_string();
    assert!(path.ends_with("clavitor/proxy-ca.pem"), "{out}");
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    for var in [
        "SSL_CERT_FILE",
        "NODE_EXTRA_CA_CERTS",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "GIT_SSL_CAINFO",
    ] {
        assert!(err.contains(&format!("{var}={path}")), "{var} in {err}");
    }
    let key = xdg.join("clavitor/proxy-ca.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // The same CA the second time (clients keep trusting it).
    let (again, _) = run(&["--json", "proxy", "ca"]);
    let v: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(v["ca_cert"], path.as_str());
    assert_eq!(v["env"]["NODE_EXTRA_CA_CERTS"], path.as_str());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), pem);
    // A key others can read is refused rather than used.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = std::process::Command::new(bin())
        .args(["proxy", "ca"])
        .env("XDG_CONFIG_HOME", &xdg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("readable by other users"));
}

#[test]
fn connections_beyond_the_limit_are_refused_clearly() {
    let vault = Vault::new();
    let proxy = Proxy::start(&vault, &["--max-connections", "1"]);
    // One idle connection holds the only slot (after start-up's probe
    // connection has been let go).
    std::thread::sleep(Duration::from_millis(300));
    let held = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("--max-connections"), "{answer}");
    // The held connection is still being served, not refused.
    held.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut byte = [0u8; 1];
    let e = (&held).read(&mut byte).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{e}"
    );
}

#[test]
fn the_proxy_listens_on_loopback_only() {
    let vault = Vault::new();
    let o = std::process::Command::new(bin())
        .args(["proxy", "--listen", "0.0.0.0:0"])
        .env("XDG_CONFIG_HOME", vault.server.dir.path().join("agent-xdg"))
        .env("CLAVITOR_CREDENTIAL", &vault.credential)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("loopback only"));
}

#[test]
fn the_ready_line_on_stdout_is_the_proxy_setting_with_its_secret() {
    use std::io::BufRead;
    let vault = Vault::new();
    let port = free_port();
    let mut child = std::process::Command::new(bin())
        .args(["proxy", "--listen", &format!("127.0.0.1:{port}")])
        .env("XDG_CONFIG_HOME", vault.server.dir.path().join("agent-xdg"))
        .env("CLAVITOR_CREDENTIAL", &vault.credential)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let prefix = "HTTPS_PROXY=http://x:";
    let suffix = format!("@127.0.0.1:{port}\n");
    assert!(
        line.starts_with(prefix) && line.ends_with(&suffix),
        "{line:?}"
    );
    let secret = &line[prefix.len()..line.len() - suffix.len()];
    assert_eq!(secret.len(), 32, "{line:?}");
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()), "{line:?}");
}

#[test]
fn a_plain_http_request_sent_with_the_connect_is_not_lost() {
    let vault = Vault::new();
    let http = echo_http();
    let proxy = Proxy::start(&vault, &[]);
    // CONNECT and the request inside it in one write, before the 200.
    let mut s = TcpStream::connect(("127.0.0.1", proxy.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let both = format!(
        "CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nProxy-Authorization: {auth}\r\n\r\n\
         GET /early HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Api-Key: {REF}\r\n\r\n",
        port = http.port,
        auth = proxy.auth()
    );
    s.write_all(both.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK"),
        "{answer}"
    );
    assert!(
        answer.contains(&format!("\"x-api-key\":\"{MASK}\"")),
        "{answer}"
    );
    assert!(!answer.contains(KEY), "{answer}");
    let seen = http.seen.lock().unwrap();
    assert!(seen[0].starts_with("GET /early HTTP/1.1"), "{seen:?}");
    assert!(seen[0].contains(&format!("X-Api-Key: {KEY}")), "{seen:?}");
}

#[test]
fn an_upstream_certificate_nobody_vouches_for_is_refused() {
    let vault = Vault::new();
    let (https, _upstream_ca) = echo_https(vault.server.dir.path());
    // No --upstream-ca: the test CA is not among the trusted roots.
    let proxy = Proxy::start(&vault, &[]);
    let r = curl(&[
        "-H",
        &format!("Proxy-Authorization: {}", proxy.auth()),
        "-H",
        &format!("Authorization: Bearer {REF}"),
        &format!("{}/https/127.0.0.1:{}/", proxy.url(), https.port),
    ]);
    assert_eq!(last_status(&r.out), 502, "{}", r.out);
    assert!(
        r.out.to_ascii_lowercase().contains("certificate"),
        "{}",
        r.out
    );
    assert!(!r.out.contains(KEY), "{}", r.out);
    assert!(
        https.seen.lock().unwrap().is_empty(),
        "no request reached it"
    );
}
