//! Parsers for NordPass, Keeper, RoboForm, Enpass and Proton Pass exports,
//! through the library's importer registry.
//!
//! Two sources of input:
//! * the shared third-party fixtures (`../shared/fixtures/<manager>/`, or
//!   `$CLAVITOR_SHARED_FIXTURES`): every file is parsed and checked field by
//!   field against values visible in it; when absent the tests say
//!   `SKIPPED` loudly and still run on
//! * the project's own samples (`tests/fixtures/<manager>/`), written for
//!   the cases the shared files lack: BOM, CRLF, multi-line and quoted
//!   cells, empty rows, Unicode, older header variants, typed records,
//!   trash, encrypted Proton Pass exports.

use std::path::{Path, PathBuf};

use clavitor::import::{
    importers, Confidence, CustomField, ImportError, Importer, Input, Item, Parsed,
};

// ------------------------------------------------------------------ helpers

/// This branch's importers.
const OURS: [&str; 9] = [
    "nordpass-csv",
    "keeper-csv",
    "keeper-json",
    "roboform-csv",
    "enpass-json",
    "enpass-csv",
    "protonpass-json",
    "protonpass-zip",
    "protonpass-csv",
];

fn importer(name: &str) -> &'static dyn Importer {
    importers()
        .into_iter()
        .find(|i| i.name() == name)
        .unwrap_or_else(|| panic!("{name} is registered"))
}

fn sample(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared fixtures directory, or `None` after a loud notice.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("CLAVITOR_SHARED_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: ../shared/fixtures not found (set CLAVITOR_SHARED_FIXTURES); only the project's own samples were checked");
        None
    }
}

fn read_shared(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Parses strictly; a failure names the file.
fn parse(format: &str, name: &str, bytes: &[u8]) -> Parsed {
    importer(format)
        .parse(&Input { name, bytes }, false)
        .unwrap_or_else(|e| panic!("{name} with {format}: {e}"))
}

fn parse_sample(format: &str, rel: &str) -> Parsed {
    parse(format, rel, &sample(rel))
}

fn by_title<'a>(p: &'a Parsed, title: &str) -> &'a Item {
    p.items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("an item titled {title:?}"))
}

fn field<'a>(it: &'a Item, label: &str) -> &'a CustomField {
    it.fields
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("{}: a field {label:?} in {:?}", it.title, it.fields))
}

fn typed<'a>(it: &'a Item, name: &str) -> &'a str {
    it.typed.get(name).map_or("", String::as_str)
}

/// Names of the importers that are sure of this input.
fn sure(name: &str, bytes: &[u8]) -> Vec<&'static str> {
    importers()
        .into_iter()
        .filter(|i| i.detect(&Input { name, bytes }) == Confidence::Yes)
        .map(|i| i.name())
        .collect()
}

fn every_source_is(p: &Parsed, source: &str) {
    assert!(
        p.items.iter().all(|i| i.source == source),
        "every item's source is {source}"
    );
}

/// Every file of a shared fixture directory must be covered by a test.
fn assert_covers(dir: &Path, manager: &str, covered: &[&str]) {
    let mut files: Vec<String> = std::fs::read_dir(dir.join(manager))
        .expect("fixture directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    files.sort();
    let mut want: Vec<String> = covered.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(
        files, want,
        "shared/fixtures/{manager} has files no test checks"
    );
}

// ------------------------------------------------------------ NordPass

#[test]
fn nordpass_shared_fixtures_map_every_field() {
    let Some(dir) = shared() else { return };
    let files = [
        "card.csv",
        "identity-fullname-placeholder.csv",
        "login-with-folder.csv",
        "secure-note-and-folder-row.csv",
    ];
    assert_covers(&dir, "nordpass", &files);
    for f in files {
        assert_eq!(
            sure(f, &read_shared(&dir, &format!("nordpass/{f}"))),
            ["nordpass-csv"],
            "{f}"
        );
    }
    let p = parse(
        "nordpass-csv",
        "card.csv",
        &read_shared(&dir, "nordpass/card.csv"),
    );
    every_source_is(&p, "nordpass-csv");
    let card = by_title(&p, "SomeVisa");
    assert_eq!(card.item_type, "card");
    let c = card.card.as_ref().expect("card details");
    assert_eq!(
        (c.cardholder.as_str(), c.number.as_str(), c.cvv.as_str()),
        ("SomeHolder", "4024007103939509", "123")
    );
    assert_eq!(c.expiry, "01/2022", "`01 / 22` is normalised");
    assert_eq!(c.brand, "Visa");
    assert_eq!(field(card, "Zip code").value, "12345");

    let p = parse(
        "nordpass-csv",
        "identity.csv",
        &read_shared(&dir, "nordpass/identity-fullname-placeholder.csv"),
    );
    let me = by_title(&p, "SomeTitle");
    assert_eq!(me.item_type, "identity");
    assert_eq!(me.notes, "SomeNoteToMyIdentity");
    let id = me.identity.as_ref().expect("identity");
    assert_eq!(
        (id.first_name.as_str(), id.last_name.as_str()),
        ("", ""),
        "`#fullName` is a placeholder, not a name"
    );
    assert_eq!(
        (id.phone.as_str(), id.email.as_str()),
        ("123456789", "hello@bitwarden.com")
    );
    assert_eq!(
        (id.address1.as_str(), id.address2.as_str()),
        ("Test street 123", "additional addressinfo")
    );
    assert_eq!(
        (
            id.city.as_str(),
            id.country.as_str(),
            id.state.as_str(),
            id.zip.as_str()
        ),
        ("Cologne", "Germany", "North-Rhine-Westphalia", "123456")
    );
    assert!(me.fields.is_empty(), "{:?}", me.fields);

    let p = parse(
        "nordpass-csv",
        "login.csv",
        &read_shared(&dir, "nordpass/login-with-folder.csv"),
    );
    let login = by_title(&p, "SomeVaultItemName");
    assert_eq!(login.item_type, "login");
    assert_eq!(login.urls, ["https://example.com"]);
    assert_eq!(
        (login.username.as_str(), login.password.as_str()),
        ("hello@bitwarden.com", "someStrongPassword")
    );
    assert_eq!(login.notes, "Some note for the VaultItem");
    assert_eq!(login.folder, "SomeFolderForVaultItem");

    let p = parse(
        "nordpass-csv",
        "note.csv",
        &read_shared(&dir, "nordpass/secure-note-and-folder-row.csv"),
    );
    assert_eq!(p.items.len(), 1, "the folder-only row is no item");
    let note = by_title(&p, "MySuperSecureNoteTitle");
    assert_eq!(
        (
            note.item_type.as_str(),
            note.notes.as_str(),
            note.folder.as_str()
        ),
        ("note", "MySuperSecureNote", "notesFolder")
    );
    assert!(p.skipped.is_empty());
}

#[test]
fn nordpass_current_export_with_bom_crlf_and_every_type() {
    let rel = "nordpass/export-current-bom-crlf.csv";
    assert_eq!(sure(rel, &sample(rel)), ["nordpass-csv"]);
    let p = parse_sample("nordpass-csv", rel);
    assert_eq!(
        p.items.len(),
        6,
        "folder rows and the empty row are no items"
    );
    let forge = by_title(&p, "Forge");
    assert_eq!(
        forge.urls,
        [
            "https://forge.example.org/login",
            "https://git.example.org",
            "https://ci.example.org"
        ]
    );
    assert_eq!(
        forge.password, "p\"w,1\nsecond",
        "quotes, commas and a newline survive"
    );
    assert_eq!(forge.notes, "Line one\nLine two, with comma");
    assert_eq!(forge.folder, "Work/Clients");
    assert!(field(forge, "Recovery code").hidden);
    assert!(!field(forge, "Team").hidden);
    assert_eq!(
        by_title(&p, "Café ☕ notes").notes,
        "Ünïcödé body\n— em dash"
    );
    let card = by_title(&p, "Travel card").card.clone().expect("card");
    assert_eq!(
        (
            card.cardholder.as_str(),
            card.pin.as_str(),
            card.expiry.as_str(),
            card.brand.as_str()
        ),
        ("Zoë Ñúñez", "9876", "07/2029", "Mastercard")
    );
    let id = by_title(&p, "Me").identity.clone().expect("identity");
    assert_eq!(
        (
            id.first_name.as_str(),
            id.middle_name.as_str(),
            id.last_name.as_str()
        ),
        ("José", "María", "García")
    );
    assert_eq!((id.address2.as_str(), id.zip.as_str()), ("2º B", "28013"));
    let door = by_title(&p, "Door");
    assert_eq!(door.item_type, "note", "an unknown type is a note");
    assert!(
        field(door, "Password").hidden,
        "and keeps its data, concealed"
    );
    let ph = by_title(&p, "Placeholder row")
        .identity
        .clone()
        .expect("identity");
    assert_eq!(
        (ph.first_name.as_str(), ph.phone.as_str(), ph.email.as_str()),
        ("", "", "real@example.org")
    );
}

#[test]
fn nordpass_legacy_header_infers_types() {
    let p = parse_sample("nordpass-csv", "nordpass/export-legacy-no-type.csv");
    let kinds: Vec<(&str, &str)> = p
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.item_type.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Mail", "login"),
            ("Shopping list", "note"),
            ("Debit", "card"),
            ("Kim", "identity")
        ]
    );
    assert_eq!(by_title(&p, "Mail").folder, "Archive");
    assert_eq!(
        by_title(&p, "Debit")
            .card
            .as_ref()
            .map(|c| c.expiry.as_str()),
        Some("12/2031")
    );
}

#[test]
fn nordpass_ragged_row_names_file_and_line() {
    let csv = "name,url,username,password,note,cardholdername,cardnumber,cvc,expirydate,zipcode,folder,full_name,phone_number,email,address1,address2,city,country,state\n\
               ok,https://a.example,u,p1,,,,,,,,,,,,,,,\n\
               bad,https://b.example,u,SECRET-PW,,,,,,,,,,,,,,,,extra\n\
               ok2,https://c.example,u,p2,,,,,,,,,,,,,,,\n";
    let input = Input {
        name: "np.csv",
        bytes: csv.as_bytes(),
    };
    let err = importer("nordpass-csv").parse(&input, false).unwrap_err();
    assert_eq!(
        err,
        ImportError::Record {
            file: "np.csv".into(),
            record: "line 3".into(),
            message: "expected 19 fields like the header, found 20".into()
        }
    );
    assert!(!err.to_string().contains("SECRET-PW"));
    let p = importer("nordpass-csv")
        .parse(&input, true)
        .expect("skip-invalid goes on");
    assert_eq!(
        p.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        ["ok", "ok2"]
    );
    assert_eq!(
        p.skipped,
        [(
            "line 3".to_string(),
            "expected 19 fields like the header, found 20".to_string()
        )]
    );
}

// --------------------------------------------------------------- Keeper

#[test]
fn keeper_shared_typed_records_map_to_field_spec_types() {
    let Some(dir) = shared() else { return };
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
    let p = parse("keeper-json", "keeper.json", &bytes);
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

    let visa = by_title(&p, "Chase Visa");
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
    let Some(dir) = shared() else { return };
    let p = parse(
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

// ------------------------------------------------------------- RoboForm

#[test]
fn roboform_rffieldsv2_bookmarks_safenotes_and_escapes() {
    let rel = "roboform/export-rffieldsv2-bom-crlf.csv";
    assert_eq!(sure(rel, &sample(rel)), ["roboform-csv"]);
    let p = parse_sample("roboform-csv", rel);
    every_source_is(&p, "roboform-csv");
    assert_eq!(p.items.len(), 4);
    let ex = by_title(&p, "Example");
    assert_eq!(
        (ex.username.as_str(), ex.password.as_str()),
        ("jane", "@secret"),
        "the `'` before `@` is RoboForm's, not the user's"
    );
    assert_eq!(
        ex.urls,
        ["https://example.com/", "https://example.com/login"]
    );
    assert_eq!(
        (ex.folder.as_str(), ex.notes.as_str(), ex.totp.as_str()),
        ("Work/Sites", "cool note", "JBSWY3DPEHPK3PXP")
    );
    let pin = field(ex, "Security PIN");
    assert!(
        pin.hidden && pin.value == "12,34",
        "a pwd field, commas kept"
    );
    assert_eq!(field(ex, "Company").value, "Acme, Inc.");
    assert_eq!(
        ex.fields.len(),
        2,
        "fields repeating the login and password are not duplicated"
    );
    let bm = by_title(&p, "Bookmark only");
    assert_eq!(
        (bm.item_type.as_str(), bm.urls.as_slice()),
        ("login", &["https://news.example.org/".to_string()][..])
    );
    let note = by_title(&p, "Safe note");
    assert_eq!(
        (
            note.item_type.as_str(),
            note.notes.as_str(),
            note.folder.as_str()
        ),
        ("note", "Door code 4711\nAlarm: ''off''", "Home")
    );
    let u = by_title(&p, "Ünïcödé 🔐");
    assert_eq!(
        (u.username.as_str(), u.password.as_str()),
        ("'quoted", "pässwörd")
    );
    assert!(
        field(u, "RoboForm field").hidden,
        "an unparsable extra field is kept whole, concealed"
    );
}

#[test]
fn roboform_old_header_without_rffieldsv2() {
    let rel = "roboform/export-old-header.csv";
    assert_eq!(sure(rel, &sample(rel)), ["roboform-csv"]);
    let p = parse_sample("roboform-csv", rel);
    let f = by_title(&p, "Forum");
    assert_eq!(
        (
            f.urls.len(),
            f.username.as_str(),
            f.password.as_str(),
            f.folder.as_str()
        ),
        (2, "alex", "pw5", "Personal")
    );
    let r = by_title(&p, "Recipe");
    assert_eq!(
        (r.item_type.as_str(), r.notes.as_str(), r.folder.as_str()),
        ("note", "flour, water", "")
    );
}

// ---------------------------------------------------------------- Enpass

#[test]
fn enpass_json_categories_fields_folders_and_trash() {
    let rel = "enpass/export.json";
    assert_eq!(sure(rel, &sample(rel)), ["enpass-json"]);
    let p = parse_sample("enpass-json", rel);
    every_source_is(&p, "enpass-json");
    assert_eq!(p.skipped, [("item 10".to_string(), "in trash".to_string())]);
    let tw = by_title(&p, "Twitter");
    assert_eq!(
        (
            tw.username.as_str(),
            tw.email.as_str(),
            tw.password.as_str()
        ),
        ("emily", "emily@example.io", "correct horse battery")
    );
    assert_eq!(
        (tw.urls.as_slice(), tw.totp.as_str()),
        (
            &["https://twitter.example/".to_string()][..],
            "otpauth://totp/Twitter:emily?secret=JBSWY3DPEHPK3PXP"
        )
    );
    assert!(tw.favorite);
    assert_eq!(
        (
            tw.folder.as_str(),
            field(tw, "Also in Enpass folder").value.as_str()
        ),
        ("Social 🎉", "Work")
    );
    assert!(field(tw, "Recovery word").hidden, "sensitive → concealed");
    assert_eq!(field(tw, "Note to self").value, "first\nsecond");
    assert!(
        !tw.fields
            .iter()
            .any(|f| f.value == "gone" || f.label == "ADDITIONAL DETAILS"),
        "deleted fields and sections are dropped"
    );
    assert_eq!(
        (tw.created_at.as_deref(), tw.updated_at.as_deref()),
        (Some("2023-10-19T15:24:33Z"), Some("2023-10-23T10:32:21Z"))
    );
    let visa = by_title(&p, "Visa Gold");
    assert_eq!(
        visa.folder, "Work/Infra\u{2215}Ops",
        "nested folders follow parent_uuid"
    );
    let c = visa.card.as_ref().expect("card");
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.pin.as_str(),
            c.expiry.as_str(),
            c.brand.as_str()
        ),
        (
            "Émile Zola",
            "4111111111111111",
            "123",
            "4321",
            "03/2028",
            "Visa"
        )
    );
    let me = by_title(&p, "Me").identity.clone().expect("identity");
    assert_eq!(
        (
            me.first_name.as_str(),
            me.middle_name.as_str(),
            me.last_name.as_str(),
            me.ssn.as_str(),
            me.company.as_str()
        ),
        ("Émile", "Édouard", "Zola", "1 40 04 75 009 001", "L'Aurore")
    );
    assert_eq!(by_title(&p, "Plain note").notes, "Just text ✓");
    let wifi = by_title(&p, "Office Wi-Fi");
    assert_eq!(
        (
            wifi.item_type.as_str(),
            typed(wifi, "ssid"),
            typed(wifi, "security"),
            wifi.password.as_str()
        ),
        ("wifi", "office-5g", "WPA3", "wifi-secret")
    );
    let db = by_title(&p, "Analytics DB");
    assert_eq!(
        (
            db.item_type.as_str(),
            typed(db, "hostname"),
            typed(db, "port"),
            typed(db, "database"),
            db.username.as_str()
        ),
        ("database", "db.example.io", "3306", "stats", "reader")
    );
    let lic = by_title(&p, "Editor licence");
    assert_eq!(
        (
            lic.item_type.as_str(),
            typed(lic, "license_key"),
            typed(lic, "version")
        ),
        ("software_license", "ABCD-EFGH-IJKL", "4.2")
    );
    assert!(field(by_title(&p, "Savings"), "Account number").hidden);
    let old = by_title(&p, "Old forum");
    assert_eq!(
        old.folder, "Loop B/Loop A",
        "archived items import; a parent cycle stops"
    );
}

#[test]
fn enpass_csv_pairs_trailing_note_and_header() {
    let rel = "enpass/export-with-header-crlf.csv";
    assert_eq!(sure(rel, &sample(rel)), ["enpass-csv"]);
    let p = parse_sample("enpass-csv", rel);
    every_source_is(&p, "enpass-csv");
    assert_eq!(p.items.len(), 5);
    let gh = by_title(&p, "GitHub");
    assert_eq!(
        (
            gh.username.as_str(),
            gh.email.as_str(),
            gh.password.as_str(),
            gh.totp.as_str()
        ),
        ("octo", "octo@example.com", "gh-secret", "JBSWY3DPEHPK3PXP")
    );
    assert_eq!(
        (gh.notes.as_str(), field(gh, "Team").value.as_str()),
        ("multi\nline\nnote", "core")
    );
    let c = by_title(&p, "Visa").card.clone().expect("card");
    assert_eq!(
        (
            c.cardholder.as_str(),
            c.number.as_str(),
            c.cvv.as_str(),
            c.expiry.as_str()
        ),
        ("Kim Lee", "4012888888881881", "777", "09/2030")
    );
    let loose = by_title(&p, "Loose thoughts");
    assert_eq!(
        (loose.item_type.as_str(), loose.notes.as_str()),
        ("note", "a, b and \"c\"")
    );
    let nn = by_title(&p, "No note here");
    assert_eq!(
        (nn.notes.as_str(), nn.urls.len()),
        ("", 1),
        "an odd row has no note"
    );
    assert_eq!(field(by_title(&p, "Ünïcödé"), "Secret word").value, "ß");

    let p = parse_sample("enpass-csv", "enpass/export-no-header-bom.csv");
    let bank = by_title(&p, "Bank");
    assert_eq!(
        (
            bank.username.as_str(),
            bank.password.as_str(),
            bank.notes.as_str()
        ),
        ("bob", "b0b", "")
    );
    let wifi = by_title(&p, "Wi-Fi at home");
    assert_eq!(
        (wifi.password.as_str(), wifi.notes.as_str()),
        ("hunter2", "stored by router"),
        "`*` marks a sensitive label"
    );
}

// ----------------------------------------------------------- Proton Pass

#[test]
fn protonpass_shared_fixtures_json_and_zip_agree() {
    let Some(dir) = shared() else { return };
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
        let a = parse("protonpass-json", "data.json", &json);
        let b = parse("protonpass-zip", "export.zip", &zip);
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

    let p = parse(
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

    let p = parse(
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

    let p = parse(
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

// ------------------------------------------------------- every format

/// All own samples, with the importers meant for each.
const SAMPLES: [(&str, &[&str]); 19] = [
    ("nordpass/export-current-bom-crlf.csv", &["nordpass-csv"]),
    ("nordpass/export-legacy-no-type.csv", &["nordpass-csv"]),
    ("keeper/export-crlf.csv", &["keeper-csv"]),
    ("keeper/export-with-header-bom.csv", &["keeper-csv"]),
    ("keeper/typed-records.json", &["keeper-json"]),
    ("keeper/legacy-array.json", &["keeper-json"]),
    ("roboform/export-rffieldsv2-bom-crlf.csv", &["roboform-csv"]),
    ("roboform/export-old-header.csv", &["roboform-csv"]),
    ("enpass/export.json", &["enpass-json"]),
    ("enpass/export-with-header-crlf.csv", &["enpass-csv"]),
    ("enpass/export-no-header-bom.csv", &["enpass-csv"]),
    ("protonpass/export.json", &["protonpass-json"]),
    ("protonpass/export.zip", &["protonpass-zip"]),
    ("protonpass/export-bom-crlf.csv", &["protonpass-csv"]),
    (
        "protonpass/export-old-no-email-no-vault.csv",
        &["protonpass-csv"],
    ),
    (
        "protonpass/encrypted.pgp",
        &["protonpass-zip", "protonpass-json"],
    ),
    ("protonpass/encrypted.zip", &["protonpass-zip"]),
    (
        "keeper/typed-records.json",
        &["enpass-json", "protonpass-json"],
    ),
    ("enpass/export.json", &["keeper-json"]),
];

#[test]
fn garbage_and_wrong_formats_are_errors_not_panics() {
    let garbage: &[u8] = b"\x00\xffPK\x03\x04 not anything {\"vaults\": [";
    for name in OURS {
        let err = importer(name)
            .parse(
                &Input {
                    name: "junk.bin",
                    bytes: garbage,
                },
                false,
            )
            .unwrap_err();
        assert!(err.to_string().starts_with("junk.bin"), "{name}: {err}");
        assert!(
            importer(name)
                .parse(
                    &Input {
                        name: "empty",
                        bytes: b""
                    },
                    false
                )
                .is_err(),
            "{name}: empty input"
        );
    }
    // A NordPass file is not a RoboForm or Proton Pass CSV; an Enpass JSON is not a Keeper or Proton Pass export.
    let np = sample("nordpass/export-legacy-no-type.csv");
    for name in ["roboform-csv", "protonpass-csv"] {
        let err = importer(name)
            .parse(
                &Input {
                    name: "np.csv",
                    bytes: &np,
                },
                false,
            )
            .unwrap_err();
        assert!(matches!(err, ImportError::File { .. }), "{name}: {err}");
    }
    let en = sample("enpass/export.json");
    for name in ["keeper-json", "protonpass-json", "protonpass-zip"] {
        assert!(
            importer(name)
                .parse(
                    &Input {
                        name: "e.json",
                        bytes: &en
                    },
                    false
                )
                .is_err(),
            "{name}"
        );
    }
    let err = importer("enpass-json")
        .parse(
            &Input {
                name: "k.json",
                bytes: &sample("keeper/typed-records.json"),
            },
            false,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "k.json: expected an Enpass JSON export: an object with an `items` array"
    );
    let err = importer("keeper-json")
        .parse(
            &Input {
                name: "t.json",
                bytes: br#"{"records": [1, "#.as_slice(),
            },
            false,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("t.json: ends early (truncated?) at line 1"),
        "{err}"
    );
}

#[test]
fn error_messages_never_quote_input_values() {
    let secret = "Zq9-SECRET-VALUE";
    let inputs: Vec<(&str, String)> = vec![
        ("keeper-json", format!(r#"{{"records":[{{"title":"a","password":{{"x":"{secret}"}}}}]}}"#)),
        ("keeper-json", format!(r#"{{"records":[{{"title":"{secret}""#)),
        ("enpass-json", format!(r#"{{"items":[{{"title":"t","fields":"{secret}"}}],"folders":[]}}"#)),
        ("protonpass-json", format!(r#"{{"encrypted":false,"vaults":{{"v":{{"name":"n","items":[{{"data":"{secret}"}}]}}}}}}"#)),
        ("protonpass-csv", format!("type,name,url,email,username,password,note,totp,createTime,modifyTime,vault\nlogin,n,,,,{secret},,,,,,extra\n")),
        ("nordpass-csv", format!("name,url,username,password,note,cardholdername,full_name,phone_number,address1\nx,,,{secret}\n")),
    ];
    for (format, text) in inputs {
        let err = importer(format)
            .parse(
                &Input {
                    name: "f",
                    bytes: text.as_bytes(),
                },
                false,
            )
            .unwrap_err();
        assert!(!err.to_string().contains(secret), "{format}: {err}");
    }
}

#[test]
fn own_samples_detect_as_their_format_only() {
    let expected: [(&str, &str); 15] = [
        ("nordpass/export-current-bom-crlf.csv", "nordpass-csv"),
        ("nordpass/export-legacy-no-type.csv", "nordpass-csv"),
        ("keeper/export-crlf.csv", "keeper-csv"),
        ("keeper/export-with-header-bom.csv", "keeper-csv"),
        ("keeper/typed-records.json", "keeper-json"),
        ("keeper/legacy-array.json", "keeper-json"),
        ("roboform/export-rffieldsv2-bom-crlf.csv", "roboform-csv"),
        ("roboform/export-old-header.csv", "roboform-csv"),
        ("enpass/export.json", "enpass-json"),
        ("enpass/export-with-header-crlf.csv", "enpass-csv"),
        ("protonpass/export.json", "protonpass-json"),
        ("protonpass/export.zip", "protonpass-zip"),
        ("protonpass/export-bom-crlf.csv", "protonpass-csv"),
        (
            "protonpass/export-old-no-email-no-vault.csv",
            "protonpass-csv",
        ),
        ("protonpass/encrypted.zip", "protonpass-zip"),
    ];
    for (rel, format) in expected {
        assert_eq!(sure(rel, &sample(rel)), [format], "{rel}");
    }
    // Headerless Enpass CSV cannot be certain, only plausible.
    let rel = "enpass/export-no-header-bom.csv";
    assert_eq!(
        importer("enpass-csv").detect(&Input {
            name: rel,
            bytes: &sample(rel)
        }),
        Confidence::Maybe
    );
}

/// The importers meant for a shared fixture, by its extension.
fn formats_for(manager: &str, file: &str) -> Vec<&'static str> {
    match (manager, file.rsplit('.').next().unwrap_or_default()) {
        ("nordpass", _) => vec!["nordpass-csv"],
        ("keeper", "json") => vec!["keeper-json"],
        ("keeper", _) => vec!["keeper-csv"],
        ("protonpass", "zip") => vec!["protonpass-zip"],
        ("protonpass", _) => vec!["protonpass-json"],
        _ => Vec::new(),
    }
}

/// Every prefix of one file through detection and both parse modes of
/// its importers, and the whole file through all of this branch's
/// importers. Nothing may panic; both modes agree on what parses.
fn fuzz_prefixes(name: &str, bytes: &[u8], formats: &[&str]) {
    for f in OURS {
        let input = Input { name, bytes };
        let _ = importer(f).detect(&input);
        let _ = importer(f).parse(&input, true);
    }
    for end in 0..bytes.len() {
        let input = Input {
            name,
            bytes: &bytes[..end],
        };
        for f in formats {
            let imp = importer(f);
            let _ = imp.detect(&input);
            let strict = imp.parse(&input, false);
            let lenient = imp.parse(&input, true);
            if let (Ok(a), Ok(b)) = (&strict, &lenient) {
                assert_eq!(a.items, b.items, "{name}[..{end}] with {f}");
            }
        }
    }
}

/// Cheap fuzzing of the project's own samples.
#[test]
fn every_prefix_of_every_own_sample_is_handled_without_panic() {
    for (rel, formats) in SAMPLES {
        fuzz_prefixes(rel, &sample(rel), formats);
    }
}

/// Cheap fuzzing of the shared fixtures.
#[test]
fn every_prefix_of_every_shared_fixture_is_handled_without_panic() {
    let Some(dir) = shared() else { return };
    for manager in ["nordpass", "keeper", "protonpass"] {
        for e in std::fs::read_dir(dir.join(manager))
            .expect("fixture directory")
            .flatten()
        {
            let file = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).expect("read");
            fuzz_prefixes(
                &format!("{manager}/{file}"),
                &bytes,
                &formats_for(manager, &file),
            );
        }
    }
}
