//! Encryption for Vellum: Fernet, compatible with datumaro ≤ 1.11 and Python
//! `cryptography`, and our own chunked XChaCha20-Poly1305 sealed stream.
//!
//! | concept | items | what it gives |
//! | --- | --- | --- |
//! | Fernet | [`Fernet`] | the public Fernet specification: AES-128-CBC + HMAC-SHA256 tokens, byte-compatible with Python `cryptography.fernet`; MAC checked in constant time before decrypting; many tokens at once with their CBC chains interleaved ([`Fernet::encrypt_many`], or streamed piece by piece with [`Fernet::encrypt_pieces`]) |
//! | datumaro keys | [`DatumaroKey`], [`DATUMARO_KEY_FILE`] | `datum-` + Fernet key strings, `secret_key.txt`, the key check token ("handshake") |
//! | Vellum keys | [`VellumKey`], [`Secret`], [`PassphraseParams`] | 32 random bytes, `vellum-` + base64url strings, key files, argon2id passphrases; wiped on drop |
//! | sealed stream | [`seal`], [`unseal`], [`Sealer`], [`SealedSlice`], [`SealedWriter`], [`SealedReader`], [`StreamHeader`] | XChaCha20-Poly1305 in the STREAM construction, 64 KiB chunks: parallel (rayon), into a place laid out in advance (`Sealer`), random access to chunk k, bounded-memory `Read`/`Write` adapters; truncation, reordering, duplication, splicing and a wrong key are detected |
//! | errors | [`Error`], [`Result`] | one error enum; authentication failures never release plaintext |
//!
//! What it is not for: parsing datumaro files (that is `vellum-datumaro`,
//! which calls [`DatumaroKey::check_handshake`] and [`Fernet::decrypt`]),
//! and choosing where keys come from (the `vellum` CLI reads `--key`,
//! `--key-file` and `VELLUM_KEY`).
//!
//! The sealed stream's byte layout is documented on [`StreamHeader`] and in
//! `docs/crypto.md`.
//!
//! # Example
//!
//! ```
//! use vellum_crypto::{DatumaroKey, Error, Secret, VellumKey, seal, unseal};
//! // Datumaro-compatible Fernet
//! let key = DatumaroKey::parse("datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=")?;
//! let token = key.fernet().encrypt(b"{\"media_type\":2}");
//! assert_eq!(key.fernet().decrypt(&token)?, b"{\"media_type\":2}");
//! let other = DatumaroKey::generate();
//! assert!(matches!(other.fernet().decrypt(&token), Err(Error::WrongKeyOrTampered)));
//!
//! // Our sealed stream
//! let secret = Secret::Key(VellumKey::generate());
//! let sealed = seal(&secret, b"a large payload")?;
//! assert_eq!(unseal(&secret, &sealed)?, b"a large payload");
//! let mut cut = sealed.clone();
//! cut.pop();
//! assert!(unseal(&secret, &cut).is_err());
//! # Ok::<(), vellum_crypto::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
mod fernet;
mod key;
mod stream;

pub use error::{Error, Result};
pub use fernet::{
    DATUMARO_KEY_FILE, DATUMARO_KEY_LEN, DATUMARO_KEY_PREFIX, DatumaroKey, Fernet, FernetBatch,
};
pub use key::{PassphraseParams, Secret, VELLUM_KEY_ENV, VELLUM_KEY_PREFIX, VellumKey};
pub use stream::{
    DEFAULT_CHUNK_SIZE, MAX_HEADER_LEN, SEALED_MAGIC, SEALED_VERSION, SealedReader, SealedSlice,
    SealedWriter, Sealer, StreamHeader, TAG_LEN, seal, seal_with_chunk_size, unseal,
};
/// Re-exported: secrets handed out by this crate are wrapped in it.
pub use zeroize::Zeroizing;
