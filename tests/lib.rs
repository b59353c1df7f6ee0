//! Shared helpers for Vellum's cross-crate tests.

use std::path::PathBuf;

/// The folder holding the reference fixtures copied into the project.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
