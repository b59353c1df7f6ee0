//! Reading: the reader, arrays and DataFrames.

pub(crate) mod array;
pub(crate) mod dataframe;
pub(crate) mod reader;
