use aes::Aes128;
use base64::Engine as _;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
use hmac::{Hmac, KeyInit, Mac};
use std::time::Instant;
fn main() {
    let plain = vec![7u8; 1 << 20];
    let n = 25;
    let mut out = vec![0u8; (1 << 20) + 16];
    let t = Instant::now();
    for _ in 0..n {
        cbc::Encryptor::<Aes128>::new(&[1u8; 16].into(), &[2u8; 16].into())
            .encrypt_padded_b2b::<Pkcs7>(&plain, &mut out).unwrap();
    }
    println!("aes-cbc {:.4}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    for _ in 0..n {
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&[3u8; 16]).unwrap();
        m.update(&out);
        std::hint::black_box(m.finalize());
    }
    println!("hmac {:.4}", t.elapsed().as_secs_f64());
    let mut tok = vec![0u8; out.len() * 4 / 3 + 8];
    let t = Instant::now();
    for _ in 0..n {
        base64::engine::general_purpose::URL_SAFE.encode_slice(&out, &mut tok).unwrap();
    }
    println!("base64 {:.4}", t.elapsed().as_secs_f64());
    let f = vellum_crypto::Fernet::new(&[2; 32]);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f.encrypt(&plain));
    }
    println!("fernet {:.4}", t.elapsed().as_secs_f64());
}
