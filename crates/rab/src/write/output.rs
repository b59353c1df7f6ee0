//! The file being written: a temporary file beside the target, renamed
//! into place when complete (optionally fsynced first).
//!
//! Payloads go straight into it with large unbuffered writes (an in-memory
//! array is one `write`), and spooled or external payloads are copied file
//! to file by the kernel where it can (`copy_file_range`). The whole length
//! is reserved first, as numpy's `np.save` does: on ext4 a file written
//! with delayed allocation and then renamed over an existing one is flushed
//! by the rename (`auto_da_alloc`), which made a 200 MB write twice as slow.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use vellum_format_core::sync_parent;

use crate::{Error, Result};

/// Files at least this long get their space reserved before the write.
const PREALLOCATE_FROM: u64 = 1 << 20;

/// Bytes per read when a payload must pass through memory (hashing).
const COPY_CHUNK: usize = 1 << 20;

pub(crate) struct Output {
    tmp: tempfile::NamedTempFile,
    durable: bool,
}

impl Output {
    /// A temporary file in the target's folder, with room for `len` bytes.
    pub(crate) fn create(path: &Path, len: u64, durable: bool) -> Result<Output> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".vellum-rab-").suffix(".tmp");
        // The mode of a plainly created file (0666 less the umask), not
        // the 0600 of a temporary file: this one becomes the target.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder
            .tempfile_in(dir)
            .map_err(|e| vellum_format_core::Error::io(dir, e))?;
        if len >= PREALLOCATE_FROM {
            preallocate(tmp.as_file(), len);
        }
        Ok(Output { tmp, durable })
    }

    /// The open file, for direct writes.
    pub(crate) fn file(&self) -> &File {
        self.tmp.as_file()
    }

    /// Copies up to `limit` bytes from `src` (at its cursor) to the end of
    /// the output; returns how many it copied. File to file, so the kernel
    /// copies without a trip through user memory where it can.
    pub(crate) fn copy_from(&self, src: &File, limit: u64) -> io::Result<u64> {
        io::copy(&mut src.take(limit), &mut self.file())
    }

    /// Copies up to `limit` bytes from `src`, hashing them on the way.
    pub(crate) fn copy_hashed(
        &self,
        src: &File,
        limit: u64,
        hasher: &mut blake3::Hasher,
    ) -> io::Result<u64> {
        let mut src = src.take(limit);
        let mut buf = vec![0u8; COPY_CHUNK];
        let mut out = self.file();
        let mut n = 0u64;
        loop {
            let got = match src.read(&mut buf) {
                Ok(0) => return Ok(n),
                Ok(got) => got,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = buf.get(..got).unwrap_or_default();
            hasher.update(chunk);
            out.write_all(chunk)?;
            n += got as u64;
        }
    }

    /// Renames the file into place (after an fsync of it when durable, and
    /// of the folder after).
    pub(crate) fn commit(self, path: &Path) -> Result<()> {
        let io_err = |e: io::Error| Error::from(vellum_format_core::Error::io(path, e));
        if self.durable {
            self.tmp.as_file().sync_all().map_err(io_err)?;
        }
        self.tmp.persist(path).map_err(|e| io_err(e.error))?;
        if self.durable {
            sync_parent(path);
        }
        Ok(())
    }
}

/// Reserves `len` bytes of disk for `file` without changing its size
/// (`fallocate(FALLOC_FL_KEEP_SIZE)`, Linux). Best effort: file systems
/// without it simply allocate as the data comes.
fn preallocate(file: &File, len: u64) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::fs::fallocate(file, rustix::fs::FallocateFlags::KEEP_SIZE, 0, len);
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (file, len);
    }
}
