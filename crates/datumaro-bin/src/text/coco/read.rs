//! Reading COCO task files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::{
    Annotation, AnnotationKind, Attributes, Dataset, Image, Item, Label, LabelCategories, Media,
    MediaType, Rle, Subset,
};
use crate::text::number::{Number, round2};
use crate::text::parallel::{Batch, read_elements};
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

/// The items of one subset, by COCO image id.
#[derive(Debug, Default)]
struct SubsetItems {
    items: Vec<(u64, Item)>,
    index: HashMap<u64, usize>,
}

/// Where the items of a task file go: its subset's items, and how an
/// image's path is stored.
struct Target<'a> {
    items: &'a mut SubsetItems,
    subset: &'a str,
    /// `images/` when there is no `images/<subset>/` folder.
    images_dir: Option<PathBuf>,
}

impl Target<'_> {
    /// Adds the item of `img` unless an image of its id is already there.
    fn add_image(&mut self, img: CocoImage) {
        let items = &mut *self.items;
        let slot = items.items.len();
        let std::collections::hash_map::Entry::Vacant(free) = items.index.entry(img.id) else {
            return;
        };
        free.insert(slot);
        let (w, h) = (img.width.unwrap_or(0.0), img.height.unwrap_or(0.0));
        let mut item = Item::new(item_id(&img.file_name), self.subset);
        // Sized for its one entry (an empty map would reserve three).
        item.attributes = Attributes::with_capacity(1);
        item.attributes.insert("id".into(), Value::from(img.id));
        let path = match &self.images_dir {
            None => img.file_name,
            Some(d) => d.join(&img.file_name).to_string_lossy().into_owned(),
        };
        let size = (w >= 1.0 && h >= 1.0).then_some((h as u32, w as u32));
        item.media = Some(Media::Image(Image { path, size }));
        items.items.push((img.id, item));
    }
}

/// The item id of an image's file name: without its extension, `\\` as
/// `/`.
fn item_id(file_name: &str) -> String {
    // A plain name (no separator, no leading dot): up to its last dot,
    // as `Path::with_extension` cuts it, without building a path.
    if !file_name.contains(['/', '\\']) && !file_name.starts_with('.') {
        let stem = file_name
            .rfind('.')
            .map_or(file_name, |dot| file_name.get(..dot).unwrap_or(file_name));
        return stem.to_owned();
    }
    let stem = Path::new(file_name).with_extension("");
    stem.to_string_lossy().replace('\\', "/")
}

/// Annotations read before the file's images (a document whose
/// `annotations` come first): kept aside in file order until the images
/// are known.
#[derive(Default)]
struct Unplaced {
    annotations: Vec<Annotation>,
    /// Per COCO annotation: its image id and how many annotations it
    /// yielded.
    groups: Vec<(u64, usize)>,
}

/// How the instances of a task file get their labels.
#[derive(Clone, Copy)]
enum Labelling {
    /// Not an instances file: nothing to label.
    None,
    /// The categories are known (they came before the annotations, or an
    /// earlier file defined them): labels are set as annotations are read.
    Now,
    /// The categories may come after the annotations: labels hold
    /// provisional numbers (see [`TaskFile::used`]) until the end.
    Provisional,
}

/// What the annotations of a task file need once the document is read:
/// labels, order, and the first errors that only count then.
#[derive(Default)]
struct TaskFile {
    unplaced: Unplaced,
    /// Runs of consecutive COCO annotations of one item, in file order:
    /// the item's slot, where the run starts in its list and its length.
    /// A run is put in datumaro's order when it ends (see [`end_run`]).
    runs: Vec<(usize, usize, usize)>,
    /// The item slot of the run being read.
    run: Option<usize>,
    /// The current run's annotations, in file order.
    run_annotations: Vec<Annotation>,
    /// How many annotations each COCO annotation of the current run
    /// yielded.
    run_groups: Vec<usize>,
    /// Runs per item slot, to find items whose COCO annotations are not
    /// all consecutive (saturating).
    runs_of: Vec<u8>,
    /// Category ids the instances refer to, in order of first use, with
    /// the index of the first annotation that does (for errors).
    used: Vec<(u64, usize)>,
    /// The provisional label of each category id in `used`: with
    /// [`Labelling::Provisional`], a label holds `id - 1` (the label when
    /// categories are numbered from 1 in order, as datumaro writes them,
    /// so that nothing has to change at the end), or `-1 - k` for the
    /// `k`-th id too large for that (`large`).
    used_index: CategoryMap,
    large: Vec<u64>,
    /// With [`Labelling::Now`], the index and category id of the first
    /// annotation whose category is unknown.
    unknown_category: Option<(usize, u64)>,
    /// The image id of the first annotation whose image is unknown.
    unknown_image: Option<u64>,
    /// The image id and item slot of the last annotation placed.
    last_image: Option<(u64, usize)>,
}

impl TaskFile {
    /// The provisional label of category `c` (see `used_index`), first
    /// used by annotation `index`.
    fn provisional(&mut self, doc: &Doc<'_>, c: u64, index: usize) -> Result<i32> {
        if let Some(p) = self.used_index.get(c) {
            return Ok(p);
        }
        let p = match i32::try_from(c.wrapping_sub(1)) {
            Ok(p) => p,
            Err(_) => {
                let k = i32::try_from(self.large.len())
                    .map_err(|_| doc.bad("too many distinct category ids"))?;
                self.large.push(c);
                -1 - k
            }
        };
        self.used.push((c, index));
        self.used_index.insert(c, p);
        Ok(p)
    }

    /// The category id a provisional label stands for.
    fn category_of(&self, p: i32) -> Option<u64> {
        match u64::try_from(p) {
            Ok(p) => Some(p + 1),
            Err(_) => self
                .large
                .get(usize::try_from(-1 - i64::from(p)).ok()?)
                .copied(),
        }
    }
}

/// What a worker keeps of the annotations it reads (module `parallel`):
/// what they yield, one after another.
#[derive(Default)]
struct Kept {
    scratch: Scratch,
    annotations: Vec<Annotation>,
}

/// A map from COCO category ids to label numbers that looks small ids
/// (the usual `1..=N`) up in a table, without hashing.
#[derive(Debug, Default)]
struct CategoryMap {
    /// Entry `id` for ids below [`CategoryMap::DENSE`] (`-1`: none).
    dense: Vec<i32>,
    sparse: HashMap<u64, i32>,
}

impl CategoryMap {
    /// Ids looked up in the table (4 bytes each).
    const DENSE: u64 = 4096;

    fn get(&self, id: u64) -> Option<i32> {
        if id < Self::DENSE {
            let v = *self.dense.get(usize::try_from(id).ok()?)?;
            (v >= 0).then_some(v)
        } else {
            self.sparse.get(&id).copied()
        }
    }

    /// Sets `id` to `v` (non-negative), replacing what it was.
    fn insert(&mut self, id: u64, v: i32) {
        match usize::try_from(id) {
            Ok(i) if id < Self::DENSE => {
                if self.dense.len() <= i {
                    self.dense.resize(i + 1, -1);
                }
                if let Some(slot) = self.dense.get_mut(i) {
                    *slot = v;
                }
            }
            _ => {
                self.sparse.insert(id, v);
            }
        }
    }
}

/// Buffers reused from annotation to annotation.
#[derive(Default)]
struct Scratch {
    /// What the current COCO annotation yields.
    out: Vec<Annotation>,
    /// The polygons' coordinates, one after another.
    coords: Vec<f32>,
    /// Where each polygon ends in `coords`.
    ends: Vec<usize>,
}

/// Reads a COCO dataset folder (`annotations/<task>_<subset>.json`).
pub fn read_coco(root: &Path) -> Result<Dataset> {
    let root = &std::path::absolute(root).map_err(|e| Error::io(root, e))?;
    let mut ds = Dataset {
        media_root: Some(root.clone()),
        ..Dataset::default()
    };
    let mut subsets: BTreeMap<String, SubsetItems> = BTreeMap::new();
    let mut cat_index = CategoryMap::default();
    let files = task_files(root)?;
    // instances first (they define the categories), then captions, then image_info.
    let order = |t: &str| TASKS.iter().position(|x| *x == t).unwrap_or(9);
    let mut files = files;
    files.sort_by_key(|a| (a.1.clone(), order(&a.0)));
    for (task, subset, path) in &files {
        let doc = Doc { file: path };
        let images_dir = if root.join("images").join(subset).is_dir() {
            None
        } else {
            Some(root.join("images"))
        };
        let mut target = Target {
            items: subsets.entry(subset.clone()).or_default(),
            subset,
            images_dir,
        };
        let mut labels = Labels {
            categories: &mut ds.categories.label,
            index: &mut cat_index,
        };
        read_task(
            &doc,
            &mut Window::open(path)?,
            task,
            &mut target,
            &mut labels,
        )?;
    }
    for (name, items) in subsets {
        let mut items = items.items;
        // By item id; equal ids by COCO image id. Usually already in that
        // order (a sort would take a scratch copy of the list).
        let key = |a: &(u64, Item), b: &(u64, Item)| a.1.id.cmp(&b.1.id).then(a.0.cmp(&b.0));
        if !items.is_sorted_by(|a, b| key(a, b).is_le()) {
            items.sort_by(key);
        }
        ds.subsets.push(Subset {
            name,
            items: items.into_iter().map(|(_, item)| item).collect(),
        });
    }
    ds.media_type = MediaType::Image;
    Ok(ds)
}

/// The label categories, defined by the first instances file, and the
/// label index of each COCO category id.
struct Labels<'a> {
    categories: &'a mut Option<LabelCategories>,
    index: &'a mut CategoryMap,
}

impl Labels<'_> {
    /// Defines the labels from an instances file's categories, unless an
    /// earlier file did.
    fn define(&mut self, categories: Vec<CocoCategory>) {
        if self.categories.is_some() {
            return;
        }
        let mut lc = LabelCategories::default();
        for (i, c) in categories.into_iter().enumerate() {
            lc.labels.push(Label {
                name: c.name,
                parent: c.supercategory.unwrap_or_default(),
                attributes: Vec::new(),
            });
            self.index
                .insert(c.id, i32::try_from(i).unwrap_or(i32::MAX));
        }
        *self.categories = Some(lc);
    }
}

/// Reads one task file into `target`: its items, then its annotations in
/// the order datumaro yields them, labelled (the first instances file
/// defines the labels).
fn read_task(
    doc: &Doc<'_>,
    w: &mut Window<'_>,
    task: &str,
    target: &mut Target<'_>,
    labels: &mut Labels<'_>,
) -> Result<()> {
    let mut file = parse_task(doc, w, task, target, labels)?;
    if task == "instances" {
        // An instances file without categories defines no labels.
        labels.define(Vec::new());
    }
    let items = &mut target.items;
    end_run(&mut file, &mut items.items);
    // Errors in the order the whole-document reader found them: unknown
    // categories (first annotation in file order), then unknown images.
    if let Some((index, c)) = file.unknown_category {
        return Err(unknown_category(doc, index, c));
    }
    // Whether some provisional label differs from the label it stands for.
    let mut relabel = false;
    for &(c, index) in &file.used {
        let l = labels.index.get(c);
        let l = l.ok_or_else(|| unknown_category(doc, index, c))?;
        relabel |= file.used_index.get(c) != Some(l);
    }
    if let Some(id) = file.unknown_image {
        return Err(unknown_image(doc, id));
    }
    let Unplaced {
        annotations,
        groups: pending,
    } = std::mem::take(&mut file.unplaced);
    if !pending.is_empty() {
        let mut slots = Vec::with_capacity(pending.len());
        for &(image_id, _) in &pending {
            let slot = items.index.get(&image_id);
            slots.push(*slot.ok_or_else(|| unknown_image(doc, image_id))?);
        }
        file.runs_of = vec![0; items.items.len()];
        let (mut rest, mut out) = (annotations.into_iter(), Vec::new());
        for (&(_, n), slot) in pending.iter().zip(slots) {
            out.extend(rest.by_ref().take(n));
            append(&mut file, &mut items.items, slot, &mut out);
        }
        end_run(&mut file, &mut items.items);
    }
    // Provisional labels become label indices (unless they already are).
    if relabel {
        let index = &*labels.index;
        let label_of = |p: i32| index.get(file.category_of(p)?);
        for &(slot, start, len) in &file.runs {
            let Some((_, item)) = items.items.get_mut(slot) else {
                continue;
            };
            for a in item
                .annotations
                .get_mut(start..start + len)
                .unwrap_or_default()
            {
                if let AnnotationKind::Polygon { label, .. }
                | AnnotationKind::Mask { label, .. }
                | AnnotationKind::Bbox { label, .. } = &mut a.kind
                {
                    *label = label.and_then(label_of);
                }
            }
        }
    }
    order_runs(&file, &mut items.items);
    Ok(())
}

fn unknown_category(doc: &Doc<'_>, index: usize, c: u64) -> Error {
    doc.bad(format!(
        "annotations[{index}].category_id {c} is not a category"
    ))
}

fn unknown_image(doc: &Doc<'_>, id: u64) -> Error {
    doc.bad(format!("an annotation refers to unknown image {id}"))
}

/// Appends what one COCO annotation yielded (`out`) to the current run
/// of annotations of the item at `slot` (a new run when the item changes).
fn append(file: &mut TaskFile, items: &mut [(u64, Item)], slot: usize, out: &mut Vec<Annotation>) {
    if file.run.is_some_and(|s| s != slot) {
        end_run(file, items);
    }
    file.run = Some(slot);
    file.run_groups.push(out.len());
    file.run_annotations.append(out);
}

/// Ends the current run: its COCO annotations in reverse file order, each
/// one's own in order, as datumaro yields an image's annotations, moved to
/// the end of the item's list (at its size when the list was empty: no
/// list grows by doubling).
fn end_run(file: &mut TaskFile, items: &mut [(u64, Item)]) {
    let Some(slot) = file.run.take() else {
        return;
    };
    let run = &mut file.run_annotations;
    if file.run_groups.len() > 1 {
        reverse_groups(run, &file.run_groups);
    }
    file.run_groups.clear();
    let Some((_, item)) = items.get_mut(slot) else {
        run.clear();
        return;
    };
    file.runs.push((slot, item.annotations.len(), run.len()));
    if let Some(r) = file.runs_of.get_mut(slot) {
        *r = r.saturating_add(1);
    }
    item.annotations.reserve_exact(run.len());
    item.annotations.append(run);
}

/// Reverses the order of the consecutive blocks of `list` whose lengths
/// are `blocks` (in order), keeping each block's own order.
fn reverse_groups(list: &mut [Annotation], blocks: &[usize]) {
    // Reversed whole, each block is reversed in place: put back.
    list.reverse();
    let mut at = 0;
    for &n in blocks.iter().rev() {
        if n > 1
            && let Some(b) = list.get_mut(at..at + n)
        {
            b.reverse();
        }
        at += n;
    }
}

/// Items whose COCO annotations came in several runs hold each run in
/// datumaro's order, the runs in file order: the runs are put in reverse
/// order too.
fn order_runs(file: &TaskFile, items: &mut [(u64, Item)]) {
    if !file.runs_of.iter().any(|&r| r > 1) {
        return;
    }
    let mut runs: HashMap<usize, (usize, Vec<usize>)> = HashMap::new();
    for &(slot, start, len) in &file.runs {
        if file.runs_of.get(slot).is_some_and(|&r| r > 1) {
            runs.entry(slot).or_insert((start, Vec::new())).1.push(len);
        }
    }
    for (slot, (start, lens)) in runs {
        if let Some((_, item)) = items.get_mut(slot) {
            reverse_groups(item.annotations.get_mut(start..).unwrap_or_default(), &lens);
        }
    }
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
/// per top-level member, image and annotation, each image added to the
/// items and each annotation turned into the model's as it is read. When
/// the images came first, an annotation goes straight to its item;
/// otherwise it waits in [`TaskFile::unplaced`].
fn parse_task(
    doc: &Doc<'_>,
    w: &mut Window<'_>,
    task: &str,
    target: &mut Target<'_>,
    labels: &mut Labels<'_>,
) -> Result<TaskFile> {
    let mut file = TaskFile::default();
    let mut scratch = Scratch {
        out: Vec::new(),
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
            Member::Categories(c) if task == "instances" => labels.define(c),
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
                        Some(img) => target.add_image(img),
                        None => break,
                    }
                }
            }
            Member::Annotations => {
                // Every image of the file is known when they came first.
                let images_known = seen & 2 != 0;
                if images_known {
                    file.runs_of = vec![0; target.items.items.len()];
                }
                let labelling = match (task, labels.categories.is_some()) {
                    ("instances", true) => Labelling::Now,
                    ("instances", false) => Labelling::Provisional,
                    _ => Labelling::None,
                };
                // Labels what one COCO annotation yielded (`out`, its image
                // and category ids, its index) and places it.
                let mut place_one = |out: &mut Vec<Annotation>,
                                     (image_id, category_id): (u64, Option<u64>),
                                     index: usize|
                 -> Result<()> {
                    let label = match (labelling, category_id) {
                        (Labelling::None, _) | (_, None | Some(0)) => None,
                        (Labelling::Now, Some(c)) => {
                            let l = labels.index.get(c);
                            if l.is_none() {
                                file.unknown_category.get_or_insert((index, c));
                            }
                            l
                        }
                        (Labelling::Provisional, Some(c)) => Some(file.provisional(doc, c, index)?),
                    };
                    place(&mut file, target.items, out, image_id, label, images_known);
                    Ok(())
                };
                let mut list = w.step(&mut pos, |s| s.array())?;
                let mut index = 0;
                let parallel = rayon::current_num_threads() > 1;
                // The batch being read and the one read before, placed
                // meanwhile.
                let (mut reading, mut read) = (Batch::new(), Batch::new());
                let mut placing = Vec::new();
                loop {
                    if parallel {
                        // What lies whole in the window, on the pool's
                        // workers, while the annotations of the batch
                        // before are placed (in file order) and the next
                        // chunk is read.
                        w.refill(&mut pos)?;
                        let init = (Kept::default, |k: &mut Kept| k.annotations.clear());
                        let ((), placed) = w.read_ahead_during(|view| {
                            rayon::join(
                                || {
                                    read_elements(
                                        view,
                                        &mut pos,
                                        &mut list,
                                        &mut reading,
                                        init,
                                        |s, k| {
                                            k.scratch.out.clear();
                                            // No index: an annotation that
                                            // fails is read again by the
                                            // step below, which names it.
                                            let read = annotation(doc, s, task, 0, &mut k.scratch)?;
                                            let n = k.scratch.out.len();
                                            k.annotations.append(&mut k.scratch.out);
                                            Ok((read, n))
                                        },
                                    )
                                },
                                || place_batch(&mut read, &mut placing, &mut index, &mut place_one),
                            )
                        })?;
                        placed?;
                        std::mem::swap(&mut reading, &mut read);
                        if read.has_kept() {
                            continue;
                        }
                        // Nothing read in parallel (and all placed): the
                        // step below reads on.
                    }
                    // A step may run again (see `window`): it only fills
                    // `scratch.out`, which each run starts afresh.
                    let (next, read) = w.step(&mut pos, |s| {
                        scratch.out.clear();
                        let mut l = list;
                        if !s.element(&mut l)? {
                            return Ok((l, None));
                        }
                        let read = annotation(doc, s, task, index, &mut scratch)?;
                        Ok((l, Some(read)))
                    })?;
                    list = next;
                    let Some(read) = read else {
                        break;
                    };
                    if let Some(ids) = read {
                        place_one(&mut scratch.out, ids, index)?;
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

/// What a worker reads of one COCO annotation: its image id and category
/// id when it yields anything, and how many annotations it yields (in
/// [`Kept::annotations`]).
type Read = (Option<(u64, Option<u64>)>, usize);

/// Places what a batch of workers read, in file order, with `place`
/// (what one annotation yielded, its ids, its index); `index` counts the
/// COCO annotations.
fn place_batch(
    batch: &mut Batch<Read, Kept>,
    out: &mut Vec<Annotation>,
    index: &mut usize,
    mut place: impl FnMut(&mut Vec<Annotation>, (u64, Option<u64>), usize) -> Result<()>,
) -> Result<()> {
    for run in batch.take_kept() {
        let mut annotations = run.scratch.annotations.drain(..);
        for (read, n) in run.values.drain(..) {
            out.clear();
            out.extend(annotations.by_ref().take(n));
            if let Some(ids) = read {
                place(out, ids, *index)?;
            }
            *index += 1;
        }
    }
    Ok(())
}

/// Moves what one COCO annotation yielded (`out`) to the item of its
/// image, or aside when the images are not known yet, labelling its
/// instances with `label`.
fn place(
    file: &mut TaskFile,
    items: &mut SubsetItems,
    out: &mut Vec<Annotation>,
    image_id: u64,
    label: Option<i32>,
    images_known: bool,
) {
    if label.is_some() {
        for a in out.iter_mut() {
            if let AnnotationKind::Polygon { label: l, .. }
            | AnnotationKind::Mask { label: l, .. }
            | AnnotationKind::Bbox { label: l, .. } = &mut a.kind
            {
                *l = label;
            }
        }
    }
    if !images_known {
        file.unplaced.groups.push((image_id, out.len()));
        file.unplaced.annotations.append(out);
        return;
    }
    // An image's annotations usually follow one another, and images and
    // annotations often come in the same order: the last item and the one
    // after it are tried before the hash table (ids are unique among the
    // items).
    let next = |slot: usize| {
        let id = items.items.get(slot + 1).map(|(id, _)| *id);
        (id == Some(image_id)).then_some(slot + 1)
    };
    let slot = match file.last_image {
        Some((id, slot)) if id == image_id => Some(slot),
        Some((_, slot)) => next(slot).or_else(|| items.index.get(&image_id).copied()),
        None => items.index.get(&image_id).copied(),
    };
    match slot {
        Some(slot) => {
            file.last_image = Some((image_id, slot));
            append(file, &mut items.items, slot, out);
        }
        // An error once the document is read whole (other errors first).
        None => {
            file.unknown_image.get_or_insert(image_id);
            out.clear();
        }
    }
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

/// A copy of `m` sized for its entries (a cloned map reserves as many as
/// its hash table could hold).
fn copy_exact(m: &Attributes) -> Attributes {
    let mut c = Attributes::with_capacity(m.len());
    for (k, v) in m {
        c.insert(k.clone(), v.clone());
    }
    c
}

/// Reads one COCO annotation and puts what it yields for `task` in
/// `scratch.out` (labels unset); returns its image id and category id when
/// it yields anything.
fn annotation(
    doc: &Doc<'_>,
    s: &mut Scanner<'_>,
    task: &str,
    index: usize,
    scratch: &mut Scratch,
) -> Result<Option<(u64, Option<u64>)>> {
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
    let out = &mut scratch.out;
    let header = |attributes: Attributes, kind: AnnotationKind| Annotation {
        id,
        group: id,
        object_id: -1,
        attributes,
        kind,
    };
    if task == "captions" {
        out.push(header(
            Attributes::new(),
            AnnotationKind::Caption {
                caption: caption.unwrap_or_default(),
            },
        ));
    } else if task == "instances" {
        let crowd = iscrowd.unwrap_or(0) != 0;
        // The usual `{"is_crowd": ...}` is built for each annotation
        // rather than cloned; other attributes are read once and copied
        // for all but the last annotation (below).
        let attributes = match (attributes, score) {
            (None, None) => None,
            (attributes, score) => {
                let mut attributes = attributes.unwrap_or_default();
                if let Some(s) = score {
                    attributes.insert("score".into(), s);
                }
                attributes.insert("is_crowd".into(), Value::Bool(crowd));
                Some(attributes)
            }
        };
        // The label is set once the annotation is placed.
        if polygons {
            let mut from = 0;
            for &end in &scratch.ends {
                out.push(header(
                    Attributes::new(),
                    AnnotationKind::Polygon {
                        label: None,
                        z_order: 0,
                        points: scratch.coords.get(from..end).unwrap_or_default().to_vec(),
                    },
                ));
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
                Counts::Compressed(s) => Rle::from_compressed_string(h, w, s),
                Counts::Runs(r) => Rle::from_runs(h, w, &r),
            }
            .map_err(|e| doc.bad(format!("{}.segmentation: {e}", at())))?;
            out.push(header(
                Attributes::new(),
                AnnotationKind::Mask {
                    label: None,
                    z_order: 0,
                    rle,
                },
            ));
        }
        if let Some((b, n)) = bbox {
            if n != 4 {
                return Err(doc.bad(format!("{}.bbox is not [x, y, w, h]", at())));
            }
            let [x, y, w, h] = b;
            let c = |v: f64| round2(v) as f32;
            out.push(header(
                Attributes::new(),
                AnnotationKind::Bbox {
                    label: None,
                    z_order: 0,
                    corners: [c(x), c(y), c(x + w), c(y + h)],
                },
            ));
        }
        // Each annotation gets its own map; the last one takes the map
        // read, if any.
        let last = out.len().saturating_sub(1);
        for a in out.get_mut(..last).unwrap_or_default() {
            a.attributes = match &attributes {
                None => Attributes::is_crowd(crowd),
                Some(m) => copy_exact(m),
            };
        }
        if let Some(a) = out.last_mut() {
            a.attributes = attributes.unwrap_or_else(|| Attributes::is_crowd(crowd));
        }
    }
    Ok((!out.is_empty()).then_some((image_id, category_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one task file through `w` into a fresh subset: its items
    /// and the label categories it defines.
    fn read_one(
        path: &Path,
        w: &mut Window<'_>,
        task: &str,
    ) -> Result<(SubsetItems, Option<LabelCategories>)> {
        let mut items = SubsetItems::default();
        let mut target = Target {
            items: &mut items,
            subset: "s",
            images_dir: None,
        };
        let (mut categories, mut index) = (None, CategoryMap::default());
        let mut labels = Labels {
            categories: &mut categories,
            index: &mut index,
        };
        read_task(&Doc { file: path }, w, task, &mut target, &mut labels)?;
        Ok((items, categories))
    }

    /// What a task file yields, comparable.
    fn summary(path: &Path, w: &mut Window<'_>, task: &str) -> std::result::Result<String, String> {
        read_one(path, w, task)
            .map(|(items, categories)| format!("{:?} {categories:?}", items.items))
            .map_err(|e| e.to_string())
    }

    /// The fixtures' COCO task files, with their task.
    fn fixture_task_docs() -> Vec<(String, Vec<u8>)> {
        crate::text::parallel::fixture_docs(
            &[
                "all_annotation_types",
                "attribute_value_types",
                "basic_image",
            ],
            "coco",
            |d| Ok(task_files(d)?.into_iter().map(|(t, _, f)| (t, f)).collect()),
        )
    }

    /// A window that reads a few bytes at a time gives what the whole
    /// task file gives, results and errors alike.
    #[test]
    fn a_sliding_window_reads_what_the_whole_task_file_reads() {
        let mut docs = fixture_task_docs();
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
            let whole = summary(&path, &mut Window::slice(doc, &path), task);
            for chunk in [1, 7, 64] {
                let mut w = Window::open_with(&path, chunk).expect("open");
                assert_eq!(summary(&path, &mut w, task), whole, "{i}, chunk {chunk}");
            }
        }
    }

    /// With several workers a task file reads exactly as with one: the
    /// fixtures, a synthetic document and corrupted copies of it (the same
    /// errors, with their file, line and column, or annotation index),
    /// through windows of several sizes.
    #[test]
    fn workers_read_what_one_thread_reads() {
        use crate::text::parallel::{corruptions, read_alone_and_together};
        let mut docs = fixture_task_docs();
        let synthetic =
            serde_json::to_vec(&crate::synth::coco_document(40, 7)).expect("a JSON document");
        docs.push(("instances".into(), synthetic.clone()));
        docs.push(("captions".into(), synthetic.clone()));
        // The annotations before the images (placed at the end) and the
        // categories.
        let doc = crate::synth::coco_document(40, 9);
        let mut reordered = serde_json::Map::new();
        for key in ["annotations", "categories", "images"] {
            if let Some(v) = doc.get(key) {
                reordered.insert(key.to_owned(), v.clone());
            }
        }
        docs.push((
            "instances".into(),
            serde_json::to_vec(&reordered).expect("a JSON document"),
        ));
        // Annotations that hold look-alikes of annotations (where a task
        // may start, and read well, but not where an element starts).
        let mut decoys = crate::synth::coco_document(40, 8);
        let decoy = serde_json::json!({"decoy": [
            {"id": 1, "image_id": 1, "bbox": [1, 2, 3, 4]},
            {"id": 2, "image_id": 2, "bbox": [1, 2, 3, 4]},
        ]});
        if let Some(list) = decoys.get_mut("annotations").and_then(Value::as_array_mut) {
            for a in list.iter_mut().step_by(2) {
                a["attributes"] = decoy.clone();
            }
        }
        docs.push((
            "instances".into(),
            serde_json::to_vec(&decoys).expect("a JSON document"),
        ));
        let edits = [
            ("\"bbox\":[", "\"bbox\":x"),
            ("\"bbox\":[", "\"bbox\":[1,2,3],\"b\":["),
            ("\"category_id\":", "\"category_id\":999,\"c\":"),
            ("\"image_id\":", "\"image_id\":-1,\"i\":"),
            ("\"image_id\":", "\"image_id\":123456,\"i\":"),
            ("\"iscrowd\":0", "\"iscrowd\":0,\"iscrowd\":0"),
            ("},{\"id\"", "},\n{\"id\""),
        ];
        for d in corruptions(&synthetic, &edits) {
            docs.push(("instances".into(), d));
        }
        let tmp = tempfile::tempdir().expect("tempdir");
        let (tasks, texts): (Vec<String>, Vec<Vec<u8>>) = docs.into_iter().unzip();
        let (in_parallel, errors) = read_alone_and_together(tmp.path(), &texts, |i, path, w| {
            summary(path, w, tasks.get(i).map_or("", String::as_str))
        });
        // The workers did read (most of) the documents, good and bad.
        assert!(in_parallel > 20 * synthetic.len(), "{in_parallel}");
        assert!(errors > 3 * 40, "{errors}");
    }

    /// An image's annotations come in reverse file order, each COCO
    /// annotation's own in order, labelled from categories that follow
    /// them; the same whether the images come before the annotations
    /// (placed as read) or after them (placed at the end).
    #[test]
    fn annotations_are_ordered_and_labelled_wherever_the_images_are() {
        let images = r#""images":[{"id":7,"file_name":"b.jpg"},{"id":3,"file_name":"a.jpg"}]"#;
        let annotations = r#""annotations":[
            {"id":1,"image_id":3,"category_id":20,"segmentation":[[1,2,3,4,5,6],[7,8,9,10,11,12]],"bbox":[1,2,3,4]},
            {"id":2,"image_id":7,"category_id":10,"bbox":[0,0,1,1],"iscrowd":1},
            {"id":3,"image_id":3,"category_id":10,"bbox":[0,0,2,2],"attributes":{"a":1}}]"#;
        let categories = r#""categories":[{"id":10,"name":"x"},{"id":20,"name":"y"}]"#;
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut seen = Vec::new();
        for (i, order) in [
            [images, annotations, categories],
            [annotations, categories, images],
            [categories, annotations, images],
            [categories, images, annotations],
        ]
        .iter()
        .enumerate()
        {
            let path = tmp.path().join(format!("{i}.json"));
            std::fs::write(&path, format!("{{{}}}", order.join(","))).expect("write");
            let mut w = Window::open(&path).expect("open");
            let (items, _) = read_one(&path, &mut w, "instances").expect("read");
            let got: Vec<(u64, Vec<_>)> = items
                .items
                .iter()
                .map(|(image, item)| {
                    let anns = item.annotations.iter().map(|a| {
                        let crowd = a.attributes.get("is_crowd").cloned();
                        (a.id, a.kind.name(), a.kind.label().flatten(), crowd)
                    });
                    (*image, anns.collect())
                })
                .collect();
            let crowd = |c: bool| Some(Value::Bool(c));
            assert_eq!(
                got,
                vec![
                    (7, vec![(2, "bbox", Some(0), crowd(true))]),
                    (
                        3,
                        vec![
                            (3, "bbox", Some(0), crowd(false)),
                            (1, "polygon", Some(1), crowd(false)),
                            (1, "polygon", Some(1), crowd(false)),
                            (1, "bbox", Some(1), crowd(false)),
                        ]
                    ),
                ],
                "document {i}"
            );
            seen.push(format!("{:?}", items.items));
        }
        assert!(seen.windows(2).all(|w| w[0] == w[1]));
    }

    /// Unknown categories are reported before unknown images, each for
    /// the first annotation in file order, wherever the images are.
    #[test]
    fn unknown_categories_and_images_are_reported_in_file_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let images = r#""images":[{"id":1,"file_name":"a.jpg"}]"#;
        let cases = [
            (
                r#""annotations":[{"image_id":9,"category_id":1,"bbox":[0,0,1,1]},{"image_id":1,"category_id":5,"bbox":[0,0,1,1]},{"image_id":1,"category_id":6,"bbox":[0,0,1,1]}]"#,
                "annotations[1].category_id 5 is not a category",
            ),
            (
                r#""annotations":[{"image_id":1,"category_id":1,"bbox":[0,0,1,1]},{"image_id":9,"category_id":1,"bbox":[0,0,1,1]},{"image_id":8,"category_id":1,"bbox":[0,0,1,1]}]"#,
                "unknown image 9",
            ),
        ];
        for (i, (annotations, want)) in cases.iter().enumerate() {
            let categories = r#""categories":[{"id":1}]"#;
            for (j, body) in [
                format!("{images},{annotations},{categories}"),
                format!("{annotations},{images},{categories}"),
                format!("{categories},{images},{annotations}"),
                format!("{categories},{annotations},{images}"),
            ]
            .iter()
            .enumerate()
            {
                let path = tmp.path().join(format!("{i}_{j}.json"));
                std::fs::write(&path, format!("{{{body}}}")).expect("write");
                let mut w = Window::open(&path).expect("open");
                let err = read_one(&path, &mut w, "instances")
                    .expect_err("an unknown reference")
                    .to_string();
                assert!(err.contains(want), "case {i}.{j}: {err}");
            }
        }
    }

    /// The plain-name shortcut of `item_id` cuts names as the path does.
    #[test]
    fn item_ids_are_file_names_without_extension() {
        for name in [
            "000001.jpg",
            "a.b.c",
            "abc",
            "abc.",
            "a..b",
            "",
            ".",
            "..",
            ".hidden",
            ".a.b",
            "d/e.png",
            "d\\e.png",
            "d/",
            "x.tar.gz",
            "é.jpg",
            "a b.JPG",
            "a/.b",
            "a.b/",
        ] {
            let by_path = Path::new(name)
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            assert_eq!(item_id(name), by_path, "{name:?}");
        }
    }
}
