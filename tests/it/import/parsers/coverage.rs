//! Every shared fixture of these managers has a test in its manager's module.

use super::*;

/// Every shared fixture of these managers is covered above: a new file
/// makes this fail until it gets assertions.
#[test]
fn every_shared_fixture_of_these_managers_is_known() {
    let Some(root) = shared("") else { return };
    let mut seen = 0;
    for manager in [
        "onepassword",
        "lastpass",
        "dashlane",
        "keepass",
        "keepassxc",
    ] {
        let Ok(dir) = std::fs::read_dir(root.join(manager)) else {
            continue;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // The test of a fixture lives in its manager's module.
            let text = match manager {
                "onepassword" => include_str!("onepassword.rs"),
                "lastpass" => include_str!("lastpass.rs"),
                "dashlane" => include_str!("dashlane.rs"),
                "keepass" => include_str!("keepass.rs"),
                _ => include_str!("keepassxc.rs"),
            };
            let stem = name
                .trim_end_matches(".1pux")
                .trim_end_matches(".export.data");
            assert!(
                text.contains(&format!("/{name}\"")) || text.contains(&format!("\"{stem}\"")),
                "{manager}/{name} has no test"
            );
            seen += 1;
        }
    }
    assert!(seen >= 70, "expected the shared fixtures, saw {seen}");
}
