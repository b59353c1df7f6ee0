//! Side-by-side bench for datumaro (registered by its issue).

use std::path::Path;

use anyhow::{Result, bail};

/// Runs the datumaro comparison in `work`.
pub fn run(_work: &Path) -> Result<()> {
    bail!("the datumaro side-by-side bench is not registered yet")
}
