//! NordPass CSV.

use super::*;

#[test]
fn nordpass_shared_fixtures_map_every_field() {
    let Some(dir) = shared_dir() else { return };
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
    let p = parse_as(
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

    let p = parse_as(
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

    let p = parse_as(
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

    let p = parse_as(
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
    // Every record is accounted for: the folder row is reported, not dropped.
    assert_eq!(
        p.skipped,
        [("line 2".to_string(), "a folder, not an item".to_string())]
    );
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
            message:
                "has 20 fields, expected 19 (one per header column); is a field's quoting broken?"
                    .into()
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
            "has 20 fields, expected 19 (one per header column); is a field's quoting broken?"
                .to_string()
        )]
    );
}
