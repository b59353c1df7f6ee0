//! `cargo xtask codegen ...`: generated Rust code (registered by the BEAT
//! data format issue).

use anyhow::{Result, bail};

/// Runs a code generator with its command-line arguments.
pub fn run(args: &[String]) -> Result<()> {
    bail!("no code generator is registered yet (args: {args:?})")
}
