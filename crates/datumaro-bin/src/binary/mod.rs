//! DatumaroBinary (`.datum`): the file layout, the streaming reader and the
//! writer ([spec §3–§7]).
//!
//! [spec §3–§7]: ../../../../docs/specs/datumaro-binary.md

mod cipher;
mod dataset;
mod header;
mod reader;
pub(crate) mod record;
mod writer;

pub use cipher::Cipher;
pub use dataset::{datum_files, is_datumaro_binary, read_datumaro_binary, write_datumaro_binary};
pub use header::{DatumHeader, SIGNATURE};
pub use reader::{DatumReader, Items, ReadOptions};
pub use record::TypeCodes;
pub(crate) use writer::WRITEBACK_STEP;
pub use writer::{DEFAULT_MAX_BLOB_SIZE, DatumWriter, WriteOptions};
