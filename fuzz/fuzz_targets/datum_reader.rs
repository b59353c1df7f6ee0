//! Any bytes as a `.datum` file: the reader must return items or an error,
//! never panic or over-allocate; whatever reads must re-encode and read back
//! to the same items.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_datumaro::{DatumReader, DatumWriter, ReadOptions, WriteOptions};
use vellum_format_core::{Bytes, Limits};

fuzz_target!(|data: &[u8]| {
    let opts = ReadOptions {
        limits: Limits {
            max_header: 1 << 20,
            max_alloc: 1 << 24,
        },
        ..ReadOptions::default()
    };
    let Ok(r) = DatumReader::from_bytes("fuzz.datum", Bytes::copy_from_slice(data), &opts) else {
        return;
    };
    let Ok(items) = r.read_all() else {
        return;
    };
    let h = r.header().clone();
    let encode = |items: &[vellum_datumaro::Item]| {
        let mut w = DatumWriter::new(
            h.infos.clone(),
            h.categories.clone(),
            h.media_type,
            WriteOptions::default(),
        );
        for it in items {
            w.push(it).expect("items that read must encode");
        }
        w.finish().expect("a header that read must encode")
    };
    let reread = |bytes: Vec<u8>| {
        DatumReader::from_bytes("back.datum", Bytes::from(bytes), &ReadOptions::default())
            .and_then(|r| r.read_all())
            .expect("our own output must read")
    };
    // datumaro re-rounds cuboid_3d values on read, so compare from the
    // second pass on, as bytes (NaN-safe).
    let b1 = encode(&items);
    let b2 = encode(&reread(b1));
    let b3 = encode(&reread(b2.clone()));
    assert_eq!(b2, b3);
});
