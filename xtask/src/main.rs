//! `cargo xtask`: see the library's docs for the map of commands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Vellum's project tooling")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// fmt check, clippy -D warnings, tests, docs -D warnings.
    Ci,
    /// Write every deterministic dataset the benches and the demo use.
    Fixtures {
        /// Output folder.
        #[arg(short, long, default_value = "target/fixtures")]
        out: PathBuf,
    },
    /// Synthetic datasets.
    Synth {
        #[command(subcommand)]
        what: Synth,
    },
    /// Run every case of a reference fixture folder; exit 1 if any fails.
    Conformance {
        /// beat, dsrecords, tfrecord, mxnet, rab or datumaro.
        kind: String,
        /// The fixture folder (laid out like tests/fixtures/KIND).
        dir: PathBuf,
    },
    /// Side-by-side benchmark against the Python peer.
    Bench {
        /// dataformat, records, rab, crypto or datumaro.
        kind: String,
        /// Work folder (peer venv, data, results).
        #[arg(long, default_value = "target/bench")]
        work: PathBuf,
    },
    /// Code generators (e.g. `codegen dataformat --prefix DIR NAME...`).
    Codegen {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum Synth {
    /// A synthetic COCO-instances dataset (like peers/datumaro_bench.py gen).
    Coco {
        /// Number of images.
        #[arg(long, default_value_t = 1000)]
        items: usize,
        /// Seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output folder.
        #[arg(short, long)]
        out: PathBuf,
    },
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Ci => xtask::ci::run()?,
        Cmd::Fixtures { out } => {
            for p in xtask::fixtures::write_all(&out)? {
                println!("wrote {}", p.display());
            }
        }
        Cmd::Synth {
            what: Synth::Coco { items, seed, out },
        } => {
            let s = vellum_datumaro::synth::write_coco(&out, items, seed)?;
            println!(
                "wrote {}: {} images, {} COCO annotations, {} bytes",
                out.join("annotations/instances_default.json").display(),
                s.images,
                s.annotations,
                s.bytes
            );
        }
        Cmd::Conformance { kind, dir } => {
            let report = xtask::conformance::run(&kind, &dir)?;
            println!("{report}");
            if report.failed() > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Bench { kind, work } => xtask::bench::run(&kind, &work)?,
        Cmd::Codegen { args } => xtask::codegen::run(&args)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
