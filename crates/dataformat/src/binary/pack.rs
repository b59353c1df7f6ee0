//! `pack` (spec §8): fields in code-point order of their names, no header,
//! little-endian numbers, `u64` length + UTF-8 for strings, every array
//! prefixed by all its extents as `u64`.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Result;
use crate::format::Format;
use crate::value::{Array, ArrayData, Object, Value};

impl Format {
    /// Packs an object of this format, byte-identical to the platform.
    ///
    /// # Errors
    /// [`Error::WrongType`](crate::Error::WrongType) when `object` belongs to
    /// another format.
    pub fn pack(&self, object: &Object) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(packed_size(object));
        self.pack_into(object, &mut out)?;
        Ok(out)
    }

    /// Appends the packed bytes of `object` to `out`.
    pub fn pack_into(&self, object: &Object, out: &mut Vec<u8>) -> Result<()> {
        self.check_owns(object)?;
        pack_object(object, out);
        Ok(())
    }

    fn check_owns(&self, object: &Object) -> Result<()> {
        if !std::ptr::eq(object.format().as_ref(), self) && object.format().as_ref() != self {
            return Err(crate::Error::WrongType {
                format: self.name().to_owned(),
                field: String::new(),
                expected: format!("an object of `{}'", self.name()),
                found: format!("an object of `{}'", object.format().name()),
            });
        }
        Ok(())
    }
}

/// Packs a stream of objects, each into its own [`Bytes`], carved out of
/// shared chunks instead of one allocation per object.
///
/// The platform's `pack()` returns a new `bytes` per object, and so does
/// [`Format::pack`] (a new `Vec`). For many small objects the allocator
/// then costs more than the packing; a `Packer` writes objects one after
/// the other into a chunk (64 KiB by default) and hands each one out as an
/// independent, immutable [`Bytes`] view. A chunk is freed when the last
/// `Bytes` cut from it is dropped, so keeping one packed object alive keeps
/// its whole chunk alive. Objects larger than an eighth of a chunk get an
/// exact allocation of their own.
///
/// ```
/// # use std::sync::Arc;
/// # use vellum_dataformat::{Conversion, Format, Packer, Registry, Resolver, parse_json};
/// let mut registry = Registry::new();
/// registry.insert("user/point/1", r#"{"x": "int32", "y": "int32"}"#);
/// let format = Resolver::new(registry).load("user/point/1").unwrap();
/// let mut packer = Packer::new();
/// let p = format.from_json(&parse_json(r#"{"x": 1, "y": 2}"#).unwrap(), Conversion::CONSTRUCT).unwrap();
/// let packed = packer.pack(&format, &p).unwrap();
/// assert_eq!(packed, format.pack(&p).unwrap());
/// ```
#[derive(Debug)]
pub struct Packer {
    buf: BytesMut,
    chunk: usize,
}

impl Default for Packer {
    fn default() -> Self {
        Packer::new()
    }
}

impl Packer {
    /// The default chunk size.
    pub const DEFAULT_CHUNK: usize = 64 * 1024;

    /// A packer with 64 KiB chunks.
    pub fn new() -> Packer {
        Packer::with_chunk_size(Self::DEFAULT_CHUNK)
    }

    /// A packer with chunks of `chunk` bytes (an object larger than
    /// `chunk / 8` gets an allocation of its own).
    pub fn with_chunk_size(chunk: usize) -> Packer {
        Packer {
            buf: BytesMut::new(),
            chunk: chunk.max(1),
        }
    }

    /// Packs `object` (of `format`), byte-identical to [`Format::pack`].
    ///
    /// # Errors
    /// [`Error::WrongType`](crate::Error::WrongType) when `object` belongs to
    /// another format.
    pub fn pack(&mut self, format: &Format, object: &Object) -> Result<Bytes> {
        format.check_owns(object)?;
        let size = packed_size(object);
        if size > self.chunk / 8 {
            // A large object gains nothing from sharing a chunk and would
            // waste the chunk's tail: one exact allocation of its own.
            let mut out = Vec::with_capacity(size);
            pack_object(object, &mut out);
            return Ok(Bytes::from(out));
        }
        if self.buf.capacity() < size {
            // A fresh chunk: the current one is shared with the objects
            // already handed out, so `reserve` allocates anew.
            self.buf.reserve(size.max(self.chunk));
        }
        pack_object(object, &mut self.buf);
        Ok(self.buf.split().freeze())
    }
}

pub(crate) fn pack_object<B: BufMut>(object: &Object, out: &mut B) {
    let values = object.values();
    for &i in object.format().pack_order() {
        if let Some(v) = values.get(i) {
            pack_value(v, out);
        }
    }
}

/// Appends one numeric scalar, little-endian.
pub(crate) fn scalar_le<B: BufMut>(v: &Value, out: &mut B) {
    match v {
        Value::Bool(b) => out.put_u8(u8::from(*b)),
        Value::Int8(x) => out.put_slice(&x.to_le_bytes()),
        Value::Int16(x) => out.put_slice(&x.to_le_bytes()),
        Value::Int32(x) => out.put_slice(&x.to_le_bytes()),
        Value::Int64(x) => out.put_slice(&x.to_le_bytes()),
        Value::UInt8(x) => out.put_u8(*x),
        Value::UInt16(x) => out.put_slice(&x.to_le_bytes()),
        Value::UInt32(x) => out.put_slice(&x.to_le_bytes()),
        Value::UInt64(x) => out.put_slice(&x.to_le_bytes()),
        Value::Float32(x) => out.put_slice(&x.to_le_bytes()),
        Value::Float64(x) => out.put_slice(&x.to_le_bytes()),
        Value::Complex64(c) => {
            out.put_slice(&c.re.to_le_bytes());
            out.put_slice(&c.im.to_le_bytes());
        }
        Value::Complex128(c) => {
            out.put_slice(&c.re.to_le_bytes());
            out.put_slice(&c.im.to_le_bytes());
        }
        Value::String(_) | Value::Array(_) | Value::Object(_) => {}
    }
}

fn pack_str<B: BufMut>(s: &str, out: &mut B) {
    out.put_slice(&(s.len() as u64).to_le_bytes());
    out.put_slice(s.as_bytes());
}

fn pack_array<B: BufMut>(a: &Array, out: &mut B) {
    for &d in a.shape() {
        out.put_slice(&d.to_le_bytes());
    }
    match a.data() {
        ArrayData::Numbers { bytes, .. } => out.put_slice(bytes),
        ArrayData::Strings(v) => v.iter().for_each(|s| pack_str(s, out)),
        ArrayData::Objects(v) => v.iter().for_each(|o| pack_object(o, out)),
    }
}

fn pack_value<B: BufMut>(v: &Value, out: &mut B) {
    match v {
        Value::String(s) => pack_str(s, out),
        Value::Array(a) => pack_array(a, out),
        Value::Object(o) => pack_object(o, out),
        scalar => scalar_le(scalar, out),
    }
}

/// The exact packed size of an object (one allocation for `pack`).
pub(crate) fn packed_size(object: &Object) -> usize {
    object.values().iter().map(value_size).sum()
}

fn value_size(v: &Value) -> usize {
    match v {
        Value::String(s) => 8 + s.len(),
        Value::Object(o) => packed_size(o),
        Value::Array(a) => {
            8 * a.shape().len()
                + match a.data() {
                    ArrayData::Numbers { bytes, .. } => bytes.len(),
                    ArrayData::Strings(v) => v.iter().map(|s| 8 + s.len()).sum(),
                    ArrayData::Objects(v) => v.iter().map(packed_size).sum(),
                }
        }
        scalar => scalar.scalar().map_or(0, |s| s.item_size()),
    }
}
