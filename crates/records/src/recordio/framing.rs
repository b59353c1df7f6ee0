//! MXNet RecordIO framing (spec: dsrecords.md §4): per chunk a magic word,
//! a u32 of 3-bit continuation flag and 29-bit length, the bytes, and zero
//! padding to 4 bytes. A payload is split wherever the magic appears at a
//! 4-aligned offset, so the magic always marks a record boundary.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use vellum_format_core::{Backend, ByteReader, Limits};

use crate::{Error, Result};

/// The RecordIO magic word (`0a 23 d7 ce` on disk).
pub const RECORDIO_MAGIC: u32 = 0xced7_230a;
const MAGIC_BYTES: [u8; 4] = RECORDIO_MAGIC.to_le_bytes();
/// Payloads must be smaller than this (29-bit lengths).
pub const RECORDIO_MAX_LEN: usize = 1 << 29;

/// One RecordIO record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordIoRecord {
    /// Offset of its first chunk.
    pub offset: u64,
    /// The logical payload (magic words re-inserted between chunks). A
    /// zero-copy slice of the file when the record is one chunk.
    pub payload: Bytes,
    /// Number of physical chunks (1 unless the payload held the magic).
    pub chunks: u32,
}

/// One physical chunk: its flag and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// 0 whole record, 1 first, 2 middle, 3 last.
    pub cflag: u8,
    /// Bytes of payload in this chunk.
    pub length: u32,
}

/// A RecordIO file opened for reading.
///
/// ```
/// use vellum_records::{RecordIoReader, RecordIoWriter};
/// let mut w = RecordIoWriter::new(Vec::new());
/// w.write(b"abc")?;
/// w.write(&[b'x', b'y', b'z', b'w', 0x0a, 0x23, 0xd7, 0xce, b'!'])?;
/// let file = w.into_inner()?;
/// assert_eq!(&file[..12], &[0x0a, 0x23, 0xd7, 0xce, 3, 0, 0, 0, b'a', b'b', b'c', 0]);
/// let r = RecordIoReader::from_bytes(file.into());
/// let recs: Vec<_> = r.iter().collect::<Result<_, _>>()?;
/// assert_eq!(recs[1].chunks, 2);
/// assert_eq!(&recs[1].payload[4..8], &[0x0a, 0x23, 0xd7, 0xce]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordIoReader {
    data: Bytes,
    path: Option<PathBuf>,
}

impl RecordIoReader {
    /// Opens a file (read backend, default limits).
    pub fn open(path: impl AsRef<Path>) -> Result<RecordIoReader> {
        RecordIoReader::open_with(path, Backend::Read, &Limits::default())
    }

    /// Opens a file with a backend and limits.
    pub fn open_with(
        path: impl AsRef<Path>,
        backend: Backend,
        limits: &Limits,
    ) -> Result<RecordIoReader> {
        let path = path.as_ref();
        let data =
            crate::open_data(path, backend, limits).map_err(|e| Error::from(e).in_file(path))?;
        Ok(RecordIoReader {
            data,
            path: Some(path.to_path_buf()),
        })
    }

    /// A reader over bytes in memory.
    pub fn from_bytes(data: Bytes) -> RecordIoReader {
        RecordIoReader { data, path: None }
    }

    /// The file's bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    fn err(&self, e: Error) -> Error {
        match &self.path {
            Some(p) => e.in_file(p),
            None => e,
        }
    }

    /// The chunk headers of the record at `offset`.
    pub fn chunks_at(&self, offset: u64) -> Result<Vec<Chunk>> {
        let mut chunks = Vec::new();
        self.parse_at(offset, Some(&mut chunks))
            .map_err(|e| self.err(e))?;
        Ok(chunks)
    }

    /// The record at `offset`, and the offset after it.
    pub fn read_at(&self, offset: u64) -> Result<(RecordIoRecord, u64)> {
        self.parse_at(offset, None).map_err(|e| self.err(e))
    }

    fn parse_at(
        &self,
        offset: u64,
        mut out: Option<&mut Vec<Chunk>>,
    ) -> Result<(RecordIoRecord, u64)> {
        let start = usize::try_from(offset)
            .ok()
            .filter(|&s| s <= self.data.len())
            .ok_or(Error::Bytes(vellum_format_core::Error::Truncated {
                field: "recordio magic",
                offset,
                needed: 8,
                available: 0,
            }))?;
        let mut r = ByteReader::with_base(self.data.get(start..).unwrap_or(&[]), offset);
        let mut joined: Option<Vec<u8>> = None;
        let mut first: Option<&[u8]> = None;
        let mut chunks = 0u32;
        loop {
            let at = r.offset();
            r.expect_magic(&MAGIC_BYTES, "recordio magic")?;
            let lrec = r.u32_le("recordio length")?;
            let cflag = (lrec >> 29) as u8;
            let len = lrec & (RECORDIO_MAX_LEN as u32 - 1);
            let part = r.take(len as usize, "recordio chunk")?;
            let pad = (4 - len as usize % 4) % 4;
            r.skip(pad, "recordio padding")?;
            if let Some(o) = out.as_deref_mut() {
                o.push(Chunk { cflag, length: len });
            }
            let expected_ok = match (chunks, cflag) {
                (0, 0 | 1) => true,
                (n, 2 | 3) if n > 0 => true,
                _ => false,
            };
            if !expected_ok {
                return Err(r
                    .invalid_at(
                        at,
                        "recordio length",
                        format!("unexpected continuation flag {cflag} in chunk {chunks}"),
                    )
                    .into());
            }
            chunks += 1;
            match cflag {
                0 => {
                    first = Some(part);
                    break;
                }
                1 => joined = Some(part.to_vec()),
                _ => {
                    if let Some(j) = joined.as_mut() {
                        j.extend_from_slice(&MAGIC_BYTES);
                        j.extend_from_slice(part);
                    }
                    if cflag == 3 {
                        break;
                    }
                }
            }
        }
        let payload = match (first, joined) {
            (Some(p), _) => self.data.slice_ref(p),
            (None, Some(j)) => Bytes::from(j),
            (None, None) => Bytes::new(),
        };
        let next = r.offset();
        Ok((
            RecordIoRecord {
                offset,
                payload,
                chunks,
            },
            next,
        ))
    }

    /// The records in file order.
    pub fn iter(&self) -> impl Iterator<Item = Result<RecordIoRecord>> + '_ {
        let mut pos = 0u64;
        let mut done = false;
        std::iter::from_fn(move || {
            if done || pos >= self.data.len() as u64 {
                return None;
            }
            match self.read_at(pos) {
                Ok((rec, next)) => {
                    pos = next;
                    Some(Ok(rec))
                }
                Err(e) => {
                    done = true;
                    Some(Err(e))
                }
            }
        })
    }
}

/// Writes RecordIO records to any `Write`, splitting at aligned magic words
/// exactly as dmlc's `RecordIOWriter` does.
#[derive(Debug)]
pub struct RecordIoWriter<W: Write> {
    out: W,
    pos: u64,
}

impl<W: Write> RecordIoWriter<W> {
    /// A writer at the start of `out`.
    pub fn new(out: W) -> RecordIoWriter<W> {
        RecordIoWriter { out, pos: 0 }
    }

    /// A writer whose offsets start at `pos` (appending to a file).
    pub fn at(out: W, pos: u64) -> RecordIoWriter<W> {
        RecordIoWriter { out, pos }
    }

    /// The offset the next record will get.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn chunk(&mut self, cflag: u32, part: &[u8]) -> std::io::Result<()> {
        let lrec = cflag << 29 | part.len() as u32;
        self.out.write_all(&MAGIC_BYTES)?;
        self.out.write_all(&lrec.to_le_bytes())?;
        self.out.write_all(part)?;
        self.pos += 8 + part.len() as u64;
        Ok(())
    }

    /// Writes one record; returns its offset.
    pub fn write(&mut self, payload: &[u8]) -> Result<u64> {
        if payload.len() >= RECORDIO_MAX_LEN {
            return Err(Error::BadValue {
                codec: "recordio".into(),
                reason: format!(
                    "a record must be under 2^29 bytes, this one has {}",
                    payload.len()
                ),
            });
        }
        let at = self.pos;
        let io = |e| Error::io("<recordio output>", e);
        // `start` is where the current chunk begins; it is past a dropped
        // magic word (so non-zero) once the payload has been split.
        let mut start = 0usize;
        for (k, word) in payload.chunks_exact(4).enumerate() {
            if word == MAGIC_BYTES {
                let i = 4 * k;
                let flag = if start == 0 { 1 } else { 2 };
                self.chunk(flag, payload.get(start..i).unwrap_or(&[]))
                    .map_err(io)?;
                start = i + 4;
            }
        }
        let flag = if start == 0 { 0 } else { 3 };
        self.chunk(flag, payload.get(start..).unwrap_or(&[]))
            .map_err(io)?;
        let pad = (4 - payload.len() % 4) % 4;
        self.out.write_all(&[0u8; 3][..pad]).map_err(io)?;
        self.pos += pad as u64;
        Ok(at)
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}
