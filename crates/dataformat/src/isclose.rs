//! `isclose` (spec §11) with the platform's tolerance semantics for floats
//! and complex numbers: `|a - b| <= atol + rtol * |b|`, NaN close to NaN only
//! with `equal_nan`.
//!
//! Deliberate differences (F9): array shapes must be equal (no
//! broadcasting), and integers and bools compare exactly.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::value::{Array, ArrayData, Object, Value};

/// Tolerances of [`Object::isclose`]; the default is numpy's
/// (`rtol=1e-05, atol=1e-08, equal_nan=False`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// NaN is close to NaN.
    pub equal_nan: bool,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance {
            rtol: 1e-05,
            atol: 1e-08,
            equal_nan: false,
        }
    }
}

impl Tolerance {
    fn close_f64(&self, a: f64, b: f64) -> bool {
        if a.is_nan() || b.is_nan() {
            return self.equal_nan && a.is_nan() && b.is_nan();
        }
        if a.is_infinite() || b.is_infinite() {
            return a == b;
        }
        (a - b).abs() <= self.atol + self.rtol * b.abs()
    }

    fn close_complex(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let nan = |c: (f64, f64)| c.0.is_nan() || c.1.is_nan();
        if nan(a) || nan(b) {
            return self.equal_nan && nan(a) && nan(b);
        }
        if a.0.is_infinite() || a.1.is_infinite() || b.0.is_infinite() || b.1.is_infinite() {
            return a == b;
        }
        let d = (a.0 - b.0).hypot(a.1 - b.1);
        d <= self.atol + self.rtol * b.0.hypot(b.1)
    }

    fn close_value(&self, a: &Value, b: &Value) -> Result<bool> {
        use Value::*;
        Ok(match (a, b) {
            (Float32(_) | Float64(_), Float32(_) | Float64(_)) => {
                let (x, _) = a.as_complex().unwrap_or_default();
                let (y, _) = b.as_complex().unwrap_or_default();
                self.close_f64(x, y)
            }
            (Complex64(_) | Complex128(_), _) | (_, Complex64(_) | Complex128(_)) => {
                match (a.as_complex(), b.as_complex()) {
                    (Some(x), Some(y)) => self.close_complex(x, y),
                    _ => false,
                }
            }
            (String(x), String(y)) => x == y,
            (Array(x), Array(y)) => self.close_array(x, y)?,
            (Object(x), Object(y)) => x.isclose(y, *self)?,
            // Integers and bools: exact.
            (x, y) => x == y,
        })
    }

    fn close_array(&self, a: &Array, b: &Array) -> Result<bool> {
        if a.shape() != b.shape() {
            return Ok(false);
        }
        Ok(match (a.data(), b.data()) {
            (ArrayData::Strings(x), ArrayData::Strings(y)) => x == y,
            (ArrayData::Objects(x), ArrayData::Objects(y)) => {
                for (p, q) in x.iter().zip(y) {
                    if !p.isclose(q, *self)? {
                        return Ok(false);
                    }
                }
                true
            }
            (
                ArrayData::Numbers {
                    scalar: s,
                    bytes: p,
                },
                ArrayData::Numbers {
                    scalar: t,
                    bytes: q,
                },
            ) if s == t && (s.is_integer() || *s == vellum_format_core::Scalar::Bool) => p == q,
            (ArrayData::Numbers { .. }, ArrayData::Numbers { .. }) => {
                for i in 0..a.len() {
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) if self.close_value(&x, &y)? => {}
                        _ => return Ok(false),
                    }
                }
                true
            }
            _ => false,
        })
    }
}

impl Object {
    /// True when every field of `self` is close to the same field of
    /// `other` (fields in name order, nested objects and arrays recursively).
    ///
    /// # Errors
    /// [`Error::DifferentFormats`] when the objects have different formats.
    pub fn isclose(&self, other: &Object, tolerance: Tolerance) -> Result<bool> {
        if !Arc::ptr_eq(self.format(), other.format()) && self.format() != other.format() {
            return Err(Error::DifferentFormats(
                self.format().name().to_owned(),
                other.format().name().to_owned(),
            ));
        }
        for &i in self.format().pack_order() {
            if let (Some(a), Some(b)) = (self.values().get(i), other.values().get(i))
                && !tolerance.close_value(a, b)?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }
}
