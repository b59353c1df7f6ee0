//! The crate's one error type.

use std::path::PathBuf;

/// What went wrong while encrypting, decrypting or handling a key.
///
/// Variants are named after what is wrong with the input. Authentication
/// failures deliberately say "wrong key or modified" without guessing which:
/// a MAC or tag cannot tell the two apart, and saying more would help an
/// attacker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key string or key file does not have the expected form.
    #[error("invalid key: {reason}")]
    InvalidKey {
        /// What is wrong with the key, e.g. "expected 50 characters, found 51".
        reason: String,
    },

    /// A Fernet token is not well formed (bad base64, too short, wrong
    /// version byte, ciphertext not a whole number of AES blocks).
    #[error("malformed Fernet token: {reason}")]
    MalformedToken {
        /// What is wrong with the token.
        reason: String,
    },

    /// A Fernet token's HMAC does not match: the key is wrong or the token
    /// was modified.
    #[error("Fernet token failed authentication: wrong key, or the token was modified")]
    WrongKeyOrTampered,

    /// A Fernet token authenticated but its PKCS#7 padding is invalid; only a
    /// broken encryptor holding the same key produces this.
    #[error("Fernet token authenticated but its padding is invalid")]
    BadPadding,

    /// A Fernet token is older than the allowed time to live.
    #[error("Fernet token expired: made at {timestamp}, older than {ttl} s at {now}")]
    TokenExpired {
        /// The token's timestamp (Unix seconds).
        timestamp: u64,
        /// The allowed age in seconds.
        ttl: u64,
        /// The time of the check (Unix seconds).
        now: u64,
    },

    /// A Fernet token claims to be made more than 60 s in the future.
    #[error("Fernet token timestamp {timestamp} is in the future (now {now})")]
    TokenFromFuture {
        /// The token's timestamp (Unix seconds).
        timestamp: u64,
        /// The time of the check (Unix seconds).
        now: u64,
    },

    /// The key given does not open this data: the key check (datumaro's
    /// handshake token, or the key id of a sealed stream) does not match.
    #[error("wrong key: {what}")]
    WrongKey {
        /// Which check failed and what it was checking.
        what: String,
    },

    /// A key was given but the data is not encrypted (datumaro: empty
    /// encryption field).
    #[error("not encrypted: {what}")]
    NotEncrypted {
        /// What was found instead.
        what: String,
    },

    /// The bytes are not a Vellum sealed stream (bad magic).
    #[error("not a Vellum sealed stream: {reason}")]
    NotASealedStream {
        /// What was found instead.
        reason: String,
    },

    /// The sealed-stream header names a version or cipher this build does
    /// not know.
    #[error("unsupported sealed stream {field}: {found}")]
    Unsupported {
        /// The header field ("version", "cipher", "chunk size").
        field: &'static str,
        /// The value found.
        found: u64,
    },

    /// A chunk of a sealed stream failed authentication: its bytes were
    /// modified, it was moved, repeated or taken from another stream, or a
    /// final chunk was dropped.
    #[error(
        "sealed stream chunk {chunk} (at byte {offset}) failed authentication: the data was modified, reordered, truncated or spliced"
    )]
    ChunkTampered {
        /// Index of the chunk.
        chunk: u64,
        /// Byte offset of the chunk in the sealed stream.
        offset: u64,
    },

    /// A sealed stream ends before its final chunk.
    #[error("sealed stream truncated: {reason}")]
    Truncated {
        /// Where the stream ended.
        reason: String,
    },

    /// Bytes follow the final chunk of a sealed stream.
    #[error(
        "sealed stream has {extra} unexpected byte(s) after its final chunk at offset {offset}"
    )]
    TrailingData {
        /// Offset of the first extra byte.
        offset: u64,
        /// How many extra bytes (at least) were seen.
        extra: u64,
    },

    /// A chunk index beyond the end of the stream was requested.
    #[error("chunk {chunk} is out of range: the stream has {count} chunk(s)")]
    ChunkOutOfRange {
        /// The requested chunk.
        chunk: u64,
        /// How many chunks the stream has.
        count: u64,
    },

    /// Deriving a key from a passphrase failed (bad parameters).
    #[error("passphrase key derivation failed: {reason}")]
    Passphrase {
        /// The reason given by argon2.
        reason: String,
    },

    /// The operating system's random generator failed.
    #[error("the operating system's random generator failed: {0}")]
    Random(String),

    /// Reading or writing a file or stream failed.
    #[error("I/O error on {path}: {source}", path = path.display())]
    Io {
        /// The file (empty when the error came from a bare stream).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A byte-level parse of untrusted input failed.
    #[error(transparent)]
    Format(#[from] vellum_format_core::Error),
}

impl Error {
    /// Wraps an I/O error with the file it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Turns this error into an `std::io::Error` for `Read`/`Write` adapters,
    /// keeping it recoverable with `into_inner().downcast::<Error>()`.
    pub(crate) fn into_io(self) -> std::io::Error {
        match self {
            Error::Io { source, path } if path.as_os_str().is_empty() => source,
            other => {
                let kind = match &other {
                    Error::Truncated { .. } => std::io::ErrorKind::UnexpectedEof,
                    _ => std::io::ErrorKind::InvalidData,
                };
                std::io::Error::new(kind, other)
            }
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fills `buf` from the operating system's random generator.
///
/// # Panics
/// If the generator fails: an OS that cannot give random bytes cannot be
/// trusted to encrypt, and the infallible constructors (`generate`,
/// `encrypt`) have nowhere to report it.
pub(crate) fn os_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        panic!("the operating system's random generator failed: {e}");
    }
}
