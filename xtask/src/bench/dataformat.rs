//! Side-by-side bench for dataformat (registered by its issue).

use std::path::Path;

use anyhow::{Result, bail};

/// Runs the dataformat comparison in `work`.
pub fn run(_work: &Path) -> Result<()> {
    bail!("the dataformat side-by-side bench is not registered yet")
}
