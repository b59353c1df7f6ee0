//! `tf.train.Example`, the usual TFRecord payload (spec: dsrecords.md §5):
//! a map from names to lists of bytes, f32 or i64, as protobuf.
//!
//! Encoding writes the keys sorted (protobuf map order is unspecified; the
//! reference fixtures were re-serialized the same way), floats and ints
//! packed. Decoding accepts packed and unpacked lists and skips unknown
//! fields; every length is checked against the bytes.

use std::collections::BTreeMap;

use bytes::Bytes;
use vellum_format_core::ByteReader;

use crate::{Error, Result};

// Protobuf wire types.
const WIRE_VARINT: u64 = 0;
const WIRE_I64: u64 = 1;
const WIRE_LEN: u64 = 2;
const WIRE_I32: u64 = 5;

/// One feature: a list of one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Feature {
    /// `bytes_list`.
    Bytes(Vec<Bytes>),
    /// `float_list` (f32).
    Float(Vec<f32>),
    /// `int64_list`.
    Int64(Vec<i64>),
}

/// A `tf.train.Example`: named features.
///
/// ```
/// use vellum_records::{Example, Feature};
/// let mut ex = Example::default();
/// ex.features.insert("id".into(), Feature::Int64(vec![0]));
/// let bytes = ex.encode();
/// assert_eq!(bytes, [0x0a, 0x0d, 0x0a, 0x0b, 0x0a, 0x02, b'i', b'd', 0x12, 0x05, 0x1a, 0x03, 0x0a, 0x01, 0x00]);
/// assert_eq!(Example::decode(&bytes.into())?, ex);
/// # Ok::<(), vellum_records::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Example {
    /// The features by name (sorted, as they are encoded).
    pub features: BTreeMap<String, Feature>,
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_len(field: u64, body: &[u8], out: &mut Vec<u8>) {
    put_varint(field << 3 | WIRE_LEN, out);
    put_varint(body.len() as u64, out);
    out.extend_from_slice(body);
}

fn varint(r: &mut ByteReader<'_>, field: &'static str) -> Result<u64> {
    let at = r.offset();
    let mut v = 0u64;
    for i in 0..10 {
        let b = r.u8(field)?;
        v |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(r
        .invalid_at(at, field, "varint longer than 10 bytes")
        .into())
}

/// Reads one field key; returns (field number, wire type).
fn key(r: &mut ByteReader<'_>) -> Result<(u64, u64)> {
    let k = varint(r, "protobuf key")?;
    Ok((k >> 3, k & 7))
}

fn len_delimited<'a>(r: &mut ByteReader<'a>, field: &'static str) -> Result<ByteReader<'a>> {
    let n = varint(r, field)?;
    let n = usize::try_from(n).map_err(|_| r.invalid(field, "length overflows"))?;
    Ok(r.sub(n, field)?)
}

fn skip(r: &mut ByteReader<'_>, wire: u64) -> Result<()> {
    match wire {
        WIRE_VARINT => varint(r, "protobuf varint").map(|_| ()),
        WIRE_I64 => Ok(r.skip(8, "protobuf fixed64")?),
        WIRE_LEN => len_delimited(r, "protobuf bytes").map(|_| ()),
        WIRE_I32 => Ok(r.skip(4, "protobuf fixed32")?),
        w => Err(r
            .invalid("protobuf key", format!("unsupported wire type {w}"))
            .into()),
    }
}

impl Feature {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut list = Vec::new();
        let field = match self {
            Feature::Bytes(v) => {
                for b in v {
                    put_len(1, b, &mut list);
                }
                1
            }
            Feature::Float(v) => {
                if !v.is_empty() {
                    let packed: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                    put_len(1, &packed, &mut list);
                }
                2
            }
            Feature::Int64(v) => {
                if !v.is_empty() {
                    let mut packed = Vec::new();
                    for &i in v {
                        put_varint(i as u64, &mut packed);
                    }
                    put_len(1, &packed, &mut list);
                }
                3
            }
        };
        put_len(field, &list, out);
    }

    fn decode(mut r: ByteReader<'_>, whole: &Bytes) -> Result<Feature> {
        let mut feature = Feature::Bytes(Vec::new());
        while !r.is_empty() {
            let (field, wire) = key(&mut r)?;
            if wire != WIRE_LEN || !(1..=3).contains(&field) {
                skip(&mut r, wire)?;
                continue;
            }
            let mut list = len_delimited(&mut r, "feature list")?;
            feature = match field {
                1 => Feature::Bytes(Vec::new()),
                2 => Feature::Float(Vec::new()),
                _ => Feature::Int64(Vec::new()),
            };
            while !list.is_empty() {
                let (f, w) = key(&mut list)?;
                match (&mut feature, f, w) {
                    (Feature::Bytes(v), 1, WIRE_LEN) => {
                        let b = len_delimited(&mut list, "bytes value")?;
                        v.push(whole.slice_ref(b.data()));
                    }
                    (Feature::Float(v), 1, WIRE_LEN) => {
                        let mut p = len_delimited(&mut list, "packed floats")?;
                        if p.remaining() % 4 != 0 {
                            return Err(p
                                .invalid("packed floats", "length is not a multiple of 4")
                                .into());
                        }
                        v.reserve(p.remaining() / 4);
                        while !p.is_empty() {
                            v.push(p.f32_le("float value")?);
                        }
                    }
                    (Feature::Float(v), 1, WIRE_I32) => v.push(list.f32_le("float value")?),
                    (Feature::Int64(v), 1, WIRE_LEN) => {
                        let mut p = len_delimited(&mut list, "packed int64s")?;
                        while !p.is_empty() {
                            v.push(varint(&mut p, "int64 value")? as i64);
                        }
                    }
                    (Feature::Int64(v), 1, WIRE_VARINT) => {
                        v.push(varint(&mut list, "int64 value")? as i64)
                    }
                    (_, _, w) => skip(&mut list, w)?,
                }
            }
        }
        Ok(feature)
    }
}

impl Example {
    /// The protobuf bytes, keys sorted.
    pub fn encode(&self) -> Vec<u8> {
        let mut features = Vec::new();
        for (name, feature) in &self.features {
            let mut entry = Vec::new();
            put_len(1, name.as_bytes(), &mut entry);
            let mut f = Vec::new();
            feature.encode(&mut f);
            put_len(2, &f, &mut entry);
            put_len(1, &entry, &mut features);
        }
        let mut out = Vec::with_capacity(features.len() + 8);
        put_len(1, &features, &mut out);
        out
    }

    /// Decodes protobuf bytes; byte values are zero-copy slices of `bytes`.
    pub fn decode(bytes: &Bytes) -> Result<Example> {
        let mut ex = Example::default();
        let mut r = ByteReader::new(bytes);
        while !r.is_empty() {
            let (field, wire) = key(&mut r)?;
            if field != 1 || wire != WIRE_LEN {
                skip(&mut r, wire)?;
                continue;
            }
            let mut features = len_delimited(&mut r, "features")?;
            while !features.is_empty() {
                let (f, w) = key(&mut features)?;
                if f != 1 || w != WIRE_LEN {
                    skip(&mut features, w)?;
                    continue;
                }
                let mut entry = len_delimited(&mut features, "feature entry")?;
                let mut name = String::new();
                let mut value = Feature::Bytes(Vec::new());
                while !entry.is_empty() {
                    let (f, w) = key(&mut entry)?;
                    match (f, w) {
                        (1, WIRE_LEN) => {
                            let at = entry.offset();
                            let b = len_delimited(&mut entry, "feature name")?;
                            name = std::str::from_utf8(b.data())
                                .map_err(|_| {
                                    Error::from(entry.invalid_at(at, "feature name", "not UTF-8"))
                                })?
                                .to_owned();
                        }
                        (2, WIRE_LEN) => {
                            let b = len_delimited(&mut entry, "feature")?;
                            value = Feature::decode(b, bytes)?;
                        }
                        (_, w) => skip(&mut entry, w)?,
                    }
                }
                ex.features.insert(name, value);
            }
        }
        Ok(ex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_ints_and_floats_round_trip() {
        let mut ex = Example::default();
        ex.features
            .insert("i".into(), Feature::Int64(vec![-1, i64::MIN, 0, i64::MAX]));
        ex.features
            .insert("f".into(), Feature::Float(vec![0.5, -2.0]));
        ex.features.insert(
            "b".into(),
            Feature::Bytes(vec![Bytes::from_static(b""), Bytes::from_static(b"xy")]),
        );
        ex.features.insert("e".into(), Feature::Float(vec![]));
        let b = Bytes::from(ex.encode());
        assert_eq!(Example::decode(&b).unwrap(), ex);
    }

    #[test]
    fn hostile_lengths_fail() {
        assert!(
            Example::decode(&Bytes::from_static(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])).is_err()
        );
        assert!(
            Example::decode(&Bytes::from_static(&[
                0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01
            ]))
            .is_err()
        );
        assert!(Example::decode(&Bytes::from_static(&[0x0b])).is_err());
    }
}
