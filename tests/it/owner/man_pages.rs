//! The manual pages and completions say what the binary does:
//! `clavitor --help` (the real binary, every command) and clavitor(1) as
//! `man -l` renders it list the same commands and options;
//! clavitor.yaml(5) documents every key of config/clavitor.yaml; the
//! completion scripts know every command and option.

use crate::common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// `clavitor ARGS --help` as the user sees it.
fn help(args: &[&str]) -> String {
    let out = Command::new(bin())
        .args(args)
        .arg("--help")
        .output()
        .expect("run clavitor --help");
    assert!(out.status.success(), "clavitor {args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of a clap help section ("Commands:", "Options:", "Arguments:").
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    // A section runs to the next unindented line. Blank lines belong to it:
    // clap switches to the long layout (entries separated by blank lines)
    // when an option documents its possible values.
    text.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter(|l| !l.is_empty())
        .collect()
}

/// The first token of a help entry: `--long` for options, `<NAME>` for arguments.
fn entry_key(line: &str) -> Option<String> {
    let t = line.trim_start();
    let token = if let Some(rest) = t.strip_prefix('-') {
        if rest.starts_with('-') {
            t.split(|c: char| c.is_whitespace() || c == '=').next()?
        } else {
            // "-h, --help"
            t.split_whitespace().nth(1)?
        }
    } else if t.starts_with('<') || t.starts_with('[') {
        t.split_whitespace().next()?
    } else {
        return None;
    };
    Some(
        token
            .trim_end_matches(',')
            .replace('[', "<")
            .replace(']', ">")
            .replace("...", ""),
    )
}

/// Options and arguments in one command's `--help` (entries, not wrapped continuation lines).
fn help_entries(text: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for heading in ["Arguments:", "Options:"] {
        for line in section(text, heading) {
            let indent = line.len() - line.trim_start().len();
            if indent <= 6 {
                if let Some(k) = entry_key(line) {
                    set.insert(k);
                }
            }
        }
    }
    set
}

/// Every runnable command with its `--help` entries, walking "Commands:" recursively.
fn help_tree(path: &mut Vec<String>, out: &mut BTreeMap<String, BTreeSet<String>>) {
    let args: Vec<&str> = path.iter().map(String::as_str).collect();
    let text = help(&args);
    let commands: Vec<String> = section(&text, "Commands:")
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    if commands.is_empty() {
        out.insert(path.join(" "), help_entries(&text));
    }
    for c in commands {
        path.push(c);
        help_tree(path, out);
        path.pop();
    }
}

/// Renders a roff page to plain text with the system's man (man-db).
fn render_man(page: &Path) -> String {
    let out = Command::new("man")
        .args(["--nh", "--nj", "-l"])
        .arg(page)
        .env("MANWIDTH", "200")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run man ({e}): install man-db and groff-base (`make test-deps` does)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "man -l {} failed or warned: {stderr}",
        page.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The part of rendered man text under a `NAME` heading, up to the next heading.
fn man_section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

/// Option and argument tags in rendered man text (7-space indented entries).
fn man_entries<'a>(lines: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    lines
        .filter(|l| l.starts_with("       ") && !l.starts_with("        "))
        .filter_map(entry_key)
        .collect()
}

#[test]
fn help_and_manual_list_the_same_commands_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("clavitor.1");
    std::fs::write(&page, xtask::man_page()).unwrap();
    let man = render_man(&page);

    // Global options: the root's --help and the manual's OPTIONS section.
    let global = help_entries(&help(&[]));
    assert!(
        global.contains("--json") && global.contains("--help"),
        "{global:?}"
    );
    assert_eq!(
        man_entries(man_section(&man, "OPTIONS").into_iter()),
        global
    );

    let mut from_help = BTreeMap::new();
    help_tree(&mut Vec::new(), &mut from_help);
    for name in [
        "serve",
        "check-config",
        "backup",
        "init",
        "agent create",
        "audit",
    ] {
        assert!(from_help.contains_key(name), "--help lacks {name}");
    }
    // Each command's own entries: what --help shows minus the global options.
    let from_help: BTreeMap<String, BTreeSet<String>> = from_help
        .into_iter()
        .map(|(k, v)| (k, v.difference(&global).cloned().collect()))
        .collect();

    let mut from_man: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in man_section(&man, "COMMANDS") {
        if let Some(name) = line.strip_prefix("   clavitor ") {
            current = Some(name.trim().to_string());
            from_man.entry(name.trim().to_string()).or_default();
        } else if let Some(c) = &current {
            from_man
                .get_mut(c)
                .unwrap()
                .extend(man_entries(std::iter::once(line)));
        }
    }
    assert_eq!(
        from_man.keys().collect::<Vec<_>>(),
        from_help.keys().collect::<Vec<_>>(),
        "commands in clavitor(1) vs --help"
    );
    for (name, entries) in &from_help {
        assert_eq!(
            &from_man[name], entries,
            "options of `clavitor {name}`: manual vs --help"
        );
    }
    assert!(man.contains("EXIT STATUS") && man.contains("clavitor.yaml(5)"));
}

/// Every key path in config/clavitor.yaml, including the optional keys it
/// shows commented out (`# tls: {...}`).
fn config_keys() -> BTreeSet<String> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/clavitor.yaml"))
            .unwrap();
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.split_once(": ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }) =>
            {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let doc: serde_yaml::Value = serde_yaml::from_str(&uncommented).unwrap();
    fn walk(prefix: &str, v: &serde_yaml::Value, out: &mut BTreeSet<String>) {
        if let serde_yaml::Value::Mapping(m) = v {
            for (k, v) in m {
                let k = k.as_str().unwrap();
                let path = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                walk(&path, v, out);
                out.insert(path);
            }
        }
    }
    let mut keys = BTreeSet::new();
    walk("", &doc, &mut keys);
    keys
}

#[test]
fn config_manual_documents_every_key_of_the_example_config() {
    let keys = config_keys();
    for k in [
        "listen",
        "limits.max_db_size",
        "tls.cert",
        "telemetry.interval",
        "replication_config",
    ] {
        assert!(
            keys.contains(k),
            "{k} not found in config/clavitor.yaml: {keys:?}"
        );
    }
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/man/clavitor.yaml.5");
    let text = render_man(&page);
    let tags = man_entries_any(&text);
    let missing: Vec<&String> = keys.iter().filter(|k| !tags.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "clavitor.yaml(5) does not document {missing:?}"
    );
}

/// Bold key tags of clavitor.yaml(5) as rendered: the first word of lines
/// indented like `.TP` tags (7 spaces, or 14 inside `.RS`).
fn man_entries_any(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("       "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_know_every_command_and_option() {
    let mut tree = BTreeMap::new();
    help_tree(&mut Vec::new(), &mut tree);
    let scripts = [
        ("bash", xtask::completion(clap_complete_shell("bash"))),
        ("zsh", xtask::completion(clap_complete_shell("zsh"))),
        ("fish", xtask::completion(clap_complete_shell("fish"))),
    ];
    for (shell, script) in &scripts {
        let script = String::from_utf8(script.clone()).unwrap();
        for (name, entries) in &tree {
            let last = name.rsplit(' ').next().unwrap();
            assert!(script.contains(last), "{shell} completion lacks `{name}`");
            for e in entries.iter().filter(|e| e.starts_with("--")) {
                // fish spells `--scope` as `-l scope`.
                let spelled = if *shell == "fish" {
                    format!("-l {}", &e[2..])
                } else {
                    e.clone()
                };
                assert!(
                    script.contains(&spelled),
                    "{shell} completion lacks {e} of `{name}`"
                );
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let bash = dir.path().join("clavitor.bash");
    std::fs::write(&bash, &scripts[0].1).unwrap();
    let st = Command::new("bash").arg("-n").arg(&bash).status().unwrap();
    assert!(st.success(), "bash -n refuses the bash completion");
}

fn clap_complete_shell(name: &str) -> xtask::Shell {
    name.parse().unwrap()
}
