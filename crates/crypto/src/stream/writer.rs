//! Sealing as a `Write` adapter with bounded memory.

use std::io::{self, Write};

use zeroize::Zeroizing;

use super::chunk::ChunkCipher;
use super::header::{DEFAULT_CHUNK_SIZE, StreamHeader};
use crate::error::Result;
use crate::key::Secret;

/// The most plaintext per parallel batch of the streaming adapters.
const STREAM_BATCH_BYTES: usize = 4 << 20;

/// Chunks per batch for a chunk size: at least one, so a stream with
/// 16 MiB chunks (the largest a header may declare) holds one chunk in
/// flight, not 64.
pub(crate) fn batch_chunks(chunk_size: usize) -> usize {
    // Four chunks per worker keep every core busy while a batch stays
    // small enough to remain in cache between reading, decrypting and
    // handing out.
    let per_workers = rayon::current_num_threads().saturating_mul(4);
    (STREAM_BATCH_BYTES / chunk_size).clamp(1, per_workers.max(1))
}

/// Seals everything written to it into `inner`, batch by batch, in
/// parallel. Call [`SealedWriter::finish`] at the end: only it writes the
/// final chunk, and a stream without one is refused by every reader.
///
/// Memory: one batch of plaintext and one of ciphertext (4 chunks per
/// rayon worker, at most 4 MiB or one chunk), for any stream size.
///
/// ```
/// use std::io::Write;
/// use vellum_crypto::{Secret, SealedWriter, VellumKey, unseal};
/// let secret = Secret::Key(VellumKey::generate());
/// let mut w = SealedWriter::new(Vec::new(), &secret)?;
/// w.write_all(b"hello, ")?;
/// w.write_all(b"world")?;
/// let sealed = w.finish()?;
/// assert_eq!(unseal(&secret, &sealed)?, b"hello, world");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SealedWriter<W: Write> {
    inner: Option<W>,
    cipher: ChunkCipher,
    pending: Zeroizing<Vec<u8>>,
    sealed: Vec<u8>,
    batch_bytes: usize,
    next_chunk: u64,
    written: u64,
}

impl<W: Write> std::fmt::Debug for SealedWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedWriter")
            .field("next_chunk", &self.next_chunk)
            .field("written", &self.written)
            .finish_non_exhaustive()
    }
}

impl<W: Write> SealedWriter<W> {
    /// A writer with 64 KiB chunks; writes the header at once.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when the header cannot be written,
    /// [`crate::Error::Passphrase`].
    pub fn new(inner: W, secret: &Secret) -> Result<SealedWriter<W>> {
        SealedWriter::with_chunk_size(inner, secret, DEFAULT_CHUNK_SIZE)
    }

    /// A writer with another chunk size (power of two, 1 KiB to 16 MiB).
    ///
    /// # Errors
    /// As [`SealedWriter::new`], plus [`crate::Error::Unsupported`].
    pub fn with_chunk_size(
        mut inner: W,
        secret: &Secret,
        chunk_size: usize,
    ) -> Result<SealedWriter<W>> {
        let (header, key) = StreamHeader::for_sealing(secret, chunk_size)?;
        let cipher = ChunkCipher::new(&key, &header);
        inner
            .write_all(&header.encode())
            .map_err(|e| crate::Error::io("", e))?;
        let batch_bytes = batch_chunks(chunk_size) * chunk_size;
        Ok(SealedWriter {
            inner: Some(inner),
            cipher,
            pending: Zeroizing::new(Vec::with_capacity(batch_bytes)),
            sealed: Vec::new(),
            batch_bytes,
            next_chunk: 0,
            written: 0,
        })
    }

    /// Plaintext bytes accepted so far.
    pub fn plaintext_written(&self) -> u64 {
        self.written
    }

    /// Seals the pending batch; `ends_stream` flags its last chunk final.
    fn flush_batch(&mut self, ends_stream: bool) -> io::Result<()> {
        let Some(inner) = self.inner.as_mut() else {
            return Err(io::Error::other("sealed stream already finished"));
        };
        self.sealed
            .resize(self.cipher.sealed_len(self.pending.len()), 0);
        self.cipher
            .seal_batch(
                self.next_chunk,
                &self.pending,
                ends_stream,
                &mut self.sealed,
            )
            .map_err(crate::Error::into_io)?;
        inner.write_all(&self.sealed)?;
        self.next_chunk += self.pending.len().div_ceil(self.cipher.chunk_size()) as u64;
        self.pending.clear();
        Ok(())
    }

    /// Seals what is left as the final chunk(s), flushes and returns the
    /// inner writer.
    ///
    /// # Errors
    /// [`crate::Error::Io`] when writing fails.
    pub fn finish(mut self) -> Result<W> {
        self.flush_batch(true)
            .map_err(|e| crate::Error::io("", e))?;
        let mut inner = self.inner.take().ok_or_else(|| {
            crate::Error::io("", io::Error::other("sealed stream already finished"))
        })?;
        inner.flush().map_err(|e| crate::Error::io("", e))?;
        Ok(inner)
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let total = data.len();
        while !data.is_empty() {
            // A full batch is sealed only once a byte beyond it exists, so
            // that the final chunk is always sealed by `finish` with the
            // final flag, even when the size is a multiple of the batch.
            if self.pending.len() == self.batch_bytes {
                self.flush_batch(false)?;
            }
            let room = self.batch_bytes - self.pending.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.pending.extend_from_slice(now);
            data = later;
        }
        self.written += total as u64;
        Ok(total)
    }

    /// Flushes the inner writer. Pending plaintext stays buffered until a
    /// whole batch (or `finish`), because a chunk's final flag is not known
    /// earlier.
    fn flush(&mut self) -> io::Result<()> {
        match self.inner.as_mut() {
            Some(inner) => inner.flush(),
            None => Ok(()),
        }
    }
}
