//! Loads a COCO dataset once, then repeats one export on one thread, for
//! profiling the writers (`perf record`) and timing them in-process:
//! `cargo run --release -p vellum-datumaro --example export -- COCO_DIR OUT_DIR FORMAT [REPEATS] [--encryption]`
//! with FORMAT `datumaro_binary`, `datumaro` or `coco`. Prints the CPU time
//! of this thread and the wall time of each run, in seconds.

use std::path::PathBuf;
use std::time::Instant;

use vellum_datumaro::{
    Cipher, ExportOptions, read_coco, write_coco, write_datumaro_binary, write_datumaro_json,
};

/// CPU time of this thread in seconds (Linux `schedstat`); None elsewhere.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let coco = PathBuf::from(args.first().ok_or("COCO_DIR")?);
    let out = PathBuf::from(args.get(1).ok_or("OUT_DIR")?);
    let format = args.get(2).ok_or("FORMAT")?.clone();
    let n: usize = args.get(3).map_or(Ok(3), |s| s.parse())?;
    let encrypt = args.iter().any(|a| a == "--encryption");
    // One thread: rayon's work runs on the calling thread.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .use_current_thread()
        .build_global()?;
    let ds = read_coco(&coco)?;
    let mut opts = ExportOptions::default();
    if encrypt {
        opts.binary.cipher = Some(Cipher::generate_datumaro());
    }
    for _ in 0..n {
        let _ = std::fs::remove_dir_all(&out);
        let c = cpu_seconds();
        let t = Instant::now();
        match format.as_str() {
            "datumaro_binary" => write_datumaro_binary(&ds, &out, &opts)?,
            "datumaro" => write_datumaro_json(&ds, &out, &opts)?,
            "coco" => write_coco(&ds, &out, &opts)?,
            f => return Err(format!("unknown format {f}").into()),
        };
        let wall = t.elapsed().as_secs_f64();
        let cpu = match (c, cpu_seconds()) {
            (Some(a), Some(b)) => b - a,
            _ => f64::NAN,
        };
        println!("{format}: {cpu:.4} s CPU, {wall:.4} s wall");
    }
    Ok(())
}
