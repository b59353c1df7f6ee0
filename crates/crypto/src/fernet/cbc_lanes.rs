//! AES-128-CBC encryption of several independent messages at once.
//!
//! CBC is sequential within a message: each block waits for the previous
//! ciphertext, so one message keeps the AES unit idle most of the time
//! (each AES round has a latency of several cycles, but the unit accepts a
//! new one every cycle or two). Encrypting block `k` of up to eight messages
//! together fills that pipeline. Every message still gets exactly its own
//! CBC chain; only the order of the work changes.
//!
//! On x86_64 with AES-NI (detected at run time) the eight chains run in
//! registers; elsewhere the `aes` crate's multi-block call does the same
//! job with more overhead per block.

use aes::Aes128;
use cbc::cipher::{BlockCipherEncrypt, KeyInit};

/// How many chains run together.
pub(super) const LANES: usize = 8;
const BLOCK: usize = 16;

/// Block `k` of a message with PKCS#7 padding: a whole block of the
/// plaintext, the last (partial, possibly empty) block padded, or `None`
/// past the end.
fn padded_block(plain: &[u8], k: usize) -> Option<[u8; 16]> {
    let at = k * BLOCK;
    match plain.get(at..at + BLOCK) {
        Some(b) => <[u8; 16]>::try_from(b).ok(),
        None if at <= plain.len() => {
            // The rest, then 1 to 16 bytes each holding the pad length.
            let rest = plain.get(at..).unwrap_or_default();
            let mut last = [(BLOCK - rest.len()) as u8; 16];
            if let Some(d) = last.get_mut(..rest.len()) {
                d.copy_from_slice(rest);
            }
            Some(last)
        }
        None => None,
    }
}

/// Appends to `outs[i]` the AES-128-CBC ciphertext of `plains[i]`
/// (PKCS#7-padded) under `key` with IV `ivs[i]`, for up to [`LANES`]
/// messages at once (extra ones are ignored).
pub(super) fn encrypt(key: &[u8; 16], ivs: &[[u8; 16]], plains: &[&[u8]], outs: &mut [Vec<u8>]) {
    for ((p, out), _) in plains.iter().zip(outs.iter_mut()).zip(ivs).take(LANES) {
        out.reserve((p.len() / BLOCK + 1) * BLOCK);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("aes") {
        // SAFETY: the CPU has AES-NI (checked just above) and SSE2 (part of
        // x86_64).
        unsafe { aesni::encrypt(key, ivs, plains, outs) };
        return;
    }
    portable(key, ivs, plains, outs);
}

/// The `aes` crate's multi-block call, block `k` of every lane at once.
fn portable(key: &[u8; 16], ivs: &[[u8; 16]], plains: &[&[u8]], outs: &mut [Vec<u8>]) {
    let cipher = Aes128::new(&(*key).into());
    let mut prev = [0u128; LANES];
    for (p, iv) in prev.iter_mut().zip(ivs) {
        *p = u128::from_ne_bytes(*iv);
    }
    let lanes = plains.len().min(ivs.len()).min(outs.len()).min(LANES);
    let most = plains
        .iter()
        .take(lanes)
        .map(|p| p.len() / BLOCK + 1)
        .max()
        .unwrap_or(0);
    let mut blocks = [aes::Block::default(); LANES];
    let mut lane_of = [0usize; LANES];
    for k in 0..most {
        let mut n = 0;
        for (lane, plain) in plains.iter().enumerate().take(lanes) {
            let Some(block) = padded_block(plain, k) else {
                continue;
            };
            let x = u128::from_ne_bytes(block) ^ prev.get(lane).copied().unwrap_or_default();
            if let (Some(b), Some(l)) = (blocks.get_mut(n), lane_of.get_mut(n)) {
                *b = x.to_ne_bytes().into();
                *l = lane;
                n += 1;
            }
        }
        let Some(active) = blocks.get_mut(..n) else {
            break;
        };
        cipher.encrypt_blocks(active);
        for (b, &lane) in active.iter().zip(&lane_of) {
            let c: [u8; 16] = (*b).into();
            if let Some(out) = outs.get_mut(lane) {
                out.extend_from_slice(&c);
            }
            if let Some(p) = prev.get_mut(lane) {
                *p = u128::from_ne_bytes(c);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod aesni {
    use core::arch::x86_64::{
        __m128i, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_aeskeygenassist_si128,
        _mm_shuffle_epi32, _mm_slli_si128, _mm_xor_si128,
    };

    use super::{BLOCK, LANES, padded_block};

    /// One step of the AES-128 key schedule.
    #[target_feature(enable = "aes,sse2")]
    fn next_key<const RCON: i32>(key: __m128i) -> __m128i {
        let t = _mm_shuffle_epi32::<0xff>(_mm_aeskeygenassist_si128::<RCON>(key));
        let mut k = key;
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        _mm_xor_si128(k, t)
    }

    /// The 11 round keys of AES-128.
    #[target_feature(enable = "aes,sse2")]
    fn round_keys(key: &[u8; 16]) -> [__m128i; 11] {
        let k0 = to_m128(*key);
        let k1 = next_key::<0x01>(k0);
        let k2 = next_key::<0x02>(k1);
        let k3 = next_key::<0x04>(k2);
        let k4 = next_key::<0x08>(k3);
        let k5 = next_key::<0x10>(k4);
        let k6 = next_key::<0x20>(k5);
        let k7 = next_key::<0x40>(k6);
        let k8 = next_key::<0x80>(k7);
        let k9 = next_key::<0x1b>(k8);
        let k10 = next_key::<0x36>(k9);
        [k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10]
    }

    fn to_m128(b: [u8; 16]) -> __m128i {
        // SAFETY: both types are 16 plain bytes with no invalid values.
        unsafe { core::mem::transmute::<[u8; 16], __m128i>(b) }
    }

    fn to_bytes(v: __m128i) -> [u8; 16] {
        // SAFETY: both types are 16 plain bytes with no invalid values.
        unsafe { core::mem::transmute::<__m128i, [u8; 16]>(v) }
    }

    /// [`super::encrypt`] with the chains in registers: as many register
    /// lanes as there are messages (rounded up to 2, 4 or 8), so a short
    /// batch does no wasted rounds.
    #[target_feature(enable = "aes,sse2")]
    pub(super) fn encrypt(
        key: &[u8; 16],
        ivs: &[[u8; 16]],
        plains: &[&[u8]],
        outs: &mut [Vec<u8>],
    ) {
        let rk = round_keys(key);
        let lanes = plains.len().min(ivs.len()).min(outs.len()).min(LANES);
        match lanes {
            0 => {}
            1 => encrypt_n::<1>(&rk, ivs, plains, outs, lanes),
            2 => encrypt_n::<2>(&rk, ivs, plains, outs, lanes),
            3 | 4 => encrypt_n::<4>(&rk, ivs, plains, outs, lanes),
            _ => encrypt_n::<LANES>(&rk, ivs, plains, outs, lanes),
        }
    }

    #[inline]
    #[target_feature(enable = "aes,sse2")]
    fn encrypt_n<const N: usize>(
        rk: &[__m128i; 11],
        ivs: &[[u8; 16]],
        plains: &[&[u8]],
        outs: &mut [Vec<u8>],
        lanes: usize,
    ) {
        let mut prev = [to_m128([0; 16]); N];
        for (p, iv) in prev.iter_mut().zip(ivs).take(lanes) {
            *p = to_m128(*iv);
        }
        let most = plains
            .iter()
            .take(lanes)
            .map(|p| p.len() / BLOCK + 1)
            .max()
            .unwrap_or(0);
        let mut live = [false; N];
        for k in 0..most {
            let mut st = prev;
            for (lane, plain) in plains.iter().enumerate().take(lanes) {
                let block = padded_block(plain, k);
                if let (Some(s), Some(l)) = (st.get_mut(lane), live.get_mut(lane)) {
                    *l = block.is_some();
                    if let Some(b) = block {
                        *s = _mm_xor_si128(_mm_xor_si128(*s, to_m128(b)), rk[0]);
                    }
                }
            }
            // Every lane goes through the rounds (lanes past their end are
            // discarded): a fixed shape the compiler keeps in registers.
            for r in &rk[1..10] {
                for s in &mut st {
                    *s = _mm_aesenc_si128(*s, *r);
                }
            }
            for s in &mut st {
                *s = _mm_aesenclast_si128(*s, rk[10]);
            }
            for (((s, p), out), l) in st
                .iter()
                .zip(prev.iter_mut())
                .zip(outs.iter_mut())
                .zip(live)
            {
                if l {
                    *p = *s;
                    out.extend_from_slice(&to_bytes(*s));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit};

    /// Both paths give every lane exactly the `cbc` crate's ciphertext.
    #[test]
    fn lanes_match_the_cbc_crate() {
        let key = [7u8; 16];
        let lens = [0usize, 1, 15, 16, 17, 100, 33, 4096];
        let plains: Vec<Vec<u8>> = lens
            .iter()
            .map(|&n| (0..n).map(|i| (i * 13 + n) as u8).collect())
            .collect();
        let slices: Vec<&[u8]> = plains.iter().map(Vec::as_slice).collect();
        let ivs: Vec<[u8; 16]> = (0..lens.len()).map(|i| [i as u8 + 1; 16]).collect();
        let expected: Vec<Vec<u8>> = slices
            .iter()
            .zip(&ivs)
            .map(|(p, iv)| {
                cbc::Encryptor::<Aes128>::new(&key.into(), &(*iv).into())
                    .encrypt_padded_vec::<Pkcs7>(p)
            })
            .collect();
        // Every register width (1, 2, 4, 8 lanes) and both paths.
        for n in 1..=lens.len() {
            let mut a = vec![Vec::new(); n];
            encrypt(&key, &ivs, &slices[..n], &mut a);
            let mut b = vec![Vec::new(); n];
            portable(&key, &ivs, &slices[..n], &mut b);
            assert_eq!(a, expected[..n]);
            assert_eq!(b, expected[..n]);
        }
    }
}
