//! Side-by-side bench for crypto (registered by its issue).

use std::path::Path;

use anyhow::{Result, bail};

/// Runs the crypto comparison in `work`.
pub fn run(_work: &Path) -> Result<()> {
    bail!("the crypto side-by-side bench is not registered yet")
}
