//! COCO (`instances`, `captions`, `image_info` task files) read and write,
//! following datumaro's `coco` importer ([spec §8.4]).
//!
//! Reading: one item per image (id = `file_name` without extension, sorted
//! by id, attribute `id` = the COCO image id); per instance a polygon per
//! segmentation part or a mask for RLE segmentations, each followed by the
//! instance's bbox (group = id = the COCO annotation id), in reverse file
//! order as datumaro yields them; captions after instances. Coordinates are
//! rounded to 2 decimals, as datumaro's shapes are.
//!
//! Writing: polygons, masks (uncompressed RLE, `iscrowd` 1), boxes (a box
//! that shares a non-zero group and label with a polygon or mask is the
//! instance's box and not written again), captions and image info.
//! Polylines, ellipses, points, cuboids and labels are not exported (listed
//! in docs/datumaro.md).
//!
//! [spec §8.4]: ../../../../../docs/specs/datumaro-binary.md

mod document;
mod read;
mod write;

pub use read::{is_coco, read_coco};
pub use write::write_coco;

/// Task files datumaro's COCO exporter writes that we read and write.
pub(crate) const TASKS: [&str; 3] = ["instances", "captions", "image_info"];
