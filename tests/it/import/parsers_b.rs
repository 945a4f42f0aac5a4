//! Parsers of the 1Password, LastPass, Dashlane, KeePass and KeePassXC
//! exports: field-level mapping on the shared third-party fixtures
//! (`../shared/fixtures`, skipped loudly when absent) and on this project's
//! own samples (`tests/fixtures/<manager>/`), detection, errors that name
//! file and record without echoing secrets, and a cheap truncation fuzz.

use std::path::{Path, PathBuf};
use std::sync::Once;

use clavitor::fieldspec;
use clavitor::import::{
    importers, Confidence, CustomField, ImportError, Importer, Input, Item, Parsed,
};

const MINE: &[&str] = &[
    "1password-1pux",
    "1password-1pif",
    "1password-csv",
    "lastpass-csv",
    "dashlane-csv",
    "dashlane-zip",
    "dashlane-json",
    "keepass-xml",
    "keepassxc-csv",
];

// ------------------------------------------------------------------ helpers

fn importer(name: &str) -> &'static dyn Importer {
    importers()
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("importer {name} is registered"))
}

fn own(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// The shared fixture, or `None` (announced once) when ../shared is absent.
/// `CLAVITOR_SHARED_FIXTURES` points elsewhere (a worktree outside the
/// checkout that holds `shared/`).
fn shared(rel: &str) -> Option<PathBuf> {
    static WARN: Once = Once::new();
    let root = std::env::var_os("CLAVITOR_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    if !root.is_dir() {
        WARN.call_once(|| {
            // Written to stderr directly: the test harness captures
            // `eprintln!` of passing tests, and this must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: ../shared/fixtures not found; only this project's samples were tested \
                 (set CLAVITOR_SHARED_FIXTURES to point at them)"
            );
        });
        return None;
    }
    Some(root.join(rel))
}

/// Parses a file that `name` must detect with certainty.
fn parse(name: &str, path: &Path) -> Parsed {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.display().to_string();
    let input = Input {
        name: &file,
        bytes: &bytes,
    };
    let imp = importer(name);
    assert_eq!(
        imp.detect(&input),
        Confidence::Yes,
        "{name} should detect {file}"
    );
    let mut parsed = imp
        .parse(&input, false)
        .unwrap_or_else(|e| panic!("{name} on {file}: {e}"));
    parsed
        .items
        .iter_mut()
        .for_each(clavitor::import::map::fit_type);
    check_invariants(name, &parsed);
    parsed
}

fn parse_shared(name: &str, rel: &str) -> Option<Parsed> {
    shared(rel).map(|p| parse(name, &p))
}

fn parse_bytes(name: &str, file: &str, bytes: &[u8], skip: bool) -> Result<Parsed, ImportError> {
    // The pipeline fits every item to its type (map.rs) before mapping.
    let mut parsed = importer(name).parse(&Input { name: file, bytes }, skip)?;
    parsed
        .items
        .iter_mut()
        .for_each(clavitor::import::map::fit_type);
    Ok(parsed)
}

/// What every parsed item must satisfy for the pipeline.
fn check_invariants(name: &str, parsed: &Parsed) {
    for item in &parsed.items {
        let def = fieldspec::entry_type(&item.item_type)
            .unwrap_or_else(|| panic!("unknown type {}", item.item_type));
        assert!(!def.system, "{}", item.title);
        for key in item.typed.keys() {
            assert!(
                def.field(key).is_some(),
                "{}: typed `{key}` is not a {} field",
                item.title,
                item.item_type
            );
        }
        for (top, value) in [
            ("username", &item.username),
            ("password", &item.password),
            ("totp", &item.totp),
        ] {
            assert!(
                value.is_empty() || def.field(top).is_some(),
                "{}: {top} on a {}",
                item.title,
                item.item_type
            );
        }
        assert_eq!(
            item.card.is_some(),
            item.item_type == "card",
            "{}",
            item.title
        );
        assert_eq!(
            item.identity.is_some(),
            item.item_type == "identity",
            "{}",
            item.title
        );
        assert_eq!(item.source, name);
        assert!(
            item.fields
                .iter()
                .all(|f| !f.value.trim().is_empty() && !f.label.is_empty()),
            "{}",
            item.title
        );
        for t in [&item.created_at, &item.updated_at].into_iter().flatten() {
            assert!(humantime::parse_rfc3339(t).is_ok(), "{} is RFC 3339", t);
        }
    }
}

fn by_title<'a>(parsed: &'a Parsed, title: &str) -> &'a Item {
    parsed
        .items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| {
            panic!(
                "no item titled {title:?} in {:?}",
                parsed.items.iter().map(|i| &i.title).collect::<Vec<_>>()
            )
        })
}

fn only(parsed: &Parsed) -> &Item {
    assert_eq!(parsed.items.len(), 1, "{:?}", parsed.items);
    &parsed.items[0]
}

fn field<'a>(item: &'a Item, label: &str) -> &'a CustomField {
    item.fields
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("{}: no field {label:?} in {:?}", item.title, item.fields))
}

fn shown(item: &Item, label: &str, value: &str) {
    let f = field(item, label);
    assert_eq!(
        (f.value.as_str(), f.hidden),
        (value, false),
        "{}: {label}",
        item.title
    );
}

fn hidden(item: &Item, label: &str, value: &str) {
    let f = field(item, label);
    assert_eq!(
        (f.value.as_str(), f.hidden),
        (value, true),
        "{}: {label}",
        item.title
    );
}

fn card(item: &Item) -> &clavitor::import::Card {
    item.card.as_ref().expect("card")
}

fn identity(item: &Item) -> &clavitor::import::Identity {
    item.identity.as_ref().expect("identity")
}

// ------------------------------------------------------ shared: 1Password

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

// -------------------------------------------------------- shared: LastPass

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

// -------------------------------------------------------- shared: Dashlane

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

// ---------------------------------------------------------- shared: KeePass

#[test]
fn shared_keepass_xml_groups_and_history() {
    let Some(p) = parse_shared("keepass-xml", "keepass/keepass2-groups-history.xml") else {
        return;
    };
    let i = only(&p);
    assert_eq!(
        (
            i.title.as_str(),
            i.folder.as_str(),
            i.username.as_str(),
            i.password.as_str()
        ),
        ("Google", "Folder2", "googleuser", "googpass")
    );
    assert_eq!(i.urls, ["google.com"]);
    assert_eq!(i.notes, "This is a note!!!\n\nline1\nline2");
    shown(i, "att2", "att2value");
    shown(i, "attr1", "att1value\n\nline1\nline2");
    assert_eq!(
        (i.created_at.as_deref(), i.updated_at.as_deref()),
        (Some("2016-12-31T21:34:13Z"), Some("2016-12-31T21:40:23Z"))
    );
}

/// Every shared fixture of these managers is covered above: a new file
/// makes this fail until it gets assertions.
#[test]
fn every_shared_fixture_of_these_managers_is_known() {
    let Some(root) = shared("") else { return };
    let mut seen = 0;
    for manager in [
        "onepassword",
        "lastpass",
        "dashlane",
        "keepass",
        "keepassxc",
    ] {
        let Ok(dir) = std::fs::read_dir(root.join(manager)) else {
            continue;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let text = include_str!("parsers_b.rs");
            let stem = name
                .trim_end_matches(".1pux")
                .trim_end_matches(".export.data");
            assert!(
                text.contains(&format!("/{name}\"")) || text.contains(&format!("\"{stem}\"")),
                "{manager}/{name} has no test"
            );
            seen += 1;
        }
    }
    assert!(seen >= 70, "expected the shared fixtures, saw {seen}");
}

// ------------------------------------------------------------ own samples

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

#[test]
fn own_keepass_xml_sample() {
    let p = parse("keepass-xml", &own("keepass/database.xml"));
    assert_eq!(p.items.len(), 4);
    assert_eq!(
        p.skipped.len(),
        2,
        "both recycle-bin entries, nested ones too"
    );
    assert!(p.skipped.iter().all(|(_, why)| why == "in trash"));
    let router = by_title(&p, "Router admin");
    assert_eq!(
        (router.folder.as_str(), router.password.as_str()),
        ("", "r&uter<pw>")
    );
    let git = by_title(&p, "Git forge — 日本");
    assert_eq!(git.folder, "Work & Co/Développement");
    assert_eq!(git.password, "<cdata & \"raw\">");
    assert_eq!(
        git.notes, "Line 1\nLine 2 ✓",
        "CRLF normalised, character reference resolved"
    );
    assert_eq!(
        git.urls,
        [
            "https://git.example.invalid",
            "https://git2.example.invalid"
        ]
    );
    assert_eq!(
        git.totp,
        "otpauth://totp/Forge:ada?secret=JBSWY3DPEHPK3PXP&issuer=Forge"
    );
    assert_eq!(git.email, "ada@example.invalid");
    hidden(git, "Recovery code", "abcd-efgh");
    shown(git, "tags", "dev, ci");
    assert!(
        p.items.iter().all(|i| i.title != "Git forge (old)"),
        "history is ignored"
    );
    assert_eq!(
        by_title(&p, "Legacy TOTP").totp,
        "otpauth://totp/Legacy%20TOTP?secret=GEZDGNBVGY3TQOJQ&digits=8"
    );
    assert_eq!(by_title(&p, "Gate code").item_type, "note");
}

#[test]
fn own_keepassxc_samples() {
    let p = parse("keepassxc-csv", &own("keepassxc/export.csv"));
    assert_eq!(p.items.len(), 3);
    // Header line 1, a blank line 3, a two-line record on 4-5: the bin row is line 6.
    assert_eq!(p.skipped, vec![("line 6".into(), "in trash".into())]);
    let top = by_title(&p, "Top level");
    assert_eq!(
        (top.folder.as_str(), top.updated_at.as_deref()),
        ("", Some("2024-01-02T03:04:05Z"))
    );
    let mail = by_title(&p, "Boîte mail 📬");
    assert_eq!(
        (mail.folder.as_str(), mail.password.as_str()),
        ("Email/Privé", "p\"w,1")
    );
    assert_eq!(mail.totp, "otpauth://totp/Mail:ada?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(mail.notes, "Line 1\r\nLine 2");
    assert_eq!(by_title(&p, "Just text").item_type, "note");

    let p = parse("keepassxc-csv", &own("keepassxc/keepassx-old-header.csv"));
    assert_eq!(
        by_title(&p, "Forum").folder,
        "Internet",
        "a renamed root group is dropped too"
    );
    assert_eq!(by_title(&p, "Bank").folder, "");
}

// -------------------------------------------------------------- detection

/// Every sample, shared or own, with the importer that must claim it.
fn corpus() -> Vec<(&'static str, PathBuf)> {
    let mut out = Vec::new();
    let dirs = [
        ("onepassword", None),
        ("lastpass", Some("lastpass-csv")),
        ("dashlane", None),
        ("keepass", None),
        ("keepassxc", Some("keepassxc-csv")),
    ];
    let roots: Vec<PathBuf> = [Some(own("")), shared("")].into_iter().flatten().collect();
    for root in roots {
        for (dir, fixed) in dirs {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let importer = fixed.unwrap_or(match () {
                    _ if name.ends_with(".1pux") || name.ends_with(".export.data") => {
                        "1password-1pux"
                    }
                    _ if name.ends_with(".1pif") => "1password-1pif",
                    _ if dir == "keepass" && name.ends_with(".csv") => "keepass-csv",
                    _ if dir == "keepass" => "keepass-xml",
                    _ if dir == "onepassword" => "1password-csv",
                    _ if name.ends_with(".zip") => "dashlane-zip",
                    _ if name.ends_with(".json") => "dashlane-json",
                    _ => "dashlane-csv",
                });
                out.push((importer, path));
            }
        }
    }
    out
}

#[test]
fn each_sample_is_claimed_by_its_importer_alone() {
    for (expected, path) in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = Input {
            name: &name,
            bytes: &bytes,
        };
        for imp in importers() {
            let got = imp.detect(&input);
            if imp.name() == expected {
                let ok = got == Confidence::Yes
                    || name == "secure-notes.csv" && got == Confidence::Maybe;
                assert!(ok, "{} should claim {name}, said {got:?}", imp.name());
            } else {
                assert_ne!(got, Confidence::Yes, "{} wrongly claims {name}", imp.name());
            }
        }
    }
}

// ----------------------------------------------------------------- errors

fn record_error(e: ImportError) -> (String, String, String) {
    match e {
        ImportError::Record {
            file,
            record,
            message,
        } => (file, record, message),
        other => panic!("expected a record error, got {other:?}"),
    }
}

#[test]
fn ragged_rows_name_the_line_and_never_the_secret() {
    let lastpass = "url,username,password,totp,extra,name,grouping,fav\nhttps://a.invalid,u,p,,,A,,0\nhttps://b.invalid,u,SEKRET-VALUE,,,B,,0,extra\n";
    let keepassxc = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\"\n\"Root\",\"A\",\"u\",\"p\",\"\",\"\"\n\"Root\",\"B\",\"u\",\"SEKRET-VALUE\"\n";
    let dashlane = "username,username2,username3,title,password,note,url,category,otpSecret\nu,,,A,p,,https://a.invalid,,\nu,,,B,SEKRET-VALUE\n";
    let onepassword = "Title,Url,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes\nA,,u,p,,false,false,,\nB,,u,SEKRET-VALUE,,false\n";
    for (name, text) in [
        ("lastpass-csv", lastpass),
        ("keepassxc-csv", keepassxc),
        ("dashlane-csv", dashlane),
        ("1password-csv", onepassword),
    ] {
        let e = parse_bytes(name, "export.csv", text.as_bytes(), false).unwrap_err();
        assert!(!e.to_string().contains("SEKRET"), "{name}: {e}");
        let (file, record, message) = record_error(e);
        assert_eq!(
            (file.as_str(), record.as_str()),
            ("export.csv", "line 3"),
            "{name}"
        );
        assert!(message.contains("expected"), "{name}: {message}");
        let p = parse_bytes(name, "export.csv", text.as_bytes(), true).unwrap();
        assert_eq!(p.items.len(), 1, "{name}");
        assert_eq!(p.skipped.len(), 1, "{name}");
        assert_eq!(p.skipped[0].0, "line 3");
        assert!(!p.skipped[0].1.contains("SEKRET"));
    }
}

#[test]
fn bad_json_records_are_named_and_skippable() {
    let pux = br#"{"accounts":[{"attrs":{},"vaults":[{"attrs":{"name":"V"},"items":[
        {"categoryUuid":"001","overview":{"title":"ok"},"details":{}},
        "SEKRET-VALUE",
        {"categoryUuid":"001","details":{}}]}]}]}"#;
    let (file, record, _) =
        record_error(parse_bytes("1password-1pux", "x.1pux", pux, false).unwrap_err());
    assert_eq!((file.as_str(), record.as_str()), ("x.1pux", "item 2"));
    let p = parse_bytes("1password-1pux", "x.1pux", pux, true).unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(
        p.skipped.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["item 2", "item 3"]
    );

    let pif = "{\"uuid\":\"1\",\"typeName\":\"webforms.WebForm\",\"title\":\"a\"}\n***5642bee8-a5ff-11dc-8314-0800200c9a66***\n{\"uuid\": SEKRET-VALUE\n";
    let e = parse_bytes("1password-1pif", "x.1pif", pif.as_bytes(), false).unwrap_err();
    assert!(!e.to_string().contains("SEKRET"), "{e}");
    assert_eq!(record_error(e).1, "line 3");

    let dl = br#"{"AUTHENTIFIANT":[{"title":"a","password":"p"}, 7]}"#;
    assert_eq!(
        record_error(parse_bytes("dashlane-json", "d.json", dl, false).unwrap_err()).1,
        "AUTHENTIFIANT item 2"
    );
}

#[test]
fn truncated_zips_are_clear_file_errors() {
    let mut zips = vec![
        ("1password-1pux", own("onepassword/sample.1pux")),
        ("dashlane-zip", own("dashlane/export.zip")),
    ];
    if let Some(p) = shared("onepassword/1pux-login.1pux") {
        zips.push(("1password-1pux", p));
    }
    for (name, path) in zips {
        let bytes = std::fs::read(&path).unwrap();
        for cut in [bytes.len() / 2, bytes.len() - 10] {
            match parse_bytes(name, "export.zip", &bytes[..cut], false) {
                Err(ImportError::File { file, message }) => {
                    assert_eq!(file, "export.zip");
                    assert!(
                        message.contains("ZIP") || message.contains("archive"),
                        "{message}"
                    );
                }
                other => panic!("{name} cut at {cut}: expected a file error, got {other:?}"),
            }
        }
    }
}

#[test]
fn oversized_zip_members_are_refused_before_inflating() {
    // Claim a 2 GiB member in the central directory (offset 24 of each
    // `PK\x01\x02` header is the uncompressed size).
    let mut bytes = std::fs::read(own("dashlane/export.zip")).unwrap();
    let mut patched = 0;
    for at in 0..bytes.len().saturating_sub(28) {
        if &bytes[at..at + 4] == b"PK\x01\x02" {
            bytes[at + 24..at + 28].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
            patched += 1;
        }
    }
    assert!(patched > 0);
    match parse_bytes("dashlane-zip", "big.zip", &bytes, true) {
        Err(ImportError::File { file, message }) => {
            assert_eq!(file, "big.zip");
            assert!(message.contains("larger than 64 MiB"), "{message}");
        }
        other => panic!("expected a size error, got {other:?}"),
    }
}

#[test]
fn utf16_exports_parse_like_utf8() {
    for (name, rel) in [
        ("keepassxc-csv", "keepassxc/export.csv"),
        ("lastpass-csv", "lastpass/export.csv"),
    ] {
        let utf8 = std::fs::read(own(rel)).unwrap();
        let text = String::from_utf8(utf8.clone()).unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            text.trim_start_matches('\u{feff}')
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        let input = Input {
            name: "u16.csv",
            bytes: &utf16,
        };
        assert_eq!(importer(name).detect(&input), Confidence::Yes, "{name}");
        let a = parse_bytes(name, "u16.csv", &utf16, false).unwrap();
        let b = parse_bytes(name, "u16.csv", &utf8, false).unwrap();
        assert_eq!(a.items, b.items, "{name}");
    }
}

#[test]
fn wrong_formats_are_refused_with_what_was_expected() {
    let lastpass = std::fs::read(own("lastpass/export.csv")).unwrap();
    for name in ["keepassxc-csv", "dashlane-csv", "1password-csv"] {
        let (file, record, message) =
            record_error(parse_bytes(name, "lp.csv", &lastpass, false).unwrap_err());
        assert_eq!(
            (file.as_str(), record.as_str()),
            ("lp.csv", "line 1"),
            "{name}"
        );
        assert!(message.starts_with("expected"), "{name}: {message}");
    }
    let xml = std::fs::read(own("keepass/database.xml")).unwrap();
    for name in [
        "1password-1pux",
        "1password-1pif",
        "dashlane-json",
        "dashlane-zip",
    ] {
        let e = parse_bytes(name, "db.xml", &xml, false).unwrap_err();
        assert!(e.to_string().starts_with("db.xml: "), "{name}: {e}");
    }
    let e = parse_bytes(
        "keepass-xml",
        "x.xml",
        b"<database><group/></database>",
        false,
    )
    .unwrap_err();
    assert!(e.to_string().contains("KeePassFile"), "{e}");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    for name in MINE {
        let imp = importer(name);
        let input = Input {
            name: "junk.bin",
            bytes: &garbage,
        };
        assert_eq!(imp.detect(&input), Confidence::No, "{name}");
        assert!(imp.parse(&input, false).is_err(), "{name} accepted garbage");
        assert!(
            imp.parse(
                &Input {
                    name: "empty",
                    bytes: b""
                },
                true
            )
            .map_or(true, |p| p.items.is_empty()),
            "{name}"
        );
    }
}

#[test]
fn raw_kdbx_dumps_with_encrypted_values_are_refused() {
    let xml = r#"<KeePassFile><Root><Group><Name>R</Name><Entry><String><Key>Password</Key><Value Protected="True">q83v</Value></String></Entry></Group></Root></KeePassFile>"#;
    let (_, record, message) =
        record_error(parse_bytes("keepass-xml", "dump.xml", xml.as_bytes(), false).unwrap_err());
    assert_eq!(record, "line 1");
    assert!(
        message.contains("`Password` is encrypted") && !message.contains("q83v"),
        "{message}"
    );
}

// ------------------------------------------------------------------- fuzz

/// Lengths to cut a sample at: every length up to 4 KiB for this
/// project's samples (64 for the shared ones), then about 300 evenly spaced.
fn cuts(len: usize, dense: bool) -> Vec<usize> {
    let limit = len.min(if dense { 4096 } else { 64 });
    let step = (len / 300).max(1);
    let mut v: Vec<usize> = (0..=limit)
        .chain((limit..=len).step_by(step))
        .chain([len])
        .collect();
    v.dedup();
    v
}

/// Feeds prefixes of every sample to the parsers: no input may panic. The
/// owning importer detects and parses (strict and skipping) every cut; the
/// others every 31st, to keep this quadratic loop to seconds on 2 cores.
#[test]
fn truncated_inputs_never_panic() {
    let mine: Vec<&dyn Importer> = MINE.iter().map(|n| importer(n)).collect();
    let own_root = own("");
    for (owner, path) in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        for (n, cut) in cuts(bytes.len(), path.starts_with(&own_root))
            .into_iter()
            .enumerate()
        {
            let input = Input {
                name: "cut",
                bytes: &bytes[..cut],
            };
            for imp in mine.iter().filter(|i| i.name() == owner || n % 31 == 0) {
                let _ = imp.detect(&input);
                let _ = imp.parse(&input, true);
                let _ = imp.parse(&input, false);
            }
        }
    }
}
