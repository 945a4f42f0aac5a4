//! Keeper CSV and JSON.

use super::*;

#[test]
fn keeper_shared_typed_records_map_to_field_spec_types() {
    let Some(dir) = shared_dir() else { return };
    assert_covers(
        &dir,
        "keeper",
        &[
            "record-types-nested-folders-sshkey.json",
            "shared-folders-totp-custom-fields.json",
        ],
    );
    let bytes = read_shared(&dir, "keeper/record-types-nested-folders-sshkey.json");
    assert_eq!(sure("keeper.json", &bytes), ["keeper-json"]);
    let p = parse_as("keeper-json", "keeper.json", &bytes);
    every_source_is(&p, "keeper-json");
    assert_eq!(p.items.len(), 20);

    let amazon = by_title(&p, "Amazon Account");
    assert_eq!(amazon.item_type, "login");
    assert_eq!(
        (amazon.username.as_str(), amazon.password.as_str()),
        ("john.martinez@email.com", "Sp@rkl3Sun!2024")
    );
    assert_eq!(
        amazon.urls,
        [
            "https://www.amazon.com",
            "https://login.amazon.com",
            "https://logout.amazon.com",
            "https://account.amazon.com",
            "https://profile.amazon.com"
        ]
    );
    assert!(amazon
        .totp
        .starts_with("otpauth://totp/totp%40authenticationtest.com?secret=I65VU7K5ZQL7WB4E"));
    assert_eq!(amazon.folder, "Education");
    assert_eq!(amazon.updated_at.as_deref(), Some("2025-11-06T11:32:59Z"));

    let db = by_title(&p, "Production MySQL Database");
    assert_eq!(db.item_type, "database");
    assert_eq!(
        (db.username.as_str(), db.password.as_str()),
        ("db_admin", "SecureDb#2024$Pass")
    );
    assert_eq!(
        (
            typed(db, "db_type"),
            typed(db, "hostname"),
            typed(db, "port")
        ),
        ("MySQL", "db.production.company.com", "3306")
    );
    // `\` separates levels, `\\` is a backslash, `/` inside a name stays in it.
    assert_eq!(db.folder, "Development/Name\u{2215}with\\both\u{2215}slashes/Name\u{2215}with\u{2215}forward\u{2215}slashes/Name\\with\\backslashes");
    assert_eq!(field(db, "Also in Keeper folder").value, "Development/Name\u{2215}with\\both\u{2215}slashes/Name\u{2215}with\u{2215}forward\u{2215}slashes");

    let wifi = by_title(&p, "Home Wi-Fi");
    assert_eq!(
        (
            wifi.item_type.as_str(),
            typed(wifi, "ssid"),
            wifi.password.as_str()
        ),
        ("wifi", "cozy-home-netz", "secure-password-123")
    );
    assert_eq!(wifi.folder, "");

    let ssh = by_title(&p, "Production Server SSH Key");
    assert_eq!(ssh.item_type, "ssh_key");
    assert!(typed(ssh, "private_key").starts_with("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAjvkD1tllDJJLmENOnDZvaviGHg0jGaWwXVzhpNDxfFOn9UgI\n"));
    assert!(typed(ssh, "private_key").ends_with("-----END RSA PRIVATE KEY-----"));
    assert!(typed(ssh, "public_key")
        .starts_with("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCO+QPW2WUMkkuYQ06cNm9q"));
    assert_eq!(typed(ssh, "key_type"), "ssh-rsa");
    // The fixture's README checked this key pair with ssh-keygen; this is `ssh-keygen -lf`'s digest.
    assert_eq!(
        typed(ssh, "fingerprint"),
        "SHA256:tne3SMWpdcfjnOeQNI3a9fiyJzIgsXl1nrKNVgW6ybo"
    );
    assert_eq!(
        (
            field(ssh, "Username").value.as_str(),
            field(ssh, "Hostname").value.as_str(),
            field(ssh, "Port").value.as_str()
        ),
        ("deploy_user", "prod-server.company.com", "22")
    );

    // The network a card's number says is filled in for every importer, by
    // the pipeline's normalize step.
    let visa = clavitor::import::normalize::normalize(by_title(&p, "Chase Visa").clone())
        .expect("not empty");
    let c = visa.card.as_ref().expect("card");
    assert_eq!(
        (
            c.number.as_str(),
            c.expiry.as_str(),
            c.cvv.as_str(),
            c.cardholder.as_str(),
            c.pin.as_str(),
            c.brand.as_str()
        ),
        (
            "4532123456789010",
            "06/2030",
            "347",
            "Sarah Johnson",
            "8426",
            "Visa"
        )
    );
    assert!(visa.fields.is_empty());

    let passport = by_title(&p, "US Passport");
    assert_eq!(passport.item_type, "identity");
    let id = passport.identity.as_ref().expect("identity");
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str(),
            id.passport.as_str()
        ),
        ("Jennifer", "Lynn", "Williams", "543826194")
    );
    let pw = field(passport, "Password");
    assert!(
        pw.hidden && pw.value == "Passport2023!Secure",
        "an identity has no password slot; it is kept concealed"
    );
    // Keeper stores dates as local midnight in epoch ms.
    assert_eq!(field(passport, "Date issued").value, "2023-08-15");
    assert_eq!(
        by_title(&p, "John Doe Birth Certificate").fields[0].value,
        "1990-05-15"
    );

    assert_eq!(
        by_title(&p, "National Identity Card")
            .identity
            .as_ref()
            .map(|i| i.ssn.as_str()),
        Some("ID-7849521")
    );
    assert_eq!(
        by_title(&p, "Oregon Driver's License")
            .identity
            .as_ref()
            .map(|i| i.license.as_str()),
        Some("DL-7482693")
    );
    let home = by_title(&p, "Home Address")
        .identity
        .clone()
        .expect("identity");
    assert_eq!(
        (
            home.address1.as_str(),
            home.address2.as_str(),
            home.city.as_str(),
            home.state.as_str(),
            home.zip.as_str(),
            home.country.as_str()
        ),
        (
            "742 Evergreen Terrace",
            "Apt 3B",
            "Springfield",
            "Oregon",
            "97477",
            "US"
        )
    );
    let chen = by_title(&p, "Dr. Emily Chen")
        .identity
        .clone()
        .expect("identity");
    assert_eq!(
        (
            chen.company.as_str(),
            chen.email.as_str(),
            chen.phone.as_str()
        ),
        (
            "Springfield Medical Center",
            "emily.chen@smc.org",
            "5415558723"
        )
    );

    let bank = by_title(&p, "Wells Fargo Checking");
    assert_eq!(
        (
            bank.item_type.as_str(),
            bank.username.as_str(),
            bank.password.as_str()
        ),
        ("login", "m.thompson@email.com", "BankS3cur3!Pass")
    );
    assert!(field(bank, "Account number").hidden);
    assert_eq!(field(bank, "Routing number").value, "121000248");
    assert_eq!(field(bank, "Name").value, "Michael James Thompson");

    let lic = by_title(&p, "Adobe Creative Cloud");
    assert_eq!(
        (lic.item_type.as_str(), typed(lic, "license_key")),
        ("software_license", "ACDB-7849-2635-1947-8520")
    );
    let notes = by_title(&p, "Important Meeting Notes");
    assert_eq!(notes.item_type, "note");
    assert!(
        notes.notes.starts_with("Q4 2024 Strategic Planning")
            && notes.notes.ends_with("requires follow-up by end of month")
    );
    assert_eq!(
        by_title(&p, "Blue Cross Blue Shield")
            .fields
            .iter()
            .map(|f| f.label.as_str())
            .collect::<Vec<_>>(),
        ["Account number", "Insureds name"]
    );
    assert_eq!(by_title(&p, "Web Server - Production").item_type, "login");
    for t in ["Family Vacation 2024", "Project Proposal Document"] {
        assert_eq!(by_title(&p, t).item_type, "note");
    }
    assert_eq!(
        by_title(&p, "LA Fitness Gym").password,
        "FitLife2024!Strong"
    );
}

#[test]
fn keeper_shared_legacy_json_with_shared_folders_and_tfc_totp() {
    let Some(dir) = shared_dir() else { return };
    let p = parse_as(
        "keeper-json",
        "legacy.json",
        &read_shared(&dir, "keeper/shared-folders-totp-custom-fields.json"),
    );
    assert_eq!(p.items.len(), 3);
    let b1 = by_title(&p, "Bank Account 1");
    assert_eq!(
        (
            b1.username.as_str(),
            b1.password.as_str(),
            b1.notes.as_str()
        ),
        ("customer1234", "4813fJDHF4239fdk", "These are some notes.")
    );
    assert_eq!(
        (b1.urls.as_slice(), b1.folder.as_str()),
        (
            &["https://chase.com".to_string()][..],
            "Optional Private Folder 1"
        )
    );
    assert_eq!(field(b1, "Account Number").value, "123-456-789");
    let b2 = by_title(&p, "Bank Account 2");
    assert_eq!(b2.totp, "otpauth://totp/Amazon:me@company.com?secret=JBSWY3DPEHPK3PXP&issuer=Amazon&algorithm=SHA1&digits=6&period=30");
    assert_eq!(b2.password, "w4k4k193f$^&@#*%2");
    assert_eq!(b2.folder, "Optional Private Folder 1");
    assert_eq!(field(b2, "Also in Keeper folder").value, "My Customer 1");
    assert_eq!(
        (
            field(b2, "Security Group").value.as_str(),
            field(b2, "IP Address").value.as_str()
        ),
        ("Public", "12.45.67.8")
    );
    assert!(
        !b2.fields.iter().any(|f| f.label.contains("TFC")),
        "the TOTP key is not also a field"
    );
    let some = by_title(&p, "Some Account");
    assert_eq!(
        (some.folder.as_str(), some.username.as_str()),
        ("", "someUserName")
    );
}

#[test]
fn keeper_csv_without_header_reads_pairs_and_flattened_typed_values() {
    let rel = "keeper/export-crlf.csv";
    assert_eq!(sure(rel, &sample(rel)), ["keeper-csv"]);
    let p = parse_sample("keeper-csv", rel);
    every_source_is(&p, "keeper-csv");
    assert_eq!(
        p.items.len(),
        6,
        "the blank and comma-only lines are no items"
    );
    let m = by_title(&p, "Mastodon");
    assert_eq!(
        (m.folder.as_str(), m.notes.as_str()),
        ("Social", "Two\nline note")
    );
    assert_eq!(
        m.totp,
        "otpauth://totp/Mastodon:ada?secret=JBSWY3DPEHPK3PXP"
    );
    assert_eq!(field(m, "Recovery email").value, "ada@example.net");
    assert_eq!(
        by_title(&p, "Piggy Bank").folder,
        "Family/Finance/Banks\\Old",
        "shared folder first, #edit#reshare dropped"
    );
    let card = by_title(&p, "Travel card").card.clone().expect("card");
    assert_eq!(
        (
            card.number.as_str(),
            card.expiry.as_str(),
            card.cvv.as_str(),
            card.pin.as_str(),
            card.cardholder.as_str()
        ),
        ("4111111111111111", "04/2027", "123", "0000", "Ada Lovelace")
    );
    let key = by_title(&p, "Deploy key");
    assert_eq!(key.item_type, "ssh_key");
    assert!(typed(key, "private_key").starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
    assert_eq!(typed(key, "passphrase"), "key-passphrase");
    assert_eq!(
        (
            field(key, "Hostname").value.as_str(),
            field(key, "Port").value.as_str()
        ),
        ("build.example.org", "2222")
    );
    let db = by_title(&p, "Orders DB");
    assert_eq!(
        (
            typed(db, "hostname"),
            typed(db, "port"),
            typed(db, "db_type")
        ),
        ("db.example.org", "5432", "PostgreSQL")
    );
    let u = by_title(&p, "Ünïcode 日本");
    assert_eq!(
        (u.username.as_str(), u.password.as_str()),
        ("ユーザー", "пароль")
    );
    assert_eq!(
        u.urls,
        ["https://例え.jp", "https://a.example", "https://b.example"]
    );
    assert_eq!(
        field(u, "Name").value,
        "Ada King Lovelace",
        "`Last, First Middle` is read back"
    );
}

#[test]
fn keeper_csv_header_line_and_bom_are_accepted() {
    let rel = "keeper/export-with-header-bom.csv";
    assert_eq!(sure(rel, &sample(rel)), ["keeper-csv"]);
    let p = parse_sample("keeper-csv", rel);
    assert_eq!(p.items.len(), 1);
    let r = by_title(&p, "Router");
    assert_eq!(
        (
            r.folder.as_str(),
            r.username.as_str(),
            field(r, "Model").value.as_str()
        ),
        ("Home", "admin", "XR-500")
    );
}

#[test]
fn keeper_csv_short_row_is_a_record_error() {
    let csv = "Folder,Title,Login,Password,Website Address,Notes\nWork,Good,u,p,https://x.example,\nWork,Short,u\n";
    let input = Input {
        name: "k.csv",
        bytes: csv.as_bytes(),
    };
    let err = importer("keeper-csv").parse(&input, false).unwrap_err();
    assert!(
        matches!(&err, ImportError::Record { file, record, message }
        if file == "k.csv" && record == "line 3" && message.starts_with("expected at least 6 fields")),
        "{err}"
    );
    let p = importer("keeper-csv").parse(&input, true).expect("skip");
    assert_eq!((p.items.len(), p.skipped.len()), (1, 1));
}

#[test]
fn keeper_json_typed_records_contacts_wifi_and_unknown_types() {
    let p = parse_sample("keeper-json", "keeper/typed-records.json");
    let grace = by_title(&p, "Grace Hopper");
    let id = grace.identity.as_ref().expect("identity");
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str(),
            id.company.as_str()
        ),
        ("Grace", "Brewster", "Hopper", "US Navy")
    );
    assert_eq!(
        (id.phone.as_str(), id.email.as_str(), id.city.as_str()),
        ("(US) 555-0100 ext. 7", "grace@example.mil", "Arlington")
    );
    assert_eq!(
        field(grace, "Phone (Mobile)").value,
        "555-0199",
        "a second phone is kept"
    );
    assert_eq!(
        grace.folder, "Team/Ops/People",
        "shared folder path, then the folder inside it"
    );
    assert_eq!(
        grace.updated_at.as_deref(),
        Some("2023-11-14T22:13:20Z"),
        "last_modified in ms"
    );
    let wifi = by_title(&p, "Guest Wi-Fi");
    assert_eq!(
        (
            typed(wifi, "ssid"),
            typed(wifi, "security"),
            wifi.password.as_str()
        ),
        ("guests", "WPA2", "guest-wifi-pw")
    );
    let shop = by_title(&p, "Shop");
    assert_eq!(shop.totp, "otpauth://totp/Shop:buyer?secret=AAAA");
    assert!(
        field(shop, "One-time code").hidden,
        "a second TOTP is kept, concealed"
    );
    assert_eq!(shop.email, "buyer@example.com");
    assert!(field(shop, "backup codes").hidden);
    assert!(field(shop, "Security answer").hidden && field(shop, "Security answer").value == "Rex");
    assert_eq!(field(shop, "Opened").value, "2024-01-01");
    assert!(
        !shop.fields.iter().any(|f| f.value.contains("file-uid-1")),
        "references to attachments are dropped"
    );
    let odd = by_title(&p, "Odd record");
    assert_eq!(odd.item_type, "note");
    assert_eq!(field(odd, "Poem").value, "roses\nviolets");
    assert_eq!(
        field(odd, "Custom").value,
        r#"{"a":1}"#,
        "unknown structures are kept as JSON"
    );
    assert_eq!(
        by_title(&p, "Gym").item_type,
        "note",
        "no credentials: a note"
    );
}

#[test]
fn keeper_json_bare_array_from_old_commander() {
    let rel = "keeper/legacy-array.json";
    assert_eq!(sure(rel, &sample(rel)), ["keeper-json"]);
    let p = parse_sample("keeper-json", rel);
    let mail = by_title(&p, "Old mail");
    assert_eq!(
        (mail.folder.as_str(), mail.totp.as_str()),
        ("Legacy/Mail", "otpauth://totp/Mail?secret=CCCC")
    );
    assert_eq!(field(mail, "Also in Keeper folder").value, "Shared Stuff");
    assert_eq!(by_title(&p, "Just a note").item_type, "note");
}

#[test]
fn keeper_json_bad_records_name_the_item() {
    let json = r#"{"records":[{"title":"ok","password":"TOPSECRET"},42,{"title":"x","custom_fields":[1]},{"title":{"no":1}}]}"#;
    let input = Input {
        name: "k.json",
        bytes: json.as_bytes(),
    };
    let err = importer("keeper-json").parse(&input, false).unwrap_err();
    assert_eq!(
        err,
        ImportError::Record {
            file: "k.json".into(),
            record: "item 2".into(),
            message: "expected a record object".into()
        }
    );
    let p = importer("keeper-json").parse(&input, true).expect("skip");
    assert_eq!(p.items.len(), 1);
    let reasons: Vec<&str> = p
        .skipped
        .iter()
        .map(|(r, m)| {
            if r == "item 3" {
                m.as_str()
            } else {
                r.as_str()
            }
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "item 2",
            "expected `custom_fields` to be an object",
            "item 4"
        ]
    );
}
