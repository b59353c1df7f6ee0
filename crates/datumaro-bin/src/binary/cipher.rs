//! Encryption of `.datum` files (datumaro ≤ 1.11, [spec §7]).
//!
//! [spec §7]: ../../../../shared/specs/datumaro-binary.md

use crate::{Error, Result};

/// The cipher of an encrypted `.datum` file: datumaro's Fernet scheme keyed
/// by a `datum-…` key.
#[derive(Debug, Clone)]
pub struct Cipher {
    key: String,
}

impl Cipher {
    /// A cipher from a datumaro key (`datum-` + a 44-char Fernet key).
    pub fn from_key(key: &str) -> Result<Cipher> {
        Ok(Cipher {
            key: key.trim().to_owned(),
        })
    }

    /// The key string.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub(crate) fn open(&self, _token: &[u8]) -> Result<Vec<u8>> {
        Err(Error::Crypto(
            "Fernet is not available in this build yet".into(),
        ))
    }

    pub(crate) fn seal(&self, _plain: &[u8]) -> Result<Vec<u8>> {
        Err(Error::Crypto(
            "Fernet is not available in this build yet".into(),
        ))
    }

    pub(crate) fn handshake(&self) -> Result<Vec<u8>> {
        self.seal(self.key.as_bytes())
    }

    pub(crate) fn check_handshake(&self, field: &[u8]) -> Result<()> {
        let plain = self.open(field)?;
        if plain != self.key.as_bytes() {
            return Err(Error::WrongKey);
        }
        Ok(())
    }
}
