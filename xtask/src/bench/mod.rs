//! `cargo xtask bench KIND`: side-by-side runs against the Python peers on
//! one machine in one run, one line per measure:
//! `<measure>: vellum <value> <unit>, <peer> <value> <unit>, ratio <r>x`
//! (ratio > 1 means Vellum is better).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

pub mod crypto;
pub mod dataformat;
pub mod datumaro;
pub mod rab;
pub mod records;

/// The bench kinds.
pub const KINDS: [&str; 5] = ["dataformat", "records", "rab", "crypto", "datumaro"];

/// Runs the side-by-side bench for `kind`.
pub fn run(kind: &str, work: &Path) -> Result<()> {
    std::fs::create_dir_all(work)?;
    match kind {
        "dataformat" => dataformat::run(work),
        "records" => records::run(work),
        "rab" => rab::run(work),
        "crypto" => crypto::run(work),
        "datumaro" => datumaro::run(work),
        other => bail!("unknown bench kind {other:?} (known: {})", KINDS.join(", ")),
    }
}

/// One measure compared with the peer; `higher_is_better` says how the
/// ratio is taken (throughputs: ours / theirs; times: theirs / ours).
#[derive(Debug, Clone)]
pub struct Measure {
    /// What was measured.
    pub name: String,
    /// Our value.
    pub ours: f64,
    /// The peer's name.
    pub peer: String,
    /// The peer's value.
    pub theirs: f64,
    /// The unit of both values.
    pub unit: String,
    /// True for throughputs, false for times.
    pub higher_is_better: bool,
}

impl Measure {
    /// The ratio, > 1 when Vellum is better.
    pub fn ratio(&self) -> f64 {
        if self.higher_is_better {
            self.ours / self.theirs
        } else {
            self.theirs / self.ours
        }
    }
}

impl std::fmt::Display for Measure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: vellum {:.4} {}, {} {:.4} {}, ratio {:.2}x",
            self.name,
            self.ours,
            self.unit,
            self.peer,
            self.theirs,
            self.unit,
            self.ratio()
        )
    }
}

/// A Python virtual environment under `work/venv` with `packages`
/// installed (created when missing); returns its interpreter.
pub fn python_venv(work: &Path, packages: &[&str]) -> Result<PathBuf> {
    python_venv_in(&work.join("venv"), &[packages])
}

/// A Python virtual environment at `venv`, with each of `installs` run as
/// one `pip install` (arguments as given, e.g. `--no-deps` first), unless
/// an earlier call with the same arguments did it; returns its interpreter.
pub fn python_venv_in(venv: &Path, installs: &[&[&str]]) -> Result<PathBuf> {
    let python = venv.join("bin").join("python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .context("running python3 -m venv")?;
        if !status.success() {
            bail!("python3 -m venv {} failed", venv.display());
        }
    }
    for packages in installs {
        let marker = venv.join(format!(".vellum-{}", blake_tag(packages)));
        if marker.exists() {
            continue;
        }
        let status = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(*packages)
            .status()
            .context("running pip install")?;
        if !status.success() {
            bail!("pip install {} failed", packages.join(" "));
        }
        std::fs::write(&marker, packages.join("\n"))?;
    }
    Ok(python)
}

fn blake_tag(packages: &[&str]) -> String {
    vellum_format_core::Digest::of(packages.join("\n").as_bytes()).to_hex()[..16].to_owned()
}

/// The peer scripts: the copies kept in `xtask/peers/`, or `VELLUM_PEERS`
/// when set.
pub fn peers_dir() -> PathBuf {
    std::env::var_os("VELLUM_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("xtask/peers"))
}
