//! Text formats: the orjson-compatible writer, Datumaro JSON and COCO.

pub mod orjson;
