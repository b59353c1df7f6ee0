//! Datumaro JSON (`datumaro` format): `annotations/<subset>.json`, one
//! compact orjson document per subset ([spec §8]).
//!
//! The writer reproduces datumaro 1.13.12's bytes (key order, number
//! formatting); the reader accepts any JSON layout of the same document.
//!
//! [spec §8]: ../../../../shared/specs/datumaro-binary.md

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::export::{ExportOptions, ExportReport, Naming, check_subset_name, prepare_items};
use crate::meta::{read_dataset_meta, write_dataset_meta};
use crate::model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, Image, Item, Media, MediaType,
    Rle, Subset, Visibility,
};
use crate::text::orjson::{write_f64, write_str, write_value};
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
    write_value(out, &Value::Object(m.clone()));
}

fn label_id(out: &mut Vec<u8>, l: Option<i32>) {
    key(out, "label_id");
    match l {
        Some(l) => {
            let _ = write!(out, "{l}");
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn z_order(out: &mut Vec<u8>, z: i32) {
    key(out, "z_order");
    let _ = write!(out, "{z}");
}

fn write_annotation(out: &mut Vec<u8>, a: &Annotation) {
    let _ = write!(out, "{{\"id\":{}", a.id);
    key(out, "type");
    write_str(out, a.kind.name());
    key(out, "attributes");
    attrs(out, &a.attributes);
    let _ = write!(out, ",\"group\":{}", a.group);
    if a.object_id >= 0 {
        let _ = write!(out, ",\"object_id\":{}", a.object_id);
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
            let _ = write!(out, ",\"size\":[{},{}]}}", rle.height(), rle.width());
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
                let _ = write!(out, "{}", v.code());
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
        let _ = write!(out, ",\"size\":[{h},{w}]");
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
    let mut out = Vec::new();
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
        .map(|chunk| {
            let mut buf = Vec::with_capacity(chunk.len() * 512);
            for item in chunk {
                buf.push(b',');
                write_item(&mut buf, item);
            }
            buf
        })
        .collect();
    let mut first = true;
    for p in &parts {
        let body = if first {
            p.get(1..).unwrap_or_default()
        } else {
            p
        };
        first = false;
        out.extend_from_slice(body);
    }
    out.extend_from_slice(b"]}");
    out
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
        let doc = datumaro_json_document(&ds.infos, &ds.categories, ds.media_type, &items);
        let path = ann.join(format!("{}.json", s.name));
        vellum_format_core::write_atomic(&path, &doc)?;
        report.items += items.len();
        report.bytes += doc.len() as u64;
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

    fn obj<'v>(&self, v: &'v Value, at: &str) -> Result<&'v Map<String, Value>> {
        v.as_object()
            .ok_or_else(|| self.bad(format!("{at} is not an object")))
    }

    fn str(&self, v: Option<&Value>, at: &str) -> Result<String> {
        v.and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.bad(format!("{at} is not a string")))
    }

    fn int<T: TryFrom<i64>>(&self, v: Option<&Value>, default: Option<T>, at: &str) -> Result<T> {
        match v {
            None | Some(Value::Null) => default.ok_or_else(|| self.bad(format!("{at} is missing"))),
            Some(x) => x
                .as_i64()
                .and_then(|i| T::try_from(i).ok())
                .ok_or_else(|| self.bad(format!("{at} is not an integer in range"))),
        }
    }

    fn nums(&self, v: Option<&Value>, at: &str) -> Result<Vec<f64>> {
        let a = v
            .and_then(Value::as_array)
            .ok_or_else(|| self.bad(format!("{at} is not a list")))?;
        a.iter()
            .map(|x| {
                x.as_f64()
                    .ok_or_else(|| self.bad(format!("{at} holds a non-number")))
            })
            .collect()
    }

    fn label(&self, v: Option<&Value>, at: &str) -> Result<Option<i32>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            x => self.int(x, None, at).map(Some),
        }
    }

    fn image(&self, v: &Value, at: &str) -> Result<Image> {
        let o = self.obj(v, at)?;
        let size = match o.get("size") {
            None | Some(Value::Null) => None,
            Some(s) => {
                let s = s
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| self.bad(format!("{at}.size is not [h, w]")))?;
                Some((
                    self.int(s.first(), None, at)?,
                    self.int(s.get(1), None, at)?,
                ))
            }
        };
        Ok(Image {
            path: self.str(o.get("path"), &format!("{at}.path"))?,
            size,
        })
    }
}

fn f32s(v: Vec<f64>) -> Vec<f32> {
    v.into_iter().map(|x| x as f32).collect()
}

fn fixed<const N: usize>(ctx: &Ctx<'_>, v: Vec<f64>, at: &str) -> Result<[f32; N]> {
    let n = v.len();
    <[f32; N]>::try_from(f32s(v)).map_err(|_| ctx.bad(format!("{at}: {n} values, expected {N}")))
}

fn read_annotation(ctx: &Ctx<'_>, v: &Value, at: &str) -> Result<Option<Annotation>> {
    let o = ctx.obj(v, at)?;
    let ty = ctx.str(o.get("type"), &format!("{at}.type"))?;
    let attributes = match o.get("attributes") {
        None | Some(Value::Null) => Map::new(),
        Some(a) => ctx.obj(a, &format!("{at}.attributes"))?.clone(),
    };
    let label = || ctx.label(o.get("label_id"), &format!("{at}.label_id"));
    let z = || ctx.int(o.get("z_order"), Some(0), &format!("{at}.z_order"));
    let points = || ctx.nums(o.get("points"), &format!("{at}.points"));
    let kind = match ty.as_str() {
        "label" => AnnotationKind::Label {
            label: ctx.int(o.get("label_id"), None, &format!("{at}.label_id"))?,
        },
        "mask" => {
            let rle = o
                .get("rle")
                .ok_or_else(|| ctx.bad(format!("{at}.rle is missing")))?;
            let r = ctx.obj(rle, &format!("{at}.rle"))?;
            let size = ctx.nums(r.get("size"), &format!("{at}.rle.size"))?;
            let (Some(&h), Some(&w)) = (size.first(), size.get(1)) else {
                return Err(ctx.bad(format!("{at}.rle.size is not [h, w]")));
            };
            let (h, w) = (h as u32, w as u32);
            let rle = match r.get("counts") {
                Some(Value::String(s)) => Rle::from_compressed(h, w, s),
                Some(Value::Array(a)) => {
                    let runs: Option<Vec<u64>> = a.iter().map(Value::as_u64).collect();
                    Rle::from_runs(
                        h,
                        w,
                        &runs.ok_or_else(|| ctx.bad(format!("{at}.rle.counts")))?,
                    )
                }
                _ => return Err(ctx.bad(format!("{at}.rle.counts is missing"))),
            }
            .map_err(|e| ctx.bad(format!("{at}.rle: {e}")))?;
            AnnotationKind::Mask {
                label: label()?,
                z_order: z()?,
                rle,
            }
        }
        "points" => {
            let pts = f32s(points()?);
            let visibility = match o.get("visibility") {
                None | Some(Value::Null) => vec![Visibility::Visible; pts.len() / 2],
                Some(v) => v
                    .as_array()
                    .ok_or_else(|| ctx.bad(format!("{at}.visibility is not a list")))?
                    .iter()
                    .map(|x| {
                        x.as_i64()
                            .and_then(Visibility::from_code)
                            .ok_or_else(|| ctx.bad(format!("{at}.visibility holds a bad value")))
                    })
                    .collect::<Result<_>>()?,
            };
            AnnotationKind::Points {
                label: label()?,
                z_order: z()?,
                points: pts,
                visibility,
            }
        }
        "polygon" => AnnotationKind::Polygon {
            label: label()?,
            z_order: z()?,
            points: f32s(points()?),
        },
        "polyline" => AnnotationKind::Polyline {
            label: label()?,
            z_order: z()?,
            points: f32s(points()?),
        },
        "bbox" => {
            let b = ctx.nums(o.get("bbox"), &format!("{at}.bbox"))?;
            let [x, y, w, h] = <[f64; 4]>::try_from(b)
                .map_err(|_| ctx.bad(format!("{at}.bbox is not [x, y, w, h]")))?;
            AnnotationKind::Bbox {
                label: label()?,
                z_order: z()?,
                corners: [x as f32, y as f32, (x + w) as f32, (y + h) as f32],
            }
        }
        "ellipse" => AnnotationKind::Ellipse {
            label: label()?,
            z_order: z()?,
            corners: fixed::<4>(ctx, points()?, &format!("{at}.points"))?,
        },
        "caption" => AnnotationKind::Caption {
            caption: ctx.str(o.get("caption"), &format!("{at}.caption"))?,
        },
        "cuboid_3d" => {
            let three = |k: &str| -> Result<[f64; 3]> {
                let v = ctx.nums(o.get(k), &format!("{at}.{k}"))?;
                <[f64; 3]>::try_from(v).map_err(|_| ctx.bad(format!("{at}.{k} is not 3 numbers")))
            };
            AnnotationKind::Cuboid3d {
                label: label()?,
                position: three("position")?,
                rotation: three("rotation")?,
                scale: three("scale")?,
            }
        }
        "cuboid_2d" => {
            let pts = o
                .get("points")
                .and_then(Value::as_array)
                .ok_or_else(|| ctx.bad(format!("{at}.points is not a list")))?;
            let mut flat = Vec::with_capacity(16);
            for p in pts {
                match p {
                    Value::Array(_) => flat.extend(ctx.nums(Some(p), &format!("{at}.points"))?),
                    x => flat.push(x.as_f64().ok_or_else(|| ctx.bad(format!("{at}.points")))?),
                }
            }
            let v = fixed::<16>(ctx, flat, &format!("{at}.points"))?;
            let mut points = [[0f32; 2]; 8];
            for (p, c) in points.iter_mut().zip(v.chunks_exact(2)) {
                *p = [c[0], c[1]];
            }
            AnnotationKind::Cuboid2d {
                label: label()?,
                z_order: z()?,
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
        ctx.int(o.get("object_id"), Some(-1), &format!("{at}.object_id"))?
    };
    Ok(Some(Annotation {
        id: ctx.int(o.get("id"), Some(0), &format!("{at}.id"))?,
        group: ctx.int(o.get("group"), Some(0), &format!("{at}.group"))?,
        object_id,
        attributes,
        kind,
    }))
}

fn read_item(ctx: &Ctx<'_>, v: &Value, subset: &str, at: &str) -> Result<Item> {
    let o = ctx.obj(v, at)?;
    let mut item = Item::new(ctx.str(o.get("id"), &format!("{at}.id"))?, subset);
    if let Some(a) = o.get("attr").filter(|a| !a.is_null()) {
        item.attributes = ctx.obj(a, &format!("{at}.attr"))?.clone();
    }
    item.media = if let Some(img) = o.get("image") {
        Some(Media::Image(ctx.image(img, &format!("{at}.image"))?))
    } else if let Some(pc) = o.get("point_cloud") {
        let pc = ctx.obj(pc, &format!("{at}.point_cloud"))?;
        let extra_images = match o.get("related_images") {
            None | Some(Value::Null) => Vec::new(),
            Some(r) => r
                .as_array()
                .ok_or_else(|| ctx.bad(format!("{at}.related_images is not a list")))?
                .iter()
                .map(|i| ctx.image(i, &format!("{at}.related_images[]")))
                .collect::<Result<_>>()?,
        };
        Some(Media::PointCloud {
            path: ctx.str(pc.get("path"), &format!("{at}.point_cloud.path"))?,
            extra_images,
        })
    } else if let Some(vf) = o.get("video_frame") {
        let vf = ctx.obj(vf, &format!("{at}.video_frame"))?;
        Some(Media::VideoFrame {
            path: ctx.str(
                vf.get("video_path"),
                &format!("{at}.video_frame.video_path"),
            )?,
            index: ctx.int(
                vf.get("frame_index"),
                None,
                &format!("{at}.video_frame.frame_index"),
            )?,
        })
    } else if let Some(vd) = o.get("video") {
        let vd = ctx.obj(vd, &format!("{at}.video"))?;
        Some(Media::Video {
            path: ctx.str(vd.get("path"), &format!("{at}.video.path"))?,
            step: ctx.int(vd.get("step"), Some(1), &format!("{at}.video.step"))?,
            start_frame: ctx.int(
                vd.get("start_frame"),
                Some(0),
                &format!("{at}.video.start_frame"),
            )?,
            end_frame: match vd.get("end_frame") {
                None | Some(Value::Null) => None,
                e => Some(ctx.int(e, None, &format!("{at}.video.end_frame"))?),
            },
        })
    } else if let Some(m) = o.get("media") {
        let m = ctx.obj(m, &format!("{at}.media"))?;
        Some(Media::MediaElement {
            path: ctx.str(m.get("path"), &format!("{at}.media.path"))?,
        })
    } else {
        None
    };
    if let Some(anns) = o.get("annotations").filter(|a| !a.is_null()) {
        let anns = anns
            .as_array()
            .ok_or_else(|| ctx.bad(format!("{at}.annotations is not a list")))?;
        for (j, a) in anns.iter().enumerate() {
            if let Some(a) = read_annotation(ctx, a, &format!("{at}.annotations[{j}]"))? {
                item.annotations.push(a);
            }
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
    let v: Value = serde_json::from_slice(bytes).map_err(|e| ctx.bad(e.to_string()))?;
    let o = ctx.obj(&v, "the document")?;
    let infos = match o.get("infos") {
        None | Some(Value::Null) => Map::new(),
        Some(i) => ctx.obj(i, "infos")?.clone(),
    };
    let categories = match o.get("categories") {
        None | Some(Value::Null) => Categories::default(),
        Some(c) => {
            Categories::from_json(ctx.obj(c, "categories")?).map_err(|e| ctx.bad(e.to_string()))?
        }
    };
    let media_type = match o.get("media_type") {
        None | Some(Value::Null) => MediaType::Image,
        Some(m) => m
            .as_u64()
            .and_then(|c| u32::try_from(c).ok())
            .and_then(MediaType::from_code)
            .ok_or_else(|| ctx.bad("media_type is not a known code"))?,
    };
    let items = match o.get("items") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .par_iter()
            .enumerate()
            .map(|(i, it)| read_item(&ctx, it, subset, &format!("items[{i}]")))
            .collect::<Result<_>>()?,
        Some(_) => return Err(ctx.bad("items is not a list")),
    };
    Ok((infos, categories, media_type, items))
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
