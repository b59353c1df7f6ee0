//! Criterion benches for the RAB reader and writer on deterministic data:
//! header-only open of the 200-dataset upstream fixture and of a one-array
//! file, the header's YAML alone, element reads by N-d position (pread and
//! mmap), full array read, header emission, writes of one array and of
//! many small datasets.
//!
//! `cargo bench -p vellum-rab --bench rab -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vellum_format_core::Backend;
use vellum_rab::{Array, DatasetOptions, RabReader, RabWriter, ReadOptions};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/rab/many_datasets.rab")
}

fn benches(c: &mut Criterion) {
    let many = fixture();
    c.bench_function(
        "open+list many_datasets (200 datasets, 32 KB header)",
        |b| {
            b.iter(|| {
                let r = RabReader::open(&many).unwrap();
                black_box(r.names().count())
            })
        },
    );

    let text = {
        let b = std::fs::read(&many).unwrap();
        let h = u32::from_le_bytes(b[3..7].try_into().unwrap()) as usize;
        String::from_utf8(b[7..7 + h].to_vec()).unwrap()
    };
    c.bench_function("header YAML of many_datasets (32 KB)", |b| {
        b.iter(|| black_box(vellum_rab::from_pyyaml(&text).unwrap()))
    });

    // A 4 MB float32 cube, written once.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cube.rab");
    let shape = [100usize, 100, 100];
    let values: Vec<f32> = (0..1_000_000u32).map(|i| i as f32 * 0.25).collect();
    let array = Array::from_elements(&shape, &values).unwrap();
    let mut g = c.benchmark_group("write 4 MB float32");
    g.throughput(Throughput::Bytes(4_000_000));
    g.bench_function("atomic rename, no fsync", |b| {
        b.iter(|| {
            let mut w = RabWriter::new().without_fsync();
            w.add_array("x", &array, DatasetOptions::new()).unwrap();
            w.write(&path).unwrap();
        })
    });
    g.finish();

    c.bench_function("open+list one 4 MB array (header only)", |b| {
        b.iter(|| {
            let r = RabReader::open(&path).unwrap();
            black_box(r.names().count())
        })
    });

    let small = tempfile::tempdir().unwrap();
    let small_path = small.path().join("small.rab");
    let texts: Vec<String> = (0..200)
        .map(|i| format!("dataset {i} ").repeat(20))
        .collect();
    c.bench_function("write 200 small text datasets", |b| {
        b.iter(|| {
            let mut w = RabWriter::new().without_fsync();
            for (i, t) in texts.iter().enumerate() {
                w.add_text(&format!("d{i:03}"), t, DatasetOptions::new())
                    .unwrap();
            }
            w.write(&small_path).unwrap();
        })
    });

    let positions: Vec<[u64; 3]> = (0..1000u64)
        .map(|i| [(i * 37) % 100, (i * 53) % 100, (i * 71) % 100])
        .collect();
    for backend in [Backend::Read, Backend::Mmap] {
        let r = RabReader::open_with(
            &path,
            ReadOptions {
                backend,
                ..ReadOptions::default()
            },
        )
        .unwrap();
        let mut g = c.benchmark_group(format!("1000 element reads ({backend:?})"));
        g.throughput(Throughput::Elements(1000));
        g.bench_function("element", |b| {
            b.iter(|| {
                for p in &positions {
                    black_box(r.element("x", p).unwrap());
                }
            })
        });
        g.finish();
    }

    let mut g = c.benchmark_group("full read 4 MB");
    g.throughput(Throughput::Bytes(4_000_000));
    g.bench_function("array", |b| {
        let r = RabReader::open(&path).unwrap();
        b.iter(|| black_box(r.array("x").unwrap().len()))
    });
    g.finish();

    let r = RabReader::open(&many).unwrap();
    let entries: Vec<vellum_rab::Value> = r
        .datasets()
        .iter()
        .map(|d| {
            vellum_rab::Value::map([
                ("codecMeta", d.codec_meta().clone()),
                ("metadata", d.metadata().clone()),
            ])
        })
        .collect();
    let doc = vellum_rab::Value::Seq(entries);
    c.bench_function("emit many_datasets header (PyYAML profile)", |b| {
        b.iter(|| black_box(vellum_rab::to_pyyaml(&doc).len()))
    });
}

criterion_group!(rab, benches);
criterion_main!(rab);
