//! Reading a large file into private memory cheaply: an anonymous map
//! advised for transparent huge pages (Linux), so copying a 100 MB file
//! costs a few dozen page faults instead of tens of thousands.
//!
//! The result has the safety of [`Backend::Read`](crate::Backend::Read)
//! (a private copy: other processes changing the file cannot affect it),
//! not the risk of a file map.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;

use crate::{Error, Limits, Result};

/// Files smaller than this are read into a `Vec` (huge pages only pay off
/// for large files).
const HUGE_THRESHOLD: u64 = 4 << 20;

/// Reads the whole file at `path` into private memory, checking its size
/// against `limits.max_alloc` first. Large files go into an anonymous map
/// advised for huge pages; small files, or where that fails, into a `Vec`.
///
/// ```
/// use vellum_format_core::{read_private, Limits};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("f");
/// std::fs::write(&path, b"abcdef")?;
/// assert_eq!(&read_private(&path, &Limits::default())?[..], b"abcdef");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_private(path: impl AsRef<Path>, limits: &Limits) -> Result<Bytes> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let size = limits
        .check_alloc("file size", len)
        .map_err(|e| e.in_file(path))?;
    if len >= HUGE_THRESHOLD
        && let Ok(mut map) = memmap2::MmapMut::map_anon(size)
    {
        #[cfg(target_os = "linux")]
        {
            // Only a hint: without THP the map still works, with 4 KiB pages.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        file.read_exact(&mut map[..])
            .map_err(|e| Error::io(path, e))?;
        // The file may have grown since the size was taken; like
        // `read_to_end` on a snapshot, only the first `len` bytes count.
        let map = map.make_read_only().map_err(|e| Error::io(path, e))?;
        return Ok(Bytes::from_owner(map));
    }
    let mut buf = Vec::with_capacity(size);
    file.read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_files_read_the_same() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0usize, 10, (HUGE_THRESHOLD as usize) + 12_345] {
            let path = dir.path().join(format!("f{n}"));
            let data: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            assert_eq!(
                &read_private(&path, &Limits::default()).unwrap()[..],
                &data[..]
            );
        }
        let limits = Limits {
            max_alloc: 5,
            ..Limits::default()
        };
        assert!(read_private(dir.path().join("f10"), &limits).is_err());
    }
}
