//! AES-128-CBC encryption of several independent messages at once.
//!
//! CBC is sequential within a message: each block waits for the previous
//! ciphertext, so one message keeps the AES unit idle most of the time
//! (each AES round has a latency of several cycles, but the unit accepts a
//! new one every cycle or two). Encrypting block `k` of every message
//! together fills that pipeline. Every message still gets exactly its own
//! CBC chain; only the order of the work changes.
//!
//! The blocks go through the `aes` crate's own backend (chosen at run time:
//! AES-NI, VAES-256 or VAES-512), taken once for the whole batch with
//! `encrypt_with_backend`, so the round keys are prepared once and not per
//! call; each step hands the backend as many blocks as it encrypts in
//! parallel (8 for AES-NI, 64 for VAES-512). We keep no AES code of our own.

use aes::Aes128;
use cbc::cipher::consts::U16;
use cbc::cipher::typenum::Unsigned;
use cbc::cipher::{
    BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt, BlockSizeUser, KeyInit,
    ParBlocks, ParBlocksSizeUser,
};

const BLOCK: usize = 16;

/// Blocks of every message handled per tile (1 KiB of each): the chains
/// advance through tiles that sit in the first-level cache, instead of
/// reading and writing dozens of far-apart places 16 bytes at a time.
pub(super) const TILE: usize = 64;

/// Appends to `outs[i]` the AES-128-CBC ciphertext of `plains[i]`
/// (PKCS#7-padded) under `key` with IV `ivs[i]`, for every `i` the three
/// slices share.
pub(super) fn encrypt(key: &[u8; 16], ivs: &[[u8; 16]], plains: &[&[u8]], outs: &mut [Vec<u8>]) {
    for (p, out) in plains.iter().zip(outs.iter_mut()) {
        out.reserve((p.len() / BLOCK + 1) * BLOCK);
    }
    encrypt_tiles(key, ivs, plains, |lane, ciphertext| {
        if let Some(out) = outs.get_mut(lane) {
            out.extend_from_slice(ciphertext);
        }
        true
    });
}

/// Encrypts every `plains[i]` (AES-128-CBC, PKCS#7, IV `ivs[i]`) and hands
/// its ciphertext over tile by tile, in order within each message:
/// `on_tile(i, bytes)` with up to [`TILE`] blocks at a time. Stops early
/// when `on_tile` returns false.
pub(super) fn encrypt_tiles(
    key: &[u8; 16],
    ivs: &[[u8; 16]],
    plains: &[&[u8]],
    on_tile: impl FnMut(usize, &[u8]) -> bool,
) {
    let lanes = plains.len().min(ivs.len());
    Aes128::new(&(*key).into()).encrypt_with_backend(Chains {
        ivs: &ivs[..lanes],
        plains: &plains[..lanes],
        on_tile,
    });
}

/// The CBC chains of one batch, run inside the `aes` crate's backend.
struct Chains<'a, 'p, F> {
    ivs: &'a [[u8; 16]],
    plains: &'a [&'p [u8]],
    on_tile: F,
}

impl<F> BlockSizeUser for Chains<'_, '_, F> {
    type BlockSize = U16;
}

impl<F: FnMut(usize, &[u8]) -> bool> BlockCipherEncClosure for Chains<'_, '_, F> {
    fn call<B: BlockCipherEncBackend<BlockSize = U16>>(self, backend: &B) {
        let Chains {
            ivs,
            plains,
            mut on_tile,
        } = self;
        let par = <B as ParBlocksSizeUser>::ParBlocksSize::USIZE.max(1);
        let mut prev: Vec<u128> = ivs.iter().map(|iv| u128::from_ne_bytes(*iv)).collect();
        let most = plains
            .iter()
            .map(|p| p.len() / BLOCK + 1)
            .max()
            .unwrap_or(0);
        // Each message's blocks of the current tile, encrypted in place.
        let mut tiles: Vec<Vec<[u8; 16]>> = vec![Vec::with_capacity(TILE); plains.len()];
        let mut blocks = ParBlocks::<B>::default();
        let mut lane_of = vec![0usize; par];
        for k0 in (0..most).step_by(TILE) {
            for (tile, plain) in tiles.iter_mut().zip(plains) {
                tile.clear();
                let from = k0 * BLOCK;
                let Some(part) = plain.get(from..((k0 + TILE) * BLOCK).min(plain.len())) else {
                    continue; // this message ended in an earlier tile
                };
                let (whole, rest) = part.as_chunks::<16>();
                tile.extend_from_slice(whole);
                if plain.len() / BLOCK < k0 + TILE {
                    // The last block: the rest, then 1 to 16 bytes each
                    // holding the pad length.
                    let mut last = [(BLOCK - rest.len()) as u8; 16];
                    if let Some(d) = last.get_mut(..rest.len()) {
                        d.copy_from_slice(rest);
                    }
                    tile.push(last);
                }
            }
            for k in 0..TILE.min(most - k0) {
                // Block `k` of the messages of each group of `par`, staged
                // straight into the backend's batch, and whose each is
                // (`lane_of`, within the group).
                for (group, prev) in tiles.chunks_mut(par).zip(prev.chunks_mut(par)) {
                    let mut n = 0;
                    for (lane, tile) in group.iter().enumerate() {
                        let (Some(block), Some(p), Some(b), Some(l)) = (
                            tile.get(k),
                            prev.get(lane),
                            blocks.get_mut(n),
                            lane_of.get_mut(n),
                        ) else {
                            continue;
                        };
                        *b = (u128::from_ne_bytes(*block) ^ p).to_ne_bytes().into();
                        *l = lane;
                        n += 1;
                    }
                    if n < par.div_ceil(4) {
                        // Too few for the backend's batch to pay: one block
                        // at a time (the processor still overlaps these
                        // independent calls).
                        for one in blocks.iter_mut().take(n) {
                            backend.encrypt_block(one.into());
                        }
                    } else {
                        // The rest of a partial batch is stale blocks,
                        // encrypted and thrown away.
                        backend.encrypt_par_blocks((&mut blocks).into());
                    }
                    for (c, &lane) in blocks.iter().zip(&lane_of).take(n) {
                        let c: [u8; 16] = (*c).into();
                        if let Some(block) = group.get_mut(lane).and_then(|t| t.get_mut(k)) {
                            *block = c;
                        }
                        if let Some(p) = prev.get_mut(lane) {
                            *p = u128::from_ne_bytes(c);
                        }
                    }
                }
            }
            for (lane, tile) in tiles.iter().enumerate() {
                if !tile.is_empty() && !on_tile(lane, tile.as_flattened()) {
                    return;
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

    /// Every lane gets exactly the `cbc` crate's ciphertext.
    #[test]
    fn lanes_match_the_cbc_crate() {
        let key = [7u8; 16];
        // More messages than any backend's batch (64 for VAES-512), of
        // lengths that end at every point of a block.
        let lens: Vec<usize> = [0usize, 1, 15, 16, 17, 100, 33, 4096]
            .into_iter()
            .chain((0..150).map(|i| (i * 37) % 700))
            .collect();
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
        // Every lane count, so partial backend batches and lone blocks
        // are both taken.
        for n in (1..=lens.len()).filter(|n| *n < 12 || n % 7 == 0 || *n == lens.len()) {
            let mut a = vec![Vec::new(); n];
            encrypt(&key, &ivs, &slices[..n], &mut a);
            assert_eq!(a, expected[..n]);
        }
    }
}
