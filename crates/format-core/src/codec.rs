//! Compression codecs: zlib, gzip and zstd, one-shot and streaming, with a
//! limit on the decompressed size so a hostile stream cannot exhaust memory.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use crate::{Error, Result};

/// A compression codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// zlib (RFC 1950): deflate with a 2-byte header and Adler-32 trailer.
    /// This is what RAB upstream calls "gzip".
    Zlib,
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Codec {
    /// The codec's name: `zlib`, `gzip` or `zstd`.
    pub const fn name(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }

    /// The default level (6 for deflate codecs, 3 for zstd).
    pub const fn default_level(self) -> i32 {
        match self {
            Codec::Zlib | Codec::Gzip => 6,
            Codec::Zstd => 3,
        }
    }

    fn err(self, e: impl fmt::Display) -> Error {
        Error::Codec {
            codec: self.name(),
            reason: e.to_string(),
        }
    }

    /// Compresses `data` in one shot at `level` (clamped to the codec's range).
    ///
    /// ```
    /// use vellum_format_core::Codec;
    /// for codec in [Codec::Zlib, Codec::Gzip, Codec::Zstd] {
    ///     let packed = codec.compress(b"hello hello hello", codec.default_level())?;
    ///     assert_eq!(codec.decompress(&packed, 1 << 20)?, b"hello hello hello");
    /// }
    /// # Ok::<(), vellum_format_core::Error>(())
    /// ```
    pub fn compress(self, data: &[u8], level: i32) -> Result<Vec<u8>> {
        let mut enc = self.encoder(Vec::with_capacity(data.len() / 2 + 64), level)?;
        enc.write_all(data).map_err(|e| self.err(e))?;
        enc.finish()
    }

    /// Decompresses `data` in one shot; fails with
    /// [`Error::LimitExceeded`] if the output would exceed `max_len` bytes.
    pub fn decompress(self, data: &[u8], max_len: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut dec = self.decoder(data, max_len)?;
        match dec.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(dec.map_error(e)),
        }
    }

    /// A streaming encoder writing compressed bytes to `inner`; call
    /// [`Encoder::finish`] to end the stream.
    pub fn encoder<W: Write>(self, inner: W, level: i32) -> Result<Encoder<W>> {
        let deflate_level = flate2::Compression::new(level.clamp(0, 9) as u32);
        Ok(Encoder(match self {
            Codec::Zlib => EncoderKind::Zlib(flate2::write::ZlibEncoder::new(inner, deflate_level)),
            Codec::Gzip => EncoderKind::Gzip(flate2::write::GzEncoder::new(inner, deflate_level)),
            Codec::Zstd => EncoderKind::Zstd(
                zstd::stream::write::Encoder::new(inner, level).map_err(|e| self.err(e))?,
            ),
        }))
    }

    /// A streaming decoder reading compressed bytes from `inner` and
    /// producing at most `max_len` bytes; reading past that fails.
    pub fn decoder<'r, R: Read + 'r>(self, inner: R, max_len: u64) -> Result<Decoder<'r>> {
        let inner: Box<dyn Read + 'r> = match self {
            Codec::Zlib => Box::new(flate2::read::ZlibDecoder::new(inner)),
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
            Codec::Zstd => {
                Box::new(zstd::stream::read::Decoder::new(inner).map_err(|e| self.err(e))?)
            }
        };
        Ok(Decoder {
            codec: self,
            inner,
            produced: 0,
            max_len,
        })
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Codec> {
        match s {
            "zlib" => Ok(Codec::Zlib),
            "gzip" | "gz" => Ok(Codec::Gzip),
            "zstd" | "zst" => Ok(Codec::Zstd),
            other => Err(Error::Codec {
                codec: "codec",
                reason: format!("unknown codec {other:?} (known: zlib, gzip, zstd)"),
            }),
        }
    }
}

/// A streaming compressor (see [`Codec::encoder`]).
pub struct Encoder<W: Write>(EncoderKind<W>);

enum EncoderKind<W: Write> {
    Zlib(flate2::write::ZlibEncoder<W>),
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> fmt::Debug for Encoder<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Encoder")
    }
}

impl<W: Write> Encoder<W> {
    /// Ends the stream and returns the inner writer.
    pub fn finish(self) -> Result<W> {
        match self.0 {
            EncoderKind::Zlib(e) => e.finish().map_err(|e| Codec::Zlib.err(e)),
            EncoderKind::Gzip(e) => e.finish().map_err(|e| Codec::Gzip.err(e)),
            EncoderKind::Zstd(e) => e.finish().map_err(|e| Codec::Zstd.err(e)),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.0 {
            EncoderKind::Zlib(e) => e.write(buf),
            EncoderKind::Gzip(e) => e.write(buf),
            EncoderKind::Zstd(e) => e.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0 {
            EncoderKind::Zlib(e) => e.flush(),
            EncoderKind::Gzip(e) => e.flush(),
            EncoderKind::Zstd(e) => e.flush(),
        }
    }
}

/// A streaming decompressor with an output limit (see [`Codec::decoder`]).
pub struct Decoder<'r> {
    codec: Codec,
    inner: Box<dyn Read + 'r>,
    produced: u64,
    max_len: u64,
}

impl fmt::Debug for Decoder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("codec", &self.codec)
            .field("produced", &self.produced)
            .field("max_len", &self.max_len)
            .finish()
    }
}

/// Marker carried inside an `io::Error` when the limit is hit.
#[derive(Debug)]
struct OverLimit;
impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("decompressed size limit exceeded")
    }
}
impl std::error::Error for OverLimit {}

impl Decoder<'_> {
    /// Turns an `io::Error` from [`Read::read`] into this crate's error,
    /// recognising the size limit.
    pub fn map_error(&self, e: io::Error) -> Error {
        if e.get_ref().is_some_and(|i| i.is::<OverLimit>()) {
            Error::LimitExceeded {
                what: "decompressed size",
                limit: self.max_len,
                requested: self.produced,
            }
        } else {
            self.codec.err(e)
        }
    }

    /// Bytes produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }
}

impl Read for Decoder<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Allow one byte beyond the limit so reaching it exactly is fine but
        // exceeding it is detected.
        let room = self.max_len.saturating_sub(self.produced).saturating_add(1);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.produced += n as u64;
        if self.produced > self.max_len {
            return Err(io::Error::new(io::ErrorKind::InvalidData, OverLimit));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_enforced() {
        for codec in [Codec::Zlib, Codec::Gzip, Codec::Zstd] {
            let data = vec![7u8; 100_000];
            let packed = codec.compress(&data, 1).unwrap();
            assert_eq!(codec.decompress(&packed, 100_000).unwrap(), data);
            assert!(matches!(
                codec.decompress(&packed, 99_999),
                Err(Error::LimitExceeded { .. })
            ));
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for codec in [Codec::Zlib, Codec::Gzip, Codec::Zstd] {
            assert!(
                codec
                    .decompress(b"definitely not compressed", 1 << 20)
                    .is_err()
            );
        }
    }

    #[test]
    fn zlib_header_is_what_python_writes() {
        // zlib.compress(b"", 6) == b"x\x9c\x03\x00\x00\x00\x00\x01"
        assert_eq!(
            Codec::Zlib.compress(b"", 6).unwrap(),
            b"x\x9c\x03\x00\x00\x00\x00\x01"
        );
    }
}
