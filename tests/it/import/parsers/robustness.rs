//! Every format: garbage, wrong formats, secrets in messages, detection,
//! and a prefix fuzz of every sample.

use super::*;

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
    let Some(dir) = shared_dir() else { return };
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

#[test]
fn record_errors_name_file_record_and_expectation() {
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "protonpass-csv",
            "type,name,url,email,username,password,note,totp,createTime,modifyTime,vault\n\
             login,a,,,,,,,,,V\n\
             login,b,,,,,,,,,V,extra\n",
            "line 3",
            "has 12 fields, expected 11",
        ),
        (
            "protonpass-json",
            r#"{"version":"1","userId":"u","encrypted":false,"vaults":{"v":{"name":"V","items":[{"data":{"type":"note","metadata":{"name":"ok"}}},{"data":7}]}}}"#,
            "item 2",
            "expected an item with a `data` object",
        ),
        (
            "enpass-json",
            r#"{"folders":[],"items":[{"title":"ok","category":"note"},{"title":"x","category":"login","fields":{"a":1}}]}"#,
            "item 2",
            "expected `fields` to be an array",
        ),
        (
            "keeper-csv",
            "Work,Good,u,p,https://x.example,\nWork,Short\n",
            "line 2",
            "expected at least 6 fields",
        ),
    ];
    for (format, text, record, message) in cases {
        let input = Input {
            name: "bad.file",
            bytes: text.as_bytes(),
        };
        match importer(format).parse(&input, false) {
            Err(ImportError::Record {
                file,
                record: r,
                message: m,
            }) => {
                assert_eq!(
                    (file.as_str(), r.as_str()),
                    ("bad.file", record),
                    "{format}"
                );
                assert!(m.starts_with(message), "{format}: {m}");
            }
            other => panic!("{format}: expected a record error, got {other:?}"),
        }
        let p = importer(format).parse(&input, true).expect("skip-invalid");
        assert_eq!((p.items.len(), p.skipped.len()), (1, 1), "{format}");
        assert_eq!(p.skipped[0].0, record, "{format}");
    }
}

#[test]
fn utf16_exports_read_like_utf8_and_passwords_keep_their_spaces() {
    let utf8 = sample("nordpass/export-legacy-no-type.csv");
    let text = String::from_utf8(utf8.clone()).expect("utf-8 sample");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(sure("np16.csv", &utf16), ["nordpass-csv"]);
    assert_eq!(
        parse_as("nordpass-csv", "np16.csv", &utf16).items,
        parse_as("nordpass-csv", "np8.csv", &utf8).items
    );

    let csv = "name,url,username,password,note,cardholdername,cardnumber,cvc,expirydate,zipcode,folder,full_name,phone_number,email,address1,address2,city,country,state\n\
               Spaces,https://s.example,  user  ,\"  two spaces  \",\"  indented\n  note  \",,,,,,,,,,,,,,\n";
    let p = parse_as("nordpass-csv", "s.csv", csv.as_bytes());
    let it = by_title(&p, "Spaces");
    assert_eq!(
        (it.username.as_str(), it.password.as_str()),
        ("user", "  two spaces  ")
    );
    assert_eq!(it.notes, "  indented\n  note");
}

/// Detection must be distinctive: no other manager's shared fixture makes
/// one of this branch's importers certain.
#[test]
fn other_managers_fixtures_are_not_claimed() {
    let Some(dir) = shared_dir() else { return };
    for manager in std::fs::read_dir(&dir).expect("fixtures").flatten() {
        let m = manager.file_name().to_string_lossy().into_owned();
        if !manager.path().is_dir() || ["nordpass", "keeper", "protonpass"].contains(&m.as_str()) {
            continue;
        }
        for f in std::fs::read_dir(manager.path()).expect("dir").flatten() {
            let name = format!("{m}/{}", f.file_name().to_string_lossy());
            let bytes = std::fs::read(f.path()).expect("read");
            let claimed: Vec<_> = sure(&name, &bytes)
                .into_iter()
                .filter(|n| OURS.contains(n))
                .collect();
            assert!(claimed.is_empty(), "{name} claimed by {claimed:?}");
        }
    }
}
