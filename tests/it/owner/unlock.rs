//! Issue 12, items 1 and 2: the wrapped master leaves the server only for a
//! matching unlock proof (SPEC section 3 "Proving an unlock"), every attempt
//! is throttled and audited, the stored material is sealed at rest, and
//! unknown handles, vault ids, methods and passkeys cannot be told from
//! real ones by status, JSON keys or follow-up answers. Also: the CLI
//! unlocks by passphrase and recovery code through the proof, and a vault
//! made by the previous release unlocks and is upgraded.

use crate::common;

use std::collections::BTreeSet;

use clavitor::crypto::keys::{l1_check, owner_verifier};
use clavitor::crypto::unlock::{
    passphrase_kek, prf_kek, recovery_kek, unlock_proof, unlock_verifier, unwrap_master,
    wrap_master,
};
use clavitor::crypto::{b64, hex, random_bytes, Key32, MasterSecret, VaultKeys};
use common::*;
use serde_json::{json, Value};

const PASSPHRASE: &str = "correct horse battery staple";
const ITERATIONS: u32 = 600_000;

/// A vault with all three kinds of unlock method, made as a client would.
struct FullVault {
    vault_id: String,
    master: MasterSecret,
    keys: VaultKeys,
    /// (method id, KEK, wrapped as the client sent it)
    methods: Vec<(String, Key32, String)>,
}

impl FullVault {
    fn create(url: &str, handle: &str) -> FullVault {
        let vault_id = hex(&random_bytes::<16>());
        let master = MasterSecret::generate();
        let keys = master.derive(&vault_id);
        let salt = random_bytes::<16>();
        let code = random_bytes::<32>();
        let cred = b64(&random_bytes::<16>());
        let methods = vec![
            (
                "passphrase".to_string(),
                passphrase_kek(PASSPHRASE, &salt, ITERATIONS),
            ),
            ("recovery".to_string(), recovery_kek(&code, &vault_id)),
            (cred, prf_kek(&random_bytes::<32>(), &vault_id)),
        ];
        let methods: Vec<(String, Key32, String)> = methods
            .into_iter()
            .map(|(id, kek)| {
                let w = wrap_master(&kek, &vault_id, &id, &master);
                (id, kek, w)
            })
            .collect();
        let unlock: Vec<Value> = methods
            .iter()
            .map(|(id, kek, wrapped)| {
                let (kind, kdf) = match id.as_str() {
                    "passphrase" => (
                        "passphrase",
                        json!({"alg": "pbkdf2-sha256", "salt": b64(&salt), "iterations": ITERATIONS}),
                    ),
                    "recovery" => ("recovery", json!({"alg": "hkdf-sha256"})),
                    _ => ("passkey", json!({"alg": "hkdf-sha256"})),
                };
                json!({"method_id": id, "kind": kind, "kdf": kdf, "wrapped": wrapped,
                       "verifier": b64(&unlock_verifier(&unlock_proof(kek, &vault_id, id)))})
            })
            .collect();
        let body = json!({
            "vault_id": vault_id, "handle": handle,
            "owner_verifier": b64(&owner_verifier(&keys.auth)),
            "l1_check": b64(&l1_check(&keys.l1)),
            "unlock": unlock,
        });
        let (st, v) = call(url, "POST", "/api/v1/vaults", None, Some(&body));
        assert_eq!(st, 201, "create: {v}");
        FullVault {
            vault_id,
            master,
            keys,
            methods,
        }
    }

    fn cred(&self) -> &str {
        &self.methods[2].0
    }

    fn proof(&self, method: usize) -> String {
        let (id, kek, _) = &self.methods[method];
        b64(unlock_proof(kek, &self.vault_id, id).expose())
    }

    fn token(&self, url: &str) -> String {
        let body = json!({"vault_id": self.vault_id, "owner_auth": b64(self.keys.auth.expose()),
                          "l1": b64(self.keys.l1.expose())});
        let (st, v) = call(url, "POST", "/api/v1/session", None, Some(&body));
        assert_eq!(st, 201, "session: {v}");
        v["token"].as_str().unwrap().to_string()
    }
}

/// (status, parsed body, raw body text)
fn request(url: &str, method: &str, path: &str, body: Option<&Value>) -> (u16, Value, String) {
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let (st, _, b) = raw(
        url,
        method,
        path,
        &[("Content-Type", "application/json")],
        &bytes,
    );
    let text = String::from_utf8_lossy(&b).into_owned();
    (st, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

/// Every key path of a JSON value (`kdf.salt`, `error.code`, ...).
fn shape(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, at: &str, out: &mut BTreeSet<String>) {
        if let Value::Object(m) = v {
            for (k, x) in m {
                let p = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                out.insert(p.clone());
                walk(x, &p, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(v, "", &mut out);
    out
}

fn open_body(proof: &str) -> Value {
    json!({ "proof": proof })
}

#[test]
fn public_unlock_routes_never_release_a_wrapped_master_and_decoys_look_real() {
    let server = TestServer::start();
    let url = &server.url;
    let fv = FullVault::create(url, "Alice@Example.com");
    let unknown_vault = hex(&random_bytes::<16>());
    let unknown_cred = b64(&random_bytes::<16>());
    let real = &fv.vault_id;
    let no_secret = |what: &str, text: &str| {
        assert!(!text.contains("cv1."), "{what}: a sealed value in {text}");
        for (_, _, w) in &fv.methods {
            assert!(
                !text.contains(&w[7..20]),
                "{what}: a wrapped master in {text}"
            );
        }
    };
    // (real path, unknown path) pairs for the public GET steps.
    let gets = [
        (
            "/api/v1/unlock?handle=alice%40example.com".to_string(),
            "/api/v1/unlock?handle=mallory%40example.com".to_string(),
        ),
        (
            format!("/api/v1/vaults/{real}/unlock/passphrase"),
            format!("/api/v1/vaults/{unknown_vault}/unlock/passphrase"),
        ),
        (
            format!("/api/v1/vaults/{real}/unlock/recovery"),
            format!("/api/v1/vaults/{unknown_vault}/unlock/recovery"),
        ),
        (
            format!("/api/v1/vaults/{real}/unlock/{}", fv.cred()),
            format!("/api/v1/vaults/{real}/unlock/{unknown_cred}"),
        ),
        (
            format!("/api/v1/vaults/{real}/unlock/{}", fv.cred()),
            format!("/api/v1/vaults/{unknown_vault}/unlock/{unknown_cred}"),
        ),
        (
            format!("/api/v1/unlock/passkey/{}", fv.cred()),
            format!("/api/v1/unlock/passkey/{unknown_cred}"),
        ),
    ];
    for (r, u) in &gets {
        let a = request(url, "GET", r, None);
        let b = request(url, "GET", u, None);
        no_secret(r, &a.2);
        no_secret(u, &b.2);
        assert_eq!(a.0, 200, "{r}: {}", a.2);
        assert_eq!(a.0, b.0, "status of {r} vs {u}");
        assert_eq!(shape(&a.1), shape(&b.1), "keys of {r} vs {u}");
        assert!(
            !shape(&a.1).contains("wrapped"),
            "{r} still hands out wrapped"
        );
        assert_eq!(
            b,
            request(url, "GET", u, None),
            "{u}: the decoy is deterministic"
        );
    }
    // The handle route names the vault and the passphrase parameters.
    let found = request(
        url,
        "GET",
        "/api/v1/unlock?handle=alice%40example.com",
        None,
    )
    .1;
    assert_eq!(found["vault_id"], json!(real));
    assert_eq!(
        shape(&found),
        [
            "kdf",
            "kdf.alg",
            "kdf.iterations",
            "kdf.salt",
            "kind",
            "vault_id"
        ]
        .map(String::from)
        .into()
    );
    // A decoy's follow-up answers agree with it, like a real vault's do.
    let decoy = request(
        url,
        "GET",
        "/api/v1/unlock?handle=mallory%40example.com",
        None,
    )
    .1;
    let dv = decoy["vault_id"].as_str().unwrap();
    assert_eq!(
        request(
            url,
            "GET",
            &format!("/api/v1/vaults/{dv}/unlock/passphrase"),
            None
        )
        .1["kdf"],
        decoy["kdf"]
    );
    let pk = request(
        url,
        "GET",
        &format!("/api/v1/unlock/passkey/{unknown_cred}"),
        None,
    )
    .1;
    let pv = pk["vault_id"].as_str().unwrap();
    assert_eq!(
        request(
            url,
            "GET",
            &format!("/api/v1/vaults/{pv}/unlock/{unknown_cred}"),
            None
        )
        .1,
        json!({"kind": "passkey", "kdf": {"alg": "hkdf-sha256"}})
    );

    // `open` with a wrong proof: the same 401 for real and unknown vaults,
    // methods and passkeys (4 failures on the real vault, under its limit of 5).
    let wrong = open_body(&b64(&random_bytes::<32>()));
    let wrong_real = request(
        url,
        "POST",
        &format!("/api/v1/vaults/{real}/unlock/passphrase/open"),
        Some(&wrong),
    );
    assert_error(&(wrong_real.0, wrong_real.1.clone()), 401, "CV-2010");
    no_secret("open", &wrong_real.2);
    for path in [
        format!("/api/v1/vaults/{real}/unlock/recovery/open"),
        format!("/api/v1/vaults/{real}/unlock/{}/open", fv.cred()),
        format!("/api/v1/vaults/{real}/unlock/{unknown_cred}/open"),
        format!("/api/v1/vaults/{unknown_vault}/unlock/passphrase/open"),
        format!("/api/v1/vaults/{dv}/unlock/passphrase/open"),
        format!("/api/v1/vaults/{pv}/unlock/{unknown_cred}/open"),
    ] {
        let got = request(url, "POST", &path, Some(&wrong));
        assert_eq!((got.0, &got.2), (wrong_real.0, &wrong_real.2), "{path}");
    }
    // A failed session login: the same for a real and an unknown vault.
    let bad_login = |v: &str| {
        request(
            url,
            "POST",
            "/api/v1/session",
            Some(&json!({"vault_id": v, "owner_auth": b64(&[1; 32]), "l1": b64(&[2; 32])})),
        )
    };
    let (a, b) = (bad_login(&unknown_vault), bad_login(dv));
    assert_eq!((a.0, &a.2), (b.0, &b.2));
    assert_eq!(a.0, 401);
    // The real vault's log has each of its four failed attempts, with why.
    let token = fv.token(url);
    let (st, v) = call(
        url,
        "GET",
        "/api/v1/audit?action=unlock_open&limit=100",
        Some(&token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let mut reasons: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["reason"].as_str().unwrap_or(""))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "unknown_method",
            "wrong_proof",
            "wrong_proof",
            "wrong_proof"
        ]
    );
}

#[test]
fn a_matching_proof_opens_and_every_attempt_is_throttled_and_audited() {
    let server = TestServer::start();
    let url = &server.url;
    let fv = FullVault::create(url, "bob");
    let token = fv.token(url);
    for i in 0..3 {
        let (id, kek, _) = &fv.methods[i];
        let (st, v, _) = request(
            url,
            "POST",
            &format!("/api/v1/vaults/{}/unlock/{id}/open", fv.vault_id),
            Some(&open_body(&fv.proof(i))),
        );
        assert_eq!(st, 200, "{id}: {v}");
        assert_eq!(shape(&v), BTreeSet::from(["wrapped".to_string()]));
        let m = unwrap_master(kek, &fv.vault_id, id, v["wrapped"].as_str().unwrap()).unwrap();
        assert_eq!(m, fv.master, "{id}");
    }
    // A proof of another method, or a malformed one, does not open.
    let path = format!("/api/v1/vaults/{}/unlock/passphrase/open", fv.vault_id);
    let swapped = request(url, "POST", &path, Some(&open_body(&fv.proof(1))));
    assert_eq!(swapped.0, 401);
    let short = request(url, "POST", &path, Some(&open_body(&b64(&[0; 31]))));
    assert_error(&(short.0, short.1), 400, "CV-1004");
    // Four more wrong proofs reach the per-vault limit of five ...
    for _ in 0..4 {
        assert_eq!(
            request(url, "POST", &path, Some(&open_body(&b64(&[9; 32])))).0,
            401
        );
    }
    // ... after which even the right proof waits, and so does a session login.
    let blocked = request(url, "POST", &path, Some(&open_body(&fv.proof(0))));
    assert_error(&(blocked.0, blocked.1), 429, "CV-2011");
    let login = call(
        url,
        "POST",
        "/api/v1/session",
        None,
        Some(
            &json!({"vault_id": fv.vault_id, "owner_auth": b64(fv.keys.auth.expose()), "l1": b64(fv.keys.l1.expose())}),
        ),
    );
    assert_error(&login, 429, "CV-2011");
    // An unknown vault is throttled the same way.
    let unknown = format!(
        "/api/v1/vaults/{}/unlock/passphrase/open",
        hex(&random_bytes::<16>())
    );
    for _ in 0..5 {
        assert_eq!(
            request(url, "POST", &unknown, Some(&open_body(&b64(&[9; 32])))).0,
            401
        );
    }
    assert_eq!(
        request(url, "POST", &unknown, Some(&open_body(&b64(&[9; 32])))).0,
        429
    );
    // Every attempt on the real vault is in its audit log.
    let (st, v) = call(
        url,
        "GET",
        "/api/v1/audit?action=unlock_open&limit=100",
        Some(&token),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let rows = v["events"]
        .as_array()
        .unwrap_or_else(|| panic!("audit list: {v}"));
    let count = |outcome: &str| rows.iter().filter(|r| r["outcome"] == outcome).count();
    assert_eq!(count("success"), 3, "{v}");
    assert_eq!(count("denied"), 5, "{v}");
    assert!(rows
        .iter()
        .filter(|r| r["outcome"] == "denied")
        .all(|r| r["reason"] == "wrong_proof" && r["source_ip"] == "127.0.0.1"));
}

#[test]
fn unlock_material_is_sealed_at_rest_with_the_keyring() {
    let mut server = TestServer::start();
    let fv = FullVault::create(&server.url, "carol");
    server.stop();
    let data = server.data_dir();
    for (id, kek, wrapped) in &fv.methods {
        let verifier = unlock_verifier(&unlock_proof(kek, &fv.vault_id, id));
        for needle in [
            wrapped.as_bytes(),
            &wrapped.as_bytes()[7..40],
            &verifier[..],
        ] {
            assert_eq!(any_file_contains(&data, needle), None, "{id} in the clear");
        }
    }
    let db = rusqlite::Connection::open(data.join("clavitor.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT wrapped, verifier FROM unlock_methods")
        .unwrap();
    let rows: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 3);
    for (w, v) in rows {
        assert!(
            w.starts_with("rest1.1.") && v.starts_with("rest1.1."),
            "{w} {v}"
        );
    }
    // Without the keyring's key the stored rows do not open: a server with
    // another keyring refuses to start rather than lose the vault's unlock.
    std::fs::write(
        data.join("token.key"),
        format!("2 {}\n", b64(&random_bytes::<32>())),
    )
    .unwrap();
    let out = std::process::Command::new(bin())
        .args(["serve", "--config"])
        .arg(&server.config_path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("key id 1") && err.contains("token keyring"),
        "{err}"
    );
}

#[test]
fn cli_unlocks_by_passphrase_and_recovery_code_through_the_proof() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "a long enough passphrase\n").unwrap();
    let out = server.cli(&[
        "init",
        "--server",
        &server.url,
        "--handle",
        "dave@example.com",
        "--passphrase-file",
        pass.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    let vault_id = made["vault_id"].as_str().unwrap();
    let code = dir.path().join("code");
    std::fs::write(&code, made["recovery_code"].as_str().unwrap()).unwrap();
    let login = |extra: &[&str]| {
        let mut args = vec!["login", "--server", &server.url];
        args.extend_from_slice(extra);
        server.cli(&args)
    };
    let ok = login(&[
        "--handle",
        "DAVE@example.com",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert!(ok.status.success(), "{ok:?}");
    let ok = login(&[
        "--vault",
        vault_id,
        "--recovery-file",
        code.to_str().unwrap(),
    ]);
    assert!(ok.status.success(), "{ok:?}");
    let ok = login(&[
        "--handle",
        "dave@example.com",
        "--recovery-file",
        code.to_str().unwrap(),
    ]);
    assert!(ok.status.success(), "{ok:?}");
    std::fs::write(&pass, "not the passphrase\n").unwrap();
    for who in [
        ["--handle", "dave@example.com"],
        ["--handle", "eve@example.com"],
    ] {
        let bad = login(&[who[0], who[1], "--passphrase-file", pass.to_str().unwrap()]);
        assert_eq!(bad.status.code(), Some(3), "{bad:?}");
        let err = String::from_utf8_lossy(&bad.stderr);
        assert!(err.contains("wrong passphrase"), "{err}");
    }
}

/// The vault in tests/legacy-v1.0 was made by the previous release
/// (no verifiers, wrapped copies stored as sent). The new binary seals it
/// at rest, still unlocks it (legacy release, throttled and audited), and the
/// owner's CLI adds each verifier at its next unlock; legacy release of that
/// method then stops.
#[test]
fn a_vault_from_the_previous_release_unlocks_and_is_upgraded() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/legacy-v1.0");
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("fixture.json")).unwrap())
            .unwrap();
    let server = TestServer::start_prepared("", |data| {
        for f in ["clavitor.db", "token.key"] {
            std::fs::copy(fixture.join(f), data.join(f)).unwrap();
            std::fs::set_permissions(
                data.join(f),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .unwrap();
        }
    });
    let url = &server.url;
    let vault = fx["vault_id"].as_str().unwrap();
    let db = || rusqlite::Connection::open(server.data_dir().join("clavitor.db")).unwrap();
    let stored = |method: &str| -> (String, String) {
        db().query_row(
            "SELECT wrapped, verifier FROM unlock_methods WHERE method_id = ?1",
            [method],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    // Start-up sealed the old rows at rest; no verifier yet.
    for m in ["passphrase", "recovery"] {
        let (w, v) = stored(m);
        assert!(w.starts_with("rest1."), "{m}: {w}");
        assert_eq!(v, "", "{m}");
    }
    // The public step is the new one; the legacy release needs no proof but says so.
    let step = request(
        url,
        "GET",
        "/api/v1/unlock?handle=legacy%40example.com",
        None,
    );
    assert_eq!(step.1["vault_id"], json!(vault));
    assert!(!step.2.contains("cv1."));
    let any = open_body(&b64(&[7; 32]));
    let pass_open = format!("/api/v1/vaults/{vault}/unlock/passphrase/open");
    let legacy = request(url, "POST", &pass_open, Some(&any));
    assert_eq!(legacy.0, 200, "{}", legacy.2);
    assert_eq!(legacy.1["legacy"], true);

    // The owner logs in with the new CLI: it unlocks and adds the verifier.
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, fx["passphrase"].as_str().unwrap()).unwrap();
    let out = server.cli(&[
        "login",
        "--server",
        url,
        "--handle",
        "legacy@example.com",
        "--passphrase-file",
        pass.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("upgraded"));
    let (w, v) = stored("passphrase");
    assert!(
        w.starts_with("rest1.") && v.starts_with("rest1."),
        "{w} {v}"
    );
    // Its data is intact.
    let got = server.cli(&[
        "get",
        fx["entry_title"].as_str().unwrap(),
        "--field",
        "password",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&got.stdout).trim(),
        fx["entry_password"].as_str().unwrap(),
        "{got:?}"
    );
    // Legacy release of the passphrase method has stopped: a proof is needed.
    assert_eq!(request(url, "POST", &pass_open, Some(&any)).0, 401);
    let salt = clavitor::crypto::unb64(step.1["kdf"]["salt"].as_str().unwrap()).unwrap();
    let kek = passphrase_kek(fx["passphrase"].as_str().unwrap(), &salt, ITERATIONS);
    let proof = open_body(&b64(unlock_proof(&kek, vault, "passphrase").expose()));
    let opened = request(url, "POST", &pass_open, Some(&proof));
    assert_eq!(opened.0, 200, "{}", opened.2);
    assert_eq!(opened.1.get("legacy"), None);

    // The recovery method is upgraded at its own next use.
    let code = dir.path().join("code");
    std::fs::write(&code, fx["recovery_code"].as_str().unwrap()).unwrap();
    let out = server.cli(&[
        "login",
        "--server",
        url,
        "--vault",
        vault,
        "--recovery-file",
        code.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(stored("recovery").1.starts_with("rest1."));
    let rec_open = format!("/api/v1/vaults/{vault}/unlock/recovery/open");
    assert_eq!(request(url, "POST", &rec_open, Some(&any)).0, 401);
}

/// Rotating the token keyring re-seals the stored unlock material under the
/// new key at the reload, so the old key can then leave the keyring; a
/// reload with a keyring that lost a key still in use is refused.
#[test]
fn keyring_rotation_reseals_unlock_material() {
    let mut server = TestServer::start();
    let (vault, code) = TestVault::register(&server.url);
    let keyring = server.data_dir().join("token.key");
    let original = std::fs::read_to_string(&keyring).unwrap();
    let db = || rusqlite::Connection::open(server.data_dir().join("clavitor.db")).unwrap();
    let stored = || -> String {
        db().query_row("SELECT wrapped FROM unlock_methods", [], |r| r.get(0))
            .unwrap()
    };
    assert!(stored().starts_with("rest1.1."));
    let opens = |url: &str| {
        call(
            url,
            "POST",
            &format!("/api/v1/vaults/{}/unlock/recovery/open", vault.vault_id),
            None,
            Some(&json!({"proof": vault.recovery_proof(&code)})),
        )
        .0
    };

    // A keyring without key 1 is refused at reload: the old one stays.
    std::fs::write(&keyring, format!("2 {}\n", b64(&random_bytes::<32>()))).unwrap();
    server.signal(1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !server.log().contains("reload failed") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(server.log().contains("key id 1"), "{}", server.log());
    assert!(stored().starts_with("rest1.1."));
    assert_eq!(opens(&server.url), 200);

    // Key 2 added beside key 1: the reload re-seals under 2 ...
    std::fs::write(
        &keyring,
        format!("{original}2 {}\n", b64(&random_bytes::<32>())),
    )
    .unwrap();
    server.signal(1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !stored().starts_with("rest1.2.") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(stored().starts_with("rest1.2."), "{}", server.log());
    assert_eq!(opens(&server.url), 200);
    // ... so key 1 can go: the server starts and the vault still unlocks.
    let two: String = std::fs::read_to_string(&keyring)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("2 "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&keyring, two).unwrap();
    server.restart();
    assert_eq!(opens(&server.url), 200);
}
