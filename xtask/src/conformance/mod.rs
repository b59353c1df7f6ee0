//! Conformance runs: every case of a fixture folder laid out like the
//! reference fixtures (`tests/fixtures/KIND`), one line per failing case, and
//! last `N passed, M failed`.
//!
//! A case is either passed, failed, or a *deliberate difference*: a case
//! where we knowingly differ from the reference (a bug of the reference we
//! fix on purpose). Deliberate differences are listed one by one with their
//! reason; a case that is merely skipped counts as failed.

use std::fmt;
use std::path::Path;

use anyhow::{Result, bail};

pub mod beat;
pub mod datumaro;
pub mod mxnet;
pub mod rab;
pub mod records;
pub mod tfrecord;

/// The conformance kinds, as `cargo xtask conformance KIND` takes them.
pub const KINDS: [&str; 6] = ["beat", "dsrecords", "tfrecord", "mxnet", "rab", "datumaro"];

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Our result matches the reference's.
    Passed,
    /// It does not; the reason says how.
    Failed(String),
    /// We differ from the reference on purpose; the reason says why.
    Deliberate(String),
}

/// The result of a conformance run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every case, in run order: name and outcome.
    pub cases: Vec<(String, Outcome)>,
}

impl Report {
    /// Records one case.
    pub fn push(&mut self, name: impl Into<String>, outcome: Outcome) {
        self.cases.push((name.into(), outcome));
    }

    /// Records a case from a check: `Ok` passes, `Err` fails with its text.
    pub fn check(&mut self, name: impl Into<String>, result: Result<()>) {
        let outcome = match result {
            Ok(()) => Outcome::Passed,
            Err(e) => Outcome::Failed(format!("{e:#}")),
        };
        self.push(name, outcome);
    }

    /// Cases that passed, deliberate differences included.
    pub fn passed(&self) -> usize {
        self.cases.len() - self.failed()
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.failures().count()
    }

    /// The failing cases with their reasons.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cases.iter().filter_map(|(n, o)| match o {
            Outcome::Failed(r) => Some((n.as_str(), r.as_str())),
            _ => None,
        })
    }

    /// The deliberate differences with their reasons.
    pub fn deliberate(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cases.iter().filter_map(|(n, o)| match o {
            Outcome::Deliberate(r) => Some((n.as_str(), r.as_str())),
            _ => None,
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, reason) in self.failures() {
            writeln!(f, "FAILED {name}: {reason}")?;
        }
        let deliberate: Vec<_> = self.deliberate().collect();
        if !deliberate.is_empty() {
            writeln!(
                f,
                "{} deliberate differences (counted as passed):",
                deliberate.len()
            )?;
            for (name, reason) in deliberate {
                writeln!(f, "  deliberate {name}: {reason}")?;
            }
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

/// Runs every case of `dir` for `kind`.
pub fn run(kind: &str, dir: &Path) -> Result<Report> {
    if !dir.is_dir() {
        bail!("{}: not a folder", dir.display());
    }
    match kind {
        "beat" => beat::run(dir),
        "dsrecords" => records::run(dir),
        "tfrecord" => tfrecord::run(dir),
        "mxnet" => mxnet::run(dir),
        "rab" => rab::run(dir),
        "datumaro" => datumaro::run(dir),
        other => bail!(
            "unknown conformance kind {other:?} (known: {})",
            KINDS.join(", ")
        ),
    }
}
