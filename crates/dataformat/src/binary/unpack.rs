//! `unpack` (spec §9), strict where the platform is not (F8): stored fixed
//! extents must equal the declared ones, bool bytes must be 0 or 1, and
//! [`Format::unpack`] rejects trailing bytes ([`Format::unpack_prefix`]
//! allows them, for callers that frame objects themselves). Numeric arrays
//! are zero-copy slices of the input.

use std::sync::Arc;

use bytes::Bytes;
use num_complex::{Complex32, Complex64};
use vellum_format_core::{ByteReader, Limits, Scalar};

use crate::error::{Error, Result};
use crate::format::{ArrayType, Element, FieldType, Format, Primitive};
use crate::value::{Array, ArrayData, MAX_EMPTY_OBJECTS, Object, Value};

/// A numeric scalar from exactly `item_size` little-endian bytes.
pub(crate) fn scalar_from_le(s: Scalar, b: &[u8]) -> Value {
    let mut buf = [0u8; 16];
    if let Some(dst) = buf.get_mut(..b.len()) {
        dst.copy_from_slice(b);
    }
    let a2 = [buf[0], buf[1]];
    let a4 = [buf[0], buf[1], buf[2], buf[3]];
    let a8 = [
        buf[0], buf[1], buf[2], buf[3], buf[4], buf[5], buf[6], buf[7],
    ];
    let b8 = [
        buf[8], buf[9], buf[10], buf[11], buf[12], buf[13], buf[14], buf[15],
    ];
    let b4 = [buf[4], buf[5], buf[6], buf[7]];
    match s {
        Scalar::Bool => Value::Bool(buf[0] != 0),
        Scalar::Int8 => Value::Int8(buf[0] as i8),
        Scalar::Int16 => Value::Int16(i16::from_le_bytes(a2)),
        Scalar::Int32 => Value::Int32(i32::from_le_bytes(a4)),
        Scalar::Int64 => Value::Int64(i64::from_le_bytes(a8)),
        Scalar::UInt8 => Value::UInt8(buf[0]),
        Scalar::UInt16 => Value::UInt16(u16::from_le_bytes(a2)),
        Scalar::UInt32 => Value::UInt32(u32::from_le_bytes(a4)),
        Scalar::UInt64 => Value::UInt64(u64::from_le_bytes(a8)),
        Scalar::Float16 | Scalar::Float32 => Value::Float32(f32::from_le_bytes(a4)),
        Scalar::Float64 => Value::Float64(f64::from_le_bytes(a8)),
        Scalar::Complex64 => Value::Complex64(Complex32::new(
            f32::from_le_bytes(a4),
            f32::from_le_bytes(b4),
        )),
        Scalar::Complex128 => Value::Complex128(Complex64::new(
            f64::from_le_bytes(a8),
            f64::from_le_bytes(b8),
        )),
    }
}

impl Format {
    /// Unpacks one object that fills `bytes` exactly.
    ///
    /// ```
    /// use vellum_dataformat::{Registry, Resolver, Value};
    /// let mut reg = Registry::new();
    /// reg.insert("me/v/1", r#"{"v": "int32"}"#);
    /// let f = Resolver::new(reg).load("me/v/1")?;
    /// let o = f.unpack(&bytes::Bytes::from_static(&[42, 0, 0, 0]))?;
    /// assert_eq!(o.get("v"), Some(&Value::Int32(42)));
    /// assert!(f.unpack(&bytes::Bytes::from_static(&[42, 0, 0, 0, 9])).is_err());
    /// # Ok::<(), vellum_dataformat::Error>(())
    /// ```
    ///
    /// # Errors
    /// Truncated input, a stored extent that differs from a fixed declared
    /// one, a bool byte other than 0/1, invalid UTF-8, an array larger than
    /// the input could hold, or trailing bytes.
    pub fn unpack(self: &Arc<Self>, bytes: &Bytes) -> Result<Object> {
        let (object, used) = self.unpack_prefix(bytes)?;
        if used != bytes.len() {
            return Err(Error::TrailingBytes {
                offset: used as u64,
                trailing: (bytes.len() - used) as u64,
            });
        }
        Ok(object)
    }

    /// Unpacks one object from the start of `bytes`; returns it with the
    /// number of bytes used (trailing bytes are left alone, as the platform
    /// does).
    pub fn unpack_prefix(self: &Arc<Self>, bytes: &Bytes) -> Result<(Object, usize)> {
        let mut r = ByteReader::new(bytes);
        let object = read_object(self, bytes, &mut r, &Limits::default())?;
        Ok((object, r.position()))
    }
}

fn read_object(
    format: &Arc<Format>,
    whole: &Bytes,
    r: &mut ByteReader<'_>,
    limits: &Limits,
) -> Result<Object> {
    let fields = format.fields();
    let order = format.pack_order();
    let values = if order.iter().enumerate().all(|(k, &i)| k == i) {
        // Resolved order is already the pack order: read straight in.
        let mut values = Vec::with_capacity(fields.len());
        for field in fields {
            values.push(read_value(&field.name, &field.ty, whole, r, limits)?);
        }
        values
    } else {
        let mut slots: Vec<Option<Value>> = vec![None; fields.len()];
        for &i in order {
            let Some(field) = fields.get(i) else { continue };
            let v = read_value(&field.name, &field.ty, whole, r, limits)?;
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(v);
            }
        }
        slots
            .into_iter()
            .map(|v| v.unwrap_or(Value::Bool(false)))
            .collect()
    };
    Ok(Object::from_parts_unchecked(format.clone(), values))
}

fn read_scalar(s: Scalar, field: &str, r: &mut ByteReader<'_>) -> Result<Value> {
    let at = r.offset();
    let b = r.take(s.item_size(), "scalar")?;
    if s == Scalar::Bool && b.first().is_some_and(|&x| x > 1) {
        return Err(bad_bool(field, at, b.first().copied().unwrap_or(0)));
    }
    Ok(scalar_from_le(s, b))
}

fn bad_bool(field: &str, at: u64, byte: u8) -> Error {
    Error::Bytes(vellum_format_core::Error::Invalid {
        field: "bool",
        offset: at,
        reason: format!("field `{field}': bool byte {byte:#04x} is neither 0 nor 1"),
    })
}

fn read_str(field: &str, r: &mut ByteReader<'_>) -> Result<String> {
    let at = r.offset();
    let b = r.bytes_u64_le("string")?;
    let s = std::str::from_utf8(b).map_err(|e| {
        Error::Bytes(vellum_format_core::Error::Invalid {
            field: "string",
            offset: at + 8,
            reason: format!("field `{field}': not UTF-8 ({e})"),
        })
    })?;
    Ok(s.to_owned())
}

fn read_value(
    field: &str,
    ty: &FieldType,
    whole: &Bytes,
    r: &mut ByteReader<'_>,
    limits: &Limits,
) -> Result<Value> {
    Ok(match ty {
        FieldType::Primitive(Primitive::Number(s)) => read_scalar(*s, field, r)?,
        FieldType::Primitive(Primitive::String) => Value::String(read_str(field, r)?),
        FieldType::Object(f) => Value::Object(read_object(f, whole, r, limits)?),
        FieldType::Array(a) => Value::Array(read_array(field, a, whole, r, limits)?),
    })
}

fn read_array(
    field: &str,
    ty: &ArrayType,
    whole: &Bytes,
    r: &mut ByteReader<'_>,
    limits: &Limits,
) -> Result<Array> {
    let mut shape = Vec::with_capacity(ty.extents.len());
    for (dim, &want) in ty.extents.iter().enumerate() {
        let at = r.offset();
        let have = r.u64_le("array extent")?;
        if want != 0 && have != want {
            return Err(Error::StoredExtent {
                field: field.to_owned(),
                offset: at,
                dim,
                found: have,
                expected: want,
            });
        }
        shape.push(have);
    }
    let at = r.offset();
    let count = shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or(vellum_format_core::Error::Overflow {
            field: "array extents",
            offset: at,
        })?;
    let data = match &ty.element {
        Element::Primitive(Primitive::Number(s)) => {
            let len = count.checked_mul(s.item_size() as u64).ok_or(
                vellum_format_core::Error::Overflow {
                    field: "array extents",
                    offset: at,
                },
            )?;
            let start = r.position();
            let b = r.take_u64(len, "array data")?;
            if *s == Scalar::Bool
                && let Some(pos) = b.iter().position(|&x| x > 1)
            {
                return Err(bad_bool(
                    field,
                    at + pos as u64,
                    b.get(pos).copied().unwrap_or(0),
                ));
            }
            // Zero copy: a slice of the caller's buffer.
            ArrayData::Numbers {
                scalar: *s,
                bytes: whole.slice(start..start + b.len()),
            }
        }
        Element::Primitive(Primitive::String) => {
            // Each string needs at least its 8-byte length: bound the count
            // by the remaining input before allocating.
            let n = bounded(count, 8, r, at)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(read_str(field, r)?);
            }
            ArrayData::Strings(v)
        }
        Element::Object(f) => {
            let min = f.min_packed_size().max(1);
            let n = if f.min_packed_size() == 0 {
                // Objects of an empty format take no bytes: cap their count.
                limits.check_alloc("object array", count.saturating_mul(64))?;
                if count > MAX_EMPTY_OBJECTS {
                    return Err(Error::TooLarge {
                        requested: count,
                        limit: MAX_EMPTY_OBJECTS,
                    });
                }
                count as usize
            } else {
                bounded(count, min, r, at)?
            };
            let mut v = Vec::with_capacity(n.min(r.remaining() + 1));
            for _ in 0..n {
                v.push(read_object(f, whole, r, limits)?);
            }
            ArrayData::Objects(v)
        }
    };
    Ok(Array::from_parts_unchecked(shape, data))
}

/// Checks that `count` items of at least `min` bytes fit in what remains.
fn bounded(count: u64, min: usize, r: &ByteReader<'_>, at: u64) -> Result<usize> {
    let need = count
        .checked_mul(min as u64)
        .ok_or(vellum_format_core::Error::Overflow {
            field: "array extents",
            offset: at,
        })?;
    if need > r.remaining() as u64 {
        return Err(Error::Bytes(vellum_format_core::Error::Truncated {
            field: "array elements",
            offset: at,
            needed: need,
            available: r.remaining() as u64,
        }));
    }
    Ok(count as usize)
}

impl Format {
    /// The fewest bytes an object of this format can pack to.
    pub fn min_packed_size(&self) -> usize {
        self.fields()
            .iter()
            .map(|f| match &f.ty {
                FieldType::Primitive(Primitive::Number(s)) => s.item_size(),
                FieldType::Primitive(Primitive::String) => 8,
                FieldType::Object(o) => o.min_packed_size(),
                FieldType::Array(a) => 8 * a.extents.len(),
            })
            .fold(0usize, usize::saturating_add)
    }
}
