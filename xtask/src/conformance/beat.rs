//! Conformance cases for `beat` (registered by issue 3).

use std::path::Path;

use anyhow::{Result, bail};

use super::Report;

/// Runs every case of a fixture folder laid out like `tests/fixtures/beat`.
pub fn run(_dir: &Path) -> Result<Report> {
    bail!("the beat conformance runner is not registered yet (issue 3)")
}
