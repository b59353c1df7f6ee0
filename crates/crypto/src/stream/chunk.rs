//! One chunk of the STREAM construction (Hoang, Reyhanitabar, Rogaway,
//! Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
//! Misuse-Resistance", 2015): chunk `i` is sealed with the 24-byte XChaCha20
//! nonce `prefix (19) ‖ i as u32 big endian (4) ‖ last (1)`, and the header
//! as associated data. So a chunk only opens at its own position, in its own
//! stream, with the right "last" flag: reordering, repeating, splicing and
//! truncation all fail authentication.

use chacha20poly1305::aead::inout::InOutBuf;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use rayon::prelude::*;

use super::header::{NONCE_PREFIX_LEN, StreamHeader};
use crate::error::{Error, Result};
use crate::key::VellumKey;

/// Bytes of authentication tag after every chunk.
pub const TAG_LEN: usize = 16;

/// The cipher state of one stream: key, header bytes (associated data) and
/// nonce prefix.
#[derive(Clone)]
pub(crate) struct ChunkCipher {
    aead: XChaCha20Poly1305,
    aad: Vec<u8>,
    prefix: [u8; NONCE_PREFIX_LEN],
    chunk_size: usize,
}

impl ChunkCipher {
    pub(crate) fn new(key: &VellumKey, header: &StreamHeader) -> ChunkCipher {
        ChunkCipher {
            aead: XChaCha20Poly1305::new(key.as_bytes().into()),
            aad: header.encode(),
            prefix: *header.nonce_prefix(),
            chunk_size: header.chunk_size(),
        }
    }

    pub(crate) fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// Sealed size of a full chunk.
    pub(crate) fn sealed_chunk_size(&self) -> usize {
        self.chunk_size + TAG_LEN
    }

    fn nonce(&self, index: u64, last: bool) -> Result<XNonce> {
        let counter = u32::try_from(index).map_err(|_| Error::Unsupported {
            field: "chunk count (at most 2^32 chunks per stream)",
            found: index,
        })?;
        let mut nonce = XNonce::default();
        nonce[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
        nonce[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
        nonce[NONCE_PREFIX_LEN + 4] = u8::from(last);
        Ok(nonce)
    }

    /// Seals `plain` as chunk `index` into `out` (`plain.len() + TAG_LEN`
    /// bytes).
    pub(crate) fn seal(&self, index: u64, last: bool, plain: &[u8], out: &mut [u8]) -> Result<()> {
        let nonce = self.nonce(index, last)?;
        let (body, tag_out) = out.split_at_mut(plain.len());
        let buf = InOutBuf::new(plain, body).map_err(|_| Error::Unsupported {
            field: "chunk buffer length",
            found: plain.len() as u64,
        })?;
        let tag = self
            .aead
            .encrypt_inout_detached(&nonce, &self.aad, buf)
            .map_err(|_| Error::Unsupported {
                field: "chunk length",
                found: plain.len() as u64,
            })?;
        tag_out.copy_from_slice(&tag);
        Ok(())
    }

    /// Opens chunk `index` (`sealed` = ciphertext ‖ tag) into `out`
    /// (`sealed.len() - TAG_LEN` bytes). Nothing is written to `out` unless
    /// the tag verifies. `offset` is the chunk's position in the stream, for
    /// the error.
    ///
    /// On failure, the chunk is tried once more with the other "last" flag,
    /// only to name the defect: a non-final chunk that is the end of the
    /// data means the stream was cut at a chunk boundary; a final chunk
    /// followed by more data means bytes were appended.
    pub(crate) fn open(
        &self,
        index: u64,
        last: bool,
        sealed: &[u8],
        out: &mut [u8],
        offset: u64,
    ) -> Result<()> {
        if self.try_open(index, last, sealed, out)? {
            return Ok(());
        }
        let mut scratch = vec![0u8; out.len()];
        if self.try_open(index, !last, sealed, &mut scratch)? {
            return Err(if last {
                Error::Truncated {
                    reason: format!(
                        "the data ends after chunk {index}, which is not the final chunk: the rest of the stream is missing"
                    ),
                }
            } else {
                Error::TrailingData {
                    offset: offset + sealed.len() as u64,
                    extra: 1,
                }
            });
        }
        Err(Error::ChunkTampered {
            chunk: index,
            offset,
        })
    }

    fn try_open(&self, index: u64, last: bool, sealed: &[u8], out: &mut [u8]) -> Result<bool> {
        let Some(body_len) = sealed.len().checked_sub(TAG_LEN) else {
            return Err(Error::Truncated {
                reason: format!(
                    "chunk {index} has {} byte(s), less than its {TAG_LEN}-byte tag",
                    sealed.len()
                ),
            });
        };
        let (body, tag) = sealed.split_at(body_len);
        let tag = Tag::try_from(tag).map_err(|_| Error::ChunkTampered {
            chunk: index,
            offset: 0,
        })?;
        let nonce = self.nonce(index, last)?;
        let Some(out) = out.get_mut(..body_len) else {
            return Err(Error::ChunkTampered {
                chunk: index,
                offset: 0,
            });
        };
        let buf = InOutBuf::new(body, out).map_err(|_| Error::ChunkTampered {
            chunk: index,
            offset: 0,
        })?;
        Ok(self
            .aead
            .decrypt_inout_detached(&nonce, &self.aad, buf, &tag)
            .is_ok())
    }

    /// Sealed size of `plain_len` bytes of plaintext (at least one chunk).
    pub(crate) fn sealed_len(&self, plain_len: usize) -> usize {
        plain_len + plain_len.div_ceil(self.chunk_size).max(1) * TAG_LEN
    }

    /// Seals consecutive plaintext chunks starting at chunk `first` in
    /// parallel into `out`, which must be [`ChunkCipher::sealed_len`] bytes;
    /// they land back to back. The final chunk of the stream is flagged when
    /// `ends_stream`.
    pub(crate) fn seal_batch(
        &self,
        first: u64,
        plain: &[u8],
        ends_stream: bool,
        out: &mut [u8],
    ) -> Result<()> {
        let n = plain.len().div_ceil(self.chunk_size).max(1);
        if out.len() != self.sealed_len(plain.len()) {
            return Err(Error::Unsupported {
                field: "sealed batch buffer length",
                found: out.len() as u64,
            });
        }
        let sealed = self.sealed_chunk_size();
        let chunks: Vec<&[u8]> = if plain.is_empty() {
            vec![plain]
        } else {
            plain.chunks(self.chunk_size).collect()
        };
        out.par_chunks_mut(sealed)
            .zip(chunks)
            .enumerate()
            .try_for_each(|(i, (dst, src))| {
                let last = ends_stream && i + 1 == n;
                self.seal(first + i as u64, last, src, dst)
            })
    }

    /// Opens consecutive sealed chunks starting at chunk `first` in
    /// parallel into `out`. When `ends_stream`, the last one must be the
    /// final chunk. `offset` is the batch's position in the stream. On error
    /// the earliest failing chunk is reported and `out` must not be used.
    pub(crate) fn open_batch(
        &self,
        first: u64,
        sealed: &[u8],
        ends_stream: bool,
        offset: u64,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let size = self.sealed_chunk_size();
        let srcs: Vec<&[u8]> = sealed.chunks(size).collect();
        let Some(last_src) = srcs.last() else {
            return Err(Error::Truncated {
                reason: format!("no chunk {first}: the stream ends before its final chunk"),
            });
        };
        if last_src.len() < TAG_LEN {
            return Err(Error::Truncated {
                reason: format!(
                    "the last chunk (chunk {}) is {} byte(s), shorter than its {TAG_LEN}-byte tag",
                    first + srcs.len() as u64 - 1,
                    last_src.len()
                ),
            });
        }
        let n = srcs.len();
        out.clear();
        out.resize(sealed.len() - n * TAG_LEN, 0);
        // One output slot per sealed chunk, even an empty final one, so
        // that every chunk is authenticated.
        let mut dsts: Vec<&mut [u8]> = Vec::with_capacity(n);
        let mut rest = out.as_mut_slice();
        for src in &srcs {
            let (dst, tail) = rest.split_at_mut(src.len() - TAG_LEN);
            dsts.push(dst);
            rest = tail;
        }
        let results: Vec<Result<()>> = srcs
            .into_par_iter()
            .zip(dsts)
            .enumerate()
            .map(|(i, (src, dst))| {
                let last = ends_stream && i + 1 == n;
                let at = offset + (i * size) as u64;
                self.open(first + i as u64, last, src, dst, at)
            })
            .collect();
        results.into_iter().collect::<Result<Vec<()>>>()?;
        Ok(())
    }
}
