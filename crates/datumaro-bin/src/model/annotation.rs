//! Annotations: the common header and one variant per kind ([spec §6]).
//!
//! [spec §6]: ../../../../docs/specs/datumaro-binary.md

use crate::model::{Attributes, Rle};

/// Visibility of one keypoint of a [`AnnotationKind::Points`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// 0: the point is not there.
    Absent,
    /// 1: the point is there but hidden.
    Hidden,
    /// 2: the point is visible.
    Visible,
}

impl Visibility {
    /// The numeric value used in files.
    pub fn code(self) -> i32 {
        match self {
            Visibility::Absent => 0,
            Visibility::Hidden => 1,
            Visibility::Visible => 2,
        }
    }

    /// The visibility of a numeric value, if valid.
    pub fn from_code(code: i64) -> Option<Visibility> {
        match code {
            0 => Some(Visibility::Absent),
            1 => Some(Visibility::Hidden),
            2 => Some(Visibility::Visible),
            _ => None,
        }
    }
}

/// What an annotation is, with its geometry.
///
/// Shape coordinates are `f32`, as DatumaroBinary stores them and as
/// datumaro holds them; cuboid_3d values are `f64` (datumaro rounds them to
/// two decimals in `f64`, and Datumaro JSON keeps them so).
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationKind {
    /// A whole-item label.
    Label {
        /// Label index into the label categories.
        label: i32,
    },
    /// A mask as COCO RLE.
    Mask {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// The mask.
        rle: Rle,
    },
    /// Keypoints.
    Points {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// `[x0, y0, x1, y1, ...]`.
        points: Vec<f32>,
        /// One per point.
        visibility: Vec<Visibility>,
    },
    /// A closed polygon.
    Polygon {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// `[x0, y0, x1, y1, ...]`.
        points: Vec<f32>,
    },
    /// An open polyline.
    Polyline {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// `[x0, y0, x1, y1, ...]`.
        points: Vec<f32>,
    },
    /// An axis-aligned box, by its corners.
    Bbox {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// `[x1, y1, x2, y2]` (corners, as in the binary file).
        corners: [f32; 4],
    },
    /// A text caption.
    Caption {
        /// The text.
        caption: String,
    },
    /// A 3-D box.
    Cuboid3d {
        /// Label index, if any.
        label: Option<i32>,
        /// Position x, y, z.
        position: [f64; 3],
        /// Rotation x, y, z.
        rotation: [f64; 3],
        /// Scale x, y, z.
        scale: [f64; 3],
    },
    /// An ellipse, by its bounding rectangle.
    Ellipse {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// `[x1, y1, x2, y2]` of the bounding rectangle.
        corners: [f32; 4],
    },
    /// A projected 3-D box: 8 vertices.
    Cuboid2d {
        /// Label index, if any.
        label: Option<i32>,
        /// Drawing order.
        z_order: i32,
        /// The 8 vertices as `(x, y)`.
        points: [[f32; 2]; 8],
    },
}

/// The kind names, as Datumaro JSON and `dump` spell them.
pub const KIND_NAMES: [&str; 10] = [
    "label",
    "mask",
    "points",
    "polygon",
    "polyline",
    "bbox",
    "caption",
    "cuboid_3d",
    "ellipse",
    "cuboid_2d",
];

impl AnnotationKind {
    /// The kind's name (`label`, `mask`, `cuboid_2d`, ...).
    pub fn name(&self) -> &'static str {
        KIND_NAMES[self.index()]
    }

    /// The kind's place in [`KIND_NAMES`] (to count kinds in an array).
    pub fn index(&self) -> usize {
        match self {
            AnnotationKind::Label { .. } => 0,
            AnnotationKind::Mask { .. } => 1,
            AnnotationKind::Points { .. } => 2,
            AnnotationKind::Polygon { .. } => 3,
            AnnotationKind::Polyline { .. } => 4,
            AnnotationKind::Bbox { .. } => 5,
            AnnotationKind::Caption { .. } => 6,
            AnnotationKind::Cuboid3d { .. } => 7,
            AnnotationKind::Ellipse { .. } => 8,
            AnnotationKind::Cuboid2d { .. } => 9,
        }
    }

    /// The label index, for kinds that have one (`Some(None)` = unlabelled).
    pub fn label(&self) -> Option<Option<i32>> {
        match self {
            AnnotationKind::Label { label } => Some(Some(*label)),
            AnnotationKind::Caption { .. } => None,
            AnnotationKind::Mask { label, .. }
            | AnnotationKind::Points { label, .. }
            | AnnotationKind::Polygon { label, .. }
            | AnnotationKind::Polyline { label, .. }
            | AnnotationKind::Bbox { label, .. }
            | AnnotationKind::Cuboid3d { label, .. }
            | AnnotationKind::Ellipse { label, .. }
            | AnnotationKind::Cuboid2d { label, .. } => Some(*label),
        }
    }

    /// The z order, for kinds that have one.
    pub fn z_order(&self) -> Option<i32> {
        match self {
            AnnotationKind::Mask { z_order, .. }
            | AnnotationKind::Points { z_order, .. }
            | AnnotationKind::Polygon { z_order, .. }
            | AnnotationKind::Polyline { z_order, .. }
            | AnnotationKind::Bbox { z_order, .. }
            | AnnotationKind::Ellipse { z_order, .. }
            | AnnotationKind::Cuboid2d { z_order, .. } => Some(*z_order),
            _ => None,
        }
    }

    /// A bounding box `[x, y, w, h]` (datumaro's `get_bbox`), for shapes.
    ///
    /// Computed in `f64` from the `f32` coordinates, as datumaro does with
    /// its Python floats.
    pub fn bbox_xywh(&self) -> Option<[f64; 4]> {
        fn wide(v: &[f32]) -> impl Iterator<Item = f64> + '_ {
            v.iter().map(|&v| f64::from(v))
        }
        match self {
            AnnotationKind::Bbox { corners, .. } | AnnotationKind::Ellipse { corners, .. } => {
                bbox_of(wide(corners))
            }
            AnnotationKind::Points { points, .. }
            | AnnotationKind::Polygon { points, .. }
            | AnnotationKind::Polyline { points, .. } => bbox_of(wide(points)),
            AnnotationKind::Cuboid2d { points, .. } => bbox_of(wide(points.as_flattened())),
            AnnotationKind::Mask { rle, .. } => rle.bbox(),
            _ => None,
        }
    }
}

/// `[x, y, w, h]` of `[x0, y0, x1, y1, ...]` (an odd last value is
/// ignored).
fn bbox_of(mut pts: impl Iterator<Item = f64>) -> Option<[f64; 4]> {
    let (x, y) = (pts.next()?, pts.next()?);
    let (mut x0, mut y0, mut x1, mut y1) = (x, y, x, y);
    while let (Some(x), Some(y)) = (pts.next(), pts.next()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    Some([x0, y0, x1 - x0, y1 - y0])
}

/// One annotation of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// Annotation id (default 0).
    pub id: i64,
    /// Group id (0 = no group).
    pub group: i64,
    /// Track id across items (-1 = none).
    pub object_id: i32,
    /// Free-form attributes.
    pub attributes: Attributes,
    /// What it is.
    pub kind: AnnotationKind,
}

impl Annotation {
    /// An annotation of `kind` with default id, group, object id and no attributes.
    pub fn new(kind: AnnotationKind) -> Annotation {
        Annotation {
            id: 0,
            group: 0,
            object_id: -1,
            attributes: Attributes::new(),
            kind,
        }
    }
}
