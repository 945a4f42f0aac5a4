use super::*;

const PERSONAL: &[u8] = include_bytes!("../../tests/fixtures/bitwarden/personal.json");
const ORG: &[u8] = include_bytes!("../../tests/fixtures/bitwarden/organization.json");
const ENCRYPTED: &[u8] = include_bytes!("../../tests/fixtures/bitwarden/encrypted-account.json");

fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    BitwardenJson.parse(
        &Input {
            name: "bw.json",
            bytes,
        },
        false,
    )
}

#[test]
fn personal_export_maps_every_type() {
    let p = parse(PERSONAL).unwrap();
    assert_eq!(
        p.skipped[0],
        ("item 8".to_string(), "in the trash".to_string())
    );
    assert_eq!(
        p.skipped[1].0, "item 10",
        "an empty item is reported under its own number"
    );
    let gh = &p.items[0];
    assert_eq!(
        (gh.title.as_str(), gh.folder.as_str(), gh.favorite),
        ("GitHub", "Work/Dev", true)
    );
    assert_eq!(
        gh.urls,
        ["https://github.com/login", "https://gist.github.com"]
    );
    assert_eq!(
        (gh.username.as_str(), gh.password.as_str()),
        ("octo-alice", "gh-S3cret!pass")
    );
    assert_eq!(gh.fields.len(), 3, "the linked field is dropped");
    assert!(gh.fields[1].hidden && !gh.fields[0].hidden);
    assert_eq!(gh.updated_at.as_deref(), Some("2024-03-01T10:00:00.000Z"));
    let card = p.items.iter().find(|i| i.item_type == "card").unwrap();
    let c = card.card.as_ref().unwrap();
    assert_eq!(
        (c.number.as_str(), c.expiry.as_str(), c.cvv.as_str()),
        ("4111111111111111", "07/2029", "123")
    );
    let id = p.items.iter().find(|i| i.item_type == "identity").unwrap();
    let ident = id.identity.as_ref().unwrap();
    assert_eq!(
        (ident.address2.as_str(), ident.passport.as_str()),
        ("Apt 2, Building C", "X1234567")
    );
    assert_eq!(id.username, "alice_e");
    let ssh = p.items.iter().find(|i| i.item_type == "ssh_key").unwrap();
    assert!(ssh.typed["private_key"].contains("OPENSSH"));
    assert_eq!(p.items.iter().filter(|i| i.item_type == "note").count(), 1);
}

#[test]
fn organization_items_take_their_first_collection() {
    let p = parse(ORG).unwrap();
    assert_eq!(p.items[0].folder, "Engineering/Cloud");
    assert_eq!(p.items[1].folder, "Finance");
}

#[test]
fn encrypted_exports_are_refused_with_advice() {
    for bytes in [
        ENCRYPTED,
        include_bytes!("../../tests/fixtures/bitwarden/encrypted-account.json"),
    ] {
        assert_eq!(
            BitwardenJson.detect(&Input { name: "x", bytes }),
            Confidence::Yes
        );
        let e = parse(bytes).unwrap_err().to_string();
        assert!(e.contains("encrypted") && e.contains("\".json\""), "{e}");
    }
    let pw = br#"{"encrypted": true, "passwordProtected": true, "data": "2.x|y|z"}"#;
    assert!(parse(pw)
        .unwrap_err()
        .to_string()
        .contains("password-protected"));
}

#[test]
fn bad_items_are_named_and_skippable() {
    let text = br#"{"encrypted":false,"folders":[],"items":[{"type":1,"name":"ok"},"nope"]}"#;
    let e = parse(text).unwrap_err().to_string();
    assert!(e.contains("item 2"), "{e}");
    let p = BitwardenJson
        .parse(
            &Input {
                name: "bw.json",
                bytes: text,
            },
            true,
        )
        .unwrap();
    assert_eq!((p.items.len(), p.skipped.len()), (1, 1));
    let e = parse(br#"{"encrypted":false,"items":[{"type":1,"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn expiry_forms() {
    assert_eq!(expiry_of("1", "2030"), "01/2030");
    assert_eq!(expiry_of("12", "30"), "12/2030");
    assert_eq!(expiry_of("", "2030"), "2030");
    assert_eq!(expiry_of("", ""), "");
}
