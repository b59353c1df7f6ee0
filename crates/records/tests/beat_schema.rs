//! Records of BEAT objects: every packed value of the BEAT fixtures (made by
//! the platform) goes through a `.rec`/`.idx` and back, byte-identical.
#![cfg(feature = "beat")]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use vellum_dataformat::{Format, PrefixDir, Resolver};
use vellum_records::{
    BeatSchema, Bytes, Dataset, DatasetWriter, Descr, FieldCodec, NpyArray, Schema, Value,
    WriteOptions,
};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat")
}

fn resolver() -> Resolver<PrefixDir> {
    Resolver::new(PrefixDir::new(fixtures().join("prefix")))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The platform's packed values, by format name.
fn packed_cases() -> BTreeMap<String, Vec<Vec<u8>>> {
    let text = std::fs::read_to_string(fixtures().join("cases.json")).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut by_format: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for c in cases["values"].as_array().unwrap() {
        if c["ok"] == true
            && let Some(h) = c["packed_hex"].as_str()
        {
            let name = c["format"].as_str().unwrap().to_owned();
            by_format.entry(name).or_default().push(hex(h));
        }
    }
    by_format
}

#[test]
fn every_fixture_value_round_trips_through_a_record_file() {
    let cases = packed_cases();
    assert!(cases.len() >= 60, "only {} formats", cases.len());
    let resolver = resolver();
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    let mut skipped = 0;
    for (name, packs) in &cases {
        // Declarations the platform accepts by mistake (names with a
        // newline, ...) are rejected on purpose by vellum-dataformat.
        let Ok(fmt) = resolver.load(name) else {
            skipped += packs.len();
            continue;
        };
        let beat = BeatSchema::new(fmt.clone());
        assert_eq!(beat.schema().len(), fmt.fields().len(), "{name}");
        let path = dir.path().join(format!("{}.rec", name.replace('/', "_")));
        let mut w = DatasetWriter::create(&path, WriteOptions::default()).unwrap();
        let mut kept = Vec::new();
        for p in packs {
            // A few platform packs come from its `#extends` aliasing bug,
            // which vellum-dataformat fixes on purpose: they are not values
            // of the format.
            let Ok(obj) = fmt.unpack(&Bytes::from(p.clone())) else {
                skipped += 1;
                continue;
            };
            w.append(&beat.encode(&obj).unwrap()).unwrap();
            kept.push(p);
        }
        w.finish().unwrap();

        let ds = Dataset::open(&path, beat.schema().len()).unwrap();
        assert_eq!(ds.len(), kept.len(), "{name}");
        for (i, p) in kept.iter().enumerate() {
            let back = beat.decode(&ds.get(i).unwrap()).unwrap();
            assert_eq!(&fmt.pack(&back).unwrap(), *p, "{name} record {i}");
            total += 1;
        }
    }
    assert!(total >= 400, "only {total} values");
    assert!(skipped <= 10, "{skipped} platform values are not ours");
    eprintln!("{total} values round-tripped, {skipped} platform-bug values skipped");
}

#[test]
fn detection_fields_are_plain_dsrecords_fields() {
    let fmt = resolver().load("test/detection/1").unwrap();
    // Declaration order (x, y, width, height, score, label, pts), not the
    // pack order (height, label, pts, score, width, x, y).
    assert_eq!(
        Schema::from_dataformat(&fmt).to_string(),
        "i32,i32,i32,i32,f32,str,npy"
    );
    let packed = &packed_cases()["test/detection/1"];
    let obj = fmt.unpack(&Bytes::from(packed[0].clone())).unwrap();
    let beat = BeatSchema::new(fmt.clone());
    let values = beat.to_values(&obj).unwrap();
    assert_eq!(values[0], Value::Int(10));
    assert_eq!(values[4], Value::Float(0.75));
    assert_eq!(values[5], Value::Str("person".into()));
    let Value::Array(pts) = &values[6] else {
        panic!("pts is {values:?}")
    };
    assert_eq!(pts.shape(), &[3, 2]);
    assert_eq!(pts.to_vec::<f32>().unwrap(), [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    // The field bytes are a numpy file: `np.load` reads them.
    let fields = beat.encode(&obj).unwrap();
    assert!(fields[6].starts_with(b"\x93NUMPY\x01\x00"));
    assert_eq!(fields[5], b"person");
    assert_eq!(fields[0], 10i32.to_le_bytes());
}

#[test]
fn nested_objects_are_their_beat_pack_and_strings_nest_as_lists() {
    let r = resolver();
    let fmt = r.load("test/polyline/1").unwrap();
    let schema = Schema::from_dataformat(&fmt);
    assert_eq!(schema.fields, [FieldCodec::Bytes, "str".parse().unwrap()]);
    let fmt = r.load("test/arr_var_2d/1").unwrap();
    assert!(!Schema::from_dataformat(&fmt).is_empty());
    let strings = r.load("test/arr_string/1").unwrap();
    assert_eq!(Schema::from_dataformat(&strings).to_string(), "list<str>");
    let beat = BeatSchema::new(strings);
    let obj = beat
        .to_object(&[Value::List(vec!["a".into(), "b\0".into()])])
        .unwrap();
    assert_eq!(beat.to_values(&obj).unwrap()[0].kind(), "list");
    assert_eq!(
        beat.format().pack(&obj).unwrap(),
        [
            2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, b'a', 2, 0, 0, 0, 0, 0, 0, 0, b'b', 0
        ]
    );
}

fn one_field(decl: &str) -> BeatSchema {
    let mut reg = vellum_dataformat::Registry::new();
    reg.insert("me/f/1", decl);
    let fmt: Arc<Format> = Resolver::new(reg).load("me/f/1").unwrap();
    BeatSchema::new(fmt)
}

#[test]
fn values_that_break_the_format_are_errors() {
    let grid = one_field(r#"{"g": [2, 0, "int16"]}"#);
    // Wrong dtype, wrong fixed extent, wrong kind.
    let f32s = NpyArray::from_slice(&[2, 1], &[1.0f32, 2.0]);
    assert!(grid.to_object(&[f32s.into()]).is_err());
    let short = NpyArray::from_slice(&[3, 1], &[1i16, 2, 3]);
    assert!(grid.to_object(&[short.into()]).is_err());
    assert!(grid.to_object(&[Value::Int(1)]).is_err());
    assert!(grid.to_object(&[]).is_err());

    let flag = one_field(r#"{"b": [0, "bool"]}"#);
    let two = NpyArray::new(
        Descr::Numeric(vellum_format_core::DType::le(
            vellum_format_core::Scalar::Bool,
        )),
        vec![1],
        false,
        Bytes::from_static(&[2]),
    )
    .unwrap();
    assert!(flag.to_object(&[two.into()]).is_err());

    let small = one_field(r#"{"v": "uint8"}"#);
    assert!(small.to_object(&[Value::Int(256)]).is_err());
    assert!(small.to_object(&[Value::Int(-1)]).is_err());
    assert!(small.to_object(&[Value::UInt(255)]).is_ok());

    let names = one_field(r#"{"n": [0, 0, "string"]}"#);
    let ragged = Value::List(vec![
        Value::List(vec!["a".into()]),
        Value::List(vec!["b".into(), "c".into()]),
    ]);
    assert!(names.to_object(&[ragged]).is_err());

    let nested = one_field(r#"{"o": {"a": "int32"}}"#);
    assert!(
        nested
            .to_object(&[Value::Bytes(Bytes::from_static(&[1, 2]))])
            .is_err()
    );
    assert!(
        nested
            .to_object(&[Value::Bytes(Bytes::from_static(&[1, 0, 0, 0, 9]))])
            .is_err()
    );
}

#[test]
fn fortran_and_big_endian_arrays_become_row_major_little_endian() {
    use vellum_format_core::{ByteOrder, DType, Scalar};
    let m = one_field(r#"{"m": [2, 3, "uint16"]}"#);
    // Column-major [[1, 2, 3], [4, 5, 6]], big-endian.
    let col: Vec<u8> = [1u16, 4, 2, 5, 3, 6]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let npy = NpyArray::new(
        Descr::Numeric(DType::new(Scalar::UInt16, ByteOrder::Big)),
        vec![2, 3],
        true,
        Bytes::from(col),
    )
    .unwrap();
    let obj = m.to_object(&[npy.into()]).unwrap();
    let row: Vec<u8> = [1u16, 2, 3, 4, 5, 6]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let mut want = [2u64, 3]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect::<Vec<_>>();
    want.extend(row);
    assert_eq!(m.format().pack(&obj).unwrap(), want);
}

#[test]
fn empty_string_arrays_with_huge_extents_are_refused() {
    let names = one_field(r#"{"n": [0, 0, "string"]}"#);
    // The platform's pack of an empty [2^40, 0] string array: 16 bytes.
    let mut packed = (1u64 << 40).to_le_bytes().to_vec();
    packed.extend_from_slice(&0u64.to_le_bytes());
    let obj = names.format().unpack(&Bytes::from(packed)).unwrap();
    assert!(names.to_values(&obj).is_err());
    // A legitimate empty one: three empty rows.
    let mut packed = 3u64.to_le_bytes().to_vec();
    packed.extend_from_slice(&0u64.to_le_bytes());
    let obj = names.format().unpack(&Bytes::from(packed)).unwrap();
    let values = names.to_values(&obj).unwrap();
    assert_eq!(values[0], Value::List(vec![Value::List(vec![]); 3]));
    assert_eq!(names.to_object(&values).unwrap(), obj);
}

#[test]
fn damaged_fields_are_errors_not_panics() {
    let cases = packed_cases();
    let r = resolver();
    let mut rejected = 0;
    for name in [
        "test/detection/1",
        "test/arr_obj_with_arr/1",
        "test/arr_var_2d/1",
    ] {
        let fmt = r.load(name).unwrap();
        let beat = BeatSchema::new(fmt.clone());
        let obj = fmt.unpack(&Bytes::from(cases[name][0].clone())).unwrap();
        let fields = beat.encode(&obj).unwrap();
        for (j, field) in fields.iter().enumerate() {
            // Every truncation and a flipped byte at every position.
            let mut damaged: Vec<Vec<u8>> = (0..field.len()).map(|n| field[..n].to_vec()).collect();
            for at in 0..field.len() {
                let mut f = field.clone();
                f[at] ^= 0xa5;
                damaged.push(f);
            }
            for d in damaged {
                let mut record = fields.clone();
                record[j] = d;
                let values: Result<Vec<Value>, _> = beat
                    .schema()
                    .fields
                    .iter()
                    .zip(&record)
                    .map(|(c, b)| c.decode(&Bytes::from(b.clone())))
                    .collect();
                match values.and_then(|v| beat.to_object(&v)) {
                    // A decoded object is always a valid one: it packs.
                    Ok(o) => assert!(fmt.pack(&o).is_ok()),
                    Err(_) => rejected += 1,
                }
            }
        }
    }
    assert!(rejected > 100, "only {rejected} damaged fields rejected");
}
