//! numpy `.npy` arrays, as `dsrecords.io.dump_np` stores them
//! (spec: dsrecords.md §2.2).
//!
//! Reading accepts versions 1.0, 2.0 and 3.0; writing reproduces numpy's
//! header byte for byte (keys sorted, 21-digit growth room, padding so the
//! data starts on a 64-byte boundary).

use std::fmt;

use bytes::Bytes;
use vellum_format_core::{ByteOrder, ByteReader, DType, Element, Limits, checked_product, view_as};

use super::pylit::{self, Lit};
use crate::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";
/// numpy's `ARRAY_ALIGN`: the data of a `.npy` starts at a multiple of it.
const ARRAY_ALIGN: usize = 64;
/// numpy's `GROWTH_AXIS_MAX_DIGITS`: room left to grow the first dimension.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// The element type of an array: numpy's `descr`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Descr {
    /// A numeric type (`<f4`, `|b1`, `>i4`, `<c8`, …).
    Numeric(DType),
    /// Fixed-size byte strings, `|S<n>` (NUL-padded).
    Bytes(usize),
    /// Fixed-size UCS-4 strings, `<U<n>` (NUL-padded code points).
    Unicode {
        /// Characters per item.
        chars: usize,
        /// Byte order of the code points.
        order: ByteOrder,
    },
    /// Any other simple type string whose item size numpy writes in it
    /// (`|V8`, `<M8[ns]`, `<m8[s]`), kept as text with its item size.
    Other {
        /// The type string as written.
        text: String,
        /// Bytes per item.
        item_size: usize,
    },
    /// A structured (record) type: named fields, read as raw bytes plus
    /// this description.
    Structured(Vec<StructField>),
}

/// One field of a structured [`Descr`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructField {
    /// The field name (empty for numpy's padding fields).
    pub name: String,
    /// Its element type.
    pub descr: Descr,
    /// Its sub-array shape (empty for a scalar field).
    pub shape: Vec<u64>,
}

impl Descr {
    /// Bytes per item.
    pub fn item_size(&self) -> usize {
        match self {
            Descr::Numeric(d) => d.item_size(),
            Descr::Bytes(n) => *n,
            Descr::Unicode { chars, .. } => chars.saturating_mul(4),
            Descr::Other { item_size, .. } => *item_size,
            Descr::Structured(fields) => fields
                .iter()
                .map(|f| {
                    let n: u64 = f.shape.iter().product();
                    f.descr.item_size().saturating_mul(n as usize)
                })
                .fold(0usize, usize::saturating_add),
        }
    }

    /// numpy's `descr` written as a Python literal, as in the header.
    pub fn to_python(&self) -> String {
        match self {
            Descr::Structured(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| {
                        if f.shape.is_empty() {
                            format!("({}, {})", pylit::repr_str(&f.name), f.descr.to_python())
                        } else {
                            format!(
                                "({}, {}, {})",
                                pylit::repr_str(&f.name),
                                f.descr.to_python(),
                                pylit::repr_shape(&f.shape)
                            )
                        }
                    })
                    .collect();
                format!("[{}]", parts.join(", "))
            }
            simple => pylit::repr_str(&simple.type_string()),
        }
    }

    /// The type string of a simple descr (`<f4`, `|S4`, `<U5`); for a
    /// structured one, its Python literal.
    pub fn type_string(&self) -> String {
        match self {
            Descr::Numeric(d) => d.descr(),
            Descr::Bytes(n) => format!("|S{n}"),
            Descr::Unicode { chars, order } => format!("{}U{chars}", order.numpy_char()),
            Descr::Other { text, .. } => text.clone(),
            Descr::Structured(_) => self.to_python(),
        }
    }

    fn parse_simple(s: &str) -> Option<Descr> {
        if let Ok(d) = s.parse::<DType>() {
            return Some(Descr::Numeric(d));
        }
        let (order, rest) = match s.as_bytes().first()? {
            b'<' => (ByteOrder::Little, s.get(1..)?),
            b'>' => (ByteOrder::Big, s.get(1..)?),
            b'|' | b'=' => (ByteOrder::NATIVE, s.get(1..)?),
            _ => (ByteOrder::NATIVE, s),
        };
        let kind = rest.chars().next()?;
        let digits: String = rest
            .get(1..)?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let n: usize = digits.parse().ok()?;
        match kind {
            'S' | 'a' => Some(Descr::Bytes(n)),
            'U' => Some(Descr::Unicode { chars: n, order }),
            'V' | 'M' | 'm' => Some(Descr::Other {
                text: s.to_owned(),
                item_size: n,
            }),
            _ => None,
        }
    }

    fn from_lit(lit: &Lit, at: u64, depth: usize) -> Result<Descr> {
        let bad = |reason: String| {
            Error::Bytes(vellum_format_core::Error::Invalid {
                field: "npy descr",
                offset: at,
                reason,
            })
        };
        match lit {
            Lit::Str(s) => Descr::parse_simple(s).ok_or_else(|| {
                bad(format!(
                    "unsupported dtype {s:?} (object arrays cannot be read)"
                ))
            }),
            Lit::List(items) if depth < 8 => {
                let mut fields = Vec::with_capacity(items.len());
                for item in items {
                    let Lit::Tuple(parts) = item else {
                        return Err(bad("a structured field is not a tuple".into()));
                    };
                    let (name, descr, shape) = match parts.as_slice() {
                        [Lit::Str(n), d] => (n, d, Vec::new()),
                        [Lit::Str(n), d, s] => (
                            n,
                            d,
                            shape_from_lit(s).ok_or_else(|| bad("bad field shape".into()))?,
                        ),
                        // numpy's (title, name) pairs.
                        [Lit::Tuple(tn), d] if tn.len() == 2 => match tn.get(1) {
                            Some(Lit::Str(n)) => (n, d, Vec::new()),
                            _ => return Err(bad("bad field title".into())),
                        },
                        _ => return Err(bad("bad structured field".into())),
                    };
                    fields.push(StructField {
                        name: name.clone(),
                        descr: Descr::from_lit(descr, at, depth + 1)?,
                        shape,
                    });
                }
                Ok(Descr::Structured(fields))
            }
            _ => Err(bad("unsupported descr".into())),
        }
    }
}

impl fmt::Display for Descr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.type_string())
    }
}

fn shape_from_lit(lit: &Lit) -> Option<Vec<u64>> {
    match lit {
        Lit::Tuple(items) => items
            .iter()
            .map(|i| match i {
                Lit::Int(n) => u64::try_from(*n).ok(),
                _ => None,
            })
            .collect(),
        // `(3)` parses as 3: numpy accepts a bare int as a 1-d shape.
        Lit::Int(n) => u64::try_from(*n).ok().map(|n| vec![n]),
        _ => None,
    }
}

/// A numpy array: shape, element type, memory order and its raw data
/// (zero-copy when read from a record).
///
/// ```
/// use vellum_records::NpyArray;
/// let a = NpyArray::from_slice(&[2, 2], &[1.0f32, 2.0, 3.0, 4.0]);
/// let bytes = a.to_npy();
/// assert_eq!(bytes.len(), 128 + 16); // 64-byte aligned header
/// let back = NpyArray::parse(bytes.into(), &Default::default())?;
/// assert_eq!(back.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(back.shape(), &[2, 2]);
/// # Ok::<(), vellum_records::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    descr: Descr,
    fortran_order: bool,
    shape: Vec<u64>,
    data: Bytes,
}

impl NpyArray {
    /// An array from its parts; the data length must be the item size times
    /// the number of elements.
    pub fn new(
        descr: Descr,
        shape: Vec<u64>,
        fortran_order: bool,
        data: Bytes,
    ) -> Result<NpyArray> {
        let need = checked_product(&shape, descr.item_size() as u64, "npy data", 0)?;
        if need != data.len() as u64 {
            return Err(Error::BadValue {
                codec: "npy".into(),
                reason: format!(
                    "shape {shape:?} of {descr} needs {need} bytes, the data has {}",
                    data.len()
                ),
            });
        }
        Ok(NpyArray {
            descr,
            fortran_order,
            shape,
            data,
        })
    }

    /// A C-order little-endian array of `values` with `shape`.
    ///
    /// # Panics
    /// If the shape's element count is not `values.len()` (a programming
    /// error, not an input error).
    pub fn from_slice<T: Element>(shape: &[u64], values: &[T]) -> NpyArray {
        let n: u64 = shape.iter().product();
        assert_eq!(n, values.len() as u64, "shape does not match the values");
        let data = vellum_format_core::encode(values, ByteOrder::Little).into_owned();
        NpyArray {
            descr: Descr::Numeric(DType::le(T::SCALAR)),
            fortran_order: false,
            shape: shape.to_vec(),
            data: Bytes::from(data),
        }
    }

    /// The element type.
    pub fn descr(&self) -> &Descr {
        &self.descr
    }

    /// The numeric dtype, when the array is numeric.
    pub fn dtype(&self) -> Option<DType> {
        match self.descr {
            Descr::Numeric(d) => Some(d),
            _ => None,
        }
    }

    /// The shape (empty for a 0-d array).
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// True when the data is stored in Fortran (column-major) order.
    pub fn fortran_order(&self) -> bool {
        self.fortran_order
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    /// True for an array with no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw element bytes, in storage order.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The elements in storage order as `T` (borrowed when aligned and
    /// native; fails when `T` is not the array's dtype).
    pub fn view<T: Element>(&self) -> Result<std::borrow::Cow<'_, [T]>> {
        let dtype = self.dtype().ok_or_else(|| Error::BadValue {
            codec: "npy".into(),
            reason: format!("{} is not a numeric dtype", self.descr),
        })?;
        Ok(view_as::<T>(&self.data, dtype)?)
    }

    /// The elements in storage order, copied.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        Ok(self.view::<T>()?.into_owned())
    }

    /// Parses a `.npy` file image. The data is a zero-copy slice of `bytes`.
    pub fn parse(bytes: Bytes, limits: &Limits) -> Result<NpyArray> {
        let mut r = ByteReader::new(&bytes);
        r.expect_magic(MAGIC, "npy magic")?;
        let major = r.u8("npy major version")?;
        let _minor = r.u8("npy minor version")?;
        let hlen_at = r.offset();
        let hlen = match major {
            1 => u64::from(r.u16_le("npy header length")?),
            2 | 3 => u64::from(r.u32_le("npy header length")?),
            v => {
                return Err(r
                    .invalid_at(2, "npy major version", format!("unsupported version {v}"))
                    .into());
            }
        };
        limits.check_header(hlen)?;
        let header_at = r.offset();
        let header = r.take_u64(hlen, "npy header")?;
        let text: String = if major == 3 {
            std::str::from_utf8(header)
                .map_err(|_| r.invalid_at(header_at, "npy header", "not UTF-8"))?
                .to_owned()
        } else {
            // Versions 1 and 2 are latin-1.
            header.iter().map(|&b| b as char).collect()
        };
        let _ = hlen_at;
        let Lit::Dict(items) = pylit::parse(&text, header_at)? else {
            return Err(r.invalid_at(header_at, "npy header", "not a dict").into());
        };
        let get = |key: &str| {
            items
                .iter()
                .find(|(k, _)| matches!(k, Lit::Str(s) if s == key))
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    r.invalid_at(header_at, "npy header", format!("missing key {key:?}"))
                })
        };
        let descr = Descr::from_lit(get("descr")?, header_at, 0)?;
        let fortran_order = match get("fortran_order")? {
            Lit::Bool(b) => *b,
            _ => {
                return Err(r
                    .invalid_at(header_at, "npy header", "fortran_order is not a bool")
                    .into());
            }
        };
        let shape = shape_from_lit(get("shape")?).ok_or_else(|| {
            r.invalid_at(header_at, "npy header", "shape is not a tuple of sizes")
        })?;
        if items.len() != 3 {
            return Err(r
                .invalid_at(header_at, "npy header", "unexpected keys")
                .into());
        }
        let need = checked_product(&shape, descr.item_size() as u64, "npy shape", header_at)?;
        let data_at = r.position();
        let rest = r.rest().len() as u64;
        if rest != need {
            return Err(Error::Bytes(vellum_format_core::Error::Invalid {
                field: "npy data",
                offset: data_at as u64,
                reason: format!("shape {shape:?} of {descr} needs {need} bytes, {rest} remain"),
            }));
        }
        Ok(NpyArray {
            descr,
            fortran_order,
            shape,
            data: bytes.slice(data_at..),
        })
    }

    /// The header dict text, without padding.
    fn header_text(&self) -> String {
        let mut h = format!(
            "{{'descr': {}, 'fortran_order': {}, 'shape': {}, }}",
            self.descr.to_python(),
            if self.fortran_order { "True" } else { "False" },
            pylit::repr_shape(&self.shape)
        );
        let growth_dim = if self.fortran_order {
            self.shape.last()
        } else {
            self.shape.first()
        };
        if let Some(d) = growth_dim {
            let digits = d.to_string().len();
            h.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
        }
        h
    }

    /// Writes the array as numpy's `np.save` does, byte for byte.
    pub fn write_npy(&self, out: &mut Vec<u8>) {
        let h = self.header_text();
        let latin1 = h.chars().all(|c| (c as u32) < 256);
        let header: Vec<u8> = if latin1 {
            h.chars().map(|c| c as u8).collect()
        } else {
            h.into_bytes()
        };
        let hlen = header.len() + 1;
        // numpy: version 1.0 unless the padded length overflows a u16, 3.0
        // for non-latin-1 names.
        let pad = |prefix: usize| ARRAY_ALIGN - ((prefix + hlen) % ARRAY_ALIGN);
        let (version, prefix) = if !latin1 {
            (3u8, 12)
        } else if hlen + pad(10) <= usize::from(u16::MAX) {
            (1, 10)
        } else {
            (2, 12)
        };
        let padlen = pad(prefix);
        out.reserve(prefix + hlen + padlen + self.data.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[version, 0]);
        let total = hlen + padlen;
        if version == 1 {
            out.extend_from_slice(&(total as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(total as u32).to_le_bytes());
        }
        out.extend_from_slice(&header);
        out.resize(out.len() + padlen, b' ');
        out.push(b'\n');
        out.extend_from_slice(&self.data);
    }

    /// The `.npy` bytes of the array.
    pub fn to_npy(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.write_npy(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_padding_matches_numpy() {
        // np.save of np.zeros(5, '<f4'): 118-byte header, data at 128.
        let a = NpyArray::from_slice(&[5], &[0f32; 5]);
        let b = a.to_npy();
        assert_eq!(&b[8..10], &118u16.to_le_bytes());
        assert_eq!(b.len(), 128 + 20);
        assert_eq!(b[127], b'\n');
        let back = NpyArray::parse(Bytes::from(b), &Limits::default()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn hostile_headers_fail_cleanly() {
        let limits = Limits::default();
        let mut b = NpyArray::from_slice(&[2], &[1u8, 2]).to_npy();
        // shape too large for the data
        let s = String::from_utf8_lossy(&b).replace("(2,)", "(9,)");
        assert!(NpyArray::parse(Bytes::from(s.into_bytes()), &limits).is_err());
        b.truncate(20);
        assert!(NpyArray::parse(Bytes::from(b), &limits).is_err());
        let huge = b"\x93NUMPY\x01\x00\x30\x00{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }";
        assert!(NpyArray::parse(Bytes::from_static(huge), &limits).is_err());
    }
}
