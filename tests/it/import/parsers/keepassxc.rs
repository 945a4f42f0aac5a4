//! KeePassXC and KeePassX CSV.

use super::*;

#[test]
fn own_keepassxc_samples() {
    let p = parse("keepassxc-csv", &own("keepassxc/export.csv"));
    assert_eq!(p.items.len(), 3);
    // Header line 1, a blank line 3, a two-line record on 4-5: the bin row is line 6.
    assert_eq!(p.skipped, vec![("line 6".into(), "in trash".into())]);
    let top = by_title(&p, "Top level");
    assert_eq!(
        (top.folder.as_str(), top.updated_at.as_deref()),
        ("", Some("2024-01-02T03:04:05Z"))
    );
    let mail = by_title(&p, "Boîte mail 📬");
    assert_eq!(
        (mail.folder.as_str(), mail.password.as_str()),
        ("Email/Privé", "p\"w,1")
    );
    assert_eq!(mail.totp, "otpauth://totp/Mail:ada?secret=JBSWY3DPEHPK3PXP");
    assert_eq!(mail.notes, "Line 1\r\nLine 2");
    assert_eq!(by_title(&p, "Just text").item_type, "note");

    let p = parse("keepassxc-csv", &own("keepassxc/keepassx-old-header.csv"));
    assert_eq!(
        by_title(&p, "Forum").folder,
        "Internet",
        "a renamed root group is dropped too"
    );
    assert_eq!(by_title(&p, "Bank").folder, "");
}
