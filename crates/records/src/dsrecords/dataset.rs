//! Reading a DSRecords dataset: one `Bytes` per file, zero-copy records,
//! every index bounds-checked, safe to share across threads.

use std::ops::Range;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use rayon::prelude::*;
use vellum_format_core::{Backend, Limits, open_bytes};

use super::layout::{FieldEnds, IndexWords, RESERVED_HEADER, index_path_for, locate};
use super::writer::{DatasetWriter, WriteOptions};
use crate::{Error, Result, Schema, Value};

/// How to open a dataset.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Read the files into memory (default) or map them (opt-in; see
    /// [`Backend::Mmap`] for the risk).
    pub backend: Backend,
    /// Size limits for the read backend.
    pub limits: Limits,
    /// The index path, when it is not the data path with `.idx`.
    pub index_path: Option<PathBuf>,
}

impl OpenOptions {
    /// Default options with the given backend.
    pub fn with_backend(backend: Backend) -> OpenOptions {
        OpenOptions {
            backend,
            ..OpenOptions::default()
        }
    }
}

/// A DSRecords dataset opened for reading: `IndexedRecordDataset` without
/// its open-per-access cost or its index quirks.
///
/// The number of fields per record is not stored in the files, so it is
/// given when opening (as dsrecords takes it from its loaders). The dataset
/// is a snapshot of both files; cloning it is cheap and it is `Send + Sync`,
/// so many threads can read it at once.
///
/// ```
/// use vellum_records::{Dataset, write_all};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("d.rec");
/// write_all(&path, [[&b"a"[..], b"xy"], [b"b", b""]])?;
/// let ds = Dataset::open(&path, 2)?;
/// assert_eq!(ds.len(), 2);
/// assert_eq!(ds.get(0)?.field(1), Some(&b"xy"[..]));
/// assert_eq!(&ds.get_field(1, 0)?[..], b"b");
/// assert!(ds.get(2).is_err()); // no stale-tail reads
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dataset {
    data: Bytes,
    index: Bytes,
    count: usize,
    fields: usize,
    data_path: Option<PathBuf>,
}

impl Dataset {
    /// Opens `path` and the `.idx` beside it, with records of `fields`
    /// fields, reading both files into memory.
    pub fn open(path: impl AsRef<Path>, fields: usize) -> Result<Dataset> {
        Dataset::open_with(path, fields, &OpenOptions::default())
    }

    /// Opens with explicit options.
    pub fn open_with(path: impl AsRef<Path>, fields: usize, opts: &OpenOptions) -> Result<Dataset> {
        let path = path.as_ref();
        let index_path = opts
            .index_path
            .clone()
            .unwrap_or_else(|| index_path_for(path));
        let index = open_bytes(&index_path, Backend::Read, &opts.limits)
            .map_err(|e| Error::from(e).in_file(&index_path))?;
        let data = crate::open_data(path, opts.backend, &opts.limits)
            .map_err(|e| Error::from(e).in_file(path))?;
        let mut ds = Dataset::from_bytes(data, index, fields).map_err(|e| match e {
            e @ Error::IndexTruncated { .. } => e.in_file(&index_path),
            e => e.in_file(path),
        })?;
        ds.data_path = Some(path.to_path_buf());
        Ok(ds)
    }

    /// A dataset over the bytes of a `.rec` and its `.idx`.
    pub fn from_bytes(data: Bytes, index: Bytes, fields: usize) -> Result<Dataset> {
        let count = IndexWords::new(&index).checked_count()?;
        if (data.len() as u64) < RESERVED_HEADER {
            return Err(Error::Bytes(vellum_format_core::Error::Truncated {
                field: "reserved header",
                offset: 0,
                needed: RESERVED_HEADER,
                available: data.len() as u64,
            }));
        }
        Ok(Dataset {
            data,
            index,
            count,
            fields,
            data_path: None,
        })
    }

    /// Number of live records (the `.idx` count).
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Fields per record.
    pub fn num_fields(&self) -> usize {
        self.fields
    }

    /// The data file's bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The index file's bytes.
    pub fn index_bytes(&self) -> &Bytes {
        &self.index
    }

    /// The data file path, when opened from a file.
    pub fn path(&self) -> Option<&Path> {
        self.data_path.as_deref()
    }

    fn check(&self, i: usize) -> Result<()> {
        if i >= self.count {
            return Err(Error::IndexOutOfRange {
                index: i as u64,
                count: self.count as u64,
            });
        }
        Ok(())
    }

    /// The offset of record `i` in the data file.
    pub fn offset(&self, i: usize) -> Result<u64> {
        self.check(i)?;
        // `checked_count` proved that every slot below the count exists.
        IndexWords::new(&self.index)
            .word(i + 1)
            .ok_or(Error::IndexOutOfRange {
                index: i as u64,
                count: self.count as u64,
            })
    }

    /// The offsets of every live record, in index order.
    pub fn offsets(&self) -> Vec<u64> {
        let w = IndexWords::new(&self.index);
        (1..=self.count).filter_map(|i| w.word(i)).collect()
    }

    /// The slots after the count (left by removals; never read as records).
    pub fn stale_tail(&self) -> Vec<u64> {
        let w = IndexWords::new(&self.index);
        (self.count + 1..w.words())
            .filter_map(|i| w.word(i))
            .collect()
    }

    /// Record `i` (zero-copy).
    pub fn get(&self, i: usize) -> Result<Record> {
        let offset = self.offset(i)?;
        let span = locate(&self.data, i as u64, offset, self.fields)?;
        Ok(Record {
            index: i as u64,
            offset,
            body: self.data.slice(span.body_start..span.end),
            ends: span.ends,
        })
    }

    /// Field `j` of record `i` (zero-copy), like `ds[i, j]`.
    pub fn get_field(&self, i: usize, j: usize) -> Result<Bytes> {
        if j >= self.fields {
            return Err(Error::FieldOutOfRange {
                field: j,
                fields: self.fields,
            });
        }
        let r = self.get(i)?;
        Ok(r.field_bytes(j).unwrap_or_default())
    }

    /// Record `i` decoded with `schema`.
    pub fn get_values(&self, i: usize, schema: &Schema) -> Result<Vec<Value>> {
        self.get(i)?.decode(schema)
    }

    /// Every record in index order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Result<Record>> + '_ {
        (0..self.count).map(move |i| self.get(i))
    }

    /// The records of `range`, which must lie within the dataset.
    pub fn range(
        &self,
        range: Range<usize>,
    ) -> Result<impl ExactSizeIterator<Item = Result<Record>> + '_> {
        if range.end > self.count || range.start > range.end {
            return Err(Error::IndexOutOfRange {
                index: range.end as u64,
                count: self.count as u64,
            });
        }
        Ok(range.map(move |i| self.get(i)))
    }

    /// Copies the live records, in index order, into a new dataset at
    /// `output` (dsrecords' `defrag`): dead bytes and the stale index tail
    /// are left behind. Returns the new data and index paths.
    pub fn defrag(
        &self,
        output: impl AsRef<Path>,
        opts: WriteOptions,
    ) -> Result<(PathBuf, PathBuf)> {
        let mut w = DatasetWriter::create(output, opts)?;
        for r in self.iter() {
            let r = r?;
            w.append(&r.fields().collect::<Vec<_>>())?;
        }
        w.finish()
    }

    /// Every record, in parallel (rayon), in index order when collected.
    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = Result<Record>> + '_ {
        (0..self.count).into_par_iter().map(move |i| self.get(i))
    }
}

/// One record: its fields as zero-copy slices of the data file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    index: u64,
    offset: u64,
    body: Bytes,
    ends: FieldEnds,
}

impl Record {
    /// The record's index in the dataset.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Its offset in the data file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True for a record of no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Size on disk: `8·N + Σ lengths`.
    pub fn size(&self) -> u64 {
        8 * self.ends.len() as u64 + self.body.len() as u64
    }

    fn range(&self, j: usize) -> Option<Range<usize>> {
        let end = *self.ends.get(j)?;
        let start = if j == 0 { 0 } else { *self.ends.get(j - 1)? };
        Some(start..end)
    }

    /// Field `j`.
    pub fn field(&self, j: usize) -> Option<&[u8]> {
        self.body.get(self.range(j)?)
    }

    /// Field `j` as an owned zero-copy [`Bytes`].
    pub fn field_bytes(&self, j: usize) -> Option<Bytes> {
        Some(self.body.slice(self.range(j)?))
    }

    /// The fields in order.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.ends.len()).map(move |j| self.field(j).unwrap_or_default())
    }

    /// The per-field lengths, as in the length headers.
    pub fn lengths(&self) -> Vec<u64> {
        (0..self.ends.len())
            .map(|j| self.range(j).map_or(0, |r| r.len() as u64))
            .collect()
    }

    /// The record decoded with `schema` (which must have one codec per
    /// field); errors name the record, field and offset.
    pub fn decode(&self, schema: &Schema) -> Result<Vec<Value>> {
        if schema.len() != self.len() {
            return Err(Error::BadRecord {
                index: self.index,
                offset: self.offset,
                reason: format!(
                    "the schema has {} fields, the record {}",
                    schema.len(),
                    self.len()
                ),
            });
        }
        schema
            .fields
            .iter()
            .enumerate()
            .map(|(j, codec)| {
                let b = self.field_bytes(j).unwrap_or_default();
                codec.decode(&b).map_err(|e| Error::BadRecord {
                    index: self.index,
                    offset: self.offset,
                    reason: format!("field {j}: {e}"),
                })
            })
            .collect()
    }
}
