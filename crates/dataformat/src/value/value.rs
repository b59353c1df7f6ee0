//! The typed value tree: one variant per primitive, typed N-d arrays, and
//! objects bound to their format.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use num_complex::{Complex32, Complex64};
use vellum_format_core::{ByteOrder, Element as CoreElement, Scalar};

use crate::error::{Error, Result};
use crate::format::{ArrayType, Element, FieldType, Format, Primitive};

/// A value of one field.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`.
    Bool(bool),
    /// `int8`.
    Int8(i8),
    /// `int16`.
    Int16(i16),
    /// `int32`.
    Int32(i32),
    /// `int64`.
    Int64(i64),
    /// `uint8`.
    UInt8(u8),
    /// `uint16`.
    UInt16(u16),
    /// `uint32`.
    UInt32(u32),
    /// `uint64`.
    UInt64(u64),
    /// `float32`.
    Float32(f32),
    /// `float64`.
    Float64(f64),
    /// `complex64`.
    Complex64(Complex32),
    /// `complex128`.
    Complex128(Complex64),
    /// `string`.
    String(String),
    /// An N-d array.
    Array(Array),
    /// A nested object.
    Object(Object),
}

impl Value {
    /// The zero of a numeric type (`False`, `0`, `0.0`, `0j`).
    pub fn zero(scalar: Scalar) -> Value {
        match scalar {
            Scalar::Bool => Value::Bool(false),
            Scalar::Int8 => Value::Int8(0),
            Scalar::Int16 => Value::Int16(0),
            Scalar::Int32 => Value::Int32(0),
            Scalar::Int64 => Value::Int64(0),
            Scalar::UInt8 => Value::UInt8(0),
            Scalar::UInt16 => Value::UInt16(0),
            Scalar::UInt32 => Value::UInt32(0),
            Scalar::UInt64 => Value::UInt64(0),
            Scalar::Float16 | Scalar::Float32 => Value::Float32(0.0),
            Scalar::Float64 => Value::Float64(0.0),
            Scalar::Complex64 => Value::Complex64(Complex32::new(0.0, 0.0)),
            Scalar::Complex128 => Value::Complex128(Complex64::new(0.0, 0.0)),
        }
    }

    /// The default value of a field type (spec §7.7), zero-filled: numbers
    /// 0, strings empty, objects defaulted, arrays with 0 along unspecified
    /// extents and zeros (never uninitialised memory, F2) elsewhere.
    ///
    /// # Errors
    /// [`Error::TooLarge`] when the default would take more than
    /// [`DEFAULT_BUDGET`] bytes (fixed extents of a declaration can ask for
    /// absurd sizes).
    pub fn default_of(ty: &FieldType) -> Result<Value> {
        default_with(ty, &mut DEFAULT_BUDGET.clone())
    }

    /// The numeric type of a scalar value, `None` for strings, arrays and
    /// objects.
    pub fn scalar(&self) -> Option<Scalar> {
        Some(match self {
            Value::Bool(_) => Scalar::Bool,
            Value::Int8(_) => Scalar::Int8,
            Value::Int16(_) => Scalar::Int16,
            Value::Int32(_) => Scalar::Int32,
            Value::Int64(_) => Scalar::Int64,
            Value::UInt8(_) => Scalar::UInt8,
            Value::UInt16(_) => Scalar::UInt16,
            Value::UInt32(_) => Scalar::UInt32,
            Value::UInt64(_) => Scalar::UInt64,
            Value::Float32(_) => Scalar::Float32,
            Value::Float64(_) => Scalar::Float64,
            Value::Complex64(_) => Scalar::Complex64,
            Value::Complex128(_) => Scalar::Complex128,
            _ => return None,
        })
    }

    /// A short name of the value's type, for errors.
    pub fn type_name(&self) -> String {
        match self {
            Value::String(_) => "string".into(),
            Value::Array(a) => format!("an array of {}", a.element_name()),
            Value::Object(o) => format!("an object of `{}'", o.format().name()),
            v => v.scalar().map(|s| s.name().to_owned()).unwrap_or_default(),
        }
    }

    /// The value as an `f64` pair (real, imaginary) for numeric scalars.
    pub fn as_complex(&self) -> Option<(f64, f64)> {
        Some(match self {
            Value::Bool(b) => (f64::from(u8::from(*b)), 0.0),
            Value::Int8(v) => (f64::from(*v), 0.0),
            Value::Int16(v) => (f64::from(*v), 0.0),
            Value::Int32(v) => (f64::from(*v), 0.0),
            Value::Int64(v) => (*v as f64, 0.0),
            Value::UInt8(v) => (f64::from(*v), 0.0),
            Value::UInt16(v) => (f64::from(*v), 0.0),
            Value::UInt32(v) => (f64::from(*v), 0.0),
            Value::UInt64(v) => (*v as f64, 0.0),
            Value::Float32(v) => (f64::from(*v), 0.0),
            Value::Float64(v) => (*v, 0.0),
            Value::Complex64(c) => (f64::from(c.re), f64::from(c.im)),
            Value::Complex128(c) => (c.re, c.im),
            _ => return None,
        })
    }
}

/// The most bytes (counted as packed) one default value may take: fixed
/// extents come from declarations, which may ask for absurd sizes.
pub const DEFAULT_BUDGET: u64 = 1 << 28;

/// Most objects in one array of a format that packs to no bytes (an empty
/// format): the input cannot bound their count, so it is capped, the same
/// for defaults, conversion and unpack (whatever packs, unpacks).
pub const MAX_EMPTY_OBJECTS: u64 = 1 << 16;

/// What one object counts against [`DEFAULT_BUDGET`] (its own memory).
pub(crate) const OBJECT_COST: u64 = 32;

fn spend(budget: &mut u64, n: u64) -> Result<()> {
    match budget.checked_sub(n) {
        Some(rest) => {
            *budget = rest;
            Ok(())
        }
        None => Err(Error::TooLarge {
            requested: n,
            limit: DEFAULT_BUDGET,
        }),
    }
}

pub(crate) fn default_with(ty: &FieldType, budget: &mut u64) -> Result<Value> {
    Ok(match ty {
        FieldType::Primitive(Primitive::Number(s)) => Value::zero(*s),
        FieldType::Primitive(Primitive::String) => Value::String(String::new()),
        FieldType::Object(f) => Value::Object(object_default_with(f, budget)?),
        FieldType::Array(a) => Value::Array(array_default_with(a, budget)?),
    })
}

pub(crate) fn object_default_with(format: &Arc<Format>, budget: &mut u64) -> Result<Object> {
    spend(budget, OBJECT_COST)?;
    let values = format
        .fields()
        .iter()
        .map(|f| default_with(&f.ty, budget))
        .collect::<Result<Vec<_>>>()?;
    Ok(Object {
        format: format.clone(),
        values,
    })
}

/// Number of elements of a default array (0 along unspecified extents).
pub(crate) fn default_count(ty: &ArrayType) -> Result<u64> {
    ty.extents
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or(Error::TooLarge {
            requested: u64::MAX,
            limit: DEFAULT_BUDGET,
        })
}

pub(crate) fn array_default_with(ty: &ArrayType, budget: &mut u64) -> Result<Array> {
    let count = default_count(ty)?;
    let data = match &ty.element {
        Element::Primitive(Primitive::Number(s)) => {
            let n = count.saturating_mul(s.item_size() as u64);
            spend(budget, n)?;
            ArrayData::Numbers {
                scalar: *s,
                bytes: Bytes::from(vec![0u8; n as usize]),
            }
        }
        Element::Primitive(Primitive::String) => {
            spend(budget, count.saturating_mul(8))?;
            ArrayData::Strings(vec![String::new(); count as usize])
        }
        Element::Object(f) => {
            if f.min_packed_size() == 0 && count > MAX_EMPTY_OBJECTS {
                return Err(Error::TooLarge {
                    requested: count,
                    limit: MAX_EMPTY_OBJECTS,
                });
            }
            spend(budget, count.saturating_mul(OBJECT_COST))?;
            let objs = (0..count)
                .map(|_| object_default_with(f, budget))
                .collect::<Result<Vec<_>>>()?;
            ArrayData::Objects(objs)
        }
    };
    Ok(Array {
        shape: ty.extents.clone(),
        data,
    })
}

/// The elements of an [`Array`].
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    /// Numbers or bools, as their packed little-endian bytes (a zero-copy
    /// slice of the input after [`Format::unpack`]).
    Numbers {
        /// The element type.
        scalar: Scalar,
        /// `count × item size` little-endian bytes, row-major.
        bytes: Bytes,
    },
    /// Strings, row-major.
    Strings(Vec<String>),
    /// Objects, row-major.
    Objects(Vec<Object>),
}

/// A typed N-d array (row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    shape: Vec<u64>,
    data: ArrayData,
}

impl Array {
    /// An array of `shape` over `data`, checking that the element count
    /// matches the shape.
    pub fn new(shape: Vec<u64>, data: ArrayData) -> Result<Array> {
        let count = shape
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or(Error::TooLarge {
                requested: u64::MAX,
                limit: u64::MAX,
            })?;
        let have = match &data {
            ArrayData::Numbers { scalar, bytes } => {
                if bytes.len() % scalar.item_size() != 0 || *scalar == Scalar::Float16 {
                    return Err(Error::BadTag(format!(
                        "{} bytes are not a whole number of {scalar} elements",
                        bytes.len()
                    )));
                }
                bytes.len() / scalar.item_size()
            }
            ArrayData::Strings(v) => v.len(),
            ArrayData::Objects(v) => v.len(),
        };
        if have as u64 != count {
            return Err(Error::BadTag(format!(
                "{have} elements do not fill the shape {shape:?}"
            )));
        }
        Ok(Array { shape, data })
    }

    /// A numeric array from typed elements.
    ///
    /// ```
    /// use vellum_dataformat::Array;
    /// let a = Array::from_numbers(vec![2, 2], &[1.0f32, 2.0, 3.0, 4.0])?;
    /// assert_eq!(&*a.numbers::<f32>()?, &[1.0, 2.0, 3.0, 4.0]);
    /// # Ok::<(), vellum_dataformat::Error>(())
    /// ```
    pub fn from_numbers<T: CoreElement>(shape: Vec<u64>, values: &[T]) -> Result<Array> {
        let bytes = vellum_format_core::encode(values, ByteOrder::Little).into_owned();
        Array::new(
            shape,
            ArrayData::Numbers {
                scalar: T::SCALAR,
                bytes: Bytes::from(bytes),
            },
        )
    }

    pub(crate) fn from_parts_unchecked(shape: Vec<u64>, data: ArrayData) -> Array {
        Array { shape, data }
    }

    /// The default array of a type: 0 along unspecified extents, zeros,
    /// empty strings or default objects elsewhere.
    ///
    /// # Errors
    /// [`Error::TooLarge`] beyond [`DEFAULT_BUDGET`] bytes.
    pub fn default_of(ty: &ArrayType) -> Result<Array> {
        array_default_with(ty, &mut DEFAULT_BUDGET.clone())
    }

    /// The extents.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.data {
            ArrayData::Numbers { scalar, bytes } => bytes.len() / scalar.item_size(),
            ArrayData::Strings(v) => v.len(),
            ArrayData::Objects(v) => v.len(),
        }
    }

    /// True when the array has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements.
    pub fn data(&self) -> &ArrayData {
        &self.data
    }

    /// The numeric elements as `T`, borrowed when aligned (zero copy),
    /// copied otherwise.
    ///
    /// # Errors
    /// [`Error::WrongType`] when the array does not hold `T`.
    pub fn numbers<T: CoreElement>(&self) -> Result<Cow<'_, [T]>> {
        match &self.data {
            ArrayData::Numbers { scalar, bytes } if *scalar == T::SCALAR => {
                Ok(vellum_format_core::view::<T>(bytes, ByteOrder::Little)?)
            }
            _ => Err(Error::WrongType {
                format: String::new(),
                field: String::new(),
                expected: format!("an array of {}", T::SCALAR),
                found: format!("an array of {}", self.element_name()),
            }),
        }
    }

    /// The element at flat index `i` as a [`Value`].
    pub fn get(&self, i: usize) -> Option<Value> {
        match &self.data {
            ArrayData::Numbers { scalar, bytes } => {
                let size = scalar.item_size();
                let b = bytes.get(i.checked_mul(size)?..i.checked_mul(size)?.checked_add(size)?)?;
                Some(crate::binary::unpack::scalar_from_le(*scalar, b))
            }
            ArrayData::Strings(v) => v.get(i).cloned().map(Value::String),
            ArrayData::Objects(v) => v.get(i).cloned().map(Value::Object),
        }
    }

    fn element_name(&self) -> String {
        match &self.data {
            ArrayData::Numbers { scalar, .. } => scalar.name().to_owned(),
            ArrayData::Strings(_) => "string".into(),
            ArrayData::Objects(v) => v
                .first()
                .map_or("objects".into(), |o| format!("`{}'", o.format().name())),
        }
    }
}

/// An object: one value per field of its format, in resolved order.
///
/// Objects are built by conversion ([`Format::from_json`]), defaults
/// ([`Object::default_of`]), [`Format::unpack`], or [`Object::new`], which
/// checks every value's type and array extents, so a packed object always
/// matches its format.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    format: Arc<Format>,
    values: Vec<Value>,
}

impl Object {
    /// An object of `format` from values in resolved field order, checked.
    pub fn new(format: Arc<Format>, values: Vec<Value>) -> Result<Object> {
        if values.len() != format.fields().len() {
            let mut required: Vec<String> =
                format.fields().iter().map(|f| f.name.clone()).collect();
            required.sort();
            return Err(Error::MissingFields {
                format: format.name().to_owned(),
                missing: Vec::new(),
                required,
            });
        }
        for (f, v) in format.fields().iter().zip(&values) {
            check_value(format.name(), &f.name, &f.ty, v)?;
        }
        Ok(Object { format, values })
    }

    pub(crate) fn from_parts_unchecked(format: Arc<Format>, values: Vec<Value>) -> Object {
        Object { format, values }
    }

    /// The default object of a format (every field defaulted, zero-filled).
    ///
    /// # Errors
    /// [`Error::TooLarge`] beyond [`DEFAULT_BUDGET`] bytes.
    pub fn default_of(format: &Arc<Format>) -> Result<Object> {
        object_default_with(format, &mut DEFAULT_BUDGET.clone())
    }

    /// The format.
    pub fn format(&self) -> &Arc<Format> {
        &self.format
    }

    /// The values, in the format's resolved field order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.format
            .field_index(name)
            .and_then(|i| self.values.get(i))
    }

    /// Sets field `name`, checking the value's type (no casting: build the
    /// right variant).
    pub fn set(&mut self, name: &str, value: Value) -> Result<()> {
        let i = self
            .format
            .field_index(name)
            .ok_or_else(|| Error::NoSuchField {
                format: self.format.name().to_owned(),
                field: name.to_owned(),
            })?;
        let field = &self.format.fields()[i];
        check_value(self.format.name(), &field.name, &field.ty, &value)?;
        if let Some(slot) = self.values.get_mut(i) {
            *slot = value;
        }
        Ok(())
    }

    /// Field names with their values, in resolved order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.format
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .zip(self.values.iter())
    }
}

fn wrong(format: &str, field: &str, ty: &FieldType, v: &Value) -> Error {
    Error::WrongType {
        format: format.to_owned(),
        field: field.to_owned(),
        expected: ty.describe(),
        found: v.type_name(),
    }
}

/// Checks that `v` has type `ty` (and, for arrays, the declared extents).
pub(crate) fn check_value(format: &str, field: &str, ty: &FieldType, v: &Value) -> Result<()> {
    match (ty, v) {
        (FieldType::Primitive(Primitive::String), Value::String(_)) => Ok(()),
        (FieldType::Primitive(Primitive::Number(s)), v) if v.scalar() == Some(*s) => Ok(()),
        (FieldType::Object(f), Value::Object(o)) if same_format(&o.format, f) => Ok(()),
        (FieldType::Array(a), Value::Array(arr)) => {
            if arr.shape.len() != a.extents.len() {
                return Err(Error::Dimensions {
                    format: format.to_owned(),
                    field: field.to_owned(),
                    found: arr.shape.len(),
                    expected: a.extents.len(),
                });
            }
            for (dim, (&want, &have)) in a.extents.iter().zip(&arr.shape).enumerate() {
                if want != 0 && want != have {
                    return Err(Error::Extent {
                        format: format.to_owned(),
                        field: field.to_owned(),
                        dim,
                        found: have,
                        expected: want,
                    });
                }
            }
            let ok = match (&a.element, &arr.data) {
                (Element::Primitive(Primitive::Number(s)), ArrayData::Numbers { scalar, .. }) => {
                    s == scalar
                }
                (Element::Primitive(Primitive::String), ArrayData::Strings(_)) => true,
                (Element::Object(f), ArrayData::Objects(objs)) => {
                    objs.iter().all(|o| same_format(&o.format, f))
                }
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(wrong(format, field, ty, v))
            }
        }
        _ => Err(wrong(format, field, ty, v)),
    }
}

/// Same format: the same `Arc` (fast), or equal formats.
pub(crate) fn same_format(a: &Arc<Format>, b: &Arc<Format>) -> bool {
    Arc::ptr_eq(a, b) || a.as_ref() == b.as_ref()
}
