//! TFRecord framing (spec: dsrecords.md §5): u64le length, masked CRC32C of
//! the length, payload, masked CRC32C of the payload.

use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use vellum_format_core::{Backend, ByteReader, Limits};

use crate::{Error, Result};

/// Bytes of framing around each payload.
pub const TFRECORD_OVERHEAD: u64 = 16;

/// TensorFlow's masked CRC32C: `rotr32(crc, 15) + 0xa282ead8`.
///
/// ```
/// use vellum_records::masked_crc32c;
/// assert_eq!(masked_crc32c(b""), 0xa282ead8);
/// ```
pub fn masked_crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
        .rotate_right(15)
        .wrapping_add(0xa282_ead8)
}

/// One TFRecord: its payload (a zero-copy slice of the file) and where its
/// frame starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TfRecord {
    /// Offset of the frame (its length field) in the file.
    pub offset: u64,
    /// The payload.
    pub payload: Bytes,
}

/// A TFRecord file opened for reading, checking both CRCs of every record.
///
/// ```
/// use vellum_records::{TfRecordReader, TfRecordWriter};
/// let mut file = Vec::new();
/// let mut w = TfRecordWriter::new(&mut file);
/// w.write(b"hello")?;
/// w.write(b"")?;
/// let r = TfRecordReader::from_bytes(file.clone().into());
/// let got: Vec<_> = r.iter().collect::<Result<_, _>>()?;
/// assert_eq!(&got[0].payload[..], b"hello");
/// assert_eq!(got[1].offset, 21);
/// file[14] ^= 1; // flip a payload bit
/// let err = TfRecordReader::from_bytes(file.into()).iter().next().unwrap().unwrap_err();
/// assert_eq!(err.offset(), Some(0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TfRecordReader {
    data: Bytes,
    path: Option<PathBuf>,
    verify: bool,
    skip_corrupt: bool,
}

impl TfRecordReader {
    /// Opens a file (read backend, default limits).
    pub fn open(path: impl AsRef<Path>) -> Result<TfRecordReader> {
        TfRecordReader::open_with(path, Backend::Read, &Limits::default())
    }

    /// Opens a file with a backend and limits.
    pub fn open_with(
        path: impl AsRef<Path>,
        backend: Backend,
        limits: &Limits,
    ) -> Result<TfRecordReader> {
        let path = path.as_ref();
        let data =
            crate::open_data(path, backend, limits).map_err(|e| Error::from(e).in_file(path))?;
        Ok(TfRecordReader {
            data,
            path: Some(path.to_path_buf()),
            verify: true,
            skip_corrupt: false,
        })
    }

    /// A reader over bytes already in memory.
    pub fn from_bytes(data: Bytes) -> TfRecordReader {
        TfRecordReader {
            data,
            path: None,
            verify: true,
            skip_corrupt: false,
        }
    }

    /// Turns CRC checking off (like the `tfrecord` pip reader; not
    /// recommended).
    pub fn verify_crc(mut self, verify: bool) -> TfRecordReader {
        self.verify = verify;
        self
    }

    /// Skips corrupt records instead of failing: a record whose data CRC
    /// fails is skipped; after a bad length the reader resynchronises on
    /// the next offset where a whole valid frame starts. The iterator counts
    /// what it skipped ([`TfRecordIter::skipped`]).
    pub fn skip_corrupt(mut self, skip: bool) -> TfRecordReader {
        self.skip_corrupt = skip;
        self
    }

    /// The file's bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The records in file order.
    pub fn iter(&self) -> TfRecordIter<'_> {
        TfRecordIter {
            reader: self,
            pos: 0,
            skipped: 0,
            skipped_bytes: 0,
            done: false,
        }
    }

    fn err(&self, e: Error) -> Error {
        match &self.path {
            Some(p) => e.in_file(p),
            None => e,
        }
    }

    /// Reads the frame at `pos`: the record, and the next position.
    pub fn read_at(&self, pos: u64) -> Result<(TfRecord, u64)> {
        self.frame_at(pos).map_err(|e| self.err(e))
    }

    fn frame_at(&self, pos: u64) -> Result<(TfRecord, u64)> {
        let start = usize::try_from(pos).map_err(|_| {
            Error::Bytes(vellum_format_core::Error::Overflow {
                field: "tfrecord offset",
                offset: pos,
            })
        })?;
        let rest =
            self.data
                .get(start..)
                .ok_or(Error::Bytes(vellum_format_core::Error::Truncated {
                    field: "tfrecord length",
                    offset: pos,
                    needed: 8,
                    available: 0,
                }))?;
        let mut r = ByteReader::with_base(rest, pos);
        let len_bytes = r.take(8, "tfrecord length")?;
        let len_crc = r.u32_le("tfrecord length crc")?;
        if self.verify {
            let computed = masked_crc32c(len_bytes);
            if computed != len_crc {
                return Err(Error::ChecksumMismatch {
                    what: "tfrecord length crc",
                    offset: pos,
                    stored: format!("{len_crc:08x}"),
                    computed: format!("{computed:08x}"),
                });
            }
        }
        let mut lb = [0u8; 8];
        lb.copy_from_slice(len_bytes);
        let len = u64::from_le_bytes(lb);
        let payload = r.take_u64(len, "tfrecord payload")?;
        let data_crc = r.u32_le("tfrecord data crc")?;
        if self.verify {
            let computed = masked_crc32c(payload);
            if computed != data_crc {
                return Err(Error::ChecksumMismatch {
                    what: "tfrecord data crc",
                    offset: pos,
                    stored: format!("{data_crc:08x}"),
                    computed: format!("{computed:08x}"),
                });
            }
        }
        let next = r.offset();
        Ok((
            TfRecord {
                offset: pos,
                payload: self.data.slice_ref(payload),
            },
            next,
        ))
    }

    /// The next offset after `from` where a frame with a valid length CRC
    /// and a valid data CRC starts.
    fn resync(&self, from: u64) -> Option<u64> {
        let total = self.data.len() as u64;
        let mut p = from;
        while p + TFRECORD_OVERHEAD <= total {
            let s = p as usize;
            if let (Some(lb), Some(cb)) = (self.data.get(s..s + 8), self.data.get(s + 8..s + 12)) {
                let mut c = [0u8; 4];
                c.copy_from_slice(cb);
                if masked_crc32c(lb) == u32::from_le_bytes(c) && self.frame_at(p).is_ok() {
                    return Some(p);
                }
            }
            p += 1;
        }
        None
    }
}

/// Iterator over the records of a [`TfRecordReader`].
#[derive(Debug)]
pub struct TfRecordIter<'a> {
    reader: &'a TfRecordReader,
    pos: u64,
    skipped: u64,
    skipped_bytes: u64,
    done: bool,
}

impl TfRecordIter<'_> {
    /// Corrupt records skipped so far (with `skip_corrupt`).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Bytes skipped so far (with `skip_corrupt`).
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped_bytes
    }
}

impl Iterator for TfRecordIter<'_> {
    type Item = Result<TfRecord>;

    fn next(&mut self) -> Option<Result<TfRecord>> {
        if self.done || self.pos >= self.reader.data.len() as u64 {
            return None;
        }
        loop {
            if self.pos >= self.reader.data.len() as u64 {
                return None;
            }
            match self.reader.frame_at(self.pos) {
                Ok((rec, next)) => {
                    self.pos = next;
                    return Some(Ok(rec));
                }
                Err(e) if self.reader.skip_corrupt => {
                    self.skipped += 1;
                    let from = self.pos;
                    // A bad data CRC under a good length: skip that frame.
                    let next = match e {
                        Error::ChecksumMismatch {
                            what: "tfrecord data crc",
                            ..
                        } => self.frame_len(from).map(|l| from + l),
                        _ => None,
                    };
                    match next.or_else(|| self.reader.resync(from + 1)) {
                        Some(p) => {
                            self.skipped_bytes += p - from;
                            self.pos = p;
                        }
                        None => {
                            self.skipped_bytes += self.reader.data.len() as u64 - from;
                            self.done = true;
                            return None;
                        }
                    }
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(self.reader.err(e)));
                }
            }
        }
    }
}

impl TfRecordIter<'_> {
    fn frame_len(&self, pos: u64) -> Option<u64> {
        let s = usize::try_from(pos).ok()?;
        let lb = self.reader.data.get(s..s.checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(lb);
        u64::from_le_bytes(a).checked_add(TFRECORD_OVERHEAD)
    }
}

/// Writes TFRecord frames to any `Write`.
#[derive(Debug)]
pub struct TfRecordWriter<W: Write> {
    out: W,
    pos: u64,
    index: Vec<(u64, u64)>,
}

impl<W: Write> TfRecordWriter<W> {
    /// A writer at the start of `out`.
    pub fn new(out: W) -> TfRecordWriter<W> {
        TfRecordWriter {
            out,
            pos: 0,
            index: Vec::new(),
        }
    }

    /// Writes one record; returns its frame's offset.
    pub fn write(&mut self, payload: &[u8]) -> std::io::Result<u64> {
        let len = (payload.len() as u64).to_le_bytes();
        let mut head = [0u8; 12];
        head[..8].copy_from_slice(&len);
        head[8..].copy_from_slice(&masked_crc32c(&len).to_le_bytes());
        self.out.write_all(&head)?;
        self.out.write_all(payload)?;
        self.out.write_all(&masked_crc32c(payload).to_le_bytes())?;
        let at = self.pos;
        let framed = payload.len() as u64 + TFRECORD_OVERHEAD;
        self.index.push((at, framed));
        self.pos += framed;
        Ok(at)
    }

    /// `(offset, framed length)` of every record written, for
    /// [`write_tfindex`].
    pub fn index(&self) -> &[(u64, u64)] {
        &self.index
    }

    /// Flushes and returns the inner writer.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Parses a `tfrecord2idx` index: `<offset> <framed length>\n` per record.
pub fn parse_tfindex(text: &str) -> Result<Vec<(u64, u64)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let bad = |reason: &str| Error::BadIndexLine {
                line: n + 1,
                reason: reason.into(),
            };
            let mut parts = l.split_whitespace();
            let off = parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| bad("bad offset"))?;
            let len = parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| bad("bad length"))?;
            if parts.next().is_some() {
                return Err(bad("extra fields"));
            }
            Ok((off, len))
        })
        .collect()
}

/// Writes a `tfrecord2idx` index.
pub fn write_tfindex(entries: &[(u64, u64)]) -> String {
    entries.iter().map(|(o, l)| format!("{o} {l}\n")).collect()
}
