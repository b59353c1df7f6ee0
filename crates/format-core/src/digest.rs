//! blake3 digest helpers for content hashes and integrity checks.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use crate::{Error, Result};

/// A 32-byte blake3 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// The digest of `data`.
    ///
    /// ```
    /// use vellum_format_core::Digest;
    /// let d = Digest::of(b"abc");
    /// assert_eq!(d.to_hex(), "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    /// assert_eq!(d.to_hex().parse::<Digest>()?, d);
    /// # Ok::<(), vellum_format_core::Error>(())
    /// ```
    pub fn of(data: &[u8]) -> Digest {
        Digest(*blake3::hash(data).as_bytes())
    }

    /// A keyed digest (blake3 keyed mode), e.g. for key ids.
    pub fn keyed(key: &[u8; 32], data: &[u8]) -> Digest {
        Digest(*blake3::keyed_hash(key, data).as_bytes())
    }

    /// The digest of everything `reader` yields, read in 64 KiB pieces.
    pub fn of_reader(mut reader: impl Read) -> std::io::Result<Digest> {
        let mut h = blake3::Hasher::new();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(Digest(*h.finalize().as_bytes()))
    }

    /// The digest of a file's contents.
    pub fn of_file(path: &Path) -> Result<Digest> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Digest::of_reader(f).map_err(|e| Error::io(path, e))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// Compares in constant time.
    pub fn ct_eq(&self, other: &Digest) -> bool {
        blake3::Hash::from_bytes(self.0) == blake3::Hash::from_bytes(other.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Digest> {
        blake3::Hash::from_hex(s)
            .map(|h| Digest(*h.as_bytes()))
            .map_err(|e| Error::Invalid {
                field: "blake3 digest",
                offset: 0,
                reason: e.to_string(),
            })
    }
}
