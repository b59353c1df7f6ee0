//! The orjson text of an `f32` widened to `f64`, without the general
//! shortest-digits search.
//!
//! datumaro holds shape coordinates as `float32` and orjson prints them as
//! the `f64` they widen to, in the shortest digits that read back as that
//! `f64` (`213.1f32` → `213.10000610351562`). Such a value has only 24
//! significant bits, so its exact decimal expansion scaled to 17 digits is
//! one 128-bit product, and the `f64` rounding interval around it is a
//! power of five: finding the shortest digits in the interval is a few
//! multiplications and comparisons. The result is exactly what the
//! general printer ([`zmij`], which serde_json and our
//! [`write_f64`](super::orjson::write_f64) use) gives for the same `f64`:
//! the tests compare both on every `f32` of a wide range and on samples of
//! all the others.
//!
//! Handled: finite values with 1e-5 ≤ |x| < 1e16 (orjson's plain decimal
//! layout). Anything else returns `false` and the caller uses the general
//! printer.

/// 5^q for q = 0..=22.
const POW5: [u64; 23] = {
    let mut t = [1u64; 23];
    let mut i = 1;
    while i < 23 {
        t[i] = t[i - 1] * 5;
        i += 1;
    }
    t
};

/// 10^i for i = 0..=19.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Appends the orjson text of `f64::from(f)` and returns `true`, or
/// returns `false` (appending nothing) when `f` is outside the handled
/// range.
pub(crate) fn write_widened(out: &mut Vec<u8>, f: f32) -> bool {
    let bits = f.to_bits();
    let neg = bits >> 31 != 0;
    let biased = ((bits >> 23) & 0xff) as i32;
    // Normal values only (subnormal f32 are far below 1e-5).
    if biased == 0 || biased == 0xff {
        return false;
    }
    let a = f.abs();
    // orjson's bounds apply to the f64 (1e-5 as an f32 is below 1e-5).
    if !(1e-5..1e16).contains(&f64::from(a)) {
        return false;
    }
    // |f| = m · 2^e with 2^23 ≤ m < 2^24.
    let m = u128::from((bits & 0x7f_ffff) | 0x80_0000);
    let e = biased - 150;
    // k = floor(log10 |f|): an estimate from the binary exponent, then one
    // correction against the exact power of ten (exact in f64 up to 1e22).
    let p = biased - 127; // floor(log2 |f|)
    let mut k = (p * 78_913) >> 18; // floor(p · log10 2)
    // The double nearest to 10^(k+1): an f32 value is never equal to one
    // that is not exactly 10^(k+1), so `>=` decides as exact arithmetic would.
    let Some(&next) = usize::try_from(k + 7).ok().and_then(|i| POW10_F64.get(i)) else {
        return false;
    };
    if f64::from(a) >= next {
        k += 1;
    }
    // 17 significant digits: D = |f| · 10^q.
    let q = 16 - k;
    let Ok(qu) = usize::try_from(q) else {
        return false;
    };
    let Some(&p5) = POW5.get(qu) else {
        return false;
    };
    let p5 = u128::from(p5);
    // All quantities in units of 2^-t of a 17-digit step: the value is
    // m · 5^q · 2^(e+q), the f64 interval is ± half an f64 ulp,
    // 2^(e-30) · 10^q (a quarter below when the f64 significand is a power
    // of two, m = 2^23), so with t = 31 - (e + q) everything is an integer.
    let t = 31 - (e + q);
    if !(1..=100).contains(&t) {
        return false;
    }
    let x = (m * p5) << 31;
    let hi = p5 << 1;
    let lo = if m == 1 << 23 { p5 } else { hi };
    let unit_shift = t as u32;
    // D = floor(value · 10^q), the 17-digit truncation.
    let Ok(d) = u64::try_from(x >> unit_shift) else {
        return false;
    };
    // The L-digit candidate around D at `scale` = 10^(17-L) that reads back
    // (inside [x - lo, x + hi], bounds included: the f64 significand
    // m · 2^29 is even), the nearer one if both do (ties to even).
    let pick = |scale: u64| -> Option<u64> {
        let c = d / scale;
        let v_lo = (u128::from(c) * u128::from(scale)) << unit_shift;
        let v_hi = (u128::from(c + 1) * u128::from(scale)) << unit_shift;
        let (dl, dh) = (x - v_lo, v_hi - x);
        match (dl <= lo, dh <= hi) {
            (true, true) if dl < dh || (dl == dh && c % 2 == 0) => Some(c),
            (true, true) => Some(c + 1),
            (true, false) => Some(c),
            (false, true) => Some(c + 1),
            (false, false) => None,
        }
    };
    // Shortest: the fewest digits L with a candidate. Existence is monotone
    // in L (an L-digit candidate is also an (L+1)-digit one), so step down
    // from 17 while candidates exist.
    let Some(mut digits) = pick(1) else {
        return false;
    };
    let mut len = 17usize;
    // Most values need 17 digits, some 16 (a constant divisor each), few
    // fewer.
    if let Some(c) = pick(10) {
        digits = c;
        len = 16;
        for l in (1..16usize).rev() {
            match POW10.get(17 - l).and_then(|&s| pick(s)) {
                Some(c) => {
                    digits = c;
                    len = l;
                }
                None => break,
            }
        }
    }
    // Rounding up may carry into a new digit (9.99… → 10).
    let mut k = k;
    if POW10.get(len).is_some_and(|&p| digits >= p) {
        digits /= 10;
        k += 1;
        // `digits` was 10^len: it is now 10^(len-1), one digit is enough.
        digits /= POW10.get(len - 1).copied().unwrap_or(1);
        len = 1;
    }
    // Trailing zeros never belong to the shortest form.
    while len > 1 && digits % 10 == 0 {
        digits /= 10;
        len -= 1;
    }
    let mut buf = [0u8; 20];
    put_digits(&mut buf, digits);
    let text = buf.get(20 - len..).unwrap_or_default();
    if neg {
        out.push(b'-');
    }
    if k >= 0 {
        let int_len = (k + 1) as usize;
        if len <= int_len {
            out.extend_from_slice(text);
            out.resize(out.len() + (int_len - len), b'0');
            out.extend_from_slice(b".0");
        } else {
            let (i, frac) = text.split_at(int_len);
            out.extend_from_slice(i);
            out.push(b'.');
            out.extend_from_slice(frac);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-k - 1) as usize, b'0');
        out.extend_from_slice(text);
    }
    true
}

/// The doubles nearest to 10^-6 … 10^16 (index `k + 7` for 10^(k+1)).
const POW10_F64: [f64; 23] = [
    1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
    1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
];

/// "00" to "99".
const PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// Writes `v` (< 10^20) right-aligned into `buf` with leading zeros: two
/// independent halves of eight digits and the top, two digits at a time.
fn put_digits(buf: &mut [u8; 20], v: u64) {
    let top = v / 100_000_000;
    let low = (v % 100_000_000) as u32;
    let mid = (top % 100_000_000) as u32;
    let high = (top / 100_000_000) as u32;
    for (chunk, mut n) in buf.rchunks_exact_mut(8).zip([low, mid]) {
        for pair in chunk.rchunks_exact_mut(2) {
            let i = (n % 100) as usize * 2;
            pair.copy_from_slice(PAIRS.get(i..i + 2).unwrap_or(b"00"));
            n /= 100;
        }
    }
    let i = (high % 100) as usize * 2;
    if let Some(d) = buf.get_mut(2..4) {
        d.copy_from_slice(PAIRS.get(i..i + 2).unwrap_or(b"00"));
    }
    let i = (high / 100 % 100) as usize * 2;
    if let Some(d) = buf.get_mut(0..2) {
        d.copy_from_slice(PAIRS.get(i..i + 2).unwrap_or(b"00"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general printer's text (what serde_json and orjson write).
    fn general(f: f32) -> String {
        let mut out = Vec::new();
        crate::text::orjson::write_f64(&mut out, f64::from(f));
        String::from_utf8(out).unwrap()
    }

    /// Checks `f`: same text as the general printer when handled, nothing
    /// written otherwise. Returns whether it was handled.
    fn check(f: f32) -> bool {
        let mut out = Vec::new();
        let handled = write_widened(&mut out, f);
        if handled {
            assert_eq!(
                String::from_utf8(out).unwrap(),
                general(f),
                "{f:e} (bits {:#x})",
                f.to_bits()
            );
        } else {
            assert!(out.is_empty());
        }
        handled
    }

    #[test]
    fn spec_and_edge_values() {
        for f in [
            213.1f32,
            211.22,
            396.9,
            394.25,
            368.0,
            1.0,
            0.1,
            0.25,
            1e-5,
            1.0001e-5,
            9.99e-6,
            1e15,
            9.999e15,
            1e16,
            3.4e38,
            1e-45,
            0.0,
            -0.0,
            -7.2,
            640.0,
            0.01,
            99.99,
            f32::MIN_POSITIVE,
            f32::NAN,
            f32::INFINITY,
            16_777_216.0,
            8_388_608.0,
            0.5,
            9.999_999,
            999.999_94,
        ] {
            check(f);
            check(-f);
        }
        assert!(check(213.1));
        assert!(!check(1e16));
        assert!(!check(9e-6));
    }

    /// Every coordinate a COCO import can produce: k / 100 as f32.
    #[test]
    fn two_decimal_coordinates() {
        for k in 0..300_000u32 {
            assert!(check(k as f32 / 100.0) || k == 0);
            check(-(k as f32) / 100.0);
        }
    }

    /// Pseudo-random bit patterns over every exponent.
    #[test]
    fn random_bit_patterns() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..400_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            check(f32::from_bits(s as u32));
        }
    }

    /// Every f32 the fast path handles (about 1.2 billion values): run
    /// with `cargo test --release -p vellum-datumaro -- --ignored f32_text`.
    #[test]
    #[ignore = "exhaustive: minutes in release"]
    fn exhaustive() {
        use rayon::prelude::*;
        let lo = 1e-5f32.to_bits() - 2;
        let hi = 1e16f32.to_bits() + 2;
        (lo..=hi).into_par_iter().for_each(|b| {
            let f = f32::from_bits(b);
            let mut out = Vec::new();
            if write_widened(&mut out, f) {
                let g = general(f);
                assert_eq!(out, g.as_bytes(), "{f:e} (bits {b:#x})");
                out.clear();
                assert!(write_widened(&mut out, -f));
                assert_eq!(out, format!("-{g}").as_bytes(), "-{f:e}");
            }
        });
    }
}
