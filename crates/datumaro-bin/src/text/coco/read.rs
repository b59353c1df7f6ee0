//! Reading COCO task files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::{
    Annotation, AnnotationKind, Attributes, Dataset, Image, Item, Label, LabelCategories, Media,
    MediaType, Rle, Subset,
};
use crate::text::number::{Number, round2};
use crate::text::scan::{Scanner, Seen};
use crate::text::window::Window;
use crate::{Error, Result};

use super::TASKS;
use super::document::{CocoCategory, Counts, RleSegmentation};

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

/// An image of a task file.
struct CocoImage {
    id: u64,
    file_name: String,
    width: Option<f64>,
    height: Option<f64>,
}

/// The annotations one COCO annotation yields (a polygon per part or a
/// mask, then its box; or a caption), as a range of the file's flat list.
struct Group {
    image_id: u64,
    category_id: Option<u64>,
    /// Index in the file's `annotations`, for errors.
    index: usize,
    /// Where its annotations start in the flat list.
    start: usize,
}

/// One task file as read: its categories and images, and the annotations
/// it yields in file order (flat, labels not yet resolved: the categories
/// may come after the annotations in the document).
#[derive(Default)]
struct TaskFile {
    categories: Vec<CocoCategory>,
    images: Vec<CocoImage>,
    annotations: Vec<Annotation>,
    groups: Vec<Group>,
}

/// Buffers reused from annotation to annotation.
struct Scratch {
    /// `{"is_crowd": false}` and `{"is_crowd": true}`.
    crowd: [Attributes; 2],
    /// The polygons' coordinates, one after another.
    coords: Vec<f32>,
    /// Where each polygon ends in `coords`.
    ends: Vec<usize>,
}

/// The items of one subset, by COCO image id.
#[derive(Default)]
struct SubsetItems {
    items: Vec<(u64, Item)>,
    index: HashMap<u64, usize>,
}

/// Reads a COCO dataset folder (`annotations/<task>_<subset>.json`).
pub fn read_coco(root: &Path) -> Result<Dataset> {
    let root = &std::path::absolute(root).map_err(|e| Error::io(root, e))?;
    let mut ds = Dataset {
        media_root: Some(root.clone()),
        ..Dataset::default()
    };
    let mut subsets: BTreeMap<String, SubsetItems> = BTreeMap::new();
    let mut cat_index: HashMap<u64, i32> = HashMap::new();
    let files = task_files(root)?;
    // instances first (they define the categories), then captions, then image_info.
    let order = |t: &str| TASKS.iter().position(|x| *x == t).unwrap_or(9);
    let mut files = files;
    files.sort_by_key(|a| (a.1.clone(), order(&a.0)));
    for (task, subset, path) in &files {
        let doc = Doc { file: path };
        let mut file = parse_task(&doc, &mut Window::open(path)?, task)?;
        if task == "instances" && ds.categories.label.is_none() {
            let mut lc = LabelCategories::default();
            for (i, c) in std::mem::take(&mut file.categories).into_iter().enumerate() {
                lc.labels.push(Label {
                    name: c.name,
                    parent: c.supercategory.unwrap_or_default(),
                    attributes: Vec::new(),
                });
                cat_index.insert(c.id, i32::try_from(i).unwrap_or(i32::MAX));
            }
            ds.categories.label = Some(lc);
        }
        if task == "instances" {
            resolve_labels(&doc, &mut file, &cat_index)?;
        }
        let items = subsets.entry(subset.clone()).or_default();
        let images_dir = if root.join("images").join(subset).is_dir() {
            None
        } else {
            Some(root.join("images"))
        };
        for img in file.images {
            if items.index.contains_key(&img.id) {
                continue;
            }
            let (w, h) = (img.width.unwrap_or(0.0), img.height.unwrap_or(0.0));
            let stem = Path::new(&img.file_name).with_extension("");
            let mut item = Item::new(stem.to_string_lossy().replace('\\', "/"), subset.as_str());
            item.attributes.insert("id".into(), Value::from(img.id));
            let path = match &images_dir {
                None => img.file_name,
                Some(d) => d.join(&img.file_name).to_string_lossy().into_owned(),
            };
            let size = (w >= 1.0 && h >= 1.0).then_some((h as u32, w as u32));
            item.media = Some(Media::Image(Image { path, size }));
            items.index.insert(img.id, items.items.len());
            items.items.push((img.id, item));
        }
        place(&doc, file.annotations, &file.groups, items)?;
    }
    for (name, items) in subsets {
        let mut items = items.items;
        // By item id; equal ids by COCO image id.
        items.sort_by(|a, b| a.1.id.cmp(&b.1.id).then(a.0.cmp(&b.0)));
        ds.subsets.push(Subset {
            name,
            items: items.into_iter().map(|(_, item)| item).collect(),
        });
    }
    ds.media_type = MediaType::Image;
    Ok(ds)
}

/// Moves the file's annotations to their items: datumaro yields an image's
/// annotations in reverse file order (each COCO annotation's own in order).
fn place(
    doc: &Doc<'_>,
    mut annotations: Vec<Annotation>,
    groups: &[Group],
    items: &mut SubsetItems,
) -> Result<()> {
    let mut slots = Vec::with_capacity(groups.len());
    let mut added = vec![0usize; items.items.len()];
    for (g, next) in groups.iter().zip(
        groups
            .iter()
            .skip(1)
            .map(|g| g.start)
            .chain([annotations.len()]),
    ) {
        let slot = *items.index.get(&g.image_id).ok_or_else(|| {
            doc.bad(format!(
                "an annotation refers to unknown image {}",
                g.image_id
            ))
        })?;
        if let Some(n) = added.get_mut(slot) {
            *n += next - g.start;
        }
        slots.push(slot);
    }
    for ((_, item), n) in items.items.iter_mut().zip(added) {
        item.annotations.reserve_exact(n);
    }
    for (g, slot) in groups.iter().zip(slots).rev() {
        if let Some((_, item)) = items.items.get_mut(slot) {
            item.annotations.extend(annotations.drain(g.start..));
        }
    }
    Ok(())
}

/// Sets each instance's label from its category id.
fn resolve_labels(doc: &Doc<'_>, file: &mut TaskFile, cats: &HashMap<u64, i32>) -> Result<()> {
    let len = file.annotations.len();
    let ends = file.groups.iter().skip(1).map(|g| g.start).chain([len]);
    for (g, end) in file.groups.iter().zip(ends) {
        let label = match g.category_id {
            None | Some(0) => None,
            Some(c) => Some(*cats.get(&c).ok_or_else(|| {
                doc.bad(format!(
                    "annotations[{}].category_id {c} is not a category",
                    g.index
                ))
            })?),
        };
        for a in file.annotations.get_mut(g.start..end).unwrap_or_default() {
            if let AnnotationKind::Polygon { label: l, .. }
            | AnnotationKind::Mask { label: l, .. }
            | AnnotationKind::Bbox { label: l, .. } = &mut a.kind
            {
                *l = label;
            }
        }
    }
    Ok(())
}

/// A top-level member of a task file, as one step reads it.
enum Member {
    End,
    Categories(Vec<CocoCategory>),
    Images,
    Annotations,
    Other,
}

/// Reads one task file through a sliding window (module `window`): a step
/// per top-level member, image and annotation, each annotation turned
/// into the model's as it is read.
fn parse_task(doc: &Doc<'_>, w: &mut Window<'_>, task: &str) -> Result<TaskFile> {
    let mut file = TaskFile::default();
    let mut scratch = Scratch {
        crowd: [false, true].map(|v| {
            let mut m = Attributes::with_capacity(1);
            m.insert("is_crowd".to_owned(), Value::Bool(v));
            m
        }),
        coords: Vec::new(),
        ends: Vec::new(),
    };
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
                b"categories" => Member::Categories(s.value()?),
                b"images" => Member::Images,
                b"annotations" => Member::Annotations,
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
            Member::Categories(_) => (1, "categories"),
            Member::Images => (2, "images"),
            Member::Annotations => (4, "annotations"),
        };
        if seen & bit != 0 {
            return Err(w.error(pos, format!("duplicate field `{name}`")));
        }
        seen |= bit;
        match member {
            Member::Categories(c) => file.categories = c,
            Member::Images => {
                let mut list = w.step(&mut pos, |s| s.array())?;
                loop {
                    let (next, img) = w.step(&mut pos, |s| {
                        let mut l = list;
                        if !s.element(&mut l)? {
                            return Ok((l, None));
                        }
                        Ok((l, Some(image(s)?)))
                    })?;
                    list = next;
                    match img {
                        Some(img) => file.images.push(img),
                        None => break,
                    }
                }
            }
            Member::Annotations => {
                let mut list = w.step(&mut pos, |s| s.array())?;
                let mut index = 0;
                loop {
                    // A step may run again (see `window`): it first undoes
                    // what an earlier run of it appended.
                    let (n, g) = (file.annotations.len(), file.groups.len());
                    let (next, more) = w.step(&mut pos, |s| {
                        file.annotations.truncate(n);
                        file.groups.truncate(g);
                        let mut l = list;
                        if !s.element(&mut l)? {
                            return Ok((l, false));
                        }
                        annotation(doc, s, task, index, &mut file, &mut scratch)?;
                        Ok((l, true))
                    })?;
                    list = next;
                    if !more {
                        break;
                    }
                    index += 1;
                }
            }
            _ => {}
        }
    }
    w.step(&mut pos, |s| s.end())?;
    Ok(file)
}

fn image(s: &mut Scanner<'_>) -> Result<CocoImage> {
    let (mut id, mut file_name, mut width, mut height) = (None, None, None, None);
    let mut seen = Seen::default();
    let mut m = s.object()?;
    while let Some(k) = s.key(&mut m)? {
        match k.as_ref() {
            b"id" => {
                seen.mark(s, 0, "id")?;
                id = Some(s.u64()?);
            }
            b"file_name" => {
                seen.mark(s, 1, "file_name")?;
                file_name = Some(s.string()?.into_owned());
            }
            b"width" => {
                seen.mark(s, 2, "width")?;
                width = s.option(Scanner::f64)?;
            }
            b"height" => {
                seen.mark(s, 3, "height")?;
                height = s.option(Scanner::f64)?;
            }
            _ => s.skip()?,
        }
    }
    Ok(CocoImage {
        id: id.ok_or_else(|| s.error("missing field `id`"))?,
        file_name: file_name.ok_or_else(|| s.error("missing field `file_name`"))?,
        width,
        height,
    })
}

/// An RLE `segmentation` object: `counts` (a compressed string or run
/// lengths) and `size`; other keys are ignored, a repeated key counts
/// last (as serde's map reading did).
fn rle_object(s: &mut Scanner<'_>) -> Result<RleSegmentation> {
    let (mut counts, mut size) = (None, None);
    let mut m = s.object()?;
    while let Some(k) = s.key(&mut m)? {
        match k.as_ref() {
            b"counts" => {
                counts = Some(if s.peek() == Some(b'[') {
                    let mut runs = Vec::new();
                    let mut list = s.array()?;
                    if !s.numbers(&mut list, &mut runs, "a u64 integer", Number::u64)? {
                        return Err(s.error("expected a u64 integer"));
                    }
                    Counts::Runs(runs)
                } else if s.peek() == Some(b'"') {
                    Counts::Compressed(s.string()?.into_owned())
                } else {
                    s.value()?
                });
            }
            b"size" => size = Some(s.value::<Vec<u64>>()?),
            _ => s.skip()?,
        }
    }
    Ok(RleSegmentation {
        counts: counts.ok_or_else(|| s.error("missing field `counts`"))?,
        size: size.ok_or_else(|| s.error("missing field `size`"))?,
    })
}

/// The type of COCO's numbers in errors.
const WHAT: &str = "a finite f64";

/// Reads one COCO annotation and appends what it yields for `task`.
fn annotation(
    doc: &Doc<'_>,
    s: &mut Scanner<'_>,
    task: &str,
    index: usize,
    file: &mut TaskFile,
    scratch: &mut Scratch,
) -> Result<()> {
    let at = || format!("annotations[{index}]");
    let (mut id, mut image_id, mut category_id) = (None, None, None);
    let (mut bbox, mut iscrowd, mut score, mut attributes, mut caption) =
        (None, None, None, None, None);
    let mut rle: Option<RleSegmentation> = None;
    let mut polygons = false;
    scratch.coords.clear();
    scratch.ends.clear();
    let mut seen = Seen::default();
    let mut m = s.object()?;
    while let Some(k) = s.key(&mut m)? {
        match k.as_ref() {
            b"id" => {
                seen.mark(s, 0, "id")?;
                id = s.option(Scanner::i64)?;
            }
            b"image_id" => {
                seen.mark(s, 1, "image_id")?;
                image_id = Some(s.u64()?);
            }
            b"category_id" => {
                seen.mark(s, 2, "category_id")?;
                category_id = s.option(Scanner::u64)?;
            }
            b"segmentation" => {
                seen.mark(s, 3, "segmentation")?;
                if s.peek() == Some(b'[') {
                    polygons = true;
                    let mut parts = s.array()?;
                    while s.element(&mut parts)? {
                        let mut pts = s.array()?;
                        if !s.numbers(&mut pts, &mut scratch.coords, WHAT, Number::coco_coord)? {
                            return Err(s.error(format!("expected {WHAT}")));
                        }
                        scratch.ends.push(scratch.coords.len());
                    }
                } else if s.peek() == Some(b'{') {
                    rle = Some(rle_object(s)?);
                } else {
                    rle = s.value()?;
                }
            }
            b"bbox" => {
                seen.mark(s, 4, "bbox")?;
                bbox = s.option(|s| {
                    let (mut v, mut n) = ([0f64; 4], 0usize);
                    let mut m = s.array()?;
                    while s.element(&mut m)? {
                        let x = s.f64()?;
                        if let Some(slot) = v.get_mut(n) {
                            *slot = x;
                        }
                        n += 1;
                    }
                    Ok((v, n))
                })?;
            }
            b"iscrowd" => {
                seen.mark(s, 5, "iscrowd")?;
                iscrowd = s.option(Scanner::u64)?;
            }
            b"score" => {
                seen.mark(s, 6, "score")?;
                score = s.value::<Option<Value>>()?;
            }
            b"attributes" => {
                seen.mark(s, 7, "attributes")?;
                attributes = s.value::<Option<Attributes>>()?;
            }
            b"caption" => {
                seen.mark(s, 8, "caption")?;
                caption = s.value::<Option<String>>()?;
            }
            _ => s.skip()?,
        }
    }
    let image_id = image_id.ok_or_else(|| s.error("missing field `image_id`"))?;
    let id = id.unwrap_or(0);
    let start = file.annotations.len();
    let out = &mut file.annotations;
    if task == "captions" {
        out.push(Annotation {
            id,
            group: id,
            object_id: -1,
            attributes: Attributes::new(),
            kind: AnnotationKind::Caption {
                caption: caption.unwrap_or_default(),
            },
        });
    } else if task == "instances" {
        let crowd = iscrowd.unwrap_or(0) != 0;
        let mut attributes = match (attributes, score) {
            // The usual `{"is_crowd": ...}`, cloned ready-made.
            (None, None) => {
                let [no, yes] = &scratch.crowd;
                if crowd { yes.clone() } else { no.clone() }
            }
            (attributes, score) => {
                let mut attributes = attributes.unwrap_or_default();
                if let Some(s) = score {
                    attributes.insert("score".into(), s);
                }
                attributes.insert("is_crowd".into(), Value::Bool(crowd));
                attributes
            }
        };
        // The label is set once the categories are known.
        let mut kinds = Vec::new();
        if polygons {
            let mut from = 0;
            for &end in &scratch.ends {
                kinds.push(AnnotationKind::Polygon {
                    label: None,
                    z_order: 0,
                    points: scratch.coords.get(from..end).unwrap_or_default().to_vec(),
                });
                from = end;
            }
        } else if let Some(RleSegmentation { counts, size }) = rle {
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
            kinds.push(AnnotationKind::Mask {
                label: None,
                z_order: 0,
                rle,
            });
        }
        if let Some((b, n)) = bbox {
            if n != 4 {
                return Err(doc.bad(format!("{}.bbox is not [x, y, w, h]", at())));
            }
            let [x, y, w, h] = b;
            let c = |v: f64| round2(v) as f32;
            kinds.push(AnnotationKind::Bbox {
                label: None,
                z_order: 0,
                corners: [c(x), c(y), c(x + w), c(y + h)],
            });
        }
        let last = kinds.len().saturating_sub(1);
        for (i, kind) in kinds.into_iter().enumerate() {
            out.push(Annotation {
                id,
                group: id,
                object_id: -1,
                attributes: if i == last {
                    std::mem::take(&mut attributes)
                } else {
                    attributes.clone()
                },
                kind,
            });
        }
    }
    if out.len() > start {
        file.groups.push(Group {
            image_id,
            category_id,
            index,
            start,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a task file yields, comparable.
    fn summary(f: Result<TaskFile>) -> std::result::Result<String, String> {
        f.map(|f| {
            let groups: Vec<_> = f
                .groups
                .iter()
                .map(|g| (g.image_id, g.category_id, g.index, g.start))
                .collect();
            let images: Vec<_> = f
                .images
                .iter()
                .map(|i| (i.id, i.file_name.clone(), i.width, i.height))
                .collect();
            format!("{:?} {images:?} {groups:?}", f.annotations)
        })
        .map_err(|e| e.to_string())
    }

    /// A window that reads a few bytes at a time gives what the whole
    /// task file gives, results and errors alike.
    #[test]
    fn a_sliding_window_reads_what_the_whole_task_file_reads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/datumaro");
        let mut docs = Vec::new();
        for case in [
            "all_annotation_types",
            "attribute_value_types",
            "basic_image",
        ] {
            for (task, _, f) in task_files(&dir.join(case).join("coco")).expect("files") {
                docs.push((task, std::fs::read(&f).expect("fixture")));
            }
        }
        if let Some((task, d)) = docs.first().cloned() {
            docs.push((task, d.get(..d.len() / 2).unwrap_or_default().to_vec()));
        }
        docs.push((
            "instances".into(),
            b"{\"annotations\":[{\"image_id\":1,\n\"bbox\":[1,2,3]}]}".to_vec(),
        ));
        let tmp = tempfile::tempdir().expect("tempdir");
        for (i, (task, doc)) in docs.iter().enumerate() {
            let path = tmp.path().join(format!("{i}.json"));
            std::fs::write(&path, doc).expect("write");
            let d = Doc { file: &path };
            let whole = summary(parse_task(&d, &mut Window::slice(doc, &path), task));
            for chunk in [1, 7, 64] {
                let mut w = Window::open_with(&path, chunk).expect("open");
                assert_eq!(
                    summary(parse_task(&d, &mut w, task)),
                    whole,
                    "{i}, chunk {chunk}"
                );
            }
        }
    }
}
