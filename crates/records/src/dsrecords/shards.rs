//! Sharded datasets: several `.rec`/`.idx` pairs read as one, listed in a
//! small text manifest.
//!
//! Manifest format (UTF-8 text): the first line is
//! `# vellum dsrecords shards 1`, then one line per shard:
//! `<record count>\t<data path>`, the path relative to the manifest's
//! folder. Blank lines are ignored.

use std::path::{Path, PathBuf};

use crate::{Dataset, Error, OpenOptions, Record, Result};

const HEADER: &str = "# vellum dsrecords shards 1";

/// Several datasets read as one, in manifest order.
///
/// ```
/// use vellum_records::{ShardedDataset, write_all, write_manifest};
/// let dir = tempfile::tempdir()?;
/// write_all(dir.path().join("a.rec"), [[&b"0"[..]], [b"1"]])?;
/// write_all(dir.path().join("b.rec"), [[&b"2"[..]]])?;
/// let manifest = dir.path().join("all.shards");
/// write_manifest(&manifest, &["a.rec", "b.rec"], 1)?;
/// let ds = ShardedDataset::open(&manifest, 1)?;
/// assert_eq!(ds.len(), 3);
/// assert_eq!(ds.get(2)?.field(0), Some(&b"2"[..]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ShardedDataset {
    shards: Vec<Dataset>,
    /// `starts[k]` is the global index of shard k's first record.
    starts: Vec<usize>,
    len: usize,
}

impl ShardedDataset {
    /// Opens the shards of a manifest, checking each count against it.
    pub fn open(manifest: impl AsRef<Path>, fields: usize) -> Result<ShardedDataset> {
        ShardedDataset::open_with(manifest, fields, &OpenOptions::default())
    }

    /// Opens with options (the index path option is ignored: each shard's
    /// index sits beside it).
    pub fn open_with(
        manifest: impl AsRef<Path>,
        fields: usize,
        opts: &OpenOptions,
    ) -> Result<ShardedDataset> {
        let manifest = manifest.as_ref();
        let text = std::fs::read_to_string(manifest).map_err(|e| Error::io(manifest, e))?;
        let base = manifest.parent().unwrap_or(Path::new("."));
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h.trim() == HEADER => {}
            _ => {
                return Err(Error::BadIndexLine {
                    line: 1,
                    reason: format!("expected {HEADER:?}"),
                }
                .in_file(manifest));
            }
        }
        let opts = OpenOptions {
            index_path: None,
            ..opts.clone()
        };
        let mut shards = Vec::new();
        let mut starts = Vec::new();
        let mut len = 0usize;
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| {
                Error::BadIndexLine {
                    line: n + 1,
                    reason,
                }
                .in_file(manifest)
            };
            let (count, rel) = line
                .split_once('\t')
                .ok_or_else(|| bad("expected <count>\\t<path>".into()))?;
            let count: usize = count
                .trim()
                .parse()
                .map_err(|_| bad(format!("bad count {count:?}")))?;
            let ds = Dataset::open_with(base.join(rel), fields, &opts)?;
            if ds.len() != count {
                return Err(bad(format!(
                    "{rel} holds {} records, the manifest says {count}",
                    ds.len()
                )));
            }
            starts.push(len);
            len = len
                .checked_add(count)
                .ok_or_else(|| bad("counts overflow".into()))?;
            shards.push(ds);
        }
        Ok(ShardedDataset {
            shards,
            starts,
            len,
        })
    }

    /// Total records.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The shards.
    pub fn shards(&self) -> &[Dataset] {
        &self.shards
    }

    /// Record `i` of the whole (its [`Record::index`] is the index within
    /// its shard).
    pub fn get(&self, i: usize) -> Result<Record> {
        if i >= self.len {
            return Err(Error::IndexOutOfRange {
                index: i as u64,
                count: self.len as u64,
            });
        }
        let k = self.starts.partition_point(|&s| s <= i).saturating_sub(1);
        let (shard, start) =
            self.shards
                .get(k)
                .zip(self.starts.get(k))
                .ok_or(Error::IndexOutOfRange {
                    index: i as u64,
                    count: self.len as u64,
                })?;
        shard.get(i - start)
    }

    /// Every record in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<Record>> + '_ {
        self.shards.iter().flat_map(Dataset::iter)
    }
}

/// Writes a manifest listing `shards` (data paths relative to the
/// manifest's folder), reading each shard's count from its index.
pub fn write_manifest(
    manifest: impl AsRef<Path>,
    shards: &[impl AsRef<Path>],
    fields: usize,
) -> Result<PathBuf> {
    let manifest = manifest.as_ref();
    let base = manifest.parent().unwrap_or(Path::new("."));
    let mut text = format!("{HEADER}\n");
    for s in shards {
        let rel = s.as_ref();
        let ds = Dataset::open(base.join(rel), fields)?;
        text.push_str(&format!("{}\t{}\n", ds.len(), rel.display()));
    }
    vellum_format_core::write_atomic(manifest, text.as_bytes())?;
    Ok(manifest.to_path_buf())
}
