//! Times each step of the workload in-process on one thread:
//! `cargo run --release -p vellum-datumaro --example steps -- COCO_DIR OUT_DIR [REPEATS]`
//! (make COCO_DIR with `cargo xtask synth coco --items 20000 -o COCO_DIR`).
//! Prints the best of REPEATS (default 3) for each step, in seconds.

use std::path::PathBuf;
use std::time::Instant;

use vellum_datumaro::{
    ExportOptions, ReadOptions, read_coco, read_datumaro_binary, read_datumaro_json,
    write_datumaro_binary, write_datumaro_json,
};

/// CPU time of this thread in seconds (Linux `schedstat`), so a busy
/// machine's waiting for a core does not count; None elsewhere.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Best wall time and best CPU time of `n` runs, and the last result.
fn best<T>(n: usize, mut f: impl FnMut() -> T) -> ((f64, f64), T) {
    let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
    let mut last = None;
    for _ in 0..n {
        let c = cpu_seconds();
        let t = Instant::now();
        let v = f();
        wall = wall.min(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c, cpu_seconds()) {
            cpu = cpu.min(b - a);
        }
        last = Some(v);
    }
    ((wall, cpu), last.expect("at least one run"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let coco = PathBuf::from(args.next().ok_or("COCO_DIR")?);
    let out = PathBuf::from(args.next().ok_or("OUT_DIR")?);
    let n: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    // One thread: rayon's work runs on the calling thread (a pool of one
    // would run it on another thread, outside this thread's CPU time).
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build_global()?;
    if std::env::var_os("PARSE_FLOOR").is_some() {
        let bytes = std::fs::read(coco.join("annotations/instances_default.json"))?;
        let (t, _) = best(n, || {
            serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map(|_| ())
        });
        println!("skip COCO: {:.3} s wall, {:.3} s CPU", t.0, t.1);
        let (t, _) = best(n, || {
            serde_json::from_slice::<serde_json::Value>(&bytes).map(|_| ())
        });
        println!("Value COCO: {:.3} s wall, {:.3} s CPU", t.0, t.1);
    }
    let (t, ds) = best(n, || read_coco(&coco));
    let ds = ds?;
    println!("import COCO: {:.3} s wall, {:.3} s CPU", t.0, t.1);
    let opts = ExportOptions::default();
    let bin = out.join("binary");
    let (t, r) = best(n, || write_datumaro_binary(&ds, &bin, &opts));
    r?;
    println!("export DatumaroBinary: {:.3} s wall, {:.3} s CPU", t.0, t.1);
    let (t, r) = best(n, || read_datumaro_binary(&bin, &ReadOptions::default()));
    r?;
    println!("import DatumaroBinary: {:.3} s wall, {:.3} s CPU", t.0, t.1);
    let json = out.join("json");
    let (t, r) = best(n, || write_datumaro_json(&ds, &json, &opts));
    r?;
    println!("export Datumaro JSON: {:.3} s wall, {:.3} s CPU", t.0, t.1);
    let (t, r) = best(n, || read_datumaro_json(&json));
    r?;
    println!("import Datumaro JSON: {:.3} s wall, {:.3} s CPU", t.0, t.1);
    Ok(())
}
