//! The one error type of `vellum-datumaro`.

/// Everything that can go wrong reading or writing Datumaro datasets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the byte core (I/O, truncation, limits).
    #[error(transparent)]
    Core(#[from] vellum_format_core::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
