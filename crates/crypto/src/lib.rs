//! Encryption for Vellum: Fernet, compatible with datumaro ≤ 1.11 and Python
//! `cryptography`, and (next) our own chunked XChaCha20-Poly1305 sealed stream.
//!
//! | concept | items | what it gives |
//! | --- | --- | --- |
//! | Fernet | [`Fernet`] | the public Fernet specification: AES-128-CBC + HMAC-SHA256 tokens, byte-compatible with Python `cryptography.fernet` |
//! | datumaro keys | [`DatumaroKey`], [`DATUMARO_KEY_FILE`] | `datum-` + Fernet key strings, `secret_key.txt`, the key check token ("handshake") |
//! | errors | [`Error`], [`Result`] | one error enum; authentication failures never release plaintext |
//!
//! What it is not for: parsing datumaro files (that is `vellum-datumaro`,
//! which calls [`DatumaroKey::check_handshake`] and [`Fernet::decrypt`]).
//!
//! # Example
//!
//! ```
//! use vellum_crypto::{DatumaroKey, Error};
//! let key = DatumaroKey::parse("datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=")?;
//! let token = key.fernet().encrypt(b"{\"media_type\":2}");
//! assert_eq!(key.fernet().decrypt(&token)?, b"{\"media_type\":2}");
//! let other = DatumaroKey::generate();
//! assert!(matches!(other.fernet().decrypt(&token), Err(Error::WrongKeyOrTampered)));
//! # Ok::<(), vellum_crypto::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
mod fernet;

pub use error::{Error, Result};
pub use fernet::{DATUMARO_KEY_FILE, DATUMARO_KEY_LEN, DATUMARO_KEY_PREFIX, DatumaroKey, Fernet};
