//! DataFrame datasets: upstream's column-block encoding (spec §4.5), both
//! ways.

use vellum_format_core::{ByteOrder, DType, Number, Scalar};

use crate::header::{ColumnInfo, DatasetInfo};
use crate::{Error, Result, Value};

/// A table of equally long columns, as a pandas DataFrame dataset stores it
/// (the index is not stored: rows are numbered from 0).
#[derive(Debug, Clone, PartialEq)]
pub struct DataFrame {
    /// The columns, in frame order.
    pub columns: Vec<Column>,
}

/// One column: its label and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The label (a string, or an int for integer labels).
    pub key: Value,
    /// The values.
    pub data: ColumnData,
}

/// The values of one column, typed as they read back.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ColumnData {
    /// Text (trailing NULs are stripped on read, as upstream does).
    Text(Vec<String>),
    /// Booleans.
    Bool(Vec<bool>),
    /// Signed integers; `dtype` is the column's original type.
    Int {
        /// `int8` ... `int64`.
        dtype: Scalar,
        /// The values.
        values: Vec<i64>,
    },
    /// Unsigned integers; `dtype` is the column's original type.
    UInt {
        /// `uint8` ... `uint64`.
        dtype: Scalar,
        /// The values.
        values: Vec<u64>,
    },
    /// Floats; `dtype` is `float16`, `float32` or `float64`.
    Float {
        /// The float type.
        dtype: Scalar,
        /// The values (narrower floats widened exactly).
        values: Vec<f64>,
    },
}

impl ColumnData {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Text(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Int { values, .. } => values.len(),
            ColumnData::UInt { values, .. } => values.len(),
            ColumnData::Float { values, .. } => values.len(),
        }
    }
    /// True when the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl DataFrame {
    /// Number of rows (0 for a frame without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    /// Decodes a payload with the header's column descriptions.
    pub(crate) fn decode(d: &DatasetInfo, data: &[u8]) -> Result<DataFrame> {
        let name = d.name();
        let rows = usize::try_from(d.rows())
            .map_err(|_| Error::payload(name, "row count does not fit"))?;
        let mut offset = 0usize;
        let mut columns = Vec::with_capacity(d.columns().len());
        for c in d.columns() {
            let take = |width: u64, offset: &mut usize| -> Result<&[u8]> {
                let len = width
                    .checked_mul(rows as u64)
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or_else(|| Error::payload(name, "column size overflows"))?;
                let block = offset
                    .checked_add(len)
                    .and_then(|end| data.get(*offset..end))
                    .ok_or_else(|| {
                        Error::payload(name, format!("column {} runs past the payload", c.key))
                    })?;
                *offset += len;
                Ok(block)
            };
            let column = if c.encoding_type == "text" {
                let width = c.max_byte_size.ok_or_else(|| {
                    Error::payload(name, format!("text column {} has no maxByteSize", c.key))
                })?;
                let block = take(width, &mut offset)?;
                // Upstream crashes on width 0 (all values empty); they are "".
                let values = if width == 0 {
                    vec![String::new(); rows]
                } else {
                    block
                        .chunks(width as usize)
                        .map(|cell| {
                            std::str::from_utf8(cell)
                                .map(|s| s.trim_end_matches('\0').to_owned())
                                .map_err(|e| Error::payload(name, format!("column {}: {e}", c.key)))
                        })
                        .collect::<Result<Vec<_>>>()?
                };
                ColumnData::Text(values)
            } else {
                let enc = column_dtype(name, c, &c.encoding_type)?;
                let block = take(enc.item_size() as u64, &mut offset)?;
                let numbers = (0..rows)
                    .map(|i| enc.read_number(block, i))
                    .collect::<vellum_format_core::Result<Vec<Number>>>()?;
                cast(name, c, numbers)?
            };
            columns.push(Column {
                key: c.key.clone(),
                data: column,
            });
        }
        Ok(DataFrame { columns })
    }

    /// Encodes the frame as upstream's `addDataframe` does; returns the
    /// payload and the `columnInfo` entries. With `force_float32` (upstream's
    /// `force_type_compatibility`, default on) float columns are stored as
    /// float32 and read back as float32.
    pub(crate) fn encode(&self, name: &str, force_float32: bool) -> Result<(Vec<u8>, Vec<Value>)> {
        let rows = self.rows();
        if rows == 0 {
            return Err(Error::unwritable(
                name,
                "a DataFrame needs at least one row",
            ));
        }
        let mut payload = Vec::new();
        let mut infos = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            if c.data.len() != rows {
                return Err(Error::unwritable(
                    name,
                    format!("column {} has {} values, not {rows}", c.key, c.data.len()),
                ));
            }
            let info = |enc: &str, orig: &str, endian: &str| {
                Value::map([
                    ("encodingType", Value::from(enc)),
                    ("endianess", Value::from(endian)),
                    ("key", c.key.clone()),
                    ("originalType", Value::from(orig)),
                ])
            };
            let native = if cfg!(target_endian = "little") {
                "little"
            } else {
                "big"
            };
            match &c.data {
                ColumnData::Text(values) => {
                    let width = values.iter().map(String::len).max().unwrap_or(0);
                    for v in values {
                        payload.extend_from_slice(v.as_bytes());
                        payload.resize(payload.len() + width - v.len(), 0);
                    }
                    let mut i = info("text", "text", "na");
                    if let Value::Map(m) = &mut i {
                        m.push((Value::from("maxByteSize"), Value::from(width as u64)));
                    }
                    infos.push(i);
                }
                ColumnData::Bool(values) => {
                    payload.extend(values.iter().map(|&b| u8::from(b)));
                    infos.push(info("uint8", "bool", "na"));
                }
                ColumnData::Int { dtype, values } => {
                    let lo = values.iter().copied().min().unwrap_or(0);
                    let hi = values.iter().copied().max().unwrap_or(0);
                    let enc = narrowest(i128::from(lo), i128::from(hi));
                    for &v in values {
                        push_int(&mut payload, enc, i128::from(v));
                    }
                    let endian = if dtype.item_size() == 1 { "na" } else { native };
                    infos.push(info(enc.name(), dtype.name(), endian));
                }
                ColumnData::UInt { dtype, values } => {
                    let lo = values.iter().copied().min().unwrap_or(0);
                    let hi = values.iter().copied().max().unwrap_or(0);
                    let enc = narrowest(i128::from(lo), i128::from(hi));
                    for &v in values {
                        push_int(&mut payload, enc, i128::from(v));
                    }
                    let endian = if dtype.item_size() == 1 { "na" } else { native };
                    infos.push(info(enc.name(), dtype.name(), endian));
                }
                ColumnData::Float { dtype, values } => {
                    let enc = if force_float32 {
                        Scalar::Float32
                    } else {
                        *dtype
                    };
                    for &v in values {
                        match enc {
                            Scalar::Float16 => {
                                payload.extend_from_slice(&half::f16::from_f64(v).to_ne_bytes())
                            }
                            Scalar::Float32 => payload.extend_from_slice(&(v as f32).to_ne_bytes()),
                            _ => payload.extend_from_slice(&v.to_ne_bytes()),
                        }
                    }
                    // Upstream records the narrowed type as the original too.
                    infos.push(info(enc.name(), enc.name(), native));
                }
            }
        }
        Ok((payload, infos))
    }
}

/// The first of uint8, int8, uint16, int16, uint32, int32, uint64, int64
/// that holds `lo..=hi`.
fn narrowest(lo: i128, hi: i128) -> Scalar {
    use Scalar::*;
    let fits = |s: Scalar| -> bool {
        let (min, max): (i128, i128) = match s {
            UInt8 => (0, u8::MAX.into()),
            Int8 => (i8::MIN.into(), i8::MAX.into()),
            UInt16 => (0, u16::MAX.into()),
            Int16 => (i16::MIN.into(), i16::MAX.into()),
            UInt32 => (0, u32::MAX.into()),
            Int32 => (i32::MIN.into(), i32::MAX.into()),
            UInt64 => (0, u64::MAX.into()),
            _ => (i64::MIN.into(), i64::MAX.into()),
        };
        lo >= min && hi <= max
    };
    [UInt8, Int8, UInt16, Int16, UInt32, Int32, UInt64]
        .into_iter()
        .find(|&s| fits(s))
        .unwrap_or(Int64)
}

fn push_int(out: &mut Vec<u8>, enc: Scalar, v: i128) {
    // `narrowest` guarantees the value fits, so the casts are exact.
    match enc {
        Scalar::UInt8 => out.push(v as u8),
        Scalar::Int8 => out.push(v as i8 as u8),
        Scalar::UInt16 => out.extend_from_slice(&(v as u16).to_ne_bytes()),
        Scalar::Int16 => out.extend_from_slice(&(v as i16).to_ne_bytes()),
        Scalar::UInt32 => out.extend_from_slice(&(v as u32).to_ne_bytes()),
        Scalar::Int32 => out.extend_from_slice(&(v as i32).to_ne_bytes()),
        Scalar::UInt64 => out.extend_from_slice(&(v as u64).to_ne_bytes()),
        _ => out.extend_from_slice(&(v as i64).to_ne_bytes()),
    }
}

fn column_dtype(name: &str, c: &ColumnInfo, type_name: &str) -> Result<DType> {
    let scalar = Scalar::ALL
        .into_iter()
        .find(|s| s.name() == type_name)
        .ok_or_else(|| {
            Error::payload(
                name,
                format!("column {}: unknown type {type_name:?}", c.key),
            )
        })?;
    let order = if c.endianess == "big" {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
    Ok(DType::new(scalar, order))
}

/// numpy's `astype(originalType)` of the decoded block.
fn cast(name: &str, c: &ColumnInfo, numbers: Vec<Number>) -> Result<ColumnData> {
    let orig = column_dtype(name, c, &c.original_type)?.scalar;
    let as_f64 = |n: &Number| match *n {
        Number::Bool(b) => f64::from(u8::from(b)),
        Number::Int(i) => i as f64,
        Number::UInt(u) => u as f64,
        Number::Float(f) => f,
        Number::Complex(re, _) => re,
    };
    let as_i128 = |n: &Number| match *n {
        Number::Bool(b) => i128::from(b),
        Number::Int(i) => i128::from(i),
        Number::UInt(u) => i128::from(u),
        Number::Float(f) | Number::Complex(f, _) => f as i128,
    };
    Ok(match orig {
        Scalar::Bool => ColumnData::Bool(numbers.iter().map(|n| as_i128(n) != 0).collect()),
        s if s.is_float() => ColumnData::Float {
            dtype: s,
            values: numbers
                .iter()
                .map(|n| match s {
                    Scalar::Float16 => half::f16::from_f64(as_f64(n)).to_f64(),
                    Scalar::Float32 => f64::from(as_f64(n) as f32),
                    _ => as_f64(n),
                })
                .collect(),
        },
        s if s.kind_char() == 'u' => ColumnData::UInt {
            dtype: s,
            values: numbers.iter().map(|n| as_i128(n) as u64).collect(),
        },
        s if s.kind_char() == 'i' => ColumnData::Int {
            dtype: s,
            values: numbers.iter().map(|n| as_i128(n) as i64).collect(),
        },
        other => {
            return Err(Error::payload(
                name,
                format!("column {}: cannot read a {other} column", c.key),
            ));
        }
    })
}
