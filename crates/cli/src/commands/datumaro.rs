//! `vellum datumaro`: not available yet (its issue fills this file in).

use crate::output::{Global, Outcome};

/// Arguments (placeholder until the command lands).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs the command.
pub fn run(_args: Args, _g: &Global) -> anyhow::Result<Outcome> {
    anyhow::bail!("`vellum datumaro` is not available yet")
}
