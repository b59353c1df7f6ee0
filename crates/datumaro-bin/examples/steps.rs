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

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let coco = PathBuf::from(args.next().ok_or("COCO_DIR")?);
    let out = PathBuf::from(args.next().ok_or("OUT_DIR")?);
    let n: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()?;
    let (t, ds) = best(n, || read_coco(&coco));
    let ds = ds?;
    println!("import COCO: {t:.3} s");
    let opts = ExportOptions::default();
    let bin = out.join("binary");
    let (t, r) = best(n, || write_datumaro_binary(&ds, &bin, &opts));
    r?;
    println!("export DatumaroBinary: {t:.3} s");
    let (t, r) = best(n, || read_datumaro_binary(&bin, &ReadOptions::default()));
    r?;
    println!("import DatumaroBinary: {t:.3} s");
    let json = out.join("json");
    let (t, r) = best(n, || write_datumaro_json(&ds, &json, &opts));
    r?;
    println!("export Datumaro JSON: {t:.3} s");
    let (t, r) = best(n, || read_datumaro_json(&json));
    r?;
    println!("import Datumaro JSON: {t:.3} s");
    Ok(())
}
