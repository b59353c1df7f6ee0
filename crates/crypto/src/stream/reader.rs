//! Opening as a `Read` adapter with bounded memory.

use std::io::{self, Read};

use zeroize::Zeroizing;

use super::chunk::ChunkCipher;
use super::header::{BASE_HEADER_LEN, MAX_HEADER_LEN, StreamHeader};
use super::writer::batch_chunks;
use crate::error::{Error, Result};
use crate::key::Secret;

/// Decrypts a sealed stream read from `inner`. Plaintext is handed out only
/// after the whole batch holding it has been authenticated; any failure is
/// an `io::Error` of kind `InvalidData` (or `UnexpectedEof` for truncation)
/// wrapping the [`Error`] (`err.into_inner()` then `downcast::<Error>()`).
///
/// Memory: one batch of ciphertext and one of plaintext (4 chunks per
/// rayon worker, at most 4 MiB or one chunk), for any stream size.
pub struct SealedReader<R: Read> {
    inner: R,
    cipher: ChunkCipher,
    header: StreamHeader,
    /// Sealed bytes read ahead: a batch plus one byte that proves more
    /// follows.
    sealed: Vec<u8>,
    plain: Zeroizing<Vec<u8>>,
    pos: usize,
    next_chunk: u64,
    /// Offset in the stream of `sealed[0]`.
    offset: u64,
    done: bool,
    failed: Option<(io::ErrorKind, String)>,
}

impl<R: Read> std::fmt::Debug for SealedReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedReader")
            .field("header", &self.header)
            .field("next_chunk", &self.next_chunk)
            .finish_non_exhaustive()
    }
}

impl<R: Read> SealedReader<R> {
    /// Reads and checks the header and the key id; no chunk is read yet.
    ///
    /// # Errors
    /// Header errors, [`Error::WrongKey`], [`Error::Io`].
    pub fn new(mut inner: R, secret: &Secret) -> Result<SealedReader<R>> {
        let mut head = [0u8; MAX_HEADER_LEN];
        let got = read_full(&mut inner, &mut head[..BASE_HEADER_LEN])?;
        let mut have = got;
        // Parse what we have; a passphrase header asks for 28 more bytes.
        let parsed = match StreamHeader::parse(&head[..have]) {
            Err(Error::Truncated { .. }) if have == BASE_HEADER_LEN => {
                have += read_full(&mut inner, &mut head[BASE_HEADER_LEN..])?;
                StreamHeader::parse(&head[..have])
            }
            other => other,
        };
        let (header, len) = parsed?;
        let key = header.unlock(secret)?;
        let cipher = ChunkCipher::new(&key, &header);
        let mut sealed = Vec::new();
        // Bytes read past the header belong to the first chunk.
        sealed.extend_from_slice(head.get(len..have).unwrap_or_default());
        Ok(SealedReader {
            inner,
            header,
            sealed,
            plain: Zeroizing::new(Vec::new()),
            pos: 0,
            next_chunk: 0,
            offset: len as u64,
            done: false,
            failed: None,
            cipher,
        })
    }

    /// The stream's header.
    pub fn header(&self) -> &StreamHeader {
        &self.header
    }

    /// Reads, authenticates and decrypts the next batch into `plain`.
    fn fill(&mut self) -> Result<()> {
        let size = self.cipher.sealed_chunk_size();
        let want = batch_chunks(self.cipher.chunk_size()) * size + 1;
        let have = self.sealed.len();
        // `take` + `read_to_end` grows the buffer only as data arrives, so
        // a small stream never pays for a whole batch.
        (&mut self.inner)
            .take((want - have) as u64)
            .read_to_end(&mut self.sealed)
            .map_err(|e| Error::io("", e))?;
        let at_end = self.sealed.len() < want;
        let batch_len = if at_end { self.sealed.len() } else { want - 1 };
        let batch = &self.sealed[..batch_len];
        if at_end && batch.is_empty() {
            return Err(Error::Truncated {
                reason: format!(
                    "the data ends after chunk {}, before the final chunk",
                    self.next_chunk.saturating_sub(1)
                ),
            });
        }
        self.cipher
            .open_batch(self.next_chunk, batch, at_end, self.offset, &mut self.plain)?;
        self.next_chunk += batch.len().div_ceil(size) as u64;
        self.offset += batch_len as u64;
        self.sealed.drain(..batch_len);
        self.pos = 0;
        self.done = at_end;
        Ok(())
    }
}

impl<R: Read> Read for SealedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((kind, msg)) = &self.failed {
            return Err(io::Error::new(*kind, msg.clone()));
        }
        while self.pos == self.plain.len() {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            if let Err(e) = self.fill() {
                self.plain.clear();
                self.pos = 0;
                let e = e.into_io();
                self.failed = Some((e.kind(), e.to_string()));
                return Err(e);
            }
        }
        let n = buf.len().min(self.plain.len() - self.pos);
        buf[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads until `buf` is full or the end; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("", e)),
        }
    }
    Ok(got)
}
