//! The sealed-stream header (docs/crypto.md, "Sealed stream layout").
//!
//! | offset | bytes | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `89 56 4c 53 45 41 4c 0a` (`\x89VLSEAL\n`) |
//! | 8 | 1 | version, 1 |
//! | 9 | 1 | cipher, 1 = XChaCha20-Poly1305 |
//! | 10 | 1 | log2 of the plaintext chunk size, 10..=24 (16 = 64 KiB) |
//! | 11 | 1 | flags: bit 0 = a passphrase block follows; other bits 0 |
//! | 12 | 16 | key id: blake3 keyed hash of a fixed label under the key |
//! | 28 | 19 | nonce prefix, random per stream |
//! | 47 | 1 | reserved, 0 |
//! | 48 | 28 | only with flag bit 0: salt (16), argon2id memory KiB, passes, lanes (`u32` LE each) |
//!
//! The whole header is the associated data of every chunk, so changing any
//! byte of it makes every chunk fail.

use subtle::ConstantTimeEq as _;
use vellum_format_core::ByteReader;

use crate::error::{Error, Result, os_random};
use crate::key::{PassphraseParams, Secret, VellumKey, hex};

/// The magic bytes that start every sealed stream. The high first byte and
/// the trailing newline catch text-mode mangling, as PNG's do.
pub const SEALED_MAGIC: [u8; 8] = *b"\x89VLSEAL\n";
/// The only version written and read.
pub const SEALED_VERSION: u8 = 1;
/// Cipher id of XChaCha20-Poly1305.
pub(crate) const CIPHER_XCHACHA20POLY1305: u8 = 1;
/// Size of the header without a passphrase block.
pub(crate) const BASE_HEADER_LEN: usize = 48;
/// Size of the passphrase block.
const PASSPHRASE_BLOCK_LEN: usize = 28;
/// The largest header.
pub const MAX_HEADER_LEN: usize = BASE_HEADER_LEN + PASSPHRASE_BLOCK_LEN;
/// Length of the random nonce prefix (STREAM: 19 + 4-byte counter + 1 flag).
pub(crate) const NONCE_PREFIX_LEN: usize = 19;
/// The default plaintext chunk size: 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 1 << 16;
const MIN_CHUNK_LOG2: u8 = 10;
const MAX_CHUNK_LOG2: u8 = 24;
const FLAG_PASSPHRASE: u8 = 1;

/// The parsed header of a sealed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    chunk_log2: u8,
    key_id: [u8; 16],
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    passphrase: Option<PassphraseParams>,
}

impl StreamHeader {
    /// A fresh header for sealing with `key`: random nonce prefix.
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub(crate) fn fresh(
        key: &VellumKey,
        chunk_log2: u8,
        passphrase: Option<PassphraseParams>,
    ) -> StreamHeader {
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        os_random(&mut nonce_prefix);
        StreamHeader {
            chunk_log2,
            key_id: key.key_id(),
            nonce_prefix,
            passphrase,
        }
    }

    /// The header and key to seal with for `secret`: a passphrase gets a
    /// fresh salt and is stretched here.
    pub(crate) fn for_sealing(
        secret: &Secret,
        chunk_size: usize,
    ) -> Result<(StreamHeader, VellumKey)> {
        let chunk_log2 = chunk_log2(chunk_size)?;
        Ok(match secret {
            Secret::Key(key) => (StreamHeader::fresh(key, chunk_log2, None), key.clone()),
            Secret::Passphrase(text) => {
                let params = PassphraseParams::generate();
                let key = params.derive(text.as_bytes())?;
                (StreamHeader::fresh(&key, chunk_log2, Some(params)), key)
            }
        })
    }

    /// Parses a header from the start of `bytes`; returns it with its
    /// length. Checks magic, version, cipher, chunk size and flags, each
    /// with its own error.
    ///
    /// # Errors
    /// [`Error::NotASealedStream`], [`Error::Unsupported`],
    /// [`Error::Truncated`] or [`Error::Format`].
    pub fn parse(bytes: &[u8]) -> Result<(StreamHeader, usize)> {
        let mut r = ByteReader::new(bytes);
        let magic = r.take(SEALED_MAGIC.len().min(bytes.len()), "magic")?;
        if magic != SEALED_MAGIC {
            return Err(if SEALED_MAGIC.starts_with(magic) {
                Error::Truncated {
                    reason: format!("only {} byte(s), inside the magic", bytes.len()),
                }
            } else {
                Error::NotASealedStream {
                    reason: format!("starts with {}, not the magic", hex(magic)),
                }
            });
        }
        if bytes.len() < BASE_HEADER_LEN {
            return Err(Error::Truncated {
                reason: format!(
                    "{} byte(s), the header alone is {BASE_HEADER_LEN}",
                    bytes.len()
                ),
            });
        }
        let version = r.u8("version")?;
        if version != SEALED_VERSION {
            return Err(Error::Unsupported {
                field: "version",
                found: version.into(),
            });
        }
        let cipher = r.u8("cipher")?;
        if cipher != CIPHER_XCHACHA20POLY1305 {
            return Err(Error::Unsupported {
                field: "cipher",
                found: cipher.into(),
            });
        }
        let chunk_log2 = r.u8("chunk size")?;
        if !(MIN_CHUNK_LOG2..=MAX_CHUNK_LOG2).contains(&chunk_log2) {
            return Err(Error::Unsupported {
                field: "chunk size (log2)",
                found: chunk_log2.into(),
            });
        }
        let flags = r.u8("flags")?;
        if flags & !FLAG_PASSPHRASE != 0 {
            return Err(Error::Unsupported {
                field: "flags",
                found: flags.into(),
            });
        }
        let key_id = r.array::<16>("key id")?;
        let nonce_prefix = r.array::<NONCE_PREFIX_LEN>("nonce prefix")?;
        let reserved = r.u8("reserved")?;
        if reserved != 0 {
            return Err(Error::Unsupported {
                field: "reserved byte",
                found: reserved.into(),
            });
        }
        let passphrase = if flags & FLAG_PASSPHRASE != 0 {
            if bytes.len() < MAX_HEADER_LEN {
                return Err(Error::Truncated {
                    reason: format!(
                        "{} byte(s), a passphrase header is {MAX_HEADER_LEN}",
                        bytes.len()
                    ),
                });
            }
            Some(PassphraseParams {
                salt: r.array::<16>("salt")?,
                memory_kib: r.u32_le("argon2 memory")?,
                iterations: r.u32_le("argon2 passes")?,
                lanes: r.u32_le("argon2 lanes")?,
            })
        } else {
            None
        };
        let len = r.position();
        Ok((
            StreamHeader {
                chunk_log2,
                key_id,
                nonce_prefix,
                passphrase,
            },
            len,
        ))
    }

    /// The header's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_HEADER_LEN);
        out.extend_from_slice(&SEALED_MAGIC);
        out.push(SEALED_VERSION);
        out.push(CIPHER_XCHACHA20POLY1305);
        out.push(self.chunk_log2);
        out.push(if self.passphrase.is_some() {
            FLAG_PASSPHRASE
        } else {
            0
        });
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&self.nonce_prefix);
        out.push(0);
        if let Some(p) = &self.passphrase {
            out.extend_from_slice(&p.salt);
            out.extend_from_slice(&p.memory_kib.to_le_bytes());
            out.extend_from_slice(&p.iterations.to_le_bytes());
            out.extend_from_slice(&p.lanes.to_le_bytes());
        }
        out
    }

    /// Plaintext bytes per chunk (the last chunk may be shorter).
    pub fn chunk_size(&self) -> usize {
        1usize << self.chunk_log2
    }

    /// The key id the stream was sealed with.
    pub fn key_id(&self) -> [u8; 16] {
        self.key_id
    }

    /// The passphrase parameters, when the stream was sealed with a
    /// passphrase.
    pub fn passphrase(&self) -> Option<&PassphraseParams> {
        self.passphrase.as_ref()
    }

    pub(crate) fn nonce_prefix(&self) -> &[u8; NONCE_PREFIX_LEN] {
        &self.nonce_prefix
    }

    /// The key for this stream from `secret`, checked against the key id
    /// (in constant time) before any chunk is touched.
    ///
    /// # Errors
    /// [`Error::WrongKey`] when the key id differs; [`Error::Passphrase`]
    /// when a passphrase is given for a key-sealed stream or the stored cost
    /// is out of bounds.
    pub fn unlock(&self, secret: &Secret) -> Result<VellumKey> {
        let key = match (secret, &self.passphrase) {
            (Secret::Key(key), None) => key.clone(),
            (Secret::Passphrase(text), Some(params)) => params.derive(text.as_bytes())?,
            (Secret::Key(_), Some(_)) => {
                return Err(Error::WrongKey {
                    what: "this stream was sealed with a passphrase, not a key".into(),
                });
            }
            (Secret::Passphrase(_), None) => {
                return Err(Error::WrongKey {
                    what: "this stream was sealed with a key, not a passphrase".into(),
                });
            }
        };
        if !bool::from(key.key_id().ct_eq(&self.key_id)) {
            let what = match secret {
                Secret::Key(_) => format!(
                    "the stream was sealed with key id {}, this key has id {}",
                    hex(&self.key_id),
                    hex(&key.key_id())
                ),
                Secret::Passphrase(_) => "the passphrase does not match".into(),
            };
            return Err(Error::WrongKey { what });
        }
        Ok(key)
    }
}

/// log2 of a chunk size, which must be a power of two in 1 KiB..=16 MiB.
pub(crate) fn chunk_log2(chunk_size: usize) -> Result<u8> {
    let log2 = chunk_size.trailing_zeros();
    if !chunk_size.is_power_of_two()
        || !(u32::from(MIN_CHUNK_LOG2)..=u32::from(MAX_CHUNK_LOG2)).contains(&log2)
    {
        return Err(Error::Unsupported {
            field: "chunk size (a power of two from 1 KiB to 16 MiB)",
            found: chunk_size as u64,
        });
    }
    Ok(log2 as u8)
}
