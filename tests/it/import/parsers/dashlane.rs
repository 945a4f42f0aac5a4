//! Dashlane: the CSV files, their ZIP, and the JSON export.

use super::*;

#[test]
fn shared_dashlane_csv_files() {
    let Some(p) = parse_shared("dashlane-csv", "dashlane/credentials-totp.csv") else {
        return;
    };
    let i = only(&p);
    assert_eq!(
        (i.title.as_str(), i.username.as_str(), i.password.as_str()),
        ("example.com", "jdoe", "somePassword")
    );
    assert_eq!(
        (i.notes.as_str(), i.totp.as_str(), i.folder.as_str()),
        ("some note for example.com", "someTOTPSeed", "Entertainment")
    );
    assert_eq!(i.urls, ["https://www.example.com"]);

    let p = parse_shared("dashlane-csv", "dashlane/ids.csv").unwrap();
    assert_eq!(p.items.len(), 5);
    hidden(
        by_title(&p, "ID card: John Doe"),
        "ID card number",
        "123123123",
    );
    assert_eq!(
        identity(by_title(&p, "Passport: John Doe")).passport,
        "123123123"
    );
    shown(
        by_title(&p, "Passport: John Doe"),
        "place of issue",
        "somewhere in Germany",
    );
    let dl = identity(by_title(&p, "Driver's license: John Doe"));
    assert_eq!((dl.license.as_str(), dl.state.as_str()), ("1234556", "DC"));
    assert_eq!(
        identity(by_title(&p, "Social security: John Doe")).ssn,
        "123123123"
    );
    hidden(by_title(&p, "Tax number"), "tax number", "123123123");

    let p = parse_shared("dashlane-csv", "dashlane/payments-bank-and-card.csv").unwrap();
    let bank = by_title(&p, "John's savings account");
    assert_eq!(bank.item_type, "note");
    shown(bank, "account holder", "John Doe");
    hidden(bank, "account number", "accountNumber");
    shown(bank, "routing number", "routingNumber");
    shown(bank, "bank", "US-ALLY");
    let c = card(by_title(&p, "John Doe"));
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("John Doe", "41111111111111111", "123", "01/2023")
    );

    let p = parse_shared("dashlane-csv", "dashlane/payments-payment-card.csv").unwrap();
    let i = only(&p);
    assert_eq!(i.title, "Work Visa");
    let c = card(i);
    assert_eq!(
        (c.cardholder.as_str(), c.number.as_str(), c.expiry.as_str()),
        ("Jane M Doe", "41111111111111111", "01/2030")
    );

    let p = parse_shared("dashlane-csv", "dashlane/personal-info.csv").unwrap();
    let i = only(&p);
    let id = identity(i);
    assert_eq!(i.title, "John Doe");
    assert_eq!(
        (id.email.as_str(), id.phone.as_str()),
        ("jdoe@example.com", "+49123123123")
    );
    assert_eq!(
        (
            id.address1.as_str(),
            id.city.as_str(),
            id.zip.as_str(),
            id.state.as_str(),
            id.country.as_str()
        ),
        ("1 some street", "some city", "123123", "DE-0-NW", "de")
    );
    assert_eq!(i.urls, ["website.com"]);
    shown(i, "username", "jdoe");
    shown(i, "date of birth", "2022-01-30");

    let p = parse_shared("dashlane-csv", "dashlane/personal-info-multiple.csv").unwrap();
    assert_eq!(p.items.len(), 6, "with two people, each row stands alone");
    assert_eq!(identity(by_title(&p, "Jane Doe")).first_name, "Jane");
    assert_eq!(
        identity(by_title(&p, "Johns email")).email,
        "jdoe@example.com"
    );
    assert_eq!(by_title(&p, "Website").item_type, "note");

    // `title,note` alone is only plausible: the name decides.
    let path = shared("dashlane/secure-notes.csv").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        importer("dashlane-csv").detect(&Input {
            name: "x.csv",
            bytes: &bytes
        }),
        Confidence::Maybe
    );
    assert_eq!(
        importer("dashlane-csv").detect(&Input {
            name: "securenotes.csv",
            bytes: &bytes
        }),
        Confidence::Yes
    );
    let p = parse_bytes("dashlane-csv", "securenotes.csv", &bytes, false).unwrap();
    let i = only(&p);
    assert_eq!(
        (i.item_type.as_str(), i.title.as_str(), i.notes.as_str()),
        ("note", "01", "test")
    );
}

#[test]
fn own_dashlane_samples() {
    let p = parse("dashlane-csv", &own("dashlane/credentials-otpurl.csv"));
    let fr = by_title(&p, "Exemple Société");
    assert_eq!(
        (fr.password.as_str(), fr.folder.as_str()),
        ("mot \"de\" passe", "Travail")
    );
    assert!(fr.totp.starts_with("otpauth://totp/"));
    assert_eq!(fr.notes, "Première ligne\r\nDeuxième ligne");
    shown(fr, "username 2", "ada");
    assert_eq!(by_title(&p, "日本の銀行").username, "bob");

    let p = parse("dashlane-zip", &own("dashlane/export.zip"));
    assert_eq!(p.items.len(), 6);
    assert_eq!(by_title(&p, "Example Forum").totp, "JBSWY3DPEHPK3PXP");
    assert_eq!(
        by_title(&p, "Alarm code").notes,
        "Front door: 1234\nBack door: 5678"
    );
    let c = by_title(&p, "Everyday card");
    assert_eq!(
        (
            card(c).cardholder.as_str(),
            card(c).expiry.as_str(),
            c.notes.as_str()
        ),
        ("Ada Lovelace", "07/2028", "Contactless")
    );
    hidden(by_title(&p, "Savings"), "account number", "12345678");
    assert_eq!(
        identity(by_title(&p, "Passport: Ada King Lovelace")).passport,
        "P1234567"
    );
    assert_eq!(
        identity(by_title(&p, "Ada Lovelace")).email,
        "ada@example.invalid"
    );
    assert!(p.items.iter().all(|i| i.source == "dashlane-zip"));

    let p = parse("dashlane-json", &own("dashlane/export.json"));
    let shop = by_title(&p, "Example Shop");
    assert_eq!(
        (
            shop.username.as_str(),
            shop.email.as_str(),
            shop.password.as_str()
        ),
        ("ada", "ada@example.invalid", "shop-pass")
    );
    assert_eq!(shop.updated_at.as_deref(), Some("2022-04-15T05:20:00Z"));
    shown(shop, "secondary login", "ada2");
    assert!(shop
        .fields
        .iter()
        .all(|f| f.label != "id" && f.label != "autoLogin"));
    let visa = card(by_title(&p, "Ada's Visa"));
    assert_eq!(
        (
            visa.cardholder.as_str(),
            visa.expiry.as_str(),
            visa.brand.as_str()
        ),
        ("Ada Lovelace", "03/2027", "Visa")
    );
    hidden(
        by_title(&p, "Current account"),
        "BankAccountIBAN",
        "GB00EXAM12345612345678",
    );
    assert_eq!(
        identity(by_title(&p, "Ada King Lovelace")).middle_name,
        "King"
    );
    assert_eq!(identity(by_title(&p, "Home")).zip, "SW1Y 4JH");
    assert_eq!(identity(by_title(&p, "Mobile")).phone, "+44 7700 900000");
    assert_eq!(by_title(&p, "Recipe ✨").notes, "Flour\nButter\nSugar");
    assert_eq!(
        identity(by_title(&p, "Passport: Ada Lovelace")).passport,
        "P7654321"
    );
    assert_eq!(by_title(&p, "Blog").urls, ["https://ada.example.invalid"]);
    assert_eq!(by_title(&p, "PayPal").password, "pp-pass");
}
