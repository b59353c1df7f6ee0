//! The binary form: pack and unpack.

pub(crate) mod pack;
pub(crate) mod unpack;

pub use pack::Packer;
