//! Build-time assets generated from the clap definitions in
//! `clavitor::cli`, so that `clavitor --help`, the manual page and the shell
//! completions cannot drift apart: clavitor(1) and the bash, zsh and fish
//! completions. clavitor.yaml(5) is written by hand
//! (`packaging/man/clavitor.yaml.5`) and copied alongside.
//!
//! This crate is a workspace member that the shipped binary never depends
//! on; see docs/PACKAGING.md.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command, CommandFactory};
pub use clap_complete::Shell;
use roff::{bold, italic, roman, Inline, Roff};

/// The hand-written configuration manual page.
pub const CONFIG_MAN_PAGE: &str = include_str!("../../packaging/man/clavitor.yaml.5");

/// The CLI as clap sees it once built (bin names filled in down the tree).
pub fn command() -> Command {
    let mut cmd = clavitor::cli::Cli::command();
    cmd.build();
    cmd
}

/// Every runnable command below the root, depth first, with its full name
/// ("agent create"). Commands that only group others ("agent") are left
/// out; their children are listed.
pub fn leaf_commands(cmd: &Command) -> Vec<(String, &Command)> {
    fn walk<'a>(prefix: &str, cmd: &'a Command, out: &mut Vec<(String, &'a Command)>) {
        // clap's own `help` subcommand only repeats `--help`.
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let name = if prefix.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{prefix} {}", sub.get_name())
            };
            if sub.has_subcommands() {
                walk(&name, sub, out);
            } else {
                out.push((name, sub));
            }
        }
    }
    let mut out = Vec::new();
    walk("", cmd, &mut out);
    out
}

/// The arguments a command documents itself: not the global ones (listed
/// once under OPTIONS), not `--help`/`--version`.
pub fn own_args(cmd: &Command) -> Vec<&Arg> {
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_global_set())
        .filter(|a| !matches!(a.get_action(), ArgAction::Help | ArgAction::Version))
        .collect()
}

const DESCRIPTION: &str = "\
clavitor is a self-hosted credential vault for people whose AI agents need some of their \
secrets. The owner holds everything; each agent gets a scoped, rate-limited, audited \
credential that fetches exactly what it was granted and never the owner-only tier.";

const DESCRIPTION_2: &str = "\
One binary is both the server (clavitor serve, with check-config and backup, run on the \
server host) and the client used by owners and agents (every other command), which talks \
to a server over HTTP and does all encryption of passwords and other protected fields locally.";

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "Error: network, server error, unreadable file, invalid configuration.",
    ),
    ("2", "Usage: the command line itself is wrong."),
    ("3", "Denied: authentication or authorization refused."),
    (
        "4",
        "Not found: the entry, agent or scope asked for does not exist.",
    ),
    ("5", "Locked or rate limited (agents)."),
    (
        "6",
        "Ambiguous: a title matches more than one entry; nothing was printed and the candidates are listed on stderr. Ask for the entry by its id.",
    ),
];

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "CLAVITOR_CREDENTIAL",
        "An agent's client credential (cvc1.\\|.\\|.); the client then acts as that agent instead of the owner's login. --credential-file takes precedence.",
    ),
    (
        "XDG_CONFIG_HOME",
        "The client keeps its server URL and session under $XDG_CONFIG_HOME/clavitor/ (default ~/.config/clavitor/), in files of mode 0600.",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "/etc/clavitor/clavitor.yaml",
        "Server configuration, read by serve, check-config and backup when --config is not given; see clavitor.yaml(5).",
    ),
    (
        "/var/lib/clavitor/clavitor.db",
        "The vault database (SQLite, WAL mode) in the packaged configuration's data_dir.",
    ),
    (
        "/var/lib/clavitor/token.key",
        "The server's token keyring, mode 0600, created on first start.",
    ),
    (
        "/var/lib/clavitor/setup-token",
        "One-time token for creating the first vault while registration is closed (for clavitor init --setup-token-file).",
    ),
];

const SIGNALS: &[(&str, &str)] = &[
    (
        "SIGHUP",
        "Re-read the configuration and the token keyring; both are swapped in only if both are valid. listen, data_dir and workers need a restart.",
    ),
    (
        "SIGTERM, SIGINT",
        "Stop accepting connections, finish in-flight requests, close the database and exit.",
    ),
];

fn tagged_paragraphs(roff: &mut Roff, heading: &str, items: &[(&str, &str)]) {
    roff.control("SH", [heading]);
    for (tag, text) in items {
        roff.control("TP", []);
        roff.text([bold(*tag)]);
        roff.text([roman(*text)]);
    }
}

/// `--long <VALUE>` / `-s, --long` / `<NAME>` as roff inlines.
fn arg_tag(arg: &Arg) -> Vec<Inline> {
    let value_names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(|n| n.to_string()).collect(),
        None => vec![arg.get_id().as_str().to_uppercase()],
    };
    if arg.is_positional() {
        let names = value_names
            .iter()
            .map(|n| format!("<{n}>"))
            .collect::<Vec<_>>()
            .join(" ");
        return vec![italic(names)];
    }
    let mut tag = Vec::new();
    if let Some(s) = arg.get_short() {
        tag.push(bold(format!("-{s}")));
        if arg.get_long().is_some() {
            tag.push(roman(", "));
        }
    }
    if let Some(l) = arg.get_long() {
        tag.push(bold(format!("--{l}")));
    }
    if arg.get_action().takes_values() {
        for n in value_names {
            tag.push(roman(" "));
            tag.push(italic(format!("<{n}>")));
        }
    }
    tag
}

fn arg_help(arg: &Arg) -> String {
    let mut help = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        help.push_str(&format!(" [default: {}]", defaults.join(", ")));
    }
    if arg.is_required_set() && !arg.is_positional() {
        help.push_str(" (required)");
    }
    if matches!(arg.get_action(), ArgAction::Append) && !help.contains("repeatable") {
        help.push_str(" (repeatable)");
    }
    help
}

fn render_commands(roff: &mut Roff, root: &Command) {
    roff.control("SH", ["COMMANDS"]);
    roff.text([roman(
        "Each command accepts the global options above. clavitor COMMAND --help (or clavitor help COMMAND) prints the same text.",
    )]);
    for (name, cmd) in leaf_commands(root) {
        roff.control("SS", [format!("clavitor {name}").as_str()]);
        if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
            roff.text([roman(about.to_string())]);
        }
        let usage = cmd.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage:").trim();
        roff.control("PP", []);
        roff.text([roman("Usage: "), bold(usage)]);
        for arg in own_args(cmd) {
            roff.control("TP", []);
            roff.text(arg_tag(arg));
            roff.text([roman(arg_help(arg))]);
        }
    }
}

/// clavitor(1), in roff.
pub fn man_page() -> Vec<u8> {
    let root = command();
    let man = clap_mangen::Man::new(root.clone())
        .title("CLAVITOR")
        .section("1")
        .source(format!("clavitor {}", env!("CARGO_PKG_VERSION")))
        .manual("clavitor manual");
    let mut out = Vec::new();
    let io = |r: std::io::Result<()>| r.expect("writing to a Vec cannot fail");
    io(man.render_title(&mut out));
    io(man.render_name_section(&mut out));
    io(man.render_synopsis_section(&mut out));
    let mut roff = Roff::new();
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(DESCRIPTION)]);
    roff.control("PP", []);
    roff.text([roman(DESCRIPTION_2)]);
    io(roff.to_writer(&mut out));
    io(man.render_options_section(&mut out));

    let mut roff = Roff::new();
    render_commands(&mut roff, &root);
    tagged_paragraphs(&mut roff, "EXIT STATUS", EXIT_STATUS);
    tagged_paragraphs(&mut roff, "ENVIRONMENT", ENVIRONMENT);
    tagged_paragraphs(&mut roff, "FILES", FILES);
    tagged_paragraphs(&mut roff, "SIGNALS", SIGNALS);
    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        bold("clavitor.yaml"),
        roman("(5), "),
        bold("systemctl"),
        roman("(1), "),
        bold("journalctl"),
        roman("(1); /usr/share/doc/clavitor/ for operations and security notes."),
    ]);
    io(roff.to_writer(&mut out));
    io(man.render_version_section(&mut out));
    out
}

/// A completion script for `shell`.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut cmd = command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "clavitor", &mut out);
    out
}

/// Writes every asset under `dir` (`man/`, `completions/`); returns the files written.
pub fn write_assets(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        (dir.join("man/clavitor.1"), man_page()),
        (
            dir.join("man/clavitor.yaml.5"),
            CONFIG_MAN_PAGE.as_bytes().to_vec(),
        ),
        (
            dir.join("completions/clavitor.bash"),
            completion(Shell::Bash),
        ),
        (dir.join("completions/_clavitor"), completion(Shell::Zsh)),
        (
            dir.join("completions/clavitor.fish"),
            completion(Shell::Fish),
        ),
    ];
    let mut written = Vec::new();
    for (path, bytes) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::File::create(&path)?.write_all(&bytes)?;
        written.push(path);
    }
    Ok(written)
}
