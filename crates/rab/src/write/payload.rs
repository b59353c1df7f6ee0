//! Where a dataset's payload waits between `add_*` and `write`: in memory
//! while it is small, in the writer's private spool file beyond that, or
//! nowhere at all (an array's own bytes, a file copied at write time).
//!
//! Holding small payloads in memory means a file of many small datasets
//! is written with no temporary folder and every byte written once; the
//! spool keeps payloads larger than memory streaming (issue 5, "Writer").

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use bytes::Bytes;
use vellum_format_core::Digest;

use crate::Result;

/// Bytes a payload being spooled is gathered into before each write to
/// the spool file (large writes, few system calls).
const SPOOL_CHUNK: usize = 1 << 20;

/// A payload as it waits for [`crate::RabWriter::write`].
#[derive(Debug)]
pub(crate) enum Payload {
    /// Bytes shared with the caller (an uncompressed array's own buffer):
    /// not copied until the one write into the target.
    Shared(Bytes),
    /// A small payload copied (or compressed) into memory; counts against
    /// the writer's memory budget.
    Held(Bytes),
    /// Bytes at `offset` of the writer's spool file.
    Spooled { offset: u64 },
    /// A file copied in when the RAB file is written (spec §4.2).
    External { path: PathBuf },
}

/// The writer's private spool: one append-only temporary file in a private
/// temporary folder, so payloads larger than memory stream through disk and
/// no two datasets can ever share a file (upstream's md5-name collision).
#[derive(Debug)]
pub(crate) struct Spool {
    _dir: tempfile::TempDir,
    pub(crate) file: File,
    len: u64,
}

impl Spool {
    fn create() -> Result<Spool> {
        let dir = tempfile::Builder::new()
            .prefix("vellum-rab-")
            .tempdir()
            .map_err(|e| vellum_format_core::Error::io(std::env::temp_dir(), e))?;
        let path = dir.path().join("payloads");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| vellum_format_core::Error::io(&path, e))?;
        Ok(Spool {
            _dir: dir,
            file,
            len: 0,
        })
    }
}

/// What one payload became: where it is, its stored length and digest.
pub(crate) struct Stored {
    pub(crate) payload: Payload,
    pub(crate) byte_length: u64,
    pub(crate) checksum: Option<Digest>,
}

/// The sink one payload is serialised (and compressed) into: memory up to
/// `cap` bytes, then the spool, created on first need.
pub(crate) struct PayloadSink<'w> {
    buf: Vec<u8>,
    cap: usize,
    spool: &'w mut Option<Spool>,
    /// Where the payload starts in the spool, once it spilled there.
    spooled_at: Option<u64>,
    hasher: Option<blake3::Hasher>,
    written: u64,
}

impl<'w> PayloadSink<'w> {
    /// A sink that keeps up to `cap` bytes in memory.
    pub(crate) fn new(spool: &'w mut Option<Spool>, cap: usize, hash: bool) -> PayloadSink<'w> {
        PayloadSink {
            buf: Vec::new(),
            cap,
            spool,
            spooled_at: None,
            hasher: hash.then(blake3::Hasher::new),
            written: 0,
        }
    }

    fn spool_file(&mut self) -> io::Result<&mut Spool> {
        if self.spool.is_none() {
            *self.spool = Some(Spool::create().map_err(io::Error::other)?);
        }
        self.spool
            .as_mut()
            .ok_or_else(|| io::Error::other("no spool"))
    }

    /// Appends `data` to the spool. The spool is append-only, but a copy
    /// at `write` time may have moved its cursor: always seek to the end.
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        let spool = self.spool_file()?;
        let mut f = &spool.file;
        f.seek(SeekFrom::Start(spool.len))?;
        f.write_all(data)?;
        spool.len += data.len() as u64;
        Ok(())
    }

    /// Writes what is gathered to the spool.
    fn drain(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.buf);
        let done = self.append(&buf);
        self.buf = buf;
        self.buf.clear();
        done
    }

    /// Ends the payload.
    pub(crate) fn finish(mut self) -> io::Result<Stored> {
        let checksum = self.hasher.take().map(|h| Digest(*h.finalize().as_bytes()));
        let payload = match self.spooled_at {
            None => Payload::Held(Bytes::from(std::mem::take(&mut self.buf))),
            Some(offset) => {
                self.drain()?;
                Payload::Spooled { offset }
            }
        };
        Ok(Stored {
            payload,
            byte_length: self.written,
            checksum,
        })
    }
}

impl Write for PayloadSink<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.spooled_at.is_none() && self.buf.len().saturating_add(data.len()) > self.cap {
            // Too big for memory: from here on the payload goes to the
            // spool, starting with what was gathered so far.
            let spool = self.spool_file()?;
            self.spooled_at = Some(spool.len);
        }
        if self.spooled_at.is_some() && self.buf.len().saturating_add(data.len()) > SPOOL_CHUNK {
            self.drain()?;
            if data.len() >= SPOOL_CHUNK {
                // Large writes go straight through, without a copy.
                self.append(data)?;
            } else {
                self.buf.extend_from_slice(data);
            }
        } else {
            self.buf.extend_from_slice(data);
        }
        if let Some(h) = &mut self.hasher {
            h.update(data);
        }
        self.written += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
