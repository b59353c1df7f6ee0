//! Url-safe base64 with padding (Fernet's token text), written by the
//! `base64` crate: its SIMD engine (AVX2 or NEON, detected once at run
//! time, scalar otherwise) where the crate has one for this processor, its
//! scalar engine elsewhere. Both write the same text.

use base64::Engine as _;

/// The engine every token's text is written with.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(super) fn engine() -> &'static base64::engine::Simd {
    static ENGINE: std::sync::OnceLock<base64::engine::Simd> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| base64::engine::Simd::url_safe(base64::engine::general_purpose::PAD))
}

/// The engine every token's text is written with.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(super) fn engine() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::URL_SAFE
}

/// Writes the url-safe base64 (with `=` padding) of `raw` into `out`,
/// replacing its contents.
pub(super) fn encode_into(raw: &[u8], out: &mut Vec<u8>) {
    let len = base64::encoded_len(raw.len(), true).unwrap_or(0);
    out.clear();
    out.resize(len, 0);
    let n = engine().encode_slice(raw, out).unwrap_or(0);
    out.truncate(n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE;

    /// The same text as the crate's scalar engine, for every length around
    /// the SIMD kernels' block sizes and every byte value.
    #[test]
    fn same_text_as_the_scalar_engine() {
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
