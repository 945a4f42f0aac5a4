//! The POP's token keyring (SPEC section 4, `token_key_file`): the keys that
//! seal and open `cvt0.` wire tokens.
//!
//! The file is `<key_id> <B64 32 bytes>` per line, mode 0600, created on first
//! start. The highest id seals; every id opens, so rotating means adding a
//! higher id and, once old tokens have expired, removing the old one.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{b64, unb64, Key32};

/// A keyring file is a few lines; refuse to read anything far larger.
const MAX_KEYRING_FILE: u64 = 1 << 20;

/// Why a token keyring could not be read, parsed or created. Messages name the
/// file and line and say what was expected; they never contain key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// A line is not `<key_id> <key>`, or repeats an id.
    #[error("{}line {line}: {what}", in_file(.path.as_ref()))]
    Line {
        /// The keyring file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line number.
        line: usize,
        /// What was wrong and what was expected.
        what: String,
    },
    /// The keyring has no key lines at all.
    #[error("{}no keys: expected at least one line `<key_id> <base64url 32-byte key>`", in_file(.path.as_ref()))]
    Empty {
        /// The keyring file, when the text came from one.
        path: Option<PathBuf>,
    },
    /// The file could not be opened, read, created or written.
    #[error("cannot {action} token keyring {}: {err}", .path.display())]
    Io {
        /// The keyring file.
        path: PathBuf,
        /// What was being done: "open", "read", "create" or "write".
        action: &'static str,
        /// The operating system's error.
        err: std::io::Error,
    },
    /// The file is readable or writable by group or others.
    #[error(
        "token keyring {} has mode {mode:03o}, so other users may read it; run `chmod 600 {}`",
        .path.display(),
        .path.display()
    )]
    Permissions {
        /// The keyring file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is larger than any keyring could be.
    #[error("token keyring {} is larger than 1 MiB; is it the right file?", .path.display())]
    TooLarge {
        /// The keyring file.
        path: PathBuf,
    },
}

fn in_file(path: Option<&PathBuf>) -> String {
    match path {
        Some(p) => format!("token keyring {}, ", p.display()),
        None => String::new(),
    }
}

impl KeyringError {
    fn in_path(self, file: &Path) -> Self {
        match self {
            KeyringError::Line { line, what, .. } => KeyringError::Line {
                path: Some(file.to_path_buf()),
                line,
                what,
            },
            KeyringError::Empty { .. } => KeyringError::Empty {
                path: Some(file.to_path_buf()),
            },
            other => other,
        }
    }
}

/// The POP's token keyring: key id (u8) to key. The highest id seals new
/// tokens; every id opens tokens, so old tokens survive a key rotation until
/// their key is removed.
///
/// Text format (`token_key_file`): lines `<key_id> <B64 32 bytes>`; `#`
/// comments and blank lines are allowed. `Debug` shows only the ids.
#[derive(Clone)]
pub struct Keyring {
    keys: BTreeMap<u8, Key32>,
}

impl Keyring {
    /// Parses the text format. Errors name the line number and what was
    /// expected; an empty keyring and a repeated id are errors.
    pub fn parse(text: &str) -> Result<Keyring, KeyringError> {
        let mut keys = BTreeMap::new();
        let mut first_line = BTreeMap::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = idx + 1;
            let err = |what: String| KeyringError::Line {
                path: None,
                line,
                what,
            };
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = trimmed.split_whitespace().collect();
            let [id, key] = fields[..] else {
                return Err(err(format!(
                    "expected `<key_id> <base64url 32-byte key>` (2 fields), found {} fields",
                    fields.len()
                )));
            };
            // Never echo a field: a line with its fields swapped would put the
            // key where the id belongs.
            let id: u8 = id
                .parse()
                .map_err(|_| err("key id must be a whole number from 0 to 255".into()))?;
            let bytes = Zeroizing::new(
                unb64(key).map_err(|_| err("key must be base64url without padding".into()))?,
            );
            let key = Key32::from_slice(&bytes).map_err(|_| {
                err(format!(
                    "key must decode to 32 bytes, but decodes to {}",
                    bytes.len()
                ))
            })?;
            if let Some(first) = first_line.insert(id, line) {
                return Err(err(format!(
                    "key id {id} is already defined on line {first}"
                )));
            }
            keys.insert(id, key);
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty { path: None });
        }
        Ok(Keyring { keys })
    }

    /// A new keyring with one fresh random key, id 1.
    pub fn generate() -> Keyring {
        Keyring {
            keys: BTreeMap::from([(1, Key32::generate())]),
        }
    }

    /// The text format, with a comment header. Contains the keys: write it
    /// only to a 0600 file.
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# clavitor token keyring: lines `<key_id> <base64url 32-byte key>`.\n\
             # The highest id seals new tokens; every id listed opens tokens.\n\
             # Secret: keep this file mode 0600 and out of backups of the database.\n",
        );
        for (id, key) in &self.keys {
            let encoded = Zeroizing::new(b64(key.expose()));
            out.push_str(&id.to_string());
            out.push(' ');
            out.push_str(&encoded);
            out.push('\n');
        }
        out
    }

    /// Loads the keyring at `path`, creating it (mode 0600, one fresh key) if
    /// it does not exist. An existing file must not be accessible to group or
    /// others.
    pub fn load_or_create(path: &Path) -> Result<Keyring, KeyringError> {
        let io = |action, err| KeyringError::Io {
            path: path.to_path_buf(),
            action,
            err,
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(mut file) => {
                let ring = Keyring::generate();
                let text = Zeroizing::new(ring.to_text());
                if let Err(e) = file
                    .write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                {
                    drop(file);
                    // Do not leave an empty keyring behind for the next start
                    // to trip over.
                    let _ = std::fs::remove_file(path);
                    return Err(io("write", e));
                }
                Ok(ring)
            }
            // Another process may create it between our check and open;
            // `create_new` makes that race harmless: we then just load it.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Keyring::load(path),
            Err(e) => Err(io("create", e)),
        }
    }

    /// Loads the keyring at `path`; never creates it. Refuses a file that is
    /// accessible to group or others (`mode & 0o077 != 0`).
    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let io = |action, err| KeyringError::Io {
            path: path.to_path_buf(),
            action,
            err,
        };
        let file = File::open(path).map_err(|e| io("open", e))?;
        // Check the opened file, not the path, so a swap between the check and
        // the read cannot slip a different file past it.
        let meta = file.metadata().map_err(|e| io("read", e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyringError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        if meta.len() > MAX_KEYRING_FILE {
            return Err(KeyringError::TooLarge {
                path: path.to_path_buf(),
            });
        }
        // Sized up front so the buffer holding the keys never reallocates and
        // leaves a copy behind.
        let cap = usize::try_from(meta.len()).expect("at most 1 MiB") + 1;
        let mut text = Zeroizing::new(String::with_capacity(cap));
        file.take(MAX_KEYRING_FILE)
            .read_to_string(&mut text)
            .map_err(|e| io("read", e))?;
        Keyring::parse(&text).map_err(|e| e.in_path(path))
    }

    /// The id of the key that seals new tokens: the highest id.
    pub fn current_id(&self) -> u8 {
        self.current().0
    }

    /// The key with id `key_id`, if the keyring holds it.
    pub fn get(&self, key_id: u8) -> Option<&Key32> {
        self.keys.get(&key_id)
    }

    /// All key ids, lowest first.
    pub fn ids(&self) -> impl Iterator<Item = u8> + '_ {
        self.keys.keys().copied()
    }

    /// The id and key that seal new tokens (the highest id).
    pub fn current(&self) -> (u8, &Key32) {
        self.keys
            .last_key_value()
            .map(|(id, key)| (*id, key))
            .expect("a Keyring always holds at least one key")
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::hex;

    #[test]
    fn keyring_round_trips_through_text() {
        let ring = Keyring::generate();
        assert_eq!(ring.current_id(), 1);
        let parsed = Keyring::parse(&ring.to_text()).expect("own output parses");
        assert_eq!(parsed.get(1), ring.get(1));
        assert_eq!(parsed.ids().count(), 1);
    }

    #[test]
    fn keyring_errors_name_the_line_and_never_the_key() {
        let key = b64(Key32::generate().expose());
        let short = b64(&[1u8; 31]);
        let cases: Vec<(String, usize, &str)> = vec![
            (format!("# c\n\n{key}\n"), 3, "2 fields"),
            (format!("1 {key}\n{key} 2\n"), 2, "0 to 255"),
            (format!("1 {key} extra\n"), 1, "found 3 fields"),
            (format!("1 {key}\n300 {key}\n"), 2, "0 to 255"),
            (format!("1 {key}+\n"), 1, "base64url"),
            (format!("\n\n\n\n1 {short}\n"), 5, "decodes to 31"),
            (
                format!("1 {key}\r\n# x\r\n1 {key}\r\n"),
                3,
                "already defined on line 1",
            ),
        ];
        for (text, line, what) in cases {
            let err = Keyring::parse(&text).expect_err("bad keyring");
            let msg = err.to_string();
            assert!(
                matches!(err, KeyringError::Line { line: l, .. } if l == line),
                "{msg}"
            );
            assert!(msg.starts_with(&format!("line {line}: ")), "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(!msg.contains(&key[..10]), "{msg}");
        }
        for empty in ["", "\n", "# only a comment\n   \n"] {
            let err = Keyring::parse(empty).expect_err("empty");
            assert!(matches!(err, KeyringError::Empty { .. }));
            assert!(err.to_string().contains("no keys"));
        }
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let p = std::env::temp_dir().join(format!(
                "clavitor-keyring-test-{}",
                hex(&super::super::random_bytes::<8>())
            ));
            std::fs::create_dir(&p).expect("create temp dir");
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn load_or_create_makes_a_private_file_and_reloads_it() {
        let dir = TempDir::new();
        let path = dir.0.join("token.key");
        assert!(matches!(
            Keyring::load(&path),
            Err(KeyringError::Io { action: "open", .. })
        ));
        let created = Keyring::load_or_create(&path).expect("creates");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Keyring::load_or_create(&path).expect("loads");
        assert_eq!(again.get(1), created.get(1));
        assert_eq!(Keyring::load(&path).expect("loads").get(1), created.get(1));
    }

    #[test]
    fn load_refuses_group_or_world_readable_file() {
        let dir = TempDir::new();
        let path = dir.0.join("token.key");
        Keyring::load_or_create(&path).expect("creates");
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let err = Keyring::load(&path).expect_err("too open");
            let msg = err.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains("chmod 600"), "{msg}");
            assert!(Keyring::load_or_create(&path).is_err());
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(Keyring::load(&path).is_ok());
    }

    #[test]
    fn load_reports_file_and_line() {
        let dir = TempDir::new();
        let path = dir.0.join("token.key");
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .expect("create");
        f.write_all(b"# keys\n1 not-a-key!\n").expect("write");
        drop(f);
        let msg = Keyring::load(&path).expect_err("bad line").to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
    }
}
