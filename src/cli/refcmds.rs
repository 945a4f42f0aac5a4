//! `clavitor read`, `clavitor run` and `clavitor inject` (SPEC 13): the
//! commands that use `clavitor://ENTRY/FIELD` references through
//! [`secretref::Resolver`].
//!
//! Resolved values go only where the user asked: stdout (`read`), the
//! child's environment (`run`), a 0600 file or stdout (`inject`). Errors
//! name the reference (and the variable or template line), never a value.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use zeroize::Zeroizing;

use super::client::print_json;
use super::mask::{Secrets, StreamMasker};
use super::profile;
use super::secretref::{self, Purpose, Reference, Resolver, Spaces};
use super::{CliError, CliResult, InjectArgs, ReadArgs, RunArgs};

/// Largest template or dotenv file read.
const MAX_INPUT: u64 = 16 * 1024 * 1024;

/// How long a possible start of a secret is held back when the child goes
/// quiet: long enough for the rest of a value written in pieces to arrive,
/// short enough that a prompt is not held.
const QUIET_FLUSH_MS: i32 = 500;

/// `clavitor read REF`.
pub fn read(a: &ReadArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let reference = Reference::parse(&a.reference)?;
    let resolver = Resolver::from_cli(cred)?;
    let value = resolver.resolve(&reference, &Purpose::Local)?;
    if json {
        print_json(&json!({"reference": reference.as_str(), "value": value.as_str()}));
    } else if a.no_newline {
        print!("{}", value.as_str());
    } else {
        println!("{}", value.as_str());
    }
    std::io::stdout()
        .flush()
        .map_err(|e| CliError::Failed(format!("standard output: {e}")))
}

/// Prefixes a resolution error with where the reference was found, keeping
/// its exit code.
fn at(place: &str, e: secretref::ResolveError) -> CliError {
    match CliError::from(e) {
        CliError::Failed(m) => CliError::Failed(format!("{place}: {m}")),
        CliError::Usage(m) => CliError::Usage(format!("{place}: {m}")),
        CliError::Denied(m) => CliError::Denied(format!("{place}: {m}")),
        CliError::NotFound(m) => CliError::NotFound(format!("{place}: {m}")),
        CliError::Locked(m) => CliError::Locked(format!("{place}: {m}")),
    }
}

/// Creates the resolver on first use, so that `run` without references
/// needs no credential.
struct LazyResolver<'a> {
    cred: Option<&'a Path>,
    resolver: Option<Resolver>,
}

impl LazyResolver<'_> {
    fn get(&mut self) -> Result<&Resolver, CliError> {
        if self.resolver.is_none() {
            self.resolver = Some(Resolver::from_cli(self.cred)?);
        }
        Ok(self.resolver.as_ref().expect("just set"))
    }
}

/// `clavitor run [--env-file F] [--no-masking] -- CMD [ARGS]`. Returns only
/// on errors before the command started; afterwards the process exits with
/// the command's status (or dies of its signal).
pub fn run(a: &RunArgs, cred: Option<&Path>) -> CliResult {
    let mut lazy = LazyResolver {
        cred,
        resolver: None,
    };
    let mut secrets = Secrets::new();
    let mut vars: Vec<(OsString, Zeroizing<String>)> = Vec::new();
    for (key, value) in std::env::vars_os() {
        let Some(text) = value.to_str().filter(|t| secretref::mentions(t)) else {
            continue;
        };
        let place = format!("environment variable {}", key.to_string_lossy());
        let resolved = lazy
            .get()?
            .resolve_text(text, Spaces::Allowed, &Purpose::Local, &mut secrets)
            .map_err(|e| at(&place, e))?;
        vars.push((key, resolved));
    }
    for file in &a.env_file {
        for (line, key, value) in read_dotenv(file)? {
            let resolved = if secretref::mentions(&value) {
                let place = format!("{}:{line} ({key})", file.display());
                lazy.get()?
                    .resolve_text(&value, Spaces::Allowed, &Purpose::Local, &mut secrets)
                    .map_err(|e| at(&place, e))?
            } else {
                value
            };
            vars.push((OsString::from(key), resolved));
        }
    }
    let mask = !a.no_masking && !secrets.is_empty();
    let mask_out = mask && !is_terminal(1);
    let mask_err = mask && !is_terminal(2);

    let (program, args) = a
        .command
        .split_first()
        .ok_or_else(|| CliError::Usage("give the command after --".into()))?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    for (k, v) in &vars {
        cmd.env(k, v.as_str());
    }
    drop(vars);
    cmd.stdout(if mask_out {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    cmd.stderr(if mask_err {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    // Registered before the child exists so that no signal is lost; the
    // handlers are reset to the default in the child by exec.
    let signals = forwarded_signals()?;
    let mut child = cmd
        .spawn()
        .map_err(|e| CliError::Failed(format!("cannot run {}: {e}", program.to_string_lossy())))?;
    let pid = child.id() as libc::pid_t;
    let handle = signals.handle();
    std::thread::spawn(move || forward_signals(signals, pid));

    let secrets = Arc::new(secrets);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(2);
    let mut pumps = 0;
    if let Some(out) = child.stdout.take() {
        pumps += 1;
        spawn_pump(
            out,
            std::io::stdout(),
            Arc::clone(&secrets),
            done_tx.clone(),
        );
    }
    if let Some(err) = child.stderr.take() {
        pumps += 1;
        spawn_pump(
            err,
            std::io::stderr(),
            Arc::clone(&secrets),
            done_tx.clone(),
        );
    }
    let status = child
        .wait()
        .map_err(|e| CliError::Failed(format!("waiting for the command: {e}")))?;
    handle.close();
    // The pumps end when every writer closed the pipe; a daemon the command
    // left behind may keep it open, so they get a short grace, not forever.
    for _ in 0..pumps {
        if done_rx.recv_timeout(Duration::from_secs(2)).is_err() {
            break;
        }
    }
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    if let Some(sig) = status.signal() {
        die_of(sig);
    }
    std::process::exit(status.code().unwrap_or(1));
}

fn is_terminal(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// Signals passed on to the child (SIGINT and SIGQUIT only when they did not
/// come from the terminal, which already sent them to the child's group).
const FORWARDED: &[i32] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

fn forwarded_signals() -> Result<signal_hook::iterator::Signals, CliError> {
    signal_hook::iterator::Signals::new(FORWARDED)
        .map_err(|e| CliError::Failed(format!("cannot install signal handlers: {e}")))
}

fn forward_signals(mut signals: signal_hook::iterator::Signals, pid: libc::pid_t) {
    for sig in signals.forever() {
        let from_tty = matches!(sig, libc::SIGINT | libc::SIGQUIT) && in_foreground();
        if !from_tty {
            // SAFETY: kill sends a signal to our own child's pid.
            unsafe {
                libc::kill(pid, sig);
            }
        }
    }
}

/// Whether this process group is the terminal's foreground group (then
/// keyboard signals reach the child directly).
fn in_foreground() -> bool {
    // SAFETY: plain queries on descriptor 0 and this process.
    unsafe { libc::isatty(0) == 1 && libc::tcgetpgrp(0) == libc::getpgrp() }
}

/// Ends this process the way the child ended: by the same signal.
fn die_of(sig: i32) -> ! {
    let _ = std::io::stdout().flush();
    // SAFETY: restoring the default action and raising the signal at exit.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig);
}

/// Copies a child's pipe to our stream, masking resolved values.
fn spawn_pump<R, W>(from: R, to: W, secrets: Arc<Secrets>, done: crossbeam_channel::Sender<()>)
where
    R: Read + AsRawFd + Send + 'static,
    W: Write + Send + 'static,
{
    std::thread::spawn(move || {
        pump(from, to, &secrets);
        let _ = done.send(());
    });
}

fn pump<R: Read + AsRawFd, W: Write>(mut from: R, mut to: W, secrets: &Secrets) {
    let mut masker = StreamMasker::new(secrets);
    let mut buf = Zeroizing::new(vec![0u8; 16 * 1024]);
    loop {
        if masker.holding() && !readable_within(from.as_raw_fd(), QUIET_FLUSH_MS) {
            let held = masker.finish();
            if to.write_all(&held).and_then(|_| to.flush()).is_err() {
                return;
            }
            continue;
        }
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let out = masker.feed(&buf[..n]);
        if to.write_all(&out).and_then(|_| to.flush()).is_err() {
            // Our reader went away; keep draining so the child is not blocked.
            let _ = std::io::copy(&mut from, &mut std::io::sink());
            return;
        }
    }
    let held = masker.finish();
    let _ = to.write_all(&held).and_then(|_| to.flush());
}

/// Waits up to `ms` for data (or EOF) on `fd`.
fn readable_within(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd for the duration of the call.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n != 0
}

/// Reads at most [`MAX_INPUT`] bytes of a file, or of stdin for `-`.
fn read_input(path: &Path) -> Result<Zeroizing<String>, CliError> {
    let mut bytes = Zeroizing::new(Vec::new());
    let name = path.display().to_string();
    let res = if path.as_os_str() == "-" {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut bytes))
    };
    res.map_err(|e| CliError::Failed(format!("{name}: cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err(CliError::Failed(format!(
            "{name}: larger than {MAX_INPUT} bytes"
        )));
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        CliError::Failed(format!("{name}: not UTF-8 (at byte {})", e.valid_up_to()))
    })?;
    Ok(Zeroizing::new(text.to_string()))
}

/// A dotenv file: `KEY=VALUE` lines, `export ` allowed in front, `#`
/// comments, values bare, 'single-quoted' (literal) or "double-quoted"
/// (with \n, \t, \", \\ escapes). Returns (line, key, value).
pub(crate) fn read_dotenv(path: &Path) -> Result<Vec<DotenvVar>, CliError> {
    let text = read_input(path)?;
    parse_dotenv(&text)
        .map_err(|(line, problem)| CliError::Usage(format!("{}:{line}: {problem}", path.display())))
}

/// One dotenv variable: (line, key, value).
pub(crate) type DotenvVar = (usize, String, Zeroizing<String>);

fn parse_dotenv(text: &str) -> Result<Vec<DotenvVar>, (usize, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let (key, value) = line
            .split_once('=')
            .ok_or((line_no, "expected KEY=VALUE".to_string()))?;
        let key = key.trim();
        let key_ok = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            return Err((
                line_no,
                "expected a variable name (letters, digits, _) before =".into(),
            ));
        }
        let value = dotenv_value(value.trim())
            .ok_or((line_no, format!("{key}: unterminated quoted value")))?;
        out.push((line_no, key.to_string(), value));
    }
    Ok(out)
}

fn dotenv_value(v: &str) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::new());
    if let Some(rest) = v.strip_prefix('\'') {
        let end = rest.find('\'')?;
        out.push_str(&rest[..end]);
    } else if let Some(rest) = v.strip_prefix('"') {
        let mut chars = rest.chars();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    c => out.push(c),
                },
                c => out.push(c),
            }
        }
    } else {
        let bare = match v.find(" #") {
            Some(i) => &v[..i],
            None => v,
        };
        out.push_str(bare.trim_end());
    }
    Some(out)
}

/// `clavitor inject -i TEMPLATE [-o FILE]`.
pub fn inject(a: &InjectArgs, json: bool, cred: Option<&Path>) -> CliResult {
    let template = read_input(&a.input)?;
    let parts = placeholders(&template).map_err(|(line, problem)| {
        CliError::Usage(format!("{}:{line}: {problem}", a.input.display()))
    })?;
    let mut out = Zeroizing::new(String::with_capacity(template.len()));
    let mut last = 0;
    let mut resolver = None;
    let count = parts.len();
    for p in parts {
        let resolver = match &mut resolver {
            Some(r) => r,
            None => resolver.insert(Resolver::from_cli(cred)?),
        };
        let place = format!("{}:{}", a.input.display(), p.line);
        let value = resolver
            .resolve(&p.reference, &Purpose::Local)
            .map_err(|e| at(&place, e))?;
        out.push_str(&template[last..p.range.start]);
        out.push_str(&value);
        last = p.range.end;
    }
    out.push_str(&template[last..]);
    match &a.output {
        Some(path) => {
            profile::write_private(path, out.as_bytes())?;
            if json {
                print_json(&json!({"written": path.display().to_string(), "references": count}));
            }
        }
        None => {
            let mut stdout = std::io::stdout();
            stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| CliError::Failed(format!("standard output: {e}")))?;
        }
    }
    Ok(())
}

/// A `{{ clavitor://... }}` placeholder.
#[derive(Debug)]
struct Placeholder {
    range: std::ops::Range<usize>,
    line: usize,
    reference: Reference,
}

/// Every `{{ clavitor://ENTRY/FIELD }}` of a template; other `{{ … }}` stay
/// as they are (the file may be a template for another tool too).
fn placeholders(t: &str) -> Result<Vec<Placeholder>, (usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = t[from..].find("{{") {
        let start = from + i;
        let line = t[..start].matches('\n').count() + 1;
        let Some(j) = t[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + j + 2;
        let inner = t[start + 2..end - 2].trim();
        if inner.starts_with(secretref::SCHEME) {
            let reference = Reference::parse(inner).map_err(|e| (line, e.to_string()))?;
            out.push(Placeholder {
                range: start..end,
                line,
                reference,
            });
            from = end;
        } else {
            from = start + 2;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_parse() {
        let text = "# c\nexport A=1\nB = 'x # y'\nC=\"a\\nb\\\"c\"\nD=plain # comment\n\nE=clavitor://My DB/password\n";
        let vars = parse_dotenv(text).unwrap();
        let got: Vec<_> = vars
            .iter()
            .map(|(l, k, v)| (*l, k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "A", "1"),
                (3, "B", "x # y"),
                (4, "C", "a\nb\"c"),
                (5, "D", "plain"),
                (7, "E", "clavitor://My DB/password")
            ]
        );
        assert_eq!(parse_dotenv("X='open").unwrap_err().0, 1);
        assert_eq!(parse_dotenv("ok=1\n9X=1").unwrap_err().0, 2);
        let err = parse_dotenv("novalue-secret").unwrap_err().1;
        assert!(!err.contains("secret"));
    }

    #[test]
    fn template_placeholders_are_found() {
        let t =
            "a: {{ clavitor://OpenAI/api_key }}\nb: {{other}}\nc: {{clavitor://x%20y/password}}";
        let p = placeholders(t).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].reference.entry(), "OpenAI");
        assert_eq!((p[1].line, p[1].reference.entry()), (3, "x y"));
        assert_eq!(&t[p[1].range.clone()], "{{clavitor://x%20y/password}}");
        assert_eq!(placeholders("{{ clavitor://bad }}").unwrap_err().0, 1);
    }
}
