//! Writing COCO task files.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::export::{ExportOptions, ExportReport, Naming, check_subset_name, prepare_items};
use crate::meta::write_dataset_meta;
use crate::model::{Annotation, AnnotationKind, Categories, Dataset, Item, Media, MediaType};
use crate::text::orjson::{write_f64, write_f64_array, write_str, write_value};
use crate::{Error, Result};

use super::TASKS;

fn doc_head(out: &mut Vec<u8>, cats: &Categories, with_categories: bool) {
    out.extend_from_slice(br#"{"licenses":[{"name":"","id":0,"url":""}],"info":{"contributor":"","date_created":"","description":"","url":"","version":"","year":""},"categories":["#);
    if with_categories && let Some(l) = &cats.label {
        {
            for (i, lab) in l.labels.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{{\"id\":{},\"name\":", i + 1);
                write_str(out, &lab.name);
                out.extend_from_slice(b",\"supercategory\":");
                write_str(out, &lab.parent);
                out.push(b'}');
            }
        }
    }
    out.extend_from_slice(b"],\"images\":[");
}

fn image_ids(items: &[Item]) -> Vec<u64> {
    let mut next = 1u64;
    let mut used = std::collections::HashSet::new();
    let explicit: Vec<Option<u64>> = items
        .iter()
        .map(|i| {
            i.attributes
                .get("id")
                .and_then(Value::as_u64)
                .filter(|id| used.insert(*id))
        })
        .collect();
    explicit
        .into_iter()
        .map(|e| {
            e.unwrap_or_else(|| {
                while used.contains(&next) {
                    next += 1;
                }
                used.insert(next);
                next
            })
        })
        .collect()
}

fn write_images(out: &mut Vec<u8>, items: &[Item], ids: &[u64]) {
    for (i, (item, id)) in items.iter().zip(ids).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let (h, w, name) = match &item.media {
            Some(Media::Image(img)) => {
                let (h, w) = img.size.unwrap_or((0, 0));
                let name = if Path::new(&img.path).is_absolute() {
                    let ext = Path::new(&img.path)
                        .extension()
                        .map(|e| e.to_string_lossy().into_owned());
                    format!("{}.{}", item.id, ext.unwrap_or_else(|| "jpg".into()))
                } else {
                    img.path.clone()
                };
                (h, w, name)
            }
            _ => (0, 0, format!("{}.jpg", item.id)),
        };
        let _ = write!(
            out,
            "{{\"id\":{id},\"width\":{w},\"height\":{h},\"file_name\":"
        );
        write_str(out, &name);
        out.extend_from_slice(br#","license":0,"flickr_url":"","coco_url":"","date_captured":0}"#);
    }
    out.extend_from_slice(b"],\"annotations\":[");
}

fn nums(out: &mut Vec<u8>, v: &[f64]) {
    write_f64_array(out, v.iter().copied());
}

fn polygon_area(p: &[f64]) -> f64 {
    let n = p.len() / 2;
    let mut s = 0.0;
    for i in 0..n {
        let j = (i + 1) % n;
        let (xi, yi) = (
            p.get(2 * i).copied().unwrap_or(0.0),
            p.get(2 * i + 1).copied().unwrap_or(0.0),
        );
        let (xj, yj) = (
            p.get(2 * j).copied().unwrap_or(0.0),
            p.get(2 * j + 1).copied().unwrap_or(0.0),
        );
        s += xi * yj - xj * yi;
    }
    (s / 2.0).abs()
}

/// Writes `ds` as COCO under `root` (instances, captions and image_info per
/// subset). Only image (or media-less) datasets can be written.
pub fn write_coco(ds: &Dataset, root: &Path, opts: &ExportOptions) -> Result<ExportReport> {
    if !matches!(ds.media_type, MediaType::Image | MediaType::None) {
        return Err(Error::Unsupported(format!(
            "COCO needs image media, this dataset has {}",
            ds.media_type.name()
        )));
    }
    let ann_dir = root.join("annotations");
    std::fs::create_dir_all(&ann_dir).map_err(|e| Error::io(&ann_dir, e))?;
    let mut report = ExportReport::default();
    for s in &ds.subsets {
        check_subset_name(&s.name)?;
        let items = prepare_items(ds, &s.items, root, opts, Naming::Nested, &mut report)?;
        let ids = image_ids(&items);
        let mut next_ann = items
            .iter()
            .flat_map(|i| &i.annotations)
            .map(|a| a.id)
            .max()
            .unwrap_or(0)
            .max(0)
            + 1;
        for task in TASKS {
            let mut out = Vec::new();
            doc_head(&mut out, &ds.categories, task == "instances");
            write_images(&mut out, &items, &ids);
            let mut first = true;
            for (item, image_id) in items.iter().zip(&ids) {
                // Reversed, so that datumaro's reader (which yields an
                // image's annotations in reverse file order) restores ours.
                for a in item.annotations.iter().rev() {
                    let mut ann_id = a.id;
                    if ann_id <= 0 {
                        ann_id = next_ann;
                        next_ann += 1;
                    }
                    let text = match task {
                        "instances" => instance_json(item, a, ann_id, *image_id),
                        "captions" => match &a.kind {
                            AnnotationKind::Caption { caption } => {
                                let mut t = Vec::new();
                                let _ = write!(
                                    t,
                                    "{{\"id\":{ann_id},\"image_id\":{image_id},\"category_id\":0,\"caption\":"
                                );
                                write_str(&mut t, caption);
                                t.push(b'}');
                                Some(t)
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some(t) = text {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        out.extend_from_slice(&t);
                    }
                }
            }
            out.extend_from_slice(b"]}");
            let path = ann_dir.join(format!("{task}_{}.json", s.name));
            let mut f = crate::export::atomic_file(&path, opts.no_fsync)?;
            std::io::Write::write_all(&mut f, &out).map_err(|e| Error::io(&path, e))?;
            f.commit()?;
            report.bytes += out.len() as u64;
            report.files.push(path);
        }
        report.items += items.len();
    }
    if opts.save_dataset_meta {
        write_dataset_meta(root, &ds.categories)?;
    }
    Ok(report)
}

/// The instance record of one annotation, or `None` for kinds COCO
/// instances do not hold (and for a box that is its instance's box).
fn instance_json(item: &Item, a: &Annotation, ann_id: i64, image_id: u64) -> Option<Vec<u8>> {
    let label = a.kind.label()?;
    let crowd = a.attributes.get("is_crowd").and_then(Value::as_bool);
    // An instance's box, when the item holds it as a sibling bbox (same
    // non-zero group and label), as datumaro's COCO importer creates it.
    let instance_box = || {
        (a.group != 0)
            .then(|| {
                item.annotations.iter().find(|o| {
                    o.group == a.group
                        && o.kind.label() == Some(label)
                        && matches!(o.kind, AnnotationKind::Bbox { .. })
                })
            })
            .flatten()
            .and_then(|b| b.kind.bbox_xywh())
    };
    let (seg, area, bbox, iscrowd): (Vec<u8>, f64, [f64; 4], bool) = match &a.kind {
        AnnotationKind::Polygon { points, .. } => {
            let p: Vec<f64> = points.iter().map(|&v| f64::from(v)).collect();
            let mut seg = vec![b'['];
            nums(&mut seg, &p);
            seg.push(b']');
            (
                seg,
                polygon_area(&p),
                instance_box().or_else(|| a.kind.bbox_xywh())?,
                crowd.unwrap_or(false),
            )
        }
        AnnotationKind::Mask { rle, .. } => {
            let mut seg = b"{\"counts\":".to_vec();
            write_value(&mut seg, &json!(rle.runs()));
            let _ = write!(seg, ",\"size\":[{},{}]}}", rle.height(), rle.width());
            let b = instance_box().or_else(|| rle.bbox()).unwrap_or_default();
            (seg, rle.area() as f64, b, crowd.unwrap_or(true))
        }
        AnnotationKind::Bbox { .. } => {
            // The box of an instance written as a polygon or mask.
            let is_instance_box = a.group != 0
                && item.annotations.iter().any(|o| {
                    o.group == a.group
                        && o.kind.label() == Some(label)
                        && matches!(
                            o.kind,
                            AnnotationKind::Polygon { .. } | AnnotationKind::Mask { .. }
                        )
                });
            if is_instance_box {
                return None;
            }
            let b = a.kind.bbox_xywh()?;
            (b"[]".to_vec(), b[2] * b[3], b, crowd.unwrap_or(false))
        }
        _ => return None,
    };
    let mut t = Vec::new();
    let _ = write!(
        t,
        "{{\"id\":{ann_id},\"image_id\":{image_id},\"category_id\":{},\"segmentation\":",
        label.map_or(0, |l| i64::from(l) + 1)
    );
    t.extend_from_slice(&seg);
    t.extend_from_slice(b",\"area\":");
    write_f64(&mut t, area);
    t.extend_from_slice(b",\"bbox\":");
    nums(&mut t, &bbox);
    let _ = write!(t, ",\"iscrowd\":{}", u8::from(iscrowd));
    let mut extra = a.attributes.clone();
    extra.remove("is_crowd");
    if let Some(score) = extra.remove("score") {
        t.extend_from_slice(b",\"score\":");
        write_value(&mut t, &score);
    }
    if !extra.is_empty() {
        t.extend_from_slice(b",\"attributes\":");
        write_value(&mut t, &extra.into());
    }
    t.push(b'}');
    Some(t)
}
