//! Url-safe base64 with padding (Fernet's token text), written into a
//! reused buffer by the `base64` crate.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

/// Writes the url-safe base64 (with `=` padding) of `raw` into `out`,
/// replacing its contents.
pub(super) fn encode_into(raw: &[u8], out: &mut Vec<u8>) {
    let len = base64::encoded_len(raw.len(), true).unwrap_or(0);
    out.clear();
    out.resize(len, 0);
    let n = URL_SAFE.encode_slice(raw, out).unwrap_or(0);
    out.truncate(n);
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
