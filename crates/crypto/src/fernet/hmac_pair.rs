//! HMAC-SHA256 of two messages at once.
//!
//! With SHA-NI one SHA-256 stream is bound by the latency of its round
//! instruction, not by the unit's throughput, so two independent streams
//! interleaved round by round take little more time than one. Fernet MACs
//! every token; a file's blobs give pairs of similar length. The common
//! full-block prefix of a pair goes through the two-stream compression
//! (SHA-NI, detected at run time), the rest through `sha2`'s own
//! compression function; the MACs are those of the `hmac` crate (tested).

use sha2::block_api::compress256;

const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The inner and outer states after the key blocks, for one key.
#[derive(Clone)]
pub(super) struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    /// For a key of at most 64 bytes (Fernet's is 16).
    pub(super) fn new(key: &[u8; 16]) -> HmacKey {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for ((i, o), k) in ipad.iter_mut().zip(opad.iter_mut()).zip(key) {
            *i ^= k;
            *o ^= k;
        }
        let mut inner = IV;
        compress256(&mut inner, &[ipad]);
        let mut outer = IV;
        compress256(&mut outer, &[opad]);
        HmacKey { inner, outer }
    }

    /// The MAC of `msg`, from the inner state after `done` full blocks of
    /// it.
    fn finish(&self, mut state: [u32; 8], msg: &[u8], done: usize) -> [u8; 32] {
        let rest = msg.get(done * 64..).unwrap_or_default();
        let (blocks, tail) = rest.as_chunks::<64>();
        compress256(&mut state, blocks);
        // Padding: 0x80, zeros, then the bit length (the key block counts).
        let bits = ((64 + msg.len()) as u64) * 8;
        let mut last = [[0u8; 64]; 2];
        let flat = last.as_flattened_mut();
        if let Some(d) = flat.get_mut(..tail.len()) {
            d.copy_from_slice(tail);
        }
        if let Some(b) = flat.get_mut(tail.len()) {
            *b = 0x80;
        }
        let n = if tail.len() < 56 { 1 } else { 2 };
        if let Some(d) = flat.get_mut(n * 64 - 8..n * 64) {
            d.copy_from_slice(&bits.to_be_bytes());
        }
        compress256(&mut state, last.get(..n).unwrap_or_default());
        let mut inner_digest = [0u8; 64];
        for (d, w) in inner_digest.chunks_exact_mut(4).zip(state) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        // Outer: the 32-byte inner digest, padded (96 bytes hashed in all).
        if let Some(b) = inner_digest.get_mut(32) {
            *b = 0x80;
        }
        if let Some(d) = inner_digest.get_mut(56..64) {
            d.copy_from_slice(&(96u64 * 8).to_be_bytes());
        }
        let mut outer = self.outer;
        compress256(&mut outer, &[inner_digest]);
        let mut mac = [0u8; 32];
        for (d, w) in mac.chunks_exact_mut(4).zip(outer) {
            d.copy_from_slice(&w.to_be_bytes());
        }
        mac
    }

    /// The MACs of two messages.
    pub(super) fn mac_pair(&self, a: &[u8], b: &[u8]) -> ([u8; 32], [u8; 32]) {
        let common = a.len().min(b.len()) / 64;
        let (mut sa, mut sb) = (self.inner, self.inner);
        let (ba, _) = a.as_chunks::<64>();
        let (bb, _) = b.as_chunks::<64>();
        let (ba, bb) = (
            ba.get(..common).unwrap_or_default(),
            bb.get(..common).unwrap_or_default(),
        );
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse4.1")
        {
            // SAFETY: the CPU has SHA-NI and SSE4.1 (checked just above).
            unsafe { shani::compress_pair(&mut sa, &mut sb, ba, bb) };
            return (self.finish(sa, a, common), self.finish(sb, b, common));
        }
        compress256(&mut sa, ba);
        compress256(&mut sb, bb);
        (self.finish(sa, a, common), self.finish(sb, b, common))
    }

    /// The MAC of one message.
    pub(super) fn mac(&self, msg: &[u8]) -> [u8; 32] {
        self.finish(self.inner, msg, 0)
    }
}

#[cfg(target_arch = "x86_64")]
mod shani {
    use core::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi32,
        _mm_set_epi64x, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
        _mm_shuffle_epi8, _mm_shuffle_epi32, _mm_storeu_si128,
    };

    /// SHA-256 round constants.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    /// One SHA-NI stream's registers.
    #[derive(Clone, Copy)]
    struct Lane {
        abef: __m128i,
        cdgh: __m128i,
        w: [__m128i; 4],
    }

    #[inline]
    #[target_feature(enable = "sha,sse4.1")]
    fn rounds4(r: usize, l: &mut Lane, msg: __m128i) {
        let k = |i: usize| K.get(4 * r + i).copied().unwrap_or(0) as i32;
        let rk = _mm_set_epi32(k(3), k(2), k(1), k(0));
        let t1 = _mm_add_epi32(msg, rk);
        l.cdgh = _mm_sha256rnds2_epu32(l.cdgh, l.abef, t1);
        let t2 = _mm_shuffle_epi32::<0x0E>(t1);
        l.abef = _mm_sha256rnds2_epu32(l.abef, l.cdgh, t2);
    }

    #[inline]
    #[target_feature(enable = "sha,sse4.1")]
    fn schedule(i: usize, l: &mut Lane) -> __m128i {
        let w0 = l.w[i % 4];
        let w1 = l.w[(i + 1) % 4];
        let w2 = l.w[(i + 2) % 4];
        let w3 = l.w[(i + 3) % 4];
        let t1 = _mm_sha256msg1_epu32(w0, w1);
        let t2 = _mm_alignr_epi8::<4>(w3, w2);
        let t3 = _mm_add_epi32(t1, t2);
        l.w[i % 4] = _mm_sha256msg2_epu32(t3, w3);
        l.w[i % 4]
    }

    #[inline]
    #[target_feature(enable = "sha,sse4.1")]
    fn load(block: &[u8; 64]) -> [__m128i; 4] {
        let mask = _mm_set_epi64x(0x0C0D_0E0F_0809_0A0B, 0x0405_0607_0001_0203);
        let mut out = [_mm_set_epi64x(0, 0); 4];
        for (o, c) in out.iter_mut().zip(block.as_chunks::<16>().0) {
            // SAFETY: `c` is 16 readable bytes (unaligned load).
            let w = unsafe { _mm_loadu_si128(c.as_ptr().cast::<__m128i>()) };
            *o = _mm_shuffle_epi8(w, mask);
        }
        out
    }

    #[inline]
    #[target_feature(enable = "sha,sse4.1")]
    fn to_lane(state: &[u32; 8]) -> (__m128i, __m128i) {
        // SAFETY: `state` is 32 readable bytes (two unaligned loads).
        let (dcba, hgfe) = unsafe {
            (
                _mm_loadu_si128(state.as_ptr().cast::<__m128i>()),
                _mm_loadu_si128(state.as_ptr().add(4).cast::<__m128i>()),
            )
        };
        let cdab = _mm_shuffle_epi32::<0xB1>(dcba);
        let efgh = _mm_shuffle_epi32::<0x1B>(hgfe);
        (
            _mm_alignr_epi8::<8>(cdab, efgh),
            _mm_blend_epi16::<0xF0>(efgh, cdab),
        )
    }

    #[inline]
    #[target_feature(enable = "sha,sse4.1")]
    fn from_lane(state: &mut [u32; 8], abef: __m128i, cdgh: __m128i) {
        let feba = _mm_shuffle_epi32::<0x1B>(abef);
        let dchg = _mm_shuffle_epi32::<0xB1>(cdgh);
        let dcba = _mm_blend_epi16::<0xF0>(feba, dchg);
        let hgef = _mm_alignr_epi8::<8>(dchg, feba);
        // SAFETY: `state` is 32 writable bytes (two unaligned stores).
        unsafe {
            _mm_storeu_si128(state.as_mut_ptr().cast::<__m128i>(), dcba);
            _mm_storeu_si128(state.as_mut_ptr().add(4).cast::<__m128i>(), hgef);
        }
    }

    /// SHA-256 compression of two streams, block by block in step (the
    /// block lists have the same length).
    #[target_feature(enable = "sha,sse4.1")]
    pub(super) fn compress_pair(
        sa: &mut [u32; 8],
        sb: &mut [u32; 8],
        ba: &[[u8; 64]],
        bb: &[[u8; 64]],
    ) {
        let (abef, cdgh) = to_lane(sa);
        let mut a = Lane {
            abef,
            cdgh,
            w: [abef; 4],
        };
        let (abef, cdgh) = to_lane(sb);
        let mut b = Lane {
            abef,
            cdgh,
            w: [abef; 4],
        };
        for (x, y) in ba.iter().zip(bb) {
            let (a0, b0) = (a, b);
            a.w = load(x);
            b.w = load(y);
            for r in 0..4 {
                let (ma, mb) = (a.w[r], b.w[r]);
                rounds4(r, &mut a, ma);
                rounds4(r, &mut b, mb);
            }
            for r in 4..16 {
                let ma = schedule(r, &mut a);
                let mb = schedule(r, &mut b);
                rounds4(r, &mut a, ma);
                rounds4(r, &mut b, mb);
            }
            a.abef = _mm_add_epi32(a.abef, a0.abef);
            a.cdgh = _mm_add_epi32(a.cdgh, a0.cdgh);
            b.abef = _mm_add_epi32(b.abef, b0.abef);
            b.cdgh = _mm_add_epi32(b.cdgh, b0.cdgh);
        }
        from_lane(sa, a.abef, a.cdgh);
        from_lane(sb, b.abef, b.cdgh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};

    fn reference(key: &[u8; 16], msg: &[u8]) -> [u8; 32] {
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().into()
    }

    #[test]
    fn same_macs_as_the_hmac_crate() {
        let key = [0x42u8; 16];
        let k = HmacKey::new(&key);
        let lens = [
            0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4096, 70_001,
        ];
        for &la in &lens {
            for &lb in &lens {
                let a: Vec<u8> = (0..la).map(|i| (i * 7 + la) as u8).collect();
                let b: Vec<u8> = (0..lb).map(|i| (i * 11 + lb) as u8).collect();
                let (ma, mb) = k.mac_pair(&a, &b);
                assert_eq!(ma, reference(&key, &a), "{la}");
                assert_eq!(mb, reference(&key, &b), "{lb}");
                assert_eq!(k.mac(&a), reference(&key, &a));
            }
        }
    }
}
