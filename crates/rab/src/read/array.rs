//! Numeric arrays: a dtype, a shape, a layout and the bytes, with element
//! access by N-d position (spec §4.4, §5.1).

use std::borrow::Cow;

use bytes::Bytes;
use vellum_format_core::{ByteOrder, DType, Element, Number, Scalar};

use crate::{Error, Layout, Result};

/// An N-d array of one of the 14 RAB dtypes.
///
/// The bytes are dense in [`Layout`] order, in the dtype's byte order, as
/// upstream's `tobytes(order)` writes them; a view on a file is zero-copy.
///
/// ```
/// use vellum_rab::{Array, Layout};
/// let a = Array::from_elements(&[2, 3], &[0i16, 1, 2, 3, 4, 5])?;
/// assert_eq!(a.get(&[1, 2])?, vellum_format_core::Number::Int(5));
/// assert_eq!(a.layout(), Layout::C);
/// # Ok::<(), vellum_rab::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    dtype: DType,
    shape: Vec<usize>,
    layout: Layout,
    data: Bytes,
}

impl Array {
    /// An array over `data`, which must hold exactly Π shape × item size bytes.
    pub fn new(
        dtype: DType,
        shape: &[usize],
        layout: Layout,
        data: impl Into<Bytes>,
    ) -> Result<Array> {
        let data = data.into();
        let shape64: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let need = shape64
            .iter()
            .try_fold(dtype.item_size() as u64, |a, &d| a.checked_mul(d));
        if need != Some(data.len() as u64) {
            return Err(Error::SizeMismatch {
                dataset: String::new(),
                shape: shape64,
                dtype: dtype.descr(),
                expected: need.unwrap_or(u64::MAX),
                found: data.len() as u64,
            });
        }
        Ok(Array {
            dtype,
            shape: shape.to_vec(),
            layout,
            data,
        })
    }

    /// A C-order array of native-order elements.
    pub fn from_elements<T: Element>(shape: &[usize], values: &[T]) -> Result<Array> {
        let bytes = vellum_format_core::encode(values, ByteOrder::NATIVE).into_owned();
        Array::new(
            DType::new(T::SCALAR, ByteOrder::NATIVE),
            shape,
            Layout::C,
            bytes,
        )
    }

    /// A C-order `bool` array.
    pub fn from_bools(shape: &[usize], values: &[bool]) -> Result<Array> {
        let bytes: Vec<u8> = values.iter().map(|&b| u8::from(b)).collect();
        Array::new(
            DType::new(Scalar::Bool, ByteOrder::Little),
            shape,
            Layout::C,
            bytes,
        )
    }

    /// The element type and byte order.
    pub fn dtype(&self) -> DType {
        self.dtype
    }
    /// The shape, slowest axis first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The order the bytes are stored in.
    pub fn layout(&self) -> Layout {
        self.layout
    }
    /// The stored bytes.
    pub fn as_bytes(&self) -> &Bytes {
        &self.data
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `position` (one coordinate per axis; `[]` for 0-d).
    pub fn get(&self, position: &[usize]) -> Result<Number> {
        let pos: Vec<u64> = position.iter().map(|&p| p as u64).collect();
        let shape: Vec<u64> = self.shape.iter().map(|&d| d as u64).collect();
        let index =
            linear_index(&shape, self.layout, &pos).map_err(|reason| Error::BadPosition {
                dataset: String::new(),
                position: pos.clone(),
                reason,
            })?;
        Ok(self.dtype.read_number(&self.data, index as usize)?)
    }

    /// Every element in logical (C, row-major) order, whatever the layout.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        let stored = self.view::<T>()?;
        if self.layout == Layout::C || self.shape.len() < 2 {
            return Ok(stored.into_owned());
        }
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        let mut pos = vec![0usize; self.shape.len()];
        for _ in 0..n {
            let mut idx = 0usize;
            let mut stride = 1usize;
            for (axis, &p) in pos.iter().enumerate() {
                idx += p * stride;
                stride *= self.shape.get(axis).copied().unwrap_or(1);
            }
            if let Some(v) = stored.get(idx) {
                out.push(*v);
            }
            for axis in (0..pos.len()).rev() {
                if let (Some(p), Some(&d)) = (pos.get_mut(axis), self.shape.get(axis)) {
                    *p += 1;
                    if *p < d {
                        break;
                    }
                    *p = 0;
                }
            }
        }
        Ok(out)
    }

    /// The elements in storage order: borrowed (zero copy) when the bytes are
    /// aligned and in native order, copied otherwise.
    pub fn view<T: Element>(&self) -> Result<Cow<'_, [T]>> {
        Ok(vellum_format_core::view_as::<T>(&self.data, self.dtype)?)
    }

    /// Every element as a [`Number`], in logical (C) order.
    pub fn numbers(&self) -> Result<Vec<Number>> {
        let shape: Vec<u64> = self.shape.iter().map(|&d| d as u64).collect();
        let n = self.len();
        let mut out = Vec::with_capacity(n);
        let mut pos = vec![0u64; shape.len()];
        for _ in 0..n {
            let idx =
                linear_index(&shape, self.layout, &pos).map_err(|reason| Error::BadPosition {
                    dataset: String::new(),
                    position: pos.clone(),
                    reason,
                })?;
            out.push(self.dtype.read_number(&self.data, idx as usize)?);
            for axis in (0..pos.len()).rev() {
                if let (Some(p), Some(&d)) = (pos.get_mut(axis), shape.get(axis)) {
                    *p += 1;
                    if *p < d {
                        break;
                    }
                    *p = 0;
                }
            }
        }
        Ok(out)
    }

    /// A zero-copy `ndarray` view (copied when misaligned or byte-swapped),
    /// with the array's real layout.
    #[cfg(feature = "ndarray")]
    pub fn to_ndarray<T: Element>(&self) -> Result<ndarray::CowArray<'_, T, ndarray::IxDyn>> {
        use ndarray::ShapeBuilder;
        let shape = ndarray::IxDyn(&self.shape);
        let shape = match self.layout {
            Layout::C => shape.into_shape_with_order(),
            Layout::F => shape.f(),
        };
        let bad = |e: ndarray::ShapeError| Error::payload("", e.to_string());
        Ok(match self.view::<T>()? {
            Cow::Borrowed(s) => ndarray::ArrayView::from_shape(shape, s)
                .map_err(bad)?
                .into(),
            Cow::Owned(v) => ndarray::Array::from_shape_vec(shape, v)
                .map_err(bad)?
                .into(),
        })
    }
}

/// Large buffers (4 MiB and more, on Linux) live in an anonymous map with
/// transparent huge pages requested, like numpy's allocations: far fewer
/// page faults when a payload is read into them.
pub(crate) fn large_buffer(n: usize) -> Option<memmap2::MmapMut> {
    if !cfg!(target_os = "linux") || n < 4 << 20 {
        return None;
    }
    let map = memmap2::MmapMut::map_anon(n).ok()?;
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    Some(map)
}

/// The element index of `position` in a dense array of `shape` stored in
/// `layout` order; every coordinate must be in `0..shape[d]`.
pub(crate) fn linear_index(shape: &[u64], layout: Layout, position: &[u64]) -> Result<u64, String> {
    if position.len() != shape.len() {
        return Err(format!(
            "the array is {}-dimensional, the position has {} coordinates",
            shape.len(),
            position.len()
        ));
    }
    let mut index: u64 = 0;
    let mut stride: u64 = 1;
    let mut step = |axis: usize| -> Result<(), String> {
        let (p, d) = match (position.get(axis), shape.get(axis)) {
            (Some(&p), Some(&d)) => (p, d),
            _ => return Err("axis out of range".into()),
        };
        if p >= d {
            return Err(format!("coordinate {p} of axis {axis} is outside 0..{d}"));
        }
        index = p
            .checked_mul(stride)
            .and_then(|x| index.checked_add(x))
            .ok_or("index arithmetic overflows")?;
        stride = stride.saturating_mul(d);
        Ok(())
    };
    // C: the last axis varies fastest; F: the first.
    match layout {
        Layout::C => (0..shape.len()).rev().try_for_each(&mut step)?,
        Layout::F => (0..shape.len()).try_for_each(&mut step)?,
    }
    Ok(index)
}
