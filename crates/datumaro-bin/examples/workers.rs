//! Times the COCO and Datumaro JSON readers in-process with 1 and with 2
//! rayon workers, back to back:
//! `cargo run --release -p vellum-datumaro --example workers -- coco|datumaro DIR [REPEATS [WORKERS...]]`
//! (WORKERS: the worker counts to compare, 1 and 2 by default).
//! For each worker count prints the best wall time and the best CPU time
//! of the process (all its threads) of REPEATS runs (default 5), taken
//! alternately so a busy machine disturbs both alike.

use std::path::{Path, PathBuf};
use std::time::Instant;

use vellum_datumaro::{Dataset, read_coco, read_datumaro_json};

/// CPU time of every thread of this process in seconds (Linux
/// `schedstat`, nanoseconds); NaN elsewhere. The pools' threads live as
/// long as their pools, so differences of two readings count them.
fn process_cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ns = 0f64;
    for t in tasks.filter_map(|t| t.ok()) {
        let s = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
        ns += s
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
    }
    ns / 1e9
}

fn read(format: &str, dir: &Path) -> vellum_datumaro::Result<Dataset> {
    match format {
        "coco" => read_coco(dir),
        _ => read_datumaro_json(dir),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let format = args.next().ok_or("FORMAT")?;
    let dir = PathBuf::from(args.next().ok_or("DIR")?);
    let n: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let mut workers = args.map(|s| s.parse()).collect::<Result<Vec<usize>, _>>()?;
    if workers.is_empty() {
        workers = vec![1, 2];
    }
    let pools = workers.into_iter().map(|w| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(w)
            .build()
            .map(|p| (w, p))
    });
    let pools = pools.collect::<Result<Vec<_>, _>>()?;
    let mut best = vec![(f64::INFINITY, f64::INFINITY); pools.len()];
    let mut counts = Vec::new();
    for _ in 0..n {
        for ((_, pool), b) in pools.iter().zip(best.iter_mut()) {
            let (t, c) = (Instant::now(), process_cpu_seconds());
            let ds = pool.install(|| read(&format, &dir))?;
            let annotations: usize = ds.items().map(|i| i.annotations.len()).sum();
            drop(ds);
            let (wall, cpu) = (t.elapsed().as_secs_f64(), process_cpu_seconds() - c);
            *b = (b.0.min(wall), b.1.min(cpu));
            counts.push(annotations);
        }
    }
    counts.dedup();
    for ((w, _), (wall, cpu)) in pools.iter().zip(&best) {
        println!("read {format}, {w} worker(s): {wall:.3} s wall, {cpu:.3} s CPU (best of {n})");
    }
    println!("annotations read: {counts:?}");
    Ok(())
}
