//! Decrypting arbitrary bytes as a Fernet token, and datumaro key parsing:
//! clean errors only. Inputs also round-trip through encrypt.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_crypto::{DatumaroKey, Fernet};

fuzz_target!(|data: &[u8]| {
    let fernet = Fernet::new(&[3; 32]);
    let _ = fernet.decrypt(data);
    let _ = fernet.decrypt_with_ttl(data, 60, 1_700_000_000);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = DatumaroKey::parse(text);
        let _ = Fernet::from_base64(text);
    }
    let token = fernet.encrypt_at(data, 1_700_000_000, [5; 16]);
    assert_eq!(fernet.decrypt(&token).unwrap(), data);
});
