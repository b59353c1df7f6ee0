//! DSRecords `.rec` + `.idx` datasets (spec: dsrecords.md §1, §3).

mod check;
mod dataset;
mod layout;
mod shards;
mod sums;
mod writer;

pub use check::{Problem, ProblemKind, RecoverReport, VerifyReport, recover, verify};
pub use dataset::{Dataset, OpenOptions, Record};
pub use layout::{RESERVED_HEADER, index_path_for, pack_record};
pub use shards::{ShardedDataset, write_manifest};
pub use sums::{ChecksumKind, Checksums, checksum_path_for};
pub use writer::{DatasetWriter, Durability, UpdatePath, WriteOptions, write_all, write_all_with};
