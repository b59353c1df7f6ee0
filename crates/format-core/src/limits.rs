//! Size limits applied to untrusted input before anything is allocated.

use crate::{Error, Result};

/// Caps on what an untrusted file may make us allocate.
///
/// Every reader checks sizes read from a file against these before it
/// allocates. The defaults are safe for hostile input and roomy for real
/// datasets; raise them explicitly when a trusted file needs more
/// (the `image` crate's `Limits` and safetensors' `MAX_HEADER_SIZE` are the
/// models).
///
/// ```
/// use vellum_format_core::Limits;
/// let strict = Limits::default();
/// assert!(strict.check_header(1 << 20).is_ok());
/// let roomy = Limits { max_alloc: 64 << 30, ..Limits::default() };
/// assert!(roomy.check_alloc("array", 32 << 30).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest header (index, YAML, JSON) a reader will parse, in bytes.
    pub max_header: u64,
    /// Largest single buffer a reader will allocate, in bytes. This also
    /// bounds decompressed sizes.
    pub max_alloc: u64,
}

impl Limits {
    /// Default header limit: 256 MiB.
    pub const DEFAULT_MAX_HEADER: u64 = 256 << 20;
    /// Default single-allocation limit: 4 GiB.
    pub const DEFAULT_MAX_ALLOC: u64 = 4 << 30;

    /// No limits at all: only for files you trust.
    pub const fn unlimited() -> Limits {
        Limits {
            max_header: u64::MAX,
            max_alloc: u64::MAX,
        }
    }

    /// Checks a header length against [`Limits::max_header`].
    pub fn check_header(&self, len: u64) -> Result<usize> {
        check("header", self.max_header, len)
    }

    /// Checks an allocation of `len` bytes for `what` against
    /// [`Limits::max_alloc`]; returns the size as `usize`.
    pub fn check_alloc(&self, what: &'static str, len: u64) -> Result<usize> {
        check(what, self.max_alloc, len)
    }
}

fn check(what: &'static str, limit: u64, len: u64) -> Result<usize> {
    if len > limit {
        return Err(Error::LimitExceeded {
            what,
            limit,
            requested: len,
        });
    }
    usize::try_from(len).map_err(|_| Error::LimitExceeded {
        what,
        limit: usize::MAX as u64,
        requested: len,
    })
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_header: Self::DEFAULT_MAX_HEADER,
            max_alloc: Self::DEFAULT_MAX_ALLOC,
        }
    }
}
