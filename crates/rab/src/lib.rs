//! The RandomAccessBuffer (RAB) container: magic `rab`, a YAML header index,
//! then dataset payloads, with header-only open and element-level access.
//!
//! This crate is being filled by its own issue; the spec is `specs/rab.md`
//! in the shared folder.
#![deny(missing_docs)]
