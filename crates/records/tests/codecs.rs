//! Round trips by property: every codec decodes what it encodes, and
//! records survive the DSRecords layout and both framings.

use proptest::prelude::*;
use vellum_records::{
    Bytes, Dataset, FieldCodec, NpyArray, RecordIoReader, RecordIoWriter, TextEncoding,
    TfRecordReader, TfRecordWriter, Value, write_all,
};

fn int_codec() -> impl Strategy<Value = (FieldCodec, Value)> {
    (
        prop::sample::select(vec![1u8, 2, 4, 8]),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(bytes, signed, raw)| {
            let bits = u32::from(bytes) * 8;
            let v = if signed {
                let shift = 64 - bits;
                Value::Int(((raw << shift) as i64) >> shift)
            } else {
                Value::UInt(if bits == 64 {
                    raw
                } else {
                    raw & ((1u64 << bits) - 1)
                })
            };
            (FieldCodec::Int { bytes, signed }, v)
        })
}

fn text_codec() -> impl Strategy<Value = (FieldCodec, Value)> {
    let encs = prop::sample::select(vec![
        TextEncoding::Utf8,
        TextEncoding::Utf16,
        TextEncoding::Utf16Be,
        TextEncoding::Utf32,
        TextEncoding::Utf32Le,
    ]);
    (encs, ".{0,20}").prop_map(|(e, s)| (FieldCodec::Str(e), Value::Str(s)))
}

fn leaf() -> impl Strategy<Value = (FieldCodec, Value)> {
    prop_oneof![
        int_codec(),
        any::<f64>().prop_map(|f| (FieldCodec::Float { bits: 64 }, Value::Float(f))),
        any::<f32>().prop_map(|f| (FieldCodec::Float { bits: 32 }, Value::Float(f.into()))),
        any::<bool>().prop_map(|b| (FieldCodec::Bool, Value::Bool(b))),
        text_codec(),
        prop::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| (FieldCodec::Bytes, Value::Bytes(Bytes::from(b)))),
        (prop::collection::vec(any::<i16>(), 0..12), any::<bool>()).prop_map(|(v, two_d)| {
            let shape = if two_d && v.len() % 2 == 0 {
                vec![2, v.len() as u64 / 2]
            } else {
                vec![v.len() as u64]
            };
            (
                FieldCodec::Npy,
                Value::Array(NpyArray::from_slice(&shape, &v)),
            )
        }),
    ]
}

fn field() -> impl Strategy<Value = (FieldCodec, Value)> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        // A list's items share one codec: repeat one drawn value.
        (inner, 0usize..4).prop_map(|((codec, value), n)| {
            (
                FieldCodec::List(Box::new(codec)),
                Value::List(vec![value; n]),
            )
        })
    })
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (a, b) => a == b,
    }
}

proptest! {
    #[test]
    fn codecs_round_trip((codec, value) in field()) {
        let bytes = codec.encode_to_vec(&value).unwrap();
        let back = codec.decode(&Bytes::from(bytes.clone())).unwrap();
        prop_assert!(same(&back, &value), "{codec}: {value:?} came back as {back:?}");
        // The codec's text form parses back to itself.
        prop_assert_eq!(codec.to_string().parse::<FieldCodec>().unwrap(), codec);
    }

    #[test]
    fn records_round_trip_through_all_three_formats(
        records in prop::collection::vec(prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 2), 0..12),
        magic_at in prop::collection::vec(0usize..6, 0..3),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.rec");
        write_all(&path, &records).unwrap();
        let ds = Dataset::open(&path, 2).unwrap();
        prop_assert_eq!(ds.len(), records.len());
        for (i, want) in records.iter().enumerate() {
            let got = ds.get(i).unwrap();
            prop_assert_eq!(got.fields().map(<[u8]>::to_vec).collect::<Vec<_>>(), want.clone());
        }
        let mut tf = TfRecordWriter::new(Vec::new());
        let mut rio = RecordIoWriter::new(Vec::new());
        let mut payloads = Vec::new();
        for r in &records {
            let mut p = r.concat();
            // Plant the RecordIO magic at aligned offsets to force splits.
            for &k in &magic_at {
                let at = 4 * k;
                if p.len() >= at + 4 {
                    p[at..at + 4].copy_from_slice(&[0x0a, 0x23, 0xd7, 0xce]);
                }
            }
            tf.write(&p).unwrap();
            rio.write(&p).unwrap();
            payloads.push(p);
        }
        let tf = TfRecordReader::from_bytes(tf.into_inner().unwrap().into());
        let got: Vec<Vec<u8>> = tf.iter().map(|r| r.unwrap().payload.to_vec()).collect();
        prop_assert_eq!(&got, &payloads);
        let rio = RecordIoReader::from_bytes(rio.into_inner().unwrap().into());
        let got: Vec<Vec<u8>> = rio.iter().map(|r| r.unwrap().payload.to_vec()).collect();
        prop_assert_eq!(&got, &payloads);
    }
}
