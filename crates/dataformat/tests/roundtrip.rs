//! Round trips by property: any typed object packs, unpacks strictly to an
//! equal object, and packs to the same bytes; any truncation is an error.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use num_complex::{Complex32, Complex64};
use proptest::prelude::*;
use vellum_dataformat::{Array, Format, Object, PrefixDir, Resolver, Value};

fn load(name: &str) -> Arc<Format> {
    let prefix = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat/prefix");
    Resolver::new(PrefixDir::new(prefix)).load(name).unwrap()
}

fn check(format: &Arc<Format>, object: &Object) -> Result<(), TestCaseError> {
    let bytes = format.pack(object).unwrap();
    let back = format.unpack(&Bytes::from(bytes.clone())).unwrap();
    prop_assert_eq!(format.pack(&back).unwrap(), bytes.clone());
    for cut in [0, bytes.len() / 2, bytes.len().saturating_sub(1)] {
        if cut < bytes.len() {
            prop_assert!(format.unpack(&Bytes::from(bytes[..cut].to_vec())).is_err());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn all_primitives_round_trip(
        b: bool, i8_: i8, i16_: i16, i32_: i32, i64_: i64, u8_: u8, u16_: u16, u32_: u32,
        u64_: u64, f32_: f32, f64_: f64, c: (f32, f32, f64, f64), s in "\\PC{0,20}",
    ) {
        let f = load("test/all_primitives/1");
        // Resolved order: b i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 c64 c128 s.
        let values = vec![
            Value::Bool(b), Value::Int8(i8_), Value::Int16(i16_), Value::Int32(i32_),
            Value::Int64(i64_), Value::UInt8(u8_), Value::UInt16(u16_), Value::UInt32(u32_),
            Value::UInt64(u64_), Value::Float32(f32_), Value::Float64(f64_),
            Value::Complex64(Complex32::new(c.0, c.1)), Value::Complex128(Complex64::new(c.2, c.3)),
            Value::String(s),
        ];
        let o = Object::new(f.clone(), values).unwrap();
        check(&f, &o)?;
    }

    #[test]
    fn detection_round_trips(
        xs in proptest::array::uniform4(any::<i32>()), score: f32, label in "[a-z]{0,12}",
        pts in proptest::collection::vec(any::<f32>(), 0..40),
    ) {
        let f = load("test/detection/1");
        let n = pts.len() / 2;
        let pts = Array::from_numbers(vec![n as u64, 2], &pts[..n * 2]).unwrap();
        let mut o = Object::default_of(&f).unwrap();
        o.set("x", Value::Int32(xs[0])).unwrap();
        o.set("y", Value::Int32(xs[1])).unwrap();
        o.set("width", Value::Int32(xs[2])).unwrap();
        o.set("height", Value::Int32(xs[3])).unwrap();
        o.set("score", Value::Float32(score)).unwrap();
        o.set("label", Value::String(label)).unwrap();
        o.set("pts", Value::Array(pts)).unwrap();
        check(&f, &o)?;
        // The wrong shape is refused by the typed setter.
        let bad = Array::from_numbers(vec![1, 3], &[0f32; 3]).unwrap();
        prop_assert!(o.set("pts", Value::Array(bad)).is_err());
    }
}
