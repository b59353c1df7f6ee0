//! Decompressing arbitrary bytes with every codec must fail cleanly and
//! never produce more than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_format_core::Codec;

fuzz_target!(|data: &[u8]| {
    for codec in [Codec::Zlib, Codec::Gzip, Codec::Zstd] {
        if let Ok(out) = codec.decompress(data, 1 << 20) {
            assert!(out.len() <= 1 << 20);
        }
    }
});
