//! Numeric element types with byte order, numpy-style names and numpy's
//! safe-cast relation.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The byte order of a multi-byte element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Least significant byte first (`<` in numpy).
    Little,
    /// Most significant byte first (`>` in numpy).
    Big,
}

impl ByteOrder {
    /// The order of the machine we run on.
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "little") {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };

    /// True for the machine's own order.
    pub fn is_native(self) -> bool {
        self == Self::NATIVE
    }

    /// numpy's character: `<` or `>`.
    pub fn numpy_char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
        }
    }
}

/// The kind of a numeric element, without byte order.
///
/// These are the 14 element types of RAB arrays and numpy's basic numeric
/// types; BEAT and dsrecords use subsets of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// `bool`, one byte, 0 or 1.
    Bool,
    /// `int8`.
    Int8,
    /// `int16`.
    Int16,
    /// `int32`.
    Int32,
    /// `int64`.
    Int64,
    /// `uint8`.
    UInt8,
    /// `uint16`.
    UInt16,
    /// `uint32`.
    UInt32,
    /// `uint64`.
    UInt64,
    /// `float16` (IEEE binary16).
    Float16,
    /// `float32`.
    Float32,
    /// `float64`.
    Float64,
    /// `complex64`: two `float32`, real then imaginary.
    Complex64,
    /// `complex128`: two `float64`, real then imaginary.
    Complex128,
}

impl Scalar {
    /// Every scalar, in declaration order.
    pub const ALL: [Scalar; 14] = [
        Scalar::Bool,
        Scalar::Int8,
        Scalar::Int16,
        Scalar::Int32,
        Scalar::Int64,
        Scalar::UInt8,
        Scalar::UInt16,
        Scalar::UInt32,
        Scalar::UInt64,
        Scalar::Float16,
        Scalar::Float32,
        Scalar::Float64,
        Scalar::Complex64,
        Scalar::Complex128,
    ];

    /// Size of one element in bytes.
    pub const fn item_size(self) -> usize {
        use Scalar::*;
        match self {
            Bool | Int8 | UInt8 => 1,
            Int16 | UInt16 | Float16 => 2,
            Int32 | UInt32 | Float32 => 4,
            Int64 | UInt64 | Float64 | Complex64 => 8,
            Complex128 => 16,
        }
    }

    /// numpy's name: `float32`, `uint8`, `complex128`, `bool`.
    pub const fn name(self) -> &'static str {
        use Scalar::*;
        match self {
            Bool => "bool",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            UInt8 => "uint8",
            UInt16 => "uint16",
            UInt32 => "uint32",
            UInt64 => "uint64",
            Float16 => "float16",
            Float32 => "float32",
            Float64 => "float64",
            Complex64 => "complex64",
            Complex128 => "complex128",
        }
    }

    /// numpy's kind character: `b`, `i`, `u`, `f`, `c`.
    pub const fn kind_char(self) -> char {
        use Scalar::*;
        match self {
            Bool => 'b',
            Int8 | Int16 | Int32 | Int64 => 'i',
            UInt8 | UInt16 | UInt32 | UInt64 => 'u',
            Float16 | Float32 | Float64 => 'f',
            Complex64 | Complex128 => 'c',
        }
    }

    /// True for signed and unsigned integers.
    pub const fn is_integer(self) -> bool {
        matches!(self.kind_char(), 'i' | 'u')
    }

    /// True for floats.
    pub const fn is_float(self) -> bool {
        self.kind_char() == 'f'
    }

    /// True for complex numbers.
    pub const fn is_complex(self) -> bool {
        self.kind_char() == 'c'
    }

    /// numpy's safe-cast relation (`np.can_cast(self, to, "safe")`): every
    /// value of `self` is exactly representable in `to`.
    pub fn can_cast_safely(self, to: Scalar) -> bool {
        use Scalar::*;
        if self == to || self == Bool {
            return true;
        }
        // Largest exactly-representable integer bits (mantissa + 1) per float.
        let float_int_bits = |s: Scalar| match s {
            Float16 => 11,
            Float32 | Complex64 => 24,
            Float64 | Complex128 => 53,
            _ => 0,
        };
        match (self.kind_char(), to.kind_char()) {
            (_, 'b') => false,
            ('i', 'i') | ('u', 'u') => to.item_size() > self.item_size(),
            ('u', 'i') => to.item_size() > self.item_size(),
            ('i', 'u') => false,
            ('i' | 'u', 'f' | 'c') => {
                // numpy: int8/uint8 -> float16, int16/uint16 -> float32,
                // int32/uint32 -> float64, int64/uint64 -> float64 (by rule).
                let bits = self.item_size() * 8;
                let need = if bits == 64 { 53 } else { bits + 1 };
                float_int_bits(to) >= need.min(53)
            }
            ('f', 'f') => to.item_size() >= self.item_size(),
            ('f', 'c') => to.item_size() >= 2 * self.item_size(),
            ('c', 'c') => to.item_size() >= self.item_size(),
            _ => false,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scalar {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scalar> {
        Scalar::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .or(match s {
                "bool_" | "bool8" => Some(Scalar::Bool),
                "half" => Some(Scalar::Float16),
                "single" => Some(Scalar::Float32),
                "double" | "float" => Some(Scalar::Float64),
                _ => None,
            })
            .ok_or_else(|| Error::UnknownDType(s.to_owned()))
    }
}

/// A numeric element type with its byte order: numpy's dtype for the basic
/// numeric types.
///
/// ```
/// use vellum_format_core::{ByteOrder, DType, Scalar};
/// let d: DType = ">c16".parse()?;
/// assert_eq!(d, DType::new(Scalar::Complex128, ByteOrder::Big));
/// assert_eq!(d.descr(), ">c16");
/// assert_eq!("float32".parse::<DType>()?.descr(), "<f4");
/// assert_eq!("|u1".parse::<DType>()?.scalar, Scalar::UInt8);
/// # Ok::<(), vellum_format_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DType {
    /// The element kind and size.
    pub scalar: Scalar,
    /// The byte order; for one-byte scalars it has no effect and is kept as
    /// given.
    pub order: ByteOrder,
}

impl DType {
    /// A dtype from its parts.
    pub const fn new(scalar: Scalar, order: ByteOrder) -> DType {
        DType { scalar, order }
    }

    /// A little-endian dtype.
    pub const fn le(scalar: Scalar) -> DType {
        DType::new(scalar, ByteOrder::Little)
    }

    /// Size of one element in bytes.
    pub const fn item_size(&self) -> usize {
        self.scalar.item_size()
    }

    /// numpy's array-protocol string: `<f4`, `>c16`, `|u1`, `|b1`.
    pub fn descr(&self) -> String {
        let order = if self.item_size() == 1 {
            '|'
        } else {
            self.order.numpy_char()
        };
        format!("{order}{}{}", self.scalar.kind_char(), self.item_size())
    }

    /// True when elements need a byte swap on this machine.
    pub fn needs_swap(&self) -> bool {
        self.item_size() > 1 && !self.order.is_native()
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.descr())
    }
}

impl FromStr for DType {
    type Err = Error;

    /// Parses numpy names (`float32`, little-endian) and array-protocol
    /// strings (`<f4`, `>i8`, `|u1`, `=f8`, `f4`).
    fn from_str(s: &str) -> Result<DType> {
        if let Ok(scalar) = s.parse::<Scalar>() {
            return Ok(DType::le(scalar));
        }
        let unknown = || Error::UnknownDType(s.to_owned());
        let mut chars = s.chars();
        let first = chars.next().ok_or_else(unknown)?;
        let (order, rest) = match first {
            '<' => (ByteOrder::Little, &s[1..]),
            '>' => (ByteOrder::Big, &s[1..]),
            '|' | '=' => (ByteOrder::NATIVE, &s[1..]),
            _ => (ByteOrder::NATIVE, s),
        };
        let mut rc = rest.chars();
        let kind = rc.next().ok_or_else(unknown)?;
        let size: usize = rc.as_str().parse().map_err(|_| unknown())?;
        let scalar = Scalar::ALL
            .into_iter()
            .find(|x| x.kind_char() == kind && x.item_size() == size)
            .ok_or_else(unknown)?;
        Ok(DType::new(scalar, order))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scalar::*;

    #[test]
    fn names_round_trip() {
        for s in Scalar::ALL {
            assert_eq!(s.name().parse::<Scalar>().unwrap(), s);
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let d = DType::new(s, order);
                let back: DType = d.descr().parse().unwrap();
                assert_eq!(back.scalar, s);
                if s.item_size() > 1 {
                    assert_eq!(back.order, order);
                }
            }
        }
        assert!("float128".parse::<DType>().is_err());
        assert!("<x4".parse::<DType>().is_err());
        assert!("".parse::<DType>().is_err());
        assert!("<".parse::<DType>().is_err());
    }

    /// The full table of `np.can_cast(a, b, "safe")` for numpy 1.26/2.x.
    #[test]
    fn safe_casts_match_numpy() {
        let expect: &[(Scalar, &[Scalar])] = &[
            (Bool, &Scalar::ALL),
            (
                Int8,
                &[
                    Int8, Int16, Int32, Int64, Float16, Float32, Float64, Complex64, Complex128,
                ],
            ),
            (
                UInt8,
                &[
                    UInt8, UInt16, UInt32, UInt64, Int16, Int32, Int64, Float16, Float32, Float64,
                    Complex64, Complex128,
                ],
            ),
            (
                Int16,
                &[Int16, Int32, Int64, Float32, Float64, Complex64, Complex128],
            ),
            (
                UInt16,
                &[
                    UInt16, UInt32, UInt64, Int32, Int64, Float32, Float64, Complex64, Complex128,
                ],
            ),
            (Int32, &[Int32, Int64, Float64, Complex128]),
            (UInt32, &[UInt32, UInt64, Int64, Float64, Complex128]),
            (Int64, &[Int64, Float64, Complex128]),
            (UInt64, &[UInt64, Float64, Complex128]),
            (Float16, &[Float16, Float32, Float64, Complex64, Complex128]),
            (Float32, &[Float32, Float64, Complex64, Complex128]),
            (Float64, &[Float64, Complex128]),
            (Complex64, &[Complex64, Complex128]),
            (Complex128, &[Complex128]),
        ];
        for (from, tos) in expect {
            for to in Scalar::ALL {
                assert_eq!(
                    from.can_cast_safely(to),
                    tos.contains(&to),
                    "{from} -> {to}"
                );
            }
        }
    }
}
