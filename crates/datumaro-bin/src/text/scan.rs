//! A pull scanner over JSON text, for the hot paths of the Datumaro JSON
//! and COCO readers.
//!
//! The readers walk their documents key by key with it and build the model
//! as they go (no intermediate document structs, no `serde_json::Value`
//! for what is not free-form), parsing numbers themselves
//! ([`Number`]). Everything the scanner does not do itself — strings with
//! escapes, free-form values (attributes, categories), rare structures —
//! goes to `serde_json` at the current position ([`Scanner::value`]), so
//! JSON's grammar and serde_json's typing rules hold everywhere. Errors
//! name the file, the line and the column.

use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::number::Number;
use crate::Error;

type Result<T> = std::result::Result<T, Error>;

/// A position in a JSON document, and the file it comes from.
#[derive(Debug)]
pub(crate) struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    file: &'a Path,
    origin: Origin,
}

/// Where `bytes` starts in its file, when it is a window of it: for the
/// line and column of errors.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Origin {
    /// Offset of the first byte in the file.
    pub(crate) offset: usize,
    /// Errors will not be reported (the window's reader retries the step
    /// with more of the file): they skip finding their line and column.
    pub(crate) retried: bool,
}

impl<'a> Scanner<'a> {
    #[cfg(test)]
    pub(crate) fn new(bytes: &'a [u8], file: &'a Path) -> Scanner<'a> {
        Scanner::at(bytes, 0, file, Origin::default())
    }

    /// A scanner at `pos` of `bytes`, which start at `origin` in `file`.
    pub(crate) fn at(bytes: &'a [u8], pos: usize, file: &'a Path, origin: Origin) -> Scanner<'a> {
        Scanner {
            bytes,
            pos,
            file,
            origin,
        }
    }

    /// Where the scanner is.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Goes back to `pos` (an earlier [`Scanner::pos`]), to read what a
    /// shortcut did not recognize again the general way.
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = pos.min(self.pos);
    }

    /// An error at byte `offset`: "what at line L column C".
    pub(crate) fn error_at(&self, offset: usize, what: impl std::fmt::Display) -> Error {
        if self.origin.retried {
            return Error::BadDocument {
                file: PathBuf::new(),
                reason: String::new(),
            };
        }
        let before = self.bytes.get(..offset).unwrap_or(self.bytes);
        // Lines before the window: the file is read again up to it (only
        // for an error).
        let (mut lines, mut line_start) = (0, 0);
        if self.origin.offset > 0
            && let Ok(f) = std::fs::File::open(self.file)
        {
            let mut r = std::io::BufReader::new(f).take(self.origin.offset as u64);
            let mut at = 0;
            let mut chunk = [0u8; 1 << 16];
            while let Ok(n @ 1..) = r.read(&mut chunk) {
                let part = chunk.get(..n).unwrap_or_default();
                lines += part.iter().filter(|&&b| b == b'\n').count();
                if let Some(j) = part.iter().rposition(|&b| b == b'\n') {
                    line_start = at + j + 1;
                }
                at += n;
            }
        }
        let line = lines + before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = match before.iter().rposition(|&b| b == b'\n') {
            Some(j) => before.len() - j,
            None => self.origin.offset + before.len() - line_start + 1,
        };
        Error::BadDocument {
            file: self.file.to_owned(),
            reason: format!("{what} at line {line} column {column}"),
        }
    }

    /// An error at the current position.
    pub(crate) fn error(&self, what: impl std::fmt::Display) -> Error {
        self.error_at(self.pos, what)
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next significant byte, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    fn expected(&mut self, what: &str) -> Error {
        match self.peek() {
            None => self.error(format!("EOF while parsing, expected {what}")),
            Some(_) => self.error(format!("expected {what}")),
        }
    }

    #[inline]
    fn eat(&mut self, c: u8, what: &str) -> Result<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    /// Consumes `null` if it is next.
    #[inline]
    pub(crate) fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.bytes.get(self.pos..self.pos + 4) == Some(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    /// Consumes `literal` (raw bytes, e.g. a whole small object) if it is
    /// next.
    #[inline]
    pub(crate) fn literal(&mut self, literal: &[u8]) -> bool {
        self.skip_ws();
        let end = self.pos + literal.len();
        if self.bytes.get(self.pos..end) == Some(literal) {
            self.pos = end;
            true
        } else {
            false
        }
    }

    /// Enters an object (`{`).
    pub(crate) fn object(&mut self) -> Result<Members> {
        self.eat(b'{', "`{`")?;
        Ok(Members { first: true })
    }

    /// The next key of the object `m` (its bytes, escapes decoded), `None`
    /// after its `}`.
    #[inline]
    pub(crate) fn key(&mut self, m: &mut Members) -> Result<Option<Cow<'a, [u8]>>> {
        let next = self.peek();
        if m.first {
            m.first = false;
            if next == Some(b'}') {
                self.pos += 1;
                return Ok(None);
            }
        } else {
            match next {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(None);
                }
                _ => return Err(self.expected("`,` or `}`")),
            }
        }
        if self.peek() != Some(b'"') {
            return Err(self.expected("a key (string)"));
        }
        // Keys are only compared with known ASCII names, so a plain key's
        // bytes are enough; one with an escape, a control character or a
        // non-ASCII byte goes through the string reader, which decodes
        // and checks it.
        let start = self.pos + 1;
        let mut i = start;
        let k = loop {
            match self.bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    break Cow::Borrowed(self.bytes.get(start..i).unwrap_or_default());
                }
                // Escapes, control characters and non-ASCII bytes: the
                // string reader decodes and checks them.
                Some(b'\\' | 0..=0x1f | 0x80..) => {
                    break match self.string()? {
                        Cow::Borrowed(k) => Cow::Borrowed(k.as_bytes()),
                        Cow::Owned(k) => Cow::Owned(k.into_bytes()),
                    };
                }
                Some(_) => i += 1,
                None => return Err(self.error_at(i, "EOF while parsing a string")),
            }
        };
        self.eat(b':', "`:`")?;
        Ok(Some(k))
    }

    /// Enters an array (`[`).
    pub(crate) fn array(&mut self) -> Result<Members> {
        self.eat(b'[', "`[`")?;
        Ok(Members { first: true })
    }

    /// Whether the array `m` has another element (consumes its `,`, or
    /// the `]` at the end).
    #[inline]
    pub(crate) fn element(&mut self, m: &mut Members) -> Result<bool> {
        let next = self.peek();
        if m.first {
            m.first = false;
            if next == Some(b']') {
                self.pos += 1;
                return Ok(false);
            }
            return Ok(true);
        }
        match next {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.expected("`,` or `]`")),
        }
    }

    /// Reads the elements of the array `m` while they are numbers,
    /// converting each with `conv` (`what` names the type for errors) onto
    /// `out`. Returns `true` at the end of the array, `false` before an
    /// element that is not a number (its separator already consumed).
    #[inline]
    pub(crate) fn numbers<T>(
        &mut self,
        m: &mut Members,
        out: &mut Vec<T>,
        what: &str,
        conv: impl Fn(&Number<'a>) -> Option<T>,
    ) -> Result<bool> {
        loop {
            if !self.element(m)? {
                return Ok(true);
            }
            if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
                return Ok(false);
            }
            // Numbers separated by a bare `,` (how compact JSON is
            // written): no separator state, no whitespace to skip.
            loop {
                let start = self.pos;
                let n = match self.short_number() {
                    Some(n) => n,
                    None => self.number()?,
                };
                match conv(&n) {
                    Some(v) => out.push(v),
                    None => return Err(self.not_a(start, &n, what)),
                }
                match self.bytes.get(self.pos..self.pos + 2) {
                    Some([b',', b'-' | b'0'..=b'9']) => self.pos += 1,
                    _ => break,
                }
            }
        }
    }

    #[cold]
    fn not_a(&self, start: usize, n: &Number<'_>, what: &str) -> Error {
        let text = String::from_utf8_lossy(n.text);
        self.error_at(start, format!("{text} is not {what}"))
    }

    /// A string, borrowed when it holds no escape.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>> {
        if self.peek() != Some(b'"') {
            return Err(self.expected("a string"));
        }
        let start = self.pos + 1;
        let mut i = start;
        loop {
            match self.bytes.get(i) {
                Some(b'"') => break,
                Some(b'\\') => return self.value::<String>().map(Cow::Owned),
                Some(0..=0x1f) => {
                    return Err(self.error_at(
                        i,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
                Some(_) => i += 1,
                None => return Err(self.error_at(i, "EOF while parsing a string")),
            }
        }
        let raw = self.bytes.get(start..i).unwrap_or_default();
        let s = std::str::from_utf8(raw)
            .map_err(|e| self.error_at(start + e.valid_up_to(), "invalid unicode code point"))?;
        self.pos = i + 1;
        Ok(Cow::Borrowed(s))
    }

    /// The common number, inlined where numbers are read in bulk:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 19 digits. `None`
    /// (nothing consumed) for anything else, which [`Scanner::number`]
    /// reads. Digits one by one (coordinates have a few before the point),
    /// eight at once when eight follow the point.
    #[inline(always)]
    fn short_number(&mut self) -> Option<Number<'a>> {
        let b = self.bytes;
        let start = self.pos;
        let neg = b.get(start) == Some(&b'-');
        let mut i = start + usize::from(neg);
        let first = i;
        // Wrapping arithmetic: with more than 19 digits the value is
        // dropped (checked below).
        let mut mant = 0u64;
        match b.get(i) {
            Some(b'0') => {
                i += 1;
            }
            Some(b'1'..=b'9') => {
                while let Some(&c) = b.get(i) {
                    let d = c.wrapping_sub(b'0');
                    if d > 9 {
                        break;
                    }
                    mant = mant.wrapping_mul(10).wrapping_add(u64::from(d));
                    i += 1;
                }
            }
            _ => return None,
        }
        let mut digits = i - first;
        let mut exp10 = 0i32;
        let integer = b.get(i) != Some(&b'.');
        if !integer {
            i += 1;
            let fraction = i;
            if let Some(x) = eight_digits(b, i) {
                mant = mant.wrapping_mul(100_000_000).wrapping_add(x);
                i += 8;
                // Widened f32 values have 13 to 16 digits after the
                // point: the rest of them at once too.
                if let Some((k, x)) = up_to_eight_digits(b, i) {
                    mant = mant
                        .wrapping_mul(POW10_U64.get(k).copied().unwrap_or(1))
                        .wrapping_add(x);
                    i += k;
                }
            }
            while let Some(&c) = b.get(i) {
                let d = c.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                mant = mant.wrapping_mul(10).wrapping_add(u64::from(d));
                i += 1;
            }
            if i == fraction {
                return None;
            }
            digits += i - fraction;
            exp10 = -((i - fraction) as i32);
        }
        // A leading zero followed by digits is not JSON; an exponent goes
        // to the general reader.
        if digits > 19 || matches!(b.get(i), Some(b'0'..=b'9' | b'e' | b'E')) {
            return None;
        }
        self.pos = i;
        Some(Number {
            text: b.get(start..i).unwrap_or_default(),
            neg,
            mant,
            exp10,
            truncated: false,
            integer,
        })
    }

    /// A number, split into its decimal parts (strict JSON grammar).
    pub(crate) fn number(&mut self) -> Result<Number<'a>> {
        self.skip_ws();
        let start = self.pos;
        let b = self.bytes;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        // Fast path: at most 19 digits in all (leading zeros included), so
        // the mantissa is every digit, eight at a time where possible.
        let (mut mant, mut n) = (0u64, 0u32);
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if b.get(i).is_some_and(u8::is_ascii_digit) {
                    return Err(self.error_at(i, "invalid number"));
                }
            }
            Some(b'1'..=b'9') => i = digit_run(b, i, &mut mant, &mut n),
            _ => return Err(self.error_at(i, "invalid number")),
        }
        let mut integer = true;
        let mut exp10 = 0i32;
        if b.get(i) == Some(&b'.') {
            integer = false;
            let first = i + 1;
            i = digit_run(b, first, &mut mant, &mut n);
            if i == first {
                return Err(self.error_at(i, "invalid number"));
            }
            exp10 = -((i - first) as i32);
        }
        if b.get(i).is_some_and(u8::is_ascii_digit) {
            // More than 19 digits.
            return self.long_number(start);
        }
        if let Some(b'e' | b'E') = b.get(i) {
            integer = false;
            let (e, next) = self.exponent(i + 1)?;
            exp10 = exp10.saturating_add(e);
            i = next;
        }
        self.pos = i;
        Ok(Number {
            text: b.get(start..i).unwrap_or_default(),
            neg,
            mant,
            exp10,
            truncated: false,
            integer,
        })
    }

    /// The exponent's digits after `e`: its value and the end.
    fn exponent(&self, mut i: usize) -> Result<(i32, usize)> {
        let b = self.bytes;
        let neg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let first = i;
        let mut e = 0i32;
        while let Some(&c @ b'0'..=b'9') = b.get(i) {
            e = e.saturating_mul(10).saturating_add(i32::from(c - b'0'));
            i += 1;
        }
        if i == first {
            return Err(self.error_at(i, "invalid number"));
        }
        Ok((if neg { -e } else { e }, i))
    }

    /// A number with more than 19 digits: the first 19 significant ones
    /// make the mantissa, the rest only move the exponent.
    #[cold]
    fn long_number(&mut self, start: usize) -> Result<Number<'a>> {
        let b = self.bytes;
        let mut i = start;
        let neg = b.get(i) == Some(&b'-');
        if neg {
            i += 1;
        }
        let (mut mant, mut digits, mut exp10, mut truncated) = (0u64, 0u32, 0i32, false);
        let mut integer = true;
        let mut fraction = false;
        loop {
            match b.get(i) {
                Some(&c @ b'0'..=b'9') => {
                    let d = c - b'0';
                    if digits < 19 {
                        if mant != 0 || d != 0 {
                            mant = mant * 10 + u64::from(d);
                            digits += 1;
                        }
                        if fraction {
                            exp10 = exp10.saturating_sub(1);
                        }
                    } else {
                        truncated = true;
                        if !fraction {
                            exp10 = exp10.saturating_add(1);
                        }
                    }
                }
                Some(b'.') if !fraction => {
                    fraction = true;
                    integer = false;
                    if !b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                        return Err(self.error_at(i + 1, "invalid number"));
                    }
                }
                _ => break,
            }
            i += 1;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            integer = false;
            let (e, next) = self.exponent(i + 1)?;
            exp10 = exp10.saturating_add(e);
            i = next;
        }
        self.pos = i;
        Ok(Number {
            text: b.get(start..i).unwrap_or_default(),
            neg,
            mant,
            exp10,
            truncated,
            integer,
        })
    }

    #[inline]
    fn typed<T>(&mut self, what: &str, f: impl FnOnce(&Number<'a>) -> Option<T>) -> Result<T> {
        let start = self.pos;
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.expected(what));
        }
        let n = match self.short_number() {
            Some(n) => n,
            None => self.number()?,
        };
        f(&n).ok_or_else(|| self.not_a(start, &n, what))
    }

    /// An integer that fits an i64.
    #[inline]
    pub(crate) fn i64(&mut self) -> Result<i64> {
        self.typed("an i64 integer", Number::i64)
    }

    /// A non-negative integer that fits a u64.
    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64> {
        self.typed("a u64 integer", Number::u64)
    }

    /// A number as the nearest f64.
    #[inline]
    pub(crate) fn f64(&mut self) -> Result<f64> {
        self.typed("a finite f64", Number::f64)
    }

    /// A number whose f64 is finite, kept as its decimal parts.
    #[inline]
    pub(crate) fn finite_number(&mut self) -> Result<Number<'a>> {
        self.typed("a finite f64", |n| n.f32_of_f64().map(|_| *n))
    }

    /// `null` as `None`, else what `f` reads.
    #[inline]
    pub(crate) fn option<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<Option<T>> {
        if self.null() {
            Ok(None)
        } else {
            f(self).map(Some)
        }
    }

    /// Any value deserialized by serde_json at the current position (its
    /// full grammar, types and recursion limit).
    pub(crate) fn value<T: Deserialize<'a>>(&mut self) -> Result<T> {
        self.skip_ws();
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<T>();
        match stream.next() {
            Some(Ok(v)) => {
                self.pos = start + stream.byte_offset();
                Ok(v)
            }
            Some(Err(e)) => {
                // serde_json's position is within `rest`: report it in the
                // file, and its message without the relative position.
                let text = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                let what = text.strip_suffix(&suffix).unwrap_or(&text);
                let mut off = start;
                let mut line = 1;
                for (j, &c) in rest.iter().enumerate() {
                    if line == e.line() {
                        off = start + j + e.column().saturating_sub(1);
                        break;
                    }
                    if c == b'\n' {
                        line += 1;
                    }
                }
                Err(self.error_at(off.min(self.bytes.len()), what))
            }
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    /// Skips one value of any kind.
    pub(crate) fn skip(&mut self) -> Result<()> {
        if let Some(b'-' | b'0'..=b'9') = self.peek() {
            self.number().map(|_| ())
        } else {
            self.value::<serde::de::IgnoredAny>().map(|_| ())
        }
    }

    /// Checks that only whitespace follows.
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    /// An error for a key seen twice in one object.
    pub(crate) fn duplicate(&self, key: &str) -> Error {
        self.error(format!("duplicate field `{key}`"))
    }
}

/// 10^k for k ≤ 8.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Appends the digits from `i` on to `mant` while at most 19 digits are
/// taken in all (`n` counts them), up to eight at a time; returns where
/// the digits it took end (at a digit if it stopped at 19).
#[inline(always)]
fn digit_run(b: &[u8], mut i: usize, mant: &mut u64, n: &mut u32) -> usize {
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let v = u64::from_le_bytes(chunk);
        // x holds each digit's value in its byte; a byte is a digit when
        // x < 10, i.e. neither x nor x + 0x76 has its high bit set (a
        // carry out of a non-digit byte only disturbs the bytes after it).
        let x = v ^ 0x3030_3030_3030_3030;
        let bad = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
        // Digits before the first non-digit, at most up to 19 in all.
        let k = (bad.trailing_zeros() / 8).min(19 - *n);
        if k == 0 {
            return i;
        }
        // The k digits, moved to the top of the word (the bytes below
        // become leading zeros), to their value in three multiplications.
        let mut d = x << (8 * (8 - k));
        d = d.wrapping_mul(10).wrapping_add(d >> 8) & 0x00FF_00FF_00FF_00FF;
        d = d.wrapping_mul(100).wrapping_add(d >> 16) & 0x0000_FFFF_0000_FFFF;
        d = d.wrapping_mul(10_000).wrapping_add(d >> 32) & 0xFFFF_FFFF;
        *mant = *mant * POW10_U64.get(k as usize).copied().unwrap_or(1) + d;
        *n += k;
        i += k as usize;
        if k < 8 {
            return i;
        }
    }
    // The last bytes of the document.
    while *n < 19 {
        let Some(&c @ b'0'..=b'9') = b.get(i) else {
            break;
        };
        *mant = *mant * 10 + u64::from(c - b'0');
        *n += 1;
        i += 1;
    }
    i
}

/// The value of the eight bytes at `i` when they are all ASCII digits.
#[inline(always)]
fn eight_digits(b: &[u8], i: usize) -> Option<u64> {
    let chunk = <[u8; 8]>::try_from(b.get(i..i + 8)?).ok()?;
    // x holds each digit's value in its byte; a byte is a digit when
    // x < 10, i.e. neither x nor x + 0x76 has its high bit set.
    let x = u64::from_le_bytes(chunk) ^ 0x3030_3030_3030_3030;
    if (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    let mut d = x;
    d = d.wrapping_mul(10).wrapping_add(d >> 8) & 0x00FF_00FF_00FF_00FF;
    d = d.wrapping_mul(100).wrapping_add(d >> 16) & 0x0000_FFFF_0000_FFFF;
    d = d.wrapping_mul(10_000).wrapping_add(d >> 32) & 0xFFFF_FFFF;
    Some(d)
}

/// How many ASCII digits the eight bytes at `i` start with (1 to 8), and
/// their value; `None` when the first is not a digit or fewer than eight
/// bytes are left.
#[inline(always)]
fn up_to_eight_digits(b: &[u8], i: usize) -> Option<(usize, u64)> {
    let chunk = <[u8; 8]>::try_from(b.get(i..i + 8)?).ok()?;
    // As in `digit_run`: x holds each digit's value in its byte; a byte is
    // a digit when neither x nor x + 0x76 has its high bit set.
    let x = u64::from_le_bytes(chunk) ^ 0x3030_3030_3030_3030;
    let bad = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
    let k = (bad.trailing_zeros() / 8) as usize;
    if k == 0 {
        return None;
    }
    // The k digits moved to the top of the word (the bytes below become
    // leading zeros), to their value in three multiplications.
    let mut d = x << (8 * (8 - k));
    d = d.wrapping_mul(10).wrapping_add(d >> 8) & 0x00FF_00FF_00FF_00FF;
    d = d.wrapping_mul(100).wrapping_add(d >> 16) & 0x0000_FFFF_0000_FFFF;
    d = d.wrapping_mul(10_000).wrapping_add(d >> 32) & 0xFFFF_FFFF;
    Some((k, d))
}

/// The state of an object or array being read: whether the next member is
/// the first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Members {
    first: bool,
}

impl Members {
    /// The state after an element was read.
    pub(crate) const AFTER_FIRST: Members = Members { first: false };

    /// Whether no member was read yet.
    pub(crate) fn is_first(self) -> bool {
        self.first
    }
}

/// Remembers which keys of an object were seen (at most 64 known keys),
/// to reject duplicates as serde's derived readers do.
#[derive(Debug, Default)]
pub(crate) struct Seen(u64);

impl Seen {
    /// Marks key number `i`; an error if it was already seen.
    #[inline]
    pub(crate) fn mark(&mut self, s: &Scanner<'_>, i: u32, key: &str) -> Result<()> {
        let bit = 1u64 << (i & 63);
        if self.0 & bit != 0 {
            return Err(s.duplicate(key));
        }
        self.0 |= bit;
        Ok(())
    }
}
