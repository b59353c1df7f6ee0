//! COCO run-length encoded masks, in pycocotools' compressed text form.
//!
//! Runs are column-major (down each column, then the next column), start
//! with a run of zeros (possibly empty) and alternate. The compressed
//! string stores each run (from the third on, as the difference to the run
//! two before) in 5-bit groups, least significant first, each group plus 48
//! as one ASCII char, with bit 5 meaning "more groups follow" and bit 4 of
//! the last group the sign ([spec §6], mask).
//!
//! [spec §6]: ../../../../docs/specs/datumaro-binary.md

use crate::{Error, Result};

/// A binary mask as COCO RLE: size and compressed counts string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rle {
    height: u32,
    width: u32,
    counts: String,
}

impl Rle {
    /// An RLE from a compressed counts string, checked: it must decode to
    /// runs that cover exactly `height × width` pixels.
    pub fn from_compressed(height: u32, width: u32, counts: &str) -> Result<Rle> {
        Rle::from_compressed_string(height, width, counts.to_owned())
    }

    /// [`Rle::from_compressed`] keeping `counts` (checked without
    /// decoding it into a list).
    pub(crate) fn from_compressed_string(height: u32, width: u32, counts: String) -> Result<Rle> {
        let mut total = Some(0u64);
        each_run(&counts, |r| total = total.and_then(|t| t.checked_add(r)))?;
        check_sum(total, height, width)?;
        Ok(Rle {
            height,
            width,
            counts,
        })
    }

    /// An RLE from uncompressed run lengths (COCO's `{"counts": [..]}`).
    pub fn from_runs(height: u32, width: u32, runs: &[u64]) -> Result<Rle> {
        check_total(runs, height, width)?;
        Ok(Rle {
            height,
            width,
            counts: encode_counts(runs),
        })
    }

    /// An RLE of a row-major bitmap (`height × width` bytes, nonzero = set).
    pub fn from_bitmap(height: u32, width: u32, bitmap: &[u8]) -> Result<Rle> {
        let (h, w) = (height as usize, width as usize);
        if h.checked_mul(w) != Some(bitmap.len()) {
            return Err(Error::BadMask(format!(
                "bitmap of {} bytes is not {height}×{width}",
                bitmap.len()
            )));
        }
        let mut runs = Vec::new();
        let mut current = false;
        let mut run = 0u64;
        for x in 0..w {
            for y in 0..h {
                let set = bitmap.get(y * w + x).is_some_and(|&b| b != 0);
                if set != current {
                    runs.push(run);
                    run = 0;
                    current = set;
                }
                run += 1;
            }
        }
        runs.push(run);
        Ok(Rle {
            height,
            width,
            counts: encode_counts(&runs),
        })
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The compressed counts string, exactly as stored.
    pub fn counts(&self) -> &str {
        &self.counts
    }

    /// The run lengths (zeros first).
    pub fn runs(&self) -> Vec<u64> {
        // Checked at construction, so decoding cannot fail here.
        decode_counts(&self.counts).unwrap_or_default()
    }

    /// The row-major bitmap (`height × width` bytes of 0 or 1).
    pub fn to_bitmap(&self) -> Vec<u8> {
        let (h, w) = (self.height as usize, self.width as usize);
        let mut out = vec![0u8; h * w];
        let mut pos = 0usize;
        let mut set = false;
        for run in self.runs() {
            if set {
                for p in pos..pos + run as usize {
                    let (x, y) = (p / h.max(1), p % h.max(1));
                    if let Some(b) = out.get_mut(y * w + x) {
                        *b = 1;
                    }
                }
            }
            pos += run as usize;
            set = !set;
        }
        out
    }

    /// Number of set pixels (pycocotools' `area`).
    pub fn area(&self) -> u64 {
        self.runs().iter().skip(1).step_by(2).sum()
    }

    /// `[x, y, w, h]` of the set pixels (pycocotools' `toBbox`), if any.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        let h = u64::from(self.height.max(1));
        let (mut x0, mut y0, mut x1, mut y1) = (u64::MAX, u64::MAX, 0u64, 0u64);
        let mut pos = 0u64;
        let mut any = false;
        for (i, run) in self.runs().into_iter().enumerate() {
            if i % 2 == 1 && run > 0 {
                any = true;
                let (first, last) = (pos, pos + run - 1);
                let (xa, xb) = (first / h, last / h);
                x0 = x0.min(xa);
                x1 = x1.max(xb);
                if xa == xb {
                    y0 = y0.min(first % h);
                    y1 = y1.max(last % h);
                } else {
                    y0 = 0;
                    y1 = h - 1;
                }
            }
            pos += run;
        }
        any.then(|| {
            [
                x0 as f64,
                y0 as f64,
                (x1 + 1 - x0) as f64,
                (y1 + 1 - y0) as f64,
            ]
        })
    }
}

fn check_total(runs: &[u64], height: u32, width: u32) -> Result<()> {
    check_sum(
        runs.iter().try_fold(0u64, |a, &r| a.checked_add(r)),
        height,
        width,
    )
}

/// Checks the sum of the runs (`None`: it overflowed) against the size.
fn check_sum(total: Option<u64>, height: u32, width: u32) -> Result<()> {
    let want = u64::from(height) * u64::from(width);
    if total != Some(want) {
        return Err(Error::BadMask(format!(
            "runs cover {} pixels, the mask has {height}×{width} = {want}",
            total.map_or_else(|| "too many".to_owned(), |t| t.to_string())
        )));
    }
    Ok(())
}

/// pycocotools' `rleToString`.
fn encode_counts(runs: &[u64]) -> String {
    let mut s = String::with_capacity(runs.len() * 2);
    for (i, &r) in runs.iter().enumerate() {
        let mut x = r as i64;
        if i > 2 {
            x -= runs.get(i - 2).map_or(0, |&p| p as i64);
        }
        loop {
            let mut c = (x & 0x1f) as u8;
            x >>= 5;
            let more = if c & 0x10 != 0 { x != -1 } else { x != 0 };
            if more {
                c |= 0x20;
            }
            s.push(char::from(c + 48));
            if !more {
                break;
            }
        }
    }
    s
}

/// pycocotools' `rleFrString`, checked: every run must be non-negative and
/// fit in 64 bits.
fn decode_counts(s: &str) -> Result<Vec<u64>> {
    let mut runs: Vec<u64> = Vec::with_capacity(s.len());
    each_run(s, |r| runs.push(r))?;
    Ok(runs)
}

/// Calls `f` with each run of a compressed counts string, in order (see
/// [`decode_counts`]); an error for the first bad run.
fn each_run(s: &str, mut f: impl FnMut(u64)) -> Result<()> {
    let bytes = s.as_bytes();
    // A run is coded relative to the one two before it.
    let (mut m, mut before_last, mut last) = (0usize, 0u64, 0u64);
    let mut p = 0usize;
    while p < bytes.len() {
        let mut x: i64 = 0;
        let mut k = 0u32;
        loop {
            let Some(&ch) = bytes.get(p) else {
                return Err(Error::BadMask(format!(
                    "counts end inside a run at char {p}"
                )));
            };
            let c = i64::from(ch)
                .checked_sub(48)
                .filter(|c| (0..64).contains(c))
                .ok_or_else(|| Error::BadMask(format!("bad counts char {ch:#04x} at {p}")))?;
            if k >= 13 {
                return Err(Error::BadMask(format!("run too long at char {p}")));
            }
            x |= (c & 0x1f) << (5 * k);
            p += 1;
            k += 1;
            if c & 0x20 == 0 {
                if c & 0x10 != 0 && 5 * k < 64 {
                    x |= -1i64 << (5 * k);
                }
                break;
            }
        }
        if m > 2 {
            let prev = before_last as i64;
            x = x
                .checked_add(prev)
                .ok_or_else(|| Error::BadMask(format!("run overflows at char {p}")))?;
        }
        if x < 0 {
            return Err(Error::BadMask(format!("negative run {x} before char {p}")));
        }
        f(x as u64);
        (m, before_last, last) = (m + 1, last, x as u64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_strings_decode_and_reencode() {
        // From all_annotation_types: 6×8 masks with areas 12 and 9.
        for (counts, area) in [("=3300000;", 12), ("0150000000000000O0", 9)] {
            let r = Rle::from_compressed(6, 8, counts).unwrap();
            assert_eq!(r.area(), area);
            let back = Rle::from_bitmap(6, 8, &r.to_bitmap()).unwrap();
            assert_eq!(back.counts(), counts);
            assert_eq!(Rle::from_runs(6, 8, &r.runs()).unwrap().counts(), counts);
        }
    }

    #[test]
    fn hostile_strings_are_errors() {
        for bad in ["\u{7f}", "o", "oooooooooooooooo1", "0", "1"] {
            assert!(Rle::from_compressed(6, 8, bad).is_err(), "{bad:?}");
        }
    }
}
