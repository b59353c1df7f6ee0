//! Input values as the platform receives them: plain JSON (Python `int`,
//! `float`, `str`, `list`, `dict`, `None`) or the corpus's tagged encoding
//! for numpy-typed values (`{"$np": "int8", "v": 5}`, `{"$complex": [re,
//! im]}`, `{"$float": "nan"}`, `{"$ndarray": {...}}`).

use vellum_format_core::Scalar;

use crate::error::{Error, Result};
use crate::text::json::{Json, JsonInt};
use crate::text::python::{complex_repr, float_repr, float32_repr, str_repr};

/// A number as held by a Python or numpy scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
}

impl Num {
    pub(crate) fn is_zero(self) -> bool {
        match self {
            Num::Bool(b) => !b,
            Num::Int(i) => i == 0,
            Num::Float(f) => f == 0.0,
            Num::Complex(r, i) => r == 0.0 && i == 0.0,
        }
    }
}

/// One input value, decoded from its JSON form.
#[derive(Debug, Clone)]
pub(crate) enum Py<'a> {
    None,
    Bool(bool),
    Int(&'a JsonInt),
    Float(f64),
    Complex(f64, f64),
    Str(&'a str),
    List(&'a [Json]),
    Dict(&'a [(String, Json)]),
    /// A numpy scalar of a given type.
    Np(Scalar, Num),
    /// A numpy array: dtype, shape and flat row-major data.
    NdArray(Scalar, Vec<u64>, &'a [Json]),
}

fn tag_error(msg: impl Into<String>) -> Error {
    Error::BadTag(msg.into())
}

/// A JSON number or `{"$float": ...}` as an `f64`.
pub(crate) fn json_f64(j: &Json) -> Result<f64> {
    match j {
        Json::Int(i) => Ok(i.to_f64()),
        Json::Float(f) => Ok(*f),
        Json::Bool(b) => Ok(f64::from(u8::from(*b))),
        Json::Object(m) => match m.as_slice() {
            [(k, Json::String(s))] if k == "$float" => match s.as_str() {
                "nan" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(tag_error(format!("unknown $float {other:?}"))),
            },
            _ => Err(tag_error("expected a number")),
        },
        _ => Err(tag_error("expected a number")),
    }
}

impl<'a> Py<'a> {
    /// Decodes one JSON value (tags included).
    pub(crate) fn decode(j: &'a Json) -> Result<Py<'a>> {
        Ok(match j {
            Json::Null => Py::None,
            Json::Bool(b) => Py::Bool(*b),
            Json::Int(i) => Py::Int(i),
            Json::Float(f) => Py::Float(*f),
            Json::String(s) => Py::Str(s),
            Json::Array(a) => Py::List(a),
            Json::Object(m) => match m.first() {
                Some((k, _)) if k.starts_with('$') => decode_tag(j, k)?,
                _ => Py::Dict(m),
            },
        })
    }

    /// Python truthiness (`bool(x)`).
    pub(crate) fn truthy(&self) -> bool {
        match self {
            Py::None => false,
            Py::Bool(b) => *b,
            Py::Int(JsonInt::Small(i)) => *i != 0,
            Py::Int(JsonInt::Big(_)) => true,
            Py::Float(f) => *f != 0.0,
            Py::Complex(r, i) => *r != 0.0 || *i != 0.0,
            Py::Str(s) => !s.is_empty(),
            Py::List(l) => !l.is_empty(),
            Py::Dict(d) => !d.is_empty(),
            Py::Np(_, n) => !n.is_zero(),
            Py::NdArray(_, shape, _) => shape.iter().all(|&d| d != 0),
        }
    }

    /// Python's type name (`int`, `dict`, `numpy.int8`).
    pub(crate) fn type_name(&self) -> String {
        match self {
            Py::None => "NoneType".into(),
            Py::Bool(_) => "bool".into(),
            Py::Int(_) => "int".into(),
            Py::Float(_) => "float".into(),
            Py::Complex(..) => "complex".into(),
            Py::Str(_) => "str".into(),
            Py::List(_) => "list".into(),
            Py::Dict(_) => "dict".into(),
            Py::Np(s, _) => format!("numpy.{}", np_class(*s)),
            Py::NdArray(..) => "numpy.ndarray".into(),
        }
    }

    /// numpy's inferred dtype name (`int64`, `uint64`, `object`, `<U3`) and
    /// the scalar it names, if numeric.
    pub(crate) fn source_type(&self) -> (String, Option<Scalar>) {
        let s = |x: Scalar| (x.name().to_owned(), Some(x));
        match self {
            Py::Bool(_) => s(Scalar::Bool),
            Py::Int(JsonInt::Small(i)) if i64::try_from(*i).is_ok() => s(Scalar::Int64),
            Py::Int(JsonInt::Small(i)) if u64::try_from(*i).is_ok() => s(Scalar::UInt64),
            Py::Float(_) => s(Scalar::Float64),
            Py::Complex(..) => s(Scalar::Complex128),
            Py::Str(t) => (format!("<U{}", t.chars().count()), None),
            Py::Np(x, _) | Py::NdArray(x, _, _) => s(*x),
            Py::List(items) => list_type(items),
            _ => ("object".into(), None),
        }
    }

    /// Python's `str(x)` (numpy's for numpy scalars).
    pub(crate) fn to_str(&self) -> Result<String> {
        Ok(match self {
            Py::Str(s) => (*s).to_owned(),
            Py::None => "None".into(),
            _ => self.repr()?,
        })
    }

    /// Python's `repr(x)`.
    pub(crate) fn repr(&self) -> Result<String> {
        Ok(match self {
            Py::None => "None".into(),
            Py::Bool(true) => "True".into(),
            Py::Bool(false) => "False".into(),
            Py::Int(i) => i.text(),
            Py::Float(f) => float_repr(*f),
            Py::Complex(r, i) => complex_repr(*r, *i),
            Py::Str(s) => str_repr(s),
            Py::List(items) => {
                let parts = items
                    .iter()
                    .map(|j| Py::decode(j)?.repr())
                    .collect::<Result<Vec<_>>>()?;
                format!("[{}]", parts.join(", "))
            }
            Py::Dict(m) => {
                let parts = m
                    .iter()
                    .map(|(k, j)| Ok(format!("{}: {}", str_repr(k), Py::decode(j)?.repr()?)))
                    .collect::<Result<Vec<_>>>()?;
                format!("{{{}}}", parts.join(", "))
            }
            Py::Np(s, n) => np_str(*s, *n),
            Py::NdArray(_, _, data) => {
                let parts = data
                    .iter()
                    .map(|j| Py::decode(j)?.repr())
                    .collect::<Result<Vec<_>>>()?;
                format!("[{}]", parts.join(" "))
            }
        })
    }
}

fn np_class(s: Scalar) -> &'static str {
    match s {
        Scalar::Bool => "bool_",
        other => other.name(),
    }
}

fn np_str(s: Scalar, n: Num) -> String {
    match (s, n) {
        (_, Num::Bool(b)) => if b { "True" } else { "False" }.into(),
        (_, Num::Int(i)) => i.to_string(),
        (Scalar::Float32, Num::Float(f)) => float32_repr(f as f32),
        (_, Num::Float(f)) => float_repr(f),
        (Scalar::Complex64, Num::Complex(r, i)) => {
            let r32 = float32_repr(r as f32).parse::<f64>().unwrap_or(r);
            let i32_ = float32_repr(i as f32).parse::<f64>().unwrap_or(i);
            complex_repr(r32, i32_)
        }
        (_, Num::Complex(r, i)) => complex_repr(r, i),
    }
}

/// numpy's dtype inference for a (possibly nested) list.
fn list_type(items: &[Json]) -> (String, Option<Scalar>) {
    fn walk(items: &[Json], kind: &mut u8, strlen: &mut usize) {
        for j in items {
            match Py::decode(j) {
                Ok(Py::Bool(_)) => *kind = (*kind).max(1),
                Ok(Py::Int(JsonInt::Small(i))) if i64::try_from(*i).is_ok() => {
                    *kind = (*kind).max(2)
                }
                Ok(Py::Int(JsonInt::Small(i))) if u64::try_from(*i).is_ok() => {
                    *kind = (*kind).max(3)
                }
                Ok(Py::Float(_)) => *kind = (*kind).max(4),
                Ok(Py::Complex(..)) => *kind = (*kind).max(5),
                Ok(Py::Str(s)) => {
                    *kind = (*kind).max(6);
                    *strlen = (*strlen).max(s.chars().count());
                }
                Ok(Py::List(inner)) => walk(inner, kind, strlen),
                _ => *kind = 7,
            }
        }
    }
    let (mut kind, mut strlen) = (0u8, 0usize);
    walk(items, &mut kind, &mut strlen);
    let s = |x: Scalar| (x.name().to_owned(), Some(x));
    match kind {
        0 | 4 => s(Scalar::Float64),
        1 => s(Scalar::Bool),
        2 => s(Scalar::Int64),
        3 => s(Scalar::UInt64),
        5 => s(Scalar::Complex128),
        6 => (format!("<U{strlen}"), None),
        _ => ("object".into(), None),
    }
}

fn decode_tag<'a>(j: &'a Json, tag: &str) -> Result<Py<'a>> {
    match tag {
        "$np" => {
            let name = match j.get("$np") {
                Some(Json::String(s)) => s.as_str(),
                _ => return Err(tag_error("$np names a dtype")),
            };
            let scalar: Scalar = name
                .parse()
                .map_err(|_| tag_error(format!("unknown dtype {name:?}")))?;
            if scalar == Scalar::Float16 {
                return Err(tag_error("float16 is not a BEAT type"));
            }
            let num = if scalar.is_complex() {
                let re = json_f64(
                    j.get("re")
                        .ok_or_else(|| tag_error("$np complex needs re"))?,
                )?;
                let im = json_f64(
                    j.get("im")
                        .ok_or_else(|| tag_error("$np complex needs im"))?,
                )?;
                if scalar == Scalar::Complex64 {
                    Num::Complex(f64::from(re as f32), f64::from(im as f32))
                } else {
                    Num::Complex(re, im)
                }
            } else {
                let v = j.get("v").ok_or_else(|| tag_error("$np needs v"))?;
                np_num(scalar, v)?
            };
            Ok(Py::Np(scalar, num))
        }
        "$complex" => match j.get("$complex") {
            Some(Json::Array(parts)) if parts.len() == 2 => {
                let (Some(re), Some(im)) = (parts.first(), parts.get(1)) else {
                    return Err(tag_error("$complex is [re, im]"));
                };
                Ok(Py::Complex(json_f64(re)?, json_f64(im)?))
            }
            _ => Err(tag_error("$complex is [re, im]")),
        },
        "$float" => Ok(Py::Float(json_f64(j)?)),
        "$ndarray" => {
            let spec = j.get("$ndarray").ok_or_else(|| tag_error("$ndarray"))?;
            let scalar: Scalar = match spec.get("dtype") {
                Some(Json::String(s)) => s
                    .parse()
                    .map_err(|_| tag_error(format!("unknown dtype {s:?}")))?,
                _ => return Err(tag_error("$ndarray needs a dtype")),
            };
            let shape = match spec.get("shape") {
                Some(Json::Array(dims)) => dims
                    .iter()
                    .map(|d| match d {
                        Json::Int(JsonInt::Small(n)) => u64::try_from(*n).ok(),
                        _ => None,
                    })
                    .collect::<Option<Vec<u64>>>()
                    .ok_or_else(|| tag_error("$ndarray shape holds extents"))?,
                _ => return Err(tag_error("$ndarray needs a shape")),
            };
            let data = match spec.get("data") {
                Some(Json::Array(d)) => d.as_slice(),
                _ => return Err(tag_error("$ndarray needs data")),
            };
            let count = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
            if count != Some(data.len() as u64) || scalar == Scalar::Float16 {
                return Err(tag_error("$ndarray data does not fill its shape"));
            }
            Ok(Py::NdArray(scalar, shape, data))
        }
        other => Err(tag_error(format!("unknown tag {other:?}"))),
    }
}

/// The value of one numpy element of type `scalar` written as JSON.
pub(crate) fn np_num(scalar: Scalar, v: &Json) -> Result<Num> {
    Ok(match (scalar, v) {
        (Scalar::Bool, Json::Bool(b)) => Num::Bool(*b),
        (s, Json::Int(JsonInt::Small(i))) if s.is_integer() => Num::Int(*i),
        (Scalar::Float32, v) => Num::Float(f64::from(json_f64(v)? as f32)),
        (s, v) if s.is_float() => Num::Float(json_f64(v)?),
        (s, Json::Object(m))
            if s.is_complex() && m.first().is_some_and(|(k, _)| k == "$complex") =>
        {
            match Py::decode(v)? {
                Py::Complex(r, i) if s == Scalar::Complex64 => {
                    Num::Complex(f64::from(r as f32), f64::from(i as f32))
                }
                Py::Complex(r, i) => Num::Complex(r, i),
                _ => return Err(tag_error("bad complex element")),
            }
        }
        (s, v) if s.is_complex() => Num::Complex(json_f64(v)?, 0.0),
        _ => return Err(tag_error(format!("{v:?} is not a {scalar} value"))),
    })
}
