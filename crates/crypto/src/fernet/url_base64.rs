//! Url-safe base64 with padding (Fernet's token text), with an SSSE3 path.
//!
//! A Fernet token is a third larger than its ciphertext and every byte of
//! it goes through base64; on a large file that cost as much as the MAC.
//! With SSSE3 (detected at run time) twelve input bytes become sixteen
//! characters in a handful of vector instructions (Wojciech Muła's
//! pshufb/multiply method); the rest, and machines without SSSE3, use the
//! `base64` crate. Both give the same text: twelve bytes are four whole
//! 3-byte groups, so the vector part never affects how the tail is encoded.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

/// Writes the url-safe base64 (with `=` padding) of `raw` into `out`,
/// replacing its contents.
pub(super) fn encode_into(raw: &[u8], out: &mut Vec<u8>) {
    let len = base64::encoded_len(raw.len(), true).unwrap_or(0);
    out.clear();
    out.resize(len, 0);
    let mut done_in = 0;
    let mut done_out = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: the CPU has SSSE3 (checked just above).
        (done_in, done_out) = unsafe { ssse3::encode_prefix(raw, out) };
    }
    let (Some(rest_in), Some(rest_out)) = (raw.get(done_in..), out.get_mut(done_out..)) else {
        return;
    };
    let n = URL_SAFE.encode_slice(rest_in, rest_out).unwrap_or(0);
    out.truncate(done_out + n);
}

#[cfg(target_arch = "x86_64")]
mod ssse3 {
    use core::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_and_si128, _mm_cmpgt_epi8, _mm_loadu_si128, _mm_mulhi_epu16,
        _mm_mullo_epi16, _mm_or_si128, _mm_set1_epi8, _mm_set1_epi32, _mm_setr_epi8,
        _mm_shuffle_epi8, _mm_storeu_si128, _mm_subs_epu8,
    };

    /// Encodes whole 12-byte groups of `raw` while 16 bytes can be loaded,
    /// into the start of `out`; returns how many bytes were consumed and
    /// written.
    #[target_feature(enable = "ssse3")]
    pub(super) fn encode_prefix(raw: &[u8], out: &mut [u8]) -> (usize, usize) {
        // Each group of 3 bytes in its own 32-bit lane, shuffled so the
        // multiplies below can move the four 6-bit fields into bytes.
        let shuffle = _mm_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
        // Per range of index, what to add to reach its character, for the
        // url-safe alphabet (`-` for 62, `_` for 63).
        let offsets = _mm_setr_epi8(
            (b'a' - 26) as i8,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'0' as i8) - 52,
            (b'-' as i8) - 62,
            (b'_' as i8) - 63,
            b'A' as i8,
            0,
            0,
        );
        let mut i = 0;
        let mut o = 0;
        while let (Some(src), Some(dst)) = (raw.get(i..i + 16), out.get_mut(o..o + 16)) {
            // SAFETY: `src` has 16 readable bytes (unaligned load).
            let v = unsafe { _mm_loadu_si128(src.as_ptr().cast::<__m128i>()) };
            let v = _mm_shuffle_epi8(v, shuffle);
            let t0 = _mm_and_si128(v, _mm_set1_epi32(0x0fc0_fc00));
            let t1 = _mm_mulhi_epu16(t0, _mm_set1_epi32(0x0400_0040));
            let t2 = _mm_and_si128(v, _mm_set1_epi32(0x003f_03f0));
            let t3 = _mm_mullo_epi16(t2, _mm_set1_epi32(0x0100_0010));
            let idx = _mm_or_si128(t1, t3);
            // 0..=51 -> 0, 52..=61 -> 1..=10, 62 -> 11, 63 -> 12; then
            // 0..=25 -> 13 so capitals get their own offset.
            let mut r = _mm_subs_epu8(idx, _mm_set1_epi8(51));
            let less = _mm_cmpgt_epi8(_mm_set1_epi8(26), idx);
            r = _mm_or_si128(r, _mm_and_si128(less, _mm_set1_epi8(13)));
            let chars = _mm_add_epi8(_mm_shuffle_epi8(offsets, r), idx);
            // SAFETY: `dst` has 16 writable bytes (unaligned store).
            unsafe { _mm_storeu_si128(dst.as_mut_ptr().cast::<__m128i>(), chars) };
            i += 12;
            o += 16;
        }
        (i, o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_as_the_base64_crate() {
        for n in 0..300 {
            let raw: Vec<u8> = (0..n).map(|i| (i * 97 + n * 31 + 7) as u8).collect();
            let mut out = Vec::new();
            encode_into(&raw, &mut out);
            assert_eq!(out, URL_SAFE.encode(&raw).into_bytes(), "length {n}");
        }
        // Every byte value in every position of a group.
        let raw: Vec<u8> = (0..=255u8).cycle().take(256 * 3 + 5).collect();
        let mut out = vec![1, 2, 3];
        encode_into(&raw, &mut out);
        assert_eq!(out, URL_SAFE.encode(&raw).into_bytes());
    }
}
