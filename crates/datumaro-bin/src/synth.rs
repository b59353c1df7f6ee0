//! A deterministic synthetic COCO-instances dataset, shaped like the one the
//! datumaro peer benchmark generates (`peers/datumaro_bench.py gen`).
//!
//! Per image: 3 polygons of 20–40 points (each a polygon plus a bbox in
//! datumaro), 1 bbox-only annotation, and on every 10th image an `iscrowd`
//! uncompressed-RLE rectangle mask: about 7.2 datumaro annotations per item.
//! No image files are written (only `images/default/` exists, as datumaro's
//! COCO importer requires). The random generator is our own SplitMix64, so
//! the values differ from the Python script's, but the shape and sizes match.

use std::path::Path;

use serde_json::{Value, json};

use crate::{Error, Result};

/// Number of categories (`class_01` … `class_20`).
pub const CATEGORIES: usize = 20;
/// Image width in pixels.
pub const WIDTH: u32 = 640;
/// Image height in pixels.
pub const HEIGHT: u32 = 480;

/// What [`write_coco`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Images written.
    pub images: usize,
    /// COCO annotations written.
    pub annotations: usize,
    /// Categories written.
    pub categories: usize,
    /// Size of `instances_default.json` in bytes.
    pub bytes: u64,
}

/// SplitMix64: tiny, fast and deterministic across platforms.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [a, b).
    fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
    /// Uniform integer in [a, b] inclusive.
    fn int(&mut self, a: u64, b: u64) -> u64 {
        a + self.next_u64() % (b - a + 1)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn polygon(rng: &mut Rng, n: u64, cx: f64, cy: f64, r: f64) -> Vec<f64> {
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let mut pts = Vec::with_capacity(2 * n as usize);
    for k in 0..n {
        let a = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
        let rr = r * rng.uniform(0.6, 1.0);
        let x = (cx + rr * a.cos()).clamp(0.0, w - 1.0);
        let y = (cy + rr * a.sin()).clamp(0.0, h - 1.0);
        pts.push(round2(x));
        pts.push(round2(y));
    }
    pts
}

fn bbox_of(pts: &[f64]) -> [f64; 4] {
    let xs = pts.iter().step_by(2);
    let ys = pts.iter().skip(1).step_by(2);
    let x0 = xs.clone().copied().fold(f64::INFINITY, f64::min);
    let x1 = xs.copied().fold(f64::NEG_INFINITY, f64::max);
    let y0 = ys.clone().copied().fold(f64::INFINITY, f64::min);
    let y1 = ys.copied().fold(f64::NEG_INFINITY, f64::max);
    [round2(x0), round2(y0), round2(x1 - x0), round2(y1 - y0)]
}

/// Uncompressed column-major COCO RLE of the filled rectangle
/// `[x0, x1) × [y0, y1)`.
fn rect_rle(x0: u64, y0: u64, x1: u64, y1: u64) -> Value {
    let h = u64::from(HEIGHT);
    let total = u64::from(WIDTH) * h;
    let start = x0 * h + y0;
    let mut counts = vec![start];
    let mut pos = start;
    for col in x0..x1 {
        let on = y1 - y0;
        counts.push(on);
        pos += on;
        if col != x1 - 1 {
            counts.push(h - on);
            pos += h - on;
        }
    }
    counts.push(total - pos);
    json!({ "counts": counts, "size": [HEIGHT, WIDTH] })
}

/// Builds the COCO-instances document for `items` images from `seed`.
pub fn coco_document(items: usize, seed: u64) -> Value {
    let mut rng = Rng(seed);
    let (w, h) = (f64::from(WIDTH), f64::from(HEIGHT));
    let mut images = Vec::with_capacity(items);
    let mut anns = Vec::with_capacity(items * 5);
    let mut ann_id = 1u64;
    for i in 1..=items as u64 {
        images.push(json!({
            "id": i, "file_name": format!("{i:06}.jpg"), "width": WIDTH, "height": HEIGHT
        }));
        for _ in 0..3 {
            let n = rng.int(20, 40);
            let r = rng.uniform(10.0, 80.0);
            let cx = rng.uniform(r, w - r);
            let cy = rng.uniform(r, h - r);
            let pts = polygon(&mut rng, n, cx, cy, r);
            let bb = bbox_of(&pts);
            anns.push(json!({
                "id": ann_id, "image_id": i, "category_id": rng.int(1, CATEGORIES as u64),
                "segmentation": [pts], "area": round2(bb[2] * bb[3] * 0.7), "bbox": bb, "iscrowd": 0
            }));
            ann_id += 1;
        }
        let (x, y) = (rng.uniform(0.0, w - 60.0), rng.uniform(0.0, h - 60.0));
        let bb = [
            round2(x),
            round2(y),
            round2(rng.uniform(5.0, 60.0)),
            round2(rng.uniform(5.0, 60.0)),
        ];
        anns.push(json!({
            "id": ann_id, "image_id": i, "category_id": rng.int(1, CATEGORIES as u64),
            "segmentation": [], "area": round2(bb[2] * bb[3]), "bbox": bb, "iscrowd": 0
        }));
        ann_id += 1;
        if i % 10 == 0 {
            let (x0, y0) = (
                rng.int(0, u64::from(WIDTH) - 100),
                rng.int(0, u64::from(HEIGHT) - 100),
            );
            let (x1, y1) = (x0 + rng.int(10, 99), y0 + rng.int(10, 99));
            anns.push(json!({
                "id": ann_id, "image_id": i, "category_id": rng.int(1, CATEGORIES as u64),
                "segmentation": rect_rle(x0, y0, x1, y1), "area": (x1 - x0) * (y1 - y0),
                "bbox": [x0, y0, x1 - x0, y1 - y0], "iscrowd": 1
            }));
            ann_id += 1;
        }
    }
    let cats: Vec<Value> = (1..=CATEGORIES)
        .map(|c| {
            json!({
                "id": c, "name": format!("class_{c:02}"),
                "supercategory": if c % 2 == 1 { "thing" } else { "stuff" }
            })
        })
        .collect();
    json!({
        "info": { "description": "synthetic datumaro bench", "version": "1.0" },
        "licenses": [],
        "images": images,
        "annotations": anns,
        "categories": cats,
    })
}

/// Writes the synthetic dataset to `dir` (`annotations/instances_default.json`
/// and an empty `images/default/`).
pub fn write_coco(dir: &Path, items: usize, seed: u64) -> Result<Summary> {
    let doc = coco_document(items, seed);
    let ann_dir = dir.join("annotations");
    let img_dir = dir.join("images").join("default");
    for d in [&ann_dir, &img_dir] {
        std::fs::create_dir_all(d).map_err(|e| Error::Core(vellum_format_core::Error::io(d, e)))?;
    }
    let path = ann_dir.join("instances_default.json");
    let text = serde_json::to_vec(&doc).expect("a JSON value always serialises");
    vellum_format_core::write_atomic(&path, &text)?;
    let count = |k: &str| doc[k].as_array().map_or(0, Vec::len);
    Ok(Summary {
        images: count("images"),
        annotations: count("annotations"),
        categories: count("categories"),
        bytes: text.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_shaped_like_the_peer() {
        let a = coco_document(50, 1);
        assert_eq!(a, coco_document(50, 1));
        assert_ne!(a, coco_document(50, 2));
        // 4 annotations per image plus one mask per 10 images.
        assert_eq!(a["annotations"].as_array().unwrap().len(), 50 * 4 + 5);
        let masks: Vec<&Value> = a["annotations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["iscrowd"] == 1)
            .collect();
        for m in masks {
            let counts: u64 = m["segmentation"]["counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .sum();
            assert_eq!(counts, u64::from(WIDTH * HEIGHT));
        }
        for p in a["annotations"].as_array().unwrap().iter().take(3) {
            let n = p["segmentation"][0].as_array().unwrap().len();
            assert!((40..=80).contains(&n), "{n}");
        }
    }
}
