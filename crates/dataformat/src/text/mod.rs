//! Text layers: the strict JSON reader and Python's text forms.

pub(crate) mod json;
pub(crate) mod python;
