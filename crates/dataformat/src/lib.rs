//! BEAT data formats (`beat.core` / `beat.backend.python`): typed JSON
//! schemas with references, arrays and `#extends`, safe-cast validation and
//! binary pack/unpack, byte-identical to the BEAT platform.
//!
//! This crate is being filled by its own issue; the spec is
//! `specs/beat-dataformat.md` in the shared folder.
#![deny(missing_docs)]
