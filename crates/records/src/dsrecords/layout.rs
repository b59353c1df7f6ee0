//! The DSRecords byte layout (spec: dsrecords.md §1): the 1024-byte reserved
//! start of the `.rec`, records of `N` u64 length headers then `N` payloads,
//! and the `.idx` of a u64 count plus one u64 offset per record.

use std::path::{Path, PathBuf};

use vellum_format_core::{ByteReader, checked_range};

use crate::{Error, Result};

/// Size of the reserved, all-zero start of a `.rec` (§1.1). The first record
/// starts here, so an offset below it is a cleared or corrupt slot.
pub const RESERVED_HEADER: u64 = 1024;

/// The index path dsrecords derives from a data path: the extension replaced
/// by `.idx` (`a.b.rec` → `a.b.idx`, `noext` → `noext.idx`).
///
/// ```
/// use std::path::Path;
/// use vellum_records::index_path_for;
/// assert_eq!(index_path_for(Path::new("d/a.b.rec")), Path::new("d/a.b.idx"));
/// assert_eq!(index_path_for(Path::new("noext")), Path::new("noext.idx"));
/// ```
pub fn index_path_for(data: &Path) -> PathBuf {
    data.with_extension("idx")
}

/// Appends one record (§1.2): `N` u64le lengths, then the payloads.
pub fn pack_record<F: AsRef<[u8]>>(fields: &[F], out: &mut Vec<u8>) {
    let total: usize = fields.iter().map(|f| f.as_ref().len()).sum();
    out.reserve(8 * fields.len() + total);
    for f in fields {
        out.extend_from_slice(&(f.as_ref().len() as u64).to_le_bytes());
    }
    for f in fields {
        out.extend_from_slice(f.as_ref());
    }
}

/// Fields kept inline in a record (no allocation per record up to this).
const INLINE_FIELDS: usize = 7;

/// Cumulative field ends of one record: inline for the usual handful of
/// fields, so a random read allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldEnds {
    Inline {
        len: u8,
        ends: [usize; INLINE_FIELDS],
    },
    Heap(Vec<usize>),
}

impl FieldEnds {
    fn with_capacity(n: usize) -> FieldEnds {
        if n <= INLINE_FIELDS {
            FieldEnds::Inline {
                len: 0,
                ends: [0; INLINE_FIELDS],
            }
        } else {
            FieldEnds::Heap(Vec::with_capacity(n))
        }
    }

    fn push(&mut self, end: usize) {
        match self {
            FieldEnds::Inline { len, ends } => match ends.get_mut(usize::from(*len)) {
                Some(slot) => {
                    *slot = end;
                    *len += 1;
                }
                None => {
                    let mut v = ends.to_vec();
                    v.push(end);
                    *self = FieldEnds::Heap(v);
                }
            },
            FieldEnds::Heap(v) => v.push(end),
        }
    }
}

impl std::ops::Deref for FieldEnds {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match self {
            FieldEnds::Inline { len, ends } => ends.get(..usize::from(*len)).unwrap_or(&[]),
            FieldEnds::Heap(v) => v,
        }
    }
}

/// Where one record's parts lie in the data file.
#[derive(Debug, Clone)]
pub(crate) struct RecordSpan {
    /// Start of the payloads (after the length headers).
    pub body_start: usize,
    /// End of the last payload.
    pub end: usize,
    /// Cumulative payload ends, relative to `body_start`; `ends[j]` is the
    /// end of field `j`.
    pub ends: FieldEnds,
}

/// Locates the record of `fields` fields at `offset` in `data`, checking
/// every length against the file.
pub(crate) fn locate(data: &[u8], index: u64, offset: u64, fields: usize) -> Result<RecordSpan> {
    let bad = |reason: String| Error::BadRecord {
        index,
        offset,
        reason,
    };
    if offset < RESERVED_HEADER {
        return Err(bad(if offset == 0 {
            "the slot is cleared (offset 0, a removed record)".into()
        } else {
            "the offset points into the 1024-byte reserved header".into()
        }));
    }
    let total = data.len() as u64;
    if offset >= total && !(offset == total && fields == 0) {
        return Err(bad(format!(
            "dangling offset: the data file has {total} bytes"
        )));
    }
    let headers_len = (fields as u64)
        .checked_mul(8)
        .ok_or_else(|| bad("field count overflows".into()))?;
    let headers = checked_range(offset, headers_len, total, "record length headers", offset)
        .map_err(|_| {
            bad(format!(
                "truncated: {fields} length headers need {headers_len} bytes, {} remain",
                total - offset
            ))
        })?;
    let mut r = ByteReader::with_base(data.get(headers.clone()).unwrap_or(&[]), offset);
    let mut ends = FieldEnds::with_capacity(fields);
    let mut sum: u64 = 0;
    for _ in 0..fields {
        let len = r.u64_le("field length")?;
        sum = sum
            .checked_add(len)
            .ok_or_else(|| bad("field lengths overflow".into()))?;
        ends.push(usize::try_from(sum).map_err(|_| bad("field lengths overflow".into()))?);
    }
    let body =
        checked_range(headers.end as u64, sum, total, "record payloads", offset).map_err(|_| {
            bad(format!(
                "truncated: the payloads need {sum} bytes, {} remain",
                total - headers.end as u64
            ))
        })?;
    Ok(RecordSpan {
        body_start: body.start,
        end: body.end,
        ends,
    })
}

/// The words of a `.idx`: the count, then the slots (§1.3).
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexWords<'a> {
    bytes: &'a [u8],
}

impl<'a> IndexWords<'a> {
    pub fn new(bytes: &'a [u8]) -> IndexWords<'a> {
        IndexWords { bytes }
    }

    /// The count word, if the file has one.
    pub fn count(&self) -> Option<u64> {
        self.word(0)
    }

    /// Word `w` (0 is the count; record `i` is word `i + 1`).
    pub fn word(&self, w: usize) -> Option<u64> {
        let start = w.checked_mul(8)?;
        let b = self.bytes.get(start..start.checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }

    /// Number of whole words in the file.
    pub fn words(&self) -> usize {
        self.bytes.len() / 8
    }

    /// Checks that the count's slots are all present; returns the count.
    pub fn checked_count(&self) -> Result<usize> {
        let len = self.bytes.len() as u64;
        let count = self.count().ok_or(Error::IndexTruncated {
            count: 0,
            needed: 8,
            len,
        })?;
        let needed = count.checked_add(1).and_then(|w| w.checked_mul(8));
        match needed {
            Some(needed) if needed <= len => {
                usize::try_from(count).map_err(|_| Error::IndexTruncated { count, needed, len })
            }
            _ => Err(Error::IndexTruncated {
                count,
                needed: needed.unwrap_or(u64::MAX),
                len,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_of_the_spec() {
        let mut rec = vec![0u8; 1024];
        pack_record(&[&[1u8, 0, 0, 0][..], b"a", b"xy"], &mut rec);
        assert_eq!(&rec[1024..1032], &4u64.to_le_bytes());
        let span = locate(&rec, 0, 1024, 3).unwrap();
        assert_eq!(&*span.ends, &[4, 5, 7]);
        let many = vec![&b"x"[..]; 9];
        let mut rec9 = vec![0u8; 1024];
        pack_record(&many, &mut rec9);
        assert_eq!(locate(&rec9, 0, 1024, 9).unwrap().ends.len(), 9);
        assert_eq!(&rec[span.body_start..span.end], b"\x01\x00\x00\x00axy");
    }

    #[test]
    fn bad_offsets_and_lengths_are_errors() {
        let mut rec = vec![0u8; 1024];
        pack_record(&[b"abc"], &mut rec);
        assert!(locate(&rec, 0, 0, 1).is_err());
        assert!(locate(&rec, 0, 10, 1).is_err());
        assert!(locate(&rec, 0, 5000, 1).is_err());
        assert!(locate(&rec, 0, 1024, 2).is_err());
        rec.pop();
        assert!(locate(&rec, 0, 1024, 1).is_err());
        let mut hostile = vec![0u8; 1024];
        hostile.extend_from_slice(&u64::MAX.to_le_bytes());
        hostile.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(locate(&hostile, 0, 1024, 2).is_err());
    }

    #[test]
    fn index_count_must_fit_the_file() {
        let mut idx = 2u64.to_le_bytes().to_vec();
        idx.extend_from_slice(&1024u64.to_le_bytes());
        assert!(IndexWords::new(&idx).checked_count().is_err());
        idx.extend_from_slice(&1024u64.to_le_bytes());
        assert_eq!(IndexWords::new(&idx).checked_count().unwrap(), 2);
        assert!(IndexWords::new(&[]).checked_count().is_err());
        assert!(
            IndexWords::new(&u64::MAX.to_le_bytes())
                .checked_count()
                .is_err()
        );
    }
}
