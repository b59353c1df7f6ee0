//! Writing DSRecords datasets: bulk writes, appends, updates and removals
//! that leave files byte-identical to dsrecords' own, in a crash-safe order
//! (spec: dsrecords.md §3.2, §3.4, §3.6).
//!
//! Every change writes data first, then index slots, then the count word:
//! a process killed at any point leaves a dataset whose count only covers
//! complete records (unreferenced bytes at the end are harmless and
//! `recover` trims them).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::layout::{IndexWords, RESERVED_HEADER, index_path_for, pack_record};
use super::sums::{ChecksumKind, SumWriter};
use crate::{Error, Result, Schema, Value};

/// How hard a commit works to make data durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Committed data survives the writing process being killed (it is in
    /// the page cache) but not a power loss or kernel crash.
    #[default]
    Process,
    /// Every commit fsyncs the data before the index and the index before
    /// returning: committed records survive power loss too.
    Fsync,
}

/// Options of a [`DatasetWriter`].
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// See [`Durability`].
    pub durability: Durability,
    /// Keep per-record checksums in a sidecar (`<data>.vsum`).
    pub checksums: Option<ChecksumKind>,
    /// The index path, when it is not the data path with `.idx`.
    pub index_path: Option<PathBuf>,
    /// Commit automatically after this many appended records (0: only on
    /// [`DatasetWriter::commit`] and [`DatasetWriter::finish`]).
    pub commit_every: usize,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            durability: Durability::Process,
            checksums: None,
            index_path: None,
            commit_every: 65_536,
        }
    }
}

/// Which path an update took (dsrecords' three cases, §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdatePath {
    /// The old record ended the file: it was cut off and the new one written
    /// at the same offset.
    TruncateLast,
    /// The new record fit: written over the old one (its tail stays as dead
    /// bytes).
    InPlace,
    /// The new record was larger: appended, and the slot repointed.
    Relocated,
}

/// Bytes buffered before they are written to the data file.
const BUFFER: usize = 4 << 20;

/// A DSRecords dataset opened for writing.
///
/// ```
/// use vellum_records::{Dataset, DatasetWriter, WriteOptions};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("d.rec");
/// let mut w = DatasetWriter::create(&path, WriteOptions::default())?;
/// w.append(&[b"one"])?;
/// w.append(&[b"two"])?;
/// w.commit()?; // durable from here (see Durability)
/// w.remove_swap(0)?;
/// w.finish()?;
/// let ds = Dataset::open(&path, 1)?;
/// assert_eq!(&ds.get_field(0, 0)?[..], b"two");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DatasetWriter {
    data_path: PathBuf,
    index_path: PathBuf,
    rec: File,
    idx: File,
    /// Bytes of the data file that are on disk.
    flushed: u64,
    /// Logical end of the data file, buffered bytes included.
    end: u64,
    count: u64,
    idx_len: u64,
    buf: Vec<u8>,
    pending: Vec<u64>,
    pending_sums: Vec<(u64, u64, Vec<u8>)>,
    sums: Option<SumWriter>,
    opts: WriteOptions,
}

impl DatasetWriter {
    /// Creates an empty dataset at `path` (and its index); neither file may
    /// exist. Like dsrecords, the index is created first.
    pub fn create(path: impl AsRef<Path>, opts: WriteOptions) -> Result<DatasetWriter> {
        let data_path = path.as_ref().to_path_buf();
        let index_path = opts
            .index_path
            .clone()
            .unwrap_or_else(|| index_path_for(&data_path));
        if index_path == data_path {
            return Err(Error::IndexIsData(data_path));
        }
        for p in [&index_path, &data_path] {
            if p.exists() {
                return Err(Error::AlreadyExists(p.clone()));
            }
        }
        let create = |p: &Path, zeros: usize| -> Result<File> {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(p)
                .map_err(|e| Error::io(p, e))?;
            f.write_all(&vec![0u8; zeros])
                .map_err(|e| Error::io(p, e))?;
            Ok(f)
        };
        let idx = create(&index_path, 8)?;
        let rec = create(&data_path, RESERVED_HEADER as usize)?;
        if opts.durability == Durability::Fsync {
            idx.sync_all().map_err(|e| Error::io(&index_path, e))?;
            rec.sync_all().map_err(|e| Error::io(&data_path, e))?;
            vellum_format_core::sync_parent(&data_path);
        }
        let sums = match opts.checksums {
            Some(kind) => Some(SumWriter::open(&data_path, kind)?),
            None => None,
        };
        Ok(DatasetWriter {
            data_path,
            index_path,
            rec,
            idx,
            flushed: RESERVED_HEADER,
            end: RESERVED_HEADER,
            count: 0,
            idx_len: 8,
            buf: Vec::new(),
            pending: Vec::new(),
            pending_sums: Vec::new(),
            sums,
            opts,
        })
    }

    /// Opens an existing dataset to append to or change it. The index must
    /// hold every slot its count claims (run `recover` on a damaged one).
    pub fn open(path: impl AsRef<Path>, opts: WriteOptions) -> Result<DatasetWriter> {
        let data_path = path.as_ref().to_path_buf();
        let index_path = opts
            .index_path
            .clone()
            .unwrap_or_else(|| index_path_for(&data_path));
        if index_path == data_path {
            return Err(Error::IndexIsData(data_path));
        }
        let open = |p: &Path| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(p)
                .map_err(|e| Error::io(p, e))
        };
        let mut idx = open(&index_path)?;
        let rec = open(&data_path)?;
        let idx_len = idx.metadata().map_err(|e| Error::io(&index_path, e))?.len();
        let end = rec.metadata().map_err(|e| Error::io(&data_path, e))?.len();
        let mut head = [0u8; 8];
        let got = read_at(&mut idx, 0, &mut head).map_err(|e| Error::io(&index_path, e))?;
        let words = head.get(..got).unwrap_or(&[]);
        let count = if idx_len < 8 {
            return Err(Error::IndexTruncated {
                count: 0,
                needed: 8,
                len: idx_len,
            }
            .in_file(&index_path));
        } else {
            IndexWords::new(words).count().unwrap_or(0)
        };
        let needed = count.checked_add(1).and_then(|w| w.checked_mul(8));
        if needed.is_none_or(|n| n > idx_len) {
            return Err(Error::IndexTruncated {
                count,
                needed: needed.unwrap_or(u64::MAX),
                len: idx_len,
            }
            .in_file(&index_path));
        }
        if end < RESERVED_HEADER {
            return Err(Error::Bytes(vellum_format_core::Error::Truncated {
                field: "reserved header",
                offset: 0,
                needed: RESERVED_HEADER,
                available: end,
            })
            .in_file(&data_path));
        }
        let sums = match opts.checksums {
            Some(kind) => Some(SumWriter::open(&data_path, kind)?),
            None => None,
        };
        Ok(DatasetWriter {
            data_path,
            index_path,
            rec,
            idx,
            flushed: end,
            end,
            count,
            idx_len,
            buf: Vec::new(),
            pending: Vec::new(),
            pending_sums: Vec::new(),
            sums,
            opts,
        })
    }

    /// Committed plus pending records.
    pub fn len(&self) -> u64 {
        self.count + self.pending.len() as u64
    }

    /// True when there are no records at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records made durable by the last commit.
    pub fn committed(&self) -> u64 {
        self.count
    }

    /// The data file path.
    pub fn data_path(&self) -> &Path {
        &self.data_path
    }

    /// The index file path.
    pub fn index_path(&self) -> &Path {
        &self.index_path
    }

    /// Appends a record of raw fields; returns its index. The record is
    /// buffered until the next commit.
    pub fn append<F: AsRef<[u8]>>(&mut self, fields: &[F]) -> Result<u64> {
        let offset = self.end;
        let start = self.buf.len();
        pack_record(fields, &mut self.buf);
        let size = (self.buf.len() - start) as u64;
        if let Some(s) = &self.sums {
            let sum = s.kind.digest(self.buf.get(start..).unwrap_or(&[]));
            self.pending_sums.push((offset, size, sum));
        }
        self.end += size;
        self.pending.push(offset);
        let index = self.len() - 1;
        if self.buf.len() >= BUFFER {
            self.flush_data()?;
        }
        if self.opts.commit_every > 0 && self.pending.len() >= self.opts.commit_every {
            self.commit()?;
        }
        Ok(index)
    }

    /// Appends a record of typed values encoded with `schema`.
    pub fn append_values(&mut self, schema: &Schema, values: &[Value]) -> Result<u64> {
        let fields = schema.encode(values)?;
        self.append(&fields)
    }

    fn flush_data(&mut self) -> Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let io = |e| Error::io(&self.data_path, e);
        self.rec.seek(SeekFrom::Start(self.flushed)).map_err(io)?;
        self.rec.write_all(&self.buf).map_err(io)?;
        self.flushed += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn sync_data(&mut self) -> Result<()> {
        if self.opts.durability == Durability::Fsync {
            self.rec
                .sync_data()
                .map_err(|e| Error::io(&self.data_path, e))?;
            if let Some(s) = &self.sums {
                s.sync()?;
            }
        }
        Ok(())
    }

    fn sync_index(&mut self) -> Result<()> {
        if self.opts.durability == Durability::Fsync {
            self.idx
                .sync_data()
                .map_err(|e| Error::io(&self.index_path, e))?;
        }
        Ok(())
    }

    fn write_index(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        let io = |e| Error::io(&self.index_path, e);
        self.idx.seek(SeekFrom::Start(at)).map_err(io)?;
        self.idx.write_all(bytes).map_err(io)?;
        self.idx_len = self.idx_len.max(at + bytes.len() as u64);
        Ok(())
    }

    fn write_count(&mut self, count: u64) -> Result<()> {
        self.write_index(0, &count.to_le_bytes())?;
        self.count = count;
        Ok(())
    }

    /// Makes every appended record durable: data, then checksums, then the
    /// index slots, then the count.
    pub fn commit(&mut self) -> Result<()> {
        if self.pending.is_empty() && self.buf.is_empty() {
            return Ok(());
        }
        self.flush_data()?;
        if let Some(s) = &mut self.sums {
            s.append(&self.pending_sums)?;
            self.pending_sums.clear();
        }
        self.sync_data()?;
        if self.count == 0 && self.idx_len > 8 {
            // dsrecords truncates the index when appending to an empty
            // dataset; do the same so the bytes match.
            self.idx
                .set_len(8)
                .map_err(|e| Error::io(&self.index_path, e))?;
            self.idx_len = 8;
        }
        // New slots go right after the live ones (not after a stale tail:
        // the reference's append-after-remove bug, §3.4).
        let slots: Vec<u8> = self.pending.iter().flat_map(|o| o.to_le_bytes()).collect();
        self.write_index(8 * (self.count + 1), &slots)?;
        self.sync_index()?;
        let count = self.count + self.pending.len() as u64;
        self.write_count(count)?;
        self.sync_index()?;
        self.pending.clear();
        Ok(())
    }

    /// Commits and closes; returns the data and index paths.
    pub fn finish(mut self) -> Result<(PathBuf, PathBuf)> {
        self.commit()?;
        Ok((self.data_path.clone(), self.index_path.clone()))
    }

    fn slot(&mut self, i: u64) -> Result<u64> {
        if i >= self.count {
            return Err(Error::IndexOutOfRange {
                index: i,
                count: self.count,
            });
        }
        let mut b = [0u8; 8];
        let n = read_at(&mut self.idx, 8 * (i + 1), &mut b)
            .map_err(|e| Error::io(&self.index_path, e))?;
        if n != 8 {
            return Err(Error::IndexTruncated {
                count: self.count,
                needed: 8 * (i + 2),
                len: self.idx_len,
            }
            .in_file(&self.index_path));
        }
        Ok(u64::from_le_bytes(b))
    }

    /// Replaces record `i` as dsrecords' `ds[i] = items` does, taking the
    /// same one of its three paths (so the bytes match).
    pub fn update<F: AsRef<[u8]>>(&mut self, i: u64, fields: &[F]) -> Result<UpdatePath> {
        self.commit()?;
        let offset = self.slot(i)?;
        let n = fields.len();
        // The old record's size, from its length headers.
        let mut headers = vec![0u8; 8 * n];
        let got = read_at(&mut self.rec, offset, &mut headers)
            .map_err(|e| Error::io(&self.data_path, e))?;
        if got != headers.len() || offset < RESERVED_HEADER {
            return Err(Error::BadRecord {
                index: i,
                offset,
                reason: "the record to update is not complete".into(),
            }
            .in_file(&self.data_path));
        }
        let old = headers
            .chunks_exact(8)
            .try_fold(8 * n as u64, |acc, c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                acc.checked_add(u64::from_le_bytes(a))
            })
            .ok_or_else(|| Error::BadRecord {
                index: i,
                offset,
                reason: "field lengths overflow".into(),
            })?;
        let mut new = Vec::new();
        pack_record(fields, &mut new);
        let io = |e| Error::io(&self.data_path, e);
        let path = if offset.saturating_add(old) >= self.end {
            self.rec.set_len(offset).map_err(io)?;
            self.rec.seek(SeekFrom::Start(offset)).map_err(io)?;
            self.rec.write_all(&new).map_err(io)?;
            self.end = offset + new.len() as u64;
            self.flushed = self.end;
            UpdatePath::TruncateLast
        } else if new.len() as u64 <= old {
            self.rec.seek(SeekFrom::Start(offset)).map_err(io)?;
            self.rec.write_all(&new).map_err(io)?;
            UpdatePath::InPlace
        } else {
            let at = self.end;
            self.rec.seek(SeekFrom::Start(at)).map_err(io)?;
            self.rec.write_all(&new).map_err(io)?;
            self.end += new.len() as u64;
            self.flushed = self.end;
            UpdatePath::Relocated
        };
        let at = if path == UpdatePath::Relocated {
            self.end - new.len() as u64
        } else {
            offset
        };
        if let Some(s) = &mut self.sums {
            let sum = s.kind.digest(&new);
            s.append(&[(at, new.len() as u64, sum)])?;
        }
        self.sync_data()?;
        if path == UpdatePath::Relocated {
            self.write_index(8 * (i + 1), &at.to_le_bytes())?;
            self.sync_index()?;
        }
        Ok(path)
    }

    /// Replaces record `i` with typed values.
    pub fn update_values(
        &mut self,
        i: u64,
        schema: &Schema,
        values: &[Value],
    ) -> Result<UpdatePath> {
        let fields = schema.encode(values)?;
        self.update(i, &fields)
    }

    /// Removes record `i` in O(1) by moving the last record into its slot
    /// (dsrecords' `quick_remove_at`, "backswap"): record order changes. The
    /// bytes match the reference's.
    pub fn remove_swap(&mut self, i: u64) -> Result<()> {
        self.commit()?;
        let last = self
            .count
            .checked_sub(1)
            .ok_or(Error::IndexOutOfRange { index: i, count: 0 })?;
        if i > last {
            return Err(Error::IndexOutOfRange {
                index: i,
                count: self.count,
            });
        }
        if i == last {
            // Count first, then clear the slot: a crash in between leaves a
            // stale (not cleared) slot outside the count, never inside.
            self.write_count(last)?;
            self.sync_index()?;
            self.write_index(8 * (last + 1), &0u64.to_le_bytes())?;
        } else {
            let moved = self.slot(last)?;
            self.write_index(8 * (i + 1), &moved.to_le_bytes())?;
            self.sync_index()?;
            self.write_count(last)?;
        }
        self.sync_index()
    }

    /// Removes record `i` keeping the order of the others (O(n) in the
    /// index): later slots shift down by one. Python reads the result.
    pub fn remove(&mut self, i: u64) -> Result<()> {
        self.commit()?;
        if i >= self.count {
            return Err(Error::IndexOutOfRange {
                index: i,
                count: self.count,
            });
        }
        let last = self.count - 1;
        let mut later = vec![0u8; (8 * (last - i)) as usize];
        let n = read_at(&mut self.idx, 8 * (i + 2), &mut later)
            .map_err(|e| Error::io(&self.index_path, e))?;
        if n != later.len() {
            return Err(Error::IndexTruncated {
                count: self.count,
                needed: 8 * (self.count + 1),
                len: self.idx_len,
            });
        }
        self.write_index(8 * (i + 1), &later)?;
        self.sync_index()?;
        self.write_count(last)?;
        self.sync_index()?;
        self.write_index(8 * (last + 1), &0u64.to_le_bytes())?;
        self.sync_index()
    }

    /// Rewrites the index without its stale tail (record order kept),
    /// atomically.
    pub fn compact_index(&mut self) -> Result<()> {
        self.commit()?;
        let mut words = vec![0u8; (8 * (self.count + 1)) as usize];
        let n =
            read_at(&mut self.idx, 0, &mut words).map_err(|e| Error::io(&self.index_path, e))?;
        if n != words.len() {
            return Err(Error::IndexTruncated {
                count: self.count,
                needed: words.len() as u64,
                len: self.idx_len,
            });
        }
        vellum_format_core::write_atomic(&self.index_path, &words)?;
        self.idx = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.index_path)
            .map_err(|e| Error::io(&self.index_path, e))?;
        self.idx_len = words.len() as u64;
        Ok(())
    }
}

impl Drop for DatasetWriter {
    /// Commits what was appended, like a `BufWriter` flushes; errors are
    /// lost, so call [`DatasetWriter::finish`] to see them.
    fn drop(&mut self) {
        let _ = self.commit();
    }
}

/// Reads up to `buf.len()` bytes at `at`; returns how many were read.
fn read_at(f: &mut File, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    f.seek(SeekFrom::Start(at))?;
    let mut got = 0;
    while got < buf.len() {
        match f.read(buf.get_mut(got..).unwrap_or(&mut [])) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Writes a new dataset of `records` (each a list of raw fields), like
/// dsrecords' `make_dataset`; returns the data and index paths. The files
/// must not exist.
pub fn write_all<R, F>(path: impl AsRef<Path>, records: R) -> Result<(PathBuf, PathBuf)>
where
    R: IntoIterator,
    R::Item: AsRef<[F]>,
    F: AsRef<[u8]>,
{
    write_all_with(path, records, WriteOptions::default())
}

/// [`write_all`] with options.
pub fn write_all_with<R, F>(
    path: impl AsRef<Path>,
    records: R,
    opts: WriteOptions,
) -> Result<(PathBuf, PathBuf)>
where
    R: IntoIterator,
    R::Item: AsRef<[F]>,
    F: AsRef<[u8]>,
{
    let mut w = DatasetWriter::create(path, opts)?;
    for r in records {
        w.append(r.as_ref())?;
    }
    w.finish()
}
