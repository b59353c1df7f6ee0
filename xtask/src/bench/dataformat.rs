//! Side-by-side bench for BEAT data formats: `vellum-dataformat` in-process
//! against the platform (`peers/beat_bench.py`: beat.core 1.13.5 +
//! beat.backend.python 1.7.15, numpy 1.26.4) on the same machine, in one
//! run, on the same two workloads (detection: 4 x int32, float32, a 4..12
//! letter label and 16 float32 points; image64: 64x64 uint8).
//!
//! `cargo xtask bench dataformat` (our side is timed in a release build:
//! from a debug `xtask` it re-runs itself with `--release`). Sizes:
//! `VELLUM_BENCH_N` detections (default 20000), `VELLUM_BENCH_N_IMAGE`
//! images (default 5000), best of `VELLUM_BENCH_REPEAT` (default 3);
//! `VELLUM_BENCH_REUSE_PEER=1` reuses the last peer results (ours only).
//! Set `VELLUM_PEERS` to use peer scripts other than the copies in `xtask/peers/`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use vellum_dataformat::{Conversion, Format, Json, Object, Packer, PrefixDir, Resolver};

use super::Measure;
use crate::fixtures::beat::{detections, images};

const PEER: &str = "beat 1.13.5";

fn env_usize(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the dataformat comparison in `work`.
pub fn run(work: &Path) -> Result<()> {
    if cfg!(debug_assertions) && std::env::var_os("VELLUM_BENCH_INNER").is_none() {
        // Timing unoptimised code would be meaningless.
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--release",
                "--quiet",
                "--package",
                "xtask",
                "--",
                "bench",
                "dataformat",
                "--work",
            ])
            .arg(work)
            .current_dir(crate::workspace_root())
            .env("VELLUM_BENCH_INNER", "1")
            .status()
            .context("running the release xtask")?;
        if !status.success() {
            bail!("the release bench failed");
        }
        return Ok(());
    }
    let n = env_usize("VELLUM_BENCH_N", 20000);
    let n_image = env_usize("VELLUM_BENCH_N_IMAGE", 5000);
    let repeat = env_usize("VELLUM_BENCH_REPEAT", 3).max(1);
    let prefix = crate::workspace_root().join("tests/fixtures/beat/prefix");
    let peer = peer_results(work, &prefix, n, n_image, repeat)?;
    let resolver = Resolver::new(PrefixDir::new(&prefix));
    let det = resolver.load("test/detection/1")?;
    let img = resolver.load("test/image64/1")?;

    let dets = detections(n, 1234);
    let tagged: Vec<Json> = dets
        .iter()
        .map(|d| parse(&d.tagged))
        .collect::<Result<_>>()?;
    let plain: Vec<Json> = dets
        .iter()
        .map(|d| parse(&d.plain))
        .collect::<Result<_>>()?;
    let ours = measure_ours(&det, &tagged, Some(&plain), repeat)?;
    print_measures("detection", &ours, &peer["detection"]);

    let imgs: Vec<Json> = images(n_image, 99)
        .iter()
        .map(|t| parse(t))
        .collect::<Result<_>>()?;
    let ours = measure_ours(&img, &imgs, None, repeat)?;
    print_measures("image64", &ours, &peer["image64"]);
    Ok(())
}

fn parse(text: &str) -> Result<Json> {
    Ok(vellum_dataformat::parse_json(text)?)
}

/// Our objects per second for each measure.
#[derive(Debug, Default)]
struct Rates {
    pack: f64,
    pack_vec: f64,
    floor: f64,
    unpack: f64,
    validate: f64,
    check_typed: f64,
    construct: Option<f64>,
    as_dict: f64,
    bytes_per_object: f64,
}

fn best(repeat: usize, count: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..repeat {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    Ok(count as f64 / best)
}

fn measure_ours(
    f: &Arc<Format>,
    tagged: &[Json],
    plain: Option<&[Json]>,
    repeat: usize,
) -> Result<Rates> {
    let n = tagged.len();
    let mut objects: Vec<Object> = Vec::with_capacity(n);
    let validate = best(repeat, n, || {
        objects.clear();
        for j in tagged {
            objects.push(f.from_json(j, Conversion::VALIDATE)?);
        }
        Ok(())
    })?;
    let check_typed = best(repeat, n, || {
        for o in &objects {
            std::hint::black_box(Object::new(f.clone(), o.values().to_vec())?);
        }
        Ok(())
    })?;
    let construct = match plain {
        Some(p) => Some(best(repeat, n, || {
            for j in p {
                std::hint::black_box(f.from_json(j, Conversion::CONSTRUCT)?);
            }
            Ok(())
        })?),
        None => None,
    };
    let mut packed: Vec<bytes::Bytes> = Vec::with_capacity(n);
    // Like the peer (`del packed[:]` inside its timed function), the
    // previous round's bytes are freed inside the timing, and every packed
    // object is its own buffer, kept until then: through a `Packer` (one
    // `Bytes` per object, cut from shared chunks) ...
    let mut packer = Packer::new();
    let pack = best(repeat, n, || {
        packed.clear();
        for o in &objects {
            packed.push(packer.pack(f, o)?);
        }
        Ok(())
    })?;
    // ... and through `Format::pack` (a new `Vec` per object).
    let mut vecs: Vec<Vec<u8>> = Vec::with_capacity(n);
    let pack_vec = best(repeat, n, || {
        vecs.clear();
        for o in &objects {
            vecs.push(f.pack(o)?);
        }
        Ok(())
    })?;
    // The floor of any packer that returns a new contiguous buffer per
    // object: allocate the packed size and copy the packed bytes in.
    let floor = best(repeat, n, || {
        vecs.clear();
        for p in &packed {
            vecs.push(p.to_vec());
        }
        Ok(())
    })?;
    drop(vecs);
    let unpack = best(repeat, n, || {
        for p in &packed {
            std::hint::black_box(f.unpack(p)?);
        }
        Ok(())
    })?;
    let as_dict = best(repeat, n, || {
        for o in &objects {
            std::hint::black_box(o.to_json());
        }
        Ok(())
    })?;
    let total: usize = packed.iter().map(|p| p.len()).sum();
    Ok(Rates {
        pack,
        pack_vec,
        floor,
        unpack,
        validate,
        check_typed,
        construct,
        as_dict,
        bytes_per_object: total as f64 / n as f64,
    })
}

fn print_measures(workload: &str, ours: &Rates, peer: &serde_json::Value) {
    let get = |k: &str| peer.get(k).and_then(serde_json::Value::as_f64);
    let mut rows: Vec<(&str, f64, Option<f64>)> = vec![
        ("pack (Packer)", ours.pack, get("pack_objects_per_s")),
        (
            "pack (Format::pack, a new Vec each)",
            ours.pack_vec,
            get("pack_objects_per_s"),
        ),
        (
            "pack floor (a new buffer + one memcpy of the packed bytes each)",
            ours.floor,
            get("pack_objects_per_s"),
        ),
        ("unpack", ours.unpack, get("unpack_objects_per_s")),
        (
            "validate typed values (Object::new; platform: safe from_dict)",
            ours.check_typed,
            get("validate_safe_from_dict_objects_per_s"),
        ),
        (
            "validate tagged JSON (from_json; platform: safe from_dict)",
            ours.validate,
            get("validate_safe_from_dict_objects_per_s"),
        ),
        (
            // The platform's output path rebuilds its generated class on
            // every call; a Format is immutable and shared, so ours is the
            // same typed check.
            "validate on the output path (Object::new; platform: DataFormat.validate)",
            ours.check_typed,
            get("validate_platform_objects_per_s"),
        ),
        ("as_dict", ours.as_dict, get("as_dict_objects_per_s")),
    ];
    if let Some(c) = ours.construct {
        rows.push((
            "unsafe constructor",
            c,
            get("construct_unsafe_objects_per_s"),
        ));
    }
    for (name, v, theirs) in rows {
        let Some(theirs) = theirs else { continue };
        let m = Measure {
            name: format!("{workload} {name}"),
            ours: v,
            peer: PEER.into(),
            theirs,
            unit: "objects/s".into(),
            higher_is_better: true,
        };
        println!("{m}");
    }
    if let (Some(pb), Some(pack), Some(unpack)) = (
        get("packed_bytes_per_object"),
        get("pack_MB_per_s"),
        get("unpack_MB_per_s"),
    ) {
        for (name, ours_rate, theirs) in [
            ("pack (Packer)", ours.pack, pack),
            ("unpack", ours.unpack, unpack),
        ] {
            let m = Measure {
                name: format!("{workload} {name} throughput ({pb:.0} B/object)"),
                ours: ours_rate * ours.bytes_per_object / 1e6,
                peer: PEER.into(),
                theirs,
                unit: "MB/s".into(),
                higher_is_better: true,
            };
            println!("{m}");
        }
    }
}

/// Runs the platform's benchmark in the peer venv; its JSON results.
fn peer_results(
    work: &Path,
    prefix: &Path,
    n: usize,
    n_image: usize,
    repeat: usize,
) -> Result<serde_json::Value> {
    // beat.core pins packages that are not needed for data formats, and
    // beat.backend.python breaks with numpy >= 2.3: install the working set
    // (spec §0), then the two packages without their dependencies.
    let python = super::python_venv(
        work,
        &[
            "numpy==1.26.4",
            "jsonschema==3.2.0",
            "setuptools<81",
            "simplejson",
            "six",
        ],
    )?;
    let marker = work.join("venv").join(".vellum-beat-no-deps");
    if !marker.exists() {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "beat.backend.python==1.7.15",
                "beat.core==1.13.5",
            ])
            .status()
            .context("pip install beat")?;
        if !status.success() {
            bail!("pip install beat.backend.python beat.core failed");
        }
        std::fs::write(&marker, "beat.backend.python==1.7.15\nbeat.core==1.13.5\n")?;
    }
    let script = super::peers_dir().join("beat_bench.py");
    let out = work.join("beat_peer.json");
    if std::env::var_os("VELLUM_BENCH_REUSE_PEER").is_some() && out.exists() {
        // For iterating on our side only; the reported figures come from a
        // full run.
        return Ok(serde_json::from_str(&std::fs::read_to_string(&out)?)?);
    }
    eprintln!(
        "running the platform's benchmark ({n} detections, {n_image} images, best of {repeat})..."
    );
    let status = Command::new(&python)
        .arg(&script)
        .arg("--prefix")
        .arg(prefix)
        .args([
            "--n",
            &n.to_string(),
            "--n-image",
            &n_image.to_string(),
            "--repeat",
            &repeat.to_string(),
        ])
        .arg("--json")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !status.success() {
        bail!("{} failed", script.display());
    }
    let text = std::fs::read_to_string(&out)?;
    Ok(serde_json::from_str(&text)?)
}
