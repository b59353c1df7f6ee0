//! Global flags, exit outcomes and output helpers shared by every command.
//!
//! Commands print through [`out`] (never `println!`, which panics on a
//! closed pipe), so `vellum ... | head` ends quietly.

use std::io::{self, Write};

use clap::Args;

/// Flags every command accepts.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Print data as JSON (one document on standard output).
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but results and errors; no progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// More detail (repeat for even more).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Worker threads for parallel steps (default: one per core).
    #[arg(long, global = true, value_name = "N")]
    pub num_workers: Option<usize>,
    /// Memory-map input files instead of reading them (faster on local
    /// disks for large files; see the docs for the risks).
    #[arg(long, global = true)]
    pub mmap: bool,
}

impl Global {
    /// The byte-core backend the flags choose.
    pub fn backend(&self) -> vellum_format_core::Backend {
        if self.mmap {
            vellum_format_core::Backend::Mmap
        } else {
            vellum_format_core::Backend::Read
        }
    }
}

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything is fine: exit 0.
    Ok,
    /// A check command found a problem (already reported): exit 1.
    CheckFailed,
}

/// Writes `text` and a newline to standard output.
pub fn out(text: impl AsRef<str>) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(text.as_ref().as_bytes())?;
    o.write_all(b"\n")
}

/// Writes raw bytes to standard output.
pub fn out_bytes(bytes: &[u8]) -> io::Result<()> {
    let mut o = io::stdout().lock();
    o.write_all(bytes)?;
    o.flush()
}

/// Writes a JSON document (pretty) to standard output.
pub fn out_json(value: &serde_json::Value) -> io::Result<()> {
    let mut o = io::stdout().lock();
    serde_json::to_writer_pretty(&mut o, value)?;
    o.write_all(b"\n")
}

/// Writes a diagnostic line to standard error unless `--quiet`.
pub fn note(g: &Global, text: impl AsRef<str>) {
    if !g.quiet {
        let _ = writeln!(io::stderr().lock(), "{}", text.as_ref());
    }
}

/// True when the error is a closed pipe on our output.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Prints an error: one line `vellum: <context>: <cause>: ...`, or a JSON
/// object with `--json`.
pub fn report_error(err: &anyhow::Error, g: &Global) {
    let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    // Drop causes already spelled out in the message above them.
    let mut parts: Vec<&str> = Vec::new();
    for c in &chain {
        if !parts.last().is_some_and(|p| p.contains(c.as_str())) {
            parts.push(c);
        }
    }
    let line = parts.join(": ");
    let mut e = io::stderr().lock();
    if g.json {
        let _ = writeln!(e, "{}", serde_json::json!({ "error": line }));
    } else {
        let _ = writeln!(e, "vellum: error: {line}");
    }
}
