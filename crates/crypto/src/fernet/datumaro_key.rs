//! Datumaro's key string and key check ("handshake"), spec
//! `datumaro-binary.md` §7 and datumaro's `components/crypter.py`.

use std::fmt;
use std::io::Write as _;
use std::path::Path;

use zeroize::Zeroizing;

use super::token::{Fernet, KEY_B64_LEN};
use crate::error::{Error, Result};

/// The prefix datumaro puts before a Fernet key.
pub const DATUMARO_KEY_PREFIX: &str = "datum-";
/// Length of a datumaro key string: `datum-` + 44 characters.
pub const DATUMARO_KEY_LEN: usize = DATUMARO_KEY_PREFIX.len() + KEY_B64_LEN;
/// The file datumaro ≤ 1.11 writes the key into, beside the dataset.
pub const DATUMARO_KEY_FILE: &str = "secret_key.txt";

/// A datumaro encryption key: `datum-` followed by a 44-character Fernet key
/// (50 ASCII characters), as datumaro ≤ 1.11 prints it and stores it in
/// `secret_key.txt`.
///
/// The string and the key bytes are wiped from memory on drop. `Debug` does
/// not print the key; `Display` and [`DatumaroKey::as_str`] do, on purpose.
///
/// ```
/// use vellum_crypto::DatumaroKey;
/// let key = DatumaroKey::parse("datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=")?;
/// let check = key.handshake(); // what datumaro stores in the encryption field
/// key.check_handshake(&check)?;
/// assert!(DatumaroKey::generate().check_handshake(&check).is_err());
/// # Ok::<(), vellum_crypto::Error>(())
/// ```
#[derive(Clone)]
pub struct DatumaroKey {
    text: Zeroizing<String>,
    fernet: Fernet,
}

impl fmt::Debug for DatumaroKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DatumaroKey(<redacted>)")
    }
}

impl fmt::Display for DatumaroKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for DatumaroKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<DatumaroKey> {
        DatumaroKey::parse(s)
    }
}

impl DatumaroKey {
    /// Parses the 50-character key string. Nothing is trimmed: a trailing
    /// newline is an error (datumaro would refuse it too).
    ///
    /// Datumaro itself only checks the length and drops the first six
    /// characters; we also require them to be `datum-`, so that a Vellum key
    /// or a bare Fernet key is not silently taken for a datumaro key.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] naming what is wrong.
    pub fn parse(s: &str) -> Result<DatumaroKey> {
        let Some(fernet_part) = s.strip_prefix(DATUMARO_KEY_PREFIX) else {
            let hint = if s.len() == KEY_B64_LEN {
                " (this looks like a bare Fernet key: add the `datum-` prefix)"
            } else {
                ""
            };
            return Err(Error::InvalidKey {
                reason: format!("a datumaro key starts with `{DATUMARO_KEY_PREFIX}`{hint}"),
            });
        };
        if s.len() != DATUMARO_KEY_LEN {
            let newline = if s.ends_with('\n') || s.ends_with('\r') {
                " (it ends with a line break)"
            } else {
                ""
            };
            return Err(Error::InvalidKey {
                reason: format!(
                    "a datumaro key is {DATUMARO_KEY_LEN} characters (`datum-` + a 44-character Fernet key), found {}{newline}",
                    s.len()
                ),
            });
        }
        let fernet = Fernet::from_base64(fernet_part)?;
        Ok(DatumaroKey {
            text: Zeroizing::new(s.to_owned()),
            fernet,
        })
    }

    /// A new random key, like datumaro's `Crypter.gen_key()`.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn generate() -> DatumaroKey {
        DatumaroKey::from_fernet(Fernet::generate())
    }

    /// The datumaro key for a Fernet key.
    pub fn from_fernet(fernet: Fernet) -> DatumaroKey {
        let mut text = Zeroizing::new(String::with_capacity(DATUMARO_KEY_LEN));
        text.push_str(DATUMARO_KEY_PREFIX);
        text.push_str(&Zeroizing::new(fernet.to_base64()));
        DatumaroKey { text, fernet }
    }

    /// The 50-character key string.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The Fernet that encrypts the headers, blobs and media.
    pub fn fernet(&self) -> &Fernet {
        &self.fernet
    }

    /// The key check token datumaro stores in the encryption field: a Fernet
    /// token of the 50-character key string itself (164 bytes).
    pub fn handshake(&self) -> Vec<u8> {
        self.fernet.encrypt(self.text.as_bytes())
    }

    /// Checks an encryption field against this key, before anything else of
    /// the file is read.
    ///
    /// # Errors
    /// [`Error::NotEncrypted`] for an empty field, [`Error::WrongKey`] when
    /// the token does not authenticate with this key or does not hold this
    /// key, [`Error::MalformedToken`] when it is not a Fernet token at all.
    pub fn check_handshake(&self, token: &[u8]) -> Result<()> {
        if token.is_empty() {
            return Err(Error::NotEncrypted {
                what: "the encryption field is empty, but a key was given".into(),
            });
        }
        let plain = match self.fernet.decrypt(token) {
            Ok(plain) => Zeroizing::new(plain),
            Err(Error::WrongKeyOrTampered) => {
                return Err(Error::WrongKey {
                    what:
                        "the key check token (encryption field) does not authenticate with this key"
                            .into(),
                });
            }
            Err(e) => return Err(e),
        };
        // Datumaro compares against `datum-` + the Fernet key, whatever
        // prefix the user typed; ours is always `datum-`.
        if plain.as_slice() != self.text.as_bytes() {
            return Err(Error::WrongKey {
                what: "the key check token holds a different key".into(),
            });
        }
        Ok(())
    }

    /// Reads a key file (datumaro's `secret_key.txt`). The file holds the
    /// 50 characters without a newline; one trailing line break (`\n` or
    /// `\r\n`), as an editor adds, is tolerated.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read, [`Error::InvalidKey`] when
    /// it does not hold a key.
    pub fn read_key_file(path: impl AsRef<Path>) -> Result<DatumaroKey> {
        read_key_line(path.as_ref(), DatumaroKey::parse)
    }

    /// Writes the key file exactly as datumaro does: the 50 characters, no
    /// newline. On Unix the file is created readable by its owner only.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn write_key_file(&self, path: impl AsRef<Path>) -> Result<()> {
        write_secret(path.as_ref(), self.text.as_bytes())
    }
}

/// Reads a key file (at most 256 bytes, one optional final line break) and
/// parses its line with `parse`; a parse error names the file.
pub(crate) fn read_key_line<K>(path: &Path, parse: impl FnOnce(&str) -> Result<K>) -> Result<K> {
    let text = read_small_secret(path, 256)?;
    let line = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    parse(line).map_err(|e| match e {
        Error::InvalidKey { reason } => Error::InvalidKey {
            reason: format!("{}: {reason}", path.display()),
        },
        other => other,
    })
}

/// Reads a small secret file as UTF-8, refusing files larger than `max`.
pub(crate) fn read_small_secret(path: &Path, max: u64) -> Result<Zeroizing<String>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::InvalidKey {
            reason: format!(
                "{}: a key file is a single short line, this one is over {max} bytes",
                path.display()
            ),
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::InvalidKey {
        reason: format!("{}: key file is not text", path.display()),
    })?;
    Ok(Zeroizing::new(text.to_owned()))
}

/// Writes a secret file, owner-only on Unix, replacing any old one.
pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}
