//! Python's text forms of numbers and values.
//!
//! The platform turns any value stored in a `string` field into its Python
//! `str()` text (spec §7.3), writes floats in the shortest round-trip `repr`
//! (§10), and hashes declarations with Python's JSON dumper (§12); these
//! helpers reproduce those texts exactly.

/// Python's `repr(float)`: shortest round-trip digits, positional for
/// decimal exponents in `[-4, 16)`, scientific (`1e+16`, `1e-05`) otherwise;
/// `nan`, `inf`, `-inf`.
pub fn float_repr(v: f64) -> String {
    shortest(v, format!("{v:e}"), true)
}

/// numpy's `str(float32)`: the shortest digits that round-trip through
/// `float32`, in Python's layout.
pub fn float32_repr(v: f32) -> String {
    shortest(f64::from(v), format!("{v:e}"), true)
}

/// Python's float formatting without the forced `.0` (`repr(complex)` parts).
fn float_repr_bare(v: f64) -> String {
    shortest(v, format!("{v:e}"), false)
}

fn shortest(v: f64, sci: String, force_point: bool) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` is the shortest round-trip form: `-1.2345e-7`.
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let point = exp as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                for _ in digits.len()..point {
                    out.push('0');
                }
                if force_point {
                    out.push_str(".0");
                }
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }
    out
}

/// Python's `repr(complex)`: `(1+2j)`, `(0.1-0.2j)`, `1j` (real part +0),
/// `(nan+infj)`.
pub fn complex_repr(re: f64, im: f64) -> String {
    let imag = float_repr_bare(im);
    if re == 0.0 && re.is_sign_positive() {
        return format!("{imag}j");
    }
    let sign = if im.is_sign_negative() || (im.is_nan() && imag.starts_with('-')) {
        ""
    } else {
        "+"
    };
    format!("({}{sign}{imag}j)", float_repr_bare(re))
}

/// Python's `repr(str)` (shared with the `.npy` writer in format-core).
pub use vellum_format_core::python_str_repr as str_repr;

/// Python's `json.dumps` string form with `ensure_ascii=True`.
pub fn json_ascii_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_and_complex_texts() {
        assert_eq!(float_repr(1.5), "1.5");
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(-0.0), "-0.0");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(123456789012345.6), "123456789012345.6");
        assert_eq!(
            float_repr(1.7976931348623157e308),
            "1.7976931348623157e+308"
        );
        assert_eq!(float_repr(5e-324), "5e-324");
        assert_eq!(float32_repr(0.1), "0.1");
        assert_eq!(complex_repr(1.0, 1.0), "(1+1j)");
        assert_eq!(complex_repr(0.1, -0.2), "(0.1-0.2j)");
        assert_eq!(complex_repr(0.0, 2.0), "2j");
        assert_eq!(complex_repr(-0.0, 2.0), "(-0+2j)");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a\nb"), "'a\\nb'");
        let mut s = String::new();
        json_ascii_string("é\u{1F600}\"", &mut s);
        assert_eq!(s, "\"\\u00e9\\ud83d\\ude00\\\"\"");
    }
}
