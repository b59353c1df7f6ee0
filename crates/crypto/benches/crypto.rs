//! Throughput of the sealed stream (one core and all cores) beside a plain
//! copy of the same bytes, and of Fernet on datumaro-sized payloads.
//!
//! `cargo bench -p vellum-crypto --bench crypto -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::io::{Read, Write};

use vellum_crypto::{
    Fernet, SealedReader, SealedSlice, SealedWriter, Secret, VellumKey, seal, unseal,
};

const STREAM_BYTES: usize = 16 << 20;

fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

fn sealed_stream(c: &mut Criterion) {
    let secret = Secret::Key(VellumKey::from_bytes([1; 32]));
    let plain = data(STREAM_BYTES);
    let sealed = seal(&secret, &plain).unwrap();
    let one_core = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    let mut g = c.benchmark_group("sealed_stream_16MiB");
    g.throughput(Throughput::Bytes(STREAM_BYTES as u64));
    g.sample_size(10);
    g.bench_function("memcpy", |b| {
        let mut dst = vec![0u8; STREAM_BYTES];
        b.iter(|| {
            dst.copy_from_slice(black_box(&plain));
            black_box(&dst);
        })
    });
    g.bench_function("seal_1_core", |b| {
        b.iter(|| one_core.install(|| seal(&secret, black_box(&plain)).unwrap()))
    });
    g.bench_function("unseal_1_core", |b| {
        b.iter(|| one_core.install(|| unseal(&secret, black_box(&sealed)).unwrap()))
    });
    g.bench_function("stream_writer_1_core", |b| {
        b.iter(|| {
            one_core.install(|| {
                let mut w = SealedWriter::new(std::io::sink(), &secret).unwrap();
                w.write_all(black_box(&plain)).unwrap();
                w.finish().unwrap();
            })
        })
    });
    g.bench_function("stream_reader_1_core", |b| {
        let mut buf = vec![0u8; 1 << 20];
        b.iter(|| {
            one_core.install(|| {
                let mut r = SealedReader::new(black_box(&sealed[..]), &secret).unwrap();
                while r.read(&mut buf).unwrap() > 0 {}
            })
        })
    });
    g.bench_function("seal_all_cores", |b| {
        b.iter(|| seal(&secret, black_box(&plain)).unwrap())
    });
    g.bench_function("unseal_all_cores", |b| {
        b.iter(|| unseal(&secret, black_box(&sealed)).unwrap())
    });
    g.finish();

    let slice = SealedSlice::new(&secret, &sealed).unwrap();
    let mut g = c.benchmark_group("sealed_stream_random_access");
    g.throughput(Throughput::Bytes(slice.chunk_size() as u64));
    let mut out = Vec::new();
    g.bench_function("chunk_k", |b| {
        b.iter(|| slice.chunk_into(black_box(200), &mut out).unwrap())
    });
    g.finish();
}

fn fernet(c: &mut Criterion) {
    let f = Fernet::new(&[2; 32]);
    for (name, len) in [("100B", 100usize), ("64KiB", 64 << 10), ("1MiB", 1 << 20)] {
        let plain = data(len);
        let token = f.encrypt(&plain);
        let mut g = c.benchmark_group(format!("fernet_{name}"));
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function("encrypt", |b| b.iter(|| f.encrypt(black_box(&plain))));
        g.bench_function("decrypt", |b| {
            b.iter(|| f.decrypt(black_box(&token)).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, sealed_stream, fernet);
criterion_main!(benches);
