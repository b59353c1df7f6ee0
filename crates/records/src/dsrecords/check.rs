//! `verify` and `recover`: finding and repairing what a crash (ours or the
//! reference's) or bit rot left behind (spec: dsrecords.md §3.6).

use std::fmt;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use vellum_format_core::{Backend, Limits, open_bytes};

use super::layout::{IndexWords, RESERVED_HEADER, index_path_for, locate};
use super::sums::Checksums;
use crate::{Error, Result};

/// What kind of problem `verify` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The index is shorter than its count says (a crash of the
    /// reference's writer between the count and the slot).
    MissingSlots,
    /// The index file is not a whole number of u64 words, or has no count.
    BadIndexLength,
    /// The data file is shorter than the 1024-byte reserved header.
    ShortDataFile,
    /// A live slot is 0 or points into the reserved header.
    ClearedSlot,
    /// A live slot points at or past the end of the data file.
    DanglingOffset,
    /// A record's headers or payloads run past the end of the data file.
    TruncatedRecord,
    /// A record's bytes do not match its checksum in the sidecar.
    ChecksumMismatch,
}

/// One problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// The record, when the problem belongs to one.
    pub index: Option<u64>,
    /// The byte offset in the data file, when known.
    pub offset: Option<u64>,
    /// A sentence for people.
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, self.offset) {
            (Some(i), Some(o)) => write!(f, "record {i} at offset {o}: {}", self.detail),
            (Some(i), None) => write!(f, "record {i}: {}", self.detail),
            _ => f.write_str(&self.detail),
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// The index count.
    pub count: u64,
    /// Records that parsed completely.
    pub complete: u64,
    /// Records whose checksum matched.
    pub checksums_ok: u64,
    /// Records without a stored checksum (none when there is no sidecar).
    pub checksums_missing: u64,
    /// Slots after the count (left by removals).
    pub stale_slots: u64,
    /// Bytes after the furthest end of a live record (a crash mid-append,
    /// or dead bytes from updates); harmless.
    pub trailing_bytes: u64,
    /// Everything wrong, in index order.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks a dataset: the index fits its count, every live record is
/// complete inside the data file, and (when a checksum sidecar exists) every
/// record matches its checksum. Fails only when the files cannot be read.
pub fn verify(
    path: impl AsRef<Path>,
    fields: usize,
    index_path: Option<&Path>,
) -> Result<VerifyReport> {
    let path = path.as_ref();
    let index_path = index_path.map_or_else(|| index_path_for(path), Path::to_path_buf);
    let limits = Limits::default();
    let index = open_bytes(&index_path, Backend::Read, &limits)
        .map_err(|e| Error::from(e).in_file(&index_path))?;
    let data =
        open_bytes(path, Backend::Read, &limits).map_err(|e| Error::from(e).in_file(path))?;
    let sums = Checksums::load(path)?;
    let mut report = VerifyReport::default();
    let words = IndexWords::new(&index);
    if index.len() % 8 != 0 || index.is_empty() {
        report.problems.push(Problem {
            kind: ProblemKind::BadIndexLength,
            index: None,
            offset: None,
            detail: format!(
                "the index has {} bytes, not a whole number of u64 words",
                index.len()
            ),
        });
    }
    if (data.len() as u64) < RESERVED_HEADER {
        report.problems.push(Problem {
            kind: ProblemKind::ShortDataFile,
            index: None,
            offset: None,
            detail: format!(
                "the data file has {} bytes, less than the 1024-byte reserved header",
                data.len()
            ),
        });
    }
    let count = words.count().unwrap_or(0);
    report.count = count;
    let slots = (words.words() as u64).saturating_sub(1);
    if count > slots {
        report.problems.push(Problem {
            kind: ProblemKind::MissingSlots,
            index: Some(slots),
            offset: None,
            detail: format!("the count says {count} records but the index holds {slots} slots"),
        });
    }
    report.stale_slots = slots.saturating_sub(count);
    let mut furthest = RESERVED_HEADER.min(data.len() as u64);
    for i in 0..count.min(slots) {
        let Some(offset) = words.word(i as usize + 1) else {
            break;
        };
        match locate(&data, i, offset, fields) {
            Ok(span) => {
                report.complete += 1;
                furthest = furthest.max(span.end as u64);
                if let Some(s) = &sums {
                    match s.get(offset) {
                        Some((size, stored)) => {
                            let end = offset.saturating_add(size);
                            let bytes = usize::try_from(offset)
                                .ok()
                                .zip(usize::try_from(end).ok())
                                .and_then(|(a, b)| data.get(a..b));
                            let computed = bytes.map(|b| s.kind.digest(b));
                            if computed.as_deref() == Some(stored) && end == span.end as u64 {
                                report.checksums_ok += 1;
                            } else {
                                report.problems.push(Problem {
                                    kind: ProblemKind::ChecksumMismatch,
                                    index: Some(i),
                                    offset: Some(offset),
                                    detail: format!(
                                        "{} checksum does not match the record's bytes",
                                        s.kind
                                    ),
                                });
                            }
                        }
                        None => report.checksums_missing += 1,
                    }
                }
            }
            Err(e) => {
                let kind = if offset < RESERVED_HEADER {
                    ProblemKind::ClearedSlot
                } else if offset >= data.len() as u64 {
                    ProblemKind::DanglingOffset
                } else {
                    ProblemKind::TruncatedRecord
                };
                let detail = match e {
                    Error::BadRecord { reason, .. } => reason,
                    e => e.to_string(),
                };
                report.problems.push(Problem {
                    kind,
                    index: Some(i),
                    offset: Some(offset),
                    detail,
                });
            }
        }
    }
    report.trailing_bytes = (data.len() as u64).saturating_sub(furthest);
    Ok(report)
}

/// What `recover` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoverReport {
    /// Records kept (the longest run of complete records from the start).
    pub kept: u64,
    /// Records the old count claimed that were dropped.
    pub dropped: u64,
    /// Data file length before and after.
    pub data_len: (u64, u64),
    /// Index file length before and after.
    pub index_len: (u64, u64),
    /// The data path.
    pub data_path: PathBuf,
}

impl RecoverReport {
    /// True when the files were already consistent and nothing changed.
    pub fn unchanged(&self) -> bool {
        self.dropped == 0
            && self.data_len.0 == self.data_len.1
            && self.index_len.0 == self.index_len.1
    }
}

/// Repairs a dataset after a crash: keeps the longest run of complete
/// records from the start of the index, sets the count to it, drops the
/// slots after it, and truncates the data file after the furthest kept
/// record. A dataset whose counted records are all complete keeps its
/// stale index tail (and the records it points at); only bytes after every
/// record go. Each step leaves a consistent dataset, so a crash during
/// `recover` is harmless. A checksum sidecar is trimmed to the data kept.
pub fn recover(
    path: impl AsRef<Path>,
    fields: usize,
    index_path: Option<&Path>,
) -> Result<RecoverReport> {
    let path = path.as_ref();
    let index_path = index_path.map_or_else(|| index_path_for(path), Path::to_path_buf);
    let limits = Limits::default();
    let data_missing = !path.exists();
    let index = match open_bytes(&index_path, Backend::Read, &limits) {
        Ok(b) => b,
        Err(vellum_format_core::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            bytes::Bytes::new()
        }
        Err(e) => return Err(Error::from(e).in_file(&index_path)),
    };
    let data = if data_missing {
        bytes::Bytes::new()
    } else {
        open_bytes(path, Backend::Read, &limits).map_err(|e| Error::from(e).in_file(path))?
    };
    let words = IndexWords::new(&index);
    let count = words.count().unwrap_or(0);
    let slots = (words.words() as u64).saturating_sub(1);
    let mut kept = 0u64;
    let mut furthest = RESERVED_HEADER;
    for i in 0..count.min(slots) {
        let Some(offset) = words.word(i as usize + 1) else {
            break;
        };
        match locate(&data, i, offset, fields) {
            Ok(span) => {
                kept += 1;
                furthest = furthest.max(span.end as u64);
            }
            Err(_) => break,
        }
    }
    // A consistent index keeps its stale tail (it is valid dsrecords), and
    // the bytes of records its stale slots still point at stay too.
    let intact = kept == count && count <= slots;
    if intact {
        for w in (count as usize + 1)..words.words() {
            if let Some(span) = words
                .word(w)
                .and_then(|o| locate(&data, w as u64, o, fields).ok())
            {
                furthest = furthest.max(span.end as u64);
            }
        }
    }
    let data_len = data.len() as u64;
    let index_len = index.len() as u64;
    drop((data, index));
    let open = |p: &Path| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(p)
            .map_err(|e| Error::io(p, e))
    };
    // 1. The count: only ever lowered, so every state in between is valid.
    let new_index_len = if intact && index_len >= 8 {
        index_len / 8 * 8
    } else {
        8 * (kept + 1)
    };
    let idx = open(&index_path)?;
    if kept != count || index_len < 8 {
        use std::io::{Seek, SeekFrom, Write};
        let mut idx = &idx;
        idx.seek(SeekFrom::Start(0))
            .map_err(|e| Error::io(&index_path, e))?;
        idx.write_all(&kept.to_le_bytes())
            .map_err(|e| Error::io(&index_path, e))?;
    }
    // 2. Slots past the count (and any torn word) go.
    if index_len != new_index_len {
        idx.set_len(new_index_len)
            .map_err(|e| Error::io(&index_path, e))?;
    }
    idx.sync_all().map_err(|e| Error::io(&index_path, e))?;
    // 3. Data after the furthest kept record goes; a short data file gets
    // its reserved header back.
    let rec = open(path)?;
    if data_len != furthest {
        rec.set_len(furthest).map_err(|e| Error::io(path, e))?;
    }
    rec.sync_all().map_err(|e| Error::io(path, e))?;
    if let Some(sums) = Checksums::load(path)?
        && (sums.torn_bytes > 0 || data_len != furthest)
    {
        sums.rewrite_within(path, furthest)?;
    }
    Ok(RecoverReport {
        kept,
        dropped: count.saturating_sub(kept),
        data_len: (data_len, furthest),
        index_len: (index_len, new_index_len),
        data_path: path.to_path_buf(),
    })
}
