//! Side-by-side bench for datumaro: the workload of
//! `peers/datumaro_bench.py` (COCO import, DatumaroBinary export and import
//! with 1 and 2 workers, Datumaro JSON export and import) on the synthetic
//! COCO dataset of `cargo xtask synth coco --items 20000 --seed 1`, timed
//! for the release `vellum` binary and for datumaro 1.13.12 in a local
//! virtual environment, on the same machine in the same run. Also our COCO
//! import and Datumaro JSON export and import with 2 workers (datumaro has
//! no workers for them: against its one core and our one worker), the
//! encrypted-export overhead (1 and 2 workers, each against the plain export
//! with as many) and the peak memory of the binary import.
//!
//! Exports are timed with `--no-fsync`, as datumaro never syncs (the
//! default, with fsync, is one more line). Every run, ours and the peer's,
//! is a fresh process that reports its own phase time (ours: `read_seconds`
//! / `write_seconds` of `--json`; the peer: its script's `_step`, what its
//! `run` calls). The runs are interleaved: `VELLUM_BENCH_REPEATS` (default
//! 3) rounds, each running every step once for the peer and then, right
//! after, for us, so that both sides meet the same moods of the machine (on
//! this VM a step's speed drifts for seconds at a time with how the host
//! backs fresh memory). Ours last tens of milliseconds: in each round a step
//! has one untimed warm-up run and `VELLUM_BENCH_OUR_REPEATS` (default 3)
//! timed ones, as hyperfine does for short commands. Figures are medians;
//! every sample is printed on standard error.
//!
//! With `VELLUM_BENCH_DATUMARO_1_11` set, datumaro 1.11.1 (the last version
//! with encryption) is installed too, in `venv-1.11`: each round also times
//! its plain and encrypted exports (`peers/datumaro_1_11_encryption.py`),
//! and at the end it reads back our encrypted export.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Measure, peers_dir, python_venv, python_venv_in};

const ITEMS: usize = 20_000;
const SEED: u64 = 1;
const PEER: &str = "datumaro 1.13.12";
const KEY: &str = "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=";
/// The annotations datumaro makes of the synthetic COCO dataset.
const ANNOTATIONS: usize = 144_000;
/// Our script for datumaro 1.11.1's encryption.
const SCRIPT_1_11: &str = "datumaro_1_11_encryption.py";

/// A venv with datumaro 1.11.1 under `work/venv-1.11`: the package without
/// its declared dependencies (openvino, tritonclient, ...), then the
/// modules it imports to export, encrypt and read (spec §12).
fn datumaro_1_11(work: &Path) -> Result<PathBuf> {
    python_venv_in(
        &work.join("venv-1.11"),
        &[
            &["--no-deps", "datumaro==1.11.1"],
            &[
                "numpy<2.2",
                "cryptography",
                "orjson",
                "pycocotools",
                "pillow",
                "opencv-python-headless",
                "attrs",
                "defusedxml",
                "imagesize",
                "ruamel.yaml",
                "json-stream",
                "pandas",
                "pyarrow",
                "shapely",
                "lxml",
                "tqdm",
                "typing_extensions",
                "PyYAML==6.0.2",
                "networkx",
                "scipy",
                "tensorboardX",
                "matplotlib",
                "tabulate",
                "requests",
            ],
        ],
    )
}

/// datumaro 1.13.12's medians from the spec (§11), used only when the
/// peer cannot be installed here (said so in the output).
const SPEC_FIGURES: [(&str, f64); 7] = [
    ("import_coco", 3.86),
    ("export_binary_nw0", 0.92),
    ("export_binary_nw2", 4.66),
    ("import_binary_nw0", 2.98),
    ("import_binary_nw2", 3.74),
    ("export_json", 2.28),
    ("import_json", 3.64),
];

/// A count from the environment variable `name` (at least 1), `default`
/// when unset or not a number.
fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(1)
}

/// Rounds: each runs every step once for the peer.
fn repeats() -> usize {
    env_count("VELLUM_BENCH_REPEATS", 3)
}

/// Timed runs of each of our steps per round (after a warm-up run).
fn our_repeats() -> usize {
    env_count("VELLUM_BENCH_OUR_REPEATS", 3)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs `vellum --json ARGS` and returns its JSON report.
fn vellum_json(vellum: &Path, args: &[&str]) -> Result<Value> {
    let out = Command::new(vellum)
        .arg("--json")
        .arg("--quiet")
        .args(args)
        .output()
        .with_context(|| format!("running {}", vellum.display()))?;
    if !out.status.success() {
        bail!(
            "vellum {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// One of our steps: `vellum --json ARGS`, timed by its `field`.
struct OurStep {
    key: &'static str,
    args: Vec<String>,
    field: &'static str,
    /// The output folder, removed before each run.
    clean: Option<PathBuf>,
}

impl OurStep {
    /// A warm-up run, then [`our_repeats`] timed ones.
    fn round(&self, vellum: &Path) -> Result<Vec<f64>> {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut v = Vec::new();
        for run in 0..=our_repeats() {
            if let Some(d) = &self.clean {
                let _ = std::fs::remove_dir_all(d);
            }
            let doc = vellum_json(vellum, &args)?;
            if run > 0 {
                v.push(
                    doc[self.field]
                        .as_f64()
                        .context("no timing in vellum's report")?,
                );
            }
        }
        Ok(v)
    }
}

/// One run of the peer's step `key` (a fresh Python process): its seconds.
fn peer_step(python: &Path, key: &str, coco: &Path, peer_dir: &Path) -> Result<f64> {
    peer_result(
        python,
        "datumaro_bench.py",
        &["_step", key],
        &[coco, peer_dir],
    )?
    .first()
    .copied()
    .context("no seconds in the peer's result")
}

/// Runs the peer script `script ARGS PATHS` in a fresh Python process and
/// returns the numbers of its `RESULT` line (a JSON object's `seconds`, or
/// numbers separated by spaces).
fn peer_result(python: &Path, script: &str, args: &[&str], paths: &[&Path]) -> Result<Vec<f64>> {
    let out = Command::new(python)
        .arg(peers_dir().join(script))
        .args(args)
        .args(paths)
        .output()
        .context("running the peer's step")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find_map(|l| l.strip_prefix("RESULT "));
    match (out.status.success(), line) {
        (true, Some(l)) if l.trim_start().starts_with('{') => {
            let doc: Value = serde_json::from_str(l)?;
            Ok(vec![
                doc["seconds"]
                    .as_f64()
                    .context("no seconds in the peer's result")?,
            ])
        }
        (true, Some(l)) => l
            .split_whitespace()
            .map(|w| w.parse::<f64>().context("a number in the peer's result"))
            .collect(),
        _ => bail!(
            "the peer's {script} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Peak resident memory (KiB) of a command, via `/usr/bin/time -f %M`.
fn peak_kib(program: &Path, args: &[&str]) -> Result<f64> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "PEAK %M"])
        .arg(program)
        .args(args)
        .output()
        .context("running /usr/bin/time")?;
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("PEAK "))
        .context("no peak memory from /usr/bin/time")?;
    Ok(line.trim().parse()?)
}

fn dir_bytes(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.filter_map(|e| e.ok())
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

/// The steps of the peer's script, in its order.
const PEER_STEPS: [&str; 7] = [
    "import_coco",
    "export_binary_nw0",
    "export_binary_nw2",
    "import_binary_nw0",
    "import_binary_nw2",
    "export_json",
    "import_json",
];

/// Runs the datumaro comparison in `work`.
pub fn run(work: &Path) -> Result<()> {
    let root = crate::workspace_root();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "vellum-cli"])
        .current_dir(&root)
        .status()
        .context("building the release vellum")?;
    if !status.success() {
        bail!("cargo build --release -p vellum-cli failed");
    }
    let vellum = root.join("target/release/vellum");
    let work = std::path::absolute(work)?;
    let coco = work.join("coco");
    if !coco.join("annotations/instances_default.json").is_file() {
        vellum_datumaro::synth::write_coco(&coco, ITEMS, SEED)?;
    }
    let ours_dir = work.join("ours");
    std::fs::create_dir_all(&ours_dir)?;
    let peer_dir = work.join("peer");
    let s = |p: &Path| p.display().to_string();
    let (bin1, bin2, json, json2, synced, enc) = (
        ours_dir.join("binary_nw1"),
        ours_dir.join("binary_nw2"),
        ours_dir.join("datumaro_json"),
        ours_dir.join("datumaro_json_nw2"),
        ours_dir.join("binary_fsync"),
        ours_dir.join("binary_encrypted"),
    );
    let owned = |v: &[&str]| v.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let info = |key, nw: &str, dir: &Path| OurStep {
        key,
        args: owned(&["--num-workers", nw, "datumaro", "info", &s(dir)]),
        field: "read_seconds",
        clean: None,
    };
    // datumaro never fsyncs its exports: ours are timed the same way
    // (`--no-fsync`; still written beside and renamed), and the default
    // with fsync is one more step.
    let convert = |key, nw: &str, out: &Path, fmt: &str, extra: &[&str]| {
        let mut args = owned(&[
            "--num-workers",
            nw,
            "convert",
            "-i",
            &s(&coco),
            "-f",
            fmt,
            "-o",
            &s(out),
        ]);
        args.extend(owned(extra));
        OurStep {
            key,
            args,
            field: "write_seconds",
            clean: Some(out.to_owned()),
        }
    };
    let fernet = ["--no-fsync", "--encryption", "--encryption-key", KEY];
    // In the peer's order (each import after the export it reads), then
    // the lines of ours alone.
    let steps = [
        info("import_coco", "1", &coco),
        convert(
            "export_binary_nw0",
            "1",
            &bin1,
            "datumaro_binary",
            &["--no-fsync"],
        ),
        convert(
            "export_binary_nw2",
            "2",
            &bin2,
            "datumaro_binary",
            &["--no-fsync"],
        ),
        info("import_binary_nw0", "1", &bin1),
        info("import_binary_nw2", "2", &bin1),
        convert("export_json", "1", &json, "datumaro", &["--no-fsync"]),
        info("import_json", "1", &json),
        info("import_coco_nw2", "2", &coco),
        convert("export_json_nw2", "2", &json2, "datumaro", &["--no-fsync"]),
        info("import_json_nw2", "2", &json),
        convert("export_binary_fsync", "1", &synced, "datumaro_binary", &[]),
        convert("export_fernet_nw0", "1", &enc, "datumaro_binary", &fernet),
        convert("export_fernet_nw2", "2", &enc, "datumaro_binary", &fernet),
    ];

    // The peer, in its own venv; the spec's figures when it cannot be installed.
    let python = python_venv(&work, &["datumaro==1.13.12"]);
    let (python, peer_name) = match python {
        Ok(p) => (Some(p), PEER.to_owned()),
        Err(e) => {
            eprintln!(
                "the peer could not run here ({e:#}); using datumaro 1.13.12's figures from the spec (§11), measured on this machine class"
            );
            (None, format!("{PEER} (spec §11 figures)"))
        }
    };
    // Opt-in: datumaro 1.11.1, the last version with encryption, for its
    // own encrypted export and its read-back of ours.
    let py111 = if std::env::var_os("VELLUM_BENCH_DATUMARO_1_11").is_some() {
        Some(datumaro_1_11(&work)?)
    } else {
        None
    };
    let mut theirs_111: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let rounds = repeats();
    eprintln!(
        "{rounds} rounds; in each, every step once for {peer_name} and then 1 warm-up and {} timed runs of vellum",
        our_repeats()
    );
    let mut theirs: Vec<Vec<f64>> = vec![Vec::new(); steps.len()];
    let mut ours: Vec<Vec<f64>> = vec![Vec::new(); steps.len()];
    for round in 1..=rounds {
        for (i, step) in steps.iter().enumerate() {
            if let Some(py) = &python
                && PEER_STEPS.contains(&step.key)
            {
                let t = peer_step(py, step.key, &coco, &peer_dir)?;
                theirs[i].push(t);
            }
            if let Some(py) = &py111
                && step.key == "export_fernet_nw0"
            {
                for (k, kind) in ["plain", "enc"].into_iter().enumerate() {
                    let out = work.join("peer_1_11").join(kind);
                    let t = peer_result(py, SCRIPT_1_11, &["_step", kind], &[&coco, &out])?;
                    theirs_111[k].extend(t.first());
                }
                eprintln!(
                    "round {round}/{rounds} datumaro 1.11.1 plain, encrypted export: {:?} s, {:?} s",
                    theirs_111[0].last(),
                    theirs_111[1].last()
                );
            }
            ours[i].extend(step.round(&vellum)?);
            eprintln!(
                "round {round}/{rounds} {:20} {PEER}: {:?} s, vellum: {:?} s",
                step.key,
                theirs[i].last(),
                &ours[i][ours[i].len() - our_repeats()..]
            );
        }
    }
    let med = |key: &str, of: &[Vec<f64>]| -> Option<f64> {
        let i = steps.iter().position(|st| st.key == key)?;
        let v = of.get(i)?;
        (!v.is_empty()).then(|| median(v.clone()))
    };
    let ours_med = |key: &str| med(key, &ours).unwrap_or(f64::NAN);
    let theirs_med = |key: &str| -> Option<f64> {
        if python.is_some() {
            med(key, &theirs)
        } else {
            SPEC_FIGURES
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
        }
    };

    let our_peak = peak_kib(
        &vellum,
        &[
            "--quiet",
            "--num-workers",
            "1",
            "datumaro",
            "info",
            &s(&bin1),
        ],
    )?;
    let their_peak = python.as_ref().and_then(|py| {
        peak_kib(
            py,
            &[
                &s(&peers_dir().join("datumaro_bench.py")),
                "_step",
                "import_binary_nw0",
                &s(&coco),
                &s(&peer_dir),
            ],
        )
        .ok()
    });
    let their_size = if python.is_some() {
        Some(dir_bytes(&peer_dir.join("binary_nw0/annotations")))
    } else {
        Some(25_881_503)
    };

    for key in PEER_STEPS {
        let Some(t) = theirs_med(key) else {
            continue;
        };
        let label = key
            .replace("_nw0", " (1 worker)")
            .replace("_nw2", " (2 workers)");
        let m = Measure {
            name: label,
            ours: ours_med(key),
            peer: peer_name.clone(),
            theirs: t,
            unit: "s".into(),
            higher_is_better: false,
        };
        println!("{m}");
    }
    for key in ["import_coco", "export_json", "import_json"] {
        let Some(t) = theirs_med(key) else {
            continue;
        };
        let (one, two) = (ours_med(key), ours_med(&format!("{key}_nw2")));
        let m = Measure {
            name: format!("{key} (2 workers)"),
            ours: two,
            peer: format!("{peer_name} (1 core, it has no workers here)"),
            theirs: t,
            unit: "s".into(),
            higher_is_better: false,
        };
        println!(
            "{m}; our 1 worker {one:.4} s, {:.2}x faster with 2",
            one / two
        );
    }
    if let Some(t) = theirs_med("export_binary_nw0") {
        let m = Measure {
            name: "export DatumaroBinary (1 worker) with fsync, our default".into(),
            ours: ours_med("export_binary_fsync"),
            peer: format!("{peer_name} (never syncs)"),
            theirs: t,
            unit: "s".into(),
            higher_is_better: false,
        };
        println!("{m}");
    }
    if let Some(p) = their_peak {
        let m = Measure {
            name: "peak memory, binary import (1 worker)".into(),
            ours: our_peak / 1024.0,
            peer: peer_name.clone(),
            theirs: p / 1024.0,
            unit: "MiB".into(),
            higher_is_better: false,
        };
        println!("{m}");
    } else {
        println!(
            "peak memory, binary import (1 worker): vellum {:.1} MiB (peer not measured)",
            our_peak / 1024.0
        );
    }
    if let Some(b) = their_size {
        let m = Measure {
            name: "DatumaroBinary annotations size".into(),
            ours: dir_bytes(&bin1.join("annotations")) as f64,
            peer: peer_name.clone(),
            theirs: b as f64,
            unit: "bytes".into(),
            higher_is_better: false,
        };
        println!("{m}");
    }
    if let Some(py) = &py111 {
        let (plain, enc_111) = (median(theirs_111[0].clone()), median(theirs_111[1].clone()));
        let m = Measure {
            name: "encrypted export (Fernet, 1 worker)".into(),
            ours: ours_med("export_fernet_nw0"),
            peer: "datumaro 1.11.1's encrypted export".into(),
            theirs: enc_111,
            unit: "s".into(),
            higher_is_better: false,
        };
        println!("{m}");
        println!(
            "datumaro 1.11.1's own encrypted export: {enc_111:.4} s, its plain export {plain:.4} s, overhead {:.2}x",
            enc_111 / plain
        );
        // Our last encrypted export (2 workers), read back by datumaro 1.11.1.
        let back = peer_result(py, SCRIPT_1_11, &["read"], &[&enc])?;
        let (items, anns) = (
            back.first().copied().unwrap_or(f64::NAN),
            back.get(1).copied().unwrap_or(f64::NAN),
        );
        let whole = items == ITEMS as f64 && anns == ANNOTATIONS as f64;
        println!(
            "datumaro 1.11.1 reads our encrypted export: {items} items, {anns} annotations ({})",
            if whole {
                "all of them"
            } else {
                "NOT all of them"
            }
        );
        if !whole {
            bail!("datumaro 1.11.1 did not read our encrypted export back whole");
        }
    }
    for (workers, enc, plain) in [
        (1, "export_fernet_nw0", "export_binary_nw0"),
        (2, "export_fernet_nw2", "export_binary_nw2"),
    ] {
        let (enc, plain) = (ours_med(enc), ours_med(plain));
        println!(
            "encrypted export (Fernet, {workers} worker{}): vellum {enc:.4} s, vellum plain {plain:.4} s, overhead {:.2}x (target at most 1.5x)",
            if workers == 1 { "" } else { "s" },
            enc / plain
        );
    }
    Ok(())
}
