//! Field codecs: the `dump_*`/`load_*` pairs of `dsrecords.io`, byte for
//! byte (spec: dsrecords.md §2).

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use half::f16;
use vellum_format_core::{ByteReader, Limits};

use super::{NpyArray, TextEncoding, Value};
use crate::{Error, Result};

/// Nesting limit for list codecs parsed from text or decoded from input.
const MAX_LIST_DEPTH: usize = 16;

/// How one field of a record is turned into bytes and back.
///
/// | codec | dsrecords | bytes |
/// | --- | --- | --- |
/// | `Int { bytes, signed }` | `dump_int(bits=…, signed=…)` | little-endian, 1/2/4/8 bytes (see [`FieldCodec::ds_int`] for the `bits` quirk) |
/// | `Float { bits }` | `dump_float(bits=…)` | IEEE binary16/32/64, little-endian |
/// | `Bool` | `dump_bool` | one byte, 0 or 1 |
/// | `Str(enc)` | `dump_str(encoding=…)` | the encoded text, no terminator |
/// | `Bytes` | `identity`, `dump_file` | the bytes as given |
/// | `List(item)` | `dump_list(dumper=…)` | u32 count, then u32 length + item per item |
/// | `Npy` | `dump_np` | a `.npy` v1.0 file image |
/// | `Image` | `dump_pil`, `dump_cv2` | encoded PNG/JPEG bytes, kept encoded |
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldCodec {
    /// An integer of `bytes` bytes.
    Int {
        /// Width in bytes: 1, 2, 4 or 8.
        bytes: u8,
        /// Two's complement when true.
        signed: bool,
    },
    /// A float of `bits` bits: 16, 32 or 64.
    Float {
        /// 16, 32 or 64.
        bits: u8,
    },
    /// A boolean byte.
    Bool,
    /// Text in an encoding.
    Str(TextEncoding),
    /// Raw bytes (`identity`; also `dump_file`, which stores a file's
    /// contents).
    Bytes,
    /// A list of items of one codec.
    List(Box<FieldCodec>),
    /// A numpy array.
    Npy,
    /// An encoded image (PNG, JPEG, …), kept as its bytes.
    Image,
}

impl FieldCodec {
    /// The codec of `dump_int(bits=bits, signed=signed)`, keeping the
    /// package's table: `bits=64` is 4 bytes and `bits=128` is 8 bytes
    /// (spec §2.1).
    ///
    /// ```
    /// use vellum_records::FieldCodec;
    /// assert_eq!(FieldCodec::ds_int(64, true)?, FieldCodec::Int { bytes: 4, signed: true });
    /// assert_eq!(FieldCodec::ds_int(128, false)?, FieldCodec::Int { bytes: 8, signed: false });
    /// assert!(FieldCodec::ds_int(12, true).is_err());
    /// # Ok::<(), vellum_records::Error>(())
    /// ```
    pub fn ds_int(bits: u32, signed: bool) -> Result<FieldCodec> {
        let bytes = match bits {
            8 => 1,
            16 => 2,
            32 | 64 => 4,
            128 => 8,
            _ => {
                return Err(Error::BadSchema {
                    schema: format!("dump_int(bits={bits})"),
                    reason: "dsrecords accepts bits 8, 16, 32, 64 or 128".into(),
                });
            }
        };
        Ok(FieldCodec::Int { bytes, signed })
    }

    /// The codec of `dump_float(bits=bits)`.
    pub fn ds_float(bits: u32) -> Result<FieldCodec> {
        match bits {
            16 | 32 | 64 => Ok(FieldCodec::Float { bits: bits as u8 }),
            _ => Err(Error::BadSchema {
                schema: format!("dump_float(bits={bits})"),
                reason: "bits must be 16, 32 or 64".into(),
            }),
        }
    }

    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::BadValue {
            codec: self.to_string(),
            reason: reason.into(),
        }
    }

    /// Appends the bytes of `value` to `out`.
    pub fn encode(&self, value: &Value, out: &mut Vec<u8>) -> Result<()> {
        match (self, value) {
            (FieldCodec::Int { bytes, signed }, v) => {
                let n: i128 = match *v {
                    Value::Int(i) => i128::from(i),
                    Value::UInt(u) => i128::from(u),
                    Value::Bool(b) => i128::from(b),
                    _ => return Err(self.bad(format!("expected an integer, got {}", v.kind()))),
                };
                let bits = u32::from(*bytes) * 8;
                let (lo, hi) = if *signed {
                    (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
                } else {
                    (0, (1i128 << bits) - 1)
                };
                if n < lo || n > hi {
                    return Err(self.bad(format!("{n} is outside {lo}..={hi}")));
                }
                out.extend_from_slice(&n.to_le_bytes()[..usize::from(*bytes)]);
            }
            (FieldCodec::Float { bits }, v) => {
                let x = v
                    .as_f64()
                    .ok_or_else(|| self.bad(format!("expected a float, got {}", v.kind())))?;
                match bits {
                    16 => {
                        let h = f16::from_f64(x);
                        if h.is_infinite() && x.is_finite() {
                            return Err(self.bad(format!("{x} is too large for float16")));
                        }
                        out.extend_from_slice(&h.to_le_bytes());
                    }
                    32 => {
                        let f = x as f32;
                        if f.is_infinite() && x.is_finite() {
                            return Err(self.bad(format!("{x} is too large for float32")));
                        }
                        out.extend_from_slice(&f.to_le_bytes());
                    }
                    _ => out.extend_from_slice(&x.to_le_bytes()),
                }
            }
            (FieldCodec::Bool, v) => {
                let b = match *v {
                    Value::Bool(b) => b,
                    Value::Int(i) => i != 0,
                    Value::UInt(u) => u != 0,
                    Value::Float(f) => f != 0.0,
                    _ => return Err(self.bad(format!("expected a bool, got {}", v.kind()))),
                };
                out.push(u8::from(b));
            }
            (FieldCodec::Str(enc), Value::Str(s)) => enc.encode(s, out).map_err(|r| self.bad(r))?,
            (FieldCodec::Bytes | FieldCodec::Image, Value::Bytes(b)) => out.extend_from_slice(b),
            (FieldCodec::List(item), Value::List(items)) => {
                let n =
                    u32::try_from(items.len()).map_err(|_| self.bad("more than 2^32-1 items"))?;
                out.extend_from_slice(&n.to_le_bytes());
                for v in items {
                    let at = out.len();
                    out.extend_from_slice(&[0; 4]);
                    item.encode(v, out)?;
                    let len = u32::try_from(out.len() - at - 4)
                        .map_err(|_| self.bad("an item is 4 GiB or more"))?;
                    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
                }
            }
            (FieldCodec::Npy, Value::Array(a)) => a.write_npy(out),
            (codec, v) => {
                return Err(codec.bad(format!("cannot encode a {} value", v.kind())));
            }
        }
        Ok(())
    }

    /// The bytes of `value`.
    pub fn encode_to_vec(&self, value: &Value) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.encode(value, &mut v)?;
        Ok(v)
    }

    /// Decodes one field. `bytes` is usually a zero-copy slice of a record;
    /// byte strings and arrays stay slices of it.
    pub fn decode(&self, bytes: &Bytes) -> Result<Value> {
        self.decode_at(bytes, 0)
    }

    /// The field as exactly `N` bytes (fixed-width codecs).
    fn exact<const N: usize>(&self, bytes: &[u8]) -> Result<[u8; N]> {
        <[u8; N]>::try_from(bytes)
            .map_err(|_| self.bad(format!("expected {N} bytes, the field has {}", bytes.len())))
    }

    fn decode_at(&self, bytes: &Bytes, depth: usize) -> Result<Value> {
        Ok(match self {
            FieldCodec::Int { bytes: w, signed } => {
                let raw = match w {
                    1 => u64::from(u8::from_le_bytes(self.exact(bytes)?)),
                    2 => u64::from(u16::from_le_bytes(self.exact(bytes)?)),
                    4 => u64::from(u32::from_le_bytes(self.exact(bytes)?)),
                    _ => u64::from_le_bytes(self.exact(bytes)?),
                };
                if *signed {
                    // Sign-extend from the field's width.
                    let shift = 64 - u32::from(*w) * 8;
                    Value::Int(((raw << shift) as i64) >> shift)
                } else {
                    Value::UInt(raw)
                }
            }
            FieldCodec::Float { bits } => Value::Float(match bits {
                16 => f16::from_le_bytes(self.exact(bytes)?).to_f64(),
                32 => f32::from_le_bytes(self.exact(bytes)?).into(),
                _ => f64::from_le_bytes(self.exact(bytes)?),
            }),
            FieldCodec::Bool => Value::Bool(self.exact::<1>(bytes)? != [0]),
            FieldCodec::Str(enc) => Value::Str(enc.decode(bytes).map_err(|r| self.bad(r))?),
            FieldCodec::Bytes | FieldCodec::Image => Value::Bytes(bytes.clone()),
            FieldCodec::List(item) => {
                if depth >= MAX_LIST_DEPTH {
                    return Err(self.bad("lists nested too deeply"));
                }
                let mut r = ByteReader::new(bytes);
                // Each item costs at least its 4-byte length, so the count
                // is checked against the bytes before allocating.
                let n = r.count_u32_le(4, "list count")?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    let b = r.bytes_u32_le("list item")?;
                    items.push(item.decode_at(&bytes.slice_ref(b), depth + 1)?);
                }
                // Like dsrecords, trailing bytes after the last item are
                // ignored.
                Value::List(items)
            }
            FieldCodec::Npy => Value::Array(NpyArray::parse(bytes.clone(), &Limits::default())?),
        })
    }

    /// The fixed byte size of this codec's fields, if it has one.
    pub fn fixed_size(&self) -> Option<usize> {
        match self {
            FieldCodec::Int { bytes, .. } => Some(usize::from(*bytes)),
            FieldCodec::Float { bits } => Some(usize::from(*bits) / 8),
            FieldCodec::Bool => Some(1),
            _ => None,
        }
    }
}

impl fmt::Display for FieldCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldCodec::Int { bytes, signed } => {
                write!(
                    f,
                    "{}{}",
                    if *signed { 'i' } else { 'u' },
                    u32::from(*bytes) * 8
                )
            }
            FieldCodec::Float { bits } => write!(f, "f{bits}"),
            FieldCodec::Bool => f.write_str("bool"),
            FieldCodec::Str(TextEncoding::Utf8) => f.write_str("str"),
            FieldCodec::Str(e) => write!(f, "str:{e}"),
            FieldCodec::Bytes => f.write_str("bytes"),
            FieldCodec::List(item) => write!(f, "list<{item}>"),
            FieldCodec::Npy => f.write_str("npy"),
            FieldCodec::Image => f.write_str("image"),
        }
    }
}

impl FromStr for FieldCodec {
    type Err = Error;

    /// Parses one codec: `i8 i16 i32 i64 u8 … u64 f16 f32 f64 bool str
    /// str:<encoding> bytes file npy image list<CODEC>`, and the dsrecords
    /// spellings `int:<bits>` / `uint:<bits>` (with the `bits` quirk) and
    /// `float:<bits>`.
    fn from_str(s: &str) -> Result<FieldCodec> {
        parse_codec(s.trim(), 0).map_err(|reason| Error::BadSchema {
            schema: s.to_owned(),
            reason,
        })
    }
}

fn parse_codec(s: &str, depth: usize) -> std::result::Result<FieldCodec, String> {
    if depth > MAX_LIST_DEPTH {
        return Err("lists nested too deeply".into());
    }
    if let Some(inner) = s.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
        return Ok(FieldCodec::List(Box::new(parse_codec(
            inner.trim(),
            depth + 1,
        )?)));
    }
    if let Some(enc) = s.strip_prefix("str:") {
        return Ok(FieldCodec::Str(enc.parse()?));
    }
    let bits = |t: &str| {
        t.parse::<u32>()
            .map_err(|_| format!("bad bit count in {s:?}"))
    };
    if let Some(b) = s.strip_prefix("int:") {
        return FieldCodec::ds_int(bits(b)?, true).map_err(|e| e.to_string());
    }
    if let Some(b) = s.strip_prefix("uint:") {
        return FieldCodec::ds_int(bits(b)?, false).map_err(|e| e.to_string());
    }
    if let Some(b) = s.strip_prefix("float:") {
        return FieldCodec::ds_float(bits(b)?).map_err(|e| e.to_string());
    }
    Ok(match s {
        "i8" => FieldCodec::Int {
            bytes: 1,
            signed: true,
        },
        "i16" => FieldCodec::Int {
            bytes: 2,
            signed: true,
        },
        "i32" | "int" => FieldCodec::Int {
            bytes: 4,
            signed: true,
        },
        "i64" => FieldCodec::Int {
            bytes: 8,
            signed: true,
        },
        "u8" => FieldCodec::Int {
            bytes: 1,
            signed: false,
        },
        "u16" => FieldCodec::Int {
            bytes: 2,
            signed: false,
        },
        "u32" => FieldCodec::Int {
            bytes: 4,
            signed: false,
        },
        "u64" => FieldCodec::Int {
            bytes: 8,
            signed: false,
        },
        "f16" => FieldCodec::Float { bits: 16 },
        "f32" | "float" => FieldCodec::Float { bits: 32 },
        "f64" => FieldCodec::Float { bits: 64 },
        "bool" => FieldCodec::Bool,
        "str" => FieldCodec::Str(TextEncoding::Utf8),
        "bytes" | "file" | "identity" => FieldCodec::Bytes,
        "npy" | "np" => FieldCodec::Npy,
        "image" | "pil" | "cv2" | "png" | "jpeg" => FieldCodec::Image,
        other => return Err(format!("unknown codec {other:?}")),
    })
}

/// An ordered list of field codecs: what a dsrecords reader must know,
/// since the number and kinds of fields are not stored in the file.
///
/// ```
/// use vellum_records::{Schema, Value};
/// let schema: Schema = "i32, str, list<u16>".parse()?;
/// let values = vec![Value::Int(7), "hi".into(), Value::List(vec![Value::Int(1)])];
/// let fields = schema.encode(&values)?;
/// assert_eq!(fields[0], vec![7, 0, 0, 0]);
/// assert_eq!(fields[2], vec![1, 0, 0, 0, 2, 0, 0, 0, 1, 0]);
/// # Ok::<(), vellum_records::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Schema {
    /// The codecs, one per field, in record order.
    pub fields: Vec<FieldCodec>,
}

impl Schema {
    /// A schema of these codecs.
    pub fn new(fields: Vec<FieldCodec>) -> Schema {
        Schema { fields }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Encodes one record's values, one byte vector per field.
    pub fn encode(&self, values: &[Value]) -> Result<Vec<Vec<u8>>> {
        if values.len() != self.fields.len() {
            return Err(Error::BadValue {
                codec: self.to_string(),
                reason: format!("{} values for {} fields", values.len(), self.fields.len()),
            });
        }
        self.fields
            .iter()
            .zip(values)
            .map(|(c, v)| c.encode_to_vec(v))
            .collect()
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.fields.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Schema {
    type Err = Error;
    /// Comma-separated codecs (see [`FieldCodec`]'s `FromStr`).
    fn from_str(s: &str) -> Result<Schema> {
        if s.trim().is_empty() {
            return Ok(Schema::default());
        }
        s.split(',')
            .map(str::parse)
            .collect::<Result<Vec<_>>>()
            .map(Schema::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_keep_the_bits_quirk_and_check_ranges() {
        let c = FieldCodec::ds_int(64, true).unwrap();
        assert!(c.encode_to_vec(&Value::Int(1 << 40)).is_err());
        assert_eq!(
            c.encode_to_vec(&Value::Int(-2)).unwrap(),
            [0xfe, 0xff, 0xff, 0xff]
        );
        let u8c: FieldCodec = "u8".parse().unwrap();
        assert!(u8c.encode_to_vec(&Value::Int(256)).is_err());
        assert!(u8c.encode_to_vec(&Value::Int(-1)).is_err());
        let i8c: FieldCodec = "i8".parse().unwrap();
        assert_eq!(
            i8c.decode(&Bytes::from_static(&[0x80])).unwrap(),
            Value::Int(-128)
        );
        assert!(i8c.decode(&Bytes::from_static(&[1, 2])).is_err());
    }

    #[test]
    fn floats_match_python_struct() {
        let f32c = FieldCodec::Float { bits: 32 };
        assert_eq!(
            f32c.encode_to_vec(&Value::Float(f64::NAN)).unwrap(),
            [0, 0, 0xc0, 0x7f]
        );
        assert!(f32c.encode_to_vec(&Value::Float(1e300)).is_err());
        let f16c = FieldCodec::Float { bits: 16 };
        assert_eq!(
            f16c.encode_to_vec(&Value::Float(f64::INFINITY)).unwrap(),
            [0, 0x7c]
        );
        assert!(f16c.encode_to_vec(&Value::Float(1e6)).is_err());
    }

    #[test]
    fn lists_reject_hostile_counts() {
        let c: FieldCodec = "list<bytes>".parse().unwrap();
        assert!(
            c.decode(&Bytes::from_static(&[0xff, 0xff, 0xff, 0xff]))
                .is_err()
        );
        assert!(
            c.decode(&Bytes::from_static(&[1, 0, 0, 0, 9, 0, 0, 0, 1]))
                .is_err()
        );
        let deep = format!("{}u8{}", "list<".repeat(40), ">".repeat(40));
        assert!(deep.parse::<FieldCodec>().is_err());
    }

    #[test]
    fn schema_text_round_trips() {
        let s: Schema = "i32,f32,str:utf-16,bytes,list<list<i8>>,npy,int:128"
            .parse()
            .unwrap();
        assert_eq!(
            s.to_string(),
            "i32,f32,str:utf-16,bytes,list<list<i8>>,npy,i64"
        );
    }
}
