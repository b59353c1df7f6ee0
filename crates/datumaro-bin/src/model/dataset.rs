//! Items, subsets and the dataset.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::model::{Annotation, Attributes, Categories, Media, MediaType};

/// One dataset item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Item id (may contain `/`).
    pub id: String,
    /// The subset it belongs to (`"default"` when none).
    pub subset: String,
    /// Its media, if any.
    pub media: Option<Media>,
    /// Free-form attributes.
    pub attributes: Attributes,
    /// Its annotations, in order.
    pub annotations: Vec<Annotation>,
}

impl Item {
    /// An item with no media, attributes or annotations.
    pub fn new(id: impl Into<String>, subset: impl Into<String>) -> Item {
        Item {
            id: id.into(),
            subset: subset.into(),
            media: None,
            attributes: Attributes::new(),
            annotations: Vec::new(),
        }
    }
}

/// The items of one subset, in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Subset {
    /// Subset name (the file stem of its annotation file).
    pub name: String,
    /// Items in order.
    pub items: Vec<Item>,
}

/// A whole dataset in memory.
///
/// For datasets larger than memory, read DatumaroBinary item by item with
/// [`DatumReader`](crate::DatumReader) instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Dataset-level information (free-form JSON object).
    pub infos: Attributes,
    /// Categories.
    pub categories: Categories,
    /// Dataset-level media type.
    pub media_type: MediaType,
    /// Subsets, in the order they were read or added.
    pub subsets: Vec<Subset>,
    /// The folder relative media paths resolve against (the dataset root it
    /// was read from), if any.
    pub media_root: Option<PathBuf>,
}

impl Default for Dataset {
    fn default() -> Dataset {
        Dataset {
            infos: Attributes::new(),
            categories: Categories::default(),
            media_type: MediaType::Image,
            subsets: Vec::new(),
            media_root: None,
        }
    }
}

impl Dataset {
    /// Number of items in all subsets.
    pub fn item_count(&self) -> usize {
        self.subsets.iter().map(|s| s.items.len()).sum()
    }

    /// All items, subset by subset.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.subsets.iter().flat_map(|s| s.items.iter())
    }

    /// The subset named `name`, created (at the end) when missing.
    pub fn subset_mut(&mut self, name: &str) -> &mut Subset {
        let i = match self.subsets.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.subsets.push(Subset {
                    name: name.to_owned(),
                    items: Vec::new(),
                });
                self.subsets.len() - 1
            }
        };
        &mut self.subsets[i]
    }

    /// Adds an item to its subset.
    pub fn push(&mut self, item: Item) {
        let name = item.subset.clone();
        self.subset_mut(&name).items.push(item);
    }

    /// Annotation counts by kind name, sorted by name.
    pub fn annotation_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for a in self.items().flat_map(|i| i.annotations.iter()) {
            *m.entry(a.kind.name()).or_insert(0) += 1;
        }
        m
    }

    /// Sorts subsets by name (the order datumaro lists annotation files in).
    pub fn sort_subsets(&mut self) {
        self.subsets.sort_by(|a, b| a.name.cmp(&b.name));
    }
}
