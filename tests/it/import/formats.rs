//! Bitwarden, Chrome, Firefox and Safari exports through the real CLI
//! against a real server: every field lands where it should, read back with
//! `clavitor export`. Runs on the shared third-party fixtures when
//! `../shared/fixtures` exists, and always on this crate's own samples.

use super::harness as import_common;
use crate::common;

use common::*;
use import_common::*;

#[test]
fn bitwarden_json_personal_maps_every_item_type() {
    let o = owner();
    let s = o.import(&own("bitwarden/personal.json"), &[]);
    assert_eq!(s["format"], "bitwarden-json");
    assert_eq!(
        (s["imported"].as_u64(), s["merged"].as_u64()),
        (Some(7), Some(1)),
        "{s}"
    );
    assert_eq!(
        s["skipped"],
        json!([{"record": "item 8", "reason": "in the trash"}, {"record": "item 10", "reason": "empty: no title, URL, username, password or notes"}])
    );
    let items = o.export();
    assert_eq!(items.len(), 7);

    let gh = item(&items, "GitHub");
    assert_eq!(
        (
            gh["type"].as_str(),
            gh["folder"].as_str(),
            gh["favorite"].as_bool()
        ),
        (Some("login"), Some("Work/Dev"), Some(true))
    );
    assert_eq!(
        (gh["username"].as_str(), gh["password"].as_str()),
        (Some("octo-alice"), Some("gh-S3cret!pass")),
        "the newer duplicate won"
    );
    assert_eq!(
        gh["urls"],
        json!([
            "https://github.com/login",
            "https://gist.github.com",
            "https://www.github.com/settings"
        ])
    );
    assert_eq!(
        gh["notes"],
        "Main account.\nRecovery codes are in the safe."
    );
    assert_eq!(
        gh["totp"],
        "otpauth://totp/GitHub:octo-alice?secret=JBSWY3DPEHPK3PXP"
    );
    assert_eq!(field(gh, "Account ID")["hidden"], false);
    assert_eq!(
        (
            field(gh, "Backup PIN")["value"].as_str(),
            field(gh, "Backup PIN")["hidden"].as_bool()
        ),
        (Some("8642"), Some(true))
    );
    assert_eq!(field(gh, "Enterprise")["value"], "false");

    let bakery = item(&items, "Bäckerei Müller — Konto 🍞");
    assert_eq!(
        (bakery["username"].as_str(), bakery["password"].as_str()),
        (Some("jürgen@example.de"), Some("pässwörd-ß-日本"))
    );
    assert_eq!(
        bakery["totp"],
        "otpauth://totp/Baeckerei:juergen?secret=GEZDGNBVGY3TQOJQ&issuer=Baeckerei"
    );
    assert_eq!(bakery["folder"], "Personal");

    let card = &item(&items, "Visa Platinum")["card"];
    assert_eq!(
        *card,
        json!({"cardholder": "Alice Example", "brand": "Visa", "number": "4111111111111111", "expiry": "07/2029", "cvv": "123", "pin": ""})
    );
    let id = item(&items, "Alice (passport)");
    assert_eq!(
        (
            id["identity"]["ssn"].as_str(),
            id["identity"]["address2"].as_str()
        ),
        (Some("078-05-1120"), Some("Apt 2, Building C"))
    );
    assert_eq!(field(id, "Username")["value"], "alice_e");
    assert_eq!(field(id, "Title")["value"], "Dr");
    let ssh = item(&items, "Deploy key");
    assert!(ssh["typed"]["private_key"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    assert_eq!(
        item(&items, "Home alarm")["notes"],
        "Code: 4711\nCall 555-0100 if triggered"
    );
    let steam = item(&items, "Steam");
    assert_eq!(steam["totp"], "");
    assert_eq!(
        field(steam, "One-time code (unrecognised)")["value"],
        "steam://NOTBASE32!"
    );
}

#[test]
fn bitwarden_secrets_are_sealed_in_the_right_tier() {
    let o = owner();
    o.import(&own("bitwarden/personal.json"), &[]);
    let (_, list) = call(
        &o.server.url,
        "GET",
        "/api/v1/entries",
        Some(&o.token),
        None,
    );
    let tier_of = |title: &str, name: &str| -> (String, String) {
        let id = list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["title"] == title)
            .unwrap()["entry_id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, e) = call(
            &o.server.url,
            "GET",
            &format!("/api/v1/entries/{id}"),
            Some(&o.token),
            None,
        );
        let f = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {e}"));
        (
            f["tier"].as_str().unwrap().to_string(),
            f["value"].as_str().unwrap().chars().take(7).collect(),
        )
    };
    assert_eq!(
        tier_of("GitHub", "username"),
        ("l1".into(), "octo-al".into())
    );
    assert_eq!(
        tier_of("GitHub", "password"),
        ("l2".into(), "cv1.l2.".into())
    );
    assert_eq!(tier_of("GitHub", "totp"), ("l2".into(), "cv1.l2.".into()));
    assert_eq!(
        tier_of("GitHub", "custom_2"),
        ("l2".into(), "cv1.l2.".into()),
        "hidden custom field"
    );
    assert_eq!(tier_of("GitHub", "custom_1"), ("l1".into(), "12345".into()));
    assert_eq!(
        tier_of("Visa Platinum", "number"),
        ("l3".into(), "cv1.l3.".into())
    );
    assert_eq!(
        tier_of("Visa Platinum", "cvv"),
        ("l3".into(), "cv1.l3.".into())
    );
    assert_eq!(
        tier_of("Alice (passport)", "passport"),
        ("l3".into(), "cv1.l3.".into())
    );
    assert_eq!(
        tier_of("Deploy key", "private_key"),
        ("l3".into(), "cv1.l3.".into())
    );
    assert!(
        any_file_contains(&o.server.data_dir(), b"gh-S3cret!pass").is_none(),
        "plaintext on disk"
    );
}

#[test]
fn bitwarden_organization_json_and_csvs() {
    let o = owner();
    assert_eq!(
        o.import(&own("bitwarden/organization.json"), &[])["imported"],
        2
    );
    let s = o.import(&own("bitwarden/personal.csv"), &[]);
    assert_eq!(
        (s["format"].as_str(), s["imported"].as_u64()),
        (Some("bitwarden-csv"), Some(4))
    );
    assert_eq!(
        o.import(&own("bitwarden/organization.csv"), &[])["imported"],
        2
    );
    let items = o.export();
    assert_eq!(item(&items, "AWS root")["folder"], "Engineering/Cloud");
    assert_eq!(item(&items, "Company bank")["folder"], "Finance");
    let m = item(&items, "Mastodon");
    assert_eq!(
        (m["folder"].as_str(), m["favorite"].as_bool()),
        (Some("Social"), Some(true))
    );
    assert_eq!(m["notes"], "Alt account\nposts about cats");
    assert_eq!(
        m["urls"],
        json!([
            "https://mastodon.social/auth/sign_in",
            "https://mastodon.social"
        ])
    );
    assert_eq!(field(m, "API token")["value"], "tok-123");
    assert_eq!(item(&items, "Bank, \"Savings\"")["password"], "p,w\"q");
    let u = item(&items, "Ünïcødé 🔑");
    assert_eq!(
        (
            u["username"].as_str(),
            u["password"].as_str(),
            u["urls"][0].as_str()
        ),
        (Some("ユーザー"), Some("пароль"), Some("https://例え.jp"))
    );
    assert_eq!(item(&items, "Router")["type"], "note");
    assert_eq!(item(&items, "Grafana")["folder"], "Ops");
    // The ZIP export "with attachments": its data.json (attachments are not imported).
    let s = o.import(&own("bitwarden/with-attachments.zip"), &[]);
    assert_eq!(
        (s["format"].as_str(), s["imported"].as_u64()),
        (Some("bitwarden-json"), Some(1))
    );
    let z = item(&o.export(), "Old mail").clone();
    assert_eq!(
        (z["folder"].as_str(), z["password"].as_str()),
        (Some("Archive"), Some("z1p-pw"))
    );
    assert_eq!(item(&items, "Runbook")["notes"], "Step 1\nStep 2");
}

#[test]
fn chrome_firefox_and_safari_samples() {
    let o = owner();
    assert_eq!(
        o.import(&own("chrome/passwords-with-note.csv"), &[])["imported"],
        5
    );
    assert_eq!(o.import(&own("chrome/old-no-note.csv"), &[])["imported"], 2);
    let ff = o.import(&own("firefox/logins.csv"), &[]);
    assert_eq!(
        (ff["imported"].as_u64(), ff["merged"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(ff["skipped"][0]["record"], "line 3");
    assert_eq!(
        o.import(&own("firefox/old-hostname.csv"), &[])["imported"],
        1
    );
    assert_eq!(o.import(&own("safari/passwords.csv"), &[])["imported"], 3);
    assert_eq!(o.import(&own("safari/old-format.csv"), &[])["imported"], 1);
    let items = o.export();

    let g = item(&items, "accounts.google.com");
    assert_eq!(
        (g["username"].as_str(), g["password"].as_str()),
        (Some("alice@gmail.com"), Some("G00gle!pw"))
    );
    assert_eq!(
        g["notes"],
        "Personal Google account\nrecovery phone ends 42"
    );
    assert_eq!(item(&items, "netflix.com")["password"], "fl1x, \"chill\"");
    assert_eq!(
        item(&items, "com.example.app")["urls"],
        json!(["androidapp://com.example.app"])
    );
    assert_eq!(item(&items, "bücher.de")["password"], "straße-🔐");
    assert_eq!(item(&items, "www.irs.gov")["username"], "taxpayer");

    let amazon = item(&items, "amazon.de");
    assert_eq!(
        amazon["password"], "newer-amazon-pw",
        "newer timePasswordChanged wins"
    );
    assert_eq!(
        field(item(&items, "intranet.example.com"), "HTTP realm")["value"],
        "Example Intranet"
    );
    assert_eq!(
        item(&items, "bugzilla.mozilla.org")["username"],
        "dev@example.org"
    );

    let apple = item(&items, "Apple ID (alice)");
    assert_eq!(
        apple["totp"],
        "otpauth://totp/Apple:alice?secret=JBSWY3DPEHPK3PXP&issuer=Apple"
    );
    assert_eq!(apple["notes"], "Two-factor on\nTrusted phone: iPhone");
    assert_eq!(item(&items, "カード会社")["password"], "パスワード");
    assert_eq!(
        item(&items, "booking.com (traveler)")["password"],
        "b00king"
    );
}

/// Per shared fixture: (file, imported, skipped, checks on the exported items).
#[test]
fn shared_fixtures_of_these_formats_import() {
    let Some(dir) = shared() else { return };
    let o = owner();
    let ok = |rel: &str, imported: u64, skipped: usize| {
        let s = o.import(&dir.join(rel), &[]);
        assert_eq!(s["imported"].as_u64(), Some(imported), "{rel}: {s}");
        assert_eq!(
            s["skipped"].as_array().unwrap().len(),
            skipped,
            "{rel}: {s}"
        );
    };
    ok("bitwarden/empty-unencrypted.json", 0, 0);
    ok("chrome/login-note-crlf-multiline.csv", 1, 0);
    ok("firefox/simple-login.csv", 1, 0);
    // The same login again, next to a chrome:// row: merged, not duplicated.
    let s = o.import(&dir.join("firefox/with-firefox-accounts-entry.csv"), &[]);
    assert_eq!(
        (s["imported"].as_u64(), s["merged"].as_u64()),
        (Some(0), Some(1)),
        "{s}"
    );
    assert_eq!(s["skipped"][0]["record"], "line 2");
    ok("safari/login-multiline-note-otpauth.csv", 1, 0);
    // Same title, user and site as the previous file, no timestamps: the existing entry wins.
    let s = o.import(&dir.join("safari/old-format-login.csv"), &[]);
    assert_eq!(
        (s["imported"].as_u64(), s["merged"].as_u64()),
        (Some(0), Some(1)),
        "{s}"
    );

    let bad = o.import_raw(
        &dir.join("bitwarden/password-protected-encrypted.json"),
        &[],
    );
    assert_eq!(bad.status.code(), Some(1));
    let err = stderr(&bad);
    assert!(
        err.contains("password-protected-encrypted.json")
            && err.contains("encrypted")
            && err.contains("\".json\""),
        "{err}"
    );

    let items = o.export();
    assert_eq!(items.len(), 3);
    let c = item(&items, "www.example.com");
    assert_eq!(
        (
            c["urls"][0].as_str(),
            c["username"].as_str(),
            c["password"].as_str()
        ),
        (
            Some("https://www.example.com/"),
            Some("username@example.com"),
            Some("wpC9qFvsbWQK5Z")
        )
    );
    assert_eq!(
        c["notes"],
        "First line, with a comma\nSecond line with \"quotes\""
    );
    let f = item(&items, "example.com");
    assert_eq!(
        (
            f["urls"][0].as_str(),
            f["username"].as_str(),
            f["password"].as_str()
        ),
        (Some("https://example.com"), Some("foo"), Some("bar"))
    );
    assert_eq!(f["created_at"].as_str().map(|s| s.len() > 10), Some(true));
    let s = item(&items, "example.com (example_user)");
    assert_eq!(
        (s["username"].as_str(), s["password"].as_str()),
        (Some("example_user"), Some("example_p@ssword"))
    );
    assert_eq!(s["notes"], "Example note\nMore notes on new line");
    assert_eq!(s["totp"], "otpauth://totp/test?secret=examplesecret");
}
