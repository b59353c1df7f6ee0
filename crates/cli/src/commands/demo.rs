//! `vellum demo`: the README's main command. Synthesises a small dataset
//! into a temporary folder and inspects it; each format's issue extends it
//! into a full tour.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::output::{Global, Outcome, note, out};

/// Arguments of `vellum demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of images in the synthetic dataset.
    #[arg(long, default_value_t = 200)]
    pub items: usize,
    /// Seed for the synthetic data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Keep the files in this folder instead of a temporary one.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// Runs the tour.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    let temp;
    let root = match &args.out {
        Some(p) => {
            std::fs::create_dir_all(p).with_context(|| p.display().to_string())?;
            p.clone()
        }
        None => {
            temp = tempfile::tempdir().context("creating a temporary folder")?;
            temp.path().to_path_buf()
        }
    };
    let coco = root.join("coco");
    let t = std::time::Instant::now();
    let summary = vellum_datumaro::synth::write_coco(&coco, args.items, args.seed)?;
    out(format!(
        "synthesised COCO: {} images, {} annotations, {} categories in {:.1} ms -> {}",
        summary.images,
        summary.annotations,
        summary.categories,
        t.elapsed().as_secs_f64() * 1e3,
        coco.display()
    ))?;
    super::inspect::run(super::inspect::Args { path: coco.clone() }, g)?;
    if args.out.is_none() {
        note(g, "(temporary files removed; keep them with --out DIR)");
    }
    Ok(Outcome::Ok)
}
