//! RoboForm CSV.

use super::*;

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

#[test]
fn roboform_rf_fields_colon_shape() {
    // The `Rf_fields` column of older exports: `Label$:type:value`, no MatchUrl.
    let rel = "roboform/export-rf_fields-colon.csv";
    assert_eq!(sure(rel, &sample(rel)), ["roboform-csv"]);
    let p = parse_sample("roboform-csv", rel);
    every_source_is(&p, "roboform-csv");
    assert_eq!(p.items.len(), 3);
    let lib = by_title(&p, "City Library");
    assert_eq!(
        (
            lib.username.as_str(),
            lib.password.as_str(),
            lib.folder.as_str()
        ),
        ("reader7", "shelf,42:b", "Hobbies")
    );
    assert_eq!(lib.urls, ["https://library.example.org"]);
    let pin = field(lib, "Card PIN");
    assert!(
        pin.hidden && pin.value == "90:21",
        "a pwd field, colons in the value kept"
    );
    assert_eq!(
        lib.fields.len(),
        1,
        "fields repeating the login and password are not duplicated"
    );
    let w = by_title(&p, "Weather");
    assert_eq!((w.notes.as_str(), w.folder.as_str()), ("Two\r\nlines", ""));
    let station = field(w, "Station");
    assert!(!station.hidden && station.value == "Zürich-Fluntern");
    assert_eq!(by_title(&p, "Only a name").folder, "Hobbies/Empty");
}
