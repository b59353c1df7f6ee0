//! The one error type of `vellum-records`.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing record files.
///
/// Variants are named after what is wrong with the input; byte-level
/// failures (truncation, overflow, bad magic) come from the shared byte core
/// as [`Error::Bytes`] and carry the field and the offset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte-level problem: a truncated or invalid field, with its offset.
    #[error(transparent)]
    Bytes(#[from] vellum_format_core::Error),
    /// A record index at or past the number of live records.
    #[error("record {index} is out of range: the dataset holds {count} records")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of live records.
        count: u64,
    },
    /// A field index at or past the number of fields of a record.
    #[error("field {field} is out of range: records have {fields} fields")]
    FieldOutOfRange {
        /// The field asked for.
        field: usize,
        /// The number of fields.
        fields: usize,
    },
    /// The `.idx` count claims more slots than the file holds.
    #[error(
        "index: the count says {count} records, which needs {needed} bytes, but the index has {len}"
    )]
    IndexTruncated {
        /// The count word.
        count: u64,
        /// Bytes the count needs: `8·(count+1)`.
        needed: u64,
        /// Bytes the index file has.
        len: u64,
    },
    /// A record the index points at is not a complete record.
    #[error("record {index} at offset {offset}: {reason}")]
    BadRecord {
        /// The record's index.
        index: u64,
        /// Its offset in the data file.
        offset: u64,
        /// What is wrong (cleared slot, dangling offset, truncated payload).
        reason: String,
    },
    /// A stored checksum does not match the bytes (TFRecord framing CRC or a
    /// Vellum checksum sidecar).
    #[error("{what} at offset {offset}: checksum mismatch (stored {stored}, computed {computed})")]
    ChecksumMismatch {
        /// What was checked ("length crc", "data crc", "record checksum").
        what: &'static str,
        /// Byte offset of the record.
        offset: u64,
        /// The stored checksum, in hex.
        stored: String,
        /// The checksum of the bytes, in hex.
        computed: String,
    },
    /// A text index line (TFRecord `.tfindex`, RecordIO `.idx`) that does not
    /// parse.
    #[error("index line {line}: {reason}")]
    BadIndexLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A value that the codec cannot encode (wrong kind, out of range,
    /// unencodable character).
    #[error("codec {codec}: {reason}")]
    BadValue {
        /// The codec, as written in a schema.
        codec: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A schema string that does not parse.
    #[error("schema {schema:?}: {reason}")]
    BadSchema {
        /// The schema text.
        schema: String,
        /// What is wrong.
        reason: String,
    },
    /// A BEAT value that breaks its data format (a packed sub-object that
    /// does not unpack, a shape against the declaration), with the `beat`
    /// feature.
    #[cfg(feature = "beat")]
    #[error(transparent)]
    DataFormat(#[from] vellum_dataformat::Error),
    /// A key that a keyed (RecordIO) index does not hold.
    #[error("key {0} is not in the index")]
    KeyNotFound(u64),
    /// A file that must not exist yet already does.
    #[error("{}: already exists", .0.display())]
    AlreadyExists(PathBuf),
    /// The data and index paths are the same file.
    #[error("{}: the index path equals the data path", .0.display())]
    IndexIsData(PathBuf),
    /// An I/O error with its path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
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
    /// Attaches the file this error happened in (an error that already names
    /// a file is returned unchanged).
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        match self {
            e @ (Error::InFile { .. } | Error::Io { .. } | Error::AlreadyExists(_)) => e,
            Error::Bytes(
                e @ (vellum_format_core::Error::InFile { .. }
                | vellum_format_core::Error::Io { .. }),
            ) => Error::Bytes(e),
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
            Error::Bytes(e) => e.offset(),
            Error::BadRecord { offset, .. } | Error::ChecksumMismatch { offset, .. } => {
                Some(*offset)
            }
            Error::InFile { source, .. } => source.offset(),
            _ => None,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
