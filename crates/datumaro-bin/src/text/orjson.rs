//! JSON text exactly as `orjson` (no options) writes it ([spec §2]).
//!
//! Compact, keys in insertion order, non-ASCII raw, `"` `\` and control
//! characters escaped, NaN/±inf as `null`, and floats in their shortest
//! round-trip digits laid out the way orjson does: always with `.0` or an
//! exponent, decimal for 1e-5 ≤ |x| < 1e16, else `1e+16` / `1e-7`.
//!
//! [spec §2]: ../../../../shared/specs/datumaro-binary.md

use std::io::Write;

use serde_json::Value;

/// Appends the orjson text of `v` to `out`.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else {
                write_f64(out, n.as_f64().unwrap_or(f64::NAN));
            }
        }
        Value::String(s) => write_str(out, s),
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, x);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            out.push(b'{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, x);
            }
            out.push(b'}');
        }
    }
}

/// The orjson text of `v`.
pub fn to_vec(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_value(&mut out, v);
    out
}

/// Appends a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if esc.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Appends a float the way orjson formats it.
///
/// serde_json's shortest round-trip formatter (zmij) produces exactly
/// orjson's text for finite floats: shortest digits with ties to even,
/// `.0` on integral values, decimal notation for 1e-5 ≤ |x| < 1e16 and
/// `1e+16` / `1e-7` outside; the tests below pin the spec's vectors so a
/// change in serde_json cannot go unnoticed.
pub fn write_f64(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if serde_json::to_writer(&mut *out, &x).is_err() {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut v = Vec::new();
        write_f64(&mut v, x);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn spec_float_vectors() {
        for (x, s) in [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
            (1e-5, "0.00001"),
            (2.5e-5, "0.000025"),
            (1e-6, "1e-6"),
            (1e-7, "1e-7"),
            (5e-324, "5e-324"),
            (123456.789, "123456.789"),
            (f64::from(213.1_f32), "213.10000610351562"),
            (f64::from(211.22_f32), "211.22000122070312"),
            (-7.199999809265137, "-7.199999809265137"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
            (1e-5 * 0.999_999, "9.99999e-6"),
            (-2.5e-5, "-0.000025"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
        ] {
            assert_eq!(f(x), s, "{x:e}");
        }
    }

    #[test]
    fn strings_escape_like_orjson() {
        let mut v = Vec::new();
        write_str(
            &mut v,
            "quote\" backslash\\ newline\n tab\t ctrl\u{1} é/\u{1f}",
        );
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "\"quote\\\" backslash\\\\ newline\\n tab\\t ctrl\\u0001 é/\\u001f\""
        );
    }
}
