//! The fixed part of a `.datum` file: signature, version header, encryption
//! field, infos, categories, media type and blob table ([spec §3], [§5]).
//!
//! [spec §3]: ../../../../docs/specs/datumaro-binary.md
//! [§5]: ../../../../docs/specs/datumaro-binary.md

use crate::model::{Attributes, Categories, MediaType};

/// The 25-byte signature every `.datum` file starts with.
pub const SIGNATURE: &[u8; 25] = b"signature:datumaro_binary";

/// Everything before the blobs of a `.datum` file.
#[derive(Debug, Clone, PartialEq)]
pub struct DatumHeader {
    /// `dm_format_version` of the version header (`"1.0"`).
    pub format_version: String,
    /// `media_encryption` of the version header.
    pub media_encryption: bool,
    /// Whether the file is encrypted (non-empty encryption field).
    pub encrypted: bool,
    /// Dataset infos.
    pub infos: Attributes,
    /// Categories.
    pub categories: Categories,
    /// Dataset media type.
    pub media_type: MediaType,
    /// Byte sizes of the blobs as stored (encrypted sizes for encrypted files).
    pub blob_sizes: Vec<u32>,
    /// File offset of the first blob.
    pub blobs_offset: u64,
}
