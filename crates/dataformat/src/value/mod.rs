//! Values: the typed tree, input decoding, conversion, JSON output.

pub(crate) mod convert;
pub(crate) mod input;
mod output;
#[allow(clippy::module_inception)]
mod value;

pub use value::{Array, ArrayData, DEFAULT_BUDGET, MAX_EMPTY_OBJECTS, Object, Value};
