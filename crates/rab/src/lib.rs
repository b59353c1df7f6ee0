//! RandomAccessBuffer (RAB): read and write the container of upstream's
//! Python codec `randomaccessbuffer` 0.1.7, byte for byte, with header-only
//! open and element access at any N-d position.
//!
//! A RAB file is the magic `rab`, a u32 header length, a YAML index written
//! by PyYAML, then the dataset payloads back to back. Upstream reads the
//! index with PyYAML's YAML 1.1 rules and writes it with PyYAML's emitter;
//! this crate does both the same way, so `1e3` stays a string and a header
//! we write is the header upstream would write.
//!
//! What it is for: many named datasets (arrays, text, bytes, YAML objects,
//! DataFrames) with metadata in one file, and single values out of large
//! arrays without reading the rest. What it is not for: appending to or
//! editing a file in place (the format has no way to), or chunked random
//! access inside a compressed dataset (the format compresses whole
//! payloads).
//!
//! | type | what it is |
//! | --- | --- |
//! | [`RabReader`], [`ReadOptions`] | open a file (header only), list, read payloads, arrays, objects, DataFrames, single elements; `verify` |
//! | [`DatasetInfo`], [`DatasetKind`], [`Layout`], [`Compression`], [`ColumnInfo`] | what the header says about a dataset |
//! | [`Array`] | an N-d numeric array (14 dtypes incl. float16 and complex) with element access; `ndarray` views with the `ndarray` feature |
//! | [`DataFrame`], [`Column`], [`ColumnData`] | upstream's DataFrame encoding |
//! | [`Value`] | YAML values with PyYAML's types (metadata, objects) |
//! | [`RabWriter`], [`DatasetOptions`] | build a file: text, bytes, file, object, array, DataFrame datasets; compression; atomic write |
//! | [`Error`] | what went wrong, naming the file, dataset, field and offset |
//!
//! Supported: the 14 numeric dtypes (bool, int8–64, uint8–64, float16/32/64,
//! complex64/128) in both byte orders and both layouts; text; bytes; object;
//! dataframe; upstream's zlib compression (`gzip` in the header). Vellum
//! extensions, both ignored safely by upstream readers: `compression: zstd`
//! and a per-dataset `codecMeta.blake3` checksum.
//!
//! Differences from upstream on purpose (see `docs/rab.md`): element access
//! works for float16 and complex and on compressed datasets, and follows
//! the stored layout (`byteOrder`) rather than the recorded strides, which
//! upstream copies from views and Fortran arrays even when they do not
//! describe the bytes; arrays written with `order="F"` read back in their
//! true order; bool arrays read as bool; a DataFrame text column of empty
//! strings reads as empty strings; the writer records strides that describe
//! the bytes it wrote.
//!
//! # Example
//!
//! ```
//! use vellum_rab::{Array, Compression, DatasetOptions, RabReader, RabWriter, Value};
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("demo.rab");
//!
//! let mut w = RabWriter::new();
//! let grid = Array::from_elements(&[2, 3], &[0.5f32, 1.5, 2.5, 3.5, 4.5, 5.5])?;
//! w.add_array("grid", &grid, DatasetOptions::new().compression(Compression::Zlib))?;
//! w.add_text("notes", "1e3 stays text", DatasetOptions::new())?;
//! w.add_object("params", &Value::map([("rate", Value::from(1e3))]), DatasetOptions::new())?;
//! w.write(&path)?;
//!
//! let r = RabReader::open(&path)?; // reads the header only
//! assert_eq!(r.names().collect::<Vec<_>>(), ["grid", "notes", "params"]);
//! assert_eq!(r.element("grid", &[1, 2])?, vellum_format_core::Number::Float(5.5));
//! assert_eq!(r.object("params")?.get("rate"), Some(&Value::Float(1000.0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod error;
mod header;
mod read;
mod write;
mod yaml;

pub use error::{Error, Result};
pub use header::{ColumnInfo, Compression, DatasetInfo, DatasetKind, Layout, MAGIC};
pub use read::array::Array;
pub use read::dataframe::{Column, ColumnData, DataFrame};
pub use read::reader::{RabReader, ReadOptions};
pub use write::writer::{DatasetOptions, RabWriter};
pub use yaml::Value;

/// PyYAML's `yaml.dump(value, Dumper=yaml.Dumper, allow_unicode=True)`:
/// the text upstream writes for an object dataset, byte for byte.
///
/// ```
/// use vellum_rab::{to_pyyaml, Value};
/// let v = Value::map([("b", Value::from("yes")), ("a", Value::from("1e3"))]);
/// assert_eq!(to_pyyaml(&v), "a: 1e3\nb: 'yes'\n");
/// ```
pub fn to_pyyaml(value: &Value) -> String {
    yaml::emit::to_yaml(value)
}

/// Parses YAML as upstream's PyYAML loader does (YAML 1.1 typing), with
/// JSON as the fallback; the text is treated as untrusted.
pub fn from_pyyaml(text: &str) -> Result<Value> {
    yaml::load::parse(text).map_err(|reason| Error::HeaderSyntax { reason })
}

/// The two YAML readers behind [`from_pyyaml`] on one text, when the fast
/// path (PyYAML-shaped block YAML) answers: its value and the general
/// path's result, which must be the same value; `None` when the fast path
/// declines. The differential tests and the `rab_yaml_paths` fuzz target
/// check it. Not part of the supported API.
#[doc(hidden)]
pub fn yaml_paths(text: &str) -> Option<(Value, std::result::Result<Value, String>)> {
    let fast = yaml::fast::parse(text)?;
    Some((fast, yaml::load::parse_general(text)))
}
