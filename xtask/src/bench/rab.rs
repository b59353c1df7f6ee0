//! `cargo xtask bench rab`: the RAB workload of `peers/rab_bench.py` (one
//! float32 array of 50M elements, 500×1000×100), ours against upstream's
//! Python codec, h5py and numpy `.npy`, on one machine in one run; plus
//! open + list of the 200-dataset fixture against upstream.
//!
//! Our side runs in a release build (`examples/side_by_side.rs` of
//! `vellum-rab`). The peers run in a venv under the work folder (numpy,
//! h5py, PyYAML from PyPI). Upstream's `randomaccessbuffer` is not on PyPI:
//! point `RAB_UPSTREAM_SRC` at the `src` folder of a checkout of
//! BlueBrain/web-data-container (default: `WORK/upstream/src`).
//! `RAB_BENCH_N` / `RAB_BENCH_SHAPE` / `RAB_BENCH_REPEAT` shrink the run.
//! What each measure times is listed in docs/rab.md ("Performance").

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value as J;

use super::Measure;

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// Runs the rab comparison in `work`.
pub fn run(work: &Path) -> Result<()> {
    let work = std::path::absolute(work)?;
    let n = env_or("RAB_BENCH_N", "50000000");
    let shape = env_or("RAB_BENCH_SHAPE", "500x1000x100");
    let repeat = env_or("RAB_BENCH_REPEAT", "5");
    let lookups = "10000";
    let upstream = std::env::var_os("RAB_UPSTREAM_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.join("upstream/src"));
    if !upstream.join("randomaccessbuffer").is_dir() {
        bail!(
            "upstream randomaccessbuffer not found in {} (it is not on PyPI): set RAB_UPSTREAM_SRC to the src folder of a BlueBrain/web-data-container checkout",
            upstream.display()
        );
    }
    let python = super::python_venv(&work, &["numpy", "h5py", "pyyaml", "pandas<3"])?;
    let root = crate::workspace_root();
    let fixture = root.join("tests/fixtures/rab/many_datasets.rab");
    let data_dir = work.join("data");
    std::fs::create_dir_all(&data_dir)?;

    eprintln!("bench rab: vellum (release build)...");
    let ours = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "run",
            "--release",
            "-q",
            "-p",
            "vellum-rab",
            "--example",
            "side_by_side",
            "--",
        ])
        .args([
            "--n",
            &n,
            "--shape",
            &shape,
            "--lookups",
            lookups,
            "--repeat",
            &repeat,
        ])
        .arg("--work")
        .arg(&data_dir)
        .arg("--fixture")
        .arg(&fixture)
        .output()
        .context("running the side_by_side example")?;
    if !ours.status.success() {
        bail!(
            "side_by_side failed: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
    }
    let ours: J = serde_json::from_slice(&ours.stdout).context("side_by_side output")?;

    eprintln!("bench rab: peers (upstream, h5py, numpy)...");
    let peer_json = work.join("rab_peer.json");
    let status = Command::new(&python)
        .arg(super::peers_dir().join("rab_bench.py"))
        .args([
            "--n",
            &n,
            "--shape",
            &shape,
            "--lookups",
            lookups,
            "--repeat",
            &repeat,
        ])
        .args(["--write-repeat", "3", "--workdir"])
        .arg(&data_dir)
        .arg("--json")
        .arg(&peer_json)
        .env("PYTHONPATH", &upstream)
        .stdout(std::process::Stdio::null())
        .status()
        .context("running rab_bench.py")?;
    if !status.success() {
        bail!("rab_bench.py failed");
    }
    let peer: J = serde_json::from_slice(&std::fs::read(&peer_json)?)?;
    let fixture_up = Command::new(&python)
        .args(["-c", UPSTREAM_OPEN])
        .arg(&fixture)
        .env("PYTHONPATH", &upstream)
        .output()
        .context("timing upstream open of the fixture")?;
    let fixture_up: f64 = String::from_utf8_lossy(&fixture_up.stdout)
        .trim()
        .parse()
        .context("upstream fixture timing")?;

    let f = &peer["formats"];
    let peers = [
        ("upstream-rab", &f["rab (upstream python)"]),
        ("h5py", &f["h5py (contiguous)"]),
        ("numpy-npy", &f["numpy .npy (mmap lookups)"]),
    ];
    let num = |j: &J, k: &str| j[k].as_f64().unwrap_or(f64::NAN);
    let mut lines = Vec::new();
    for (peer_name, p) in peers {
        let ms = |name: &str, ours_s: f64, theirs_s: f64| Measure {
            name: name.to_owned(),
            ours: ours_s * 1e3,
            peer: peer_name.to_owned(),
            theirs: theirs_s * 1e3,
            unit: "ms".to_owned(),
            higher_is_better: false,
        };
        // Our write without fsync against theirs (np.save, h5py and
        // upstream never fsync); the fsync default on the next line.
        lines.push(ms(
            "write (atomic rename, no fsync)",
            num(&ours, "write_s"),
            num(p, "write_s"),
        ));
        lines.push(ms(
            "write (atomic + fsync)",
            num(&ours, "write_durable_s"),
            num(p, "write_s"),
        ));
        lines.push(ms(
            "open + list",
            num(&ours, "open_list_s"),
            num(p, "open_list_s"),
        ));
        lines.push(ms(
            "10k element reads (mmap)",
            num(&ours, "lookups_mmap_s"),
            num(p, "lookups_s"),
        ));
        lines.push(ms(
            "10k element reads (pread)",
            num(&ours, "lookups_pread_s"),
            num(p, "lookups_s"),
        ));
        lines.push(ms(
            "full read",
            num(&ours, "full_read_s"),
            num(p, "full_read_s"),
        ));
    }
    lines.push(Measure {
        name: "open + list, 200-dataset fixture".into(),
        ours: num(&ours, "fixture_open_list_s") * 1e3,
        peer: "upstream-rab".into(),
        theirs: fixture_up * 1e3,
        unit: "ms".into(),
        higher_is_better: false,
    });
    for m in &lines {
        println!("{m}");
    }
    println!(
        "file size: vellum {} B, upstream-rab {} B",
        ours["file_bytes"], f["rab (upstream python)"]["file_bytes"]
    );
    Ok(())
}

/// Median of 20 upstream opens (with its temp folder and pure-Python YAML).
const UPSTREAM_OPEN: &str = r#"
import sys, time, statistics
from randomaccessbuffer import RandomAccessBuffer
ts = []
for _ in range(20):
    t = time.perf_counter()
    r = RandomAccessBuffer(); r.read(sys.argv[1]); r.listDatasets(); r.clean()
    ts.append(time.perf_counter() - t)
print(statistics.median(ts))
"#;
