//! Criterion benches on the synthetic COCO workload (2,000 images, about
//! 14,400 datumaro annotations): COCO import, DatumaroBinary encode and
//! decode (1 thread), Datumaro JSON encode; COCO and Datumaro JSON import
//! with 1 and 2 rayon workers. Bytes per second of the annotation files.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vellum_datumaro::{
    Dataset, DatumReader, DatumWriter, ExportOptions, ReadOptions, WriteOptions,
    datumaro_json_document, read_coco, read_datumaro_json, write_datumaro_json,
};
use vellum_format_core::Bytes;

fn dataset(dir: &std::path::Path) -> Dataset {
    vellum_datumaro::synth::write_coco(dir, 2000, 1).expect("synthetic COCO");
    read_coco(dir).expect("read back")
}

fn encode(ds: &Dataset) -> Vec<u8> {
    let s = &ds.subsets[0];
    let mut w = DatumWriter::new(
        ds.infos.clone(),
        ds.categories.clone(),
        ds.media_type,
        WriteOptions::default(),
    );
    for it in &s.items {
        w.push(it).expect("encode");
    }
    w.finish().expect("finish")
}

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ds = dataset(tmp.path());
    let coco_len = std::fs::metadata(tmp.path().join("annotations/instances_default.json"))
        .map(|m| m.len())
        .unwrap_or(0);
    let datum = encode(&ds);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");

    let mut g = c.benchmark_group("datumaro");
    g.throughput(Throughput::Bytes(coco_len));
    g.bench_function("coco_import", |b| {
        b.iter(|| pool.install(|| read_coco(tmp.path()).expect("coco")))
    });
    g.throughput(Throughput::Bytes(datum.len() as u64));
    g.bench_function("binary_encode", |b| b.iter(|| encode(&ds)));
    g.bench_function("binary_decode", |b| {
        b.iter(|| {
            pool.install(|| {
                DatumReader::from_bytes(
                    "train.datum",
                    Bytes::copy_from_slice(&datum),
                    &ReadOptions::default(),
                )
                .and_then(|r| r.read_all())
                .expect("decode")
            })
        })
    });
    let s = &ds.subsets[0];
    let doc = datumaro_json_document(&ds.infos, &ds.categories, ds.media_type, &s.items);
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("json_encode", |b| {
        b.iter(|| {
            pool.install(|| {
                datumaro_json_document(&ds.infos, &ds.categories, ds.media_type, &s.items)
            })
        })
    });
    g.finish();

    // The text readers on the pool's workers (one thread reads as before).
    let json = tempfile::tempdir().expect("tempdir");
    write_datumaro_json(&ds, json.path(), &ExportOptions::default()).expect("JSON export");
    let json_len = vellum_datumaro::datumaro_json_files(json.path())
        .expect("JSON files")
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let mut g = c.benchmark_group("datumaro_workers");
    for workers in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .build()
            .expect("pool");
        g.throughput(Throughput::Bytes(coco_len));
        g.bench_function(format!("coco_import_{workers}"), |b| {
            b.iter(|| pool.install(|| read_coco(tmp.path()).expect("coco")))
        });
        g.throughput(Throughput::Bytes(json_len));
        g.bench_function(format!("json_import_{workers}"), |b| {
            b.iter(|| pool.install(|| read_datumaro_json(json.path()).expect("json")))
        });
    }
    g.finish();
}

criterion_group!(benches_group, benches);
criterion_main!(benches_group);
