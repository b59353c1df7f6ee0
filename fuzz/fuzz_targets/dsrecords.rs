//! Arbitrary `.rec` + `.idx` bytes and an arbitrary field count: opening,
//! reading every record and decoding it with every codec must fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_records::{Bytes, Dataset, FieldCodec, NpyArray, Schema};

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else { return };
    let fields = usize::from(head & 7);
    let split = (usize::from(head >> 3) * 8).min(rest.len());
    let (idx, body) = rest.split_at(split);
    // Give the data file its reserved header so records can be reached.
    let mut rec = vec![0u8; 1024];
    rec.extend_from_slice(body);
    let codecs: Schema = "npy,list<list<u16>>,str:utf-16,f16,bool,i64,str,bytes".parse().unwrap();
    if let Ok(ds) = Dataset::from_bytes(Bytes::from(rec), Bytes::copy_from_slice(idx), fields) {
        assert!(ds.get(ds.len()).is_err());
        for r in ds.iter().flatten() {
            assert_eq!(r.len(), fields);
            for (j, f) in r.fields().enumerate() {
                let f = Bytes::copy_from_slice(f);
                let _ = codecs.fields[j % codecs.len()].decode(&f);
            }
        }
    }
    let whole = Bytes::copy_from_slice(data);
    let _ = NpyArray::parse(whole.clone(), &Default::default());
    let _ = FieldCodec::List(Box::new(FieldCodec::Npy)).decode(&whole);
});
