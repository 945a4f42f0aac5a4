//! Enpass JSON and CSV.

use super::*;

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
