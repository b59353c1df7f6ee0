//! Side-by-side bench for records (registered by its issue).

use std::path::Path;

use anyhow::{Result, bail};

/// Runs the records comparison in `work`.
pub fn run(_work: &Path) -> Result<()> {
    bail!("the records side-by-side bench is not registered yet")
}
