//! BEAT data formats, conformant with the BEAT platform (`beat.core` 1.13.5
//! and `beat.backend.python` 1.7.15): typed JSON declarations, validation
//! with the platform's casting rules, and binary pack/unpack byte-identical
//! to it.
//!
//! What it is for: loading declarations (from a platform prefix folder or
//! from memory), resolving references, arrays and `#extends` into a
//! flattened [`Format`], turning JSON values into typed [`Object`]s exactly
//! as the platform accepts or rejects them, packing and unpacking them, and
//! comparing them with [`Object::isclose`]. What it is not for: running
//! algorithms, or the platform's other asset types.
//!
//! | item | what |
//! | --- | --- |
//! | [`Resolver`], [`PrefixDir`], [`Registry`], [`Source`] | load a format by name `user/name/version`, hashed layout first; every problem collected in [`Error::InvalidFormat`] |
//! | [`Format`], [`Field`], [`FieldType`], [`ArrayType`], [`Element`], [`Primitive`] | the resolved format and its pack order |
//! | [`Object`], [`Value`], [`Array`], [`ArrayData`] | the typed value tree; numeric arrays are little-endian [`bytes::Bytes`] |
//! | [`Format::from_json`], [`Conversion`], [`Casting`] | JSON in: `DataFormat.validate` (safe), the constructor (unsafe), defaults |
//! | [`Format::pack`], [`Format::unpack`], [`Format::unpack_prefix`] | the binary form (zero-copy numeric arrays) |
//! | [`Packer`] | packs a stream of objects into shared chunks, a [`Bytes`](bytes::Bytes) each |
//! | [`Object::to_json`], [`Object::to_platform_json`] | JSON out in the platform's `as_dict` shape |
//! | [`Object::isclose`], [`Tolerance`] | approximate comparison |
//! | [`parse_json`], [`Json`] | the strict JSON reader (duplicate keys, big integers) |
//! | [`rust_code`] | Rust structs with `pack`/`unpack` for formats (`cargo xtask codegen dataformat`) |
//!
//! Primitive types: `int8 int16 int32 int64 uint8 uint16 uint32 uint64
//! float32 float64 complex64 complex128 bool string`; arrays of 1 to 5
//! dimensions (0 = unspecified extent, at any position) of primitives or
//! objects.
//!
//! Deliberate differences from the platform (its bugs, fixed on purpose):
//! `#extends` copies the base's fields (no aliasing, no false clashes);
//! defaults are zero-filled; odd declarations are errors, not crashes;
//! negative extents and names with a trailing newline are rejected; lists
//! for scalar fields and non-text string-array elements are rejected at
//! validation; string-array elements keep trailing NULs; unpack checks
//! fixed extents, bool bytes and trailing bytes; `isclose` compares shapes
//! and integers exactly; error field lists are sorted; complex numbers are
//! written to JSON as `[re, im]`.
//!
//! # Example
//!
//! ```
//! use vellum_dataformat::{Conversion, Registry, Resolver};
//! let mut reg = Registry::new();
//! reg.insert("me/box/1", r#"{"label": "string", "pts": [0, 2, "float32"]}"#);
//! let fmt = Resolver::new(reg).load("me/box/1")?;
//! let obj = fmt.from_json_text(r#"{"label": "a", "pts": [[1, 2]]}"#, Conversion::VALIDATE)?;
//! let bytes = fmt.pack(&obj)?;
//! assert_eq!(bytes.len(), 8 + 1 + 16 + 8);
//! let back = fmt.unpack(&bytes.into())?;
//! assert_eq!(back, obj);
//! # Ok::<(), vellum_dataformat::Error>(())
//! ```
#![deny(missing_docs)]

mod binary;
mod codegen;
mod declaration;
mod error;
mod format;
mod isclose;
mod text;
mod value;

pub use binary::Packer;
pub use codegen::rust_code;
pub use declaration::resolver::Resolver;
pub use declaration::source::{PrefixDir, Registry, Source};
pub use error::{Error, Result, Rule};
pub use format::{ArrayType, Element, Field, FieldType, Format, Primitive};
pub use isclose::Tolerance;
pub use text::json::{Json, JsonInt, parse as parse_json};
pub use value::convert::{Casting, Conversion};
pub use value::{Array, ArrayData, DEFAULT_BUDGET, MAX_EMPTY_OBJECTS, Object, Value};

/// The platform's declaration hash of a declaration text (spec §12).
pub fn declaration_hash(text: &str) -> Result<String> {
    Ok(declaration::hash::declaration_hash(&parse_json(text)?))
}

/// True when `name` is a valid data format name `user/name/version`.
pub fn is_format_name(name: &str) -> bool {
    declaration::grammar::is_reference(name)
}
