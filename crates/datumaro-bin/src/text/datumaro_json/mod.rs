//! Datumaro JSON (`datumaro` format): `annotations/<subset>.json`, one
//! compact orjson document per subset ([spec §8]).
//!
//! The writer reproduces datumaro 1.13.12's bytes (key order, number
//! formatting); the reader accepts any JSON layout of the same document.
//!
//! [spec §8]: ../../../../../docs/specs/datumaro-binary.md

mod read;
mod write;

pub use read::{datumaro_json_files, is_datumaro_json, parse_datumaro_json, read_datumaro_json};
pub use write::{datumaro_json_document, write_datumaro_json};
