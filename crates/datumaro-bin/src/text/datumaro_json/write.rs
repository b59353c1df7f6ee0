//! Writing Datumaro JSON, byte for byte as datumaro 1.13.12 does.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;

use crate::export::{
    ExportOptions, ExportReport, Naming, check_subset_name, prepare_items, write_streamed,
};
use crate::meta::write_dataset_meta;
use crate::model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, Image, Item, Media, MediaType,
};
use crate::text::orjson::{write_f64_array, write_i64, write_object, write_str, write_value};
use crate::{Error, Result};

fn f32_list(out: &mut Vec<u8>, v: &[f32]) {
    write_f64_array(out, v.iter().map(|&x| f64::from(x)));
}

fn f64_list(out: &mut Vec<u8>, v: &[f64]) {
    write_f64_array(out, v.iter().copied());
}

fn attrs(out: &mut Vec<u8>, m: &Attributes) {
    write_object(out, m);
}

fn int(out: &mut Vec<u8>, i: impl Into<i64>) {
    write_i64(out, i.into());
}

fn label_id(out: &mut Vec<u8>, l: Option<i32>) {
    out.extend_from_slice(b",\"label_id\":");
    match l {
        Some(l) => {
            int(out, l);
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn z_order(out: &mut Vec<u8>, z: i32) {
    out.extend_from_slice(b",\"z_order\":");
    int(out, z);
}

fn write_annotation(out: &mut Vec<u8>, a: &Annotation) {
    out.extend_from_slice(b"{\"id\":");
    int(out, a.id);
    out.extend_from_slice(b",\"type\":");
    out.push(b'"');
    out.extend_from_slice(a.kind.name().as_bytes());
    out.push(b'"');
    out.extend_from_slice(b",\"attributes\":");
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
            out.extend_from_slice(b",\"rle\":");
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
            out.extend_from_slice(b",\"points\":");
            f32_list(out, points);
            z_order(out, *z);
            out.extend_from_slice(b",\"visibility\":");
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
            out.extend_from_slice(b",\"points\":");
            f32_list(out, points);
            z_order(out, *z);
        }
        AnnotationKind::Ellipse {
            label,
            z_order: z,
            corners,
        } => {
            label_id(out, *label);
            out.extend_from_slice(b",\"points\":");
            f32_list(out, corners);
            z_order(out, *z);
        }
        AnnotationKind::Bbox {
            label, z_order: z, ..
        } => {
            label_id(out, *label);
            z_order(out, *z);
            out.extend_from_slice(b",\"bbox\":");
            f64_list(out, &a.kind.bbox_xywh().unwrap_or_default());
        }
        AnnotationKind::Caption { caption } => {
            out.extend_from_slice(b",\"caption\":");
            write_str(out, caption);
        }
        AnnotationKind::Cuboid3d {
            label,
            position,
            rotation,
            scale,
        } => {
            label_id(out, *label);
            out.extend_from_slice(b",\"position\":");
            f64_list(out, position);
            out.extend_from_slice(b",\"rotation\":");
            f64_list(out, rotation);
            out.extend_from_slice(b",\"scale\":");
            f64_list(out, scale);
        }
        AnnotationKind::Cuboid2d {
            label,
            z_order: z,
            points,
        } => {
            label_id(out, *label);
            out.extend_from_slice(b",\"points\":");
            out.push(b'[');
            for (i, p) in points.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                f32_list(out, p);
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
    out.extend_from_slice(b",\"annotations\":");
    out.push(b'[');
    for (i, a) in item.annotations.iter().enumerate() {
        crate::prefetch::annotations_ahead(&item.annotations, i);
        if i > 0 {
            out.push(b',');
        }
        write_annotation(out, a);
    }
    out.push(b']');
    if !item.attributes.is_empty() {
        out.extend_from_slice(b",\"attr\":");
        attrs(out, &item.attributes);
    }
    match &item.media {
        None => {}
        Some(Media::Image(img)) => {
            out.extend_from_slice(b",\"image\":");
            write_image(out, img);
        }
        Some(Media::PointCloud { path, extra_images }) => {
            out.extend_from_slice(b",\"point_cloud\":");
            out.extend_from_slice(b"{\"path\":");
            write_str(out, path);
            out.push(b'}');
            if !extra_images.is_empty() {
                out.extend_from_slice(b",\"related_images\":");
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
            out.extend_from_slice(b",\"video_frame\":");
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
            out.extend_from_slice(b",\"video\":");
            out.extend_from_slice(b"{\"path\":");
            write_str(out, path);
            let _ = write!(out, ",\"step\":{step},\"start_frame\":{start_frame}");
            if let Some(e) = end_frame.filter(|&e| e != 0) {
                let _ = write!(out, ",\"end_frame\":{e}");
            }
            out.push(b'}');
        }
        Some(Media::MediaElement { path }) => {
            out.extend_from_slice(b",\"media\":");
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
/// (the closing `]}` follows them).
fn document_parts(
    infos: &Attributes,
    categories: &Categories,
    media_type: MediaType,
    items: &[Item],
) -> (Vec<u8>, Vec<Vec<u8>>) {
    let out = document_head(infos, categories, media_type);
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

/// The document's head, up to `"items":[`.
fn document_head(infos: &Attributes, categories: &Categories, media_type: MediaType) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    let _ = write!(
        out,
        "{{\"dm_format_version\":\"1.0\",\"media_type\":{}",
        media_type.code()
    );
    out.extend_from_slice(b",\"infos\":");
    attrs(&mut out, infos);
    out.extend_from_slice(b",\"categories\":");
    write_value(&mut out, &categories.to_json());
    out.extend_from_slice(b",\"items\":");
    out.push(b'[');
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
        let head = document_head(&ds.infos, &ds.categories, ds.media_type);
        let path = ann.join(format!("{}.json", s.name));
        let bytes = write_streamed(
            &path,
            opts.no_fsync,
            &head,
            &items,
            b"]}",
            |buf, i, item| {
                if i > 0 {
                    buf.push(b',');
                }
                write_item(buf, item);
            },
        )?;
        report.items += items.len();
        report.bytes += bytes;
        report.files.push(path);
    }
    if opts.save_dataset_meta {
        write_dataset_meta(root, &ds.categories)?;
    }
    Ok(report)
}
