//! JSON numbers as the readers need them, exactly as `serde_json`
//! (`float_roundtrip`) would give them, but without its general path for
//! the common cases.
//!
//! A number is scanned once into its decimal parts (sign, up to 19
//! significant digits, power of ten). From those:
//! - [`Number::f64`]: the correctly rounded `f64`. Clinger's fast path
//!   (mantissa ≤ 2^53, |power| ≤ 22: both operands exact, one IEEE
//!   operation, so one rounding) covers short decimals such as COCO's
//!   `123.45`; everything else goes to `str::parse::<f64>` (exact,
//!   Eisel–Lemire).
//! - [`Number::f32_of_f64`]: `(the correctly rounded f64) as f32`, what the
//!   model stores for shape coordinates. Datumaro JSON holds f32 values
//!   widened to f64 and printed with 17 digits, past Clinger's range; an
//!   approximation within 4 ulp of the correctly rounded f64 decides the
//!   f32 when it is not near an f32 rounding boundary (it never is for
//!   such values), and the exact path decides otherwise.
//! - [`Number::sum_f32`]: `(a + b) as f32` of two such f64 (a box's far
//!   corner), decided the same way from the approximations' sum.
//! - [`Number::coco_coord`]: datumaro's `round(x, 2)` narrowed to f32, free
//!   for decimals of at most 2 fraction digits (already rounded), else
//!   [`round2`] computed exactly in integers.

/// Exact powers of ten as f64 (10^22 is the largest exact one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// 10^-k as the nearest f64 (each within half an ulp).
const NEG_POW10: [f64; 23] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];

/// 2^53: every integer up to it is an exact f64.
const EXACT_INT: u64 = 1 << 53;

/// A JSON number split into its decimal parts: the value is
/// `(-1)^neg × mant × 10^exp10` (plus dropped digits when `truncated`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Number<'a> {
    /// The number's text, as in the document (valid JSON number syntax,
    /// so ASCII).
    pub(crate) text: &'a [u8],
    pub(crate) neg: bool,
    /// The first 19 significant digits.
    pub(crate) mant: u64,
    pub(crate) exp10: i32,
    /// More than 19 significant digits: `mant` is not the whole value.
    pub(crate) truncated: bool,
    /// No fraction and no exponent (JSON's integer form).
    pub(crate) integer: bool,
}

impl Number<'_> {
    /// Zero (a placeholder).
    pub(crate) const ZERO: Number<'static> = Number {
        text: b"0",
        neg: false,
        mant: 0,
        exp10: 0,
        truncated: false,
        integer: true,
    };

    /// Parses the text with the standard library (exact).
    fn parse<T: std::str::FromStr>(&self) -> Option<T> {
        std::str::from_utf8(self.text).ok()?.parse().ok()
    }

    /// The value as serde_json gives it to an `i64` field: integers only,
    /// in range, and not `-0` (which serde_json reads as a float).
    pub(crate) fn i64(&self) -> Option<i64> {
        if !self.integer {
            return None;
        }
        if self.truncated {
            return self.parse();
        }
        if self.neg {
            if self.mant == 0 {
                return None;
            }
            0i64.checked_sub_unsigned(self.mant)
        } else {
            i64::try_from(self.mant).ok()
        }
    }

    /// The value as serde_json gives it to a `u64` field.
    pub(crate) fn u64(&self) -> Option<u64> {
        if !self.integer || self.neg {
            return None;
        }
        if self.truncated {
            return self.parse();
        }
        Some(self.mant)
    }

    fn signed<T: std::ops::Neg<Output = T>>(&self, v: T) -> T {
        if self.neg { -v } else { v }
    }

    /// Clinger's fast path, when it applies: the exact f64 of the
    /// magnitude.
    fn clinger(&self) -> Option<f64> {
        if self.truncated || self.mant > EXACT_INT {
            return None;
        }
        let m = self.mant as f64;
        let p = *POW10.get(self.exp10.unsigned_abs() as usize)?;
        Some(if self.exp10 < 0 { m / p } else { m * p })
    }

    /// The correctly rounded f64, `None` when it overflows (serde_json's
    /// "number out of range").
    #[inline]
    pub(crate) fn f64(&self) -> Option<f64> {
        if self.mant == 0 {
            return Some(self.signed(0.0));
        }
        let v = match self.clinger() {
            Some(m) => self.signed(m),
            None => self.parse::<f64>()?,
        };
        v.is_finite().then_some(v)
    }

    /// `self.f64()? as f32`, the narrowing the model's `f32` coordinates
    /// take.
    #[inline(always)]
    pub(crate) fn f32_of_f64(&self) -> Option<f32> {
        if self.mant == 0 {
            return Some(self.signed(0.0));
        }
        self.f32_approx().or_else(|| self.f64().map(|v| v as f32))
    }

    /// An approximation of the magnitude within 3.5 ulp of the correctly
    /// rounded f64: mant × 10^e with three roundings (the mantissa, the
    /// power of ten, the product). A multiplication, where an exact f64
    /// would need a division or more.
    #[inline(always)]
    fn approx(&self) -> Option<f64> {
        if self.truncated {
            return None;
        }
        let k = self.exp10.unsigned_abs() as usize;
        // Below 2^63 (always, up to 18 digits) the signed conversion is
        // one instruction.
        let m = match i64::try_from(self.mant) {
            Ok(m) => m as f64,
            Err(_) => self.mant as f64,
        };
        Some(if self.exp10 < 0 {
            m * *NEG_POW10.get(k)?
        } else {
            m * *POW10.get(k)?
        })
    }

    /// `(the correctly rounded f64) as f32` from [`Number::approx`], when
    /// it decides it: within 3.5 ulp of the correctly rounded f64 means
    /// within 4 steps of its bits (8 across a binade edge); if no f32
    /// rounding boundary lies within 16 steps, both round to the same
    /// f32 ([`decides_f32`]).
    #[inline(always)]
    fn f32_approx(&self) -> Option<f32> {
        let y = self.approx()?;
        decides_f32(y, 16).then(|| self.signed(y as f32))
    }

    /// `(a.f64()? + b.f64()?) as f32`, what a box's far corner is
    /// (`x + w`). For non-negative a and b the sum of the approximations
    /// is within 9 ulp of the sum of the correctly rounded values (each
    /// is within 4 ulp of a value no larger than the sum), so it decides
    /// the f32 unless a rounding boundary lies within 64 steps.
    #[inline]
    pub(crate) fn sum_f32(a: &Number<'_>, b: &Number<'_>) -> Option<f32> {
        if !a.neg
            && !b.neg
            && let (Some(x), Some(w)) = (a.approx(), b.approx())
        {
            let s = x + w;
            if decides_f32(s, 64) {
                return Some(s as f32);
            }
        }
        Some((a.f64()? + b.f64()?) as f32)
    }

    /// datumaro's COCO coordinate: `round(x, 2)` of the f64, as f32.
    #[inline(always)]
    pub(crate) fn coco_coord(&self) -> Option<f32> {
        // A decimal with at most 2 fraction digits (and below 10^15 in
        // hundredths) parses to the f64 nearest k/100, which round(x, 2)
        // returns unchanged: the coordinate is that f64 as f32.
        if !self.truncated && (-2..=0).contains(&self.exp10) && self.mant < 1_000_000_000_000_000 {
            return self.f32_of_f64();
        }
        self.f64().map(|v| round2(v) as f32)
    }
}

/// Whether `y` (non-negative) is a normal f32 magnitude whose f64 bits
/// are more than `margin` steps from an f32 rounding boundary (the low 29
/// of the 52 mantissa bits at 2^28): then every f64 within `margin` steps
/// rounds to the same f32 as `y`. The f32 normals' grid is the f64 one
/// with 29 bits less.
#[inline(always)]
fn decides_f32(y: f64, margin: u64) -> bool {
    let low = y.to_bits() & ((1 << 29) - 1);
    (f64::from(f32::MIN_POSITIVE) * 2.0..=3.0e38).contains(&y) && low.abs_diff(1 << 28) > margin
}

/// Python's `round(x, 2)` (correctly rounded to 2 decimals, ties to even),
/// the same function as the binary writer's, computed exactly in integers:
/// x·100 = m·100·2^e exactly (m < 2^53, so m·100 < 2^60), rounded to an
/// integer q half to even, then q/100 in one correctly rounded division,
/// i.e. the double nearest the decimal `q/100`.
pub(crate) fn round2(x: f64) -> f64 {
    let a = x.abs();
    // Larger values (and non-finite ones) take the general function.
    if !a.is_finite() || a >= 9.0e13 {
        return crate::binary::record::round2(x);
    }
    let bits = a.to_bits();
    let biased = (bits >> 52) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), biased - 1075)
    };
    // a < 2^47 and m ≥ 2^52 for normals, so e < 0 always.
    let big = m * 100;
    let shift = e.unsigned_abs();
    let q = if shift >= 64 {
        0 // big < 2^60: big / 2^shift < 1/16
    } else {
        let q = big >> shift;
        let r = big & ((1u64 << shift) - 1);
        let half = 1u64 << (shift - 1);
        if r > half || (r == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    let v = q as f64 / 100.0;
    if x.is_sign_negative() { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic generator (splitmix64).
    fn rng(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn num(text: &str) -> Number<'_> {
        let mut s = crate::text::scan::Scanner::new(text.as_bytes(), std::path::Path::new("t"));
        s.number().expect("a number")
    }

    /// The number as the bulk reader (`Scanner::numbers`, with its short
    /// path) reads it inside a list.
    fn bulk(text: &str, conv: fn(&Number<'_>) -> Option<f32>) -> Option<f32> {
        let doc = format!("[{text},{text}]");
        let mut s = crate::text::scan::Scanner::new(doc.as_bytes(), std::path::Path::new("t"));
        let mut out = Vec::new();
        let mut m = s.array().expect("a list");
        match s.numbers(&mut m, &mut out, "a number", conv) {
            Ok(true) => {
                assert_eq!(out.len(), 2, "{text}");
                assert_eq!(
                    out.first().map(|v| v.to_bits()),
                    out.get(1).map(|v| v.to_bits())
                );
                out.first().copied()
            }
            _ => None,
        }
    }

    #[test]
    fn round2_matches_the_general_function() {
        let mut st = 7;
        let check = |x: f64| {
            assert_eq!(
                round2(x).to_bits(),
                crate::binary::record::round2(x).to_bits(),
                "{x:e}"
            );
        };
        for x in [
            0.125, 0.375, 2.675, 1.005, -0.125, -0.001, 0.0, -0.0, 5e-324, 1e-300,
        ] {
            check(x);
        }
        for _ in 0..60_000 {
            let r = rng(&mut st);
            // Ties (odd multiples of 1/200 that are exact), short decimals,
            // their sums and arbitrary doubles of all magnitudes.
            let k = (r % 2_000_000) as f64;
            check((2.0 * k + 1.0) / 8.0);
            check(k / 100.0 + (r >> 40) as f64 / 100.0);
            check(k / 1000.0);
            let bits = rng(&mut st);
            let x = f64::from_bits(bits);
            if x.is_finite() && x.abs() < 1e15 {
                check(x);
            }
            let x = (bits >> 11) as f64 / (1u64 << 53) as f64 * 1e4;
            check(x);
            check(-x);
        }
    }

    #[test]
    fn numbers_match_the_standard_parser() {
        let mut st = 11;
        let mut texts = vec![
            "0".to_owned(),
            "-0".into(),
            "-0.0".into(),
            "1e22".into(),
            "1e23".into(),
            "9007199254740993".into(),
            "123.45".into(),
            "0.000001".into(),
            "1.7976931348623157e308".into(),
            "4.9e-324".into(),
            "3.4028235677973366e38".into(),
            "1.1754943508222875e-38".into(),
            "1.401298464324817e-45".into(),
            "12345678901234567890123".into(),
            "0.1234567890123456789012".into(),
            "0.5".into(),
            "-0.25".into(),
            "0.000000000000000000001".into(),
            "1234567890123456789".into(),
            "12345678901234567891".into(),
            "1.234567890123456789".into(),
            "12.34567890123456789".into(),
            "99999999.99999999999".into(),
            "12345678.12345678".into(),
            "7".into(),
        ];
        // Every fraction length around the two eight-digit steps.
        for k in 1..=24 {
            let digits: String = "91827364554637281928374655".chars().take(k).collect();
            texts.push(format!("3.{digits}"));
            texts.push(format!("-123.{digits}"));
            texts.push(format!("0.{digits}"));
            texts.push(format!("0.{digits}e-3"));
        }
        for _ in 0..30_000 {
            // f32 values widened and printed shortest (Datumaro JSON's).
            let f = f32::from_bits(rng(&mut st) as u32);
            if f.is_finite() {
                texts.push(format!("{}", f64::from(f)));
                texts.push(format!("{:e}", f64::from(f)));
            }
            let d = f64::from_bits(rng(&mut st));
            if d.is_finite() {
                texts.push(format!("{d}"));
            }
            let r = rng(&mut st);
            texts.push(format!("{}.{:02}", r % 100_000, (r >> 32) % 100));
            texts.push(format!("-{}.{}", r % 1000, r >> 20));
        }
        for t in &texts {
            let n = num(t);
            let exact: f64 = t.parse().expect("valid");
            let want = exact.is_finite().then_some(exact);
            assert_eq!(n.f64().map(f64::to_bits), want.map(f64::to_bits), "{t}");
            assert_eq!(
                n.f32_of_f64().map(f32::to_bits),
                want.map(|v| (v as f32).to_bits()),
                "{t}"
            );
            let coord = want.map(|v| (crate::binary::record::round2(v) as f32).to_bits());
            assert_eq!(n.coco_coord().map(f32::to_bits), coord, "{t}");
            assert_eq!(
                bulk(t, |n| n.f32_of_f64()).map(f32::to_bits),
                want.map(|v| (v as f32).to_bits()),
                "{t}"
            );
            assert_eq!(bulk(t, |n| n.coco_coord()).map(f32::to_bits), coord, "{t}");
        }
    }

    #[test]
    fn box_corners_match_the_exact_sum() {
        let mut st = 5;
        for _ in 0..50_000 {
            // Datumaro JSON's boxes: f32 corners widened, width = x2 - x1
            // in f64, both printed shortest.
            let x1 = f64::from((rng(&mut st) % 100_000) as f32 / 97.0);
            let x2 = f64::from((rng(&mut st) % 100_000) as f32 / 89.0);
            let (x, w) = (x1.min(x2), (x2 - x1).abs());
            let d = f64::from_bits(rng(&mut st) >> 2);
            for (a, b) in [(x, w), (w, x), (d, x), (x, -w), (d, d)] {
                if !(a.is_finite() && b.is_finite()) {
                    continue;
                }
                let (ta, tb) = (format!("{a}"), format!("{b}"));
                let want = (ta.parse::<f64>().expect("a") + tb.parse::<f64>().expect("b")) as f32;
                let got = Number::sum_f32(&num(&ta), &num(&tb));
                assert_eq!(got.map(f32::to_bits), Some(want.to_bits()), "{ta} + {tb}");
            }
        }
    }

    #[test]
    fn integers_follow_serde_json() {
        assert_eq!(num("-0").i64(), None);
        assert_eq!(num("-9223372036854775808").i64(), Some(i64::MIN));
        assert_eq!(num("9223372036854775808").i64(), None);
        assert_eq!(num("18446744073709551615").u64(), Some(u64::MAX));
        assert_eq!(num("18446744073709551616").u64(), None);
        assert_eq!(num("1.0").i64(), None);
        assert_eq!(num("1e2").u64(), None);
        assert_eq!(num("-1").u64(), None);
        assert_eq!(num("0").u64(), Some(0));
    }
}
