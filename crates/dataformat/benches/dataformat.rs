//! pack, unpack and validate on the two workloads of the platform's
//! benchmark (`peers/beat_bench.py`): a detection record with a 16-point
//! float32 array, and a 64x64 uint8 image. Throughput is in objects.
//!
//! `cargo bench -p vellum-dataformat --bench dataformat -- --quick`

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vellum_dataformat::{Conversion, Format, Json, Object, Packer, PrefixDir, Resolver};

fn load(name: &str) -> Arc<Format> {
    let prefix = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat/prefix");
    Resolver::new(PrefixDir::new(prefix))
        .load(name)
        .expect("corpus format")
}

/// A small deterministic generator (no dependency on `rand`).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f32 {
        (self.next() % (1 << 24)) as f32 / (1 << 24) as f32
    }
}

/// Tagged JSON values like the platform benchmark's numpy-typed dicts.
fn detection_inputs(n: usize) -> Vec<Json> {
    let mut rng = Lcg(1234);
    (0..n)
        .map(|_| {
            let label: String = (0..4 + rng.below(9))
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect();
            let pts: Vec<String> = (0..32)
                .map(|_| format!("{}", f64::from(rng.unit())))
                .collect();
            let text = format!(
                r#"{{"x": {{"$np": "int32", "v": {}}}, "y": {{"$np": "int32", "v": {}}},
                "width": {{"$np": "int32", "v": {}}}, "height": {{"$np": "int32", "v": {}}},
                "score": {{"$np": "float32", "v": {}}}, "label": "{label}",
                "pts": {{"$ndarray": {{"dtype": "float32", "shape": [16, 2], "data": [{}]}}}}}}"#,
                rng.below(1920),
                rng.below(1080),
                1 + rng.below(500),
                1 + rng.below(500),
                f64::from(rng.unit()),
                pts.join(", ")
            );
            vellum_dataformat::parse_json(&text).expect("valid JSON")
        })
        .collect()
}

fn image_inputs(n: usize) -> Vec<Json> {
    let mut rng = Lcg(99);
    (0..n)
        .map(|_| {
            let data: Vec<String> = (0..4096).map(|_| rng.below(256).to_string()).collect();
            let text = format!(
                r#"{{"img": {{"$ndarray": {{"dtype": "uint8", "shape": [64, 64], "data": [{}]}}}}}}"#,
                data.join(",")
            );
            vellum_dataformat::parse_json(&text).expect("valid JSON")
        })
        .collect()
}

fn workload(c: &mut Criterion, name: &str, format: &Arc<Format>, inputs: &[Json]) {
    let objects: Vec<Object> = inputs
        .iter()
        .map(|j| format.from_json(j, Conversion::VALIDATE).expect("valid"))
        .collect();
    let packed: Vec<Bytes> = objects
        .iter()
        .map(|o| Bytes::from(format.pack(o).unwrap()))
        .collect();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function("pack", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for o in &objects {
                out.clear();
                format.pack_into(o, &mut out).unwrap();
                black_box(&out);
            }
        })
    });
    // As the platform's `pack()` and the side-by-side harness: a new buffer
    // per object, every packed object kept until the next round.
    g.bench_function("pack_new", |b| {
        let mut kept: Vec<Bytes> = Vec::with_capacity(objects.len());
        b.iter(|| {
            kept.clear();
            for o in &objects {
                kept.push(Bytes::from(format.pack(o).unwrap()));
            }
            black_box(&kept);
        })
    });
    // The same, each object a `Bytes` cut from a `Packer`'s shared chunks.
    g.bench_function("pack_packer", |b| {
        let mut kept: Vec<Bytes> = Vec::with_capacity(objects.len());
        let mut packer = Packer::new();
        b.iter(|| {
            kept.clear();
            for o in &objects {
                kept.push(packer.pack(format, o).unwrap());
            }
            black_box(&kept);
        })
    });
    g.bench_function("unpack", |b| {
        b.iter(|| {
            for p in &packed {
                black_box(format.unpack(p).unwrap());
            }
        })
    });
    g.bench_function("validate", |b| {
        b.iter(|| {
            for j in inputs {
                black_box(format.from_json(j, Conversion::VALIDATE).unwrap());
            }
        })
    });
    g.bench_function("check_typed", |b| {
        b.iter(|| {
            for o in &objects {
                black_box(Object::new(format.clone(), o.values().to_vec()).unwrap());
            }
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    workload(
        c,
        "detection",
        &load("test/detection/1"),
        &detection_inputs(1000),
    );
    workload(c, "image64", &load("test/image64/1"), &image_inputs(100));
}

criterion_group!(dataformat, benches);
criterion_main!(dataformat);
