//! The one error type of `vellum-datumaro`.

use std::path::{Path, PathBuf};

/// Everything that can go wrong reading or writing Datumaro datasets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the byte core (I/O, truncation, limits), with its field and offset.
    #[error(transparent)]
    Core(#[from] vellum_format_core::Error),
    /// A JSON field or file is not valid JSON, or not the JSON expected.
    #[error("{field} at offset {offset}: bad JSON: {reason}")]
    BadJson {
        /// The field.
        field: &'static str,
        /// Byte offset of the field.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The version header names a format version we do not know.
    #[error("unsupported dm_format_version {0:?} (known: \"1.0\", \"legacy\")")]
    UnsupportedVersion(String),
    /// An annotation type code that no datumaro version writes.
    #[error("annotation type {code} at offset {offset} is not one DatumaroBinary stores")]
    UnknownAnnotationType {
        /// The code.
        code: u8,
        /// Byte offset of the type byte.
        offset: u64,
    },
    /// A media type code that DatumaroBinary does not store.
    #[error("media type {code} at offset {offset} is not one DatumaroBinary stores")]
    UnknownMediaType {
        /// The code.
        code: u32,
        /// Byte offset.
        offset: u64,
    },
    /// A mask whose RLE is malformed.
    #[error("bad mask: {0}")]
    BadMask(String),
    /// Categories that do not have the expected shape.
    #[error("bad categories: {0}")]
    BadCategories(String),
    /// A Datumaro JSON, COCO or dataset_meta.json document of the wrong shape.
    #[error("{}: {reason}", file.display())]
    BadDocument {
        /// The file.
        file: PathBuf,
        /// What is wrong, with the JSON path of the value.
        reason: String,
    },
    /// An item record could not be decoded.
    #[error("{}: blob {blob}, item #{index} (record at offset {offset}): {inner}", file.display())]
    InItem {
        /// The file.
        file: PathBuf,
        /// Blob index.
        blob: usize,
        /// Item index within the blob.
        index: usize,
        /// Offset of the item record.
        offset: u64,
        /// What went wrong.
        inner: Box<Error>,
    },
    /// An error inside a named file.
    #[error("{}: {inner}", file.display())]
    InFile {
        /// The file.
        file: PathBuf,
        /// What went wrong.
        inner: Box<Error>,
    },
    /// The file is encrypted and no key was given.
    #[error("the file is encrypted (datumaro 1.11): pass its key (secret_key.txt)")]
    KeyRequired,
    /// The key does not open the file.
    #[error("the key does not open this file (handshake mismatch)")]
    WrongKey,
    /// A decryption or key error.
    #[error("encryption: {0}")]
    Crypto(String),
    /// A blob index past the end.
    #[error("no blob {0}")]
    NoSuchBlob(usize),
    /// Something the target format cannot express.
    #[error("cannot export: {0}")]
    Unsupported(String),
    /// A folder that is not a dataset of the expected format.
    #[error("{}: {reason}", path.display())]
    NotADataset {
        /// The folder.
        path: PathBuf,
        /// Why not.
        reason: String,
    },
}

impl Error {
    /// Attaches the file this error happened in, unless it already names one.
    pub fn in_file(self, path: impl AsRef<Path>) -> Error {
        match self {
            e @ (Error::InFile { .. } | Error::InItem { .. } | Error::BadDocument { .. }) => e,
            Error::Core(c) => Error::Core(c.in_file(path.as_ref())),
            e => Error::InFile {
                file: path.as_ref().to_owned(),
                inner: Box::new(e),
            },
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, e: std::io::Error) -> Error {
        Error::Core(vellum_format_core::Error::io(path, e))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
