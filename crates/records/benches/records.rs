//! Criterion benches on deterministic data: DSRecords write, sequential and
//! random reads, TFRecord read with CRC checks, RecordIO read, codecs.
//!
//! Run: `cargo bench -p vellum-records --bench records -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vellum_records::{
    Bytes, Dataset, FieldCodec, NpyArray, RecordIoReader, RecordIoWriter, Schema, TfRecordReader,
    TfRecordWriter, Value, pack_record, write_all,
};

const N: usize = 20_000;
const PAYLOAD: usize = 1024;

fn records() -> Vec<[Vec<u8>; 3]> {
    let mut x = 0x1234_5678_9abc_def0u64;
    (0..N)
        .map(|i| {
            let mut p = vec![0u8; PAYLOAD];
            for b in p.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
            }
            [
                p,
                (i as f32).to_le_bytes().to_vec(),
                (i as i32).to_le_bytes().to_vec(),
            ]
        })
        .collect()
}

fn dsrecords(c: &mut Criterion) {
    let recs = records();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.rec");
    write_all(&path, &recs).unwrap();
    let ds = Dataset::open(&path, 3).unwrap();
    let bytes = ds.data().len() as u64;

    let mut g = c.benchmark_group("dsrecords");
    g.throughput(Throughput::Bytes(bytes));
    let mut k = 0;
    g.bench_function("write_all", |b| {
        b.iter(|| {
            k += 1;
            let p = dir.path().join(format!("w{k}.rec"));
            write_all(&p, &recs).unwrap();
            std::fs::remove_file(&p).unwrap();
            std::fs::remove_file(p.with_extension("idx")).unwrap();
        })
    });
    g.bench_function("open_and_read_all", |b| {
        b.iter(|| {
            let ds = Dataset::open(&path, 3).unwrap();
            let n: usize = ds.iter().map(|r| r.unwrap().field(0).unwrap().len()).sum();
            black_box(n)
        })
    });
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("random_get", |b| {
        let mut i = 0usize;
        b.iter(|| {
            for _ in 0..N {
                i = (i * 7919 + 13) % N;
                black_box(ds.get(i).unwrap());
            }
        })
    });
    g.bench_function("par_iter", |b| {
        use rayon::prelude::*;
        b.iter(|| black_box(ds.par_iter().filter(|r| r.is_ok()).count()))
    });
    g.finish();
}

fn framings(c: &mut Criterion) {
    let recs = records();
    let mut tf = TfRecordWriter::new(Vec::new());
    let mut rio = RecordIoWriter::new(Vec::new());
    for r in &recs {
        let mut p = Vec::new();
        pack_record(r, &mut p);
        tf.write(&p).unwrap();
        rio.write(&p).unwrap();
    }
    let tf = Bytes::from(tf.into_inner().unwrap());
    let rio = Bytes::from(rio.into_inner().unwrap());
    let mut g = c.benchmark_group("framing");
    g.throughput(Throughput::Bytes(tf.len() as u64));
    g.bench_function("tfrecord_read_crc", |b| {
        let r = TfRecordReader::from_bytes(tf.clone());
        b.iter(|| black_box(r.iter().filter(|x| x.is_ok()).count()))
    });
    g.throughput(Throughput::Bytes(rio.len() as u64));
    g.bench_function("recordio_read", |b| {
        let r = RecordIoReader::from_bytes(rio.clone());
        b.iter(|| black_box(r.iter().filter(|x| x.is_ok()).count()))
    });
    g.finish();
}

fn codecs(c: &mut Criterion) {
    let schema: Schema = "i32,f32,str,list<u16>".parse().unwrap();
    let values = vec![
        Value::Int(7),
        Value::Float(0.5),
        Value::Str("a short label".into()),
        Value::List((0..16).map(Value::Int).collect()),
    ];
    let fields: Vec<Bytes> = schema
        .encode(&values)
        .unwrap()
        .into_iter()
        .map(Bytes::from)
        .collect();
    let npy = Bytes::from(NpyArray::from_slice(&[64, 64], &vec![1.5f32; 4096]).to_npy());
    let mut g = c.benchmark_group("codecs");
    g.bench_function("encode_record", |b| {
        b.iter(|| black_box(schema.encode(&values).unwrap()))
    });
    g.bench_function("decode_record", |b| {
        b.iter(|| {
            for (f, codec) in fields.iter().zip(&schema.fields) {
                black_box(codec.decode(f).unwrap());
            }
        })
    });
    g.throughput(Throughput::Bytes(npy.len() as u64));
    g.bench_function("npy_parse_64x64_f32", |b| {
        b.iter(|| black_box(FieldCodec::Npy.decode(&npy).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, dsrecords, framings, codecs);
criterion_main!(benches);
