//! `pack` (spec §8): fields in code-point order of their names, no header,
//! little-endian numbers, `u64` length + UTF-8 for strings, every array
//! prefixed by all its extents as `u64`.

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
        if !std::ptr::eq(object.format().as_ref(), self) && object.format().as_ref() != self {
            return Err(crate::Error::WrongType {
                format: self.name().to_owned(),
                field: String::new(),
                expected: format!("an object of `{}'", self.name()),
                found: format!("an object of `{}'", object.format().name()),
            });
        }
        pack_object(object, out);
        Ok(())
    }
}

pub(crate) fn pack_object(object: &Object, out: &mut Vec<u8>) {
    let values = object.values();
    for &i in object.format().pack_order() {
        if let Some(v) = values.get(i) {
            pack_value(v, out);
        }
    }
}

/// Appends one numeric scalar, little-endian.
pub(crate) fn scalar_le(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Int8(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Int16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Int32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Int64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt8(x) => out.push(*x),
        Value::UInt16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::UInt64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Float32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Float64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Complex64(c) => {
            out.extend_from_slice(&c.re.to_le_bytes());
            out.extend_from_slice(&c.im.to_le_bytes());
        }
        Value::Complex128(c) => {
            out.extend_from_slice(&c.re.to_le_bytes());
            out.extend_from_slice(&c.im.to_le_bytes());
        }
        Value::String(_) | Value::Array(_) | Value::Object(_) => {}
    }
}

fn pack_str(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn pack_array(a: &Array, out: &mut Vec<u8>) {
    for &d in a.shape() {
        out.extend_from_slice(&d.to_le_bytes());
    }
    match a.data() {
        ArrayData::Numbers { bytes, .. } => out.extend_from_slice(bytes),
        ArrayData::Strings(v) => v.iter().for_each(|s| pack_str(s, out)),
        ArrayData::Objects(v) => v.iter().for_each(|o| pack_object(o, out)),
    }
}

fn pack_value(v: &Value, out: &mut Vec<u8>) {
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
