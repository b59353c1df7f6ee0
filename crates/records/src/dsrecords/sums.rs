//! The integrity sidecar: per-record checksums in `<data>.vsum`, a file the
//! reference package never reads, so datasets stay byte-compatible.
//!
//! Layout (all little-endian): `VLMRSUM1` (8 bytes), the kind (1 byte: 1 =
//! crc32c, 2 = blake3), 7 zero bytes; then one entry per written record:
//! offset (u64), size in bytes of the whole record (u64), checksum (4 bytes
//! for crc32c, 32 for blake3). Entries are appended; a later entry for the
//! same offset (an update in place) replaces an earlier one.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use vellum_format_core::ByteReader;

use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"VLMRSUM1";
const HEADER_LEN: u64 = 16;

/// The checksum kept for each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumKind {
    /// CRC32C (Castagnoli), 4 bytes: fast, catches bit rot.
    Crc32c,
    /// BLAKE3, 32 bytes: cryptographic.
    Blake3,
}

impl ChecksumKind {
    fn tag(self) -> u8 {
        match self {
            ChecksumKind::Crc32c => 1,
            ChecksumKind::Blake3 => 2,
        }
    }

    fn digest_len(self) -> usize {
        match self {
            ChecksumKind::Crc32c => 4,
            ChecksumKind::Blake3 => 32,
        }
    }

    /// The checksum of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            ChecksumKind::Crc32c => crc32c::crc32c(bytes).to_le_bytes().to_vec(),
            ChecksumKind::Blake3 => blake3::hash(bytes).as_bytes().to_vec(),
        }
    }
}

impl fmt::Display for ChecksumKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChecksumKind::Crc32c => "crc32c",
            ChecksumKind::Blake3 => "blake3",
        })
    }
}

impl FromStr for ChecksumKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ChecksumKind, String> {
        match s {
            "crc32c" => Ok(ChecksumKind::Crc32c),
            "blake3" => Ok(ChecksumKind::Blake3),
            _ => Err(format!("unknown checksum {s:?} (crc32c or blake3)")),
        }
    }
}

/// The sidecar path of a data file: `<data>.vsum`.
pub fn checksum_path_for(data: &Path) -> PathBuf {
    let mut s = data.as_os_str().to_owned();
    s.push(".vsum");
    PathBuf::from(s)
}

/// Appends entries to a sidecar.
#[derive(Debug)]
pub(crate) struct SumWriter {
    file: File,
    path: PathBuf,
    pub kind: ChecksumKind,
}

impl SumWriter {
    /// Opens (or creates) the sidecar of `data`. An existing sidecar keeps
    /// its kind; a torn last entry (from a crash) is cut off first.
    pub fn open(data: &Path, kind: ChecksumKind) -> Result<SumWriter> {
        let path = checksum_path_for(data);
        let io = |e| Error::io(&path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let kind = if len < HEADER_LEN {
            file.set_len(0).map_err(io)?;
            let mut h = MAGIC.to_vec();
            h.push(kind.tag());
            h.resize(HEADER_LEN as usize, 0);
            file.write_all(&h).map_err(io)?;
            kind
        } else {
            let sums = Checksums::load(data)?.ok_or_else(|| {
                Error::io(&path, std::io::Error::other("checksum sidecar vanished"))
            })?;
            let entry = 16 + sums.kind.digest_len() as u64;
            let whole = HEADER_LEN + (len - HEADER_LEN) / entry * entry;
            if whole != len {
                file.set_len(whole).map_err(io)?;
            }
            sums.kind
        };
        Ok(SumWriter { file, path, kind })
    }

    /// Appends entries `(offset, size, checksum)`.
    pub fn append(&mut self, entries: &[(u64, u64, Vec<u8>)]) -> Result<()> {
        let mut buf = Vec::with_capacity(entries.len() * 48);
        for (offset, size, sum) in entries {
            buf.extend_from_slice(&offset.to_le_bytes());
            buf.extend_from_slice(&size.to_le_bytes());
            buf.extend_from_slice(sum);
        }
        self.file
            .write_all(&buf)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// fsync.
    pub fn sync(&self) -> Result<()> {
        self.file.sync_data().map_err(|e| Error::io(&self.path, e))
    }
}

/// A loaded sidecar: the latest checksum of each record offset.
#[derive(Debug, Clone)]
pub struct Checksums {
    /// The checksum kind.
    pub kind: ChecksumKind,
    entries: HashMap<u64, (u64, Vec<u8>)>,
    /// Bytes of a torn last entry (a crash mid-append), ignored.
    pub torn_bytes: u64,
}

impl Checksums {
    /// Loads the sidecar of `data`, if there is one.
    pub fn load(data: &Path) -> Result<Option<Checksums>> {
        let path = checksum_path_for(data);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        Checksums::parse(&bytes)
            .map(Some)
            .map_err(|e| e.in_file(&path))
    }

    /// Parses sidecar bytes.
    pub fn parse(bytes: &[u8]) -> Result<Checksums> {
        let mut r = ByteReader::new(bytes);
        r.expect_magic(MAGIC, "checksum sidecar magic")?;
        let kind = match r.u8("checksum kind")? {
            1 => ChecksumKind::Crc32c,
            2 => ChecksumKind::Blake3,
            k => {
                return Err(r
                    .invalid_at(8, "checksum kind", format!("unknown kind {k}"))
                    .into());
            }
        };
        r.skip(7, "reserved")?;
        let entry = 16 + kind.digest_len();
        let mut entries = HashMap::with_capacity(r.remaining() / entry);
        while r.remaining() >= entry {
            let offset = r.u64_le("checksum offset")?;
            let size = r.u64_le("checksum size")?;
            let sum = r.take(kind.digest_len(), "checksum")?.to_vec();
            entries.insert(offset, (size, sum));
        }
        Ok(Checksums {
            kind,
            entries,
            torn_bytes: r.remaining() as u64,
        })
    }

    /// The stored `(size, checksum)` of the record at `offset`.
    pub fn get(&self, offset: u64) -> Option<(u64, &[u8])> {
        self.entries.get(&offset).map(|(s, d)| (*s, d.as_slice()))
    }

    /// Number of distinct offsets with a checksum.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no checksum is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rewrites the sidecar of `data` keeping only entries that end at or
    /// before `data_len` (used by recover after truncating the data file).
    pub(crate) fn rewrite_within(&self, data: &Path, data_len: u64) -> Result<()> {
        let mut keep: Vec<_> = self
            .entries
            .iter()
            .filter(|(o, (s, _))| o.checked_add(*s).is_some_and(|e| e <= data_len))
            .collect();
        keep.sort_by_key(|(o, _)| **o);
        let mut buf = MAGIC.to_vec();
        buf.push(self.kind.tag());
        buf.resize(HEADER_LEN as usize, 0);
        for (o, (s, d)) in keep {
            buf.extend_from_slice(&o.to_le_bytes());
            buf.extend_from_slice(&s.to_le_bytes());
            buf.extend_from_slice(d);
        }
        vellum_format_core::write_atomic(checksum_path_for(data), &buf)?;
        Ok(())
    }
}
