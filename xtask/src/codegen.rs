//! `cargo xtask codegen ...`: generated Rust code.
//!
//! `cargo xtask codegen dataformat --prefix DIR [--out FILE] NAME...` writes
//! Rust structs with typed fields and `pack`/`unpack` for BEAT data formats
//! (and every format they reach), byte-identical to the dynamic path.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use vellum_dataformat::{PrefixDir, Resolver};

/// Runs a code generator with its command-line arguments.
pub fn run(args: &[String]) -> Result<()> {
    match args.split_first() {
        Some((kind, rest)) if kind == "dataformat" => dataformat(rest),
        _ => bail!("usage: cargo xtask codegen dataformat --prefix DIR [--out FILE] NAME..."),
    }
}

fn dataformat(args: &[String]) -> Result<()> {
    let mut prefix: Option<PathBuf> = None;
    let mut out: Option<PathBuf> = None;
    let mut names = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--prefix" | "-p" => {
                prefix = Some(it.next().context("--prefix needs a folder")?.into())
            }
            "--out" | "-o" => out = Some(it.next().context("--out needs a file")?.into()),
            name => names.push(name.to_owned()),
        }
    }
    let prefix = prefix.context("--prefix DIR is required")?;
    if names.is_empty() {
        bail!("name at least one format (user/name/version)");
    }
    let code = dataformat_code(&prefix, &names)?;
    match out {
        Some(path) => {
            std::fs::write(&path, code).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{code}"),
    }
    Ok(())
}

/// The generated code for `names` resolved in `prefix`.
pub fn dataformat_code(prefix: &std::path::Path, names: &[String]) -> Result<String> {
    let resolver = Resolver::new(PrefixDir::new(prefix));
    let formats = names
        .iter()
        .map(|n| {
            resolver
                .load(n)
                .with_context(|| format!("{}: {n}", prefix.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(vellum_dataformat::rust_code(&formats))
}
