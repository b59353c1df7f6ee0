//! Encryption of `.datum` files ([spec §7]).
//!
//! Two schemes share the file layout (headers 4–7 and every blob sealed
//! separately, a check token in the encryption field):
//!
//! - **Fernet** with a `datum-…` key: datumaro ≤ 1.11's scheme, readable and
//!   writable by datumaro 1.11 (datumaro ≥ 1.12 refuses every encrypted file);
//! - **sealed** with a `vellum-…` key: our XChaCha20-Poly1305 stream
//!   (vellum-crypto), authenticated per blob and much faster, but **no
//!   version of datumaro can read it**. Its check token is a sealed stream
//!   (magic `\x89VLSEAL\n`) rather than a Fernet token (`gAAAAA…`), so a
//!   reader tells the schemes apart from the file itself.
//!
//! [spec §7]: ../../../../docs/specs/datumaro-binary.md

use vellum_crypto::{DatumaroKey, SEALED_MAGIC, Secret, VellumKey};

use crate::{Error, Result};

/// What the sealed scheme's check token holds.
const SEALED_CHECK: &[u8] = b"vellum-datumaro sealed v1";

/// The cipher of an encrypted `.datum` file.
#[derive(Debug, Clone)]
pub enum Cipher {
    /// datumaro 1.11's Fernet scheme (`datum-…` key).
    Fernet(DatumaroKey),
    /// Our XChaCha20-Poly1305 sealed stream (`vellum-…` key); unreadable by datumaro.
    Sealed(VellumKey),
}

/// A vellum-crypto error as this crate's.
pub(crate) fn crypto(e: vellum_crypto::Error) -> Error {
    match e {
        vellum_crypto::Error::WrongKeyOrTampered => Error::WrongKey,
        e => Error::Crypto(e.to_string()),
    }
}

impl Cipher {
    /// A cipher from a key string: `datum-…` (Fernet, datumaro 1.11) or
    /// `vellum-…` (sealed).
    pub fn from_key(key: &str) -> Result<Cipher> {
        let key = key.trim();
        if key.starts_with("vellum-") {
            VellumKey::parse(key).map(Cipher::Sealed).map_err(crypto)
        } else {
            DatumaroKey::parse(key).map(Cipher::Fernet).map_err(crypto)
        }
    }

    /// A fresh random datumaro (Fernet) key, as `--encryption` makes.
    pub fn generate_datumaro() -> Cipher {
        Cipher::Fernet(DatumaroKey::generate())
    }

    /// A fresh random sealed-scheme key.
    pub fn generate_sealed() -> Cipher {
        Cipher::Sealed(VellumKey::generate())
    }

    /// The key string (`datum-…` or `vellum-…`); keep it secret.
    pub fn key(&self) -> String {
        match self {
            Cipher::Fernet(k) => k.as_str().to_owned(),
            Cipher::Sealed(k) => k.to_key_string().to_string(),
        }
    }

    /// Whether datumaro (1.11) can read files sealed with this cipher.
    pub fn datumaro_compatible(&self) -> bool {
        matches!(self, Cipher::Fernet(_))
    }

    /// Decrypts one token (header field or blob).
    pub(crate) fn open(&self, token: &[u8]) -> Result<Vec<u8>> {
        match self {
            Cipher::Fernet(k) => k.fernet().decrypt(token).map_err(crypto),
            Cipher::Sealed(k) => {
                vellum_crypto::unseal(&Secret::Key(k.clone()), token).map_err(crypto)
            }
        }
    }

    /// Encrypts one token.
    pub(crate) fn seal(&self, plain: &[u8]) -> Result<Vec<u8>> {
        match self {
            Cipher::Fernet(k) => Ok(k.fernet().encrypt(plain)),
            Cipher::Sealed(k) => {
                vellum_crypto::seal(&Secret::Key(k.clone()), plain).map_err(crypto)
            }
        }
    }

    /// One fresh sealed stream per blob, `n` of them (the sealed scheme
    /// only: Fernet blobs go through [`vellum_crypto::Fernet::encrypt_pieces`]).
    pub(crate) fn sealers(&self, n: usize) -> Result<Vec<vellum_crypto::Sealer>> {
        match self {
            Cipher::Sealed(k) => {
                let secret = Secret::Key(k.clone());
                (0..n)
                    .map(|_| {
                        vellum_crypto::Sealer::new(&secret, vellum_crypto::DEFAULT_CHUNK_SIZE)
                            .map_err(crypto)
                    })
                    .collect()
            }
            Cipher::Fernet(_) => Err(Error::Crypto("Fernet blobs have no sealed streams".into())),
        }
    }

    /// The check token stored in the encryption field.
    pub(crate) fn handshake(&self) -> Result<Vec<u8>> {
        match self {
            Cipher::Fernet(k) => Ok(k.handshake()),
            Cipher::Sealed(_) => self.seal(SEALED_CHECK),
        }
    }

    /// Checks the encryption field against this key.
    pub(crate) fn check_handshake(&self, field: &[u8]) -> Result<()> {
        let sealed = field.starts_with(&SEALED_MAGIC);
        match self {
            Cipher::Fernet(_) if sealed => Err(Error::Crypto(
                "the file is sealed with a vellum- key (XChaCha20-Poly1305), not a datum- key"
                    .into(),
            )),
            Cipher::Sealed(_) if !sealed => Err(Error::Crypto(
                "the file is Fernet-encrypted (datumaro 1.11): give its datum- key".into(),
            )),
            Cipher::Fernet(k) => k.check_handshake(field).map_err(crypto),
            Cipher::Sealed(_) => {
                if self.open(field)? == SEALED_CHECK {
                    Ok(())
                } else {
                    Err(Error::WrongKey)
                }
            }
        }
    }
}
