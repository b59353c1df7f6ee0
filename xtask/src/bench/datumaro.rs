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
//! default, with fsync, is one more line). Each step, ours and the peer's,
//! runs in a fresh process and reports its own phase time (ours:
//! `read_seconds` / `write_seconds` of `--json`). The peer's figure is the
//! median of `VELLUM_BENCH_REPEATS` (default 3) runs of seconds each. Ours
//! last tens of milliseconds, where this VM's first touch of memory that
//! sat free for a while costs up to 3x (the host takes back free guest
//! pages): each of our steps has one untimed warm-up run and is the median
//! of `VELLUM_BENCH_OUR_REPEATS` (default 7) runs, as hyperfine does for
//! short commands.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Measure, peers_dir, python_venv};

const ITEMS: usize = 20_000;
const SEED: u64 = 1;
const PEER: &str = "datumaro 1.13.12";
const KEY: &str = "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=";

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

fn repeats() -> usize {
    std::env::var("VELLUM_BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1)
}

/// Runs of each of our steps (more than the peer's: ours are short).
fn our_repeats() -> usize {
    std::env::var("VELLUM_BENCH_OUR_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .max(1)
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

/// Median over [`our_repeats`] of the `field` seconds `vellum ARGS`
/// reports, after one untimed warm-up run.
fn time_step(vellum: &Path, args: &[&str], field: &str, clean: Option<&Path>) -> Result<f64> {
    let mut v = Vec::new();
    for run in 0..=our_repeats() {
        if let Some(d) = clean {
            let _ = std::fs::remove_dir_all(d);
        }
        let doc = vellum_json(vellum, args)?;
        if run == 0 {
            continue;
        }
        v.push(
            doc[field]
                .as_f64()
                .context("no timing in vellum's report")?,
        );
    }
    Ok(median(v))
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

/// The peer's step medians, its peak memory (KiB) and binary size.
type PeerFigures = (Vec<(String, f64)>, Option<f64>, Option<u64>);

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
    let s = |p: &Path| p.display().to_string();
    let (bin1, bin2, json, enc) = (
        ours_dir.join("binary_nw1"),
        ours_dir.join("binary_nw2"),
        ours_dir.join("datumaro_json"),
        ours_dir.join("binary_encrypted"),
    );
    eprintln!(
        "timing vellum (1 warm-up and {} timed runs per step)...",
        our_repeats()
    );
    let coco_s = s(&coco);
    let convert = |nw: &str, out: &Path, fmt: &str, extra: &[&str]| -> Result<f64> {
        let out_s = s(out);
        // datumaro never fsyncs its exports: ours are timed the same way
        // (`--no-fsync`; still written beside and renamed), and the
        // default with fsync is printed once more below.
        let mut args = vec![
            "--num-workers",
            nw,
            "convert",
            "-i",
            &coco_s,
            "-f",
            fmt,
            "-o",
            &out_s,
            "--no-fsync",
        ];
        args.extend_from_slice(extra);
        time_step(&vellum, &args, "write_seconds", Some(out))
    };
    let info = |nw: &str, dir: &Path, extra: &[&str]| -> Result<f64> {
        let d = s(dir);
        let mut args = vec!["--num-workers", nw, "datumaro", "info", &d];
        args.extend_from_slice(extra);
        time_step(&vellum, &args, "read_seconds", None)
    };
    let ours = [
        ("import_coco", info("1", &coco, &[])?),
        (
            "export_binary_nw0",
            convert("1", &bin1, "datumaro_binary", &[])?,
        ),
        (
            "export_binary_nw2",
            convert("2", &bin2, "datumaro_binary", &[])?,
        ),
        ("import_binary_nw0", info("1", &bin1, &[])?),
        ("import_binary_nw2", info("2", &bin1, &[])?),
        ("export_json", convert("1", &json, "datumaro", &[])?),
        ("import_json", info("1", &json, &[])?),
    ];
    // The steps datumaro has no workers for: ours with 2, against our 1
    // and against datumaro's one core.
    let json2 = ours_dir.join("datumaro_json_nw2");
    let with_two = [
        ("import_coco", info("2", &coco, &[])?),
        ("export_json", convert("2", &json2, "datumaro", &[])?),
        ("import_json", info("2", &json, &[])?),
    ];
    let synced = {
        let out = ours_dir.join("binary_fsync");
        let out_s = s(&out);
        time_step(
            &vellum,
            &[
                "--num-workers",
                "1",
                "convert",
                "-i",
                &coco_s,
                "-f",
                "datumaro_binary",
                "-o",
                &out_s,
            ],
            "write_seconds",
            Some(&out),
        )?
    };
    let fernet = ["--encryption", "--encryption-key", KEY];
    let enc_time = convert("1", &enc, "datumaro_binary", &fernet)?;
    let enc_time_nw2 = convert("2", &enc, "datumaro_binary", &fernet)?;
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

    // The peer, in its own venv; the spec's figures when it cannot be installed.
    let peer_dir = work.join("peer");
    let script = peers_dir().join("datumaro_bench.py");
    let peer: Result<PeerFigures> = (|| {
        let python = python_venv(&work, &["datumaro==1.13.12"])?;
        eprintln!("timing {PEER} ({} repeats per step)...", repeats());
        let summary_path = work.join("peer_summary.json");
        let status = Command::new(&python)
            .arg(&script)
            .args([
                "run",
                &coco_s,
                &s(&peer_dir),
                "--repeats",
                &repeats().to_string(),
                "--json",
            ])
            .arg(&summary_path)
            .status()
            .context("running the peer bench")?;
        if !status.success() {
            bail!("the peer bench failed");
        }
        let summary: Value = serde_json::from_slice(&std::fs::read(&summary_path)?)?;
        let med = summary["median_seconds"]
            .as_object()
            .context("no medians")?;
        let times = med
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
            .collect();
        let peak = peak_kib(
            &python,
            &[
                &s(&script),
                "_step",
                "import_binary_nw0",
                &coco_s,
                &s(&peer_dir),
            ],
        )
        .ok();
        Ok((
            times,
            peak,
            summary["sizes_bytes"]["datumaro_binary_annotations"].as_u64(),
        ))
    })();
    let (theirs, their_peak, their_size, peer_name) = match peer {
        Ok((t, p, sz)) => (t, p, sz, PEER.to_owned()),
        Err(e) => {
            eprintln!(
                "the peer could not run here ({e:#}); using datumaro 1.13.12's figures from the spec (§11), measured on this machine class"
            );
            let t = SPEC_FIGURES
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect();
            (
                t,
                None,
                Some(25_881_503),
                format!("{PEER} (spec §11 figures)"),
            )
        }
    };
    for (name, ours) in ours {
        let Some(&(_, t)) = theirs.iter().find(|(k, _)| k == name) else {
            continue;
        };
        let label = name
            .replace("_nw0", " (1 worker)")
            .replace("_nw2", " (2 workers)");
        let m = Measure {
            name: label,
            ours,
            peer: peer_name.clone(),
            theirs: t,
            unit: "s".into(),
            higher_is_better: false,
        };
        println!("{m}");
    }
    for (name, two) in with_two {
        let Some(&(_, t)) = theirs.iter().find(|(k, _)| k == name) else {
            continue;
        };
        let one = ours
            .iter()
            .find(|(k, _)| *k == name)
            .map_or(f64::NAN, |x| x.1);
        let m = Measure {
            name: format!("{name} (2 workers)"),
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
    if let Some(&(_, t)) = theirs.iter().find(|(k, _)| k == "export_binary_nw0") {
        let m = Measure {
            name: "export DatumaroBinary (1 worker) with fsync, our default".into(),
            ours: synced,
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
    let plain = ours
        .iter()
        .find(|(k, _)| *k == "export_binary_nw0")
        .map_or(f64::NAN, |x| x.1);
    let plain_nw2 = ours
        .iter()
        .find(|(k, _)| *k == "export_binary_nw2")
        .map_or(f64::NAN, |x| x.1);
    for (workers, enc, plain) in [(1, enc_time, plain), (2, enc_time_nw2, plain_nw2)] {
        println!(
            "encrypted export (Fernet, {workers} worker{}): vellum {enc:.4} s, vellum plain {plain:.4} s, overhead {:.2}x (target at most 1.5x)",
            if workers == 1 { "" } else { "s" },
            enc / plain
        );
    }
    Ok(())
}
