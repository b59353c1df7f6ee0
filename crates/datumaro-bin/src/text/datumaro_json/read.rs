//! Reading Datumaro JSON.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::meta::read_dataset_meta;
use crate::model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, Image, Item, Media, MediaType,
    Rle, Subset, Visibility,
};
use crate::text::number::Number;
use crate::text::parallel::{Batch, read_elements};
use crate::text::scan::{Scanner, Seen};
use crate::text::window::Window;
use crate::{Error, Result};

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

// The document is walked with the scanner (module `scan`), item by item:
// each item is built as soon as it is read, so no document-sized
// intermediate exists. Rare structures (media, RLE, visibility, cuboid_3d
// vectors) are read by serde from these types at their position.

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

/// An `image` object (what serde's derived reader of [`JsonImage`] reads,
/// without its general path).
fn image(s: &mut Scanner<'_>) -> Result<JsonImage> {
    let (mut path, mut size) = (None, None);
    let mut seen = Seen::default();
    let mut m = s.object()?;
    while let Some(k) = s.key(&mut m)? {
        match k.as_ref() {
            b"path" => {
                seen.mark(s, 0, "path")?;
                path = Some(s.string()?.into_owned());
            }
            b"size" => {
                seen.mark(s, 1, "size")?;
                size = s.option(|s| {
                    let mut v = Vec::with_capacity(2);
                    let mut list = s.array()?;
                    if !s.numbers(&mut list, &mut v, "a u64 integer", Number::u64)? {
                        return Err(s.error("expected a u64 integer"));
                    }
                    Ok(v)
                })?;
            }
            _ => s.skip()?,
        }
    }
    Ok(JsonImage {
        path: path.ok_or_else(|| s.error("missing field `path`"))?,
        size,
    })
}

/// An item's fields as read, before they are checked.
#[derive(Debug, Default)]
struct JsonItem {
    id: Option<String>,
    attr: Option<Attributes>,
    image: Option<JsonImage>,
    point_cloud: Option<JsonPath>,
    related_images: Option<Vec<JsonImage>>,
    video_frame: Option<JsonVideoFrame>,
    video: Option<JsonVideo>,
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

/// An annotation's fields as read, before they are checked.
#[derive(Debug, Default)]
struct JsonAnnotation<'a> {
    id: Option<i64>,
    kind: Option<Cow<'a, str>>,
    attributes: Option<Attributes>,
    group: Option<i64>,
    object_id: Option<i64>,
    label_id: Option<i64>,
    z_order: Option<i64>,
    points: Option<Vec<f32>>,
    visibility: Option<Vec<i64>>,
    /// The box's corners (when it held four numbers) and how many numbers
    /// it held.
    bbox: Option<([f32; 4], usize)>,
    rle: Option<JsonRle>,
    caption: Option<String>,
    position: Option<Vec<f64>>,
    rotation: Option<Vec<f64>>,
    scale: Option<Vec<f64>>,
}

/// `{"is_crowd": false}` / `true` as orjson writes them: recognized as
/// text (no parsing, no general map reading), one shared map each.
fn attributes(s: &mut Scanner<'_>) -> Result<Option<Attributes>> {
    for (text, v) in USUAL_ATTRIBUTES {
        if s.literal(text) {
            return Ok(Some(Attributes::is_crowd(v)));
        }
    }
    s.value()
}

/// An item's `attr`. `{"id":<integer>}`, what datumaro writes for the
/// items of a COCO dataset, is read without the general map reader and
/// built at the size of its one entry; anything else is read by serde.
fn item_attributes(s: &mut Scanner<'_>) -> Result<Option<Attributes>> {
    let start = s.pos();
    if s.literal(b"{\"id\":")
        && matches!(s.peek(), Some(b'0'..=b'9'))
        && let Some(id) = s.number().ok().and_then(|n| n.u64())
        && s.literal(b"}")
    {
        let mut m = Attributes::with_capacity(1);
        m.insert("id".to_owned(), Value::from(id));
        return Ok(Some(m));
    }
    s.rewind(start);
    s.value()
}

/// The usual annotation attributes: their text, and the value of
/// `is_crowd`.
const USUAL_ATTRIBUTES: [(&[u8], bool); 2] = [
    (b"{\"is_crowd\":false}", false),
    (b"{\"is_crowd\":true}", true),
];

/// A list of numbers, flattening one level of nested lists (cuboid_2d
/// writes `[[x, y], ...]`, the other shapes `[x, y, ...]`), narrowed to
/// f32 as they are read (`x as f32` of the f64, as the model stores them).
/// `scratch` is reused between lists, so the result is allocated once at
/// its size.
fn flat_numbers(s: &mut Scanner<'_>, scratch: &mut Vec<f32>) -> Result<Vec<f32>> {
    const WHAT: &str = "a finite f64";
    scratch.clear();
    let mut m = s.array()?;
    while !s.numbers(&mut m, scratch, WHAT, Number::f32_of_f64)? {
        // A nested list of numbers (cuboid_2d's points).
        let mut inner = s.array()?;
        if !s.numbers(&mut inner, scratch, WHAT, Number::f32_of_f64)? {
            return Err(s.error(format!("expected {WHAT}")));
        }
    }
    Ok(scratch.as_slice().to_vec())
}

/// `[x, y, w, h]`: the corners `[x, y, x + w, y + h]` as f32 (each sum in
/// f64 first, as datumaro computes it), and how many numbers the list held
/// (each a finite f64).
fn bbox(s: &mut Scanner<'_>) -> Result<([f32; 4], usize)> {
    let mut v = [Number::ZERO; 4];
    let mut n = 0usize;
    let mut m = s.array()?;
    while s.element(&mut m)? {
        let x = s.finite_number()?;
        if let Some(slot) = v.get_mut(n) {
            *slot = x;
        }
        n += 1;
    }
    let [x, y, w, h] = v;
    // Each number was checked finite as it was read.
    let f = |n: Option<f32>| n.unwrap_or(f32::NAN);
    let corners = if n == 4 {
        [
            f(x.f32_of_f64()),
            f(y.f32_of_f64()),
            f(Number::sum_f32(&x, &w)),
            f(Number::sum_f32(&y, &h)),
        ]
    } else {
        [0.0; 4]
    };
    Ok((corners, n))
}

fn read_json_annotation<'a>(
    s: &mut Scanner<'a>,
    scratch: &mut Scratch,
) -> Result<JsonAnnotation<'a>> {
    let mut a = JsonAnnotation::default();
    let mut seen = Seen::default();
    let mut m = s.object()?;
    while let Some(k) = s.key(&mut m)? {
        match k.as_ref() {
            b"id" => {
                seen.mark(s, 0, "id")?;
                a.id = s.option(Scanner::i64)?;
            }
            b"type" => {
                seen.mark(s, 1, "type")?;
                a.kind = Some(s.string()?);
            }
            b"attributes" => {
                seen.mark(s, 2, "attributes")?;
                a.attributes = attributes(s)?;
            }
            b"group" => {
                seen.mark(s, 3, "group")?;
                a.group = s.option(Scanner::i64)?;
            }
            b"object_id" => {
                seen.mark(s, 4, "object_id")?;
                a.object_id = s.option(Scanner::i64)?;
            }
            b"label_id" => {
                seen.mark(s, 5, "label_id")?;
                a.label_id = s.option(Scanner::i64)?;
            }
            b"z_order" => {
                seen.mark(s, 6, "z_order")?;
                a.z_order = s.option(Scanner::i64)?;
            }
            b"points" => {
                seen.mark(s, 7, "points")?;
                a.points = s.option(|s| flat_numbers(s, &mut scratch.points))?;
            }
            b"visibility" => {
                seen.mark(s, 8, "visibility")?;
                a.visibility = s.value()?;
            }
            b"bbox" => {
                seen.mark(s, 9, "bbox")?;
                a.bbox = s.option(bbox)?;
            }
            b"rle" => {
                seen.mark(s, 10, "rle")?;
                a.rle = s.value()?;
            }
            b"caption" => {
                seen.mark(s, 11, "caption")?;
                a.caption = s.value()?;
            }
            b"position" => {
                seen.mark(s, 12, "position")?;
                a.position = s.value()?;
            }
            b"rotation" => {
                seen.mark(s, 13, "rotation")?;
                a.rotation = s.value()?;
            }
            b"scale" => {
                seen.mark(s, 14, "scale")?;
                a.scale = s.value()?;
            }
            _ => s.skip()?,
        }
    }
    if a.kind.is_none() {
        return Err(s.error("missing field `type`"));
    }
    Ok(a)
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
    a: JsonAnnotation<'_>,
    at: &dyn Fn() -> String,
) -> Result<Option<Annotation>> {
    let label = a
        .label_id
        .map(|l| {
            i32::try_from(l).map_err(|_| ctx.bad(format!("{}.label_id is out of range", at())))
        })
        .transpose()?;
    let z_order: i32 = ctx.int(a.z_order, Some(0), &|| format!("{}.z_order", at()))?;
    let points = |p: Option<Vec<f32>>| -> Result<Vec<f32>> {
        p.ok_or_else(|| ctx.bad(format!("{}.points is missing", at())))
    };
    let kind = match a.kind.as_deref().unwrap_or_default() {
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
                RleCounts::Compressed(s) => Rle::from_compressed_string(h, w, s),
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
            let (b, n) = a
                .bbox
                .ok_or_else(|| ctx.bad(format!("{}.bbox is missing", at())))?;
            if n != 4 {
                return Err(ctx.bad(format!("{}.bbox is not [x, y, w, h]", at())));
            }
            AnnotationKind::Bbox {
                label,
                z_order,
                corners: b,
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

fn read_item(
    ctx: &Ctx<'_>,
    s: &mut Scanner<'_>,
    subset: &str,
    index: usize,
    scratch: &mut Scratch,
) -> Result<Item> {
    let at = || format!("items[{index}]");
    let mut j = JsonItem::default();
    let mut seen = Seen::default();
    scratch.annotations.clear();
    let mut m = s.object()?;
    while let Some(k) = s.key(&mut m)? {
        match k.as_ref() {
            b"id" => {
                seen.mark(s, 0, "id")?;
                j.id = Some(s.string()?.into_owned());
            }
            b"annotations" => {
                seen.mark(s, 1, "annotations")?;
                if !s.null() {
                    let mut list = s.array()?;
                    let mut k = 0usize;
                    while s.element(&mut list)? {
                        let a = read_json_annotation(s, scratch)?;
                        if let Some(a) =
                            read_annotation(ctx, a, &|| format!("{}.annotations[{k}]", at()))?
                        {
                            scratch.annotations.push(a);
                        }
                        k += 1;
                    }
                }
            }
            b"attr" => {
                seen.mark(s, 2, "attr")?;
                j.attr = item_attributes(s)?;
            }
            b"image" => {
                seen.mark(s, 3, "image")?;
                j.image = s.option(image)?;
            }
            b"point_cloud" => {
                seen.mark(s, 4, "point_cloud")?;
                j.point_cloud = s.value()?;
            }
            b"related_images" => {
                seen.mark(s, 5, "related_images")?;
                j.related_images = s.value()?;
            }
            b"video_frame" => {
                seen.mark(s, 6, "video_frame")?;
                j.video_frame = s.value()?;
            }
            b"video" => {
                seen.mark(s, 7, "video")?;
                j.video = s.value()?;
            }
            b"media" => {
                seen.mark(s, 8, "media")?;
                j.media = s.value()?;
            }
            _ => s.skip()?,
        }
    }
    let id = j.id.ok_or_else(|| s.error("missing field `id`"))?;
    let mut item = Item::new(id, subset);
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
    // One allocation at the item's size (the scratch list keeps its room).
    item.annotations = scratch.annotations.drain(..).collect();
    Ok(item)
}

/// Buffers reused from item to item.
#[derive(Debug, Default)]
struct Scratch {
    annotations: Vec<Annotation>,
    points: Vec<f32>,
}

/// A top-level member of the document, as one step reads it.
enum Member {
    End,
    MediaType(Option<u64>),
    Infos(Option<Attributes>),
    Categories(Option<Attributes>),
    /// `"items":` (the list is read item by item).
    Items,
    Other,
}

/// Parses one subset document.
pub fn parse_datumaro_json(
    file: &Path,
    bytes: &[u8],
    subset: &str,
) -> Result<(Attributes, Categories, MediaType, Vec<Item>)> {
    parse_document(&mut Window::slice(bytes, file), file, subset)
}

/// Parses one subset document through `w`, a step per top-level member
/// and per item.
fn parse_document(
    w: &mut Window<'_>,
    file: &Path,
    subset: &str,
) -> Result<(Attributes, Categories, MediaType, Vec<Item>)> {
    let ctx = Ctx { file };
    let (mut infos, mut categories, mut media_type) = (None, None, None);
    let mut items = Vec::new();
    let mut seen = 0u8;
    let mut pos = 0;
    let mut top = w.step(&mut pos, |s| s.object())?;
    loop {
        let (next, member) = w.step(&mut pos, |s| {
            let mut m = top;
            let Some(k) = s.key(&mut m)? else {
                return Ok((m, Member::End));
            };
            let member = match k.as_ref() {
                b"media_type" => Member::MediaType(s.option(Scanner::u64)?),
                b"infos" => Member::Infos(s.value()?),
                b"categories" => Member::Categories(s.value()?),
                b"items" => Member::Items,
                _ => {
                    s.skip()?;
                    Member::Other
                }
            };
            Ok((m, member))
        })?;
        top = next;
        let (bit, name) = match &member {
            Member::End => break,
            Member::Other => continue,
            Member::MediaType(_) => (1, "media_type"),
            Member::Infos(_) => (2, "infos"),
            Member::Categories(_) => (4, "categories"),
            Member::Items => (8, "items"),
        };
        if seen & bit != 0 {
            return Err(w.error(pos, format!("duplicate field `{name}`")));
        }
        seen |= bit;
        match member {
            Member::MediaType(v) => media_type = v,
            Member::Infos(v) => infos = v,
            Member::Categories(v) => categories = v,
            Member::Items => {
                if w.step(&mut pos, |s| Ok(s.null()))? {
                    continue;
                }
                let mut scratch = Scratch {
                    annotations: Vec::new(),
                    points: Vec::new(),
                };
                let mut list = w.step(&mut pos, |s| s.array())?;
                let parallel = rayon::current_num_threads() > 1;
                let mut batch = Batch::new();
                // With workers, the items come in parts (each task's, and
                // the steps' between batches), joined once at the end at
                // their size: a list grown by doubling would copy itself
                // into fresh memory at each step. `before` counts the
                // items in `parts`.
                let (mut parts, mut before): (Vec<Vec<Item>>, usize) = (Vec::new(), 0);
                loop {
                    if parallel {
                        // What lies whole in the window, on the pool's
                        // workers (while the next chunk is read).
                        w.refill(&mut pos)?;
                        let init = (Scratch::default, |_: &mut Scratch| {});
                        w.read_ahead_during(|view| {
                            read_elements(view, &mut pos, &mut list, &mut batch, init, |s, k| {
                                read_item(&ctx, s, subset, 0, k)
                            })
                        })?;
                        for run in batch.take_kept() {
                            for part in [&mut items, &mut run.values] {
                                if !part.is_empty() {
                                    before += part.len();
                                    parts.push(std::mem::take(part));
                                }
                            }
                        }
                    }
                    let (next, item) = w.step(&mut pos, |s| {
                        let mut l = list;
                        if !s.element(&mut l)? {
                            return Ok((l, None));
                        }
                        let index = before + items.len();
                        let item = read_item(&ctx, s, subset, index, &mut scratch)?;
                        Ok((l, Some(item)))
                    })?;
                    list = next;
                    match item {
                        Some(item) => items.push(item),
                        None => break,
                    }
                }
                if !parts.is_empty() {
                    let mut all = Vec::with_capacity(before + items.len());
                    for mut part in parts {
                        all.append(&mut part);
                    }
                    all.append(&mut items);
                    items = all;
                }
            }
            _ => {}
        }
    }
    w.step(&mut pos, |s| s.end())?;
    let categories = match &categories {
        None => Categories::default(),
        Some(c) => Categories::from_json(c).map_err(|e| ctx.bad(e.to_string()))?,
    };
    let media_type = match media_type {
        None => MediaType::Image,
        Some(m) => u32::try_from(m)
            .ok()
            .and_then(MediaType::from_code)
            .ok_or_else(|| ctx.bad("media_type is not a known code"))?,
    };
    Ok((infos.unwrap_or_default(), categories, media_type, items))
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
        // Read through a sliding window: the document is never in memory
        // whole.
        let (infos, cats, mt, items) = parse_document(&mut Window::open(f)?, f, &subset)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The Datumaro JSON files of these fixture cases.
    fn fixture_json_docs(cases: &[&str]) -> Vec<Vec<u8>> {
        crate::text::parallel::fixture_docs(cases, "datumaro_json", |d| {
            Ok(datumaro_json_files(d)?
                .into_iter()
                .map(|f| ((), f))
                .collect())
        })
        .into_iter()
        .map(|(_, doc)| doc)
        .collect()
    }

    /// A window that reads a few bytes at a time gives what the whole
    /// document gives, results and errors alike (every step is retried at
    /// many window edges).
    #[test]
    fn a_sliding_window_reads_what_the_whole_document_reads() {
        let mut docs = fixture_json_docs(&[
            "all_annotation_types",
            "attribute_value_types",
            "basic_image",
        ]);
        let broken = docs.first().map(|d| {
            let mut d = d.clone();
            d.truncate(d.len() * 2 / 3);
            d
        });
        docs.extend(broken);
        docs.push(b"{\"items\":[{\"id\":\"a\",\n\"id\":\"b\"}]}".to_vec());
        docs.push(b"{\"items\":[{\"id\":\"a\",\"annotations\":[{\"type\":\"polygon\",\n\"points\":[1,2,x]}]}]}".to_vec());
        let tmp = tempfile::tempdir().expect("tempdir");
        for (i, doc) in docs.iter().enumerate() {
            let path = tmp.path().join(format!("{i}.json"));
            std::fs::write(&path, doc).expect("write");
            let whole = parse_datumaro_json(&path, doc, "s").map_err(|e| e.to_string());
            for chunk in [1, 7, 64] {
                let mut w = Window::open_with(&path, chunk).expect("open");
                let windowed = parse_document(&mut w, &path, "s").map_err(|e| e.to_string());
                assert_eq!(windowed, whole, "document {i}, chunk {chunk}");
            }
        }
    }

    /// With several workers a document reads exactly as with one: the
    /// fixtures, a synthetic document and corrupted copies of it (the same
    /// errors, with their file, line and column, or item index), through
    /// windows of several sizes.
    #[test]
    fn workers_read_what_one_thread_reads() {
        use crate::text::parallel::{corruptions, read_alone_and_together};
        let mut docs = fixture_json_docs(&[
            "all_annotation_types",
            "attribute_value_types",
            "basic_image",
            "point_cloud",
            "video",
        ]);
        let tmp = tempfile::tempdir().expect("tempdir");
        crate::synth::write_coco(tmp.path(), 40, 7).expect("synthetic COCO");
        let ds = crate::read_coco(tmp.path()).expect("read back");
        let items = ds
            .subsets
            .first()
            .map(|s| s.items.as_slice())
            .unwrap_or_default();
        let synthetic =
            crate::datumaro_json_document(&ds.infos, &ds.categories, ds.media_type, items);
        docs.push(synthetic.clone());
        // Items that hold look-alikes of items (where a task may start,
        // and read well, but not where an element starts).
        let decoys = String::from_utf8_lossy(&synthetic).replace(
            "\"image\":{",
            "\"decoy\":[{\"id\":\"x\"},{\"id\":\"y\"}],\"image\":{",
        );
        docs.push(decoys.into_bytes());
        let edits = [
            ("\"bbox\":[", "\"bbox\":x"),
            ("\"points\":[", "\"points\":[1,2,x,"),
            ("{\"id\":\"", "{\"id\":5,\"x\":\""),
            ("\"label_id\":", "\"label_id\":99999999999,\"l\":"),
            ("\"type\":\"bbox\"", "\"type\":\"bbox\",\"type\":\"bbox\""),
            ("\"type\":\"bbox\"", "\"type\":\"ellipse\""),
            ("},{\"id\":\"", "},\n {\"id\":\""),
        ];
        docs.extend(corruptions(&synthetic, &edits));
        let (in_parallel, errors) = read_alone_and_together(tmp.path(), &docs, |_, path, w| {
            parse_document(w, path, "s").map_err(|e| e.to_string())
        });
        // The workers did read (most of) the documents, good and bad.
        assert!(in_parallel > 20 * synthetic.len(), "{in_parallel}");
        assert!(errors > 3 * 30, "{errors}");
    }

    /// The `{"id":<integer>}` shortcut gives what serde gives, and leaves
    /// anything else to it.
    #[test]
    fn item_attributes_read_as_serde_reads_them() {
        let path = Path::new("attr.json");
        for text in [
            r#"{"id":1}"#,
            r#"{"id":0}"#,
            r#"{"id":18446744073709551615}"#,
            r#"{"id":18446744073709551616}"#,
            r#"{"id":1.5}"#,
            r#"{"id":-1}"#,
            r#"{"id":1e3}"#,
            r#"{"id":7,"x":1}"#,
            r#"{ "id": 3 }"#,
            r#"{"id":3 }"#,
            r#"{"id":"7"}"#,
            r#"{"id":01}"#,
            r#"{"id":}"#,
            r#"{}"#,
            "null",
        ] {
            let doc = format!("{text} ");
            let mut s = Scanner::new(doc.as_bytes(), path);
            let ours = item_attributes(&mut s).map(|a| (a, s.pos()));
            let mut s = Scanner::new(doc.as_bytes(), path);
            let serde = s.value::<Option<Attributes>>().map(|a| (a, s.pos()));
            assert_eq!(format!("{ours:?}"), format!("{serde:?}"), "{text}");
        }
    }
}
