//! A small strict JSON reader for declarations and value inputs.
//!
//! Why not `serde_json::Value`: the platform needs three things it cannot
//! give together: duplicate keys must be *reported* (serde_json keeps the
//! last one), integers beyond 64 bits must stay integers (`2**64` is a
//! Python `int`, not a float, and is rejected differently), and numbers keep
//! whether they were written with a fraction (`1` is an `int`, `1.0` a
//! `float`). It also reads the platform's own JSON output, which writes
//! `NaN`, `Infinity` and `-Infinity` bare.
//!
//! Nesting is capped at [`MAX_DEPTH`] so hostile input cannot overflow the
//! stack.

use crate::Error;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON document, object keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer written without fraction or exponent (any size).
    Int(JsonInt),
    /// A number with a fraction or exponent, or `NaN` / `Infinity`.
    Float(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in file order (duplicates are an error).
    Object(Vec<(String, Json)>),
}

/// An integer as written: exact when it fits in 128 bits, else only its text.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonInt {
    /// Fits in an `i128`.
    Small(i128),
    /// Larger than any `i128`: its decimal text.
    Big(String),
}

impl JsonInt {
    /// The decimal text, as Python prints the integer.
    pub fn text(&self) -> String {
        match self {
            JsonInt::Small(v) => v.to_string(),
            JsonInt::Big(s) => s.clone(),
        }
    }

    /// The nearest `f64` (what Python's `float(int)` gives, within rounding).
    pub fn to_f64(&self) -> f64 {
        match self {
            JsonInt::Small(v) => *v as f64,
            JsonInt::Big(s) => s.parse().unwrap_or(f64::INFINITY),
        }
    }
}

impl Json {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Python's type name of the value this JSON maps to (`int`, `str`, ...).
    pub fn python_type(&self) -> &'static str {
        match self {
            Json::Null => "NoneType",
            Json::Bool(_) => "bool",
            Json::Int(_) => "int",
            Json::Float(_) => "float",
            Json::String(_) => "str",
            Json::Array(_) => "list",
            Json::Object(_) => "dict",
        }
    }
}

/// Parses one JSON document (surrounding whitespace allowed).
///
/// Errors are [`Error::Json`] (with line and column) or
/// [`Error::DuplicateKey`].
pub fn parse(text: &str) -> Result<Json, Error> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
    };
    p.ws();
    if p.pos >= p.s.len() {
        return Err(p.error("expecting a value, found the end of the input"));
    }
    let v = p.value(0)?;
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.error("extra data after the document"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> Error {
        let before = self.text.get(..self.pos).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::Json {
            line,
            column,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str) -> bool {
        if self.s.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting deeper than the limit"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => {
                if self.literal("-Infinity") {
                    Ok(Json::Float(f64::NEG_INFINITY))
                } else {
                    self.number()
                }
            }
            _ if self.literal("null") => Ok(Json::Null),
            _ if self.literal("true") => Ok(Json::Bool(true)),
            _ if self.literal("false") => Ok(Json::Bool(false)),
            _ if self.literal("NaN") => Ok(Json::Float(f64::NAN)),
            _ if self.literal("Infinity") => Ok(Json::Float(f64::INFINITY)),
            _ => Err(self.error("expecting a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, Error> {
        self.pos += 1;
        let mut members: Vec<(String, Json)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(if self.peek() == Some(b'}') {
                    self.error("trailing comma before the end of an object")
                } else {
                    self.error("expecting a property name in double quotes")
                });
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expecting ':' after a property name"));
            }
            self.pos += 1;
            self.ws();
            let v = self.value(depth + 1)?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(Error::DuplicateKey { key });
            }
            members.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expecting ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, Error> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.ws();
            if self.peek() == Some(b']') {
                return Err(self.error("trailing comma before the end of an array"));
            }
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expecting ',' or ']' in an array")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(digits)
    }

    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The input is a &str and we stopped on ASCII bytes, so this
            // slice is on character boundaries.
            out.push_str(self.text.get(start..self.pos).unwrap_or(""));
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.literal("\\u") {
                                    return Err(self.error("lone surrogate in a \\u escape"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error("lone surrogate in a \\u escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let ch = char::from_u32(code)
                                .ok_or_else(|| self.error("lone surrogate in a \\u escape"))?;
                            out.push(ch);
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                Some(_) => return Err(self.error("invalid control character in a string")),
            }
        }
    }

    fn number(&mut self) -> Result<Json, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        let int_len = self.pos - int_start;
        if int_len == 0 {
            return Err(self.error("expecting a value"));
        }
        if int_len > 1 && self.s.get(int_start) == Some(&b'0') {
            return Err(self.error("leading zeros in a number"));
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.pos += 1;
            let f = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == f {
                return Err(self.error("expecting digits after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            float = true;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            let e = self.pos;
            while let Some(b'0'..=b'9') = self.peek() {
                self.pos += 1;
            }
            if self.pos == e {
                return Err(self.error("expecting digits in an exponent"));
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("0");
        if float {
            text.parse::<f64>()
                .map(Json::Float)
                .map_err(|_| self.error("invalid number"))
        } else {
            Ok(Json::Int(match text.parse::<i128>() {
                Ok(v) => JsonInt::Small(v),
                Err(_) => JsonInt::Big(text.to_owned()),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_ints_and_reports_duplicates() {
        let j = parse(r#"{"b": 1, "a": [1.0, 18446744073709551616, NaN, "\u00e9\ud83d\ude00"]}"#)
            .unwrap();
        let Json::Object(m) = &j else { panic!() };
        assert_eq!(m[0].0, "b");
        let Some(Json::Array(a)) = j.get("a") else {
            panic!()
        };
        assert_eq!(a[0], Json::Float(1.0));
        assert_eq!(a[1], Json::Int(JsonInt::Small(18446744073709551616)));
        assert!(matches!(a[2], Json::Float(f) if f.is_nan()));
        assert_eq!(a[3], Json::String("é😀".into()));
        assert!(
            matches!(parse(r#"{"o": {"k": 1, "k": 2}}"#), Err(Error::DuplicateKey { key }) if key == "k")
        );
        assert!(matches!(
            parse("{\"v\": 1,}"),
            Err(Error::Json { line: 1, .. })
        ));
        assert!(parse("").is_err());
        assert!(parse("\"\\ud800\"").is_err());
        assert!(parse(&"[".repeat(10_000)).is_err());
    }
}
