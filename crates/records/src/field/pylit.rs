//! A tiny reader and writer for the Python literals of a `.npy` header
//! (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`).
//!
//! Only what `numpy.lib.format` writes: strings, integers, booleans, `None`,
//! tuples, lists and dicts, nested at most [`MAX_DEPTH`] deep.

use vellum_format_core::Error;

/// Deepest nesting accepted (structured dtypes nest; hostile headers must
/// not overflow the stack).
const MAX_DEPTH: usize = 32;

/// One Python literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

/// Parses one literal that must fill `text` (surrounding blanks allowed).
/// `base` is the file offset of `text`, for errors.
pub(crate) fn parse(text: &str, base: u64) -> Result<Lit, Error> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        base,
    };
    let lit = p.value(0)?;
    p.blanks();
    if p.pos != p.s.len() {
        return Err(p.err("trailing characters after the header dict"));
    }
    Ok(lit)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    base: u64,
}

impl Parser<'_> {
    fn err(&self, reason: &str) -> Error {
        Error::Invalid {
            field: "npy header",
            offset: self.base + self.pos as u64,
            reason: reason.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.blanks();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Lit, Error> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.blanks();
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => self.string(q),
            Some(b'(') => {
                self.pos += 1;
                let (items, trailing_comma) = self.seq(b')', depth)?;
                // `(x)` is just x in Python; `(x,)` is a tuple.
                if items.len() == 1 && !trailing_comma {
                    Ok(items.into_iter().next().unwrap_or(Lit::None))
                } else {
                    Ok(Lit::Tuple(items))
                }
            }
            Some(b'[') => {
                self.pos += 1;
                Ok(Lit::List(self.seq(b']', depth)?.0))
            }
            Some(b'{') => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    if self.eat(b'}') {
                        return Ok(Lit::Dict(items));
                    }
                    let k = self.value(depth + 1)?;
                    if !self.eat(b':') {
                        return Err(self.err("expected ':' in dict"));
                    }
                    let v = self.value(depth + 1)?;
                    items.push((k, v));
                    if !self.eat(b',') {
                        if self.eat(b'}') {
                            return Ok(Lit::Dict(items));
                        }
                        return Err(self.err("expected ',' or '}' in dict"));
                    }
                }
            }
            Some(b'-' | b'+' | b'0'..=b'9') => self.int(),
            Some(b'A'..=b'Z' | b'a'..=b'z') => {
                let start = self.pos;
                while matches!(self.peek(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'_')) {
                    self.pos += 1;
                }
                match self.s.get(start..self.pos) {
                    Some(b"True") => Ok(Lit::Bool(true)),
                    Some(b"False") => Ok(Lit::Bool(false)),
                    Some(b"None") => Ok(Lit::None),
                    Some(b"L") => Err(self.err("unexpected name")),
                    _ => {
                        self.pos = start;
                        Err(self.err("unknown name"))
                    }
                }
            }
            _ => Err(self.err("expected a Python literal")),
        }
    }

    /// Items up to `close`; returns them and whether a comma ended the list.
    fn seq(&mut self, close: u8, depth: usize) -> Result<(Vec<Lit>, bool), Error> {
        let mut items = Vec::new();
        let mut trailing = false;
        loop {
            if self.eat(close) {
                return Ok((items, trailing));
            }
            items.push(self.value(depth + 1)?);
            trailing = self.eat(b',');
            if !trailing {
                if self.eat(close) {
                    return Ok((items, false));
                }
                return Err(self.err("expected ',' or a closing bracket"));
            }
        }
    }

    fn int(&mut self) -> Result<Lit, Error> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        // numpy 1.x wrote `3L` for longs on Python 2.
        let digits = std::str::from_utf8(self.s.get(start..self.pos).unwrap_or(b""))
            .map_err(|_| self.err("bad integer"))?;
        if self.peek() == Some(b'L') {
            self.pos += 1;
        }
        digits
            .parse::<i128>()
            .map(Lit::Int)
            .map_err(|_| self.err("bad integer"))
    }

    fn string(&mut self, quote: u8) -> Result<Lit, Error> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.s.get(self.pos..).unwrap_or(b"");
            let Some(c) = std::str::from_utf8(rest)
                .ok()
                .and_then(|s| s.chars().next())
                .or_else(|| {
                    // Not UTF-8 from here: take one byte as latin-1.
                    rest.first().map(|&b| b as char)
                })
            else {
                return Err(self.err("unterminated string"));
            };
            let clen = if std::str::from_utf8(rest).is_ok() {
                c.len_utf8()
            } else {
                1
            };
            self.pos += clen;
            if c as u32 == u32::from(quote) {
                return Ok(Lit::Str(out));
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let esc = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
            self.pos += 1;
            match esc {
                b'\\' => out.push('\\'),
                b'\'' => out.push('\''),
                b'"' => out.push('"'),
                b'n' => out.push('\n'),
                b't' => out.push('\t'),
                b'r' => out.push('\r'),
                b'0' => out.push('\0'),
                b'x' => out.push(self.hex_char(2)?),
                b'u' => out.push(self.hex_char(4)?),
                b'U' => out.push(self.hex_char(8)?),
                _ => return Err(self.err("unknown string escape")),
            }
        }
    }

    fn hex_char(&mut self, n: usize) -> Result<char, Error> {
        let digits = self
            .s
            .get(self.pos..self.pos + n)
            .and_then(|d| std::str::from_utf8(d).ok())
            .ok_or_else(|| self.err("short escape"))?;
        let code = u32::from_str_radix(digits, 16).map_err(|_| self.err("bad hex escape"))?;
        self.pos += n;
        char::from_u32(code).ok_or_else(|| self.err("escape is not a character"))
    }
}

/// Python's `repr` of a string, as numpy writes names and dtype strings.
pub(crate) use vellum_format_core::python_str_repr as repr_str;

/// Python's `repr` of a tuple of integers: `()`, `(5,)`, `(2, 3)`.
pub(crate) fn repr_shape(shape: &[u64]) -> String {
    match shape {
        [] => "()".to_owned(),
        [one] => format!("({one},)"),
        many => {
            let parts: Vec<String> = many.iter().map(u64::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numpy_headers() {
        let h = "{'descr': [('a', '<i4'), ('b', '<f8', (2,))], 'fortran_order': False, 'shape': (3,), }   ";
        let lit = parse(h, 10).unwrap();
        let Lit::Dict(items) = lit else {
            panic!("not a dict")
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].1, Lit::Bool(false));
        assert_eq!(items[2].1, Lit::Tuple(vec![Lit::Int(3)]));
    }

    #[test]
    fn rejects_garbage_with_offsets() {
        let e = parse("{'descr': <f4}", 100).unwrap_err();
        assert_eq!(e.offset(), Some(110));
        assert!(parse(&"[".repeat(1000), 0).is_err());
        assert!(parse("'unterminated", 0).is_err());
    }

    #[test]
    fn reprs_match_python() {
        assert_eq!(repr_shape(&[]), "()");
        assert_eq!(repr_shape(&[5]), "(5,)");
        assert_eq!(repr_shape(&[2, 3]), "(2, 3)");
        assert_eq!(repr_str("<f4"), "'<f4'");
        assert_eq!(repr_str("it's"), "\"it's\"");
    }
}
