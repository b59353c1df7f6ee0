//! Property tests: the checked reader never panics on random bytes, and
//! encodings round-trip.

use proptest::prelude::*;
use vellum_format_core::{ByteOrder, ByteReader, Codec, DType, Limits, Scalar, encode, view};

proptest! {
    #[test]
    fn reader_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256),
                           ops in proptest::collection::vec(0u8..10, 0..64)) {
        let mut r = ByteReader::new(&data);
        let limits = Limits { max_header: 64, ..Limits::default() };
        for op in ops {
            let before = r.position();
            let res = match op {
                0 => r.u8("a").map(drop),
                1 => r.u32_le("b").map(drop),
                2 => r.i64_be("c").map(drop),
                3 => r.bytes_u32_le("d").map(drop),
                4 => r.bytes_u64_le("e").map(drop),
                5 => r.str_u32_le("f").map(drop),
                6 => r.count_u32_le(8, "g").map(drop),
                7 => r.header_u32_le(&limits, "h").map(drop),
                8 => r.f32_be("i").map(drop),
                _ => r.sub(3, "j").map(drop),
            };
            prop_assert!(r.position() <= data.len());
            if let Err(e) = res {
                // errors point inside (or just past) the input
                if let Some(off) = e.offset() {
                    prop_assert!(off <= data.len() as u64);
                }
                // a read that fails for lack of bytes moves nothing
                if matches!(e, vellum_format_core::Error::Truncated { .. }) && op < 3 {
                    prop_assert_eq!(r.position(), before);
                }
            }
        }
    }

    #[test]
    fn f64_round_trips_both_orders(values in proptest::collection::vec(any::<f64>(), 0..64), big in any::<bool>()) {
        let order = if big { ByteOrder::Big } else { ByteOrder::Little };
        let bytes = encode(&values, order).into_owned();
        // misalign on purpose
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&bytes);
        let back = view::<f64>(&shifted[1..], order).unwrap();
        prop_assert_eq!(back.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                        values.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn i32_elements_read_like_views(values in proptest::collection::vec(any::<i32>(), 1..64), big in any::<bool>()) {
        let order = if big { ByteOrder::Big } else { ByteOrder::Little };
        let bytes = encode(&values, order).into_owned();
        let d = DType::new(Scalar::Int32, order);
        for (i, v) in values.iter().enumerate() {
            prop_assert_eq!(d.read_number(&bytes, i).unwrap(), vellum_format_core::Number::Int(i64::from(*v)));
        }
    }

    #[test]
    fn codecs_round_trip(data in proptest::collection::vec(any::<u8>(), 0..4096), which in 0usize..3) {
        let codec = [Codec::Zlib, Codec::Gzip, Codec::Zstd][which];
        let packed = codec.compress(&data, codec.default_level()).unwrap();
        prop_assert_eq!(codec.decompress(&packed, data.len() as u64).unwrap(), data);
    }

    #[test]
    fn dtype_strings_never_panic(s in "\\PC{0,6}") {
        let _ = s.parse::<DType>();
    }
}
