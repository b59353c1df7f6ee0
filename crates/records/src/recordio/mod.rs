//! MXNet RecordIO files (spec: dsrecords.md §4).

mod framing;
mod index;
mod irheader;

pub use framing::{
    Chunk, RECORDIO_MAGIC, RECORDIO_MAX_LEN, RecordIoReader, RecordIoRecord, RecordIoWriter,
};
pub use index::{IndexedRecordIo, parse_recordio_index, write_recordio_index};
pub use irheader::{IrHeader, Label};
