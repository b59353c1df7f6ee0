//! PyYAML's implicit typing of plain scalars (YAML 1.1), in both
//! directions: what a plain scalar *means* when read, and whether a string
//! must be quoted when written (spec §2.3, "Interop traps").
//!
//! PyYAML decides with regular expressions keyed by the first character; the
//! matchers below accept exactly the same languages, without a regex engine.

use super::Value;

/// What PyYAML's resolver makes of a plain scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Implicit {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    /// `<<`: the merge key.
    Merge,
    /// `=`: the value key.
    ValueKey,
    Str,
}

/// PyYAML's `Resolver.resolve(ScalarNode, text, (True, False))`.
pub(crate) fn implicit(s: &str) -> Implicit {
    // PyYAML picks the resolvers to try by the first character (the keys
    // of `yaml_implicit_resolvers`): a string starting with anything else
    // is a string without trying any.
    match s.as_bytes().first() {
        None => return Implicit::Null,
        Some(c) if !b"yYnNtTfFoO-+0123456789.~<=".contains(c) => return Implicit::Str,
        Some(_) => {}
    }
    if is_null(s) {
        Implicit::Null
    } else if is_bool(s).is_some() {
        Implicit::Bool
    } else if is_float(s) {
        Implicit::Float
    } else if is_int(s) {
        Implicit::Int
    } else if is_timestamp(s) {
        Implicit::Timestamp
    } else if s == "<<" {
        Implicit::Merge
    } else if s == "=" {
        Implicit::ValueKey
    } else {
        Implicit::Str
    }
}

/// The value PyYAML's full loader builds from a plain scalar. Timestamps stay
/// strings (there is no date type here); `<<` and `=` are plain strings.
pub(crate) fn plain_value(s: &str) -> Value {
    match implicit(s) {
        Implicit::Null => Value::Null,
        Implicit::Bool => Value::Bool(is_bool(s).unwrap_or(false)),
        Implicit::Int => int_value(s).unwrap_or_else(|| Value::Str(s.to_owned())),
        Implicit::Float => Value::Float(float_value(s)),
        _ => Value::Str(s.to_owned()),
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

pub(crate) fn is_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn digit_(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// `[0-9][0-9_]*` at the start of `s`; returns the rest.
fn lead_digits(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if !b.first()?.is_ascii_digit() {
        return None;
    }
    let n = b.iter().take_while(|&&c| digit_(c)).count();
    s.get(n..)
}

/// `(:[0-5]?[0-9])+` exactly.
fn sexagesimal_tail(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    s.split(':').skip(1).all(|part| {
        let b = part.as_bytes();
        match b {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        }
    }) && s.starts_with(':')
}

/// `([eE][-+][0-9]+)?` exactly.
fn opt_exponent(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let b = s.as_bytes();
    matches!(b.first(), Some(b'e' | b'E'))
        && matches!(b.get(1), Some(b'-' | b'+'))
        && b.len() > 2
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn is_float(s: &str) -> bool {
    let body = strip_sign(s);
    let signed = body.len() != s.len();
    // [-+]?\.(inf|Inf|INF) and \.(nan|NaN|NAN)
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if !signed && matches!(body, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    // \.[0-9][0-9_]*(exp)?  (no sign allowed)
    if let Some(rest) = body.strip_prefix('.') {
        return !signed && lead_digits(rest).is_some_and(opt_exponent);
    }
    let Some(rest) = lead_digits(body) else {
        return false;
    };
    // [0-9][0-9_]*\.[0-9_]*(exp)?
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(|&c| digit_(c)).count();
        return frac.get(n..).is_some_and(opt_exponent);
    }
    // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
    if let Some(dot) = rest.find('.') {
        let (sexa, frac) = rest.split_at(dot);
        return sexagesimal_tail(sexa) && all(&frac[1..], digit_);
    }
    false
}

fn is_int(s: &str) -> bool {
    let body = strip_sign(s);
    if let Some(bin) = body.strip_prefix("0b") {
        return !bin.is_empty() && all(bin, |c| c == b'0' || c == b'1' || c == b'_');
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && all(hex, |c| c.is_ascii_hexdigit() || c == b'_');
    }
    if body == "0" {
        return true;
    }
    if let Some(oct) = body.strip_prefix('0') {
        return !oct.is_empty() && all(oct, |c| (b'0'..=b'7').contains(&c) || c == b'_');
    }
    match body.as_bytes().first() {
        Some(b'1'..=b'9') => {}
        _ => return false,
    }
    let Some(rest) = lead_digits(body) else {
        return false;
    };
    rest.is_empty() || sexagesimal_tail(rest)
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    // YYYY-MM-DD
    if b.len() == 10
        && (0..4).all(d)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
    {
        return true;
    }
    // YYYY-M(M)-D(D)(T| +)H(H):MM:SS(.f*)?( *(Z|[-+]H(H)(:MM)?))?
    let mut i = 0;
    let digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start >= min
    };
    let lit = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(digits(&mut i, 4, 4) && lit(&mut i, b'-') && digits(&mut i, 1, 2) && lit(&mut i, b'-')) {
        return false;
    }
    if !digits(&mut i, 1, 2) {
        return false;
    }
    if matches!(b.get(i), Some(b'T' | b't')) {
        i += 1;
    } else {
        let start = i;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(digits(&mut i, 1, 2)
        && lit(&mut i, b':')
        && digits(&mut i, 2, 2)
        && lit(&mut i, b':')
        && digits(&mut i, 2, 2))
    {
        return false;
    }
    if lit(&mut i, b'.') {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if i == b.len() {
        return true;
    }
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if lit(&mut i, b'Z') {
        return i == b.len();
    }
    if !matches!(b.get(i), Some(b'-' | b'+')) {
        return false;
    }
    i += 1;
    if !digits(&mut i, 1, 2) {
        return false;
    }
    if lit(&mut i, b':') && !digits(&mut i, 2, 2) {
        return false;
    }
    i == b.len()
}

/// Python refuses to convert integers longer than this many digits
/// (`sys.int_info.str_digits_check_threshold`), so PyYAML cannot read them.
const MAX_INT_DIGITS: usize = 4300;

/// PyYAML's `construct_yaml_int`.
pub(crate) fn int_value(s: &str) -> Option<Value> {
    // The common case, plain decimal digits that fit an i128 (38 digits
    // always do): no cleaning, no digit vector.
    let b = s.as_bytes();
    if (1..=38).contains(&b.len())
        && b.iter().all(u8::is_ascii_digit)
        && (b.first() != Some(&b'0') || b.len() == 1)
    {
        return s.parse::<i128>().ok().map(Value::Int);
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    if body.len() > MAX_INT_DIGITS {
        return None;
    }
    let (digits, radix): (Vec<u32>, u32) = if body == "0" {
        (vec![0], 10)
    } else if let Some(b) = body.strip_prefix("0b") {
        (b.chars().map(|c| c.to_digit(2)).collect::<Option<_>>()?, 2)
    } else if let Some(h) = body.strip_prefix("0x") {
        (
            h.chars().map(|c| c.to_digit(16)).collect::<Option<_>>()?,
            16,
        )
    } else if body.starts_with('0') {
        (
            body.chars().map(|c| c.to_digit(8)).collect::<Option<_>>()?,
            8,
        )
    } else if body.contains(':') {
        (
            body.split(':')
                .map(|p| p.parse::<u32>().ok())
                .collect::<Option<_>>()?,
            60,
        )
    } else {
        (
            body.chars()
                .map(|c| c.to_digit(10))
                .collect::<Option<_>>()?,
            10,
        )
    };
    if digits.is_empty() {
        return None;
    }
    Some(big_value(neg, &digits, radix))
}

/// Digits in `radix` (most significant first) as a [`Value`], exactly.
fn big_value(neg: bool, digits: &[u32], radix: u32) -> Value {
    let mut small: Option<i128> = Some(0);
    for &d in digits {
        small = small
            .and_then(|v| v.checked_mul(radix.into()))
            .and_then(|v| v.checked_add(d.into()));
    }
    if let Some(v) = small {
        return Value::Int(if neg { -v } else { v });
    }
    // Schoolbook base conversion into base 1e9 limbs (little-endian).
    let mut limbs: Vec<u64> = vec![0];
    for &d in digits {
        let mut carry = u64::from(d);
        for limb in limbs.iter_mut() {
            let v = *limb * u64::from(radix) + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push(carry % 1_000_000_000);
            carry /= 1_000_000_000;
        }
    }
    let mut text = String::from(if neg { "-" } else { "" });
    let mut iter = limbs.iter().rev();
    if let Some(first) = iter.next() {
        text.push_str(&first.to_string());
    }
    for limb in iter {
        text.push_str(&format!("{limb:09}"));
    }
    Value::BigInt(text)
}

/// PyYAML's `construct_yaml_float` (on a string `is_float` accepted).
pub(crate) fn float_value(s: &str) -> f64 {
    let cleaned: String = s
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_lowercase();
    let (sign, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (-1.0, &cleaned[1..]),
        Some(b'+') => (1.0, &cleaned[1..]),
        _ => (1.0, cleaned.as_str()),
    };
    if body == ".inf" {
        return sign * f64::INFINITY;
    }
    if body == ".nan" {
        return f64::NAN;
    }
    if body.contains(':') {
        let mut value = 0.0;
        for part in body.split(':') {
            value = value * 60.0 + part.parse::<f64>().unwrap_or(0.0);
        }
        return sign * value;
    }
    // Rust's parser takes "1." and ".5" like Python's float().
    sign * body.parse::<f64>().unwrap_or(f64::NAN)
}

/// Python's `repr(float)`: the shortest round-trip digits, positional when
/// the decimal exponent is in -4..16, else `d.ddde+XX`.
pub(crate) fn python_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // `{:e}` is the shortest round-trip representation: d.ddddde[-]X.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let n = digits.len() as i32;
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point >= n {
            format!("{}{}.0", digits, "0".repeat((point - n) as usize))
        } else {
            let (a, b) = digits.split_at(point as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyyaml_resolution_table() {
        use Implicit::*;
        let cases = [
            ("", Null),
            ("~", Null),
            ("null", Null),
            ("Null", Null),
            ("nULL", Str),
            ("yes", Bool),
            ("On", Bool),
            ("oN", Str),
            ("y", Str),
            ("42", Int),
            ("+1", Int),
            ("-1", Int),
            ("0x1F", Int),
            ("017", Int),
            ("09", Str),
            ("1_000", Int),
            ("1:20", Int),
            ("0o17", Str),
            ("0b101", Int),
            ("1e3", Str),
            ("1.5", Float),
            (".5", Float),
            ("1.", Float),
            ("1.0e+20", Float),
            ("1.0e20", Str),
            ("1:20.5", Float),
            (".nan", Float),
            ("-.nan", Str),
            ("-.inf", Float),
            ("2020-01-01", Timestamp),
            ("2020-1-1 10:00:00", Timestamp),
            ("2020-01-01T10:00:00.5Z", Timestamp),
            ("2020-01-01 10:00:00 +01:00", Timestamp),
            ("2020-01-0", Str),
            ("<<", Merge),
            ("=", ValueKey),
            ("a:b", Str),
        ];
        for (s, want) in cases {
            assert_eq!(implicit(s), want, "{s:?}");
        }
    }

    #[test]
    fn ints_are_constructed_like_python() {
        assert_eq!(int_value("0x1F"), Some(Value::Int(31)));
        assert_eq!(int_value("017"), Some(Value::Int(15)));
        assert_eq!(int_value("-1:20"), Some(Value::Int(-80)));
        assert_eq!(int_value("1_000"), Some(Value::Int(1000)));
        assert_eq!(
            int_value("1180591620717411303424"),
            Some(Value::Int(1180591620717411303424))
        );
        assert_eq!(
            int_value("-340282366920938463463374607431768211457"),
            Some(Value::BigInt(
                "-340282366920938463463374607431768211457".into()
            ))
        );
        assert_eq!(int_value(&"9".repeat(5000)), None);
        // Both sides of the plain-decimal shortcut (up to 38 digits).
        assert_eq!(int_value("0"), Some(Value::Int(0)));
        assert_eq!(int_value("00"), Some(Value::Int(0)));
        let d38 = "9".repeat(38);
        assert_eq!(int_value(&d38), Some(Value::Int(d38.parse().unwrap())));
        let d39 = "1".repeat(39);
        assert_eq!(int_value(&d39), Some(Value::Int(d39.parse().unwrap())));
        let d40 = "9".repeat(40);
        assert_eq!(int_value(&d40), Some(Value::BigInt(d40)));
    }

    #[test]
    fn floats_repr_like_python() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (0.3333333333333333, "0.3333333333333333"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (-1.5e-7, "-1.5e-07"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (x, want) in cases {
            assert_eq!(python_repr(x), want);
        }
        assert_eq!(float_value("1_0.5"), 10.5);
        assert_eq!(float_value("-.INF"), f64::NEG_INFINITY);
        assert_eq!(float_value("1:30.5"), 90.5);
    }
}
