//! The one error type of `vellum-format-core`.

use std::path::PathBuf;

/// Everything that can go wrong in the byte core.
///
/// Variants are named after what is wrong with the input. Positions are byte
/// offsets from the start of the buffer the reader was created over (plus its
/// base offset, see [`ByteReader::with_base`](crate::ByteReader::with_base)),
/// so they are file offsets when the reader covers a whole file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before a field could be read completely.
    #[error(
        "{field} at offset {offset}: truncated, needs {needed} bytes but only {available} remain"
    )]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Byte offset where the field starts.
        offset: u64,
        /// Bytes the field needs.
        needed: u64,
        /// Bytes left in the input.
        available: u64,
    },
    /// A field was read but its value breaks a rule of the format.
    #[error("{field} at offset {offset}: {reason}")]
    Invalid {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the field.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A magic number or signature did not match.
    #[error("{field} at offset {offset}: bad magic, expected {expected:02x?}, found {found:02x?}")]
    BadMagic {
        /// The field being read.
        field: &'static str,
        /// Byte offset of the magic.
        offset: u64,
        /// The bytes that identify the format.
        expected: Vec<u8>,
        /// The bytes found instead.
        found: Vec<u8>,
    },
    /// Offset or size arithmetic overflowed (a hostile length or count).
    #[error("{field} at offset {offset}: size arithmetic overflows")]
    Overflow {
        /// The field whose value made the arithmetic overflow.
        field: &'static str,
        /// Byte offset of the field.
        offset: u64,
    },
    /// A size read from the input is above the configured [`Limits`](crate::Limits).
    #[error(
        "{what}: {requested} bytes is above the limit of {limit} bytes (raise it with Limits if the file is trusted)"
    )]
    LimitExceeded {
        /// Which limit (e.g. "header", "allocation", "decompressed size").
        what: &'static str,
        /// The configured limit.
        limit: u64,
        /// The size the input asked for.
        requested: u64,
    },
    /// A dtype string or tag that is not one of the supported dtypes.
    #[error("unknown dtype {0:?}")]
    UnknownDType(String),
    /// Bytes cannot be viewed as elements of a dtype (length not a multiple
    /// of the item size, or invalid bool bytes).
    #[error("cannot view {len} bytes as {dtype}: {reason}")]
    BadView {
        /// The dtype asked for.
        dtype: String,
        /// The byte length given.
        len: usize,
        /// Why not.
        reason: &'static str,
    },
    /// A codec failed to compress or decompress.
    #[error("{codec}: {reason}")]
    Codec {
        /// The codec name ("zlib", "gzip", "zstd").
        codec: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// An I/O error, with the path it happened on.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error while reading a named file.
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
    /// Attaches the file this error happened in (kept as the outermost
    /// context; an error that already names a file is returned unchanged).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ (Error::InFile { .. } | Error::Io { .. }) => e,
            e => Error::InFile {
                path: path.into(),
                source: Box::new(e),
            },
        }
    }

    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The byte offset this error points at, if it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Truncated { offset, .. }
            | Error::Invalid { offset, .. }
            | Error::BadMagic { offset, .. }
            | Error::Overflow { offset, .. } => Some(*offset),
            Error::InFile { source, .. } => source.offset(),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
