//! Whole sealed streams in memory: one-shot [`seal`] / [`unseal`] and random
//! access to chunk `k` with [`SealedSlice`].

use super::chunk::{ChunkCipher, TAG_LEN};
use super::header::{DEFAULT_CHUNK_SIZE, StreamHeader};
use crate::error::{Error, Result};
use crate::key::Secret;

/// How many chunks one parallel batch holds in the one-shot functions: big
/// enough to keep every core busy, small enough to stay cache friendly.
const BATCH_CHUNKS: usize = 256;

/// Seals `plaintext` into a new sealed stream with 64 KiB chunks, in
/// parallel (rayon).
///
/// # Errors
/// [`Error::Passphrase`] when stretching a passphrase fails.
///
/// # Panics
/// If the operating system's random generator fails.
pub fn seal(secret: &Secret, plaintext: &[u8]) -> Result<Vec<u8>> {
    seal_with_chunk_size(secret, plaintext, DEFAULT_CHUNK_SIZE)
}

/// [`seal`] with another chunk size (a power of two, 1 KiB to 16 MiB).
///
/// # Errors
/// [`Error::Unsupported`] for a bad chunk size, [`Error::Passphrase`].
pub fn seal_with_chunk_size(
    secret: &Secret,
    plaintext: &[u8],
    chunk_size: usize,
) -> Result<Vec<u8>> {
    let (header, key) = StreamHeader::for_sealing(secret, chunk_size)?;
    let cipher = ChunkCipher::new(&key, &header);
    let chunks = plaintext.len().div_ceil(chunk_size).max(1);
    let header = header.encode();
    let mut out = vec![0u8; header.len() + plaintext.len() + chunks * TAG_LEN];
    let (head, mut body) = out.split_at_mut(header.len());
    head.copy_from_slice(&header);
    let batch = BATCH_CHUNKS * chunk_size;
    let mut first = 0u64;
    let mut rest = plaintext;
    loop {
        let take = rest.len().min(batch);
        let (now, later) = rest.split_at(take);
        let (dst, tail) = body.split_at_mut(cipher.sealed_len(now.len()));
        cipher.seal_batch(first, now, later.is_empty(), dst)?;
        first += now.len().div_ceil(chunk_size) as u64;
        rest = later;
        body = tail;
        if rest.is_empty() {
            return Ok(out);
        }
    }
}

/// One sealed stream to write into a place of the caller's (a region of a
/// file or of a larger buffer): its length is known before any byte is
/// sealed, so several streams can be laid out first and sealed in
/// parallel, each into its own place, without a copy.
///
/// ```
/// use vellum_crypto::{Secret, Sealer, VellumKey, unseal};
/// let secret = Secret::Key(VellumKey::generate());
/// let data = b"a blob of records".repeat(100);
/// let s = Sealer::new(&secret, 1024)?;
/// let mut out = vec![0u8; s.sealed_len(data.len())];
/// s.seal_into(&data, &mut out)?;
/// assert_eq!(unseal(&secret, &out)?, data);
/// # Ok::<(), vellum_crypto::Error>(())
/// ```
pub struct Sealer {
    header: Vec<u8>,
    cipher: ChunkCipher,
}

impl std::fmt::Debug for Sealer {
    /// The header's length and the chunk size; never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("header_len", &self.header.len())
            .field("chunk_size", &self.cipher.chunk_size())
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// A new stream (fresh random nonce prefix; a passphrase gets a fresh
    /// salt and is stretched here) with `chunk_size`-byte chunks.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a bad chunk size, [`Error::Passphrase`].
    ///
    /// # Panics
    /// If the operating system's random generator fails.
    pub fn new(secret: &Secret, chunk_size: usize) -> Result<Sealer> {
        let (header, key) = StreamHeader::for_sealing(secret, chunk_size)?;
        let cipher = ChunkCipher::new(&key, &header);
        Ok(Sealer {
            header: header.encode(),
            cipher,
        })
    }

    /// The length of the sealed stream of `plaintext_len` bytes.
    pub fn sealed_len(&self, plaintext_len: usize) -> usize {
        self.header.len() + self.cipher.sealed_len(plaintext_len)
    }

    /// Seals `plaintext` into `out`, which must be
    /// [`Sealer::sealed_len`] bytes, on the calling thread (callers
    /// parallelise across streams).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when `out` has another length.
    pub fn seal_into(&self, plaintext: &[u8], out: &mut [u8]) -> Result<()> {
        if out.len() != self.sealed_len(plaintext.len()) {
            return Err(Error::Unsupported {
                field: "sealed stream buffer length",
                found: out.len() as u64,
            });
        }
        let (head, body) = out.split_at_mut(self.header.len());
        head.copy_from_slice(&self.header);
        let size = self.cipher.chunk_size();
        let sealed = self.cipher.sealed_chunk_size();
        if plaintext.is_empty() {
            return self.cipher.seal(0, true, plaintext, body);
        }
        let n = plaintext.len().div_ceil(size);
        for (i, (src, dst)) in plaintext
            .chunks(size)
            .zip(body.chunks_mut(sealed))
            .enumerate()
        {
            self.cipher.seal(i as u64, i + 1 == n, src, dst)?;
        }
        Ok(())
    }
}

/// Opens a whole sealed stream, in parallel. Every chunk is authenticated
/// before the plaintext is returned.
///
/// # Errors
/// Any stream error: [`Error::WrongKey`], [`Error::ChunkTampered`],
/// [`Error::Truncated`], [`Error::TrailingData`], header errors.
pub fn unseal(secret: &Secret, sealed: &[u8]) -> Result<Vec<u8>> {
    let slice = SealedSlice::new(secret, sealed)?;
    slice.decrypt_all()
}

/// A sealed stream held in memory (or mapped), opened for random access:
/// chunk `k` decrypts without touching the chunks before it.
///
/// ```
/// use vellum_crypto::{Secret, SealedSlice, VellumKey, seal_with_chunk_size};
/// let secret = Secret::Key(VellumKey::generate());
/// let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
/// let sealed = seal_with_chunk_size(&secret, &data, 1024)?;
/// let s = SealedSlice::new(&secret, &sealed)?;
/// assert_eq!(s.chunk_count(), 5);
/// assert_eq!(s.chunk(3)?, &data[3072..4096]);
/// assert_eq!(s.plaintext_len(), 5000);
/// # Ok::<(), vellum_crypto::Error>(())
/// ```
#[derive(Clone)]
pub struct SealedSlice<'a> {
    cipher: ChunkCipher,
    header: StreamHeader,
    body: &'a [u8],
    body_offset: u64,
    chunks: u64,
}

impl std::fmt::Debug for SealedSlice<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedSlice")
            .field("header", &self.header)
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

impl<'a> SealedSlice<'a> {
    /// Parses the header, checks the key (key id) and the length.
    ///
    /// # Errors
    /// Header errors, [`Error::WrongKey`], [`Error::Truncated`] when the
    /// data cannot end with a whole chunk.
    pub fn new(secret: &Secret, sealed: &'a [u8]) -> Result<SealedSlice<'a>> {
        let (header, len) = StreamHeader::parse(sealed)?;
        let key = header.unlock(secret)?;
        let cipher = ChunkCipher::new(&key, &header);
        let body = sealed.get(len..).unwrap_or_default();
        let size = cipher.sealed_chunk_size();
        if body.is_empty() {
            return Err(Error::Truncated {
                reason: "the stream ends right after its header: no chunk".into(),
            });
        }
        let tail = body.len() % size;
        if tail != 0 && tail < TAG_LEN {
            return Err(Error::Truncated {
                reason: format!(
                    "the last chunk is {tail} byte(s), shorter than its {TAG_LEN}-byte tag"
                ),
            });
        }
        let chunks = body.len().div_ceil(size) as u64;
        Ok(SealedSlice {
            cipher,
            header,
            body,
            body_offset: len as u64,
            chunks,
        })
    }

    /// The stream's header.
    pub fn header(&self) -> &StreamHeader {
        &self.header
    }

    /// Number of chunks.
    pub fn chunk_count(&self) -> u64 {
        self.chunks
    }

    /// Plaintext size, from the sealed size (authenticated only as chunks
    /// are opened).
    pub fn plaintext_len(&self) -> u64 {
        self.body.len() as u64 - self.chunks * TAG_LEN as u64
    }

    /// Plaintext bytes per chunk (the last may be shorter).
    pub fn chunk_size(&self) -> usize {
        self.cipher.chunk_size()
    }

    /// Decrypts chunk `k` alone.
    ///
    /// # Errors
    /// [`Error::ChunkOutOfRange`], or [`Error::ChunkTampered`] (or a
    /// truncation / trailing-data error for the last chunk).
    pub fn chunk(&self, k: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.chunk_into(k, &mut out)?;
        Ok(out)
    }

    /// Decrypts chunk `k` into `out` (replacing its contents).
    ///
    /// # Errors
    /// As [`SealedSlice::chunk`].
    pub fn chunk_into(&self, k: u64, out: &mut Vec<u8>) -> Result<()> {
        self.chunks_into(k, 1, out)
    }

    /// Decrypts `count` chunks from chunk `first` on, in parallel.
    ///
    /// # Errors
    /// As [`SealedSlice::chunk`], for the earliest failing chunk.
    pub fn chunks_into(&self, first: u64, count: u64, out: &mut Vec<u8>) -> Result<()> {
        let end = first
            .checked_add(count)
            .filter(|&e| e <= self.chunks && count > 0);
        let Some(end) = end else {
            return Err(Error::ChunkOutOfRange {
                chunk: first.saturating_add(count.saturating_sub(1)),
                count: self.chunks,
            });
        };
        let size = self.cipher.sealed_chunk_size() as u64;
        let from = first * size;
        let to = (end * size).min(self.body.len() as u64);
        let bytes = usize::try_from(from)
            .ok()
            .zip(usize::try_from(to).ok())
            .and_then(|(a, b)| self.body.get(a..b))
            .ok_or(Error::ChunkOutOfRange {
                chunk: first,
                count: self.chunks,
            })?;
        self.cipher.open_batch(
            first,
            bytes,
            end == self.chunks,
            self.body_offset + from,
            out,
        )
    }

    /// Decrypts the whole stream in parallel.
    ///
    /// # Errors
    /// As [`SealedSlice::chunk`], for the earliest failing chunk.
    pub fn decrypt_all(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.chunks_into(0, self.chunks, &mut out)?;
        Ok(out)
    }
}
