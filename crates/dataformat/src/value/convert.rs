//! Building typed values from input values with the platform's rules
//! (spec §7): safe casting as `DataFormat.validate` / `from_dict` does,
//! unsafe conversion as the generated class's constructor does, `None` and
//! falsy shortcuts, and defaults.
//!
//! Deliberate differences: lists given for scalar fields and non-text
//! elements of string arrays are refused here instead of failing at pack
//! time (F5); trailing NULs of string-array elements are kept (F6); default
//! numeric arrays are zero-filled (F2).

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use num_complex::{Complex32, Complex64};
use vellum_format_core::Scalar;

use crate::error::{Error, Result};
use crate::format::{ArrayType, Element, FieldType, Format, Primitive};
use crate::text::json::{self, Json, JsonInt};
use crate::text::python::str_repr;
use crate::value::input::{Num, Py};
use crate::value::value::{Array, ArrayData, Object, Value};

/// How numbers are converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Casting {
    /// numpy safe casting for non-zero scalars, as `DataFormat.validate`
    /// does: plain JSON integers only fit `int64`, `uint64`, `float64` and
    /// `complex128` fields.
    Safe,
    /// numpy's scalar constructors, as the class constructor does: floats
    /// truncate, numeric strings parse, integers wrap.
    Unsafe,
}

/// The conversion mode: casting and what missing fields mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conversion {
    /// Number conversion.
    pub casting: Casting,
    /// Missing fields take their defaults (else they are an error).
    pub defaults: bool,
}

impl Conversion {
    /// `DataFormat.validate(d)`: safe casting, every field required.
    pub const VALIDATE: Conversion = Conversion {
        casting: Casting::Safe,
        defaults: false,
    };
    /// `from_dict(d, casting="safe", add_defaults=True)`.
    pub const SAFE_DEFAULTS: Conversion = Conversion {
        casting: Casting::Safe,
        defaults: true,
    };
    /// The class constructor `T(**d)`: unsafe casting, defaults.
    pub const CONSTRUCT: Conversion = Conversion {
        casting: Casting::Unsafe,
        defaults: true,
    };
}

impl Format {
    /// Builds an object from a JSON value (plain, or tagged as in the corpus
    /// README) with the platform's rules for `conversion`.
    ///
    /// ```
    /// use vellum_dataformat::{Conversion, Registry, Resolver};
    /// let mut reg = Registry::new();
    /// reg.insert("me/det/1", r#"{"x": "int32", "score": "float64"}"#);
    /// let det = Resolver::new(reg).load("me/det/1")?;
    /// // Plain JSON integers do not fit int32 under safe casting ...
    /// assert!(det.from_json_text(r#"{"x": 3, "score": 0.5}"#, Conversion::VALIDATE).is_err());
    /// // ... but do through the constructor's unsafe conversion.
    /// let o = det.from_json_text(r#"{"x": 3, "score": 0.5}"#, Conversion::CONSTRUCT)?;
    /// assert_eq!(det.pack(&o)?, [0, 0, 0, 0, 0, 0, 0xe0, 0x3f, 3, 0, 0, 0]);
    /// # Ok::<(), vellum_dataformat::Error>(())
    /// ```
    pub fn from_json(self: &Arc<Self>, value: &Json, conversion: Conversion) -> Result<Object> {
        from_py(self, &Py::decode(value)?, conversion)
    }

    /// [`Format::from_json`] on JSON text.
    pub fn from_json_text(self: &Arc<Self>, text: &str, conversion: Conversion) -> Result<Object> {
        self.from_json(&json::parse(text)?, conversion)
    }
}

fn sorted(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let set: BTreeSet<String> = names.into_iter().collect();
    set.into_iter().collect()
}

/// `from_dict`: the whole object.
pub(crate) fn from_py(format: &Arc<Format>, py: &Py<'_>, conv: Conversion) -> Result<Object> {
    let members: &[(String, Json)] = match py {
        Py::None => &[],
        Py::Dict(m) => m,
        other => {
            return Err(Error::NotAnObject {
                format: format.name().to_owned(),
                field: String::new(),
                found: other.type_name(),
            });
        }
    };
    let given = || {
        members
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != "__type__")
    };
    let declared = || format.fields().iter().map(|f| f.name.as_str());
    let required = || sorted(declared().map(str::to_owned));
    if conv.defaults {
        let extra: Vec<String> = given()
            .filter(|k| format.field_index(k).is_none())
            .map(str::to_owned)
            .collect();
        if !extra.is_empty() {
            return Err(Error::UnexpectedFields {
                format: format.name().to_owned(),
                extra: sorted(extra),
                required: required(),
            });
        }
    } else {
        // JSON objects have unique keys, so the key set equals the declared
        // set exactly when the counts match and every key is declared.
        let n = given().count();
        if n != format.fields().len() || given().any(|k| format.field_index(k).is_none()) {
            let given_set: BTreeSet<&str> = given().collect();
            let declared_set: BTreeSet<&str> = declared().collect();
            return Err(Error::MissingFields {
                format: format.name().to_owned(),
                missing: sorted(declared_set.difference(&given_set).map(|s| (*s).to_owned())),
                required: required(),
            });
        }
    }
    let mut values = Vec::with_capacity(format.fields().len());
    for field in format.fields() {
        let found = members.iter().find(|(k, _)| *k == field.name);
        let ctx = Ctx {
            format: format.name(),
            field: &field.name,
        };
        let v = match found {
            None => Value::default_of(&field.ty)?,
            Some((_, j)) => field_value(&ctx, &field.ty, &Py::decode(j)?, conv)?,
        };
        values.push(v);
    }
    Ok(Object::from_parts_unchecked(format.clone(), values))
}

struct Ctx<'a> {
    format: &'a str,
    field: &'a str,
}

impl Ctx<'_> {
    fn conversion(&self, reason: impl Into<String>) -> Error {
        Error::Conversion {
            format: self.format.to_owned(),
            field: self.field.to_owned(),
            reason: reason.into(),
        }
    }

    fn too_large(&self, text: String) -> Error {
        Error::IntegerTooLarge {
            format: self.format.to_owned(),
            field: self.field.to_owned(),
            value: text,
        }
    }
}

fn field_value(ctx: &Ctx<'_>, ty: &FieldType, py: &Py<'_>, conv: Conversion) -> Result<Value> {
    match ty {
        FieldType::Primitive(Primitive::String) => Ok(Value::String(match py {
            Py::None => String::new(),
            other => other.to_str()?,
        })),
        FieldType::Primitive(Primitive::Number(s)) => number_field(ctx, *s, py, conv.casting),
        FieldType::Object(f) => match py {
            Py::None | Py::Dict(_) => Ok(Value::Object(from_py(f, py, conv)?)),
            other => Err(Error::NotAnObject {
                format: ctx.format.to_owned(),
                field: ctx.field.to_owned(),
                found: other.type_name(),
            }),
        },
        FieldType::Array(a) => Ok(Value::Array(array_field(ctx, a, py, conv)?)),
    }
}

/// A scalar numeric field (spec §7.2, §7.6).
fn number_field(ctx: &Ctx<'_>, target: Scalar, py: &Py<'_>, casting: Casting) -> Result<Value> {
    if let Py::None = py {
        return Ok(Value::zero(target));
    }
    // Falsy values skip the safe-cast check on purpose (a JSON 0 fits uint64).
    if casting == Casting::Safe && py.truthy() {
        let scalar = match py {
            Py::Np(x, _) => Some(*x),
            other => other.source_type().1,
        };
        if !scalar.is_some_and(|s| s.can_cast_safely(target)) {
            return Err(Error::UnsafeCast {
                format: ctx.format.to_owned(),
                field: ctx.field.to_owned(),
                from: py.source_type().0,
                to: target.name().to_owned(),
            });
        }
    }
    if let Py::List(_) | Py::NdArray(..) = py {
        // F5: the platform stores the list and fails only at pack time.
        return Err(Error::NotAScalar {
            format: ctx.format.to_owned(),
            field: ctx.field.to_owned(),
        });
    }
    convert_number(ctx, target, py, false)
}

/// numpy's conversion of one value to `target` (the scalar constructor, or
/// one element of `numpy.array(..., dtype=target)` when `element`).
fn convert_number(ctx: &Ctx<'_>, target: Scalar, py: &Py<'_>, element: bool) -> Result<Value> {
    if target == Scalar::Bool {
        return Ok(Value::Bool(py.truthy()));
    }
    let num = match py {
        Py::None if element && target.is_integer() => {
            return Err(ctx.conversion(
                "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
            ));
        }
        Py::None if element => Num::Float(f64::NAN),
        Py::None => Num::Int(0),
        Py::Bool(b) => Num::Bool(*b),
        Py::Int(JsonInt::Small(i)) => Num::Int(*i),
        Py::Int(JsonInt::Big(t)) => {
            if target.is_integer() {
                return Err(ctx.too_large(t.clone()));
            }
            Num::Float(t.parse().unwrap_or(f64::INFINITY))
        }
        Py::Float(f) => Num::Float(*f),
        Py::Complex(r, i) => {
            if target.is_integer() {
                return Err(ctx.conversion(
                    "int() argument must be a string, a bytes-like object or a real number, not 'complex'",
                ));
            }
            if target.is_float() {
                return Err(ctx.conversion(
                    "float() argument must be a string or a real number, not 'complex'",
                ));
            }
            Num::Complex(*r, *i)
        }
        Py::Str(s) => parse_str(ctx, target, s)?,
        Py::Dict(_) | Py::List(_) | Py::NdArray(..) => {
            let t = py.type_name();
            return Err(ctx.conversion(if target.is_integer() {
                format!("int() argument must be a string, a bytes-like object or a real number, not '{t}'")
            } else if target.is_float() {
                format!("float() argument must be a string or a real number, not '{t}'")
            } else {
                format!("must be real number, not {t}")
            }));
        }
        Py::Np(_, n) => *n,
    };
    cast_num(ctx, target, num)
}

fn cast_num(ctx: &Ctx<'_>, target: Scalar, num: Num) -> Result<Value> {
    if target.is_integer() {
        let i: i128 = match num {
            Num::Bool(b) => i128::from(b),
            Num::Int(i) => {
                if i < i128::from(i64::MIN) || i > i128::from(u64::MAX) {
                    return Err(ctx.too_large(i.to_string()));
                }
                i
            }
            Num::Float(f) | Num::Complex(f, _) => {
                if f.is_nan() {
                    return Err(ctx.conversion("cannot convert float NaN to integer"));
                }
                if f.is_infinite() {
                    return Err(ctx.conversion("cannot convert float infinity to integer"));
                }
                f.trunc() as i128
            }
        };
        // Out-of-range integers wrap modulo 2^bits, as numpy 1.x does.
        return Ok(match target {
            Scalar::Int8 => Value::Int8(i as i8),
            Scalar::Int16 => Value::Int16(i as i16),
            Scalar::Int32 => Value::Int32(i as i32),
            Scalar::Int64 => Value::Int64(i as i64),
            Scalar::UInt8 => Value::UInt8(i as u8),
            Scalar::UInt16 => Value::UInt16(i as u16),
            Scalar::UInt32 => Value::UInt32(i as u32),
            _ => Value::UInt64(i as u64),
        });
    }
    let (re, im) = match num {
        Num::Bool(b) => (f64::from(u8::from(b)), 0.0),
        Num::Int(i) => (i as f64, 0.0),
        Num::Float(f) => (f, 0.0),
        Num::Complex(r, i) => (r, i),
    };
    Ok(match target {
        Scalar::Float32 | Scalar::Float16 => Value::Float32(re as f32),
        Scalar::Float64 => Value::Float64(re),
        Scalar::Complex64 => Value::Complex64(Complex32::new(re as f32, im as f32)),
        _ => Value::Complex128(Complex64::new(re, im)),
    })
}

/// Python's `int(s)`, `float(s)` or `complex(s)` for a numeric target.
fn parse_str(ctx: &Ctx<'_>, target: Scalar, s: &str) -> Result<Num> {
    let t = s.trim();
    if target.is_integer() {
        return parse_py_int(t).map(Num::Int).ok_or_else(|| {
            ctx.conversion(format!(
                "invalid literal for int() with base 10: {}",
                str_repr(s)
            ))
        });
    }
    if target.is_float() {
        return parse_py_float(t).map(Num::Float).ok_or_else(|| {
            ctx.conversion(format!(
                "could not convert string to float: {}",
                str_repr(s)
            ))
        });
    }
    parse_py_complex(t)
        .map(|(r, i)| Num::Complex(r, i))
        .ok_or_else(|| ctx.conversion("complex() arg is a malformed string"))
}

fn strip_underscores(t: &str) -> Option<String> {
    // Python allows single underscores between digits only.
    let b = t.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'_' {
            let before = i.checked_sub(1).and_then(|j| b.get(j));
            let after = b.get(i + 1);
            if !(before.is_some_and(u8::is_ascii_digit) && after.is_some_and(u8::is_ascii_digit)) {
                return None;
            }
        }
    }
    Some(t.replace('_', ""))
}

fn parse_py_int(t: &str) -> Option<i128> {
    let t = strip_underscores(t)?;
    let digits = t.strip_prefix(['+', '-']).unwrap_or(&t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Longer than i128: treat as the largest, which then overflows 64 bits.
    Some(t.parse::<i128>().unwrap_or(if t.starts_with('-') {
        i128::MIN
    } else {
        i128::MAX
    }))
}

fn parse_py_float(t: &str) -> Option<f64> {
    let t = strip_underscores(t)?;
    let body = t.strip_prefix(['+', '-']).unwrap_or(&t);
    let lower = body.to_ascii_lowercase();
    let neg = t.starts_with('-');
    let v = match lower.as_str() {
        "nan" => f64::NAN,
        "inf" | "infinity" => f64::INFINITY,
        _ => {
            if body.is_empty()
                || !body
                    .bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
            {
                return None;
            }
            body.parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

fn parse_py_complex(t: &str) -> Option<(f64, f64)> {
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .map_or(t, str::trim);
    if t.is_empty() {
        return None;
    }
    let Some(body) = t.strip_suffix(['j', 'J']) else {
        return Some((parse_py_float(t)?, 0.0));
    };
    let imag = |s: &str| match s {
        "" | "+" => Some(1.0),
        "-" => Some(-1.0),
        s => parse_py_float(s),
    };
    // Split at the last sign that is not the first character nor part of
    // an exponent.
    let b = body.as_bytes();
    let split = (1..b.len()).rev().find(|&i| {
        matches!(b.get(i), Some(b'+' | b'-')) && !matches!(b.get(i - 1), Some(b'e' | b'E'))
    });
    match split {
        Some(i) => Some((parse_py_float(body.get(..i)?)?, imag(body.get(i..)?)?)),
        None => Some((0.0, imag(body)?)),
    }
}

/// Shape and row-major leaves of nested lists (numpy's shape discovery);
/// `None` when ragged.
fn nest(items: &[Json]) -> Option<(Vec<u64>, Vec<&Json>)> {
    fn shape_of(j: &Json) -> Vec<u64> {
        let mut shape = Vec::new();
        let mut cur = j;
        while let Json::Array(items) = cur {
            shape.push(items.len() as u64);
            match items.first() {
                Some(first) => cur = first,
                None => break,
            }
        }
        shape
    }
    fn collect<'a>(j: &'a Json, shape: &[u64], out: &mut Vec<&'a Json>) -> bool {
        match (shape.split_first(), j) {
            (None, Json::Array(_)) => false,
            (None, leaf) => {
                out.push(leaf);
                true
            }
            (Some((&n, rest)), Json::Array(items)) => {
                items.len() as u64 == n && items.iter().all(|i| collect(i, rest, out))
            }
            (Some(_), _) => false,
        }
    }
    let mut shape = vec![items.len() as u64];
    if let Some(first) = items.first() {
        shape.extend(shape_of(first));
    }
    let rest = shape.get(1..).unwrap_or(&[]);
    let mut leaves = Vec::new();
    items
        .iter()
        .all(|i| collect(i, rest, &mut leaves))
        .then_some((shape, leaves))
}

fn check_shape(ctx: &Ctx<'_>, ty: &ArrayType, shape: &[u64]) -> Result<()> {
    if shape.len() != ty.extents.len() {
        return Err(Error::Dimensions {
            format: ctx.format.to_owned(),
            field: ctx.field.to_owned(),
            found: shape.len(),
            expected: ty.extents.len(),
        });
    }
    for (dim, (&want, &have)) in ty.extents.iter().zip(shape).enumerate() {
        if want != 0 && want != have {
            return Err(Error::Extent {
                format: ctx.format.to_owned(),
                field: ctx.field.to_owned(),
                dim,
                found: have,
                expected: want,
            });
        }
    }
    Ok(())
}

fn ragged(ctx: &Ctx<'_>) -> Error {
    Error::Ragged {
        format: ctx.format.to_owned(),
        field: ctx.field.to_owned(),
    }
}

/// A numeric array: numpy's `array(value, dtype=target)` (unsafe element
/// conversion), then the shape checks. Elements are converted one by one
/// straight into little-endian bytes.
fn numeric_array(ctx: &Ctx<'_>, ty: &ArrayType, target: Scalar, py: &Py<'_>) -> Result<Array> {
    let mut bytes = Vec::new();
    let shape = match py {
        Py::NdArray(src, shape, data) => {
            bytes.reserve(data.len() * target.item_size());
            for j in *data {
                // Integers into an integer type: numpy wraps, which is the
                // low bytes of the two's-complement value.
                if let (Json::Int(JsonInt::Small(i)), true, true) =
                    (j, src.is_integer(), target.is_integer())
                    && (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(i)
                {
                    bytes.extend_from_slice(
                        i.to_le_bytes().get(..target.item_size()).unwrap_or(&[]),
                    );
                    continue;
                }
                let num = crate::value::input::np_num(*src, j)?;
                let v = if target == Scalar::Bool {
                    Value::Bool(!num.is_zero())
                } else {
                    cast_num(ctx, target, num)?
                };
                crate::binary::pack::scalar_le(&v, &mut bytes);
            }
            shape.clone()
        }
        Py::List(items) => {
            let (shape, leaves) = nest(items).ok_or_else(|| ragged(ctx))?;
            bytes.reserve(leaves.len() * target.item_size());
            for j in leaves {
                let v = convert_number(ctx, target, &Py::decode(j)?, true)?;
                crate::binary::pack::scalar_le(&v, &mut bytes);
            }
            shape
        }
        other => {
            let v = convert_number(ctx, target, other, true)?;
            crate::binary::pack::scalar_le(&v, &mut bytes);
            Vec::new()
        }
    };
    // Conversion errors come before the shape checks, as in numpy.
    check_shape(ctx, ty, &shape)?;
    Ok(Array::from_parts_unchecked(
        shape,
        ArrayData::Numbers {
            scalar: target,
            bytes: Bytes::from(bytes),
        },
    ))
}

/// An array field (spec §7.5).
fn array_field(ctx: &Ctx<'_>, ty: &ArrayType, py: &Py<'_>, conv: Conversion) -> Result<Array> {
    // Empty values (None, any falsy value, a zero-size array) give the
    // default array, whose fixed extents then trivially pass.
    let empty = match py {
        Py::NdArray(_, shape, _) => shape.contains(&0),
        other => !other.truthy(),
    };
    if empty {
        // Each element of a default object array is converted from `None`:
        // without defaults that is the missing-fields error of its format.
        if let Element::Object(f) = &ty.element
            && !conv.defaults
            && crate::value::value::default_count(ty)? > 0
        {
            from_py(f, &Py::None, conv)?;
        }
        return Array::default_of(ty);
    }
    if let Element::Primitive(Primitive::Number(s)) = &ty.element {
        return numeric_array(ctx, ty, *s, py);
    }
    let (shape, leaves): (Vec<u64>, Vec<Py<'_>>) = match py {
        Py::NdArray(s, shape, data) => {
            let leaves = data
                .iter()
                .map(|j| Ok(Py::Np(*s, crate::value::input::np_num(*s, j)?)))
                .collect::<Result<Vec<_>>>()?;
            (shape.clone(), leaves)
        }
        Py::List(items) => {
            let (shape, leaves) = nest(items).ok_or_else(|| ragged(ctx))?;
            (
                shape,
                leaves.into_iter().map(Py::decode).collect::<Result<_>>()?,
            )
        }
        other => (Vec::new(), vec![other.clone()]),
    };
    match &ty.element {
        Element::Primitive(Primitive::Number(_)) => Err(ragged(ctx)),
        Element::Primitive(Primitive::String) => {
            check_shape(ctx, ty, &shape)?;
            let any_text = leaves.iter().any(|l| matches!(l, Py::Str(_)));
            let mut out = Vec::with_capacity(leaves.len());
            for (index, leaf) in leaves.iter().enumerate() {
                match leaf {
                    Py::Str(s) => out.push((*s).to_owned()),
                    // numpy turns numbers into text only next to strings;
                    // anything else fails at pack time in the platform (F5).
                    Py::Bool(_) | Py::Int(_) | Py::Float(_) | Py::Complex(..) | Py::Np(..)
                        if any_text =>
                    {
                        out.push(leaf.to_str()?)
                    }
                    other => {
                        return Err(Error::NotAString {
                            format: ctx.format.to_owned(),
                            field: ctx.field.to_owned(),
                            index,
                            found: other.type_name(),
                        });
                    }
                }
            }
            Ok(Array::from_parts_unchecked(shape, ArrayData::Strings(out)))
        }
        Element::Object(f) => {
            check_shape(ctx, ty, &shape)?;
            if f.min_packed_size() == 0 && leaves.len() as u64 > crate::value::MAX_EMPTY_OBJECTS {
                return Err(Error::TooLarge {
                    requested: leaves.len() as u64,
                    limit: crate::value::MAX_EMPTY_OBJECTS,
                });
            }
            let objs = leaves
                .iter()
                .map(|leaf| match leaf {
                    Py::Dict(_) | Py::None => from_py(f, leaf, conv),
                    other => Err(Error::NotAnObject {
                        format: ctx.format.to_owned(),
                        field: ctx.field.to_owned(),
                        found: other.type_name(),
                    }),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Array::from_parts_unchecked(shape, ArrayData::Objects(objs)))
        }
    }
}
