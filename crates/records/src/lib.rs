//! Record files: DSRecords-compatible `.rec` + `.idx`, TFRecord and MXNet
//! RecordIO, read zero-copy and written crash-safely.
//!
//! What it is for: reading and writing the files of `dsrecords` 0.4.18 byte
//! for byte (spec: `dsrecords.md` in the shared specs), fast, from many
//! threads, with every index and length checked; and the two record formats
//! its users meet most, TFRecord (CRC-checked) and MXNet RecordIO. What it
//! is not for: image processing (fields keep their encoded bytes; pixels
//! only with the `image-decode` feature) or TensorFlow's `SequenceExample`.
//!
//! | concept | items |
//! | --- | --- |
//! | DSRecords reading | [`Dataset`], [`Record`], [`OpenOptions`], [`ShardedDataset`] |
//! | DSRecords writing | [`write_all`], [`DatasetWriter`] (append, update, `remove_swap`, `remove`, `compact_index`), [`WriteOptions`], [`Durability`] |
//! | crash safety and integrity | [`verify`], [`recover`], [`ChecksumKind`] sidecars ([`Checksums`]) |
//! | field codecs (`dsrecords.io`) | [`FieldCodec`], [`Schema`], [`Value`], [`NpyArray`], [`TextEncoding`] |
//! | images | [`image_info`]; `decode_image` with the `image-decode` feature |
//! | BEAT data formats (`beat` feature) | `Schema::from_dataformat`, `BeatSchema` (objects to fields and back) |
//! | TFRecord | [`TfRecordReader`], [`TfRecordWriter`], [`Example`], [`masked_crc32c`], [`parse_tfindex`] |
//! | MXNet RecordIO | [`RecordIoReader`], [`RecordIoWriter`], [`IndexedRecordIo`], [`IrHeader`] |
//!
//! Field codecs:
//!
//! | dsrecords | [`FieldCodec`] | schema text |
//! | --- | --- | --- |
//! | `dump_int(bits, signed)` | `Int` via [`FieldCodec::ds_int`] (bits 64 → 4 bytes, 128 → 8) | `i8`…`i64`, `u8`…`u64`, `int:BITS`, `uint:BITS` |
//! | `dump_float(bits)` | `Float { bits }` | `f16`, `f32`, `f64` |
//! | `dump_bool` | `Bool` | `bool` |
//! | `dump_str(encoding)` | `Str(TextEncoding)` | `str`, `str:utf-16`, `str:latin-1` |
//! | `identity`, `dump_file` | `Bytes` | `bytes`, `file` |
//! | `dump_list(dumper)` | `List(item)` | `list<CODEC>` |
//! | `dump_np` | `Npy` ([`NpyArray`]; every dtype but objects, structured as raw bytes + [`Descr`]) | `npy` |
//! | `dump_pil`, `dump_cv2` | `Image` (encoded bytes) | `image` |
//!
//! Deliberate differences from dsrecords (the files stay identical): reads
//! past the count or with negative indices are errors, not stale or
//! reserved-area reads; an append after a removal writes its slot right
//! after the live ones (the reference loses the record, §3.4); appends write
//! data before the index so a crash never leaves a count over missing data.
//!
//! Cargo features: `image-decode` adds [`decode_image`] (PNG exact, palette
//! images as indices; JPEG grey or RGB) through the pure-Rust `png` and
//! `zune-jpeg` crates. `beat` adds `Schema::from_dataformat` and
//! `BeatSchema`: records holding objects of a BEAT data format
//! (`vellum-dataformat`), one field per top-level field. Without
//! `image-decode`, image fields are bytes with their format
//! and size read from the header ([`image_info`]).
//!
//! # Example
//!
//! ```
//! use vellum_records::{Dataset, DatasetWriter, Schema, Value, WriteOptions};
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("train.rec");
//! let schema: Schema = "bytes,f32,i32".parse()?;
//! let mut w = DatasetWriter::create(&path, WriteOptions::default())?;
//! w.append_values(&schema, &[b"img".to_vec().into(), 0.5f32.into(), 7.into()])?;
//! w.finish()?;
//!
//! let ds = Dataset::open(&path, schema.len())?;
//! let values = ds.get(0)?.decode(&schema)?;
//! assert_eq!(values[2], Value::Int(7));
//! assert_eq!(ds.data().len(), 1024 + 24 + 3 + 4 + 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors
//!
//! One [`Error`] enum, `#[non_exhaustive]`; byte-level problems carry the
//! field and offset, record problems the record index and offset, and
//! [`Error::in_file`] names the file.
#![deny(missing_docs)]

mod dsrecords;
mod error;
mod field;
mod recordio;
mod tfrecord;

/// Opens a data file: the read backend copies it into private memory
/// (huge-page backed when large), the mmap backend maps it.
pub(crate) fn open_data(
    path: &std::path::Path,
    backend: vellum_format_core::Backend,
    limits: &vellum_format_core::Limits,
) -> vellum_format_core::Result<bytes::Bytes> {
    match backend {
        vellum_format_core::Backend::Read => vellum_format_core::read_private(path, limits),
        other => vellum_format_core::open_bytes(path, other, limits),
    }
}

pub use dsrecords::{
    ChecksumKind, Checksums, Dataset, DatasetWriter, Durability, OpenOptions, Problem, ProblemKind,
    RESERVED_HEADER, Record, RecoverReport, ShardedDataset, UpdatePath, VerifyReport, WriteOptions,
    checksum_path_for, index_path_for, pack_record, recover, verify, write_all, write_all_with,
    write_manifest,
};
pub use error::{Error, Result};
#[cfg(feature = "beat")]
pub use field::BeatSchema;
#[cfg(feature = "image-decode")]
pub use field::{DecodedImage, decode_image};
pub use field::{
    Descr, FieldCodec, ImageInfo, NpyArray, Schema, StructField, TextEncoding, Value, image_info,
};
pub use recordio::{
    Chunk, IndexedRecordIo, IrHeader, Label, RECORDIO_MAGIC, RECORDIO_MAX_LEN, RecordIoReader,
    RecordIoRecord, RecordIoWriter, parse_recordio_index, write_recordio_index,
};
pub use tfrecord::{
    Example, Feature, TFRECORD_OVERHEAD, TfRecord, TfRecordIter, TfRecordReader, TfRecordWriter,
    masked_crc32c, parse_tfindex, write_tfindex,
};

pub use bytes::Bytes;
