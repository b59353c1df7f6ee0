//! [`RabWriter`]: builds a RAB file that upstream reads, byte-identical to
//! what upstream writes for the same datasets (spec §7, §14).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use vellum_format_core::{AtomicFile, ByteOrder, DType, Digest};

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
enum Payload {
    /// Bytes already in memory (an uncompressed array): no copy until write.
    Memory(bytes::Bytes),
    /// `len` bytes at `offset` of the writer's spool file.
    Spooled { offset: u64 },
    /// A file copied in when the RAB file is written (spec §4.2).
    External { path: PathBuf },
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

/// The writer's private spool: one append-only temporary file in a private
/// temporary folder, so payloads larger than memory stream through disk and
/// no two datasets can ever share a file (upstream's md5-name collision).
#[derive(Debug)]
struct Spool {
    _dir: tempfile::TempDir,
    file: File,
    len: u64,
}

/// Builds a RAB file.
///
/// Each `add_*` call serialises (and compresses) its payload straight into
/// a private spool file; [`RabWriter::write`] then writes the header and
/// copies the payloads into the target through an atomic temporary file, so
/// the target appears complete or not at all. The header is emitted byte for
/// byte as PyYAML does.
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
#[derive(Debug, Default)]
pub struct RabWriter {
    entries: Vec<Pending>,
    names: HashSet<String>,
    spool: Option<Spool>,
    checksums: bool,
    no_fsync: bool,
}

/// Counts and hashes what passes through to the spool.
struct Tee<'a> {
    file: &'a mut File,
    hasher: Option<blake3::Hasher>,
    written: u64,
}

impl Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(buf.get(..n).unwrap_or_default());
        }
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
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

    fn spool_file(&mut self) -> Result<&mut Spool> {
        if self.spool.is_none() {
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
            self.spool = Some(Spool {
                _dir: dir,
                file,
                len: 0,
            });
        }
        self.spool
            .as_mut()
            .ok_or_else(|| Error::unwritable("", "no spool"))
    }

    /// Streams `data` (compressed as asked) to the spool; returns offset,
    /// stored length and digest.
    fn spool(
        &mut self,
        name: &str,
        mut data: impl Read,
        compression: &Compression,
    ) -> Result<(u64, u64, Option<Digest>)> {
        let hash = self.checksums;
        let spool = self.spool_file()?;
        let offset = spool.len;
        let io_err = |e: io::Error| Error::from(vellum_format_core::Error::io(name, e));
        let mut tee = Tee {
            file: &mut spool.file,
            hasher: hash.then(blake3::Hasher::new),
            written: 0,
        };
        match compression.codec() {
            Some(codec) => {
                let mut enc = codec.encoder(&mut tee, codec.default_level())?;
                io::copy(&mut data, &mut enc).map_err(io_err)?;
                enc.finish()?;
            }
            None => {
                io::copy(&mut data, &mut tee).map_err(io_err)?;
            }
        }
        let (written, digest) = (
            tee.written,
            tee.hasher.map(|h| Digest(*h.finalize().as_bytes())),
        );
        spool.len += written;
        Ok((offset, written, digest))
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
        let added = self.spool(name, data, &opts.compression);
        let (offset, byte_length, digest) = match added {
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
            payload: Payload::Spooled { offset },
            byte_length,
            checksum: digest,
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
            payload: Payload::Memory(bytes),
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
            // Roll the entry back: the spool bytes are simply left unused.
            self.entries.pop();
            self.names.remove(name);
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
                let (offset, byte_length, digest) =
                    self.spool(name, &data[..], &Compression::None)?;
                self.entries.push(Pending {
                    name: name.to_owned(),
                    metadata,
                    codec_meta: vec![(Value::from("type"), Value::from("bytes"))],
                    payload: Payload::Spooled { offset },
                    byte_length,
                    checksum: digest,
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

    /// Writes the RAB file to `path`, atomically (temporary file, fsync,
    /// rename). Can be called more than once.
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
        let mut out = Output::create(path, !self.no_fsync)?;
        out.write_all(header::MAGIC).map_err(io_err)?;
        out.write_all(&len.to_le_bytes()).map_err(io_err)?;
        out.write_all(&header).map_err(io_err)?;
        for p in &self.entries {
            match &p.payload {
                Payload::Memory(b) => out.write_all(b).map_err(io_err)?,
                Payload::Spooled { offset } => {
                    let spool = self
                        .spool
                        .as_ref()
                        .ok_or_else(|| Error::unwritable(&p.name, "the spool is gone"))?;
                    let mut f = &spool.file;
                    f.seek(SeekFrom::Start(*offset)).map_err(io_err)?;
                    let n = io::copy(&mut f.take(p.byte_length), &mut out).map_err(io_err)?;
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
                    let mut tee = HashingWriter {
                        inner: &mut out,
                        hasher: blake3::Hasher::new(),
                    };
                    let n =
                        io::copy(&mut file.take(p.byte_length + 1), &mut tee).map_err(io_err)?;
                    let digest = Digest(*tee.hasher.finalize().as_bytes());
                    let changed =
                        n != p.byte_length || p.checksum.is_some_and(|d| !d.ct_eq(&digest));
                    if changed {
                        return Err(Error::unwritable(
                            &p.name,
                            format!("{} changed since it was added", src.display()),
                        ));
                    }
                }
            }
        }
        out.commit(path)?;
        Ok(())
    }
}

/// The file being written: durable (fsync, then rename) or only atomic.
enum Output {
    Durable(AtomicFile),
    Atomic(io::BufWriter<tempfile::NamedTempFile>),
}

impl Output {
    fn create(path: &Path, durable: bool) -> Result<Output> {
        if durable {
            return Ok(Output::Durable(AtomicFile::create(path)?));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| vellum_format_core::Error::io(dir, e))?;
        Ok(Output::Atomic(io::BufWriter::with_capacity(1 << 20, tmp)))
    }

    fn commit(self, path: &Path) -> Result<()> {
        match self {
            Output::Durable(f) => Ok(f.commit()?),
            Output::Atomic(w) => {
                let tmp = w
                    .into_inner()
                    .map_err(|e| vellum_format_core::Error::io(path, e.into_error()))?;
                tmp.persist(path)
                    .map_err(|e| vellum_format_core::Error::io(path, e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Durable(f) => f.write(buf),
            Output::Atomic(f) => f.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Durable(f) => f.write_all(buf),
            Output::Atomic(f) => f.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Durable(f) => f.flush(),
            Output::Atomic(f) => f.flush(),
        }
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

struct HashingWriter<'a, W: Write> {
    inner: &'a mut W,
    hasher: blake3::Hasher,
}

impl<W: Write> Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
