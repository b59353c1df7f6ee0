//! The parts of a COCO document serde reads at the scanner's position
//! (categories, RLE segmentations); the rest is walked by `read.rs`.

use serde::Deserialize;

/// A category; unknown keys are ignored.
#[derive(Debug, Deserialize)]
pub(super) struct CocoCategory {
    pub(super) id: u64,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) supercategory: Option<String>,
}

/// `segmentation` when it is not a list of polygons: an RLE object.
#[derive(Debug)]
pub(super) struct RleSegmentation {
    pub(super) counts: Counts,
    pub(super) size: Vec<u64>,
}

/// RLE counts: compressed string or run lengths.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum Counts {
    Compressed(String),
    Runs(Vec<u64>),
}

impl<'de> Deserialize<'de> for RleSegmentation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RleSegmentation;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of polygons or an RLE object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RleSegmentation, A::Error> {
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
                Ok(RleSegmentation {
                    counts: counts.ok_or_else(|| serde::de::Error::missing_field("counts"))?,
                    size: size.ok_or_else(|| serde::de::Error::missing_field("size"))?,
                })
            }
        }
        d.deserialize_any(V)
    }
}
