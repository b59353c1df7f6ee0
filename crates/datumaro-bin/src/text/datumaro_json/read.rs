//! Reading Datumaro JSON.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::meta::read_dataset_meta;
use crate::model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, Image, Item, Media, MediaType,
    Rle, Subset, Visibility,
};
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
