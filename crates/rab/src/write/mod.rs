//! Writing RAB files.

pub(crate) mod writer;
