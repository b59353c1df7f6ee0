//! The `.idx` of `MXIndexedRecordIO` (text, `<key>\t<offset>\n` per record)
//! and random access by key.

use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;

use super::{RecordIoReader, RecordIoRecord};
use crate::{Error, Result};

/// Parses an `.idx`: `(key, offset)` per line, in file order.
pub fn parse_recordio_index(text: &str) -> Result<Vec<(u64, u64)>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            let bad = |reason: &str| Error::BadIndexLine {
                line: n + 1,
                reason: reason.into(),
            };
            let (k, o) = l
                .split_once('\t')
                .ok_or_else(|| bad("expected <key>\\t<offset>"))?;
            let key = k
                .trim()
                .parse()
                .map_err(|_| bad("the key is not an unsigned integer"))?;
            let off = o
                .trim()
                .parse()
                .map_err(|_| bad("the offset is not an unsigned integer"))?;
            Ok((key, off))
        })
        .collect()
}

/// Writes an `.idx` as MXNet does.
pub fn write_recordio_index(entries: &[(u64, u64)]) -> String {
    entries.iter().map(|(k, o)| format!("{k}\t{o}\n")).collect()
}

/// A RecordIO file with its `.idx`: records by key (`MXIndexedRecordIO`).
#[derive(Debug, Clone)]
pub struct IndexedRecordIo {
    reader: RecordIoReader,
    entries: Vec<(u64, u64)>,
    by_key: HashMap<u64, u64>,
}

impl IndexedRecordIo {
    /// Opens `rec` and its index `idx`.
    pub fn open(rec: impl AsRef<Path>, idx: impl AsRef<Path>) -> Result<IndexedRecordIo> {
        let idx = idx.as_ref();
        let text = std::fs::read_to_string(idx).map_err(|e| Error::io(idx, e))?;
        let entries = parse_recordio_index(&text).map_err(|e| e.in_file(idx))?;
        Ok(IndexedRecordIo::new(RecordIoReader::open(rec)?, entries))
    }

    /// From a reader and parsed index entries.
    pub fn new(reader: RecordIoReader, entries: Vec<(u64, u64)>) -> IndexedRecordIo {
        let by_key = entries.iter().copied().collect();
        IndexedRecordIo {
            reader,
            entries,
            by_key,
        }
    }

    /// Number of indexed records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the index is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys in index order.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.entries.iter().map(|(k, _)| *k)
    }

    /// The record of `key`.
    pub fn get(&self, key: u64) -> Result<RecordIoRecord> {
        let off = *self.by_key.get(&key).ok_or(Error::KeyNotFound(key))?;
        Ok(self.reader.read_at(off)?.0)
    }

    /// The payload of `key`.
    pub fn payload(&self, key: u64) -> Result<Bytes> {
        Ok(self.get(key)?.payload)
    }
}
