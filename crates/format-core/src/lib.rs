//! The shared zero-copy byte core of Vellum.
//!
//! Every Vellum format crate stands on this one. It owns the things each
//! format would otherwise write again, and gets them right once:
//!
//! | concept | items | what it gives |
//! | --- | --- | --- |
//! | files as bytes | [`open_bytes`], [`Backend`], [`read_prefix`], [`read_range`] | a file as [`bytes::Bytes`], by read (default) or opt-in mmap; zero-copy slices, `Send + Sync` |
//! | untrusted input | [`ByteReader`], [`checked_range`], [`checked_product`], [`Limits`] | one checked cursor whose every read names its field; errors with offsets; size caps before allocation |
//! | element types | [`DType`], [`Scalar`], [`ByteOrder`] | 14 numeric dtypes incl. float16 and complex, numpy names (`float32`, `<f4`, `>c16`, `\|u1`), numpy's safe-cast relation |
//! | typed views | [`view()`], [`view_as`], [`view_bool`], [`element`], [`encode`], [`Number`] | bytes as typed slices without assuming alignment: borrowed when aligned and native, copied otherwise |
//! | codecs | [`Codec`], [`Encoder`], [`Decoder`] | zlib, gzip, zstd; one-shot and streaming; a limit on decompressed size |
//! | digests | [`Digest`] | blake3 content hashes, keyed hashes, hex |
//! | atomic writes | [`AtomicFile`], [`write_atomic`], [`start_writeback`] | temporary file in the same folder, fsync, rename; early writeback so the fsync waits less; [`prefer_huge_pages`] for large output buffers |
//! | Python text | [`python_str_repr`] | Python's `repr(str)`, which numpy headers and BEAT string fields hold |
//!
//! What it is not for: knowing any one format. Magic numbers, headers and
//! records live in the format crates (`vellum-rab`, `vellum-records`, …).
//! No I/O happens in the parsing layer: [`ByteReader`] works on slices, and
//! files are opened one layer up.
//!
//! # Example
//!
//! ```
//! use vellum_format_core::{ByteReader, DType, view};
//! // A tiny header-then-payload format: magic, u32 count, then <f4 values.
//! let mut file = b"vel\x02\x00\x00\x00".to_vec();
//! file.extend_from_slice(&1.5f32.to_le_bytes());
//! file.extend_from_slice(&(-2.0f32).to_le_bytes());
//!
//! let mut r = ByteReader::new(&file);
//! r.expect_magic(b"vel", "magic")?;
//! let n = r.count_u32_le(4, "value count")?;
//! let payload = r.take(n * 4, "values")?;
//! let dtype: DType = "<f4".parse()?;
//! let values = view::<f32>(payload, dtype.order)?;
//! assert_eq!(&*values, &[1.5, -2.0]);
//! # Ok::<(), vellum_format_core::Error>(())
//! ```
//!
//! # Errors
//!
//! One [`Error`] enum, `#[non_exhaustive]`, whose variants say what is wrong
//! with the input and carry the field and byte offset; [`Error::in_file`]
//! attaches the file's path.
#![deny(missing_docs)]

mod atomic;
mod codec;
mod digest;
mod dtype;
mod error;
mod file;
mod huge_pages;
mod limits;
mod private_read;
mod python_repr;
mod reader;
mod view;
mod writeback;

pub use atomic::{AtomicFile, sync_parent, write_atomic};
pub use codec::{Codec, Decoder, Encoder};
pub use digest::Digest;
pub use dtype::{ByteOrder, DType, Scalar};
pub use error::{Error, Result};
pub use file::{Backend, open_bytes, read_bytes, read_prefix, read_range};
pub use huge_pages::prefer_huge_pages;
pub use limits::Limits;
pub use private_read::read_private;
pub use python_repr::python_str_repr;
pub use reader::{ByteReader, checked_product, checked_range};
pub use view::{Element, Number, element, encode, view, view_as, view_bool};
pub use writeback::start_writeback;

pub use bytes::Bytes;
