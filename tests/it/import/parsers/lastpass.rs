//! LastPass CSV: logins, cards and typed secure notes.

use super::*;

#[test]
fn shared_lastpass_logins_and_cards() {
    let Some(p) = parse_shared("lastpass-csv", "lastpass/login-totp-indented-row.csv") else {
        return;
    };
    let i = only(&p);
    assert_eq!(
        (
            i.item_type.as_str(),
            i.title.as_str(),
            i.username.as_str(),
            i.password.as_str()
        ),
        ("login", "example.com", "someUser", "myPassword")
    );
    assert_eq!(i.urls, ["http://example.com"]);
    assert_eq!(
        (i.totp.as_str(), i.notes.as_str()),
        ("Y64VEVMBTSXCYIWRSHRNDZW62MPGVU2G", "super secure notes")
    );

    let p = parse_shared("lastpass-csv", "lastpass/card-full-expiration.csv").unwrap();
    let i = only(&p);
    let c = card(i);
    assert_eq!(i.title, "Credit-card");
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("John Doe", "1234567812345678", "123", "06/2020")
    );
    assert_eq!(i.notes, "some text\n");
    shown(i, "Start Date", "10/2017");

    let c = card(only(
        &parse_shared("lastpass-csv", "lastpass/card-no-exp-month.csv").unwrap(),
    ))
    .clone();
    assert_eq!(
        (
            c.brand.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("Mastercard", "8765432112345678", "987", "2020")
    );
    let c = card(only(
        &parse_shared("lastpass-csv", "lastpass/card-no-exp-year.csv").unwrap(),
    ))
    .clone();
    assert_eq!(
        (
            c.brand.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("Visa", "1234567887654321", "321", "01")
    );

    let p = parse_shared("lastpass-csv", "lastpass/card-blank-fields.csv").unwrap();
    let i = only(&p);
    assert_eq!(
        (i.title.as_str(), card(i).clone()),
        ("empty", Default::default())
    );
    assert!(
        i.fields.is_empty(),
        "blank date pickers are not fields: {:?}",
        i.fields
    );
}

#[test]
fn shared_lastpass_typed_secure_notes() {
    let Some(p) = parse_shared("lastpass-csv", "lastpass/bank-account-securenote.csv") else {
        return;
    };
    let i = only(&p);
    assert_eq!(
        (i.item_type.as_str(), i.title.as_str(), i.folder.as_str()),
        ("note", "Test Bank Account", "Tools Test Items")
    );
    shown(i, "Bank Name", "Bank of the Shire");
    shown(i, "Routing Number", "123456");
    hidden(i, "Account Number", "1234567890");
    hidden(i, "IBAN Number", "1234");
    hidden(i, "Pin", "1111");
    shown(
        i,
        "Branch Address",
        "1 Main Street, Bree, Bree-hill, Eriador",
    );
    assert!(i.fields.iter().all(|f| f.label != "Language"));

    let p = parse_shared("lastpass-csv", "lastpass/drivers-license-securenote.csv").unwrap();
    let i = only(&p);
    let id = identity(i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.license.as_str()
        ),
        ("Bilbo", "Baggins", "1234567890")
    );
    assert_eq!(
        (
            id.address1.as_str(),
            id.city.as_str(),
            id.state.as_str(),
            id.zip.as_str(),
            id.country.as_str()
        ),
        (
            "Bag End, Bagshot Row, Underhill",
            "Hobbiton",
            "Westfarthing",
            "00000",
            "The Shire"
        )
    );
    shown(i, "Height", "4'0\"");
    shown(i, "Date of Birth", "2890-09-22");
    shown(i, "Expiration Date", "2926-09-22");
    shown(i, "License Class", "D");

    let p = parse_shared("lastpass-csv", "lastpass/passport-securenote.csv").unwrap();
    let i = only(&p);
    let id = identity(i);
    assert_eq!(
        (
            id.first_name.as_str(),
            id.last_name.as_str(),
            id.passport.as_str(),
            id.country.as_str()
        ),
        ("Bilbo", "Baggins", "1234567890", "The Shire")
    );
    shown(i, "Type", "Shire Passport");
    shown(i, "Issued Date", "2941-06-19");
    shown(i, "Nationality", "Shire-folk");
}

#[test]
fn own_lastpass_samples() {
    let p = parse("lastpass-csv", &own("lastpass/export.csv"));
    // Lines: header 1, a two-line record 2-3, blank 4, 5, a two-line note 6-7.
    assert_eq!(
        p.skipped,
        vec![(
            "line 8".into(),
            "empty folder placeholder (http://group)".into()
        )]
    );
    let gh = by_title(&p, "GitHub");
    assert_eq!(
        (gh.folder.as_str(), gh.favorite, gh.password.as_str()),
        ("Work/Dev", true, "p@ss,word")
    );
    assert_eq!(gh.notes, "Recovery codes in the safe.\r\nSecond line");
    let b = by_title(&p, "Bäckerei Müller 🥐");
    assert_eq!(
        b.urls,
        ["https://bäckerei.example.invalid"],
        "indented row is trimmed"
    );
    assert_eq!(
        by_title(&p, "Wi-Fi guest password").notes,
        "Plain secure note\nwith two lines"
    );
    let home = by_title(&p, "Home address");
    let id = identity(home);
    assert_eq!(
        (id.phone.as_str(), id.address2.as_str(), id.zip.as_str()),
        ("2079460000", "Floor 2, Door B", "SW1Y 4JH")
    );
    let ssh = by_title(&p, "Bastion key");
    assert_eq!(ssh.typed["private_key"], "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----");
    assert_eq!(
        (ssh.typed["passphrase"].as_str(), ssh.folder.as_str()),
        ("hunter2", "Infra/SSH")
    );
    shown(ssh, "Date", "2021-03-03");
    let wifi = by_title(&p, "Home Wi-Fi");
    assert_eq!(
        (
            wifi.typed["ssid"].as_str(),
            wifi.password.as_str(),
            wifi.typed["security"].as_str()
        ),
        ("Lovelace-5G", "wifi-pass", "WPA2PSK")
    );
    let db = by_title(&p, "App DB");
    assert_eq!(
        (
            db.username.as_str(),
            db.password.as_str(),
            db.typed["port"].as_str()
        ),
        ("app_user", "db-pass", "5432")
    );
    let lic = by_title(&p, "Editor licence");
    assert_eq!(
        (
            lic.typed["license_key"].as_str(),
            lic.typed["purchase_date"].as_str()
        ),
        ("ABCD-EFGH-IJKL", "2024-01-15")
    );
    assert_eq!(identity(by_title(&p, "SSN")).ssn, "078-05-1120");
    hidden(by_title(&p, "Health cover"), "Pin", "2468");

    let p = parse("lastpass-csv", &own("lastpass/no-totp-column.csv"));
    assert_eq!(by_title(&p, "Old site").notes, "note with \"quotes\"");
    let none = by_title(&p, "No URL entry");
    assert!(none.urls.is_empty());
    assert_eq!(none.folder, "Misc/Sub/Deeper");
}
