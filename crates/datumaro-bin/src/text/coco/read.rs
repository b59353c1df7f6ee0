//! Reading COCO task files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, json};

use crate::model::{
    Annotation, AnnotationKind, Attributes, Dataset, Image, Item, Label, LabelCategories, Media,
    MediaType, Rle, Subset,
};
use crate::{Error, Result};

use super::TASKS;
use super::document::{CocoAnnotation, CocoFile, Counts, Segmentation, coord};

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
