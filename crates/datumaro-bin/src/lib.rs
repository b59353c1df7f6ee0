//! Datumaro datasets: the dataset model, DatumaroBinary read and write
//! (datumaro 1.11 and 1.13, encrypted 1.11 files included), Datumaro JSON and
//! COCO conversion.
//!
//! What it is for: reading every `.datum` file datumaro writes, writing files
//! datumaro reads (byte-identical to datumaro 1.13.12 where datumaro is
//! deterministic), and converting between DatumaroBinary, Datumaro JSON and
//! COCO, fast and with memory bounded by one blob when streaming. What it is
//! not for: decoding images or point clouds (media are paths), or the other
//! formats datumaro knows.
//!
//! | module / type | what |
//! | --- | --- |
//! | [`Dataset`], [`Subset`], [`Item`], [`Media`], [`Annotation`], [`AnnotationKind`], [`Attributes`], [`Categories`], [`Rle`] | the model (attribute maps shared by their clones) |
//! | [`DatumReader`], [`ReadOptions`], [`read_datumaro_binary`] | `.datum` reading: headers, then blob by blob (workers decoding ahead, `map_blobs` for work on them) |
//! | [`DatumWriter`], [`WriteOptions`], [`write_datumaro_binary`] | `.datum` writing with datumaro's blob rule |
//! | [`Cipher`] | datumaro 1.11 Fernet encryption |
//! | [`read_datumaro_json`], [`write_datumaro_json`], [`datumaro_json_document`] | Datumaro JSON (writer byte-identical to datumaro 1.13.12) |
//! | [`read_coco`], [`write_coco`] | COCO instances, captions and image_info, read as datumaro's `coco` importer does |
//! | [`ExportOptions`], [`ExportReport`] | `save_media`, `dataset_meta.json`, encryption of media |
//! | [`read_dataset_meta`], [`write_dataset_meta`] | `dataset_meta.json` (honoured where datumaro ignores it) |
//! | [`dataset_json`], [`item_json`] | the dump document of `vellum datumaro dump` (fields of the fixtures' `expected.json`) |
//! | [`orjson`] | JSON text exactly as Python's orjson writes it |
//! | [`synth`] | a deterministic synthetic COCO-instances dataset for benches and the demo |
//!
//! Annotation kinds and their DatumaroBinary type codes: label 1, mask 2
//! (COCO compressed RLE), points 3, polygon 4, polyline 5, bbox 6, caption 7,
//! cuboid_3d 8, ellipse 11, cuboid_2d 15 (16 in datumaro 1.10/1.11; both
//! read). Media: image, video frame, video, point cloud (with extra images).
//!
//! # Example
//!
//! ```
//! use vellum_datumaro::{Annotation, AnnotationKind, DatumReader, DatumWriter, Item,
//!     MediaType, ReadOptions, WriteOptions, Categories, LabelCategories};
//! let mut cats = Categories::default();
//! cats.label = Some(LabelCategories::from_names(["cat", "dog"]));
//! let mut w = DatumWriter::new(Default::default(), cats, MediaType::Image, WriteOptions::default());
//! let mut item = Item::new("img_0", "train");
//! item.annotations.push(Annotation::new(AnnotationKind::Label { label: 1 }));
//! w.push(&item)?;
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("train.datum");
//! w.write_to(&path)?;
//! let r = DatumReader::open(&path, &ReadOptions::default())?;
//! let items: Vec<Item> = r.items().collect::<Result<_, _>>()?;
//! assert_eq!(items, vec![item]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod binary;
mod dump;
mod error;
mod export;
mod meta;
mod model;
mod prefetch;
pub mod synth;
mod text;

pub use text::{
    datumaro_json_document, datumaro_json_files, is_coco, is_datumaro_json, parse_datumaro_json,
    read_coco, read_datumaro_json, write_coco, write_datumaro_json,
};

pub use binary::{
    Cipher, DEFAULT_MAX_BLOB_SIZE, DatumHeader, DatumReader, DatumWriter, Items, ReadOptions,
    SIGNATURE, TypeCodes, WriteOptions, datum_files, is_datumaro_binary, read_datumaro_binary,
    write_datumaro_binary,
};
pub use dump::{annotation_json, dataset_json, item_json, media_json};
pub use error::{Error, Result};
pub use export::{ExportOptions, ExportReport, resolve_media_path};
pub use meta::{DATASET_META_FILE, dataset_meta_json, read_dataset_meta, write_dataset_meta};
pub use model::{
    Annotation, AnnotationKind, Attributes, Categories, Dataset, GroupType, Image, Item,
    KIND_NAMES, Label, LabelCategories, LabelGroup, MaskCategories, MaskColor, Media, MediaType,
    PointsCategories, PointsCategory, Rle, Subset, Visibility,
};
pub use text::orjson;
