//! Detection: each sample is claimed by its own importer alone.

use super::*;

/// Every sample, shared or own, with the importer that must claim it.
pub(super) fn corpus() -> Vec<(&'static str, PathBuf)> {
    let mut out = Vec::new();
    let dirs = [
        ("onepassword", None),
        ("lastpass", Some("lastpass-csv")),
        ("dashlane", None),
        ("keepass", None),
        ("keepassxc", Some("keepassxc-csv")),
    ];
    let roots: Vec<PathBuf> = [Some(own("")), shared("")].into_iter().flatten().collect();
    for root in roots {
        for (dir, fixed) in dirs {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                let path = e.path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let importer = fixed.unwrap_or(match () {
                    _ if name.ends_with(".1pux") || name.ends_with(".export.data") => {
                        "1password-1pux"
                    }
                    _ if name.ends_with(".1pif") => "1password-1pif",
                    _ if dir == "keepass" && name.ends_with(".csv") => "keepass-csv",
                    _ if dir == "keepass" => "keepass-xml",
                    _ if dir == "onepassword" => "1password-csv",
                    _ if name.ends_with(".zip") => "dashlane-zip",
                    _ if name.ends_with(".json") => "dashlane-json",
                    _ => "dashlane-csv",
                });
                out.push((importer, path));
            }
        }
    }
    out
}

#[test]
fn each_sample_is_claimed_by_its_importer_alone() {
    for (expected, path) in corpus() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = Input {
            name: &name,
            bytes: &bytes,
        };
        for imp in importers() {
            let got = imp.detect(&input);
            if imp.name() == expected {
                let ok = got == Confidence::Yes
                    || name == "secure-notes.csv" && got == Confidence::Maybe;
                assert!(ok, "{} should claim {name}, said {got:?}", imp.name());
            } else {
                assert_ne!(got, Confidence::Yes, "{} wrongly claims {name}", imp.name());
            }
        }
    }
}
