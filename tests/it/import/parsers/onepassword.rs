//! 1Password: 1PUX, loose `export.data`, 1PIF and the CSV dialects.

use super::*;

/// Parses `<stem>.1pux` and `<stem>.export.data`, checks they agree.
fn pux(stem: &str) -> Option<Item> {
    let zipped = parse_shared("1password-1pux", &format!("onepassword/{stem}.1pux"))?;
    let loose = parse_shared("1password-1pux", &format!("onepassword/{stem}.export.data"))?;
    assert_eq!(
        zipped.items, loose.items,
        "{stem}: zip and loose export.data differ"
    );
    Some(only(&zipped).clone())
}

#[test]
fn shared_1pux_logins_passwords_and_servers() {
    let Some(i) = pux("1pux-login") else { return };
    assert_eq!(
        (i.item_type.as_str(), i.title.as_str(), i.folder.as_str()),
        ("login", "eToro", "Personal")
    );
    assert_eq!(
        (i.username.as_str(), i.password.as_str(), i.totp.as_str()),
        ("username123123123@gmail.com", "password!", "otpseed777")
    );
    assert_eq!(i.urls, ["https://www.fakesite.com"]);
    shown(&i, "Create an account", "username123123");
    assert_eq!(i.fields.len(), 1, "checkboxes are form state, not fields");
    assert_eq!(i.created_at.as_deref(), Some("2021-10-29T15:53:53Z"));

    let i = pux("1pux-example-dropbox-login").unwrap();
    assert_eq!(
        (i.title.as_str(), i.password.as_str(), i.favorite),
        ("Dropbox", "most-secure-password-ever!", true)
    );
    assert_eq!(i.urls, ["https://www.dropbox.com/"]);
    assert_eq!(i.notes, "This is a note. *bold*! _italic_!");
    hidden(&i, "PIN", "12345");

    let i = pux("1pux-password").unwrap();
    assert_eq!(
        (i.item_type.as_str(), i.password.as_str()),
        ("login", "GBq[AGb]4*Si3tjwuab^")
    );
    assert_eq!(i.urls, ["https://n0t.y0ur.n0rm4l.w3bs1t3"]);
    assert_eq!(i.notes, "SuperSecret Password Notes");

    let i = pux("1pux-server").unwrap();
    assert_eq!(
        (
            i.item_type.as_str(),
            i.username.as_str(),
            i.password.as_str()
        ),
        ("login", "frankly-notsure", "*&YHJI87yjy78u")
    );
    assert_eq!(i.urls, ["https://coolserver.nullvalue.test"]);
    hidden(&i, "console password", "^%RY&^YUiju8iUYHJI(U");
    shown(&i, "admin console username", "frankly-idontknowwhatimdoing");
    shown(&i, "support phone", "8882569382");

    let i = pux("1pux-email-account").unwrap();
    assert_eq!(
        (i.username.as_str(), i.password.as_str()),
        ("someuser@nullvalue.test", "u1jsf<UI*&YU&^T")
    );
    shown(&i, "SMTP server", "mailserver.nullvalue.test");
    hidden(&i, "password", "(*1674%^UIUJ*UI(IUI8u98uyy");
    shown(&i, "provider", "Telum");
}

#[test]
fn shared_1pux_cards_identities_and_licences() {
    let Some(i) = pux("1pux-credit-card") else {
        return;
    };
    let c = card(&i);
    assert_eq!(i.title, "Parent's Credit Card");
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.brand.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str(),
            c.pin.as_str()
        ),
        (
            "Fred Engels",
            "Discover",
            "6011111111111117",
            "1312",
            "12/2099",
            "1234"
        )
    );
    assert_eq!(i.notes, "My parents' credit card. ");
    assert_eq!(i.urls, ["somebank.com"]);
    shown(&i, "valid from", "01/2001");
    shown(&i, "issuing bank", "Some bank");
    shown(&i, "credit limit", "$1312");
    shown(&i, "tags", "Finance");

    let i = pux("1pux-identity").unwrap();
    let id = identity(&i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str()
        ),
        ("George", "S", "Engels")
    );
    assert_eq!(
        (id.company.as_str(), id.phone.as_str(), id.email.as_str()),
        ("Acme Inc.", "4565555555", "gengels@nullvalue.test")
    );
    assert_eq!(
        (
            id.address1.as_str(),
            id.city.as_str(),
            id.state.as_str(),
            id.zip.as_str(),
            id.country.as_str()
        ),
        ("1312 Main St.", "Atlantis", "California", "90210", "us")
    );
    shown(&i, "username", "gengels");
    shown(&i, "birth date", "1981-01-01");
    shown(&i, "reminder answer", "Me, buddy.");
    shown(&i, "cell", "4585555555");

    assert_eq!(
        identity(&pux("1pux-identity-email-field").unwrap()).email,
        "gengels@nullvalue.test"
    );
    let i = pux("1pux-identity-email-field-prefilled").unwrap();
    assert_eq!(identity(&i).email, "gengels@nullvalue.test");
    shown(&i, "2nd email", "kriddler@nullvalue.test");

    let i = pux("1pux-drivers-license").unwrap();
    let id = identity(&i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.license.as_str()
        ),
        ("Michael", "Scarn", "12345678901")
    );
    assert_eq!(
        (id.address1.as_str(), id.state.as_str(), id.country.as_str()),
        ("2120 Mifflin Rd.", "Pennsylvania", "United States")
    );
    shown(&i, "height", "5'11\"");
    shown(&i, "expiry date", "12/2030");
    shown(&i, "license class", "C");

    let i = pux("1pux-passport").unwrap();
    let id = identity(&i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.passport.as_str()
        ),
        ("David", "Global", "76436847")
    );
    assert_eq!(id.country, "United States of America");
    shown(&i, "issuing authority", "Department of State");
    shown(&i, "tags", "Travel");

    let i = pux("1pux-ssn").unwrap();
    let id = identity(&i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.ssn.as_str()
        ),
        ("Jack", "Judd", "131-216-1900")
    );
    assert!(i.favorite);

    let i = pux("1pux-outdoor-license").unwrap();
    let id = identity(&i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.state.as_str()
        ),
        ("Cash", "Bandit", "Washington")
    );
    shown(&i, "approved wildlife", "Bananas,blueberries,corn");
    shown(&i, "expires", "2044-04-01");

    let i = pux("1pux-software-license").unwrap();
    assert_eq!(i.item_type, "software_license");
    assert_eq!(i.typed["license_key"], "265453-13457355-847327");
    assert_eq!(i.typed["version"], "5.10.1000");
    assert_eq!(i.typed["publisher"], "Limux Software and Hardware");
    assert_eq!(i.typed["purchase_date"], "2021-04-01");
    assert_eq!(i.email, "kriddler@nullvalue.test");
    assert_eq!(i.urls, ["https://limuxcompany.nullvalue.test/"]);
    shown(
        &i,
        "download page",
        "https://limuxcompany.nullvalue.test/5.10.1000/isos",
    );
    shown(&i, "support email", "support@nullvalue.test");

    let i = pux("1pux-login-email-field").unwrap();
    assert_eq!(
        (i.item_type.as_str(), i.email.as_str(), i.favorite),
        ("software_license", "kriddler@nullvalue.test", true)
    );
}

#[test]
fn shared_1pux_typed_and_note_categories() {
    let Some(i) = pux("1pux-database") else {
        return;
    };
    assert_eq!(
        (
            i.item_type.as_str(),
            i.username.as_str(),
            i.password.as_str()
        ),
        ("database", "cooldbuser", "^+kTjhLaN7wVPAhGU)*J")
    );
    assert_eq!(
        [
            &i.typed["db_type"],
            &i.typed["hostname"],
            &i.typed["port"],
            &i.typed["database"]
        ],
        ["postgresql", "my.secret.db.server", "1337", "user_database"]
    );
    shown(&i, "SID", "ASDIUFU-283234");

    let i = pux("1pux-wireless-router").unwrap();
    assert_eq!(
        (i.item_type.as_str(), i.password.as_str()),
        ("wifi", "wifipassword")
    );
    assert_eq!(
        (i.typed["ssid"].as_str(), i.typed["security"].as_str()),
        ("some network name", "WPA")
    );
    hidden(&i, "base station password", "BqatGTVQ9TCN72tLbjrsHqkb");
    hidden(&i, "attached storage password", "diskpassword");
    shown(&i, "server / ip address", "127.0.0.1");

    let i = pux("1pux-api-credential").unwrap();
    assert_eq!(
        (i.item_type.as_str(), i.username.as_str()),
        ("api_key", "apiuser@nullvalue.test")
    );
    assert_eq!(
        (i.typed["key"].as_str(), i.typed["service"].as_str()),
        ("apiapiapiapiapiapiappy", "not.your.everyday.hostname")
    );
    shown(&i, "filename", "filename.jwt");
    shown(&i, "valid from", "2011-04-04");

    let i = pux("1pux-bank-account").unwrap();
    assert_eq!(
        (i.item_type.as_str(), i.notes.as_str()),
        ("note", "My Bank Account")
    );
    shown(&i, "bank name", "Super Credit Union");
    shown(&i, "routing number", "111000999");
    hidden(&i, "account number", "192837465918273645");
    hidden(&i, "IBAN", "DE12 123456");
    hidden(&i, "PIN", "5555");
    shown(&i, "address", "1 Fifth Avenue");

    let i = pux("1pux-membership").unwrap();
    assert_eq!((i.item_type.as_str(), i.favorite), ("note", true));
    assert_eq!(i.urls, ["https://npl.nullvalue.gov.test"]);
    shown(&i, "member ID", "64783862");
    shown(&i, "member since", "01/1999");
    hidden(&i, "PIN", "19191");

    let i = pux("1pux-rewards-program").unwrap();
    assert_eq!(i.urls, ["supercoolstore.com"]);
    shown(&i, "member ID", "member-29813569");
    hidden(&i, "PIN", "99913");

    let i = pux("1pux-medical-record").unwrap();
    assert_eq!(i.item_type, "note");
    shown(&i, "medication", "Insuline");
    shown(&i, "date", "2022-01-01");

    let i = pux("1pux-secure-note").unwrap();
    assert_eq!(i.item_type, "note");
    assert_eq!(i.notes, "This is my secure note. \n\nLorem ipsum expecto patronum. \nThe quick brown fox jumped over the lazy dog. ");
}

#[test]
fn shared_1pux_full_export_skips_the_trashed_document() {
    let Some(p) = parse_shared(
        "1password-1pux",
        "onepassword/1pux-sanitized-full-export.1pux",
    ) else {
        return;
    };
    let loose = parse_shared(
        "1password-1pux",
        "onepassword/1pux-sanitized-full-export.export.data",
    )
    .unwrap();
    assert_eq!(p.items, loose.items);
    assert_eq!(p.items.len(), 27);
    assert_eq!(
        p.skipped,
        vec![("item 4".to_string(), "in trash".to_string())]
    );
    assert!(p.items.iter().all(|i| i.title != "PDF Document"));
    let hulu = by_title(&p, "Hulu");
    assert_eq!(
        (hulu.username.as_str(), hulu.totp.as_str(), hulu.favorite),
        ("huluuser@nullvalue.test", "otpseed777", true)
    );
    assert_eq!(hulu.folder, "T's Test Vault");
    let welcome = by_title(&p, "🎉 Welcome to 1Password!");
    assert_eq!(
        (welcome.item_type.as_str(), welcome.folder.as_str()),
        ("note", "Personal")
    );
    shown(
        welcome,
        "Watch videos",
        "https://youtube.com/1PasswordVideos",
    );
    let types: std::collections::BTreeSet<&str> =
        p.items.iter().map(|i| i.item_type.as_str()).collect();
    for t in [
        "login",
        "card",
        "identity",
        "note",
        "database",
        "wifi",
        "api_key",
        "software_license",
    ] {
        assert!(types.contains(t), "{t}");
    }
}

#[test]
fn shared_1pif_items() {
    let Some(p) = parse_shared("1password-1pif", "onepassword/1pif-identity.1pif") else {
        return;
    };
    let i = only(&p);
    let id = identity(i);
    assert_eq!(i.title, "Test Identity");
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str()
        ),
        ("Frank", "MD", "Fritzenberger")
    );
    assert_eq!(
        (id.company.as_str(), id.email.as_str(), id.phone.as_str()),
        ("Web Inc.", "test@web.de", "+49 001 222 333 44")
    );
    assert_eq!(
        (
            id.address1.as_str(),
            id.city.as_str(),
            id.zip.as_str(),
            id.country.as_str()
        ),
        ("Mainstreet 1", "Berlin", "223344", "de")
    );
    shown(i, "occupation", "Engineer");
    shown(i, "home", "+49 333 222 111");
    assert_eq!(i.updated_at.as_deref(), Some("2019-03-23T18:31:34Z"));

    let p = parse_shared(
        "1password-1pif",
        "onepassword/1pif-login-with-section-and-history.1pif",
    )
    .unwrap();
    let i = only(&p);
    assert_eq!(
        (i.title.as_str(), i.username.as_str(), i.password.as_str()),
        ("Imported Entry", "user@test.net", "myservicepassword")
    );
    assert_eq!(i.urls, ["https://www.google.com"]);
    hidden(i, "console password", "console-password-123");

    let p = parse_shared(
        "1password-1pif",
        "onepassword/1pif-windows-opvault-login-history.1pif",
    )
    .unwrap();
    let i = only(&p);
    assert_eq!(
        (i.title.as_str(), i.username.as_str(), i.password.as_str()),
        ("Google", "googluser", "12345678901")
    );
    assert_eq!(i.urls, ["google.com"]);
    assert_eq!(i.notes, "This is a note\r\n\r\nline1\r\nline2");
    shown(i, "fgggf", "fgfg");
    hidden(i, "pwfield", "dfgdfgfdg");
}

#[test]
fn shared_1password_csv_mac_and_windows() {
    let Some(p) = parse_shared("1password-csv", "onepassword/csv-mac-credit-card.csv") else {
        return;
    };
    let c = card(only(&p));
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.brand.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("test", "Laser", "4111111111111111", "111", "01/2030")
    );
    assert_eq!(only(&p).created_at.as_deref(), Some("2020-12-02T15:44:29Z"));

    let p = parse_shared("1password-csv", "onepassword/csv-mac-identity.csv").unwrap();
    let i = only(&p);
    let id = identity(i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str()
        ),
        ("first name", "mi", "last name")
    );
    assert_eq!(
        (id.company.as_str(), id.email.as_str(), id.phone.as_str()),
        ("bitwarden", "email@bitwarden.com", "8005555555")
    );
    assert_eq!(
        (id.address1.as_str(), id.address2.as_str()),
        ("address", "city state zip, United States")
    );
    assert!(i.notes.contains("🖐"));
    shown(i, "tags", "Starter Kit");
    shown(i, "username", "userNam3");

    let p = parse_shared("1password-csv", "onepassword/csv-mac-multiple-items.csv").unwrap();
    let types: Vec<&str> = p.items.iter().map(|i| i.item_type.as_str()).collect();
    assert_eq!(types, ["note", "identity", "card", "login"]);
    let login = by_title(&p, "1Password Account");
    assert_eq!(
        (login.username.as_str(), login.password.as_str()),
        ("email@bitwarden.com", "the account's password")
    );
    assert_eq!(login.urls, ["https://my.1password.com"]);

    let p = parse_shared("1password-csv", "onepassword/csv-windows-credit-card.csv").unwrap();
    let i = only(&p);
    let c = card(i);
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("test", "4111111111111111", "111", "01/1970")
    );
    shown(i, "label", "field (phone)");

    let p = parse_shared("1password-csv", "onepassword/csv-windows-identity.csv").unwrap();
    let i = only(&p);
    let id = identity(i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.company.as_str()
        ),
        ("first name", "last name", "bitwarden")
    );
    assert_eq!(
        (id.address1.as_str(), id.phone.as_str(), id.email.as_str()),
        (
            "address city state zip us",
            "8005555555",
            "email@bitwarden.com"
        )
    );
    shown(i, "birth date", "12/2/2020 4:01 AM");
    shown(
        i,
        "💡 Did you know?: section field",
        "https://support.1password.com/credit-card-address-filling/",
    );

    let p = parse_shared(
        "1password-csv",
        "onepassword/csv-windows-multiple-items.csv",
    )
    .unwrap();
    let types: Vec<&str> = p.items.iter().map(|i| i.item_type.as_str()).collect();
    assert_eq!(types, ["login", "identity", "card", "note"]);
    let login = by_title(&p, "1Password Account");
    assert_eq!(login.email, "email@bitwarden.com");
    hidden(login, "secret key", "the account's secret key");
    hidden(
        login,
        "account key",
        "A3-76TR2N-NJG3TZ-9NXFX-WT8GF-6YQC9-R2659",
    );
    shown(
        by_title(&p, "🎉 Welcome to 1Password!"),
        "watch videos",
        "https://youtube.com/1PasswordVideos",
    );
}

#[test]
fn own_1pux_and_loose_export_data() {
    let zipped = parse("1password-1pux", &own("onepassword/sample.1pux"));
    let loose = parse("1password-1pux", &own("onepassword/sample.export.data"));
    assert_eq!(zipped.items, loose.items);
    assert_eq!(
        zipped.skipped,
        vec![("item 3".to_string(), "in trash".to_string())]
    );
    let mail = by_title(&zipped, "Example Mail 📧");
    assert_eq!(
        mail.totp,
        "otpauth://totp/Example:ada?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
    assert_eq!(
        mail.urls,
        [
            "https://mail.example.invalid/login",
            "https://webmail.example.invalid"
        ]
    );
    assert_eq!(
        (mail.password.as_str(), mail.favorite),
        ("correct horse ✓ battery", true)
    );
    hidden(mail, "recovery codes", "1111-2222\n3333-4444");
    assert_eq!(
        by_title(&zipped, "Archived Forum").password,
        "old-pass",
        "archived items are imported"
    );
    let ssh = by_title(&zipped, "Laptop SSH key");
    assert_eq!(ssh.item_type, "ssh_key");
    assert!(ssh.typed["private_key"].starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    assert_eq!(
        (
            ssh.typed["key_type"].as_str(),
            ssh.typed["fingerprint"].as_str()
        ),
        ("ed25519", "SHA256:abcdefExample")
    );
    let wallet = by_title(&zipped, "Cold wallet");
    assert_eq!(wallet.typed["address"], "bc1qexampleaddress");
    assert!(wallet.typed["seed_phrase"].starts_with("abandon ability"));
    hidden(wallet, "password", "wallet-pass");
    assert_eq!(
        card(by_title(&zipped, "Household card")).brand,
        "Mastercard"
    );
    let zoe = by_title(&zipped, "Zoë (日本語)");
    assert_eq!(
        (identity(zoe).city.as_str(), zoe.folder.as_str()),
        ("Zürich", "Shared ⚙")
    );
    shown(zoe, "birth date", "1969-12-31");
    shown(
        by_title(&zipped, "Lease"),
        "document",
        "lease.pdf (file not imported)",
    );
}

#[test]
fn own_1pif_folders_trash_and_crlf() {
    let p = parse("1password-1pif", &own("onepassword/sample.1pif"));
    assert_eq!(p.items.len(), 3);
    assert_eq!(
        p.skipped,
        vec![
            ("line 1".into(), "a folder, not an item".into()),
            ("line 3".into(), "a folder, not an item".into()),
            ("line 9".into(), "in trash".into()),
            ("line 11".into(), "in trash".into())
        ]
    );
    let ci = by_title(&p, "Build server");
    assert_eq!((ci.folder.as_str(), ci.favorite), ("Work/Servers", true));
    assert_eq!(ci.password, "s3cr3t \"quoted\"");
    assert_eq!(ci.totp, "otpauth://totp/ci?secret=GEZDGNBVGY3TQOJQ");
    assert_eq!(
        ci.urls,
        [
            "https://ci.example.invalid/login",
            "https://api.ci.example.invalid"
        ]
    );
    shown(ci, "tags", "ci, infra");
    let c = card(by_title(&p, "Old Visa"));
    assert_eq!(
        (c.expiry.as_str(), c.pin.as_str(), c.brand.as_str()),
        ("04/2027", "4321", "Visa")
    );
    let wifi = by_title(&p, "Wi-Fi at café");
    assert_eq!(
        (
            wifi.password.as_str(),
            wifi.folder.as_str(),
            wifi.notes.as_str()
        ),
        ("pässwörd", "Work", "ünïcödé")
    );
}

#[test]
fn own_1password_csv_variants() {
    let p = parse("1password-csv", &own("onepassword/1password8.csv"));
    assert_eq!(p.items.len(), 3, "empty rows are ignored");
    let bank = by_title(&p, "Bank of Example");
    assert_eq!(
        (bank.password.as_str(), bank.favorite),
        ("pa,ss\"word", true)
    );
    assert_eq!(bank.notes, "Call +1 555 0100\r\nif locked out");
    shown(bank, "tags", "Finance, Important");
    assert_eq!(
        by_title(&p, "Ærøskøbing Ferry 🚢").username,
        "øre@example.invalid"
    );
    assert_eq!(by_title(&p, "Just a note").item_type, "note");

    let p = parse("1password-csv", &own("onepassword/mac-subset.csv"));
    let db = by_title(&p, "Team DB");
    assert_eq!(
        (
            db.item_type.as_str(),
            db.password.as_str(),
            db.notes.as_str()
        ),
        ("database", "db\"pass\"", "Read replica \"eu-1\"")
    );
    assert_eq!(
        (db.typed["hostname"].as_str(), db.typed["port"].as_str()),
        ("db.example.invalid", "5432")
    );
    shown(db, "tags", "Work");
    assert_eq!(card(by_title(&p, "Travel card")).brand, "American Express");
    assert_eq!(identity(by_title(&p, "Me")).email, "ada@example.invalid");
}
