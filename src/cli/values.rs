//! Where a `--field` value comes from, so that secrets need not be on the
//! command line (where `ps`, `/proc/PID/cmdline` and shell history show
//! them to every local user):
//!
//! | argument | value |
//! |---|---|
//! | `name=VALUE` | VALUE itself (a warning on stderr when the field is L2/L3) |
//! | `name=-` | standard input, one trailing newline removed (at most one field) |
//! | `name=@FILE` | the file's content, one trailing newline removed |
//! | `name` (no `=`) | asked on the terminal without echo |
//! | `name=:generate` | a new random password (`clavitor generate`'s default) |
//!
//! A literal value that starts with `@`, or is exactly `-` or `:generate`,
//! goes in through stdin, a file or the prompt.

use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::CliError;
use crate::crypto::seal::Tier;
use crate::generate::Recipe;

/// Largest value read from stdin or a file (a private key fits easily).
const MAX_VALUE: u64 = 256 * 1024;

/// The source of one `--field` value.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    Inline(String),
    Stdin,
    File(PathBuf),
    Prompt,
    Generate,
}

/// A parsed `--field` argument.
#[derive(Debug)]
pub struct FieldArg {
    pub name: String,
    pub source: Source,
}

/// A field name and its value, wiped from memory when dropped.
pub struct FieldValue {
    pub name: String,
    pub value: Zeroizing<String>,
}

/// Parses `name[=VALUE|-|@FILE|:generate]`; the name follows the server's rule.
pub fn parse(raw: &str) -> Result<FieldArg, CliError> {
    let (name, value) = match raw.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (raw, None),
    };
    check_name(name)?;
    let source = match value {
        None => Source::Prompt,
        Some("-") => Source::Stdin,
        Some(":generate") => Source::Generate,
        Some(v) => match v.strip_prefix('@') {
            Some("") => {
                return Err(CliError::Usage(format!(
                    "--field {name}=@: expected a file name after @"
                )))
            }
            Some(path) => Source::File(PathBuf::from(path)),
            None => Source::Inline(v.to_string()),
        },
    };
    Ok(FieldArg {
        name: name.to_string(),
        source,
    })
}

/// A field name is 1-64 characters a-z, 0-9 or _ (as the server checks).
pub fn check_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "--field {:?}: a field name is 1-64 characters a-z, 0-9 or _ (then =VALUE, =-, =@FILE or =:generate)",
        name.chars().take(40).collect::<String>()
    )))
}

/// Parses every `--field`: no name twice, at most one from stdin.
pub fn parse_all(raws: &[String]) -> Result<Vec<FieldArg>, CliError> {
    let mut out: Vec<FieldArg> = Vec::with_capacity(raws.len());
    for raw in raws {
        let f = parse(raw)?;
        if out.iter().any(|o| o.name == f.name) {
            return Err(CliError::Usage(format!("--field {}: given twice", f.name)));
        }
        if f.source == Source::Stdin && out.iter().any(|o| o.source == Source::Stdin) {
            return Err(CliError::Usage(format!(
                "--field {}=-: only one field can be read from standard input; use =@FILE or the prompt for the others",
                f.name
            )));
        }
        out.push(f);
    }
    Ok(out)
}

/// Reads every value, in the order given. `tier_of` gives a field's tier
/// (from FIELD_SPEC, or the stored field's) so a secret given inline gets a
/// warning on stderr. Prompts read `/dev/tty`, never stdin, so a prompt and
/// a `-` field can be combined.
pub fn resolve(
    args: Vec<FieldArg>,
    tier_of: impl Fn(&str) -> Tier,
) -> Result<Vec<FieldValue>, CliError> {
    let mut out = Vec::with_capacity(args.len());
    for f in args {
        let value = match f.source {
            Source::Inline(v) => {
                if tier_of(&f.name) != Tier::L1 {
                    warn_inline(&f.name);
                }
                Zeroizing::new(v)
            }
            Source::Stdin => read_stdin(&f.name)?,
            Source::File(p) => read_file(&f.name, &p)?,
            Source::Prompt => prompt(&f.name)?,
            Source::Generate => {
                Recipe::default()
                    .generate()
                    .expect("the default recipe is within bounds")
                    .value
            }
        };
        out.push(FieldValue {
            name: f.name,
            value,
        });
    }
    Ok(out)
}

fn warn_inline(name: &str) {
    eprintln!(
        "clavitor: warning: --field {name}: a secret on the command line can be read by other local users \
         (ps, /proc) and may stay in shell history; next time use {name}=- (stdin), {name}=@FILE, \
         a bare --field {name} (prompt) or {name}=:generate"
    );
}

/// One trailing `\n` or `\r\n` removed: what `echo` and editors add.
fn strip_newline(mut s: Zeroizing<String>) -> Zeroizing<String> {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

fn read_limited(r: impl Read, what: &str) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    r.take(MAX_VALUE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Failed(format!("{what}: cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_VALUE {
        return Err(CliError::Usage(format!(
            "{what}: longer than {MAX_VALUE} bytes"
        )));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| CliError::Usage(format!("{what}: not UTF-8 text")))?;
    Ok(strip_newline(Zeroizing::new(text.to_string())))
}

fn read_stdin(name: &str) -> Result<Zeroizing<String>, CliError> {
    read_limited(
        std::io::stdin().lock(),
        &format!("--field {name}=- (standard input)"),
    )
}

fn read_file(name: &str, path: &Path) -> Result<Zeroizing<String>, CliError> {
    let what = format!("--field {name}=@{}", path.display());
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::Failed(format!("{what}: cannot open: {e}")))?;
    read_limited(file, &what)
}

/// Asks on the terminal (`/dev/tty`) without echo; the question goes to stderr.
fn prompt(name: &str) -> Result<Zeroizing<String>, CliError> {
    super::vaults::ask_hidden(
        &format!("Value for {name}: "),
        &format!("--field {name}: "),
        "the value",
        &format!("{name}=- (stdin) or {name}=@FILE"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_apart() {
        let src = |raw: &str| parse(raw).unwrap().source;
        assert_eq!(src("username=alice"), Source::Inline("alice".into()));
        assert_eq!(src("notes="), Source::Inline(String::new()));
        assert_eq!(src("password=-"), Source::Stdin);
        assert_eq!(src("password=@/tmp/p"), Source::File("/tmp/p".into()));
        assert_eq!(src("password"), Source::Prompt);
        assert_eq!(src("password=:generate"), Source::Generate);
        assert_eq!(src("password=a=b"), Source::Inline("a=b".into()));
        assert!(parse("password=@").is_err());
        assert!(parse("Pass=x").is_err());
        assert!(parse("=x").is_err());
    }

    #[test]
    fn one_stdin_field_and_no_repeats() {
        let raws = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse_all(&raws(&["password=-", "totp=-"])).is_err());
        assert!(parse_all(&raws(&["password=a", "password=b"])).is_err());
        assert_eq!(
            parse_all(&raws(&["password=-", "username=bob"]))
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn one_trailing_newline_is_dropped() {
        let s = |t: &str| strip_newline(Zeroizing::new(t.to_string())).to_string();
        assert_eq!(s("secret\n"), "secret");
        assert_eq!(s("secret\r\n"), "secret");
        assert_eq!(s("secret\n\n"), "secret\n");
        assert_eq!(s(" secret "), " secret ");
    }
}
