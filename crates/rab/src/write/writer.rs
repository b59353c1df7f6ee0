//! [`RabWriter`]: builds a RAB file that upstream reads, byte-identical to
//! what upstream writes for the same datasets (spec §7, §14).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use vellum_format_core::{ByteOrder, DType, Digest};

use super::output::Output;
use super::payload::{Payload, PayloadSink, Spool, Stored};
use crate::header::{self, Compression, Layout};
use crate::read::array::Array;
use crate::read::dataframe::DataFrame;
use crate::yaml::{emit, json_round_trip};
use crate::{Error, Result, Value};

/// Per-dataset options: metadata and compression.
///
/// ```
/// use vellum_rab::{Compression, DatasetOptions, Value};
/// let opts = DatasetOptions::new()
///     .metadata(Value::map([("unit", Value::from("mV"))]))
///     .compression(Compression::Zlib);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Default)]
pub struct DatasetOptions {
    metadata: Value,
    compression: Compression,
}

impl DatasetOptions {
    /// No metadata (`metadata: null`, as upstream's `addDataset`) and no
    /// compression.
    pub fn new() -> DatasetOptions {
        DatasetOptions::default()
    }
    /// The user metadata: a mapping (or `Value::Null`). It goes through the
    /// same JSON round trip as upstream (non-string keys become strings).
    pub fn metadata(mut self, metadata: Value) -> DatasetOptions {
        self.metadata = metadata;
        self
    }
    /// How to store the payload: [`Compression::Zlib`] is upstream's `gzip`;
    /// [`Compression::Zstd`] is a Vellum extension upstream cannot decode.
    pub fn compression(mut self, compression: Compression) -> DatasetOptions {
        self.compression = compression;
        self
    }
}

#[derive(Debug)]
struct Pending {
    name: String,
    metadata: Value,
    codec_meta: Vec<(Value, Value)>,
    payload: Payload,
    byte_length: u64,
    checksum: Option<Digest>,
}

/// Payloads up to this size are kept in memory until `write` (within the
/// writer's memory budget); larger ones stream to the spool.
const HOLD_MAX: usize = 16 << 20;

/// Default for [`RabWriter::memory_budget`].
const DEFAULT_MEMORY_BUDGET: usize = 64 << 20;

/// Builds a RAB file.
///
/// Each `add_*` call serialises (and compresses) its payload: into memory
/// when it is small (see [`RabWriter::memory_budget`]), otherwise into a
/// private spool file, so payloads larger than memory stream through disk.
/// An uncompressed array is not copied at all, and a file added by path is
/// read only at write time. [`RabWriter::write`] then writes the header
/// (its length is known once every dataset is added) and every payload
/// straight after it into a temporary file beside the target, with large
/// direct writes, and renames it into place, so the target appears
/// complete or not at all. The header is emitted byte for byte as PyYAML
/// does.
///
/// ```
/// use vellum_rab::{Array, DatasetOptions, RabReader, RabWriter, Value};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.rab");
/// let mut w = RabWriter::new();
/// let opts = DatasetOptions::new().metadata(Value::map([("unit", Value::from("mV"))]));
/// w.add_array("a", &Array::from_elements(&[3], &[1i16, 2, 3])?, opts)?;
/// w.write(&path)?;
/// assert_eq!(std::fs::metadata(&path)?.len(), 217); // the spec's worked example
/// let r = RabReader::open(&path)?;
/// assert_eq!(r.element("a", &[2])?, vellum_format_core::Number::Int(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RabWriter {
    entries: Vec<Pending>,
    names: HashSet<String>,
    spool: Option<Spool>,
    checksums: bool,
    no_fsync: bool,
    memory_budget: usize,
    /// Bytes of payloads held in memory (`Payload::Held`).
    held: usize,
}

impl Default for RabWriter {
    fn default() -> RabWriter {
        RabWriter {
            entries: Vec::new(),
            names: HashSet::new(),
            spool: None,
            checksums: false,
            no_fsync: false,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            held: 0,
        }
    }
}

impl RabWriter {
    /// An empty writer.
    pub fn new() -> RabWriter {
        RabWriter::default()
    }

    /// **Vellum extension**: also record a blake3 checksum of every stored
    /// payload in its `codecMeta.blake3`, which `verify` checks. Upstream
    /// readers ignore the key (they read only the keys they know).
    pub fn with_checksums(mut self, on: bool) -> RabWriter {
        self.checksums = on;
        self
    }

    /// Skip the fsync of the written file (it still appears atomically, by
    /// rename, but may not survive a power cut). numpy's `np.save` and
    /// upstream never fsync; the default here does.
    pub fn without_fsync(mut self) -> RabWriter {
        self.no_fsync = true;
        self
    }

    /// How many bytes of small payloads (text, bytes, objects, DataFrames,
    /// compressed data; each up to 16 MiB) the writer may keep in memory
    /// until `write`; beyond it they stream to a private temporary file.
    /// Default 64 MiB. Uncompressed arrays are never copied, whatever it is.
    pub fn memory_budget(mut self, bytes: usize) -> RabWriter {
        self.memory_budget = bytes;
        self
    }

    /// Number of datasets added so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn claim(&mut self, name: &str) -> Result<()> {
        if !self.names.insert(name.to_owned()) {
            return Err(Error::DuplicateName(name.to_owned()));
        }
        Ok(())
    }

    /// Serialises `data` (compressed as asked): into memory while it fits
    /// the budget, into the spool beyond.
    fn store(
        &mut self,
        name: &str,
        mut data: impl Read,
        compression: &Compression,
    ) -> Result<Stored> {
        let io_err = |e: io::Error| Error::from(vellum_format_core::Error::io(name, e));
        let cap = HOLD_MAX.min(self.memory_budget.saturating_sub(self.held));
        let mut sink = PayloadSink::new(&mut self.spool, cap, self.checksums);
        match compression.codec() {
            Some(codec) => {
                let mut enc = codec.encoder(&mut sink, codec.default_level())?;
                io::copy(&mut data, &mut enc).map_err(io_err)?;
                enc.finish()?;
            }
            None => {
                io::copy(&mut data, &mut sink).map_err(io_err)?;
            }
        }
        let stored = sink.finish().map_err(io_err)?;
        if let Payload::Held(b) = &stored.payload {
            self.held += b.len();
        }
        Ok(stored)
    }

    /// Forgets the last entry (a failed add), returning its memory.
    fn pop_entry(&mut self) {
        if let Some(p) = self.entries.pop() {
            if let Payload::Held(b) = &p.payload {
                self.held = self.held.saturating_sub(b.len());
            }
            self.names.remove(&p.name);
        }
    }

    fn metadata(name: &str, metadata: &Value) -> Result<Value> {
        match metadata {
            Value::Null | Value::Map(_) => json_round_trip(metadata)
                .map_err(|e| Error::unwritable(name, format!("metadata: {e}"))),
            other => Err(Error::unwritable(
                name,
                format!("metadata must be a mapping, not {}", other.kind()),
            )),
        }
    }

    fn push(
        &mut self,
        name: &str,
        opts: &DatasetOptions,
        type_name: &str,
        extra: Vec<(&str, Value)>,
        data: impl Read,
    ) -> Result<()> {
        let metadata = Self::metadata(name, &opts.metadata)?;
        self.claim(name)?;
        let stored = match self.store(name, data, &opts.compression) {
            Ok(v) => v,
            Err(e) => {
                self.names.remove(name);
                return Err(e);
            }
        };
        let mut codec_meta: Vec<(Value, Value)> = vec![
            (Value::from("type"), Value::from(type_name)),
            (
                Value::from("compression"),
                opts.compression
                    .header_text()
                    .map_or(Value::Null, Value::from),
            ),
        ];
        codec_meta.extend(extra.into_iter().map(|(k, v)| (Value::from(k), v)));
        self.entries.push(Pending {
            name: name.to_owned(),
            metadata,
            codec_meta,
            payload: stored.payload,
            byte_length: stored.byte_length,
            checksum: stored.checksum,
        });
        Ok(())
    }

    /// Adds a text dataset (UTF-8, no terminator).
    pub fn add_text(&mut self, name: &str, text: &str, opts: DatasetOptions) -> Result<()> {
        self.push(name, &opts, "text", Vec::new(), text.as_bytes())
    }

    /// Adds a bytes dataset from memory.
    pub fn add_bytes(&mut self, name: &str, data: &[u8], opts: DatasetOptions) -> Result<()> {
        self.push(name, &opts, "bytes", Vec::new(), data)
    }

    /// Adds a bytes dataset streamed from `data` (compressed as asked), for
    /// payloads larger than memory.
    pub fn add_bytes_from_reader(
        &mut self,
        name: &str,
        data: impl Read,
        opts: DatasetOptions,
    ) -> Result<()> {
        self.push(name, &opts, "bytes", Vec::new(), data)
    }

    /// Adds an object dataset: a mapping stored as PyYAML would dump it
    /// after upstream's JSON round trip.
    pub fn add_object(&mut self, name: &str, object: &Value, opts: DatasetOptions) -> Result<()> {
        if !matches!(object, Value::Map(_)) {
            return Err(Error::unwritable(
                name,
                format!("an object must be a mapping, not {}", object.kind()),
            ));
        }
        let safe = json_round_trip(object).map_err(|e| Error::unwritable(name, e))?;
        let text = emit::to_yaml(&safe);
        self.push(name, &opts, "object", Vec::new(), text.as_bytes())
    }

    /// Adds a numeric array. Its strides are recorded as what they are for
    /// the stored bytes (C or F), unlike upstream which copies the input
    /// array's strides (spec §5.1).
    pub fn add_array(&mut self, name: &str, array: &Array, opts: DatasetOptions) -> Result<()> {
        let shape: Vec<u64> = array.shape().iter().map(|&d| d as u64).collect();
        let bytes = array.as_bytes().clone();
        if opts.compression.is_applied() {
            return self.add_array_from_reader(
                name,
                array.dtype(),
                &shape,
                array.layout(),
                &bytes[..],
                opts,
            );
        }
        // Uncompressed: keep a reference to the bytes and copy them once, at write.
        let metadata = Self::metadata(name, &opts.metadata)?;
        self.claim(name)?;
        let mut codec_meta = vec![
            (
                Value::from("type"),
                Value::from(array.dtype().scalar.name()),
            ),
            (
                Value::from("compression"),
                opts.compression
                    .header_text()
                    .map_or(Value::Null, Value::from),
            ),
        ];
        codec_meta.extend(
            array_meta(array.dtype(), &shape, array.layout())
                .into_iter()
                .map(|(k, v)| (Value::from(k), v)),
        );
        self.entries.push(Pending {
            name: name.to_owned(),
            metadata,
            codec_meta,
            byte_length: bytes.len() as u64,
            checksum: self.checksums.then(|| Digest::of(&bytes)),
            payload: Payload::Shared(bytes),
        });
        Ok(())
    }

    /// Adds a numeric array whose bytes (dense, in `layout` order and the
    /// dtype's byte order) come from `data`, for arrays larger than memory.
    /// Fails unless `data` yields exactly Π shape × item size bytes.
    pub fn add_array_from_reader(
        &mut self,
        name: &str,
        dtype: DType,
        shape: &[u64],
        layout: Layout,
        data: impl Read,
        opts: DatasetOptions,
    ) -> Result<()> {
        let need = shape
            .iter()
            .try_fold(dtype.item_size() as u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| Error::unwritable(name, "the shape overflows"))?;
        let extra = array_meta(dtype, shape, layout);
        let mut counted = CountingReader { inner: data, n: 0 };
        self.push(name, &opts, dtype.scalar.name(), extra, &mut counted)?;
        if counted.n != need {
            // Roll the entry back: spool bytes are simply left unused.
            self.pop_entry();
            return Err(Error::unwritable(
                name,
                format!(
                    "shape {shape:?} of {dtype} needs {need} bytes, the data had {}",
                    counted.n
                ),
            ));
        }
        Ok(())
    }

    /// Adds a DataFrame in upstream's column encoding.
    /// `force_float32` is upstream's `force_type_compatibility` (default `true`).
    pub fn add_dataframe(
        &mut self,
        name: &str,
        frame: &DataFrame,
        force_float32: bool,
        opts: DatasetOptions,
    ) -> Result<()> {
        let (payload, infos) = frame.encode(name, force_float32)?;
        let extra = vec![
            ("columnInfo", Value::Seq(infos)),
            ("columns", Value::from(frame.columns.len() as u64)),
            ("rows", Value::from(frame.rows() as u64)),
        ];
        self.push(name, &opts, "dataframe", extra, &payload[..])
    }

    /// Copies dataset `name` of `reader` into this writer, re-encoding it
    /// through the typed path: the same kind, metadata and compression, with
    /// strides that describe the stored bytes. A `bytes` dataset that
    /// upstream added by path (no `compression` key) keeps that shape.
    pub fn add_from(&mut self, reader: &crate::RabReader, name: &str) -> Result<()> {
        use crate::DatasetKind;
        let d = reader.dataset(name)?;
        let opts = DatasetOptions::new()
            .metadata(d.metadata().clone())
            .compression(d.compression().clone());
        match d.kind() {
            DatasetKind::Text => self.add_text(name, &reader.text(name)?, opts),
            DatasetKind::Bytes if d.codec_meta().get("compression").is_none() => {
                let data = reader.payload(name)?;
                let metadata = Self::metadata(name, d.metadata())?;
                self.claim(name)?;
                let stored = match self.store(name, &data[..], &Compression::None) {
                    Ok(v) => v,
                    Err(e) => {
                        self.names.remove(name);
                        return Err(e);
                    }
                };
                self.entries.push(Pending {
                    name: name.to_owned(),
                    metadata,
                    codec_meta: vec![(Value::from("type"), Value::from("bytes"))],
                    payload: stored.payload,
                    byte_length: stored.byte_length,
                    checksum: stored.checksum,
                });
                Ok(())
            }
            DatasetKind::Bytes => self.add_bytes(name, &reader.payload(name)?, opts),
            DatasetKind::Object => self.add_object(name, &reader.object(name)?, opts),
            DatasetKind::Array(_) => self.add_array(name, &reader.array(name)?, opts),
            DatasetKind::DataFrame => {
                self.add_dataframe(name, &reader.dataframe(name)?, false, opts)
            }
            DatasetKind::Unknown(t) => Err(Error::unwritable(
                name,
                format!("type {t:?} cannot be written"),
            )),
        }
    }

    /// Adds a file by path as a `bytes` dataset; its content is copied when
    /// the RAB file is written (never compressed, as upstream; there is no
    /// `compression` key). Writing fails if the file changed in between.
    pub fn add_file(&mut self, name: &str, path: impl AsRef<Path>, metadata: Value) -> Result<()> {
        let path = path.as_ref();
        let metadata = Self::metadata(name, &metadata)?;
        let len = std::fs::metadata(path)
            .map_err(|e| vellum_format_core::Error::io(path, e))?
            .len();
        let checksum = if self.checksums {
            Some(Digest::of_file(path)?)
        } else {
            None
        };
        self.claim(name)?;
        self.entries.push(Pending {
            name: name.to_owned(),
            metadata,
            codec_meta: vec![(Value::from("type"), Value::from("bytes"))],
            payload: Payload::External {
                path: path.to_path_buf(),
            },
            byte_length: len,
            checksum,
        });
        Ok(())
    }

    /// The header text for the datasets added so far.
    fn header(&self) -> Vec<u8> {
        let mut offset = 0u64;
        let entries = self
            .entries
            .iter()
            .map(|p| {
                let mut cm = p.codec_meta.clone();
                cm.push((Value::from("byteLength"), Value::from(p.byte_length)));
                cm.push((Value::from("byteOffset"), Value::from(offset)));
                if self.checksums
                    && let Some(d) = &p.checksum
                {
                    cm.push((Value::from("blake3"), Value::from(d.to_hex())));
                }
                offset = offset.saturating_add(p.byte_length);
                Value::map([
                    ("codecMeta", Value::Map(cm)),
                    ("metadata", p.metadata.clone()),
                    ("name", Value::from(p.name.as_str())),
                ])
            })
            .collect();
        header::encode(entries)
    }

    /// Writes the RAB file to `path`, atomically: a temporary file beside
    /// it, fsynced (unless [`RabWriter::without_fsync`]), then renamed over
    /// `path`. Can be called more than once.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let header = self.header();
        let len = u32::try_from(header.len()).map_err(|_| {
            Error::unwritable(
                "",
                format!(
                    "the header is {} bytes, more than a u32 can say",
                    header.len()
                ),
            )
        })?;
        let io_err = |e: io::Error| Error::from(vellum_format_core::Error::io(path, e));
        let total = self
            .entries
            .iter()
            .map(|p| p.byte_length)
            .fold(header::PREFIX_LEN + u64::from(len), u64::saturating_add);
        let out = Output::create(path, total, !self.no_fsync)?;
        // The prefix, the header and the small held payloads after it are
        // gathered into one buffer: a file of many small datasets takes a
        // few large writes.
        let mut pending = Vec::with_capacity(header.len() + header::PREFIX_LEN as usize);
        pending.extend_from_slice(header::MAGIC);
        pending.extend_from_slice(&len.to_le_bytes());
        pending.extend_from_slice(&header);
        for p in &self.entries {
            if let Payload::Held(b) = &p.payload
                && pending.len() + b.len() <= HOLD_MAX
            {
                pending.extend_from_slice(b);
                continue;
            }
            if !pending.is_empty() {
                out.file().write_all(&pending).map_err(io_err)?;
                pending.clear();
            }
            match &p.payload {
                Payload::Shared(b) | Payload::Held(b) => {
                    out.file().write_all(b).map_err(io_err)?;
                }
                Payload::Spooled { offset } => {
                    let spool = self
                        .spool
                        .as_ref()
                        .ok_or_else(|| Error::unwritable(&p.name, "the spool is gone"))?;
                    let mut f = &spool.file;
                    f.seek(SeekFrom::Start(*offset)).map_err(io_err)?;
                    let n = out.copy_from(f, p.byte_length).map_err(io_err)?;
                    if n != p.byte_length {
                        return Err(Error::unwritable(
                            &p.name,
                            "the spool file is shorter than recorded",
                        ));
                    }
                }
                Payload::External { path: src } => {
                    let file =
                        File::open(src).map_err(|e| vellum_format_core::Error::io(src, e))?;
                    // One byte more than recorded, to notice a file that grew.
                    let limit = p.byte_length.saturating_add(1);
                    let changed = match &p.checksum {
                        Some(want) => {
                            let mut hasher = blake3::Hasher::new();
                            let n = out.copy_hashed(&file, limit, &mut hasher).map_err(io_err)?;
                            let got = Digest(*hasher.finalize().as_bytes());
                            n != p.byte_length || !want.ct_eq(&got)
                        }
                        None => out.copy_from(&file, limit).map_err(io_err)? != p.byte_length,
                    };
                    if changed {
                        return Err(Error::unwritable(
                            &p.name,
                            format!("{} changed since it was added", src.display()),
                        ));
                    }
                }
            }
        }
        if !pending.is_empty() {
            out.file().write_all(&pending).map_err(io_err)?;
        }
        out.commit(path)
    }
}

/// The array keys of `codecMeta` (spec §3): strides that describe the
/// stored bytes, endianness `na` for one-byte types.
fn array_meta(dtype: DType, shape: &[u64], layout: Layout) -> Vec<(&'static str, Value)> {
    let endianness = if dtype.item_size() == 1 {
        "na"
    } else if dtype.order == ByteOrder::Big {
        "big"
    } else {
        "little"
    };
    vec![
        ("byteOrder", Value::from(layout.as_str())),
        ("endianness", Value::from(endianness)),
        (
            "shape",
            Value::Seq(shape.iter().map(|&d| Value::from(d)).collect()),
        ),
        (
            "strides",
            Value::Seq(layout.strides(shape).into_iter().map(Value::from).collect()),
        ),
    ]
}

struct CountingReader<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}
