//! Decrypting arbitrary bytes as a sealed stream: every reader must fail
//! cleanly (no panic, no unbounded allocation) and agree with the others.
//! Inputs that start with a valid header under the fuzz key also reach the
//! chunk logic; a structured half seals fuzz data and tampers with it.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use vellum_crypto::{SealedReader, SealedSlice, Secret, VellumKey, seal_with_chunk_size, unseal};

fn secret() -> Secret {
    Secret::Key(VellumKey::from_bytes([7; 32]))
}

fn check(bytes: &[u8], secret: &Secret) -> Option<Vec<u8>> {
    let one_shot = unseal(secret, bytes).ok();
    let mut streamed = Vec::new();
    let streaming = SealedReader::new(bytes, secret)
        .ok()
        .and_then(|mut r| r.read_to_end(&mut streamed).ok());
    assert_eq!(one_shot.is_some(), streaming.is_some());
    if let Some(plain) = &one_shot {
        assert_eq!(plain, &streamed);
    }
    if let Ok(s) = SealedSlice::new(secret, bytes) {
        let _ = s.chunk(s.chunk_count().saturating_sub(1));
        let _ = s.chunk(0);
    }
    one_shot
}

fuzz_target!(|data: &[u8]| {
    let secret = secret();
    // 1. Raw bytes.
    let _ = check(data, &secret);
    // 2. The bytes as the body after a valid header under the fuzz key.
    let mut framed = seal_with_chunk_size(&secret, b"", 1024).unwrap();
    framed.truncate(48);
    framed.extend_from_slice(data);
    assert!(check(&framed, &secret).is_none() || data.len() >= 16);
    // 3. Seal the first half with 1 KiB chunks, then apply the second half
    //    as edits (position, xor); any edit must make it fail, no edit must
    //    round-trip.
    let (plain, edits) = data.split_at(data.len() / 2);
    let original = seal_with_chunk_size(&secret, plain, 1024).unwrap();
    let mut sealed = original.clone();
    for e in edits.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([e[0], e[1]])) % sealed.len();
        sealed[at] ^= e[2];
    }
    let got = check(&sealed, &secret);
    if sealed != original {
        assert!(got.is_none(), "a modified stream opened");
    } else {
        assert_eq!(got.as_deref(), Some(plain));
    }
});
