//! Proton Pass JSON, ZIP and CSV.

use super::*;

#[test]
fn protonpass_shared_fixtures_json_and_zip_agree() {
    let Some(dir) = shared_dir() else { return };
    let stems = [
        "identity-and-alias-only",
        "two-vaults-login-note-card-identity-alias",
        "two-vaults-with-custom-and-sshkey-items",
    ];
    let files: Vec<String> = stems
        .iter()
        .flat_map(|s| [format!("{s}.json"), format!("{s}.zip")])
        .collect();
    assert_covers(
        &dir,
        "protonpass",
        &files.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    for s in stems {
        let json = read_shared(&dir, &format!("protonpass/{s}.json"));
        let zip = read_shared(&dir, &format!("protonpass/{s}.zip"));
        assert_eq!(sure("data.json", &json), ["protonpass-json"]);
        assert_eq!(sure("export.zip", &zip), ["protonpass-zip"]);
        let a = parse_as("protonpass-json", "data.json", &json);
        let b = parse_as("protonpass-zip", "export.zip", &zip);
        every_source_is(&a, "protonpass-json");
        every_source_is(&b, "protonpass-zip");
        let strip = |p: &Parsed| {
            p.items
                .iter()
                .cloned()
                .map(|mut i| {
                    i.source.clear();
                    i
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&a), strip(&b), "{s}: the ZIP holds the same JSON");
    }

    let p = parse_as(
        "protonpass-json",
        "two.json",
        &read_shared(
            &dir,
            "protonpass/two-vaults-login-note-card-identity-alias.json",
        ),
    );
    assert_eq!(
        p.items.len(),
        6,
        "the trashed note is skipped; the alias is kept"
    );
    assert_eq!(p.skipped, [("item 4".to_string(), "in trash".to_string())]);
    let login = by_title(&p, "Test Login - Personal Vault");
    assert_eq!(
        (
            login.username.as_str(),
            login.email.as_str(),
            login.password.as_str()
        ),
        ("Username", "Email", "Password")
    );
    assert_eq!(
        login.urls,
        ["https://example.com/", "https://example2.com/"]
    );
    assert!(login
        .totp
        .starts_with("otpauth://totp/Test%20Login%20-%20Personal%20Vault:Username?"));
    assert_eq!(
        (login.notes.as_str(), login.folder.as_str(), login.favorite),
        ("My login secure note.", "Personal", true)
    );
    assert_eq!(
        (login.created_at.as_deref(), login.updated_at.as_deref()),
        (Some("2023-07-12T17:27:48Z"), Some("2023-07-12T17:27:48Z"))
    );
    assert!(!field(login, "non-hidden field").hidden);
    assert!(field(login, "hidden field").hidden);
    let second = field(login, "second 2fa secret");
    assert!(second.hidden && second.value == "TOTPCODE");
    let note = by_title(&p, "My Secure Note");
    assert_eq!(
        (note.item_type.as_str(), note.notes.as_str()),
        ("note", "Secure note contents.")
    );
    assert!(field(note, "note hidden field").hidden);
    let card = by_title(&p, "Test Card");
    let c = card.card.as_ref().expect("card");
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str(),
            c.pin.as_str()
        ),
        ("Test name", "1234222233334444", "333", "01/2025", "1234")
    );
    assert_eq!(field(card, "card text field").value, "card text value");
    let ident = by_title(&p, "Identity");
    let id = ident.identity.as_ref().expect("identity");
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str()
        ),
        ("Test", "1", "Test")
    );
    assert_eq!(
        (id.email.as_str(), id.phone.as_str(), id.company.as_str()),
        ("test@gmail.com", "7507951789", "Bitwarden")
    );
    assert_eq!(
        (
            id.address1.as_str(),
            id.zip.as_str(),
            id.city.as_str(),
            id.state.as_str(),
            id.country.as_str()
        ),
        ("23 Street", "4038456", "New York", "Test", "US")
    );
    assert_eq!(
        (id.ssn.as_str(), id.passport.as_str(), id.license.as_str()),
        ("98378264782", "7173716378612", "21234")
    );
    for (label, value, hidden) in [
        ("Floor", "12th Foor", false),
        ("Job title", "Engineer", false),
        ("X handle", "@twiter", false),
        ("TestPersonal", "Personal", false),
        ("TestContact", "Contact", true),
        ("TestWork", "Work", true),
        ("TestSectionHidden", "SectionHidden", true),
        ("TestExtra", "Extra", false),
    ] {
        let f = field(ident, label);
        assert_eq!((f.value.as_str(), f.hidden), (value, hidden), "{label}");
    }
    let alias = by_title(&p, "Alias");
    assert_eq!(
        (
            alias.item_type.as_str(),
            field(alias, "Alias email").value.as_str()
        ),
        ("note", "alias.removing005@passinbox.com")
    );
    let other = by_title(&p, "Other vault login");
    assert_eq!(
        (
            other.folder.as_str(),
            other.email.as_str(),
            other.totp.as_str()
        ),
        ("Test", "other vault username", "JBSWY3DPEHPK3PXP")
    );

    let p = parse_as(
        "protonpass-json",
        "three.json",
        &read_shared(
            &dir,
            "protonpass/two-vaults-with-custom-and-sshkey-items.json",
        ),
    );
    let custom = by_title(&p, "Custom Item");
    assert_eq!(
        (custom.item_type.as_str(), custom.notes.as_str()),
        ("note", "custom item note")
    );
    assert_eq!(field(custom, "SectionField").value, "section value");
    assert!(field(custom, "PIN").hidden);
    let ssh = by_title(&p, "SSH Key Item");
    assert_eq!(ssh.item_type, "ssh_key");
    assert_eq!(
        typed(ssh, "private_key"),
        "-----BEGIN PRIVATE KEY-----\nPRIVATEKEYCONTENT\n-----END PRIVATE KEY-----\n"
    );
    assert_eq!(
        (typed(ssh, "public_key"), typed(ssh, "key_type")),
        ("ssh-ed25519 AAAAPUBLICKEY", "ssh-ed25519")
    );
    assert_eq!(field(ssh, "Host").value, "example.com");

    let p = parse_as(
        "protonpass-zip",
        "id.zip",
        &read_shared(&dir, "protonpass/identity-and-alias-only.zip"),
    );
    assert_eq!(
        p.items
            .iter()
            .map(|i| i.item_type.as_str())
            .collect::<Vec<_>>(),
        ["identity", "note"]
    );
}

#[test]
fn protonpass_own_json_zip_old_usernames_passkeys_wifi_and_unknown_types() {
    let json = parse_sample("protonpass-json", "protonpass/export.json");
    let zip = parse_sample("protonpass-zip", "protonpass/export.zip");
    assert_eq!(json.items.len(), zip.items.len());
    for p in [&json, &zip] {
        assert_eq!(p.skipped, [("item 3".to_string(), "in trash".to_string())]);
        let old = by_title(p, "Old-style login");
        assert_eq!(
            (
                old.email.as_str(),
                old.username.as_str(),
                old.folder.as_str()
            ),
            ("old@example.com", "", "Famille 👪")
        );
        let pk = by_title(p, "Passkey site");
        assert!(field(pk, "Passkey").hidden);
        assert_eq!(
            pk.totp, "otpauth://totp/x?secret=DDDD",
            "a TOTP extra field fills an empty TOTP"
        );
        assert_eq!(field(pk, "Birthday").value, "1990-07-22");
        let wifi = by_title(p, "Office Wi-Fi");
        assert_eq!(
            (
                wifi.item_type.as_str(),
                typed(wifi, "ssid"),
                wifi.password.as_str()
            ),
            ("wifi", "office", "wifi-pw")
        );
        assert_eq!(
            wifi.folder, "Work\u{2215}Clients",
            "a vault name is one folder level"
        );
        let future = by_title(p, "Future thing");
        assert_eq!(
            (
                future.item_type.as_str(),
                field(future, "beam").value.as_str()
            ),
            ("note", "on")
        );
    }
}

#[test]
fn protonpass_csv_current_and_old_headers() {
    let rel = "protonpass/export-bom-crlf.csv";
    assert_eq!(sure(rel, &sample(rel)), ["protonpass-csv"]);
    let p = parse_sample("protonpass-csv", rel);
    every_source_is(&p, "protonpass-csv");
    let mail = by_title(&p, "Mail");
    assert_eq!(
        mail.urls,
        ["https://mail.example", "https://webmail.example"]
    );
    assert_eq!(
        (
            mail.email.as_str(),
            mail.username.as_str(),
            mail.password.as_str()
        ),
        ("jo@example.com", "jo", "mail-pw")
    );
    assert_eq!(
        (mail.notes.as_str(), mail.folder.as_str()),
        ("line1\nline2", "Personal")
    );
    assert_eq!(mail.updated_at.as_deref(), Some("2024-02-12T10:55:49Z"));
    let card = by_title(&p, "Card");
    let c = card.card.as_ref().expect("card from the JSON note");
    assert_eq!(
        (
            c.number.as_str(),
            c.expiry.as_str(),
            c.pin.as_str(),
            card.notes.as_str(),
            card.folder.as_str()
        ),
        (
            "4242424242424242",
            "02/2026",
            "1111",
            "card note",
            "Second vault"
        )
    );
    let jo = by_title(&p, "Jo");
    let id = jo.identity.as_ref().expect("identity from the JSON note");
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str(),
            id.ssn.as_str()
        ),
        ("Jo", "Q", "Doe", "000-00-0000")
    );
    assert_eq!(
        (jo.notes.as_str(), field(jo, "Nickname").value.as_str()),
        ("id note", "JD")
    );
    assert_eq!(
        field(by_title(&p, "Alias for shop"), "Alias email").value,
        "shop.x1@passmail.example"
    );
    assert_eq!(by_title(&p, "Ünïcödé ✓").notes, "日本語のメモ");
    let broken = by_title(&p, "Broken card");
    assert_eq!(
        (broken.item_type.as_str(), broken.notes.as_str()),
        ("note", "not json at all"),
        "a card without its JSON stays a note"
    );

    let p = parse_sample(
        "protonpass-csv",
        "protonpass/export-old-no-email-no-vault.csv",
    );
    let old = by_title(&p, "Old");
    assert_eq!(
        (
            old.email.as_str(),
            old.username.as_str(),
            old.folder.as_str()
        ),
        ("old@example.com", "", "")
    );
    assert_eq!(by_title(&p, "Handle").username, "handle_only");
}

#[test]
fn protonpass_encrypted_exports_are_refused_with_advice() {
    for (format, rel) in [
        ("protonpass-zip", "protonpass/encrypted.pgp"),
        ("protonpass-zip", "protonpass/encrypted.zip"),
        ("protonpass-json", "protonpass/encrypted.pgp"),
    ] {
        let err = importer(format)
            .parse(
                &Input {
                    name: rel,
                    bytes: &sample(rel),
                },
                false,
            )
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(rel) && msg.contains("encrypted") && msg.contains("export again"),
            "{msg}"
        );
    }
    let json = br#"{"version":"1.2","userId":"u","encrypted":true,"vaults":{}}"#;
    let err = importer("protonpass-json")
        .parse(
            &Input {
                name: "e.json",
                bytes: json,
            },
            false,
        )
        .unwrap_err();
    assert!(err.to_string().contains("encryption turned off"), "{err}");
}

#[test]
fn protonpass_truncated_and_oversized_zips_are_file_errors() {
    let bytes = sample("protonpass/export.zip");
    for cut in [bytes.len() / 2, bytes.len() - 10, 30] {
        let err = importer("protonpass-zip")
            .parse(
                &Input {
                    name: "cut.zip",
                    bytes: &bytes[..cut],
                },
                false,
            )
            .unwrap_err();
        assert!(
            matches!(&err, ImportError::File { file, message } if file == "cut.zip" && message.contains("truncated")),
            "{err}"
        );
    }
    // A member claiming 65 MiB is refused before inflating.
    let mut big = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(&mut big);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("Proton Pass/data.json", opts).expect("start");
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..65 {
            w.write_all(&chunk).expect("write");
        }
        w.finish().expect("finish");
    }
    let bytes = big.into_inner();
    let err = importer("protonpass-zip")
        .parse(
            &Input {
                name: "big.zip",
                bytes: &bytes,
            },
            false,
        )
        .unwrap_err();
    assert!(err.to_string().contains("larger than 64 MiB"), "{err}");
}
