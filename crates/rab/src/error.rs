//! The one error type of `vellum-rab`.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing a RAB file.
///
/// Variants are named after what is wrong with the input; byte-level
/// problems (magic, truncation, limits, codecs, I/O) come from the byte core
/// as [`Error::Bytes`] and carry their field and offset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte-level problem: bad magic, truncated file, a size above the
    /// limits, a codec or I/O failure.
    #[error(transparent)]
    Bytes(#[from] vellum_format_core::Error),
    /// The header is neither YAML nor JSON, or breaks the YAML budget.
    #[error("header at offset 7: not a valid YAML header: {reason}")]
    HeaderSyntax {
        /// What the parser said, with a line and column when known.
        reason: String,
    },
    /// The header parses but does not describe datasets the way RAB does.
    #[error("header: {context}: {reason}")]
    HeaderShape {
        /// Which entry or key.
        context: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A dataset's payload range lies outside the file's data section.
    #[error(
        "dataset {dataset:?}: payload {offset}..{end} of the data section is outside the {available} bytes the file holds"
    )]
    PayloadOutOfBounds {
        /// The dataset.
        dataset: String,
        /// Its `byteOffset`.
        offset: u64,
        /// `byteOffset + byteLength` (saturating).
        end: u64,
        /// Bytes in the data section.
        available: u64,
    },
    /// An array's shape and item size do not match its stored byte length.
    #[error(
        "dataset {dataset:?}: shape {shape:?} of {dtype} needs {expected} bytes, the header says {found}"
    )]
    SizeMismatch {
        /// The dataset.
        dataset: String,
        /// Its shape.
        shape: Vec<u64>,
        /// Its element type.
        dtype: String,
        /// Bytes the shape needs.
        expected: u64,
        /// Bytes the header (or the decompressed payload) has.
        found: u64,
    },
    /// No dataset has this name.
    #[error("no dataset named {0:?}")]
    NoSuchDataset(String),
    /// The dataset exists but is of another type than the call needs.
    #[error("dataset {dataset:?} is of type {found:?}, not {expected}")]
    WrongType {
        /// The dataset.
        dataset: String,
        /// What the call needs.
        expected: &'static str,
        /// The `codecMeta.type` found.
        found: String,
    },
    /// An element position that does not address an element of the array.
    #[error("dataset {dataset:?}: position {position:?}: {reason}")]
    BadPosition {
        /// The dataset.
        dataset: String,
        /// The position asked for.
        position: Vec<u64>,
        /// Why it is not valid.
        reason: String,
    },
    /// A payload that cannot be decoded as its type says (bad UTF-8, bad
    /// YAML object, inconsistent dataframe columns, ...).
    #[error("dataset {dataset:?}: {reason}")]
    BadPayload {
        /// The dataset.
        dataset: String,
        /// What is wrong.
        reason: String,
    },
    /// The stored payload does not hash to the blake3 checksum in its header.
    #[error("dataset {dataset:?}: blake3 checksum mismatch (header {expected}, payload {found})")]
    ChecksumMismatch {
        /// The dataset.
        dataset: String,
        /// The checksum the header records.
        expected: String,
        /// The checksum of the stored bytes.
        found: String,
    },
    /// Two datasets with the same name were added to a writer.
    #[error("a dataset named {0:?} was already added")]
    DuplicateName(String),
    /// A writer was given something RAB cannot store (bad metadata, shape
    /// and data that disagree, ...).
    #[error("cannot write dataset {dataset:?}: {reason}")]
    Unwritable {
        /// The dataset.
        dataset: String,
        /// Why.
        reason: String,
    },
    /// An error inside a named file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// What went wrong inside it.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Attaches the file this error happened in (once).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ Error::InFile { .. } => e,
            Error::Bytes(e @ vellum_format_core::Error::Io { .. }) => Error::Bytes(e),
            Error::Bytes(e @ vellum_format_core::Error::InFile { .. }) => Error::Bytes(e),
            e => Error::InFile {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }

    pub(crate) fn payload(dataset: &str, reason: impl Into<String>) -> Error {
        Error::BadPayload {
            dataset: dataset.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn shape(context: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::HeaderShape {
            context: context.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn unwritable(dataset: &str, reason: impl Into<String>) -> Error {
        Error::Unwritable {
            dataset: dataset.to_owned(),
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
