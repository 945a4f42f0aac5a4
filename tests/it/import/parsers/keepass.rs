//! KeePass 2 XML.

use super::*;

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
