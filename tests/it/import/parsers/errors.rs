//! Errors name the file, the record and what was expected, never a value.

use super::*;

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
