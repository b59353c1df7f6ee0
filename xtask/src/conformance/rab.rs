//! Conformance cases for `rab` (registered by issue 5).

use std::path::Path;

use anyhow::{Result, bail};

use super::Report;

/// Runs every case of a fixture folder laid out like `tests/fixtures/rab`.
pub fn run(_dir: &Path) -> Result<Report> {
    bail!("the rab conformance runner is not registered yet (issue 5)")
}
