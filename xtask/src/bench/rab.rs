//! Side-by-side bench for rab (registered by its issue).

use std::path::Path;

use anyhow::{Result, bail};

/// Runs the rab comparison in `work`.
pub fn run(_work: &Path) -> Result<()> {
    bail!("the rab side-by-side bench is not registered yet")
}
