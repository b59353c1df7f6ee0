//! COCO (`instances`, `captions`, `image_info` task files) read and write,
//! following datumaro's `coco` importer ([spec §8.4]).
//!
//! Reading: one item per image (id = `file_name` without extension, sorted
//! by id, attribute `id` = the COCO image id); per instance a polygon per
//! segmentation part or a mask for RLE segmentations, each followed by the
//! instance's bbox (group = id = the COCO annotation id), in reverse file
//! order as datumaro yields them; captions after instances. Coordinates are
//! rounded to 2 decimals, as datumaro's shapes are.
//!
//! Writing: polygons, masks (uncompressed RLE, `iscrowd` 1), boxes (a box
//! that shares a non-zero group and label with a polygon or mask is the
//! instance's box and not written again), captions and image info.
//! Polylines, ellipses, points, cuboids and labels are not exported (listed
//! in docs/datumaro.md).
//!
//! [spec §8.4]: ../../../../docs/specs/datumaro-binary.md

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::binary::record::round2;
use crate::export::{ExportOptions, ExportReport, Naming, check_subset_name, prepare_items};
use crate::meta::write_dataset_meta;
use crate::model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, Image, Item, Label,
    LabelCategories, Media, MediaType, Rle, Subset,
};
use crate::text::orjson::{write_f64, write_str, write_value};
use crate::{Error, Result};

/// Task files datumaro's COCO exporter writes that we read and write.
const TASKS: [&str; 3] = ["instances", "captions", "image_info"];

fn task_files(root: &Path) -> Result<Vec<(String, String, PathBuf)>> {
    let dir = root.join("annotations");
    let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut out = Vec::new();
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        let Some(stem) = p.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
            continue;
        };
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        for t in TASKS {
            if let Some(subset) = stem.strip_prefix(t).and_then(|s| s.strip_prefix('_')) {
                out.push((t.to_owned(), subset.to_owned(), p.clone()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether `root` holds COCO task files under `annotations/`.
pub fn is_coco(root: &Path) -> bool {
    task_files(root).is_ok_and(|f| !f.is_empty())
}

struct Doc<'a> {
    file: &'a Path,
}

impl Doc<'_> {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::BadDocument {
            file: self.file.to_owned(),
            reason: reason.into(),
        }
    }
}

fn coord(x: f64) -> f32 {
    round2(x) as f32
}

/// Reads a COCO dataset folder (`annotations/<task>_<subset>.json`).
pub fn read_coco(root: &Path) -> Result<Dataset> {
    let root = &std::path::absolute(root).map_err(|e| Error::io(root, e))?;
    let mut ds = Dataset {
        media_root: Some(root.clone()),
        ..Dataset::default()
    };
    // subset → image id → item
    let mut subsets: BTreeMap<String, BTreeMap<u64, Item>> = BTreeMap::new();
    let mut cat_index: HashMap<u64, i32> = HashMap::new();
    let files = task_files(root)?;
    // instances first (they define the categories), then captions, then image_info.
    let order = |t: &str| TASKS.iter().position(|x| *x == t).unwrap_or(9);
    let mut files = files;
    files.sort_by_key(|a| (a.1.clone(), order(&a.0)));
    for (task, subset, path) in &files {
        let doc = Doc { file: path };
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let file: CocoFile = serde_json::from_slice(&bytes).map_err(|e| doc.bad(e.to_string()))?;
        if task == "instances" && ds.categories.label.is_none() {
            let mut lc = LabelCategories::default();
            for (i, c) in file.categories.into_iter().enumerate() {
                lc.labels.push(Label {
                    name: c.name,
                    parent: c.supercategory.unwrap_or_default(),
                    attributes: Vec::new(),
                });
                cat_index.insert(c.id, i32::try_from(i).unwrap_or(i32::MAX));
            }
            ds.categories.label = Some(lc);
        }
        let items = subsets.entry(subset.clone()).or_default();
        let images_dir = if root.join("images").join(subset).is_dir() {
            None
        } else {
            Some(root.join("images"))
        };
        for img in file.images {
            let (w, h) = (img.width.unwrap_or(0.0), img.height.unwrap_or(0.0));
            items.entry(img.id).or_insert_with(|| {
                let stem = Path::new(&img.file_name).with_extension("");
                let mut item =
                    Item::new(stem.to_string_lossy().replace('\\', "/"), subset.as_str());
                item.attributes.insert("id".into(), json!(img.id));
                let path = match &images_dir {
                    None => img.file_name.clone(),
                    Some(d) => d.join(&img.file_name).to_string_lossy().into_owned(),
                };
                let size = (w >= 1.0 && h >= 1.0).then_some((h as u32, w as u32));
                item.media = Some(Media::Image(Image { path, size }));
                item
            });
        }
        // datumaro yields an image's annotations in reverse file order.
        let mut per_image: Vec<(u64, Vec<Annotation>)> = Vec::with_capacity(file.annotations.len());
        for (i, a) in file.annotations.into_iter().enumerate() {
            let image_id = a.image_id;
            let out = if task == "captions" {
                let id = a.id.unwrap_or(0);
                vec![Annotation {
                    id,
                    group: id,
                    object_id: -1,
                    attributes: Map::new(),
                    kind: AnnotationKind::Caption {
                        caption: a.caption.unwrap_or_default(),
                    },
                }]
            } else if task == "instances" {
                instance(&doc, a, &cat_index, i)?
            } else {
                Vec::new()
            };
            if !out.is_empty() {
                per_image.push((image_id, out));
            }
        }
        for (image_id, anns) in per_image.into_iter().rev() {
            let item = items.get_mut(&image_id).ok_or_else(|| {
                doc.bad(format!("an annotation refers to unknown image {image_id}"))
            })?;
            item.annotations.extend(anns);
        }
    }
    for (name, items) in subsets {
        let mut items: Vec<Item> = items.into_values().collect();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        ds.subsets.push(Subset { name, items });
    }
    ds.media_type = MediaType::Image;
    Ok(ds)
}

fn instance(
    doc: &Doc<'_>,
    a: CocoAnnotation,
    cats: &HashMap<u64, i32>,
    index: usize,
) -> Result<Vec<Annotation>> {
    let at = || format!("annotations[{index}]");
    let id = a.id.unwrap_or(0);
    let label = match a.category_id {
        None | Some(0) => None,
        Some(c) => Some(
            *cats
                .get(&c)
                .ok_or_else(|| doc.bad(format!("{}.category_id {c} is not a category", at())))?,
        ),
    };
    let mut attributes = a.attributes.unwrap_or_default();
    if let Some(s) = a.score {
        attributes.insert("score".into(), s);
    }
    attributes.insert("is_crowd".into(), json!(a.iscrowd.unwrap_or(0) != 0));
    let mut out = Vec::new();
    let mut push = |kind, attributes: &Attributes| {
        out.push(Annotation {
            id,
            group: id,
            object_id: -1,
            attributes: attributes.clone(),
            kind,
        });
    };
    match a.segmentation {
        Some(Segmentation::Polygons(polys)) => {
            for pts in polys {
                push(
                    AnnotationKind::Polygon {
                        label,
                        z_order: 0,
                        points: pts,
                    },
                    &attributes,
                );
            }
        }
        Some(Segmentation::Rle { counts, size }) => {
            let (Some(&h), Some(&w)) = (size.first(), size.get(1)) else {
                return Err(doc.bad(format!("{}.segmentation.size is not [h, w]", at())));
            };
            let (h, w) = (
                u32::try_from(h).map_err(|_| doc.bad(format!("{}.segmentation.size", at())))?,
                u32::try_from(w).map_err(|_| doc.bad(format!("{}.segmentation.size", at())))?,
            );
            let rle = match counts {
                Counts::Compressed(s) => Rle::from_compressed(h, w, &s),
                Counts::Runs(r) => Rle::from_runs(h, w, &r),
            }
            .map_err(|e| doc.bad(format!("{}.segmentation: {e}", at())))?;
            push(
                AnnotationKind::Mask {
                    label,
                    z_order: 0,
                    rle,
                },
                &attributes,
            );
        }
        None => {}
    }
    if let Some(b) = a.bbox {
        let [x, y, w, h] = <[f64; 4]>::try_from(b)
            .map_err(|_| doc.bad(format!("{}.bbox is not [x, y, w, h]", at())))?;
        push(
            AnnotationKind::Bbox {
                label,
                z_order: 0,
                corners: [coord(x), coord(y), coord(x + w), coord(y + h)],
            },
            &attributes,
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------- the COCO document

/// A COCO task file; unknown keys are ignored.
#[derive(Debug, Deserialize)]
struct CocoFile {
    #[serde(default)]
    categories: Vec<CocoCategory>,
    #[serde(default)]
    images: Vec<CocoImage>,
    #[serde(default)]
    annotations: Vec<CocoAnnotation>,
}

#[derive(Debug, Deserialize)]
struct CocoCategory {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    supercategory: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CocoImage {
    id: u64,
    file_name: String,
    #[serde(default)]
    width: Option<f64>,
    #[serde(default)]
    height: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct CocoAnnotation {
    #[serde(default)]
    id: Option<i64>,
    image_id: u64,
    #[serde(default)]
    category_id: Option<u64>,
    #[serde(default)]
    segmentation: Option<Segmentation>,
    #[serde(default)]
    bbox: Option<Vec<f64>>,
    #[serde(default)]
    iscrowd: Option<u64>,
    #[serde(default)]
    score: Option<Value>,
    #[serde(default)]
    attributes: Option<Attributes>,
    #[serde(default)]
    caption: Option<String>,
}

/// `segmentation`: polygons (a list of point lists, already rounded to 2
/// decimals and narrowed to f32) or an RLE object.
#[derive(Debug)]
enum Segmentation {
    Polygons(Vec<Vec<f32>>),
    Rle { counts: Counts, size: Vec<u64> },
}

/// RLE counts: compressed string or run lengths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Counts {
    Compressed(String),
    Runs(Vec<u64>),
}

/// One polygon's coordinates, rounded as they are read ([`coord`]), so the
/// f64 list is never built.
struct Polygon(Vec<f32>);

impl<'de> Deserialize<'de> for Polygon {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Polygon;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of coordinates")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Polygon, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(x) = seq.next_element::<f64>()? {
                    v.push(coord(x));
                }
                Ok(Polygon(v))
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for Segmentation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Segmentation;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of polygons or an RLE object")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Segmentation, A::Error> {
                let mut polys = Vec::new();
                while let Some(Polygon(p)) = seq.next_element::<Polygon>()? {
                    polys.push(p);
                }
                Ok(Segmentation::Polygons(polys))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Segmentation, A::Error> {
                let (mut counts, mut size) = (None, None);
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "counts" => counts = Some(map.next_value::<Counts>()?),
                        "size" => size = Some(map.next_value::<Vec<u64>>()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Segmentation::Rle {
                    counts: counts.ok_or_else(|| serde::de::Error::missing_field("counts"))?,
                    size: size.ok_or_else(|| serde::de::Error::missing_field("size"))?,
                })
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------- writing

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
    out.push(b'[');
    for (i, &x) in v.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_f64(out, x);
    }
    out.push(b']');
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
            vellum_format_core::write_atomic(&path, &out)?;
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
        write_value(&mut t, &Value::Object(extra));
    }
    t.push(b'}');
    Some(t)
}
