//! Writing RAB files.

mod output;
mod payload;
pub(crate) mod writer;
