//! `cargo xtask`: the project's own tooling, as a library so that the
//! cross-crate tests (`tests/`) run exactly what `cargo xtask` runs.
//!
//! | module | command |
//! | --- | --- |
//! | [`conformance`] | `cargo xtask conformance KIND DIR`: every case of a reference fixture folder |
//! | [`fixtures`] | `cargo xtask fixtures [-o DIR]`: the deterministic datasets benches and the demo use |
//! | [`bench`](mod@bench) | `cargo xtask bench KIND`: side-by-side runs against the Python peers |
//! | [`codegen`] | `cargo xtask codegen ...`: generated Rust code |
//! | [`ci`] | `cargo xtask ci`: fmt, clippy, tests and docs, as CI runs them |
#![deny(missing_docs)]

pub mod bench;
pub mod ci;
pub mod codegen;
pub mod conformance;
pub mod fixtures;

use std::path::PathBuf;

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the root")
        .to_path_buf()
}
