//! The COCO document as serde reads it.

use serde::Deserialize;
use serde_json::Value;

use crate::binary::record::round2;
use crate::model::Attributes;

/// A COCO task file; unknown keys are ignored.
#[derive(Debug, Deserialize)]
pub(super) struct CocoFile {
    #[serde(default)]
    pub(super) categories: Vec<CocoCategory>,
    #[serde(default)]
    pub(super) images: Vec<CocoImage>,
    #[serde(default)]
    pub(super) annotations: Vec<CocoAnnotation>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CocoCategory {
    pub(super) id: u64,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) supercategory: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CocoImage {
    pub(super) id: u64,
    pub(super) file_name: String,
    #[serde(default)]
    pub(super) width: Option<f64>,
    #[serde(default)]
    pub(super) height: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub(super) struct CocoAnnotation {
    #[serde(default)]
    pub(super) id: Option<i64>,
    pub(super) image_id: u64,
    #[serde(default)]
    pub(super) category_id: Option<u64>,
    #[serde(default)]
    pub(super) segmentation: Option<Segmentation>,
    #[serde(default)]
    pub(super) bbox: Option<Vec<f64>>,
    #[serde(default)]
    pub(super) iscrowd: Option<u64>,
    #[serde(default)]
    pub(super) score: Option<Value>,
    #[serde(default)]
    pub(super) attributes: Option<Attributes>,
    #[serde(default)]
    pub(super) caption: Option<String>,
}

/// `segmentation`: polygons (a list of point lists, already rounded to 2
/// decimals and narrowed to f32) or an RLE object.
#[derive(Debug)]
pub(super) enum Segmentation {
    Polygons(Vec<Vec<f32>>),
    Rle { counts: Counts, size: Vec<u64> },
}

/// RLE counts: compressed string or run lengths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Counts {
    Compressed(String),
    Runs(Vec<u64>),
}

/// One polygon's coordinates, rounded as they are read ([`coord`]), so the
/// f64 list is never built.
pub(super) struct Polygon(pub(super) Vec<f32>);

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

pub(super) fn coord(x: f64) -> f32 {
    round2(x) as f32
}
