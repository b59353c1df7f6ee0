//! `cargo xtask bench records`: Vellum against `dsrecords==0.4.18` and the
//! `tfrecord` pip package on the workload of `peers/records_bench.py`
//! (100,000 records of 1 KiB of random bytes plus an f32 and an i32), on one
//! machine in one run. Our side runs in-process from a release build (a
//! debug `cargo xtask` re-runs itself with `--release`).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::Value as J;
use vellum_format_core::Backend;
use vellum_records::{Dataset, Example, OpenOptions, TfRecordReader};

use super::Measure;
use crate::fixtures::records::{WorkRecord, workload, write_dsrecords, write_tfrecord};

const N: usize = 100_000;
const PAYLOAD: usize = 1024;
const RANDOM: usize = 10_000;
const REPEATS: usize = 3;
/// Our side repeats more: the shared machine is noisy and ours is cheap.
const OUR_REPEATS: usize = 5;
/// Random reads on our side: many more than the peer's 10,000 so the
/// timing is not lost in the clock's resolution.
const OUR_RANDOM: usize = 1_000_000;
const RELEASE_ENV: &str = "VELLUM_BENCH_RELEASE";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// XOR of a payload's 8-byte words (and its tail): reads every byte.
fn xor_fold(p: &[u8]) -> u64 {
    let mut chunks = p.chunks_exact(8);
    let mut acc = chunks.by_ref().fold(0u64, |a, c| {
        a ^ u64::from_le_bytes(c.try_into().unwrap_or_default())
    });
    for &b in chunks.remainder() {
        acc ^= u64::from(b);
    }
    acc
}

fn time<T>(f: impl FnOnce() -> Result<T>) -> Result<(f64, T)> {
    let t = Instant::now();
    let out = f()?;
    Ok((t.elapsed().as_secs_f64(), out))
}

/// Our numbers, medians of [`REPEATS`] runs.
struct Ours {
    rec_bytes: u64,
    tf_bytes: u64,
    write: f64,
    seq_read: f64,
    seq_read_mmap: f64,
    random_read: f64,
    tf_write: f64,
    tf_read: f64,
    cat: f64,
}

fn run_ours(work: &Path, recs: &[WorkRecord]) -> Result<Ours> {
    let rec = work.join("vellum.rec");
    let tf = work.join("vellum.tfrecord");
    let (mut w, mut s, mut sm, mut r) = (vec![], vec![], vec![], vec![]);
    let (mut tw, mut tr, mut c) = (vec![], vec![], vec![]);
    let mut picks = crate::fixtures::records::Rng::new(7);
    let picks: Vec<usize> = (0..OUR_RANDOM)
        .map(|_| (picks.next_u64() % N as u64) as usize)
        .collect();
    for _ in 0..OUR_REPEATS {
        for p in [&rec, &rec.with_extension("idx"), &tf] {
            let _ = std::fs::remove_file(p);
        }
        w.push(time(|| write_dsrecords(&rec, recs))?.0);
        // Sequential: open, then every record's three fields decoded and
        // every payload byte read (xor-folded), once with the whole file
        // read into memory (like `cat`) and once memory-mapped.
        for (backend, out) in [(Backend::Read, &mut s), (Backend::Mmap, &mut sm)] {
            let (secs, total) = time(|| {
                let ds = Dataset::open_with(&rec, 3, &OpenOptions::with_backend(backend))?;
                let mut total = 0u64;
                let mut fold = 0u64;
                for r in ds.iter() {
                    let r = r?;
                    let p = r.field(0).unwrap_or_default();
                    fold ^= xor_fold(p);
                    let f = f32::from_le_bytes(r.field(1).unwrap_or_default().try_into()?);
                    let i = i32::from_le_bytes(r.field(2).unwrap_or_default().try_into()?);
                    total += p.len() as u64 + u64::from(f > 2.0) + u64::from(i == 0);
                }
                Ok(total + u64::from(fold == 1))
            })?;
            if total < (N * PAYLOAD) as u64 {
                bail!("sequential read saw {total} bytes");
            }
            out.push(secs);
        }
        let ds = Dataset::open_with(&rec, 3, &OpenOptions::default())?;
        r.push(
            time(|| {
                let mut acc = 0u64;
                for &i in &picks {
                    let rec = ds.get(i)?;
                    let f = f32::from_le_bytes(rec.field(1).unwrap_or_default().try_into()?);
                    acc += rec.field(0).map_or(0, |p| p.len() as u64) + u64::from(f > 2.0);
                }
                Ok(acc)
            })?
            .0,
        );
        tw.push(time(|| write_tfrecord(&tf, recs))?.0);
        tr.push(
            time(|| {
                let reader = TfRecordReader::open(&tf)?;
                let mut n = 0usize;
                for rec in reader.iter() {
                    let ex = Example::decode(&rec?.payload)?;
                    n += ex.features.len();
                }
                Ok(n)
            })?
            .0,
        );
        c.push(
            time(|| {
                let st = Command::new("sh")
                    .arg("-c")
                    .arg(format!("cat '{}' > /dev/null", rec.display()))
                    .status()?;
                if !st.success() {
                    bail!("cat failed");
                }
                Ok(())
            })?
            .0,
        );
    }
    Ok(Ours {
        rec_bytes: std::fs::metadata(&rec)?.len(),
        tf_bytes: std::fs::metadata(&tf)?.len(),
        write: median(w),
        seq_read: median(s),
        seq_read_mmap: median(sm),
        random_read: median(r),
        tf_write: median(tw),
        tf_read: median(tr),
        cat: median(c),
    })
}

fn peer_row<'a>(rows: &'a [J], format: &str, op_prefix: &str) -> Result<&'a J> {
    rows.iter()
        .find(|r| {
            r["format"] == format && r["op"].as_str().is_some_and(|o| o.starts_with(op_prefix))
        })
        .with_context(|| format!("peer result {format} / {op_prefix} missing"))
}

fn num(row: &J, key: &str) -> f64 {
    row[key].as_f64().unwrap_or(f64::NAN)
}

/// Runs the records comparison in `work`.
pub fn run(work: &Path) -> Result<()> {
    if cfg!(debug_assertions) && std::env::var_os(RELEASE_ENV).is_none() {
        eprintln!("bench records: re-running as a release build for honest timings");
        let root = crate::workspace_root();
        let work = std::path::absolute(work)?;
        let st = Command::new(env!("CARGO"))
            .current_dir(&root)
            .args([
                "run",
                "--quiet",
                "--release",
                "--package",
                "xtask",
                "--",
                "bench",
                "records",
                "--work",
            ])
            .arg(&work)
            .env(RELEASE_ENV, "1")
            .status()
            .context("cargo run --release")?;
        if !st.success() {
            bail!("the release bench failed");
        }
        return Ok(());
    }
    std::fs::create_dir_all(work)?;
    let python = super::python_venv(
        work,
        &["dsrecords==0.4.18", "tfrecord==1.14.6", "numpy", "protobuf"],
    )?;
    let script = super::peers_dir().join("records_bench.py");
    let peer_work = work.join("peer");
    std::fs::create_dir_all(&peer_work)?;
    let peer_json = work.join("peer.json");
    eprintln!("bench records: running the Python peers (dsrecords, tfrecord), {REPEATS} repeats");
    let st = Command::new(&python)
        .arg(&script)
        .args([
            "--n",
            &N.to_string(),
            "--random",
            &RANDOM.to_string(),
            "--repeats",
            &REPEATS.to_string(),
        ])
        .arg("--workdir")
        .arg(&peer_work)
        .arg("--json")
        .arg(&peer_json)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !st.success() {
        bail!("{} failed", script.display());
    }
    let peer: J = serde_json::from_str(&std::fs::read_to_string(&peer_json)?)?;
    let rows = peer["rows"].as_array().context("peer rows")?.clone();
    // The peer's data files are no longer needed.
    let _ = std::fs::remove_dir_all(&peer_work);

    eprintln!("bench records: running vellum, {OUR_REPEATS} repeats");
    let recs = workload(N, PAYLOAD, 12345);
    let ours = run_ours(work, &recs)?;
    let mb = |bytes: u64, secs: f64| bytes as f64 / secs / 1e6;
    let ds_write = peer_row(&rows, "dsrecords", "write")?;
    let ds_seq = peer_row(&rows, "dsrecords", "sequential")?;
    let ds_rand = peer_row(&rows, "dsrecords", "random")?;
    let mm_seq = peer_row(&rows, "python-mmap", "sequential")?;
    let mm_rand = peer_row(&rows, "python-mmap", "random")?;
    let cat = peer_row(&rows, "raw .rec", "cat")?;
    let measures = [
        Measure {
            name: "dsrecords write (MB/s)".into(),
            ours: mb(ours.rec_bytes, ours.write),
            peer: "dsrecords".into(),
            theirs: num(ds_write, "MB_per_s"),
            unit: "MB/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "dsrecords sequential read, file read into memory (MB/s)".into(),
            ours: mb(ours.rec_bytes, ours.seq_read),
            peer: "dsrecords".into(),
            theirs: num(ds_seq, "MB_per_s"),
            unit: "MB/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "dsrecords sequential read, mmap (MB/s)".into(),
            ours: mb(ours.rec_bytes, ours.seq_read_mmap),
            peer: "dsrecords".into(),
            theirs: num(ds_seq, "MB_per_s"),
            unit: "MB/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "dsrecords random read (records/s)".into(),
            ours: OUR_RANDOM as f64 / ours.random_read,
            peer: "dsrecords".into(),
            theirs: num(ds_rand, "records_per_s"),
            unit: "records/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "sequential read (mmap) vs cat > /dev/null (MB/s, target ratio >= 0.5)".into(),
            ours: mb(ours.rec_bytes, ours.seq_read_mmap),
            peer: "cat".into(),
            theirs: mb(ours.rec_bytes, ours.cat),
            unit: "MB/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "sequential read (read backend) vs cat > /dev/null (MB/s)".into(),
            ours: mb(ours.rec_bytes, ours.seq_read),
            peer: "cat".into(),
            theirs: mb(ours.rec_bytes, ours.cat),
            unit: "MB/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "sequential read (mmap) vs a minimal python mmap reader (MB/s)".into(),
            ours: mb(ours.rec_bytes, ours.seq_read_mmap),
            peer: "python-mmap".into(),
            theirs: num(mm_seq, "MB_per_s"),
            unit: "MB/s".into(),
            higher_is_better: true,
        },
        Measure {
            name: "random read vs a minimal python mmap reader (records/s)".into(),
            ours: OUR_RANDOM as f64 / ours.random_read,
            peer: "python-mmap".into(),
            theirs: num(mm_rand, "records_per_s"),
            unit: "records/s".into(),
            higher_is_better: true,
        },
    ];
    for m in &measures {
        println!("{m}");
    }
    println!(
        "# peer cat > /dev/null of its own .rec: {:.0} MB/s (spawn included)",
        num(cat, "MB_per_s")
    );
    if let (Ok(tw), Ok(tr)) = (
        peer_row(&rows, "tfrecord", "write"),
        peer_row(&rows, "tfrecord", "sequential read + Example"),
    ) {
        let tf = [
            Measure {
                name: "tfrecord write, Example (MB/s)".into(),
                ours: mb(ours.tf_bytes, ours.tf_write),
                peer: "tfrecord".into(),
                theirs: num(tw, "MB_per_s"),
                unit: "MB/s".into(),
                higher_is_better: true,
            },
            Measure {
                name: "tfrecord read + CRC check + Example decode (MB/s; peer skips CRCs)".into(),
                ours: mb(ours.tf_bytes, ours.tf_read),
                peer: "tfrecord".into(),
                theirs: num(tr, "MB_per_s"),
                unit: "MB/s".into(),
                higher_is_better: true,
            },
        ];
        for m in &tf {
            println!("{m}");
        }
    }
    println!(
        "# N={N} records of {PAYLOAD} B + f32 + i32; .rec {} B, .tfrecord {} B; medians of {REPEATS} (ours of {OUR_REPEATS}); \
         our random reads: {OUR_RANDOM}, the peer's: {RANDOM}",
        ours.rec_bytes, ours.tf_bytes
    );
    for p in ["vellum.rec", "vellum.idx", "vellum.tfrecord"] {
        let _ = std::fs::remove_file(work.join(p));
    }
    Ok(())
}
