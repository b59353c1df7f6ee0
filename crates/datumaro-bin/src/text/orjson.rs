//! JSON text exactly as `orjson` (no options) writes it ([spec §2]).
//!
//! Compact, keys in insertion order, non-ASCII raw, `"` `\` and control
//! characters escaped, NaN/±inf as `null`, and floats in their shortest
//! round-trip digits laid out the way orjson does: always with `.0` or an
//! exponent, decimal for 1e-5 ≤ |x| < 1e16, else `1e+16` / `1e-7`.
//!
//! [spec §2]: ../../../../docs/specs/datumaro-binary.md

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
                write_u64(out, u);
            } else if let Some(i) = n.as_i64() {
                write_i64(out, i);
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
        Value::Object(m) => write_object(out, m),
    }
}

/// Appends the orjson text of an object (without building a `Value`).
pub fn write_object(out: &mut Vec<u8>, m: &serde_json::Map<String, Value>) {
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

/// Appends an unsigned integer in decimal (no `fmt` machinery: this runs
/// for every id, label and coordinate of an export).
pub fn write_u64(out: &mut Vec<u8>, mut u: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'0' + (u % 10) as u8;
        }
        u /= 10;
        if u == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(at..).unwrap_or_default());
}

/// Appends a signed integer in decimal.
pub fn write_i64(out: &mut Vec<u8>, i: i64) {
    if i < 0 {
        out.push(b'-');
    }
    write_u64(out, i.unsigned_abs());
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
    // Most strings (ids, paths, keys) need no escape: one check that the
    // compiler vectorises, one copy.
    if bytes.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
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
    // The printer serde_json calls, without its serializer around it.
    let mut buf = zmij::Buffer::new();
    out.extend_from_slice(buf.format_finite(x).as_bytes());
}

/// Appends a JSON array of floats, each as [`write_f64`] writes it.
///
/// Floats are printed eight at a time into separate buffers and copied
/// afterwards: copying a float's text right after the printer stored it
/// made the CPU wait for its stores to reach the cache (the copy's loads
/// straddle several of them), at every coordinate. The eight texts and
/// their commas are staged on the stack with fixed-size moves and appended
/// with one copy: three growth checks of the output per float were a third
/// of the instructions of an export's coordinates.
pub fn write_f64_array(out: &mut Vec<u8>, values: impl IntoIterator<Item = f64>) {
    out.push(b'[');
    let mut values = values.into_iter();
    let mut printer = Batch::new();
    let mut comma = false;
    loop {
        let mut batch = [0f64; BATCH];
        let mut n = 0;
        for (slot, v) in batch.iter_mut().zip(values.by_ref()) {
            *slot = v;
            n += 1;
        }
        if n == BATCH {
            // The usual case, with a length the compiler knows.
            printer.put(out, &batch, &mut comma);
        } else {
            printer.put(out, batch.get(..n).unwrap_or_default(), &mut comma);
            break;
        }
    }
    out.push(b']');
}

/// Floats printed at once by [`write_f64_array`].
const BATCH: usize = 8;
/// A float's text is at most 24 bytes; with its comma and the room the
/// 16-byte moves may overrun by, 32 a float.
const SLOT: usize = 32;

/// The printers' buffers and the stage of [`write_f64_array`].
struct Batch {
    bufs: [zmij::Buffer; BATCH],
    stage: [u8; BATCH * SLOT + SLOT],
}

impl Batch {
    fn new() -> Batch {
        Batch {
            bufs: std::array::from_fn(|_| zmij::Buffer::new()),
            stage: [0u8; BATCH * SLOT + SLOT],
        }
    }

    /// Prints `xs` (at most [`BATCH`]) and appends them, each after a
    /// comma when `comma`.
    #[inline(always)]
    fn put(&mut self, out: &mut Vec<u8>, xs: &[f64], comma: &mut bool) {
        let mut texts: [&[u8]; BATCH] = [b"null"; BATCH];
        for ((t, b), &x) in texts.iter_mut().zip(self.bufs.iter_mut()).zip(xs) {
            if x.is_finite() {
                *t = b.format_finite(x).as_bytes();
            }
        }
        let mut len = 0;
        for t in texts.iter().take(xs.len()) {
            if *comma {
                if let Some(c) = self.stage.get_mut(len) {
                    *c = b',';
                }
                len += 1;
            }
            *comma = true;
            stage_text(&mut self.stage, len, t);
            len += t.len();
        }
        out.extend_from_slice(self.stage.get(..len).unwrap_or_default());
    }
}

/// Puts `t` (at most 32 bytes) at `stage[at..]` with fixed-size moves;
/// `stage` has 32 bytes of room after `at`.
#[inline(always)]
fn stage_text(stage: &mut [u8], at: usize, t: &[u8]) {
    let Some(dst) = stage.get_mut(at..at + t.len()) else {
        return;
    };
    match t.len() {
        16..=32 => copy_overlapping::<16>(dst, t),
        8..=15 => copy_overlapping::<8>(dst, t),
        _ => dst.copy_from_slice(t),
    }
}

/// Copies `s` (`W <= len <= 2W`) into `dst` of the same length as two
/// `W`-byte moves, the first and the last `W` bytes.
#[inline(always)]
fn copy_overlapping<const W: usize>(dst: &mut [u8], s: &[u8]) {
    let n = s.len();
    let (Some(head), Some(tail)) = (s.first_chunk::<W>(), s.last_chunk::<W>()) else {
        return;
    };
    if let Some(d) = dst.first_chunk_mut::<W>() {
        *d = *head;
    }
    if let Some(d) = dst.get_mut(n - W..).and_then(|d| d.first_chunk_mut::<W>()) {
        *d = *tail;
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
    fn float_arrays_are_write_f64_joined() {
        // Lengths around the batch of eight, non-finite values, every layout.
        let pool = [
            1.0,
            -0.0,
            0.1,
            1e16,
            2.5e-5,
            1e-7,
            f64::from(213.1_f32),
            f64::NAN,
            -7.199999809265137,
            f64::INFINITY,
            123456.789,
            5e-324,
            f64::from(396.9_f32),
            1e300,
            -1e-300,
            42.0,
            0.25,
        ];
        for n in 0..=pool.len() {
            let xs = &pool[..n];
            let mut a = Vec::new();
            write_f64_array(&mut a, xs.iter().copied());
            let mut b = vec![b'['];
            for (i, &x) in xs.iter().enumerate() {
                if i > 0 {
                    b.push(b',');
                }
                write_f64(&mut b, x);
            }
            b.push(b']');
            assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap());
        }
    }

    #[test]
    fn integers_like_display() {
        for i in [0, 1, -1, 9, 10, -10, 1234567890, i64::MIN, i64::MAX] {
            let mut v = Vec::new();
            write_i64(&mut v, i);
            assert_eq!(String::from_utf8(v).unwrap(), i.to_string());
        }
        let mut v = Vec::new();
        write_u64(&mut v, u64::MAX);
        assert_eq!(String::from_utf8(v).unwrap(), u64::MAX.to_string());
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
