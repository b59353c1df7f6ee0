//! The text encodings of `dsrecords.io.dump_str`, with Python's codec
//! details (the BOM that `utf-16`/`utf-32` write; spec: dsrecords.md §2).

use std::fmt;
use std::str::FromStr;

/// A Python text codec that `dump_str(encoding=...)` may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TextEncoding {
    /// `utf-8` (the default).
    #[default]
    Utf8,
    /// `utf-16`: a BOM (`ff fe`) then little-endian code units; decoding
    /// honours either BOM and assumes little-endian without one.
    Utf16,
    /// `utf-16-le`: no BOM.
    Utf16Le,
    /// `utf-16-be`: no BOM.
    Utf16Be,
    /// `utf-32`: a BOM (`ff fe 00 00`) then little-endian code points.
    Utf32,
    /// `utf-32-le`: no BOM.
    Utf32Le,
    /// `utf-32-be`: no BOM.
    Utf32Be,
    /// `latin-1` (ISO-8859-1): one byte per character, U+0000–U+00FF.
    Latin1,
    /// `ascii`: one byte per character, U+0000–U+007F.
    Ascii,
}

impl TextEncoding {
    /// Python's canonical name.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16 => "utf-16",
            TextEncoding::Utf16Le => "utf-16-le",
            TextEncoding::Utf16Be => "utf-16-be",
            TextEncoding::Utf32 => "utf-32",
            TextEncoding::Utf32Le => "utf-32-le",
            TextEncoding::Utf32Be => "utf-32-be",
            TextEncoding::Latin1 => "latin-1",
            TextEncoding::Ascii => "ascii",
        }
    }

    /// Encodes `s`, or says which character cannot be encoded.
    pub fn encode(self, s: &str, out: &mut Vec<u8>) -> Result<(), String> {
        match self {
            TextEncoding::Utf8 => out.extend_from_slice(s.as_bytes()),
            TextEncoding::Utf16 | TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                let be = self == TextEncoding::Utf16Be;
                if self == TextEncoding::Utf16 {
                    out.extend_from_slice(&[0xff, 0xfe]);
                }
                for u in s.encode_utf16() {
                    out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                }
            }
            TextEncoding::Utf32 | TextEncoding::Utf32Le | TextEncoding::Utf32Be => {
                let be = self == TextEncoding::Utf32Be;
                if self == TextEncoding::Utf32 {
                    out.extend_from_slice(&[0xff, 0xfe, 0, 0]);
                }
                for c in s.chars() {
                    let u = c as u32;
                    out.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
                }
            }
            TextEncoding::Latin1 | TextEncoding::Ascii => {
                let max = if self == TextEncoding::Latin1 {
                    0xff
                } else {
                    0x7f
                };
                for (i, c) in s.chars().enumerate() {
                    let u = c as u32;
                    if u > max {
                        return Err(format!(
                            "{:?} at position {i} cannot be encoded in {}",
                            c,
                            self.name()
                        ));
                    }
                    out.push(u as u8);
                }
            }
        }
        Ok(())
    }

    /// Decodes `b`, or says where it is not valid.
    pub fn decode(self, b: &[u8]) -> Result<String, String> {
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(b)
                .map(str::to_owned)
                .map_err(|e| format!("not UTF-8: {e}")),
            TextEncoding::Utf16 | TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
                let (body, be) = match (self, b) {
                    (TextEncoding::Utf16, [0xff, 0xfe, rest @ ..]) => (rest, false),
                    (TextEncoding::Utf16, [0xfe, 0xff, rest @ ..]) => (rest, true),
                    (TextEncoding::Utf16Be, _) => (b, true),
                    _ => (b, false),
                };
                if body.len() % 2 != 0 {
                    return Err("UTF-16 data has an odd length".into());
                }
                let units = body.chunks_exact(2).map(|c| {
                    let pair: [u8; 2] = c.try_into().unwrap_or_default();
                    if be {
                        u16::from_be_bytes(pair)
                    } else {
                        u16::from_le_bytes(pair)
                    }
                });
                char::decode_utf16(units)
                    .collect::<Result<String, _>>()
                    .map_err(|e| format!("not UTF-16: {e}"))
            }
            TextEncoding::Utf32 | TextEncoding::Utf32Le | TextEncoding::Utf32Be => {
                let (body, be) = match (self, b) {
                    (TextEncoding::Utf32, [0xff, 0xfe, 0, 0, rest @ ..]) => (rest, false),
                    (TextEncoding::Utf32, [0, 0, 0xfe, 0xff, rest @ ..]) => (rest, true),
                    (TextEncoding::Utf32Be, _) => (b, true),
                    _ => (b, false),
                };
                if body.len() % 4 != 0 {
                    return Err("UTF-32 data length is not a multiple of 4".into());
                }
                body.chunks_exact(4)
                    .map(|c| {
                        let q: [u8; 4] = c.try_into().unwrap_or_default();
                        let u = if be {
                            u32::from_be_bytes(q)
                        } else {
                            u32::from_le_bytes(q)
                        };
                        char::from_u32(u).ok_or_else(|| format!("U+{u:X} is not a character"))
                    })
                    .collect()
            }
            TextEncoding::Latin1 => Ok(b.iter().map(|&c| c as char).collect()),
            TextEncoding::Ascii => {
                if let Some(p) = b.iter().position(|&c| c > 0x7f) {
                    return Err(format!("byte {p} is not ASCII"));
                }
                Ok(b.iter().map(|&c| c as char).collect())
            }
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TextEncoding {
    type Err = String;
    /// Accepts Python's spellings (`utf-8`, `utf8`, `UTF-16`, `latin-1`,
    /// `latin1`, `iso-8859-1`, …).
    fn from_str(s: &str) -> Result<TextEncoding, String> {
        let norm: String = s
            .to_ascii_lowercase()
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .collect();
        Ok(match norm.as_str() {
            "utf8" | "u8" => TextEncoding::Utf8,
            "utf16" | "u16" => TextEncoding::Utf16,
            "utf16le" => TextEncoding::Utf16Le,
            "utf16be" => TextEncoding::Utf16Be,
            "utf32" | "u32" => TextEncoding::Utf32,
            "utf32le" => TextEncoding::Utf32Le,
            "utf32be" => TextEncoding::Utf32Be,
            "latin1" | "latin" | "iso88591" | "l1" => TextEncoding::Latin1,
            "ascii" | "usascii" => TextEncoding::Ascii,
            _ => return Err(format!("unsupported text encoding {s:?}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_bytes() {
        let mut v = Vec::new();
        TextEncoding::Utf16.encode("", &mut v).unwrap();
        assert_eq!(v, [0xff, 0xfe]);
        v.clear();
        TextEncoding::Latin1.encode("café", &mut v).unwrap();
        assert_eq!(v, b"caf\xe9");
        assert!(TextEncoding::Latin1.encode("日", &mut v).is_err());
        assert_eq!(
            TextEncoding::Utf16.decode(&[0xfe, 0xff, 0, 0x41]).unwrap(),
            "A"
        );
        assert!(TextEncoding::Utf16.decode(&[0xff, 0xfe, 0]).is_err());
        assert_eq!(
            "UTF_16".parse::<TextEncoding>().unwrap(),
            TextEncoding::Utf16
        );
    }
}
