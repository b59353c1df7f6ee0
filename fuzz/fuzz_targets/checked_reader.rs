//! Drives the checked reader with a program decoded from the input: each
//! byte picks an operation, the rest of the input is what it reads. No
//! input may panic; every error must carry an offset inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_format_core::{ByteReader, DType, Limits, checked_product, checked_range};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = (data[0] as usize) % data.len();
    let (ops, input) = data[1..].split_at(split.min(data.len() - 1));
    let limits = Limits { max_header: 1 << 16, ..Limits::default() };
    let mut r = ByteReader::with_base(input, 7);
    for &op in ops {
        let res: Result<(), vellum_format_core::Error> = match op % 16 {
            0 => r.u8("u8").map(drop),
            1 => r.u16_be("u16").map(drop),
            2 => r.u32_le("u32").map(drop),
            3 => r.u64_be("u64").map(drop),
            4 => r.f64_le("f64").map(drop),
            5 => r.bytes_u32_le("bytes").map(drop),
            6 => r.bytes_u64_le("bytes64").map(drop),
            7 => r.str_u32_le("str").map(drop),
            8 => r.count_u32_le(usize::from(op >> 4) + 1, "count").map(drop),
            9 => r.header_u32_le(&limits, "header").map(drop),
            10 => r.expect_magic(b"rab", "magic"),
            11 => r.sub(usize::from(op >> 4), "sub").map(drop),
            12 => r.skip(usize::from(op >> 2), "skip"),
            13 => {
                let o = r.u64_le("off").unwrap_or(0);
                let l = r.u64_le("len").unwrap_or(0);
                checked_range(o, l, input.len() as u64, "range", 0).map(drop)
            }
            14 => {
                let dims: Vec<u64> = r.rest().chunks(8).take(5).map(|c| c.iter().fold(0u64, |a, &b| a << 8 | u64::from(b))).collect();
                checked_product(&dims, 8, "shape", 0).map(drop)
            }
            _ => {
                let s = String::from_utf8_lossy(r.rest().get(..4).unwrap_or(&[]));
                match s.parse::<DType>() {
                    Ok(d) => d.read_number(r.rest(), usize::from(op >> 4)).map(drop),
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = res
            && let Some(off) = e.offset()
        {
            assert!(off >= 7 && off <= 7 + input.len() as u64 || off == 0, "offset {off} outside input");
        }
        assert!(r.position() <= input.len());
    }
});
