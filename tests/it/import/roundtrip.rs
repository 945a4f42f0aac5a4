//! Acceptance 1 of issue 15, per importer, through the real binary:
//! `clavitor import FILE` then `clavitor export --format json` keeps the
//! title, username, password, URLs, notes and folder of every item the
//! file holds, and the summary accounts for every record of the file
//! (imported + merged + skipped = the records counted by hand in the
//! table below — rows of a CSV without its header and blank lines, items
//! of a JSON or ZIP export, entries of a KeePass XML file).

use super::harness::*;
use clavitor::import::pipeline;
use clavitor::import::Input;
use serde_json::Value;

/// What must survive a round trip, comparable as a multiset.
type Kept = (String, String, String, Vec<String>, String, String);

fn kept_of_export(v: &Value) -> Kept {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let urls = v["urls"]
        .as_array()
        .map(|a| a.iter().map(|u| u.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (
        s("title"),
        s("username"),
        s("password"),
        urls,
        s("notes"),
        s("folder"),
    )
}

/// Imports `rel` (auto-detected), checks its format, its counts against
/// `records`, and that the export holds what the parser read.
fn round_trip(rel: &str, format: &str, records: u64) {
    let path = own(rel);
    let o = owner();
    let s = o.import(&path, &["--skip-invalid"]);
    assert_eq!(s["format"], format, "{rel}: {s}");
    let imported = s["imported"].as_u64().unwrap();
    let merged = s["merged"].as_u64().unwrap();
    let skipped = s["skipped"].as_array().unwrap().len() as u64;
    assert_eq!(
        imported + merged + skipped,
        records,
        "{rel}: imported {imported} + merged {merged} + skipped {skipped} should be the file's {records} records: {s}"
    );
    let bytes = std::fs::read(&path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let parsed = pipeline::parse(
        &Input {
            name,
            bytes: &bytes,
        },
        None,
        true,
    )
    .unwrap();
    let mut want: Vec<Kept> = parsed
        .items
        .iter()
        .map(|i| {
            (
                i.title.clone(),
                i.username.clone(),
                i.password.clone(),
                i.urls.clone(),
                i.notes.clone(),
                i.folder.clone(),
            )
        })
        .collect();
    let mut got: Vec<Kept> = o.export().iter().map(kept_of_export).collect();
    want.sort();
    got.sort();
    assert_eq!(got.len() as u64, imported, "{rel}");
    assert_eq!(got, want, "{rel}: the export lost or changed something");
}

macro_rules! per_importer {
    ($($test:ident: $(($rel:literal, $format:literal, $records:literal)),+;)+) => {
        $(
            #[test]
            fn $test() {
                $( round_trip($rel, $format, $records); )+
            }
        )+
    };
}

per_importer! {
    bitwarden_json:
        ("bitwarden/personal.json", "bitwarden-json", 10),
        ("bitwarden/organization.json", "bitwarden-json", 2),
        ("bitwarden/with-attachments.zip", "bitwarden-json", 1);
    bitwarden_csv:
        ("bitwarden/personal.csv", "bitwarden-csv", 4),
        ("bitwarden/organization.csv", "bitwarden-csv", 2),
        ("bitwarden/title-only-nested-folder.csv", "bitwarden-csv", 3);
    chrome_csv:
        ("chrome/passwords-with-note.csv", "chrome-csv", 5),
        ("chrome/old-no-note.csv", "chrome-csv", 2),
        ("chrome/short-rows-missing-note.csv", "chrome-csv", 4);
    firefox_csv:
        ("firefox/logins.csv", "firefox-csv", 5),
        ("firefox/old-hostname.csv", "firefox-csv", 1);
    safari_csv:
        ("safari/passwords.csv", "safari-csv", 3),
        ("safari/old-format.csv", "safari-csv", 1);
    dashlane_csv:
        ("dashlane/credentials-otpurl.csv", "dashlane-csv", 2),
        ("dashlane/legacy-headerless.csv", "dashlane-csv", 4);
    dashlane_zip:
        ("dashlane/export.zip", "dashlane-zip", 7);
    dashlane_json:
        ("dashlane/export.json", "dashlane-json", 11);
    enpass_csv:
        ("enpass/export-no-header-bom.csv", "enpass-csv", 2),
        ("enpass/export-with-header-crlf.csv", "enpass-csv", 5);
    enpass_json:
        ("enpass/export.json", "enpass-json", 11);
    keepass_xml:
        ("keepass/database.xml", "keepass-xml", 6),
        ("keepass/keepass1-export.xml", "keepass-xml", 4);
    keepass_csv:
        ("keepass/keepass2-csv-1x.csv", "keepass-csv", 4),
        ("keepass/keepass1-ansi-group-tree.csv", "keepass-csv", 4);
    keepassxc_csv:
        ("keepassxc/export.csv", "keepassxc-csv", 4),
        ("keepassxc/keepassx-old-header.csv", "keepassxc-csv", 2);
    keeper_csv:
        ("keeper/export-crlf.csv", "keeper-csv", 6),
        ("keeper/export-with-header-bom.csv", "keeper-csv", 1);
    keeper_json:
        ("keeper/typed-records.json", "keeper-json", 5),
        ("keeper/legacy-array.json", "keeper-json", 2);
    lastpass_csv:
        ("lastpass/export.csv", "lastpass-csv", 11),
        ("lastpass/no-totp-column.csv", "lastpass-csv", 2);
    nordpass_csv:
        ("nordpass/export-current-bom-crlf.csv", "nordpass-csv", 8),
        ("nordpass/export-legacy-no-type.csv", "nordpass-csv", 5);
    onepassword_csv:
        ("onepassword/1password8.csv", "1password-csv", 3),
        ("onepassword/mac-subset.csv", "1password-csv", 3);
    onepassword_1pif:
        ("onepassword/sample.1pif", "1password-1pif", 7);
    onepassword_1pux:
        ("onepassword/sample.1pux", "1password-1pux", 8),
        ("onepassword/sample.export.data", "1password-1pux", 8);
    protonpass_csv:
        ("protonpass/export-bom-crlf.csv", "protonpass-csv", 6),
        ("protonpass/export-old-no-email-no-vault.csv", "protonpass-csv", 2);
    protonpass_json:
        ("protonpass/export.json", "protonpass-json", 6);
    protonpass_zip:
        ("protonpass/export.zip", "protonpass-zip", 6);
    clavitor_json:
        ("clavitor/export.json", "clavitor-json", 3);
    clavitor_csv:
        ("clavitor/export.csv", "clavitor-csv", 3);
    roboform_csv:
        ("roboform/export-old-header.csv", "roboform-csv", 2),
        ("roboform/export-rf_fields-colon.csv", "roboform-csv", 3),
        ("roboform/export-rffieldsv2-bom-crlf.csv", "roboform-csv", 4);
}

/// The five classes of files issue 15 found missing, through the real CLI.
#[test]
fn the_format_classes_of_issue_15() {
    // KeePass's own CSV (1.x columns): recognised, backslash escapes read.
    let o = owner();
    let s = o.import(&own("keepass/keepass2-csv-1x.csv"), &[]);
    assert_eq!(s["format"], "keepass-csv");
    let items = o.export();
    assert_eq!(item(&items, "Mail")["password"], "qu\"ote\\back");
    // An entry holding only a title is kept and counted.
    assert_eq!(item(&items, "Only a title")["type"], "login");

    // KeePass 1.x, ANSI, `Group Tree` nests by `\`; a `/` in a group name
    // stays part of that one name there.
    let o = owner();
    o.import(&own("keepass/keepass1-ansi-group-tree.csv"), &[]);
    let items = o.export();
    let cafe = item(&items, "Café € Shop");
    assert_eq!(cafe["folder"], "Internet/Shopping");
    assert_eq!(cafe["username"], "zoë");
    assert_eq!(item(&items, "Chat")["folder"], "Internet/Mail\u{2215}Chat");

    // KeePass 1.x XML: `<group tree="a\b">c</group>` is the folder a/b/c.
    let o = owner();
    let s = o.import(&own("keepass/keepass1-export.xml"), &[]);
    assert_eq!(s["format"], "keepass-xml");
    assert_eq!(
        s["skipped"][0]["reason"],
        "KeePass's internal settings entry (Meta-Info), not a password"
    );
    let items = o.export();
    assert_eq!(
        item(&items, "Bäckerei")["folder"],
        "Internet/Shopping/Deals"
    );
    assert_eq!(item(&items, "Chat")["folder"], "Internet/Mail\u{2215}Chat");
    let sample = item(&items, "Sample Entry");
    assert_eq!(sample["password"], "sVoVd2Ho<hm&C7");
    assert_eq!(
        sample["notes"],
        "Stored in the 'General' group.\nSecond line."
    );

    // Dashlane's headerless CSV, detected by its shape.
    let o = owner();
    let s = o.import(&own("dashlane/legacy-headerless.csv"), &[]);
    assert_eq!(s["format"], "dashlane-csv");
    let items = o.export();
    assert_eq!(item(&items, "GitHub")["password"], "gh,pa\"ss");
    assert_eq!(item(&items, "Just a title")["urls"], serde_json::json!([]));

    // Browser rows without the trailing optional `note`: accepted, noted.
    let o = owner();
    let s = o.import(&own("chrome/short-rows-missing-note.csv"), &[]);
    assert_eq!(s["imported"], 4, "{s}");
    let note = s["notes"][0].as_str().unwrap();
    assert!(note.starts_with("lines 3, 5:"), "{note}");
    assert_eq!(item(&o.export(), "shop.example")["password"], "pw-two");

    // A `/` path in a manager that nests by `/` (Bitwarden) is nested
    // folders; a title-only entry in a folder is kept and counted.
    let o = owner();
    let s = o.import(&own("bitwarden/title-only-nested-folder.csv"), &[]);
    assert_eq!(s["imported"], 3, "{s}");
    let items = o.export();
    assert_eq!(item(&items, "Build server")["folder"], "Work/Dev/CI");
    assert_eq!(item(&items, "Placeholder")["folder"], "Work/Dev");
}
