//! Opening files as [`Bytes`]: by plain read (the default) or, opt-in, by
//! memory map.
//!
//! Either way the result is a cheaply clonable, `Send + Sync` buffer whose
//! slices are zero-copy views, so records, arrays and blobs can be handed to
//! many threads at once.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;

use crate::{Error, Limits, Result};

/// How a file is brought into memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Read the whole file into memory. Safe everywhere; the default.
    #[default]
    Read,
    /// Memory-map the file.
    ///
    /// # Safety (why this is opt-in)
    ///
    /// A map shows the file as it is *now*: if another process truncates or
    /// rewrites the file while it is mapped, reads may see changed bytes or
    /// the process may be killed by `SIGBUS`. Vellum's parsers still check
    /// every offset, but they cannot defend against bytes changing under
    /// them. Use it for files nobody else writes; mmap is also slow on some
    /// network file systems.
    Mmap,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Backend, String> {
        match s {
            "read" => Ok(Backend::Read),
            "mmap" => Ok(Backend::Mmap),
            _ => Err(format!("unknown backend {s:?} (read or mmap)")),
        }
    }
}

/// Opens `path` as [`Bytes`] with the given backend, refusing files larger
/// than `limits.max_alloc` when reading them into memory.
///
/// ```
/// use vellum_format_core::{open_bytes, Backend, Limits};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("f");
/// std::fs::write(&path, b"abcdef")?;
/// for backend in [Backend::Read, Backend::Mmap] {
///     let b = open_bytes(&path, backend, &Limits::default())?;
///     assert_eq!(&b.slice(2..4)[..], b"cd");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_bytes(path: impl AsRef<Path>, backend: Backend, limits: &Limits) -> Result<Bytes> {
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    match backend {
        Backend::Read => {
            let len = limits
                .check_alloc("file size", len)
                .map_err(|e| e.in_file(path))?;
            let mut buf = Vec::with_capacity(len);
            file.read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
            Ok(Bytes::from(buf))
        }
        Backend::Mmap => {
            if len == 0 {
                // Mapping an empty file fails on some platforms.
                return Ok(Bytes::new());
            }
            // SAFETY: the caller opted into mmap and its documented risk
            // (another process changing the file while mapped); every parse
            // of the bytes is bounds-checked.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
            Ok(Bytes::from_owner(map))
        }
    }
}

/// Opens `path` with [`Backend::Read`] and default [`Limits`].
pub fn read_bytes(path: impl AsRef<Path>) -> Result<Bytes> {
    open_bytes(path, Backend::Read, &Limits::default())
}

/// Reads at most `n` bytes from the start of a file (for format sniffing and
/// header-only opens).
pub fn read_prefix(path: impl AsRef<Path>, n: usize) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::with_capacity(n.min(1 << 20));
    file.take(n as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    Ok(buf)
}

/// Reads `len` bytes at `offset` of a file without reading the rest.
pub fn read_range(path: impl AsRef<Path>, offset: u64, len: usize) -> Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let path = path.as_ref();
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(path, e))?;
    // Read into spare capacity: no pass to zero a buffer that the read
    // overwrites at once.
    let mut buf = Vec::with_capacity(len);
    file.take(len as u64)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() < len {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("{} bytes at offset {offset}, {} there", len, buf.len()),
            ),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_shared_across_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, (0u8..=255).collect::<Vec<_>>()).unwrap();
        let b = open_bytes(&path, Backend::Mmap, &Limits::default()).unwrap();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let b = b.clone();
                std::thread::spawn(move || b.slice(i * 10..i * 10 + 1)[0])
            })
            .collect();
        let got: Vec<u8> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(got, vec![0, 10, 20, 30]);
    }

    #[test]
    fn read_backend_respects_alloc_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [0u8; 100]).unwrap();
        let limits = Limits {
            max_alloc: 10,
            ..Limits::default()
        };
        let err = open_bytes(&path, Backend::Read, &limits).unwrap_err();
        assert!(err.to_string().contains("limit"), "{err}");
        assert!(open_bytes(&path, Backend::Mmap, &limits).is_ok());
    }

    #[test]
    fn empty_file_maps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        assert!(
            open_bytes(&path, Backend::Mmap, &Limits::default())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = read_bytes("/definitely/not/here").unwrap_err();
        assert!(err.to_string().contains("/definitely/not/here"));
    }
}
