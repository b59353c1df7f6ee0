//! Text formats: the orjson-compatible writer, Datumaro JSON and COCO.

mod coco;
mod datumaro_json;
mod number;
pub mod orjson;
mod parallel;
mod scan;
mod window;

pub use coco::{is_coco, read_coco, write_coco};
pub use datumaro_json::{
    datumaro_json_document, datumaro_json_files, is_datumaro_json, parse_datumaro_json,
    read_datumaro_json, write_datumaro_json,
};
