//! A record schema built from a BEAT data format (`vellum-dataformat`), and
//! the conversion of BEAT objects to record fields and back.
//!
//! One record holds one object; field `j` of the record is field `j` of the
//! format in its *resolved (declaration) order* — [`Format::fields`], the
//! order of [`Object::values`] and of the platform's JSON — not the binary
//! pack order (code-point order of the names, BEAT spec §8.1). The pack
//! order is a detail of BEAT's byte stream; a user indexing record fields
//! (`get_field(i, j)`, `dump --fields`) thinks of the declaration.
//!
//! | BEAT type | record field | why |
//! | --- | --- | --- |
//! | `int8`…`uint64` | `Int { bytes, signed }` of the same width | what `dump_int` stores |
//! | `float32`, `float64` | `Float { bits }` | what `dump_float` stores |
//! | `bool` | `Bool` | |
//! | `complex64`, `complex128` | `Npy`, a 0-d `<c8` / `<c16` array | dsrecords has no complex scalar; `np.load` gives the number |
//! | `string` | `Str(Utf8)` | |
//! | array of numbers or bools | `Npy` of the element dtype and the value's shape | what `dump_np` stores; zero-copy both ways |
//! | array of strings | `List` nested once per dimension, of `Str(Utf8)` | what `dump_list(dump_str)` stores |
//! | object | `Bytes`: the object's BEAT pack | exact (types, NaN, complex) and what the platform itself stores; unpack with `beat.backend.python` |
//! | array of objects | `Bytes`: the BEAT pack of the array (`u64` extents, then each object) | as above |
//!
//! Nested objects are stored packed rather than as JSON text because the
//! pack is lossless (JSON loses float32 widths, NaN and complex numbers)
//! and is what BEAT code already reads; `vellum records dump
//! --beat-format` prints them as JSON for people.

use std::sync::Arc;

use bytes::Bytes;
use num_complex::{Complex32, Complex64};
use vellum_dataformat::{
    Array, ArrayData, ArrayType, Element, Field, FieldType, Format, Object, Primitive,
    Value as BeatValue,
};
use vellum_format_core::{ByteOrder, DType, Scalar};

use super::{Descr, FieldCodec, NpyArray, Schema, TextEncoding, Value};
use crate::{Error, Record, Result};

impl Schema {
    /// The schema of records holding objects of a BEAT data format: one
    /// field per top-level field, in the format's resolved (declaration)
    /// order; see [`BeatSchema`] for the mapping and the conversions.
    ///
    /// ```
    /// use vellum_dataformat::{Registry, Resolver};
    /// use vellum_records::Schema;
    /// let mut reg = Registry::new();
    /// reg.insert("me/box/1", r#"{"label": "string", "score": "float32", "pts": [0, 2, "float32"]}"#);
    /// let fmt = Resolver::new(reg).load("me/box/1")?;
    /// assert_eq!(Schema::from_dataformat(&fmt).to_string(), "str,f32,npy");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dataformat(format: &Format) -> Schema {
        Schema::new(format.fields().iter().map(|f| codec_of(&f.ty)).collect())
    }
}

fn codec_of(ty: &FieldType) -> FieldCodec {
    match ty {
        FieldType::Primitive(Primitive::String) => FieldCodec::Str(TextEncoding::Utf8),
        FieldType::Primitive(Primitive::Number(s)) => scalar_codec(*s),
        FieldType::Object(_) => FieldCodec::Bytes,
        FieldType::Array(a) => match &a.element {
            Element::Primitive(Primitive::Number(_)) => FieldCodec::Npy,
            Element::Primitive(Primitive::String) => a
                .extents
                .iter()
                .fold(FieldCodec::Str(TextEncoding::Utf8), |c, _| {
                    FieldCodec::List(Box::new(c))
                }),
            Element::Object(_) => FieldCodec::Bytes,
        },
    }
}

fn scalar_codec(s: Scalar) -> FieldCodec {
    let int = |bytes, signed| FieldCodec::Int { bytes, signed };
    match s {
        Scalar::Bool => FieldCodec::Bool,
        Scalar::Int8 => int(1, true),
        Scalar::Int16 => int(2, true),
        Scalar::Int32 => int(4, true),
        Scalar::Int64 => int(8, true),
        Scalar::UInt8 => int(1, false),
        Scalar::UInt16 => int(2, false),
        Scalar::UInt32 => int(4, false),
        Scalar::UInt64 => int(8, false),
        Scalar::Float16 => FieldCodec::Float { bits: 16 },
        Scalar::Float32 => FieldCodec::Float { bits: 32 },
        Scalar::Float64 => FieldCodec::Float { bits: 64 },
        Scalar::Complex64 | Scalar::Complex128 => FieldCodec::Npy,
    }
}

/// Records that hold objects of one BEAT data format: the [`Schema`] of
/// [`Schema::from_dataformat`] plus the conversions between an [`Object`]
/// and the record's field [`Value`]s.
///
/// Reading checks everything the format declares (types, dimensions, fixed
/// extents, bool bytes), so a decoded object always packs as BEAT would.
/// Arrays written by numpy in Fortran order or big-endian are converted to
/// BEAT's row-major little-endian layout.
///
/// ```
/// use vellum_dataformat::{Conversion, Registry, Resolver};
/// use vellum_records::{BeatSchema, Dataset, DatasetWriter, WriteOptions};
/// let mut reg = Registry::new();
/// reg.insert("me/box/1", r#"{"label": "string", "pts": [0, 2, "float32"]}"#);
/// let beat = BeatSchema::new(Resolver::new(reg).load("me/box/1")?);
/// let obj = beat.format().from_json_text(r#"{"label": "a", "pts": [[1, 2]]}"#, Conversion::VALIDATE)?;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("boxes.rec");
/// let mut w = DatasetWriter::create(&path, WriteOptions::default())?;
/// w.append(&beat.encode(&obj)?)?;
/// w.finish()?;
///
/// let ds = Dataset::open(&path, beat.schema().len())?;
/// assert_eq!(beat.decode(&ds.get(0)?)?, obj);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct BeatSchema {
    format: Arc<Format>,
    schema: Schema,
    /// Per field: for arrays of objects, a one-field format holding just
    /// that array, whose pack is the array's pack (for unpacking).
    wrappers: Vec<Option<Arc<Format>>>,
}

impl BeatSchema {
    /// The record layout of objects of `format`.
    pub fn new(format: Arc<Format>) -> BeatSchema {
        let schema = Schema::from_dataformat(&format);
        let wrappers = format
            .fields()
            .iter()
            .map(|f| match &f.ty {
                FieldType::Array(ArrayType {
                    element: Element::Object(_),
                    ..
                }) => Some(Arc::new(Format::new(
                    format!("{}.{}", format.name(), f.name),
                    vec![f.clone()],
                ))),
                _ => None,
            })
            .collect();
        BeatSchema {
            format,
            schema,
            wrappers,
        }
    }

    /// The BEAT format.
    pub fn format(&self) -> &Arc<Format> {
        &self.format
    }

    /// The record schema (one codec per field, in declaration order).
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The field values of an object, in the format's declaration order.
    /// Numeric arrays are zero-copy.
    ///
    /// # Errors
    /// [`Error::DataFormat`] when `object` is of another format.
    pub fn to_values(&self, object: &Object) -> Result<Vec<Value>> {
        if object.format().as_ref() != self.format.as_ref() {
            return Err(Error::DataFormat(vellum_dataformat::Error::WrongType {
                format: self.format.name().to_owned(),
                field: String::new(),
                expected: format!("an object of `{}'", self.format.name()),
                found: format!("an object of `{}'", object.format().name()),
            }));
        }
        object.values().iter().map(value_of).collect()
    }

    /// The encoded fields of an object, ready for
    /// [`DatasetWriter::append`](crate::DatasetWriter::append).
    pub fn encode(&self, object: &Object) -> Result<Vec<Vec<u8>>> {
        self.schema.encode(&self.to_values(object)?)
    }

    /// The object of a record's field values (as [`Schema::encode`] and
    /// [`Record::decode`] see them), checked against the format.
    ///
    /// # Errors
    /// [`Error::BadValue`] naming the field when a value has the wrong kind,
    /// is out of range or has the wrong dtype; [`Error::DataFormat`] when a
    /// packed sub-object does not unpack or a shape breaks the declaration.
    pub fn to_object(&self, values: &[Value]) -> Result<Object> {
        let fields = self.format.fields();
        if values.len() != fields.len() {
            return Err(Error::BadValue {
                codec: self.schema.to_string(),
                reason: format!(
                    "{} values for the {} fields of `{}'",
                    values.len(),
                    fields.len(),
                    self.format.name()
                ),
            });
        }
        let beat = fields
            .iter()
            .zip(values)
            .zip(&self.wrappers)
            .map(|((f, v), w)| beat_value(f, v, w.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Object::new(self.format.clone(), beat)?)
    }

    /// Decodes a record into an object of the format.
    pub fn decode(&self, record: &Record) -> Result<Object> {
        self.to_object(&record.decode(&self.schema)?)
    }
}

fn value_of(v: &BeatValue) -> Result<Value> {
    Ok(match v {
        BeatValue::Bool(b) => Value::Bool(*b),
        BeatValue::Int8(x) => Value::Int((*x).into()),
        BeatValue::Int16(x) => Value::Int((*x).into()),
        BeatValue::Int32(x) => Value::Int((*x).into()),
        BeatValue::Int64(x) => Value::Int(*x),
        BeatValue::UInt8(x) => Value::UInt((*x).into()),
        BeatValue::UInt16(x) => Value::UInt((*x).into()),
        BeatValue::UInt32(x) => Value::UInt((*x).into()),
        BeatValue::UInt64(x) => Value::UInt(*x),
        BeatValue::Float32(x) => Value::Float((*x).into()),
        BeatValue::Float64(x) => Value::Float(*x),
        BeatValue::Complex64(c) => {
            let mut b = c.re.to_le_bytes().to_vec();
            b.extend_from_slice(&c.im.to_le_bytes());
            complex_npy(Scalar::Complex64, b)?
        }
        BeatValue::Complex128(c) => {
            let mut b = c.re.to_le_bytes().to_vec();
            b.extend_from_slice(&c.im.to_le_bytes());
            complex_npy(Scalar::Complex128, b)?
        }
        BeatValue::String(s) => Value::Str(s.clone()),
        BeatValue::Object(o) => Value::Bytes(Bytes::from(pack_object(o))),
        BeatValue::Array(a) => match a.data() {
            ArrayData::Numbers { scalar, bytes } => Value::Array(NpyArray::new(
                Descr::Numeric(DType::le(*scalar)),
                a.shape().to_vec(),
                false,
                bytes.clone(),
            )?),
            ArrayData::Strings(s) => {
                check_list_count(a.shape(), s.len())?;
                nest_strings(a.shape(), s)
            }
            ArrayData::Objects(objs) => {
                // BEAT spec §8: an array is its extents as `u64`, then its
                // elements in row-major order.
                let mut out = Vec::new();
                for e in a.shape() {
                    out.extend_from_slice(&e.to_le_bytes());
                }
                for o in objs {
                    out.extend_from_slice(&pack_object(o));
                }
                Value::Bytes(Bytes::from(out))
            }
        },
    })
}

fn pack_object(o: &Object) -> Vec<u8> {
    // An object always packs with its own format (the only error is a
    // format mismatch).
    o.format().pack(o).unwrap_or_default()
}

fn complex_npy(s: Scalar, bytes: Vec<u8>) -> Result<Value> {
    Ok(Value::Array(NpyArray::new(
        Descr::Numeric(DType::le(s)),
        Vec::new(),
        false,
        Bytes::from(bytes),
    )?))
}

/// Refuses string arrays whose nested lists would dwarf their strings: an
/// empty array's extents (e.g. `[2^40, 0]`) cost 8 bytes each in a pack but
/// one list item each here.
fn check_list_count(shape: &[u64], strings: usize) -> Result<()> {
    let mut lists = 0u64;
    let mut prod = 1u64;
    for &e in shape {
        prod = prod.saturating_mul(e);
        lists = lists.saturating_add(prod);
    }
    let cap = (strings as u64).saturating_mul(5).saturating_add(1 << 20);
    if lists > cap {
        return Err(Error::BadValue {
            codec: "list<str>".into(),
            reason: format!(
                "a string array of shape {shape:?} needs {lists} list items for {strings} strings"
            ),
        });
    }
    Ok(())
}

/// Row-major strings of `shape` as lists nested once per dimension.
fn nest_strings(shape: &[u64], items: &[String]) -> Value {
    match shape.split_first() {
        None => Value::Str(items.first().cloned().unwrap_or_default()),
        Some((&n, rest)) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            let chunk = items.len().checked_div(n).unwrap_or(0);
            Value::List(
                (0..n)
                    .map(|i| {
                        let lo = (i * chunk).min(items.len());
                        let hi = (lo + chunk).min(items.len());
                        nest_strings(rest, items.get(lo..hi).unwrap_or_default())
                    })
                    .collect(),
            )
        }
    }
}

fn bad(field: &Field, reason: impl Into<String>) -> Error {
    Error::BadValue {
        codec: format!("beat field `{}' ({})", field.name, field.ty.describe()),
        reason: reason.into(),
    }
}

fn beat_value(field: &Field, v: &Value, wrapper: Option<&Arc<Format>>) -> Result<BeatValue> {
    Ok(match &field.ty {
        FieldType::Primitive(Primitive::String) => match v {
            Value::Str(s) => BeatValue::String(s.clone()),
            v => return Err(bad(field, format!("expected str, got {}", v.kind()))),
        },
        FieldType::Primitive(Primitive::Number(s)) => scalar_value(field, *s, v)?,
        FieldType::Object(f) => BeatValue::Object(f.unpack(&packed(field, v)?)?),
        FieldType::Array(a) => match &a.element {
            Element::Primitive(Primitive::Number(s)) => {
                BeatValue::Array(numeric_array(field, *s, v)?)
            }
            Element::Primitive(Primitive::String) => {
                let mut shape = Vec::new();
                let mut items = Vec::new();
                flatten_strings(field, a, v, 0, &mut shape, &mut items)?;
                BeatValue::Array(Array::new(shape, ArrayData::Strings(items))?)
            }
            Element::Object(_) => {
                let w = wrapper.ok_or_else(|| bad(field, "no array layout"))?;
                let obj = w.unpack(&packed(field, v)?)?;
                obj.values()
                    .first()
                    .cloned()
                    .ok_or_else(|| bad(field, "empty array pack"))?
            }
        },
    })
}

fn packed(field: &Field, v: &Value) -> Result<Bytes> {
    match v {
        Value::Bytes(b) => Ok(b.clone()),
        v => Err(bad(
            field,
            format!("expected the BEAT pack as bytes, got {}", v.kind()),
        )),
    }
}

fn scalar_value(field: &Field, s: Scalar, v: &Value) -> Result<BeatValue> {
    let int = || -> Result<i128> {
        match *v {
            Value::Int(i) => Ok(i.into()),
            Value::UInt(u) => Ok(u.into()),
            _ => Err(bad(field, format!("expected an integer, got {}", v.kind()))),
        }
    };
    let range = |n: i128| bad(field, format!("{n} is out of range for {s}"));
    let float = || {
        v.as_f64()
            .ok_or_else(|| bad(field, format!("expected a float, got {}", v.kind())))
    };
    Ok(match s {
        Scalar::Bool => match *v {
            Value::Bool(b) => BeatValue::Bool(b),
            _ => return Err(bad(field, format!("expected a bool, got {}", v.kind()))),
        },
        Scalar::Int8 => {
            let n = int()?;
            BeatValue::Int8(i8::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::Int16 => {
            let n = int()?;
            BeatValue::Int16(i16::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::Int32 => {
            let n = int()?;
            BeatValue::Int32(i32::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::Int64 => {
            let n = int()?;
            BeatValue::Int64(i64::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::UInt8 => {
            let n = int()?;
            BeatValue::UInt8(u8::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::UInt16 => {
            let n = int()?;
            BeatValue::UInt16(u16::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::UInt32 => {
            let n = int()?;
            BeatValue::UInt32(u32::try_from(n).map_err(|_| range(n))?)
        }
        Scalar::UInt64 => {
            let n = int()?;
            BeatValue::UInt64(u64::try_from(n).map_err(|_| range(n))?)
        }
        // A float32 field was stored as an f32, so narrowing is exact.
        Scalar::Float16 | Scalar::Float32 => BeatValue::Float32(float()? as f32),
        Scalar::Float64 => BeatValue::Float64(float()?),
        Scalar::Complex64 | Scalar::Complex128 => {
            let a = numeric_array(field, s, v)?;
            if !a.shape().is_empty() {
                return Err(bad(field, "expected a 0-d array"));
            }
            let bytes = match a.data() {
                ArrayData::Numbers { bytes, .. } => bytes.clone(),
                _ => return Err(bad(field, "expected a complex number")),
            };
            let half = s.item_size() / 2;
            let part = |i: usize| bytes.get(i * half..(i + 1) * half).unwrap_or_default();
            if s == Scalar::Complex64 {
                let f = |b: &[u8]| f32::from_le_bytes(b.try_into().unwrap_or_default());
                BeatValue::Complex64(Complex32::new(f(part(0)), f(part(1))))
            } else {
                let f = |b: &[u8]| f64::from_le_bytes(b.try_into().unwrap_or_default());
                BeatValue::Complex128(Complex64::new(f(part(0)), f(part(1))))
            }
        }
    })
}

/// A numeric BEAT array (row-major, little-endian) from a `.npy` value of
/// exactly the element dtype, converting Fortran order and big-endian data.
fn numeric_array(field: &Field, s: Scalar, v: &Value) -> Result<Array> {
    let npy = match v {
        Value::Array(a) => a,
        v => {
            return Err(bad(
                field,
                format!("expected an npy array, got {}", v.kind()),
            ));
        }
    };
    let dtype = match npy.descr() {
        Descr::Numeric(d) if d.scalar == s => *d,
        d => {
            return Err(bad(
                field,
                format!("expected dtype {}, the array has {d}", DType::le(s).descr()),
            ));
        }
    };
    let size = s.item_size();
    let mut data = npy.data().clone();
    if npy.fortran_order() && npy.shape().len() > 1 {
        data = Bytes::from(fortran_to_c(&data, npy.shape(), size));
    }
    if dtype.order == ByteOrder::Big && size > 1 {
        // Complex numbers swap each of their two parts.
        let part = if matches!(s, Scalar::Complex64 | Scalar::Complex128) {
            size / 2
        } else {
            size
        };
        let mut swapped = data.to_vec();
        for chunk in swapped.chunks_exact_mut(part) {
            chunk.reverse();
        }
        data = Bytes::from(swapped);
    }
    if s == Scalar::Bool && data.iter().any(|&b| b > 1) {
        return Err(bad(field, "a bool element is neither 0 nor 1"));
    }
    Ok(Array::new(
        npy.shape().to_vec(),
        ArrayData::Numbers {
            scalar: s,
            bytes: data,
        },
    )?)
}

/// Reorders column-major elements of `size` bytes to row-major.
fn fortran_to_c(data: &[u8], shape: &[u64], size: usize) -> Vec<u8> {
    let dims: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(0))
        .collect();
    let count: usize = dims.iter().product();
    let mut out = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; dims.len()];
    for _ in 0..count {
        // Column-major offset of the row-major index `idx`.
        let mut off = 0usize;
        let mut stride = 1usize;
        for (&i, &d) in idx.iter().zip(&dims) {
            off += i * stride;
            stride *= d;
        }
        let at = off * size;
        out.extend_from_slice(data.get(at..at + size).unwrap_or_default());
        // Advance the row-major index, last dimension fastest.
        for (i, &d) in idx.iter_mut().zip(&dims).rev() {
            *i += 1;
            if *i < d {
                break;
            }
            *i = 0;
        }
    }
    out
}

/// Flattens nested lists of strings, inferring the shape; dimensions under
/// an empty list take the declared extent (or 0 when unspecified).
fn flatten_strings(
    field: &Field,
    ty: &ArrayType,
    v: &Value,
    dim: usize,
    shape: &mut Vec<u64>,
    items: &mut Vec<String>,
) -> Result<()> {
    if dim == ty.extents.len() {
        return match v {
            Value::Str(s) => {
                items.push(s.clone());
                Ok(())
            }
            v => Err(bad(field, format!("expected str, got {}", v.kind()))),
        };
    }
    let list = match v {
        Value::List(l) => l,
        v => return Err(bad(field, format!("expected a list, got {}", v.kind()))),
    };
    let n = list.len() as u64;
    match shape.get(dim) {
        Some(&have) if have != n => {
            return Err(bad(
                field,
                format!("ragged lists: {n} items where a sibling has {have}"),
            ));
        }
        Some(_) => {}
        None => shape.push(n),
    }
    if list.is_empty() && shape.len() == dim + 1 {
        shape.extend(ty.extents.iter().skip(dim + 1));
    }
    for item in list {
        flatten_strings(field, ty, item, dim + 1, shape, items)?;
    }
    Ok(())
}
