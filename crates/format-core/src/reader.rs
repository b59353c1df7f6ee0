//! The one checked reader for untrusted bytes.
//!
//! Every read returns a `Result`, names its field and reports the byte
//! offset where it failed; offset and length arithmetic is checked. No other
//! Vellum crate parses bytes by hand (the `regex-automata` `util/wire.rs`
//! model).

use crate::{Error, Limits, Result};

/// A cursor over untrusted bytes.
///
/// `ByteReader` borrows the input and hands out sub-slices with the input's
/// lifetime, so reading is zero-copy; callers holding a [`bytes::Bytes`] get
/// an owned zero-copy slice back with [`bytes::Bytes::slice_ref`].
///
/// ```
/// use vellum_format_core::ByteReader;
/// let data = [b'r', b'a', b'b', 5, 0, 0, 0, b'h', b'e', b'l', b'l', b'o'];
/// let mut r = ByteReader::new(&data);
/// r.expect_magic(b"rab", "magic")?;
/// let len = r.u32_le("header length")?;
/// assert_eq!(r.take(len as usize, "header")?, b"hello");
/// assert!(r.u8("past the end").is_err());
/// # Ok::<(), vellum_format_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ByteReader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

macro_rules! read_num {
    ($($(#[$doc:meta])* $name:ident => $ty:ty, $from:ident;)*) => {$(
        $(#[$doc])*
        #[inline]
        pub fn $name(&mut self, field: &'static str) -> Result<$ty> {
            let bytes = self.array::<{ std::mem::size_of::<$ty>() }>(field)?;
            Ok(<$ty>::$from(bytes))
        }
    )*};
}

impl<'a> ByteReader<'a> {
    /// A reader over `data`, positioned at its start; offsets in errors are
    /// offsets into `data`.
    pub fn new(data: &'a [u8]) -> ByteReader<'a> {
        ByteReader {
            data,
            pos: 0,
            base: 0,
        }
    }

    /// A reader whose errors report offsets shifted by `base`: use it when
    /// `data` is a slice that starts at `base` in the file.
    pub fn with_base(data: &'a [u8], base: u64) -> ByteReader<'a> {
        ByteReader { data, pos: 0, base }
    }

    /// Current position, relative to the start of the reader's slice.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Current position as an absolute offset (base + position), as errors
    /// report it.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The bytes not yet read, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    /// The whole input this reader was made over.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    fn truncated(&self, field: &'static str, needed: u64) -> Error {
        Error::Truncated {
            field,
            offset: self.offset(),
            needed,
            available: self.remaining() as u64,
        }
    }

    /// An [`Error::Invalid`] for `field` at the current offset.
    pub fn invalid(&self, field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            offset: self.offset(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Invalid`] for `field` at an absolute offset `at` (for a
    /// field that was already consumed).
    pub fn invalid_at(&self, at: u64, field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            offset: at,
            reason: reason.into(),
        }
    }

    /// Takes the next `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        match self.data.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(self.truncated(field, n as u64)),
        }
    }

    /// Takes the next `n` bytes, with `n` given as a `u64` read from the
    /// input (so a hostile 64-bit length fails cleanly on 32-bit hosts too).
    pub fn take_u64(&mut self, n: u64, field: &'static str) -> Result<&'a [u8]> {
        match usize::try_from(n) {
            Ok(n) => self.take(n, field),
            Err(_) => Err(self.truncated(field, n)),
        }
    }

    /// Takes the next `N` bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let s = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<()> {
        self.take(n, field).map(|_| ())
    }

    /// Moves to absolute position `pos` (relative to the reader's slice).
    pub fn seek(&mut self, pos: usize, field: &'static str) -> Result<()> {
        if pos > self.data.len() {
            return Err(Error::Truncated {
                field,
                offset: self.base + pos as u64,
                needed: 0,
                available: 0,
            });
        }
        self.pos = pos;
        Ok(())
    }

    /// Checks that the next bytes are `magic`, naming the field on failure.
    pub fn expect_magic(&mut self, magic: &[u8], field: &'static str) -> Result<()> {
        let offset = self.offset();
        let found = self.data.get(self.pos..).unwrap_or(&[]);
        let found = &found[..found.len().min(magic.len())];
        if found != magic {
            return Err(Error::BadMagic {
                field,
                offset,
                expected: magic.to_vec(),
                found: found.to_vec(),
            });
        }
        self.pos += magic.len();
        Ok(())
    }

    /// Fails unless every byte has been read (for formats with no trailing
    /// data allowed).
    pub fn expect_end(&self, field: &'static str) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.invalid(
                field,
                format!("{} unexpected trailing bytes", self.remaining()),
            ))
        }
    }

    /// A reader over the next `n` bytes (consumed from this one), keeping
    /// absolute offsets in its errors.
    pub fn sub(&mut self, n: usize, field: &'static str) -> Result<ByteReader<'a>> {
        let base = self.offset();
        let data = self.take(n, field)?;
        Ok(ByteReader::with_base(data, base))
    }

    read_num! {
        /// Reads a `u8`.
        u8 => u8, from_le_bytes;
        /// Reads an `i8`.
        i8 => i8, from_le_bytes;
        /// Reads a little-endian `u16`.
        u16_le => u16, from_le_bytes;
        /// Reads a big-endian `u16`.
        u16_be => u16, from_be_bytes;
        /// Reads a little-endian `i16`.
        i16_le => i16, from_le_bytes;
        /// Reads a big-endian `i16`.
        i16_be => i16, from_be_bytes;
        /// Reads a little-endian `u32`.
        u32_le => u32, from_le_bytes;
        /// Reads a big-endian `u32`.
        u32_be => u32, from_be_bytes;
        /// Reads a little-endian `i32`.
        i32_le => i32, from_le_bytes;
        /// Reads a big-endian `i32`.
        i32_be => i32, from_be_bytes;
        /// Reads a little-endian `u64`.
        u64_le => u64, from_le_bytes;
        /// Reads a big-endian `u64`.
        u64_be => u64, from_be_bytes;
        /// Reads a little-endian `i64`.
        i64_le => i64, from_le_bytes;
        /// Reads a big-endian `i64`.
        i64_be => i64, from_be_bytes;
        /// Reads a little-endian `f32`.
        f32_le => f32, from_le_bytes;
        /// Reads a big-endian `f32`.
        f32_be => f32, from_be_bytes;
        /// Reads a little-endian `f64`.
        f64_le => f64, from_le_bytes;
        /// Reads a big-endian `f64`.
        f64_be => f64, from_be_bytes;
    }

    /// Reads a `u32` little-endian length, then that many bytes.
    pub fn bytes_u32_le(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let n = self.u32_le(field)?;
        self.take(n as usize, field)
    }

    /// Reads a `u64` little-endian length, then that many bytes.
    pub fn bytes_u64_le(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let n = self.u64_le(field)?;
        self.take_u64(n, field)
    }

    /// Reads a `u32` little-endian length, then that many bytes of UTF-8.
    pub fn str_u32_le(&mut self, field: &'static str) -> Result<&'a str> {
        let at = self.offset() + 4;
        let b = self.bytes_u32_le(field)?;
        std::str::from_utf8(b).map_err(|e| self.invalid_at(at, field, format!("not UTF-8: {e}")))
    }

    /// Reads `n` bytes of UTF-8.
    pub fn str(&mut self, n: usize, field: &'static str) -> Result<&'a str> {
        let at = self.offset();
        let b = self.take(n, field)?;
        std::str::from_utf8(b).map_err(|e| self.invalid_at(at, field, format!("not UTF-8: {e}")))
    }

    /// Reads a `u32` little-endian count of items of `item_size` bytes each,
    /// checks that they fit in the remaining input (so the count cannot make
    /// the caller over-allocate), and returns the count.
    pub fn count_u32_le(&mut self, item_size: usize, field: &'static str) -> Result<usize> {
        let at = self.offset();
        let n = self.u32_le(field)? as usize;
        let bytes = n
            .checked_mul(item_size)
            .ok_or(Error::Overflow { field, offset: at })?;
        if bytes > self.remaining() {
            return Err(Error::Truncated {
                field,
                offset: self.offset(),
                needed: bytes as u64,
                available: self.remaining() as u64,
            });
        }
        Ok(n)
    }

    /// Reads a length-prefixed header (`u32` LE length) and checks it
    /// against `limits` before returning it.
    pub fn header_u32_le(&mut self, limits: &Limits, field: &'static str) -> Result<&'a [u8]> {
        let n = self.u32_le(field)?;
        limits.check_header(u64::from(n))?;
        self.take(n as usize, field)
    }
}

/// Checked `offset + len` that must stay within `total`, for offsets and
/// lengths read from a file. Returns the range as `usize`s.
///
/// ```
/// use vellum_format_core::checked_range;
/// assert_eq!(checked_range(10, 5, 20, "payload", 3).unwrap(), 10..15);
/// assert!(checked_range(u64::MAX, 2, 20, "payload", 3).is_err());
/// assert!(checked_range(18, 5, 20, "payload", 3).is_err());
/// ```
pub fn checked_range(
    offset: u64,
    len: u64,
    total: u64,
    field: &'static str,
    at: u64,
) -> Result<std::ops::Range<usize>> {
    let end = offset
        .checked_add(len)
        .ok_or(Error::Overflow { field, offset: at })?;
    if end > total {
        return Err(Error::Invalid {
            field,
            offset: at,
            reason: format!("range {offset}..{end} is outside the {total} bytes available"),
        });
    }
    // `end <= total` and `total` is a length of something in memory.
    let start = usize::try_from(offset).map_err(|_| Error::Overflow { field, offset: at })?;
    let end = usize::try_from(end).map_err(|_| Error::Overflow { field, offset: at })?;
    Ok(start..end)
}

/// Checked product of a shape's extents times an item size, for sizes read
/// from a file.
///
/// ```
/// use vellum_format_core::checked_product;
/// assert_eq!(checked_product(&[2, 3, 4], 8, "shape", 0).unwrap(), 192);
/// assert!(checked_product(&[u64::MAX, 2], 1, "shape", 0).is_err());
/// ```
pub fn checked_product(dims: &[u64], item_size: u64, field: &'static str, at: u64) -> Result<u64> {
    dims.iter()
        .try_fold(item_size, |acc, &d| acc.checked_mul(d))
        .ok_or(Error::Overflow { field, offset: at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_byte_orders() {
        let d = [1, 2, 3, 4, 5, 6, 7, 8];
        let mut r = ByteReader::new(&d);
        assert_eq!(r.u16_le("a").unwrap(), 0x0201);
        assert_eq!(r.u16_be("b").unwrap(), 0x0304);
        assert_eq!(r.u32_be("c").unwrap(), 0x05060708);
        assert!(r.is_empty());
    }

    #[test]
    fn truncation_names_field_and_offset() {
        let d = [1, 2, 3];
        let mut r = ByteReader::with_base(&d, 100);
        r.u8("x").unwrap();
        match r.u32_le("length") {
            Err(Error::Truncated {
                field,
                offset,
                needed,
                available,
            }) => {
                assert_eq!(field, "length");
                assert_eq!(offset, 101);
                assert_eq!(needed, 4);
                assert_eq!(available, 2);
            }
            other => panic!("unexpected {other:?}"),
        }
        // a failed read does not move the cursor
        assert_eq!(r.position(), 1);
    }

    #[test]
    fn counts_cannot_overallocate() {
        let d = [0xff, 0xff, 0xff, 0xff, 0, 0];
        let mut r = ByteReader::new(&d);
        assert!(r.count_u32_le(4, "list").is_err());
    }

    #[test]
    fn magic_mismatch_reports_found_bytes() {
        let mut r = ByteReader::new(b"ra");
        let e = r.expect_magic(b"rab", "magic").unwrap_err();
        assert!(matches!(e, Error::BadMagic { ref found, .. } if found == b"ra"));
    }

    #[test]
    fn utf8_errors_point_at_the_string() {
        let d = [2, 0, 0, 0, 0xff, 0xfe];
        let mut r = ByteReader::new(&d);
        let e = r.str_u32_le("name").unwrap_err();
        assert_eq!(e.offset(), Some(4));
    }

    #[test]
    fn header_limit_checked_before_reading() {
        let d = [0xff, 0xff, 0xff, 0x7f];
        let mut r = ByteReader::new(&d);
        let limits = Limits {
            max_header: 16,
            ..Limits::default()
        };
        assert!(matches!(
            r.header_u32_le(&limits, "header"),
            Err(Error::LimitExceeded { .. })
        ));
    }
}
