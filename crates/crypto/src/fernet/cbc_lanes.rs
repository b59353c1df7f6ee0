//! AES-128-CBC encryption of several independent messages at once.
//!
//! CBC is sequential within a message: each block waits for the previous
//! ciphertext, so one message keeps the AES unit idle most of the time
//! (each AES round has a latency of several cycles, but the unit accepts a
//! new one every cycle or two). Encrypting block `k` of up to eight messages
//! together fills that pipeline. Every message still gets exactly its own
//! CBC chain; only the order of the work changes.
//!
//! The blocks go through the `aes` crate's multi-block call, whose AES-NI
//! backend (detected at run time) pipelines up to eight blocks; we keep no
//! AES code of our own.

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
    // The `aes` crate's multi-block call, block `k` of every lane at once.
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

#[cfg(test)]
mod tests {
    use super::*;
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit};

    /// Every lane gets exactly the `cbc` crate's ciphertext.
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
        // Every lane count.
        for n in 1..=lens.len() {
            let mut a = vec![Vec::new(); n];
            encrypt(&key, &ivs, &slices[..n], &mut a);
            assert_eq!(a, expected[..n]);
        }
    }
}
