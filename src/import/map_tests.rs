use super::*;
use crate::crypto::seal::sealed_tier;

fn keys() -> (Key32, Key32) {
    (Key32::generate(), Key32::generate())
}

fn login() -> Item {
    Item {
        item_type: "login".into(),
        title: "GitHub".into(),
        urls: vec!["https://github.com".into()],
        username: "alice".into(),
        password: "pw".into(),
        totp: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into(),
        fields: vec![
            CustomField {
                label: "PIN".into(),
                value: "1234".into(),
                hidden: true,
            },
            CustomField {
                label: "Recovery".into(),
                value: "a\nb".into(),
                hidden: false,
            },
        ],
        ..Default::default()
    }
}

/// What the server returns after the CLI opened L2/L3 values: the plain fields.
fn decrypted(item: &Item) -> Value {
    let (def, fields) = plain_fields(item).unwrap();
    json!({
        "type": def.name, "title": item.title, "urls": item.urls, "notes": item.notes,
        "folder": item.folder, "favorite": item.favorite,
        "fields": fields.iter().map(|f| json!({"name": f.name, "label": f.label, "tier": f.tier.as_str(), "value": f.value})).collect::<Vec<_>>(),
    })
}

#[test]
fn login_fields_follow_fieldspec_and_custom_fields_are_numbered() {
    let (_, fields) = plain_fields(&login()).unwrap();
    let names: Vec<_> = fields.iter().map(|f| (f.name.as_str(), f.tier)).collect();
    assert_eq!(
        names,
        [
            ("username", Tier::L1),
            ("password", Tier::L2),
            ("totp", Tier::L2),
            ("custom_1", Tier::L2),
            ("custom_2", Tier::L1),
        ]
    );
    assert_eq!(fields[3].label, "PIN");
    assert_eq!(fields[4].kind, Kind::Multiline);
}

#[test]
fn sealed_entries_pass_server_validation() {
    let (k2, k3) = keys();
    let k = SealKeys {
        vault_id: "00112233445566778899aabbccddeeff",
        k2: &k2,
        k3: &k3,
    };
    let mut card = Item {
        item_type: "card".into(),
        title: "Visa".into(),
        password: "misplaced".into(),
        card: Some(Card {
            number: "4111".into(),
            cvv: "123".into(),
            expiry: "01/2030".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    card.typed.insert("ssn".into(), "000-00-0000".into());
    for item in [login(), card] {
        let e = entry_json(
            &item,
            "00112233445566778899aabbccddeeff",
            &k,
            &["0001".into()],
        )
        .unwrap();
        validate(&e).unwrap();
        for f in e["fields"].as_array().unwrap() {
            let tier = f["tier"].as_str().unwrap();
            if tier != "l1" {
                assert_eq!(
                    sealed_tier(f["value"].as_str().unwrap()).unwrap().as_str(),
                    tier
                );
            }
        }
    }
    let (_, fields) = plain_fields(&Item {
        item_type: "card".into(),
        title: "x".into(),
        password: "p".into(),
        typed: [("ssn".to_string(), "1".to_string())].into(),
        ..Default::default()
    })
    .unwrap();
    // Values the type lacks keep their strictest FIELD_SPEC tier.
    assert_eq!(
        (fields[0].label.as_str(), fields[0].tier),
        ("Password", Tier::L2)
    );
    assert_eq!(
        (fields[1].label.as_str(), fields[1].tier),
        ("Social security number", Tier::L3)
    );
}

#[test]
fn unknown_types_are_refused() {
    let mut i = login();
    i.item_type = "agent".into();
    assert!(plain_fields(&i).unwrap_err().contains("not one of"));
}

#[test]
fn entries_come_back_as_the_same_items() {
    let i = login();
    let back = item_from_entry(&decrypted(&i));
    assert_eq!(back.username, "alice");
    assert_eq!(back.password, "pw");
    assert_eq!(back.totp, i.totp);
    assert_eq!(back.fields, i.fields);

    let card = Item {
        item_type: "card".into(),
        title: "Visa".into(),
        card: Some(Card {
            cardholder: "A".into(),
            number: "4111".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(item_from_entry(&decrypted(&card)).card, card.card);

    let id = Item {
        item_type: "identity".into(),
        title: "Me".into(),
        identity: Some(Identity {
            email: "a@b.c".into(),
            ssn: "1".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let back = item_from_entry(&decrypted(&id));
    assert_eq!(back.identity, id.identity);
    assert!(back.email.is_empty());

    let mut db = Item {
        item_type: "database".into(),
        title: "db".into(),
        username: "u".into(),
        ..Default::default()
    };
    db.typed.insert("hostname".into(), "h".into());
    let back = item_from_entry(&decrypted(&db));
    assert_eq!(
        (back.username.as_str(), back.typed["hostname"].as_str()),
        ("u", "h")
    );
}
