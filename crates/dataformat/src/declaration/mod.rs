//! Declarations: grammar, hash, where they are read from, and resolution.

pub(crate) mod grammar;
pub(crate) mod hash;
pub(crate) mod resolver;
pub(crate) mod source;
