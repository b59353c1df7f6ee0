//! Vellum's own 32-byte keys and their string form.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{Error, Result, os_random};
use crate::fernet::{read_key_line, write_secret};

/// The prefix of a Vellum key string.
pub const VELLUM_KEY_PREFIX: &str = "vellum-";
/// The environment variable the CLI reads a key from.
pub const VELLUM_KEY_ENV: &str = "VELLUM_KEY";
/// Characters of unpadded base64url for 32 bytes.
const KEY_B64_LEN: usize = 43;

/// A 256-bit key for the sealed stream.
///
/// String form: `vellum-` + 43 characters of unpadded url-safe base64 (50
/// characters). Wiped from memory on drop; `Debug` never shows it.
///
/// ```
/// use vellum_crypto::VellumKey;
/// let key = VellumKey::generate();
/// let text = key.to_key_string();
/// assert!(text.starts_with("vellum-") && text.len() == 50);
/// assert_eq!(VellumKey::parse(&text)?.key_id(), key.key_id());
/// # Ok::<(), vellum_crypto::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct VellumKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for VellumKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VellumKey(id {})", hex(&self.key_id()))
    }
}

impl VellumKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> VellumKey {
        VellumKey { bytes }
    }

    /// A new key from the operating system's random generator.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn generate() -> VellumKey {
        let mut bytes = [0u8; 32];
        os_random(&mut bytes);
        VellumKey { bytes }
    }

    /// Parses the string form `vellum-` + 43 base64url characters. Nothing
    /// is trimmed.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] naming what is wrong.
    pub fn parse(s: &str) -> Result<VellumKey> {
        let Some(body) = s.strip_prefix(VELLUM_KEY_PREFIX) else {
            let hint = if s.starts_with("datum-") {
                " (this is a datumaro key: it opens datumaro files, not Vellum sealed streams)"
            } else {
                ""
            };
            return Err(Error::InvalidKey {
                reason: format!("a Vellum key starts with `{VELLUM_KEY_PREFIX}`{hint}"),
            });
        };
        if body.len() != KEY_B64_LEN {
            let newline = if s.ends_with('\n') || s.ends_with('\r') {
                " (it ends with a line break)"
            } else {
                ""
            };
            return Err(Error::InvalidKey {
                reason: format!(
                    "a Vellum key is {} characters (`vellum-` + 43 base64url characters), found {}{newline}",
                    VELLUM_KEY_PREFIX.len() + KEY_B64_LEN,
                    s.len()
                ),
            });
        }
        let mut bytes = Zeroizing::new([0u8; 33]);
        let n = URL_SAFE_NO_PAD
            .decode_slice(body.as_bytes(), bytes.as_mut_slice())
            .map_err(|e| Error::InvalidKey {
                reason: format!("a Vellum key is unpadded url-safe base64 after `vellum-`: {e}"),
            })?;
        let key: [u8; 32] = bytes
            .get(..n)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Error::InvalidKey {
                reason: format!("a Vellum key holds 32 bytes, found {n}"),
            })?;
        Ok(VellumKey { bytes: key })
    }

    /// The string form (`vellum-…`, 50 characters), wiped when dropped.
    pub fn to_key_string(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(50));
        s.push_str(VELLUM_KEY_PREFIX);
        URL_SAFE_NO_PAD.encode_string(self.bytes, &mut s);
        s
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The key id stored in sealed-stream headers: the first 16 bytes of a
    /// blake3 hash keyed with this key. It tells a wrong key apart from a
    /// damaged file without revealing anything about the key.
    pub fn key_id(&self) -> [u8; 16] {
        let hash = blake3::keyed_hash(&self.bytes, b"vellum sealed stream key id v1");
        let mut id = [0u8; 16];
        id.copy_from_slice(&hash.as_bytes()[..16]);
        id
    }

    /// Reads a key file: the key string, optionally followed by one line
    /// break.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::InvalidKey`], naming the file.
    pub fn read_key_file(path: impl AsRef<Path>) -> Result<VellumKey> {
        read_key_line(path.as_ref(), VellumKey::parse)
    }

    /// Writes the key string to a file (owner-only on Unix), with a final
    /// line break.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written.
    pub fn write_key_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut text = self.to_key_string();
        text.push('\n');
        write_secret(path.as_ref(), text.as_bytes())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
