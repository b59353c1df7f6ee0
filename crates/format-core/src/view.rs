//! Typed views of raw bytes that never assume alignment.
//!
//! [`view`] borrows when the bytes are aligned and already in the machine's
//! byte order, and copies otherwise (the arrow-ipc policy); [`encode`] is its
//! inverse. Nothing here reads out of bounds: lengths must be a multiple of
//! the item size.

use std::borrow::Cow;

use half::f16;
use num_complex::Complex;

use crate::{ByteOrder, DType, Error, Result, Scalar};

/// A Rust type that stores one element of a [`Scalar`] kind.
///
/// Implemented for the integer types, `f32`, `f64`, [`half::f16`] and
/// [`num_complex::Complex`] of `f32`/`f64`. `bool` is not an `Element`
/// because not every byte is a valid `bool`: use [`view_bool`].
pub trait Element: bytemuck::Pod + Send + Sync + 'static {
    /// The scalar kind this type stores.
    const SCALAR: Scalar;
    /// Reverses the byte order of one element.
    fn swap_bytes(self) -> Self;
}

macro_rules! int_element {
    ($($t:ty => $s:ident),*) => {$(
        impl Element for $t {
            const SCALAR: Scalar = Scalar::$s;
            #[inline]
            fn swap_bytes(self) -> Self { <$t>::swap_bytes(self) }
        }
    )*};
}
int_element!(i8 => Int8, i16 => Int16, i32 => Int32, i64 => Int64,
             u8 => UInt8, u16 => UInt16, u32 => UInt32, u64 => UInt64);

impl Element for f16 {
    const SCALAR: Scalar = Scalar::Float16;
    #[inline]
    fn swap_bytes(self) -> Self {
        f16::from_bits(self.to_bits().swap_bytes())
    }
}
impl Element for f32 {
    const SCALAR: Scalar = Scalar::Float32;
    #[inline]
    fn swap_bytes(self) -> Self {
        f32::from_bits(self.to_bits().swap_bytes())
    }
}
impl Element for f64 {
    const SCALAR: Scalar = Scalar::Float64;
    #[inline]
    fn swap_bytes(self) -> Self {
        f64::from_bits(self.to_bits().swap_bytes())
    }
}
impl Element for Complex<f32> {
    const SCALAR: Scalar = Scalar::Complex64;
    #[inline]
    fn swap_bytes(self) -> Self {
        Complex::new(self.re.swap_bytes(), self.im.swap_bytes())
    }
}
impl Element for Complex<f64> {
    const SCALAR: Scalar = Scalar::Complex128;
    #[inline]
    fn swap_bytes(self) -> Self {
        Complex::new(self.re.swap_bytes(), self.im.swap_bytes())
    }
}

fn check_len<T: Element>(bytes: &[u8]) -> Result<()> {
    if !bytes.len().is_multiple_of(std::mem::size_of::<T>()) {
        return Err(Error::BadView {
            dtype: T::SCALAR.name().to_owned(),
            len: bytes.len(),
            reason: "length is not a multiple of the item size",
        });
    }
    Ok(())
}

/// Views `bytes` as elements of `T` stored in `order`.
///
/// Borrows (zero copy) when the bytes are aligned for `T` and in native
/// order; otherwise copies and swaps.
///
/// ```
/// use vellum_format_core::{view, ByteOrder};
/// let be = [0u8, 1, 0, 2];
/// assert_eq!(&*view::<u16>(&be, ByteOrder::Big)?, &[1, 2]);
/// assert!(view::<u16>(&be[..3], ByteOrder::Big).is_err());
/// # Ok::<(), vellum_format_core::Error>(())
/// ```
pub fn view<T: Element>(bytes: &[u8], order: ByteOrder) -> Result<Cow<'_, [T]>> {
    check_len::<T>(bytes)?;
    let swap = std::mem::size_of::<T>() > 1 && !order.is_native();
    if !swap && let Ok(s) = bytemuck::try_cast_slice::<u8, T>(bytes) {
        return Ok(Cow::Borrowed(s));
    }
    let mut v: Vec<T> = bytemuck::pod_collect_to_vec(bytes);
    if swap {
        v.iter_mut().for_each(|x| *x = x.swap_bytes());
    }
    Ok(Cow::Owned(v))
}

/// Views `bytes` as elements of the dtype `dtype`, checking that `T` matches.
pub fn view_as<T: Element>(bytes: &[u8], dtype: DType) -> Result<Cow<'_, [T]>> {
    if dtype.scalar != T::SCALAR {
        return Err(Error::BadView {
            dtype: dtype.descr(),
            len: bytes.len(),
            reason: "the Rust element type does not match the dtype",
        });
    }
    view(bytes, dtype.order)
}

/// Decodes bytes of numpy `bool` (each 0 or 1).
pub fn view_bool(bytes: &[u8]) -> Result<Vec<bool>> {
    bytes
        .iter()
        .map(|&b| match b {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::BadView {
                dtype: "bool".into(),
                len: bytes.len(),
                reason: "a bool byte is neither 0 nor 1",
            }),
        })
        .collect()
}

/// Reads element `index` of `T` from `bytes` without reading the rest and
/// without assuming alignment.
pub fn element<T: Element>(bytes: &[u8], index: usize, order: ByteOrder) -> Result<T> {
    let size = std::mem::size_of::<T>();
    let start = index.checked_mul(size);
    let chunk = start
        .and_then(|s| bytes.get(s..s.checked_add(size)?))
        .ok_or(Error::BadView {
            dtype: T::SCALAR.name().to_owned(),
            len: bytes.len(),
            reason: "element index is out of bounds",
        })?;
    let v: T = bytemuck::pod_read_unaligned(chunk);
    Ok(if size > 1 && !order.is_native() {
        v.swap_bytes()
    } else {
        v
    })
}

/// Encodes elements to bytes in `order` (borrowing when no swap is needed).
pub fn encode<T: Element>(values: &[T], order: ByteOrder) -> Cow<'_, [u8]> {
    if std::mem::size_of::<T>() == 1 || order.is_native() {
        Cow::Borrowed(bytemuck::cast_slice(values))
    } else {
        let swapped: Vec<T> = values.iter().map(|x| x.swap_bytes()).collect();
        Cow::Owned(bytemuck::cast_slice(&swapped).to_vec())
    }
}

/// One element of any [`Scalar`] kind, read dynamically.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A bool.
    Bool(bool),
    /// A signed integer (any width).
    Int(i64),
    /// An unsigned integer (any width).
    UInt(u64),
    /// A float (float16 and float32 widened exactly).
    Float(f64),
    /// A complex number (complex64 widened exactly).
    Complex(f64, f64),
}

impl DType {
    /// Reads element `index` as a [`Number`], without reading the rest.
    ///
    /// ```
    /// use vellum_format_core::{DType, Number};
    /// let d: DType = ">f2".parse()?;
    /// assert_eq!(d.read_number(&[0x3c, 0x00, 0xc0, 0x00], 1)?, Number::Float(-2.0));
    /// # Ok::<(), vellum_format_core::Error>(())
    /// ```
    pub fn read_number(&self, bytes: &[u8], index: usize) -> Result<Number> {
        let o = self.order;
        Ok(match self.scalar {
            Scalar::Bool => match element::<u8>(bytes, index, o)? {
                0 => Number::Bool(false),
                1 => Number::Bool(true),
                _ => {
                    return Err(Error::BadView {
                        dtype: "bool".into(),
                        len: bytes.len(),
                        reason: "a bool byte is neither 0 nor 1",
                    });
                }
            },
            Scalar::Int8 => Number::Int(element::<i8>(bytes, index, o)?.into()),
            Scalar::Int16 => Number::Int(element::<i16>(bytes, index, o)?.into()),
            Scalar::Int32 => Number::Int(element::<i32>(bytes, index, o)?.into()),
            Scalar::Int64 => Number::Int(element::<i64>(bytes, index, o)?),
            Scalar::UInt8 => Number::UInt(element::<u8>(bytes, index, o)?.into()),
            Scalar::UInt16 => Number::UInt(element::<u16>(bytes, index, o)?.into()),
            Scalar::UInt32 => Number::UInt(element::<u32>(bytes, index, o)?.into()),
            Scalar::UInt64 => Number::UInt(element::<u64>(bytes, index, o)?),
            Scalar::Float16 => Number::Float(element::<f16>(bytes, index, o)?.to_f64()),
            Scalar::Float32 => Number::Float(element::<f32>(bytes, index, o)?.into()),
            Scalar::Float64 => Number::Float(element::<f64>(bytes, index, o)?),
            Scalar::Complex64 => {
                let c = element::<Complex<f32>>(bytes, index, o)?;
                Number::Complex(c.re.into(), c.im.into())
            }
            Scalar::Complex128 => {
                let c = element::<Complex<f64>>(bytes, index, o)?;
                Number::Complex(c.re, c.im)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misaligned_views_copy() {
        let mut buf = [0u8; 9];
        buf[1..9].copy_from_slice(&1.5f64.to_le_bytes());
        let v = view::<f64>(&buf[1..], ByteOrder::Little).unwrap();
        assert_eq!(&*v, &[1.5]);
    }

    #[test]
    fn aligned_native_views_borrow() {
        let values = [1u32, 2, 3];
        let bytes: &[u8] = bytemuck::cast_slice(&values);
        let v = view::<u32>(bytes, ByteOrder::NATIVE).unwrap();
        assert!(matches!(v, Cow::Borrowed(_)));
    }

    #[test]
    fn big_endian_complex_and_half() {
        let c = Complex::new(1.0f32, -2.0);
        let cs = [c];
        let enc = encode(&cs, ByteOrder::Big);
        assert_eq!(&enc[..4], &1.0f32.to_be_bytes());
        let d: DType = ">c8".parse().unwrap();
        assert_eq!(d.read_number(&enc, 0).unwrap(), Number::Complex(1.0, -2.0));
        let h = [f16::from_f32(0.5), f16::from_f32(-3.0)];
        let enc = encode(&h, ByteOrder::Big);
        assert_eq!(&*view::<f16>(&enc, ByteOrder::Big).unwrap(), &h);
    }

    #[test]
    fn bool_bytes_are_checked() {
        assert_eq!(view_bool(&[0, 1]).unwrap(), vec![false, true]);
        assert!(view_bool(&[2]).is_err());
    }

    #[test]
    fn element_out_of_bounds_is_an_error() {
        assert!(element::<u32>(&[0; 8], 2, ByteOrder::Little).is_err());
        assert!(element::<u32>(&[0; 8], usize::MAX, ByteOrder::Little).is_err());
    }
}
