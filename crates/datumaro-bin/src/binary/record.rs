//! Item records inside a blob: item fields, media records and annotation
//! records ([spec §4], [§4.1], [§6]).
//!
//! [spec §4]: ../../../../docs/specs/datumaro-binary.md
//! [§4.1]: ../../../../docs/specs/datumaro-binary.md
//! [§6]: ../../../../docs/specs/datumaro-binary.md

use serde_json::{Map, Value};
use vellum_format_core::ByteReader;

use crate::model::{Annotation, AnnotationKind, Attributes, Image, Item, Media, Rle, Visibility};
use crate::text::orjson;
use crate::{Error, Result};

/// The on-disk "no label" value of shape annotations.
const NO_LABEL: i32 = i32::MAX;
/// The on-disk "size unknown" pair of image records (height, width).
const NO_SIZE: (i32, i32) = (-1583, -1597);
/// The on-disk "no end frame" of video records.
const NO_END_FRAME: u32 = u32::MAX;

/// Which numbering of annotation type codes a writer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypeCodes {
    /// datumaro ≥ 1.12: cuboid_2d is 15.
    #[default]
    Modern,
    /// datumaro 1.10/1.11: cuboid_2d is 16.
    Legacy,
}

// ---------------------------------------------------------------- reading

/// Reads a `json` field: `u32` N then N bytes of a JSON object, N = 0 = `{}`.
pub(crate) fn read_dict(r: &mut ByteReader<'_>, field: &'static str) -> Result<Attributes> {
    let at = r.offset();
    let bytes = r.bytes_u32_le(field)?;
    if bytes.is_empty() || bytes.len() > MEMO_MAX {
        return parse_dict(bytes, field, at);
    }
    // Neighbouring records mostly carry the same small dicts (COCO's
    // `{"is_crowd":false}` on every annotation): the last two parsed on
    // this thread are kept (an item's and its annotations'), and equal
    // bytes give the same map, shared (copy on write), instead of a second
    // parse.
    LAST_DICTS.with_borrow_mut(|last| {
        if let Some(i) = last.iter().position(|(text, _)| text.as_slice() == bytes) {
            last.swap(0, i);
            return Ok(last[0].1.clone());
        }
        let dict = parse_dict(bytes, field, at)?;
        last.swap(0, 1);
        last[0] = (bytes.to_vec(), dict.clone());
        Ok(dict)
    })
}

/// The longest `json` field [`read_dict`] remembers.
const MEMO_MAX: usize = 128;

thread_local! {
    /// The texts and values of the last two short `json` fields read here,
    /// the latest first (an empty text matches nothing: those never reach
    /// the memo).
    static LAST_DICTS: std::cell::RefCell<[(Vec<u8>, Attributes); 2]> =
        std::cell::RefCell::new([(Vec::new(), Attributes::new()), (Vec::new(), Attributes::new())]);
}

/// Parses the text of a `json` field (empty = `{}`).
pub(crate) fn parse_dict(bytes: &[u8], field: &'static str, at: u64) -> Result<Attributes> {
    if bytes.is_empty() {
        return Ok(Attributes::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m.into()),
        Ok(_) => Err(Error::BadJson {
            field,
            offset: at,
            reason: "not a JSON object".into(),
        }),
        Err(e) => Err(Error::BadJson {
            field,
            offset: at,
            reason: e.to_string(),
        }),
    }
}

fn read_f32s(r: &mut ByteReader<'_>, field: &'static str) -> Result<Vec<f32>> {
    let n = r.count_u32_le(4, field)?;
    let bytes = r.take(n * 4, field)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn read_fixed<const N: usize>(r: &mut ByteReader<'_>, field: &'static str) -> Result<[f32; N]> {
    let at = r.offset();
    let v = read_f32s(r, field)?;
    <[f32; N]>::try_from(v).map_err(|v| {
        Error::Core(r.invalid_at(at, field, format!("{} values, expected {N}", v.len())))
    })
}

fn read_label(r: &mut ByteReader<'_>) -> Result<Option<i32>> {
    let v = r.i32_le("label")?;
    Ok((v != NO_LABEL).then_some(v))
}

fn read_image(r: &mut ByteReader<'_>) -> Result<Image> {
    let path = r.str_u32_le("image path")?.to_owned();
    let at = r.offset();
    let h = r.i32_le("image height")?;
    let w = r.i32_le("image width")?;
    let size = if (h, w) == NO_SIZE {
        None
    } else {
        match (u32::try_from(h), u32::try_from(w)) {
            (Ok(h), Ok(w)) => Some((h, w)),
            _ => {
                return Err(Error::Core(r.invalid_at(
                    at,
                    "image size",
                    format!("negative size {h}×{w}"),
                )));
            }
        }
    };
    Ok(Image { path, size })
}

/// Reads one media record; `None` for code 0.
pub(crate) fn read_media(r: &mut ByteReader<'_>) -> Result<Option<Media>> {
    let at = r.offset();
    let code = r.u32_le("media type")?;
    Ok(Some(match code {
        0 => return Ok(None),
        1 => Media::MediaElement {
            path: r.str_u32_le("media path")?.to_owned(),
        },
        2 => Media::Image(read_image(r)?),
        4 => Media::VideoFrame {
            path: r.str_u32_le("video path")?.to_owned(),
            index: r.u32_le("frame index")?,
        },
        5 => {
            let path = r.str_u32_le("video path")?.to_owned();
            let step = r.u32_le("video step")?;
            let start_frame = r.u32_le("video start frame")?;
            let end = r.u32_le("video end frame")?;
            Media::Video {
                path,
                step,
                start_frame,
                end_frame: (end != NO_END_FRAME).then_some(end),
            }
        }
        6 => {
            let path = r.str_u32_le("point cloud path")?.to_owned();
            // Each extra image record is at least 16 bytes.
            let n = r.count_u32_le(16, "extra image count")?;
            let mut extra_images = Vec::with_capacity(n);
            for _ in 0..n {
                let at = r.offset();
                let code = r.u32_le("extra image media type")?;
                if code != 2 {
                    return Err(Error::UnknownMediaType { code, offset: at });
                }
                extra_images.push(read_image(r)?);
            }
            Media::PointCloud { path, extra_images }
        }
        code => return Err(Error::UnknownMediaType { code, offset: at }),
    }))
}

/// Reads one annotation record.
pub(crate) fn read_annotation(r: &mut ByteReader<'_>) -> Result<Annotation> {
    let at = r.offset();
    let code = r.u8("annotation type")?;
    let id = r.i64_le("annotation id")?;
    let group = r.i64_le("annotation group")?;
    let object_id = r.i32_le("annotation object_id")?;
    let attributes = read_dict(r, "annotation attributes")?;
    let kind = match code {
        1 => AnnotationKind::Label {
            label: r.i32_le("label")?,
        },
        2 => {
            let label = read_label(r)?;
            let z_order = r.i32_le("z_order")?;
            let hw_at = r.offset();
            let h = r.i32_le("mask height")?;
            let w = r.i32_le("mask width")?;
            let (Ok(h), Ok(w)) = (u32::try_from(h), u32::try_from(w)) else {
                return Err(Error::Core(r.invalid_at(
                    hw_at,
                    "mask size",
                    format!("negative size {h}×{w}"),
                )));
            };
            let counts_at = r.offset();
            let counts = r.str_u32_le("mask counts")?;
            let rle = Rle::from_compressed(h, w, counts)
                .map_err(|e| Error::Core(r.invalid_at(counts_at, "mask counts", e.to_string())))?;
            AnnotationKind::Mask {
                label,
                z_order,
                rle,
            }
        }
        3 => {
            let label = read_label(r)?;
            let z_order = r.i32_le("z_order")?;
            let points = read_f32s(r, "points")?;
            let n = r.count_u32_le(4, "visibility")?;
            let mut visibility = Vec::with_capacity(n);
            for _ in 0..n {
                let vat = r.offset();
                let v = r.i32_le("visibility")?;
                visibility.push(Visibility::from_code(i64::from(v)).ok_or_else(|| {
                    Error::Core(r.invalid_at(vat, "visibility", format!("{v} is not 0, 1 or 2")))
                })?);
            }
            AnnotationKind::Points {
                label,
                z_order,
                points,
                visibility,
            }
        }
        4 | 5 => {
            let label = read_label(r)?;
            let z_order = r.i32_le("z_order")?;
            let points = read_f32s(r, "points")?;
            if code == 4 {
                AnnotationKind::Polygon {
                    label,
                    z_order,
                    points,
                }
            } else {
                AnnotationKind::Polyline {
                    label,
                    z_order,
                    points,
                }
            }
        }
        6 | 11 => {
            let label = read_label(r)?;
            let z_order = r.i32_le("z_order")?;
            let corners = read_fixed::<4>(r, "corners")?;
            if code == 6 {
                AnnotationKind::Bbox {
                    label,
                    z_order,
                    corners,
                }
            } else {
                AnnotationKind::Ellipse {
                    label,
                    z_order,
                    corners,
                }
            }
        }
        7 => AnnotationKind::Caption {
            caption: r.str_u32_le("caption")?.to_owned(),
        },
        8 => {
            let label = read_label(r)?;
            let v = read_fixed::<9>(r, "cuboid_3d values")?;
            // datumaro rounds cuboid values to 2 decimals in f64 on load.
            let g = |i: usize| v.get(i).map_or(0.0, |&x| round2(f64::from(x)));
            AnnotationKind::Cuboid3d {
                label,
                position: [g(0), g(1), g(2)],
                rotation: [g(3), g(4), g(5)],
                scale: [g(6), g(7), g(8)],
            }
        }
        15 | 16 => {
            let label = read_label(r)?;
            let z_order = r.i32_le("z_order")?;
            let v = read_fixed::<16>(r, "cuboid_2d points")?;
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
        code => return Err(Error::UnknownAnnotationType { code, offset: at }),
    };
    Ok(Annotation {
        id,
        group,
        object_id,
        attributes,
        kind,
    })
}

/// Reads one item record.
pub(crate) fn read_item(r: &mut ByteReader<'_>) -> Result<Item> {
    let id = r.str_u32_le("item id")?.to_owned();
    let subset = r.str_u32_le("item subset")?.to_owned();
    let media = read_media(r)?;
    let attributes = read_dict(r, "item attributes")?;
    // An annotation record is at least 22 bytes (header + empty dict + body).
    let n = r.count_u32_le(22, "annotation count")?;
    let mut annotations = Vec::with_capacity(n);
    for _ in 0..n {
        annotations.push(read_annotation(r)?);
    }
    Ok(Item {
        id,
        subset,
        media,
        attributes,
        annotations,
    })
}

/// Python's `round(x, 2)`: correctly rounded to 2 decimals, ties to even.
pub(crate) fn round2(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Fast path: x is already the double nearest to a 2-decimal number
    // (division is correctly rounded), so rounding returns it unchanged.
    let k = (x * 100.0).round();
    if k.abs() < 1e15 && k / 100.0 == x {
        return x;
    }
    format!("{x:.2}").parse().unwrap_or(x)
}

// ---------------------------------------------------------------- writing

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let n = u32::try_from(n)
        .map_err(|_| Error::Unsupported(format!("{n} bytes is too long for a u32 length")))?;
    put_u32(out, n);
    Ok(())
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) -> Result<()> {
    put_len(out, s.len())?;
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// Writes a `json` field: N = 0 for an empty object.
pub(crate) fn put_dict(out: &mut Vec<u8>, m: &Map<String, Value>) -> Result<()> {
    if m.is_empty() {
        put_u32(out, 0);
        return Ok(());
    }
    let at = out.len();
    put_u32(out, 0);
    out.push(b'{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        orjson::write_str(out, k);
        out.push(b':');
        orjson::write_value(out, v);
    }
    out.push(b'}');
    let n = u32::try_from(out.len() - at - 4)
        .map_err(|_| Error::Unsupported("a JSON field above 4 GiB".into()))?;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&n.to_le_bytes());
    }
    Ok(())
}

fn put_f32s(out: &mut Vec<u8>, v: impl ExactSizeIterator<Item = f32>) -> Result<()> {
    put_len(out, v.len())?;
    out.reserve(v.len() * 4);
    for x in v {
        out.extend_from_slice(&x.to_le_bytes());
    }
    Ok(())
}

/// A slice of `f32` as little-endian bytes, copied at once on
/// little-endian machines (the common case: every coordinate list).
fn put_f32_slice(out: &mut Vec<u8>, v: &[f32]) -> Result<()> {
    #[cfg(target_endian = "little")]
    {
        put_len(out, v.len())?;
        out.extend_from_slice(bytemuck::cast_slice(v));
        Ok(())
    }
    #[cfg(not(target_endian = "little"))]
    put_f32s(out, v.iter().copied())
}

fn put_label(out: &mut Vec<u8>, l: Option<i32>) {
    put_i32(out, l.unwrap_or(NO_LABEL));
}

fn put_image(out: &mut Vec<u8>, img: &Image) -> Result<()> {
    put_u32(out, 2);
    put_str(out, &img.path)?;
    let (h, w) = match img.size {
        Some((h, w)) => (
            i32::try_from(h).map_err(|_| Error::Unsupported(format!("image height {h}")))?,
            i32::try_from(w).map_err(|_| Error::Unsupported(format!("image width {w}")))?,
        ),
        None => NO_SIZE,
    };
    put_i32(out, h);
    put_i32(out, w);
    Ok(())
}

/// Writes one media record (code 0 for none).
pub(crate) fn put_media(out: &mut Vec<u8>, m: Option<&Media>) -> Result<()> {
    match m {
        None => put_u32(out, 0),
        Some(Media::MediaElement { path }) => {
            put_u32(out, 1);
            put_str(out, path)?;
        }
        Some(Media::Image(img)) => put_image(out, img)?,
        Some(Media::VideoFrame { path, index }) => {
            put_u32(out, 4);
            put_str(out, path)?;
            put_u32(out, *index);
        }
        Some(Media::Video {
            path,
            step,
            start_frame,
            end_frame,
        }) => {
            put_u32(out, 5);
            put_str(out, path)?;
            put_u32(out, *step);
            put_u32(out, *start_frame);
            // datumaro tests end_frame for truthiness, so 0 is written as "none" too.
            put_u32(out, end_frame.filter(|&e| e != 0).unwrap_or(NO_END_FRAME));
        }
        Some(Media::PointCloud { path, extra_images }) => {
            put_u32(out, 6);
            put_str(out, path)?;
            put_len(out, extra_images.len())?;
            for img in extra_images {
                put_image(out, img)?;
            }
        }
    }
    Ok(())
}

/// Writes one annotation record.
pub(crate) fn put_annotation(out: &mut Vec<u8>, a: &Annotation, codes: TypeCodes) -> Result<()> {
    let code: u8 = match &a.kind {
        AnnotationKind::Label { .. } => 1,
        AnnotationKind::Mask { .. } => 2,
        AnnotationKind::Points { .. } => 3,
        AnnotationKind::Polygon { .. } => 4,
        AnnotationKind::Polyline { .. } => 5,
        AnnotationKind::Bbox { .. } => 6,
        AnnotationKind::Caption { .. } => 7,
        AnnotationKind::Cuboid3d { .. } => 8,
        AnnotationKind::Ellipse { .. } => 11,
        AnnotationKind::Cuboid2d { .. } => match codes {
            TypeCodes::Modern => 15,
            TypeCodes::Legacy => 16,
        },
    };
    out.push(code);
    out.extend_from_slice(&a.id.to_le_bytes());
    out.extend_from_slice(&a.group.to_le_bytes());
    put_i32(out, a.object_id);
    put_dict(out, &a.attributes)?;
    match &a.kind {
        AnnotationKind::Label { label } => put_i32(out, *label),
        AnnotationKind::Mask {
            label,
            z_order,
            rle,
        } => {
            put_label(out, *label);
            put_i32(out, *z_order);
            let h = i32::try_from(rle.height())
                .map_err(|_| Error::Unsupported("mask height".into()))?;
            let w =
                i32::try_from(rle.width()).map_err(|_| Error::Unsupported("mask width".into()))?;
            put_i32(out, h);
            put_i32(out, w);
            put_str(out, rle.counts())?;
        }
        AnnotationKind::Points {
            label,
            z_order,
            points,
            visibility,
        } => {
            put_label(out, *label);
            put_i32(out, *z_order);
            put_f32_slice(out, points)?;
            put_len(out, visibility.len())?;
            for v in visibility {
                put_i32(out, v.code());
            }
        }
        AnnotationKind::Polygon {
            label,
            z_order,
            points,
        }
        | AnnotationKind::Polyline {
            label,
            z_order,
            points,
        } => {
            put_label(out, *label);
            put_i32(out, *z_order);
            put_f32_slice(out, points)?;
        }
        AnnotationKind::Bbox {
            label,
            z_order,
            corners,
        }
        | AnnotationKind::Ellipse {
            label,
            z_order,
            corners,
        } => {
            put_label(out, *label);
            put_i32(out, *z_order);
            put_f32_slice(out, corners)?;
        }
        AnnotationKind::Caption { caption } => put_str(out, caption)?,
        AnnotationKind::Cuboid3d {
            label,
            position,
            rotation,
            scale,
        } => {
            put_label(out, *label);
            let all = position
                .iter()
                .chain(rotation)
                .chain(scale)
                .map(|&v| v as f32);
            put_f32s(out, all.collect::<Vec<_>>().into_iter())?;
        }
        AnnotationKind::Cuboid2d {
            label,
            z_order,
            points,
        } => {
            put_label(out, *label);
            put_i32(out, *z_order);
            put_f32s(
                out,
                points
                    .iter()
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>()
                    .into_iter(),
            )?;
        }
    }
    Ok(())
}

/// About how long an item's record is, from lengths alone (no attribute
/// is read): what the writer reserves so that its buffer is allocated once
/// instead of being copied as it grows. Attribute maps count 32 bytes each.
pub(crate) fn estimate_item_len(item: &Item) -> usize {
    let dict = |empty: bool| if empty { 4 } else { 36 };
    let media = match &item.media {
        None => 4,
        Some(Media::Image(img)) => 16 + img.path.len(),
        Some(Media::PointCloud { path, extra_images }) => {
            12 + path.len()
                + extra_images
                    .iter()
                    .map(|i| 16 + i.path.len())
                    .sum::<usize>()
        }
        Some(m) => 24 + m.path().len(),
    };
    let anns: usize = item
        .annotations
        .iter()
        .map(|a| {
            let body = match &a.kind {
                AnnotationKind::Label { .. } => 4,
                AnnotationKind::Mask { rle, .. } => 20 + rle.counts().len(),
                AnnotationKind::Points {
                    points, visibility, ..
                } => 16 + 4 * (points.len() + visibility.len()),
                AnnotationKind::Polygon { points, .. }
                | AnnotationKind::Polyline { points, .. } => 12 + 4 * points.len(),
                AnnotationKind::Bbox { .. } | AnnotationKind::Ellipse { .. } => 28,
                AnnotationKind::Caption { caption } => 4 + caption.len(),
                AnnotationKind::Cuboid3d { .. } => 44,
                AnnotationKind::Cuboid2d { .. } => 76,
            };
            21 + dict(a.attributes.is_empty()) + body
        })
        .sum();
    8 + item.id.len() + item.subset.len() + media + dict(item.attributes.is_empty()) + 4 + anns
}

/// Writes one item record.
pub(crate) fn put_item(out: &mut Vec<u8>, item: &Item, codes: TypeCodes) -> Result<()> {
    put_str(out, &item.id)?;
    put_str(out, &item.subset)?;
    put_media(out, item.media.as_ref())?;
    put_dict(out, &item.attributes)?;
    put_len(out, item.annotations.len())?;
    for (j, a) in item.annotations.iter().enumerate() {
        crate::prefetch::annotations_ahead(&item.annotations, j);
        put_annotation(out, a, codes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{parse_dict, read_dict, round2};
    use vellum_format_core::ByteReader;

    #[test]
    fn remembered_dicts_are_the_parsed_ones() {
        let texts: [&[u8]; 8] = [
            br#"{"is_crowd":false}"#,
            br#"{"id":1}"#,
            br#"{"is_crowd":false}"#,
            br#"{"is_crowd":true}"#,
            br#"{"id":1}"#,
            b"",
            br#"{"is_crowd":false}"#,
            br#"{"a":[1,2,{"b":null}],"c":"d"}"#,
        ];
        let mut record = Vec::new();
        for t in texts.iter().chain(texts.iter().rev()) {
            record.extend_from_slice(&(t.len() as u32).to_le_bytes());
            record.extend_from_slice(t);
        }
        record.extend_from_slice(&3u32.to_le_bytes());
        record.extend_from_slice(b"{x}");
        let mut r = ByteReader::new(&record);
        for t in texts.iter().chain(texts.iter().rev()) {
            let got = read_dict(&mut r, "attributes").unwrap();
            assert_eq!(got, parse_dict(t, "attributes", 0).unwrap());
        }
        // A bad text is an error even right after good ones.
        assert!(read_dict(&mut r, "attributes").is_err());
    }

    #[test]
    fn round2_is_pythons_round() {
        // Values from Python: round(x, 2).
        for (x, r) in [
            (0.125, 0.12),
            (0.375, 0.38),
            (2.675, 2.67),
            (1.005, 1.0),
            (443.16, 443.16),
            (3.7652926764109567, 3.77),
            (-0.125, -0.12),
            (f64::from(0.1f32), 0.1),
            (1e20, 1e20),
        ] {
            assert_eq!(round2(x), r, "{x}");
        }
    }
}
