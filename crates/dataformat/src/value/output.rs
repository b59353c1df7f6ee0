//! JSON out: the platform's `as_dict` shape, with the corpus's tags for
//! complex and non-finite numbers, and the platform's JSON text.

use serde_json::{Map, Value as Json};

use crate::text::python::{float_repr, float32_repr, json_ascii_string};
use vellum_format_core::Scalar;

use crate::value::{Array, ArrayData, Object, Value};

fn float_json(v: f64) -> Json {
    if v.is_nan() {
        serde_json::json!({"$float": "nan"})
    } else if v.is_infinite() {
        serde_json::json!({"$float": if v > 0.0 { "inf" } else { "-inf" }})
    } else {
        serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number)
    }
}

fn scalar_json(v: &Value) -> Json {
    match v {
        Value::Bool(b) => (*b).into(),
        Value::Int8(x) => (*x).into(),
        Value::Int16(x) => (*x).into(),
        Value::Int32(x) => (*x).into(),
        Value::Int64(x) => (*x).into(),
        Value::UInt8(x) => (*x).into(),
        Value::UInt16(x) => (*x).into(),
        Value::UInt32(x) => (*x).into(),
        Value::UInt64(x) => (*x).into(),
        Value::Float32(x) => float_json(f64::from(*x)),
        Value::Float64(x) => float_json(*x),
        Value::Complex64(c) => {
            serde_json::json!({"$complex": [float_json(f64::from(c.re)), float_json(f64::from(c.im))]})
        }
        Value::Complex128(c) => {
            serde_json::json!({"$complex": [float_json(c.re), float_json(c.im)]})
        }
        Value::String(s) => s.clone().into(),
        Value::Array(a) => array_json(a),
        Value::Object(o) => o.to_json(),
    }
}

fn nested(shape: &[u64], items: &mut dyn Iterator<Item = Json>) -> Json {
    match shape.split_first() {
        None => items.next().unwrap_or(Json::Null),
        Some((&n, rest)) => Json::Array((0..n).map(|_| nested(rest, items)).collect()),
    }
}

/// The numeric elements of an array as JSON values, through typed views.
fn numbers_json<'a>(a: &'a Array, scalar: Scalar) -> Box<dyn Iterator<Item = Json> + 'a> {
    fn typed<'a, T: vellum_format_core::Element + Into<Json>>(
        a: &'a Array,
    ) -> Box<dyn Iterator<Item = Json> + 'a> {
        match a.numbers::<T>() {
            Ok(v) => Box::new(v.into_owned().into_iter().map(Into::into)),
            Err(_) => Box::new(std::iter::empty()),
        }
    }
    match scalar {
        Scalar::Int8 => typed::<i8>(a),
        Scalar::Int16 => typed::<i16>(a),
        Scalar::Int32 => typed::<i32>(a),
        Scalar::Int64 => typed::<i64>(a),
        Scalar::UInt8 => typed::<u8>(a),
        Scalar::UInt16 => typed::<u16>(a),
        Scalar::UInt32 => typed::<u32>(a),
        Scalar::UInt64 => typed::<u64>(a),
        _ => Box::new(
            (0..a.len())
                .filter_map(|i| a.get(i))
                .map(|v| scalar_json(&v)),
        ),
    }
}

fn array_json(a: &Array) -> Json {
    let mut items: Box<dyn Iterator<Item = Json>> = match a.data() {
        ArrayData::Numbers { scalar, .. } => numbers_json(a, *scalar),
        ArrayData::Strings(v) => Box::new(v.iter().map(|s| Json::String(s.clone()))),
        ArrayData::Objects(v) => Box::new(v.iter().map(Object::to_json)),
    };
    if a.is_empty() {
        // numpy's tolist of an array with a zero extent stops there.
        let upto = a.shape().iter().position(|&d| d == 0).map_or(0, |p| p + 1);
        return nested(
            &a.shape()[..upto.min(a.shape().len())],
            &mut std::iter::empty(),
        );
    }
    nested(a.shape(), &mut items)
}

impl Object {
    /// The platform's `as_dict()` as JSON, in resolved field order:
    /// numbers plain (`float32` as its exact double), complex numbers as
    /// `{"$complex": [re, im]}`, non-finite floats as `{"$float": "nan"}`.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        for (name, v) in self.iter() {
            m.insert(name.to_owned(), scalar_json(v));
        }
        Json::Object(m)
    }

    /// The platform's JSON text (`simplejson.dumps(as_dict, indent=4)`):
    /// floats in shortest round-trip form, `NaN`/`Infinity` bare. Complex
    /// numbers, which the platform cannot write at all, are written as
    /// `[re, im]` (F12).
    pub fn to_platform_json(&self) -> String {
        let mut out = String::new();
        write_object(self, 0, &mut out);
        out
    }
}

fn indent(level: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn write_float(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        out.push_str(&float_repr(v));
    }
}

fn write_object(o: &Object, level: usize, out: &mut String) {
    write_map(o.iter(), level, out, write_value);
}

/// `{"k": v, ...}` with simplejson's indent-4 layout (`{}` when empty).
fn write_map<'a, T>(
    entries: impl Iterator<Item = (&'a str, T)>,
    level: usize,
    out: &mut String,
    write: impl Fn(T, usize, &mut String),
) {
    out.push('{');
    let mut any = false;
    for (name, v) in entries {
        if any {
            out.push(',');
        }
        any = true;
        indent(level + 1, out);
        json_ascii_string(name, out);
        out.push_str(": ");
        write(v, level + 1, out);
    }
    if any {
        indent(level, out);
    }
    out.push('}');
}

fn write_list(items: &[Json], level: usize, out: &mut String) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        indent(level + 1, out);
        write_json(item, level + 1, out);
    }
    indent(level, out);
    out.push(']');
}

fn write_json(j: &Json, level: usize, out: &mut String) {
    match j {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) if !n.is_f64() => out.push_str(&i.to_string()),
            (_, Some(u), _) if !n.is_f64() => out.push_str(&u.to_string()),
            (_, _, Some(f)) => write_float(f, out),
            _ => out.push_str("null"),
        },
        Json::String(s) => json_ascii_string(s, out),
        Json::Array(items) => write_list(items, level, out),
        Json::Object(m) => {
            // Tagged numbers inside arrays.
            if let Some(Json::String(t)) = m.get("$float") {
                out.push_str(match t.as_str() {
                    "nan" => "NaN",
                    "inf" => "Infinity",
                    _ => "-Infinity",
                });
            } else if let Some(Json::Array(parts)) = m.get("$complex") {
                write_list(parts, level, out);
            } else {
                write_map(
                    m.iter().map(|(k, v)| (k.as_str(), v)),
                    level,
                    out,
                    write_json,
                );
            }
        }
    }
}

fn write_value(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Float32(x) => out.push_str(&if x.is_finite() {
            // as_dict holds the numpy float32, which simplejson writes via
            // float(): the exact double.
            float_repr(f64::from(*x))
        } else {
            let mut s = String::new();
            write_float(f64::from(*x), &mut s);
            s
        }),
        Value::Float64(x) => write_float(*x, out),
        Value::Object(o) => write_object(o, level, out),
        other => write_json(&scalar_json(other), level, out),
    }
    let _ = float32_repr;
}
