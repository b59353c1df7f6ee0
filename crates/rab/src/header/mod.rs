//! The file header: magic, length and the YAML index (spec §1, §2).

mod dataset;

pub use dataset::{ColumnInfo, Compression, DatasetInfo, DatasetKind, Layout};

use vellum_format_core::{ByteReader, Limits};

use crate::yaml::{emit, load};
use crate::{Error, Result, Value};

/// The magic at offset 0.
pub const MAGIC: &[u8; 3] = b"rab";
/// Bytes before the header text: the magic and the u32 header length.
pub const PREFIX_LEN: u64 = 7;

/// Reads the 7-byte prefix and returns the header length, checked against
/// `limits` (spec §1: magic `rab`, then a u32 LE length).
pub(crate) fn header_len(prefix: &[u8], limits: &Limits) -> Result<u64> {
    let mut r = ByteReader::new(prefix);
    r.expect_magic(MAGIC, "magic")?;
    let len = r.u32_le("header length")?;
    limits.check_header(u64::from(len))?;
    Ok(u64::from(len))
}

/// Parses the header text into one [`DatasetInfo`] per dataset.
pub(crate) fn parse(header: &[u8]) -> Result<Vec<DatasetInfo>> {
    let text = std::str::from_utf8(header).map_err(|e| {
        Error::Bytes(vellum_format_core::Error::Invalid {
            field: "header",
            offset: PREFIX_LEN + e.valid_up_to() as u64,
            reason: "the header is not UTF-8".into(),
        })
    })?;
    let root = load::parse(text).map_err(|reason| Error::HeaderSyntax { reason })?;
    let entries = match root {
        Value::Seq(entries) => entries,
        // An empty document is an empty index.
        Value::Null => Vec::new(),
        other => {
            return Err(Error::shape(
                "header",
                format!("is {}, not a list of datasets", other.kind()),
            ));
        }
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| DatasetInfo::from_entry(i, e))
        .collect()
}

/// The header bytes for `entries`: `"\n" + yaml.dump(index) + "\n"` (spec §2.2).
pub(crate) fn encode(entries: Vec<Value>) -> Vec<u8> {
    let mut text = String::from("\n");
    text.push_str(&emit::to_yaml(&Value::Seq(entries)));
    text.push('\n');
    text.into_bytes()
}
