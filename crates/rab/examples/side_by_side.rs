//! Our half of `cargo xtask bench rab`: the workload of the peer script
//! `rab_bench.py` (one float32 array, N-d element reads, full read, write),
//! timed in-process in a release build; prints one JSON object.
//!
//! ```text
//! cargo run --release -p vellum-rab --example side_by_side -- \
//!     --n 50000000 --shape 500x1000x100 --lookups 10000 --repeat 5 --work DIR [--fixture many_datasets.rab]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use vellum_format_core::Backend;
use vellum_rab::{Array, DatasetOptions, RabReader, RabWriter, ReadOptions};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64(), out)
}

/// splitmix64: deterministic positions and values without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut n: usize = 50_000_000;
    let mut shape: Vec<usize> = vec![500, 1000, 100];
    let mut lookups = 10_000usize;
    let mut repeat = 5usize;
    let mut work = std::env::temp_dir();
    let mut fixture: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or("missing value")?;
        match a.as_str() {
            "--n" => n = v.parse()?,
            "--shape" => shape = v.split('x').map(str::parse).collect::<Result<_, _>>()?,
            "--lookups" => lookups = v.parse()?,
            "--repeat" => repeat = v.parse()?,
            "--work" => work = PathBuf::from(v),
            "--fixture" => fixture = Some(PathBuf::from(v)),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    assert_eq!(
        shape.iter().product::<usize>(),
        n,
        "shape does not hold n elements"
    );
    let mut rng = Rng(0);
    let values: Vec<f32> = (0..n)
        .map(|_| (rng.next() >> 40) as f32 / (1u64 << 24) as f32)
        .collect();
    let positions: Vec<Vec<u64>> = (0..lookups)
        .map(|_| shape.iter().map(|&s| rng.next() % s as u64).collect())
        .collect();
    let array = Array::from_elements(&shape, &values)?;
    // Keep only what the value check below needs.
    let sample: Vec<(Vec<u64>, f32)> = positions
        .iter()
        .take(100)
        .map(|p| {
            let idx = p
                .iter()
                .zip(&shape)
                .fold(0usize, |acc, (&i, &d)| acc * d + i as usize);
            (p.clone(), values[idx])
        })
        .collect();
    drop(values);
    let path = work.join("bench_vellum.rab");

    // (a) write: builder + atomic write (rename), without and with fsync
    // (np.save, which it is compared with, never fsyncs)
    let write = |durable: bool| {
        median(
            (0..repeat.clamp(1, 3))
                .map(|_| {
                    timed(|| -> Result<(), vellum_rab::Error> {
                        let w = RabWriter::new();
                        let mut w = if durable { w } else { w.without_fsync() };
                        w.add_array("x", &array, DatasetOptions::new())?;
                        w.write(&path)
                    })
                    .0
                })
                .collect(),
        )
    };
    // One untimed write first: the first 200 MB a process writes costs
    // extra (np.save's too), and the peer's np.save series runs after its
    // h5py series in the same process. Then the same sequence as that
    // series: the first write makes a new file, the next ones replace it.
    // The fsync variant comes last, so its flushes do not slow the others.
    let mut w = RabWriter::new().without_fsync();
    w.add_array("x", &array, DatasetOptions::new())?;
    w.write(&path)?;
    std::fs::remove_file(&path)?;
    let write_s = write(false);
    let write_durable_s = write(true);
    drop(array);

    // (b) open + list (header only). A few microseconds each: the median
    // of 101 opens, so one descheduled run on a busy machine cannot move it.
    let open_s = median(
        (0..repeat.max(101))
            .map(|_| {
                timed(|| {
                    let r = RabReader::open(&path).expect("open");
                    assert_eq!(r.names().collect::<Vec<_>>(), ["x"]);
                })
                .0
            })
            .collect(),
    );

    // (c) single-element reads by N-d position: pread and mmap
    let lookups_with = |backend: Backend| -> f64 {
        let opts = ReadOptions {
            backend,
            ..ReadOptions::default()
        };
        median(
            (0..repeat)
                .map(|_| {
                    timed(|| {
                        let r = RabReader::open_with(&path, opts).expect("open");
                        let mut sum = 0.0;
                        for p in &positions {
                            if let vellum_format_core::Number::Float(f) =
                                r.element("x", p).expect("element")
                            {
                                sum += f;
                            }
                        }
                        std::hint::black_box(sum);
                    })
                    .0
                })
                .collect(),
        )
    };
    let lookups_pread_s = lookups_with(Backend::Read);
    let lookups_mmap_s = lookups_with(Backend::Mmap);
    // check the values against the source array
    let r = RabReader::open(&path)?;
    for (p, v) in &sample {
        assert_eq!(
            r.element("x", p)?,
            vellum_format_core::Number::Float(f64::from(*v))
        );
    }

    // (d) the whole array into memory
    let full_s = median(
        (0..repeat)
            .map(|_| {
                timed(|| {
                    let r = RabReader::open(&path).expect("open");
                    let a = r.array("x").expect("array");
                    assert_eq!(a.len(), n);
                    std::hint::black_box(a);
                })
                .0
            })
            .collect(),
    );
    let file_bytes = std::fs::metadata(&path)?.len();
    std::fs::remove_file(&path)?;

    // (e) open + list of the 200-dataset fixture
    let fixture_open_s = fixture.map(|f| {
        median(
            (0..repeat.max(21))
                .map(|_| {
                    timed(|| {
                        let r = RabReader::open(&f).expect("open fixture");
                        std::hint::black_box(r.names().count());
                    })
                    .0
                })
                .collect(),
        )
    });

    println!(
        "{{\"write_s\": {write_s}, \"write_durable_s\": {write_durable_s}, \"open_list_s\": {open_s}, \"lookups_pread_s\": {lookups_pread_s}, \"lookups_mmap_s\": {lookups_mmap_s}, \"full_read_s\": {full_s}, \"file_bytes\": {file_bytes}, \"fixture_open_list_s\": {}}}",
        fixture_open_s.map_or("null".to_owned(), |v| v.to_string())
    );
    Ok(())
}
