//! `vellum keygen`, `vellum encrypt`, `vellum decrypt`: not available yet
//! (the encryption issue fills this file in).

use crate::output::{Global, Outcome};

/// Arguments of `keygen` (placeholder).
#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Arguments of `encrypt` (placeholder).
#[derive(Debug, clap::Args)]
pub struct EncryptArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Arguments of `decrypt` (placeholder).
#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

/// Runs `keygen`.
pub fn run_keygen(_args: KeygenArgs, _g: &Global) -> anyhow::Result<Outcome> {
    anyhow::bail!("`vellum keygen` is not available yet")
}

/// Runs `encrypt`.
pub fn run_encrypt(_args: EncryptArgs, _g: &Global) -> anyhow::Result<Outcome> {
    anyhow::bail!("`vellum encrypt` is not available yet")
}

/// Runs `decrypt`.
pub fn run_decrypt(_args: DecryptArgs, _g: &Global) -> anyhow::Result<Outcome> {
    anyhow::bail!("`vellum decrypt` is not available yet")
}
