//! [`RabReader`]: header-only open, then payloads and elements on demand.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bytes::Bytes;
use vellum_format_core::{Backend, Digest, Limits, Number, checked_range};

use super::array::{Array, linear_index};
use super::dataframe::DataFrame;
use crate::header::{self, Compression, DatasetInfo, DatasetKind, PREFIX_LEN};
use crate::yaml::load;
use crate::{Error, Result, Value};

/// Bytes read at open before the header length is known: the prefix and
/// a header of up to about 4 KiB (a few datasets) in one read, while
/// copying little more than a small header needs.
const FIRST_READ: u64 = 4096;

/// How to open a RAB file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Size caps for the header, payload reads and decompression.
    pub limits: Limits,
    /// [`Backend::Read`] (default) reads only the header at open and every
    /// payload on demand; [`Backend::Mmap`] maps the whole file.
    pub backend: Backend,
}

#[derive(Debug)]
enum Source {
    /// An open file read with positioned reads; nothing but the header has
    /// been read.
    File(File),
    /// The whole file in memory (read or mapped).
    Memory(Bytes),
}

/// A RAB file opened for reading.
///
/// `open` reads the 7-byte prefix and the header only, parses the index the
/// way upstream's PyYAML loader does, and validates every dataset's payload
/// range against the file (and shape × item size against the byte length of
/// uncompressed arrays) before anything is handed out. Payloads and single
/// elements are then read on demand with positioned reads; the reader is
/// `Send + Sync` and holds no cursor.
#[derive(Debug)]
pub struct RabReader {
    path: Option<PathBuf>,
    source: Source,
    file_len: u64,
    header_len: u64,
    datasets: Vec<DatasetInfo>,
    index: HashMap<String, usize>,
    limits: Limits,
    /// Decompressed payloads kept for element access on compressed arrays.
    inflated: Vec<OnceLock<Bytes>>,
}

impl RabReader {
    /// Opens `path` reading only its header.
    pub fn open(path: impl AsRef<Path>) -> Result<RabReader> {
        RabReader::open_with(path, ReadOptions::default())
    }

    /// Opens `path` with explicit limits and backend.
    pub fn open_with(path: impl AsRef<Path>, options: ReadOptions) -> Result<RabReader> {
        let path = path.as_ref();
        let inner = || -> Result<RabReader> {
            if options.backend == Backend::Mmap {
                let bytes = vellum_format_core::open_bytes(path, Backend::Mmap, &options.limits)?;
                return RabReader::from_bytes_with(bytes, options.limits);
            }
            let mut file = File::open(path).map_err(|e| vellum_format_core::Error::io(path, e))?;
            let io_err = |e| vellum_format_core::Error::io(path, e);
            // The length by seeking to the end: cheaper than a stat, and
            // right for block devices too. Reads below are positioned.
            let file_len = file.seek(SeekFrom::End(0)).map_err(io_err)?;
            // One read of a first guess brings the prefix and, for most
            // files, the whole header: open is one open, one seek and one
            // pread.
            let first = file_len.min(FIRST_READ) as usize;
            let mut buf = vec![0u8; first];
            read_exact_at(&file, &mut buf, 0).map_err(io_err)?;
            let prefix = buf.get(..PREFIX_LEN as usize).unwrap_or(&buf);
            let header_len = header::header_len(prefix, &options.limits)?;
            let end = PREFIX_LEN + header_len;
            if end > file_len {
                return Err(vellum_format_core::Error::Truncated {
                    field: "header",
                    offset: PREFIX_LEN,
                    needed: header_len,
                    available: file_len.saturating_sub(PREFIX_LEN),
                }
                .into());
            }
            // `end` is within the file and the header within its limit.
            let end = end as usize;
            if end > buf.len() {
                let have = buf.len();
                buf.resize(end, 0);
                let rest = buf.get_mut(have..).unwrap_or_default();
                read_exact_at(&file, rest, have as u64).map_err(io_err)?;
            }
            let text = buf.get(PREFIX_LEN as usize..end).unwrap_or_default();
            RabReader::build(
                Source::File(file),
                file_len,
                header_len,
                text,
                options.limits,
            )
        };
        let mut r = inner().map_err(|e| e.in_file(path))?;
        r.path = Some(path.to_path_buf());
        Ok(r)
    }

    /// Reads a RAB file held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Result<RabReader> {
        RabReader::from_bytes_with(bytes.into(), Limits::default())
    }

    /// Reads a RAB file held in memory, with explicit limits.
    pub fn from_bytes_with(bytes: Bytes, limits: Limits) -> Result<RabReader> {
        let prefix = bytes.get(..PREFIX_LEN as usize).unwrap_or(&bytes);
        let header_len = header::header_len(prefix, &limits)?;
        let range = checked_range(
            PREFIX_LEN,
            header_len,
            bytes.len() as u64,
            "header",
            PREFIX_LEN,
        )?;
        // A shared slice of the same buffer, not a copy.
        let text = if range.end <= bytes.len() {
            bytes.slice(range)
        } else {
            Bytes::new()
        };
        let len = bytes.len() as u64;
        RabReader::build(Source::Memory(bytes), len, header_len, &text, limits)
    }

    fn build(
        source: Source,
        file_len: u64,
        header_len: u64,
        text: &[u8],
        limits: Limits,
    ) -> Result<RabReader> {
        let datasets = header::parse(text)?;
        // The callers checked 7 + H <= file length; stay checked anyway.
        let data_len = file_len.checked_sub(PREFIX_LEN + header_len).ok_or(
            vellum_format_core::Error::Truncated {
                field: "header",
                offset: PREFIX_LEN,
                needed: header_len,
                available: file_len.saturating_sub(PREFIX_LEN),
            },
        )?;
        for d in &datasets {
            validate(d, data_len)?;
        }
        let mut index = HashMap::with_capacity(datasets.len());
        for (i, d) in datasets.iter().enumerate() {
            // Upstream's lookup is a linear scan: the first of equal names wins.
            index.entry(d.name.clone()).or_insert(i);
        }
        let inflated = datasets.iter().map(|_| OnceLock::new()).collect();
        Ok(RabReader {
            path: None,
            source,
            file_len,
            header_len,
            datasets,
            index,
            limits,
            inflated,
        })
    }

    /// Every dataset, in file order.
    pub fn datasets(&self) -> &[DatasetInfo] {
        &self.datasets
    }

    /// Dataset names, in file order (upstream's `listDatasets`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.datasets.iter().map(DatasetInfo::name)
    }

    /// True when a dataset has this name.
    pub fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The dataset named `name`.
    pub fn dataset(&self, name: &str) -> Result<&DatasetInfo> {
        self.index
            .get(name)
            .and_then(|&i| self.datasets.get(i))
            .ok_or_else(|| Error::NoSuchDataset(name.to_owned()))
    }

    /// The header length `H` (the data section starts at `7 + H`).
    pub fn header_len(&self) -> u64 {
        self.header_len
    }

    /// The file's size in bytes.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Σ byteLength of every dataset (upstream's `getTotalByteSize`).
    pub fn total_byte_size(&self) -> u64 {
        self.datasets
            .iter()
            .map(|d| d.byte_length)
            .fold(0, u64::saturating_add)
    }

    fn data_start(&self) -> u64 {
        PREFIX_LEN + self.header_len
    }

    fn position(&self, name: &str) -> Result<usize> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| Error::NoSuchDataset(name.to_owned()))
    }

    fn in_file(&self, e: Error) -> Error {
        match &self.path {
            Some(p) => e.in_file(p),
            None => e,
        }
    }

    /// Reads `len` bytes at absolute file offset `at` (already validated).
    fn read_at(&self, at: u64, len: u64) -> Result<Bytes> {
        match &self.source {
            Source::Memory(b) => {
                let r = checked_range(at, len, b.len() as u64, "payload", at)?;
                Ok(b.slice(r))
            }
            Source::File(file) => {
                let n = self.limits.check_alloc("payload", len)?;
                read_owned(file, n, at).map_err(|e| {
                    vellum_format_core::Error::io(self.path.clone().unwrap_or_default(), e).into()
                })
            }
        }
    }

    /// The payload bytes exactly as stored (compressed if compressed).
    pub fn stored(&self, name: &str) -> Result<Bytes> {
        let d = self.dataset(name)?;
        self.read_at(self.data_start() + d.byte_offset, d.byte_length)
            .map_err(|e| self.in_file(e))
    }

    /// Bytes `[offset, offset + len)` of the *stored* payload (upstream's
    /// `digInBuffer`; compressed bytes for a compressed dataset).
    pub fn stored_range(&self, name: &str, offset: u64, len: u64) -> Result<Bytes> {
        let d = self.dataset(name)?;
        checked_range(offset, len, d.byte_length, "byte range", 0)
            .map_err(|e| self.in_file(e.into()))?;
        self.read_at(self.data_start() + d.byte_offset + offset, len)
            .map_err(|e| self.in_file(e))
    }

    /// The payload, decompressed when compressed: what `extract` writes.
    pub fn payload(&self, name: &str) -> Result<Bytes> {
        let i = self.position(name)?;
        self.payload_at(i).map_err(|e| self.in_file(e))
    }

    fn payload_at(&self, i: usize) -> Result<Bytes> {
        let d = self
            .datasets
            .get(i)
            .ok_or_else(|| Error::NoSuchDataset(String::new()))?;
        if let Some(cached) = self.inflated.get(i).and_then(OnceLock::get) {
            return Ok(cached.clone());
        }
        let stored = self.read_at(self.data_start() + d.byte_offset, d.byte_length)?;
        let Some(codec) = d.compression.codec() else {
            return Ok(stored);
        };
        // Arrays know their decoded size exactly; other payloads are capped
        // by the allocation limit.
        let max = d
            .array_bytes()
            .unwrap_or(self.limits.max_alloc)
            .min(self.limits.max_alloc);
        let decoded = codec.decompress(&stored, max)?;
        if let Some(want) = d.array_bytes()
            && decoded.len() as u64 != want
        {
            return Err(Error::SizeMismatch {
                dataset: d.name.clone(),
                shape: d.shape.clone(),
                dtype: d.dtype().map(|t| t.descr()).unwrap_or_default(),
                expected: want,
                found: decoded.len() as u64,
            });
        }
        Ok(Bytes::from(decoded))
    }

    fn payload_cached(&self, i: usize) -> Result<Bytes> {
        if let Some(b) = self.inflated.get(i).and_then(OnceLock::get) {
            return Ok(b.clone());
        }
        let b = self.payload_at(i)?;
        if let Some(slot) = self.inflated.get(i) {
            let _ = slot.set(b.clone());
        }
        Ok(b)
    }

    fn expect(
        &self,
        name: &str,
        expected: &'static str,
        ok: impl Fn(&DatasetKind) -> bool,
    ) -> Result<&DatasetInfo> {
        let d = self.dataset(name)?;
        if ok(&d.kind) {
            Ok(d)
        } else {
            Err(Error::WrongType {
                dataset: name.to_owned(),
                expected,
                found: d.type_name().to_owned(),
            })
        }
    }

    /// A text dataset.
    pub fn text(&self, name: &str) -> Result<String> {
        self.expect(name, "text", |k| *k == DatasetKind::Text)?;
        let bytes = self.payload(name)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|e| self.in_file(Error::payload(name, format!("text is not UTF-8: {e}"))))
    }

    /// A bytes dataset (decompressed if compressed).
    pub fn bytes(&self, name: &str) -> Result<Bytes> {
        self.expect(name, "bytes", |k| *k == DatasetKind::Bytes)?;
        self.payload(name)
    }

    /// An object dataset, read as upstream does: YAML (PyYAML typing), then JSON.
    pub fn object(&self, name: &str) -> Result<Value> {
        self.expect(name, "object", |k| *k == DatasetKind::Object)?;
        let bytes = self.payload(name)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| self.in_file(Error::payload(name, format!("object is not UTF-8: {e}"))))?;
        load::parse(text).map_err(|e| {
            self.in_file(Error::payload(
                name,
                format!("object is not YAML or JSON: {e}"),
            ))
        })
    }

    /// A numeric dataset as an [`Array`] (zero-copy on an in-memory or
    /// mapped file when uncompressed).
    pub fn array(&self, name: &str) -> Result<Array> {
        let d = self.expect(name, "a numeric array", |k| {
            matches!(k, DatasetKind::Array(_))
        })?;
        let dtype = d
            .dtype()
            .ok_or_else(|| Error::NoSuchDataset(name.to_owned()))?;
        let shape = usize_shape(d)?;
        let data = self.payload(name)?;
        Array::new(dtype, &shape, d.layout, data).map_err(|e| self.in_file(named(e, name)))
    }

    /// A DataFrame dataset.
    pub fn dataframe(&self, name: &str) -> Result<DataFrame> {
        let d = self.expect(name, "dataframe", |k| *k == DatasetKind::DataFrame)?;
        let data = self.payload(name)?;
        DataFrame::decode(d, &data).map_err(|e| self.in_file(e))
    }

    /// One element of a numeric dataset by N-d position, without reading the
    /// rest of an uncompressed dataset (one positioned read of one item).
    ///
    /// The layout comes from `byteOrder` and the shape, never from the
    /// recorded strides, which upstream copies from the input array even
    /// when they do not describe the bytes it wrote (spec §5.1). A compressed
    /// dataset is inflated once (within the limits) and kept for later
    /// lookups.
    pub fn element(&self, name: &str, position: &[u64]) -> Result<Number> {
        let i = self.position(name)?;
        let d = self.expect(name, "a numeric array", |k| {
            matches!(k, DatasetKind::Array(_))
        })?;
        let dtype = d
            .dtype()
            .ok_or_else(|| Error::NoSuchDataset(name.to_owned()))?;
        let index =
            linear_index(&d.shape, d.layout, position).map_err(|reason| Error::BadPosition {
                dataset: name.to_owned(),
                position: position.to_vec(),
                reason,
            })?;
        let item = dtype.item_size() as u64;
        let at = index * item; // < byteLength, validated at open
        if d.compression.is_applied() {
            let data = self.payload_cached(i).map_err(|e| self.in_file(e))?;
            return Ok(dtype.read_number(&data, index as usize)?);
        }
        let abs = self.data_start() + d.byte_offset + at;
        let mut buf = [0u8; 16];
        let slot = buf.get_mut(..item as usize).unwrap_or_default();
        match &self.source {
            Source::Memory(b) => {
                let r = checked_range(abs, item, b.len() as u64, "element", abs)?;
                slot.copy_from_slice(b.get(r).unwrap_or_default());
            }
            Source::File(f) => read_exact_at(f, slot, abs).map_err(|e| {
                self.in_file(
                    vellum_format_core::Error::io(self.path.clone().unwrap_or_default(), e).into(),
                )
            })?,
        }
        Ok(dtype.read_number(slot, 0)?)
    }

    /// Checks every dataset: the stored bytes against the blake3 checksum
    /// when the header has one, and that every payload decodes as its type
    /// says. Returns one problem per failing dataset.
    pub fn verify(&self) -> Vec<(String, Error)> {
        let mut problems = Vec::new();
        for d in &self.datasets {
            let name = d.name();
            let res = (|| -> Result<()> {
                if let Some(want) = d.checksum() {
                    let stored = self.stored(name)?;
                    let got = Digest::of(&stored);
                    if !got.ct_eq(want) {
                        return Err(Error::ChecksumMismatch {
                            dataset: name.to_owned(),
                            expected: want.to_hex(),
                            found: got.to_hex(),
                        });
                    }
                }
                match d.kind() {
                    DatasetKind::Text => self.text(name).map(drop),
                    DatasetKind::Object => self.object(name).map(drop),
                    DatasetKind::Array(_) => self.array(name).map(drop),
                    DatasetKind::DataFrame => self.dataframe(name).map(drop),
                    DatasetKind::Bytes | DatasetKind::Unknown(_) => self.payload(name).map(drop),
                }
            })();
            if let Err(e) = res {
                problems.push((name.to_owned(), e));
            }
        }
        problems
    }
}

fn named(e: Error, name: &str) -> Error {
    match e {
        Error::SizeMismatch {
            shape,
            dtype,
            expected,
            found,
            ..
        } => Error::SizeMismatch {
            dataset: name.to_owned(),
            shape,
            dtype,
            expected,
            found,
        },
        e => e,
    }
}

fn usize_shape(d: &DatasetInfo) -> Result<Vec<usize>> {
    d.shape
        .iter()
        .map(|&x| {
            usize::try_from(x).map_err(|_| Error::shape(d.name(), "shape does not fit in memory"))
        })
        .collect()
}

/// The checks made at open, before any data is handed out.
fn validate(d: &DatasetInfo, data_len: u64) -> Result<()> {
    let end = d.byte_offset.checked_add(d.byte_length);
    if end.is_none_or(|e| e > data_len) {
        return Err(Error::PayloadOutOfBounds {
            dataset: d.name.clone(),
            offset: d.byte_offset,
            end: end.unwrap_or(u64::MAX),
            available: data_len,
        });
    }
    if let DatasetKind::Array(dtype) = d.kind {
        let need = d.array_bytes();
        let stored_raw = !d.compression.is_applied();
        if need.is_none() || (stored_raw && need != Some(d.byte_length)) {
            return Err(Error::SizeMismatch {
                dataset: d.name.clone(),
                shape: d.shape.clone(),
                dtype: dtype.descr(),
                expected: need.unwrap_or(u64::MAX),
                found: d.byte_length,
            });
        }
    }
    if matches!(d.compression, Compression::Zlib | Compression::Zstd) && d.byte_length == 0 {
        return Err(Error::payload(
            &d.name,
            "a compressed payload cannot be empty",
        ));
    }
    Ok(())
}

/// Reads `n` bytes at `at` into fresh memory. Large reads go to a
/// page-aligned anonymous map with transparent huge pages asked for (as
/// numpy does for large arrays): far fewer page faults, and typed views of
/// the result are always aligned.
fn read_owned(file: &File, n: usize, at: u64) -> std::io::Result<Bytes> {
    if let Some(mut map) = super::array::large_buffer(n) {
        read_exact_at(file, &mut map[..], at)?;
        return Ok(Bytes::from_owner(map.make_read_only()?));
    }
    let mut buf = vec![0u8; n];
    read_exact_at(file, &mut buf, at)?;
    Ok(Bytes::from(buf))
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        let n = file.seek_read(buf, offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf = &mut buf[n..];
        offset += n as u64;
    }
    Ok(())
}
