//! The dataset model shared by every format of this crate.

mod annotation;
mod attributes;
mod categories;
mod dataset;
mod media;
mod rle;

pub use annotation::{Annotation, AnnotationKind, KIND_NAMES, Visibility};
pub use attributes::Attributes;
pub use categories::{
    Categories, GroupType, Label, LabelCategories, LabelGroup, MaskCategories, MaskColor,
    PointsCategories, PointsCategory,
};
pub use dataset::{Dataset, Item, Subset};
pub use media::{Image, Media, MediaType};
pub use rle::Rle;
