//! `vellum`: inspect, convert and encrypt binary dataset containers.
//!
//! Exit codes: 0 success, 1 a check found a problem, 2 error. A broken pipe
//! (e.g. `vellum ... | head`) ends the program quietly with 0.

use std::process::ExitCode;

use clap::Parser;

mod commands;
#[allow(dead_code)] // helpers used by the format commands as they land
mod output;
#[allow(dead_code)] // used by the long-running format commands as they land
mod progress;

use output::{Global, Outcome};

/// mimalloc: datasets are many small allocations (attributes, strings,
/// coordinate lists), which glibc's malloc makes and frees slowly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Vellum: fast, trustworthy tools for binary dataset containers
/// (DatumaroBinary, DSRecords/TFRecord/RecordIO, BEAT data formats, RAB).
#[derive(Debug, Parser)]
#[command(name = "vellum", version, about, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let global = cli.global;
    if let Some(n) = global.num_workers {
        // Sets the pool used by every parallel step; only fails if already set.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    match commands::run(cli.command, &global) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            output::report_error(&err, &global);
            ExitCode::from(2)
        }
    }
}
