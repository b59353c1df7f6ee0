//! Conformance cases for `tfrecord` (registered by issue 4).

use std::path::Path;

use anyhow::{Result, bail};

use super::Report;

/// Runs every case of a fixture folder laid out like `tests/fixtures/tfrecord`.
pub fn run(_dir: &Path) -> Result<Report> {
    bail!("the tfrecord conformance runner is not registered yet (issue 4)")
}
