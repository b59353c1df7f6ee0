//! Times one reader in-process on one thread, for profiling the readers:
//! `cargo run --release -p vellum-datumaro --example read -- coco|datumaro DIR [REPEATS]`.
//! Prints the best CPU time of REPEATS (default 5), reading and dropping
//! the whole dataset as `vellum datumaro info` does.

use std::path::PathBuf;

use vellum_datumaro::{read_coco, read_datumaro_json};

/// CPU time of this thread in seconds (Linux `schedstat`).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let format = args.next().ok_or("FORMAT")?;
    let dir = PathBuf::from(args.next().ok_or("DIR")?);
    let n: usize = args.next().map_or(Ok(5), |s| s.parse())?;
    let mut best = f64::INFINITY;
    for _ in 0..n {
        let t = cpu_seconds();
        let ds = match format.as_str() {
            "coco" => read_coco(&dir)?,
            _ => read_datumaro_json(&dir)?,
        };
        let annotations: usize = ds.items().map(|i| i.annotations.len()).sum();
        drop(ds);
        best = best.min(cpu_seconds() - t);
        std::hint::black_box(annotations);
    }
    println!("read {format}: {best:.3} s CPU (best of {n})");
    Ok(())
}
