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
pub fn write_f64(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    // Shortest round-trip digits and decimal exponent, from `{:e}`
    // ("-1.2345e-7" → neg, "12345", -7).
    let sci = format!("{x:e}");
    let (neg, body) = match sci.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, sci.as_str()),
    };
    let (mant, exp) = body.split_once('e').unwrap_or((body, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(|c| *c != '.').collect();
    // Rust breaks an exact tie between two shortest candidates upwards;
    // ryu (orjson) and Python pick the even one. A tie means the exact value
    // is the shorter prefix followed by exactly "5".
    if digits.len() > 1 {
        let n = digits.len();
        let exact = format!("{:.*e}", n + 40, x.abs());
        let exact_digits: String = exact
            .split_once('e')
            .map_or("", |p| p.0)
            .chars()
            .filter(|c| *c != '.')
            .collect();
        if let (Some(prefix), Some(tail)) = (exact_digits.get(..n), exact_digits.get(n..)) {
            let tie = tail.starts_with('5') && tail.bytes().skip(1).all(|b| b == b'0');
            let even = prefix
                .bytes()
                .last()
                .is_some_and(|d| (d - b'0').is_multiple_of(2));
            let same_exp = exact.split_once('e').map(|p| p.1) == Some(&format!("{exp}")[..]);
            if tie && even && same_exp && prefix != digits {
                digits = prefix.trim_end_matches('0').to_owned();
                if digits.is_empty() {
                    digits.push('0');
                }
            }
        }
    }
    if neg {
        out.push(b'-');
    }
    let ax = x.abs();
    if (1e-5..1e16).contains(&ax) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.extend_from_slice(digits.as_bytes());
                out.extend(std::iter::repeat_n(b'0', int_len - digits.len()));
                out.extend_from_slice(b".0");
            } else {
                let (a, b) = digits.split_at(int_len);
                out.extend_from_slice(a.as_bytes());
                out.push(b'.');
                out.extend_from_slice(b.as_bytes());
            }
        } else {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
            out.extend_from_slice(digits.as_bytes());
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.extend_from_slice(first.as_bytes());
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest.as_bytes());
        }
        let _ = write!(out, "e{}{exp}", if exp >= 0 { "+" } else { "" });
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
