//! TFRecord files (spec: dsrecords.md §5).

mod example;
mod framing;

pub use example::{Example, Feature};
pub use framing::{
    TFRECORD_OVERHEAD, TfRecord, TfRecordIter, TfRecordReader, TfRecordWriter, masked_crc32c,
    parse_tfindex, write_tfindex,
};
