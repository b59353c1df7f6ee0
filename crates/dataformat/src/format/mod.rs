//! The resolved format model.

mod types;

pub use types::{ArrayType, Element, Field, FieldType, Format, Primitive};
