//! Datumaro JSON (`datumaro` format): `annotations/<subset>.json`, one
//! compact orjson document per subset ([spec §8]).
//!
//! The writer reproduces datumaro 1.13.12's bytes (key order, number
//! formatting); the reader accepts any JSON layout of the same document.
//!
//! [spec §8]: ../../../../docs/specs/datumaro-binary.md

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;

use crate::export::{ExportOptions, ExportReport, Naming, check_subset_name, prepare_items};
use crate::meta::{read_dataset_meta, write_dataset_meta};
use crate::model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, Image, Item, Media, MediaType,
    Rle, Subset, Visibility,
};
use crate::text::orjson::{write_f64, write_i64, write_object, write_str, write_value};
use crate::{Error, Result};

// ---------------------------------------------------------------- writing

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b',');
    write_str(out, k);
    out.push(b':');
}

fn f32_list(out: &mut Vec<u8>, v: impl IntoIterator<Item = f32>) {
    out.push(b'[');
    for (i, x) in v.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_f64(out, f64::from(x));
    }
    out.push(b']');
}

fn f64_list(out: &mut Vec<u8>, v: &[f64]) {
    out.push(b'[');
    for (i, &x) in v.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_f64(out, x);
    }
    out.push(b']');
}

fn attrs(out: &mut Vec<u8>, m: &Attributes) {
    write_object(out, m);
}

fn int(out: &mut Vec<u8>, i: impl Into<i64>) {
    write_i64(out, i.into());
}

fn label_id(out: &mut Vec<u8>, l: Option<i32>) {
    key(out, "label_id");
    match l {
        Some(l) => {
            int(out, l);
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn z_order(out: &mut Vec<u8>, z: i32) {
    key(out, "z_order");
    int(out, z);
}

fn write_annotation(out: &mut Vec<u8>, a: &Annotation) {
    out.extend_from_slice(b"{\"id\":");
    int(out, a.id);
    key(out, "type");
    write_str(out, a.kind.name());
    key(out, "attributes");
    attrs(out, &a.attributes);
    out.extend_from_slice(b",\"group\":");
    int(out, a.group);
    if a.object_id >= 0 {
        out.extend_from_slice(b",\"object_id\":");
        int(out, a.object_id);
    }
    match &a.kind {
        AnnotationKind::Label { label } => label_id(out, Some(*label)),
        AnnotationKind::Mask {
            label,
            z_order: z,
            rle,
        } => {
            label_id(out, *label);
            key(out, "rle");
            out.extend_from_slice(b"{\"counts\":");
            write_str(out, rle.counts());
            out.extend_from_slice(b",\"size\":[");
            int(out, rle.height());
            out.push(b',');
            int(out, rle.width());
            out.extend_from_slice(b"]}");
            z_order(out, *z);
        }
        AnnotationKind::Points {
            label,
            z_order: z,
            points,
            visibility,
        } => {
            label_id(out, *label);
            key(out, "points");
            f32_list(out, points.iter().copied());
            z_order(out, *z);
            key(out, "visibility");
            out.push(b'[');
            for (i, v) in visibility.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                int(out, v.code());
            }
            out.push(b']');
        }
        AnnotationKind::Polygon {
            label,
            z_order: z,
            points,
        }
        | AnnotationKind::Polyline {
            label,
            z_order: z,
            points,
        } => {
            label_id(out, *label);
            key(out, "points");
            f32_list(out, points.iter().copied());
            z_order(out, *z);
        }
        AnnotationKind::Ellipse {
            label,
            z_order: z,
            corners,
        } => {
            label_id(out, *label);
            key(out, "points");
            f32_list(out, corners.iter().copied());
            z_order(out, *z);
        }
        AnnotationKind::Bbox {
            label, z_order: z, ..
        } => {
            label_id(out, *label);
            z_order(out, *z);
            key(out, "bbox");
            f64_list(out, &a.kind.bbox_xywh().unwrap_or_default());
        }
        AnnotationKind::Caption { caption } => {
            key(out, "caption");
            write_str(out, caption);
        }
        AnnotationKind::Cuboid3d {
            label,
            position,
            rotation,
            scale,
        } => {
            label_id(out, *label);
            key(out, "position");
            f64_list(out, position);
            key(out, "rotation");
            f64_list(out, rotation);
            key(out, "scale");
            f64_list(out, scale);
        }
        AnnotationKind::Cuboid2d {
            label,
            z_order: z,
            points,
        } => {
            label_id(out, *label);
            key(out, "points");
            out.push(b'[');
            for (i, p) in points.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                f32_list(out, p.iter().copied());
            }
            out.push(b']');
            z_order(out, *z);
        }
    }
    out.push(b'}');
}

fn write_image(out: &mut Vec<u8>, img: &Image) {
    out.extend_from_slice(b"{\"path\":");
    write_str(out, &img.path);
    if let Some((h, w)) = img.size {
        out.extend_from_slice(b",\"size\":[");
        int(out, h);
        out.push(b',');
        int(out, w);
        out.push(b']');
    }
    out.push(b'}');
}

/// One item as datumaro writes it.
pub(crate) fn write_item(out: &mut Vec<u8>, item: &Item) {
    out.extend_from_slice(b"{\"id\":");
    write_str(out, &item.id);
    key(out, "annotations");
    out.push(b'[');
    for (i, a) in item.annotations.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_annotation(out, a);
    }
    out.push(b']');
    if !item.attributes.is_empty() {
        key(out, "attr");
        attrs(out, &item.attributes);
    }
    match &item.media {
        None => {}
        Some(Media::Image(img)) => {
            key(out, "image");
            write_image(out, img);
        }
        Some(Media::PointCloud { path, extra_images }) => {
            key(out, "point_cloud");
            out.extend_from_slice(b"{\"path\":");
            write_str(out, path);
            out.push(b'}');
            if !extra_images.is_empty() {
                key(out, "related_images");
                out.push(b'[');
                for (i, img) in extra_images.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_image(out, img);
                }
                out.push(b']');
            }
        }
        Some(Media::VideoFrame { path, index }) => {
            key(out, "video_frame");
            out.extend_from_slice(b"{\"video_path\":");
            write_str(out, path);
            let _ = write!(out, ",\"frame_index\":{index}}}");
        }
        Some(Media::Video {
            path,
            step,
            start_frame,
            end_frame,
        }) => {
            key(out, "video");
            out.extend_from_slice(b"{\"path\":");
            write_str(out, path);
            let _ = write!(out, ",\"step\":{step},\"start_frame\":{start_frame}");
            if let Some(e) = end_frame.filter(|&e| e != 0) {
                let _ = write!(out, ",\"end_frame\":{e}");
            }
            out.push(b'}');
        }
        Some(Media::MediaElement { path }) => {
            key(out, "media");
            out.extend_from_slice(b"{\"path\":");
            write_str(out, path);
            out.push(b'}');
        }
    }
    out.push(b'}');
}

/// One subset's document, items encoded in parallel (bytes do not depend
/// on the number of threads).
pub fn datumaro_json_document(
    infos: &Attributes,
    categories: &Categories,
    media_type: MediaType,
    items: &[Item],
) -> Vec<u8> {
    let (mut out, parts) = document_parts(infos, categories, media_type, items);
    out.reserve(parts.iter().map(Vec::len).sum::<usize>() + 2);
    for p in &parts {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(b"]}");
    out
}

/// The document's head (up to `"items":[`) and its items in encoded chunks
/// (the closing `]}` follows them), so a file can be written without
/// gathering the whole text in one buffer.
fn document_parts(
    infos: &Attributes,
    categories: &Categories,
    media_type: MediaType,
    items: &[Item],
) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut out = Vec::with_capacity(4096);
    let _ = write!(
        out,
        "{{\"dm_format_version\":\"1.0\",\"media_type\":{}",
        media_type.code()
    );
    key(&mut out, "infos");
    attrs(&mut out, infos);
    key(&mut out, "categories");
    write_value(&mut out, &categories.to_json());
    key(&mut out, "items");
    out.push(b'[');
    let parts: Vec<Vec<u8>> = items
        .par_chunks(256)
        .enumerate()
        .map(|(k, chunk)| {
            let mut buf = Vec::with_capacity(chunk.len() * 1024);
            for (i, item) in chunk.iter().enumerate() {
                if k > 0 || i > 0 {
                    buf.push(b',');
                }
                write_item(&mut buf, item);
            }
            buf
        })
        .collect();
    (out, parts)
}

/// Writes `ds` as Datumaro JSON under `root`.
pub fn write_datumaro_json(
    ds: &Dataset,
    root: &Path,
    opts: &ExportOptions,
) -> Result<ExportReport> {
    let ann = root.join("annotations");
    std::fs::create_dir_all(&ann).map_err(|e| Error::io(&ann, e))?;
    let mut report = ExportReport::default();
    for s in &ds.subsets {
        if s.items.is_empty() {
            continue;
        }
        check_subset_name(&s.name)?;
        let items = prepare_items(ds, &s.items, root, opts, Naming::Flat, &mut report)?;
        let (head, parts) = document_parts(&ds.infos, &ds.categories, ds.media_type, &items);
        let path = ann.join(format!("{}.json", s.name));
        let mut f = vellum_format_core::AtomicFile::create(&path)?;
        let mut bytes = 0;
        for p in std::iter::once(&head)
            .chain(&parts)
            .map(Vec::as_slice)
            .chain([&b"]}"[..]])
        {
            f.write_all(p).map_err(|e| Error::io(&path, e))?;
            bytes += p.len() as u64;
        }
        f.commit()?;
        report.items += items.len();
        report.bytes += bytes;
        report.files.push(path);
    }
    if opts.save_dataset_meta {
        write_dataset_meta(root, &ds.categories)?;
    }
    Ok(report)
}

// ---------------------------------------------------------------- reading

/// The `.json` files of `annotations/`, sorted.
pub fn datumaro_json_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("annotations");
    let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Whether `root` looks like Datumaro JSON (an `annotations/*.json` whose
/// document starts with `dm_format_version` or holds `items`).
pub fn is_datumaro_json(root: &Path) -> bool {
    datumaro_json_files(root).is_ok_and(|files| {
        !files.is_empty()
            && files.iter().all(|f| {
                vellum_format_core::read_prefix(f, 4096).is_ok_and(|p| {
                    let s = String::from_utf8_lossy(&p);
                    s.contains("\"dm_format_version\"") || s.contains("\"items\"")
                })
            })
    })
}

struct Ctx<'a> {
    file: &'a Path,
}

impl Ctx<'_> {
    fn bad(&self, reason: impl Into<String>) -> Error {
        Error::BadDocument {
            file: self.file.to_owned(),
            reason: reason.into(),
        }
    }

    fn int<T: TryFrom<i64>>(
        &self,
        v: Option<i64>,
        default: Option<T>,
        at: &dyn Fn() -> String,
    ) -> Result<T> {
        match v {
            None => default.ok_or_else(|| self.bad(format!("{} is missing", at()))),
            Some(x) => T::try_from(x).map_err(|_| self.bad(format!("{} is out of range", at()))),
        }
    }
}

// The document, typed: serde fills these straight from the text (no
// intermediate `Value` tree), unknown keys are ignored.

#[derive(Debug, Deserialize)]
struct JsonDocument {
    #[serde(default)]
    media_type: Option<u64>,
    #[serde(default)]
    infos: Option<Attributes>,
    #[serde(default)]
    categories: Option<Attributes>,
    #[serde(default)]
    items: Option<Vec<JsonItem>>,
}

#[derive(Debug, Deserialize)]
struct JsonImage {
    path: String,
    #[serde(default)]
    size: Option<Vec<u64>>,
}

#[derive(Debug, Deserialize)]
struct JsonPath {
    path: String,
}

#[derive(Debug, Deserialize)]
struct JsonVideoFrame {
    video_path: String,
    frame_index: u64,
}

#[derive(Debug, Deserialize)]
struct JsonVideo {
    path: String,
    #[serde(default)]
    step: Option<u64>,
    #[serde(default)]
    start_frame: Option<u64>,
    #[serde(default)]
    end_frame: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct JsonItem {
    id: String,
    #[serde(default)]
    annotations: Option<Vec<JsonAnnotation>>,
    #[serde(default)]
    attr: Option<Attributes>,
    #[serde(default)]
    image: Option<JsonImage>,
    #[serde(default)]
    point_cloud: Option<JsonPath>,
    #[serde(default)]
    related_images: Option<Vec<JsonImage>>,
    #[serde(default)]
    video_frame: Option<JsonVideoFrame>,
    #[serde(default)]
    video: Option<JsonVideo>,
    #[serde(default)]
    media: Option<JsonPath>,
}

#[derive(Debug, Deserialize)]
struct JsonRle {
    counts: RleCounts,
    size: Vec<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RleCounts {
    Compressed(String),
    Runs(Vec<u64>),
}

#[derive(Debug, Deserialize)]
struct JsonAnnotation {
    #[serde(default)]
    id: Option<i64>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    attributes: Option<Attributes>,
    #[serde(default)]
    group: Option<i64>,
    #[serde(default)]
    object_id: Option<i64>,
    #[serde(default)]
    label_id: Option<i64>,
    #[serde(default)]
    z_order: Option<i64>,
    #[serde(default)]
    points: Option<FlatNumbers>,
    #[serde(default)]
    visibility: Option<Vec<i64>>,
    #[serde(default)]
    bbox: Option<Vec<f64>>,
    #[serde(default)]
    rle: Option<JsonRle>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    position: Option<Vec<f64>>,
    #[serde(default)]
    rotation: Option<Vec<f64>>,
    #[serde(default)]
    scale: Option<Vec<f64>>,
}

/// A list of numbers, flattening one level of nested lists (cuboid_2d
/// writes `[[x, y], ...]`, the other shapes `[x, y, ...]`), narrowed to
/// f32 as they are read (`x as f32` of the f64, as the model stores them).
#[derive(Debug, Default)]
struct FlatNumbers(Vec<f32>);

impl<'de> Deserialize<'de> for FlatNumbers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        /// Appends one element (a number, or a list of numbers) to the
        /// flat list in place: no allocation per number.
        struct Elem<'a>(&'a mut Vec<f32>);
        impl<'de> serde::de::DeserializeSeed<'de> for Elem<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> serde::de::Visitor<'de> for Elem<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a list of numbers")
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<(), E> {
                self.0.push(v as f32);
                Ok(())
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<(), E> {
                self.0.push(v as f64 as f32);
                Ok(())
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<(), E> {
                self.0.push(v as f64 as f32);
                Ok(())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<(), A::Error> {
                while let Some(x) = seq.next_element::<f64>()? {
                    self.0.push(x as f32);
                }
                Ok(())
            }
        }
        struct Outer;
        impl<'de> serde::de::Visitor<'de> for Outer {
            type Value = FlatNumbers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of points")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<FlatNumbers, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while seq.next_element_seed(Elem(&mut v))?.is_some() {}
                Ok(FlatNumbers(v))
            }
        }
        d.deserialize_seq(Outer)
    }
}

fn fixed<const N: usize>(ctx: &Ctx<'_>, v: Vec<f32>, at: &str) -> Result<[f32; N]> {
    let n = v.len();
    <[f32; N]>::try_from(v).map_err(|_| ctx.bad(format!("{at}: {n} values, expected {N}")))
}

fn image_of(ctx: &Ctx<'_>, img: JsonImage, at: &dyn Fn() -> String) -> Result<Image> {
    let size = match img.size {
        None => None,
        Some(s) => match s.as_slice() {
            [h, w] => Some((
                u32::try_from(*h).map_err(|_| ctx.bad(format!("{}.size", at())))?,
                u32::try_from(*w).map_err(|_| ctx.bad(format!("{}.size", at())))?,
            )),
            _ => return Err(ctx.bad(format!("{}.size is not [h, w]", at()))),
        },
    };
    Ok(Image {
        path: img.path,
        size,
    })
}

fn read_annotation(
    ctx: &Ctx<'_>,
    a: JsonAnnotation,
    at: &dyn Fn() -> String,
) -> Result<Option<Annotation>> {
    let label = a
        .label_id
        .map(|l| {
            i32::try_from(l).map_err(|_| ctx.bad(format!("{}.label_id is out of range", at())))
        })
        .transpose()?;
    let z_order: i32 = ctx.int(a.z_order, Some(0), &|| format!("{}.z_order", at()))?;
    let points = |p: Option<FlatNumbers>| -> Result<Vec<f32>> {
        p.map(|p| p.0)
            .ok_or_else(|| ctx.bad(format!("{}.points is missing", at())))
    };
    let kind = match a.kind.as_str() {
        "label" => AnnotationKind::Label {
            label: label.ok_or_else(|| ctx.bad(format!("{}.label_id is missing", at())))?,
        },
        "mask" => {
            let rle = a
                .rle
                .ok_or_else(|| ctx.bad(format!("{}.rle is missing", at())))?;
            let [h, w] = <[u64; 2]>::try_from(rle.size)
                .map_err(|_| ctx.bad(format!("{}.rle.size is not [h, w]", at())))?;
            let (h, w) = (
                u32::try_from(h).map_err(|_| ctx.bad(format!("{}.rle.size", at())))?,
                u32::try_from(w).map_err(|_| ctx.bad(format!("{}.rle.size", at())))?,
            );
            let rle = match rle.counts {
                RleCounts::Compressed(s) => Rle::from_compressed(h, w, &s),
                RleCounts::Runs(r) => Rle::from_runs(h, w, &r),
            }
            .map_err(|e| ctx.bad(format!("{}.rle: {e}", at())))?;
            AnnotationKind::Mask {
                label,
                z_order,
                rle,
            }
        }
        "points" => {
            let pts = points(a.points)?;
            let visibility = match a.visibility {
                None => vec![Visibility::Visible; pts.len() / 2],
                Some(v) => v
                    .into_iter()
                    .map(|x| {
                        Visibility::from_code(x)
                            .ok_or_else(|| ctx.bad(format!("{}.visibility holds {x}", at())))
                    })
                    .collect::<Result<_>>()?,
            };
            AnnotationKind::Points {
                label,
                z_order,
                points: pts,
                visibility,
            }
        }
        "polygon" => AnnotationKind::Polygon {
            label,
            z_order,
            points: points(a.points)?,
        },
        "polyline" => AnnotationKind::Polyline {
            label,
            z_order,
            points: points(a.points)?,
        },
        "bbox" => {
            let b = a
                .bbox
                .ok_or_else(|| ctx.bad(format!("{}.bbox is missing", at())))?;
            let [x, y, w, h] = <[f64; 4]>::try_from(b)
                .map_err(|_| ctx.bad(format!("{}.bbox is not [x, y, w, h]", at())))?;
            AnnotationKind::Bbox {
                label,
                z_order,
                corners: [x as f32, y as f32, (x + w) as f32, (y + h) as f32],
            }
        }
        "ellipse" => AnnotationKind::Ellipse {
            label,
            z_order,
            corners: fixed::<4>(ctx, points(a.points)?, &format!("{}.points", at()))?,
        },
        "caption" => AnnotationKind::Caption {
            caption: a
                .caption
                .ok_or_else(|| ctx.bad(format!("{}.caption is missing", at())))?,
        },
        "cuboid_3d" => {
            let three = |v: Option<Vec<f64>>, k: &str| -> Result<[f64; 3]> {
                v.and_then(|v| <[f64; 3]>::try_from(v).ok())
                    .ok_or_else(|| ctx.bad(format!("{}.{k} is not 3 numbers", at())))
            };
            AnnotationKind::Cuboid3d {
                label,
                position: three(a.position, "position")?,
                rotation: three(a.rotation, "rotation")?,
                scale: three(a.scale, "scale")?,
            }
        }
        "cuboid_2d" => {
            let v = fixed::<16>(ctx, points(a.points)?, &format!("{}.points", at()))?;
            let mut points = [[0f32; 2]; 8];
            for (p, c) in points.iter_mut().zip(v.chunks_exact(2)) {
                *p = [c[0], c[1]];
            }
            AnnotationKind::Cuboid2d {
                label,
                z_order,
                points,
            }
        }
        // Kinds DatumaroBinary cannot hold (hash_key, tabular, ...) are skipped.
        _ => return Ok(None),
    };
    // datumaro never reads a caption's object_id back from JSON.
    let object_id = if matches!(kind, AnnotationKind::Caption { .. }) {
        -1
    } else {
        ctx.int(a.object_id, Some(-1), &|| format!("{}.object_id", at()))?
    };
    Ok(Some(Annotation {
        id: a.id.unwrap_or(0),
        group: a.group.unwrap_or(0),
        object_id,
        attributes: a.attributes.unwrap_or_default(),
        kind,
    }))
}

fn read_item(ctx: &Ctx<'_>, j: JsonItem, subset: &str, index: usize) -> Result<Item> {
    let at = || format!("items[{index}]");
    let mut item = Item::new(j.id, subset);
    item.attributes = j.attr.unwrap_or_default();
    item.media = if let Some(img) = j.image {
        Some(Media::Image(image_of(ctx, img, &|| {
            format!("{}.image", at())
        })?))
    } else if let Some(pc) = j.point_cloud {
        let extra_images = j
            .related_images
            .unwrap_or_default()
            .into_iter()
            .map(|i| image_of(ctx, i, &|| format!("{}.related_images[]", at())))
            .collect::<Result<_>>()?;
        Some(Media::PointCloud {
            path: pc.path,
            extra_images,
        })
    } else if let Some(vf) = j.video_frame {
        Some(Media::VideoFrame {
            path: vf.video_path,
            index: ctx.int(
                Some(i64::try_from(vf.frame_index).unwrap_or(-1)),
                None,
                &|| format!("{}.video_frame.frame_index", at()),
            )?,
        })
    } else if let Some(vd) = j.video {
        let u = |v: Option<u64>, d: u32, k: &str| -> Result<u32> {
            v.map_or(Ok(d), |v| {
                u32::try_from(v).map_err(|_| ctx.bad(format!("{}.video.{k} is out of range", at())))
            })
        };
        Some(Media::Video {
            path: vd.path,
            step: u(vd.step, 1, "step")?,
            start_frame: u(vd.start_frame, 0, "start_frame")?,
            end_frame: vd
                .end_frame
                .map(|e| u(Some(e), 0, "end_frame"))
                .transpose()?,
        })
    } else {
        j.media.map(|m| Media::MediaElement { path: m.path })
    };
    for (k, a) in j.annotations.unwrap_or_default().into_iter().enumerate() {
        if let Some(a) = read_annotation(ctx, a, &|| format!("{}.annotations[{k}]", at()))? {
            item.annotations.push(a);
        }
    }
    Ok(item)
}

/// Parses one subset document.
pub fn parse_datumaro_json(
    file: &Path,
    bytes: &[u8],
    subset: &str,
) -> Result<(Attributes, Categories, MediaType, Vec<Item>)> {
    let ctx = Ctx { file };
    let doc: JsonDocument = serde_json::from_slice(bytes).map_err(|e| ctx.bad(e.to_string()))?;
    let categories = match &doc.categories {
        None => Categories::default(),
        Some(c) => Categories::from_json(c).map_err(|e| ctx.bad(e.to_string()))?,
    };
    let media_type = match doc.media_type {
        None => MediaType::Image,
        Some(m) => u32::try_from(m)
            .ok()
            .and_then(MediaType::from_code)
            .ok_or_else(|| ctx.bad("media_type is not a known code"))?,
    };
    let items = doc
        .items
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, it)| read_item(&ctx, it, subset, i))
        .collect::<Result<_>>()?;
    Ok((doc.infos.unwrap_or_default(), categories, media_type, items))
}

/// Reads a Datumaro JSON dataset folder.
pub fn read_datumaro_json(root: &Path) -> Result<Dataset> {
    let mut ds = Dataset {
        media_root: Some(std::path::absolute(root).map_err(|e| Error::io(root, e))?),
        ..Dataset::default()
    };
    for (i, f) in datumaro_json_files(root)?.iter().enumerate() {
        let subset = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(f).map_err(|e| Error::io(f, e))?;
        let (infos, cats, mt, items) = parse_datumaro_json(f, &bytes, &subset)?;
        if i == 0 {
            ds.infos = infos;
            ds.media_type = mt;
        }
        if ds.categories.is_empty() {
            ds.categories = cats;
        }
        ds.subsets.push(Subset {
            name: subset,
            items,
        });
    }
    if ds.categories.is_empty()
        && let Some(c) = read_dataset_meta(root)?
    {
        ds.categories = c;
    }
    Ok(ds)
}
