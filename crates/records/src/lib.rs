//! Record files: DSRecords-compatible `.rec` + `.idx`, TFRecord and MXNet
//! RecordIO, read zero-copy and written crash-safely.
//!
//! This crate is being filled by its own issue; the spec is
//! `specs/dsrecords.md` in the shared folder.
#![deny(missing_docs)]
