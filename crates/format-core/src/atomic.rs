//! Atomic file writing: a temporary file in the same folder, fsync, rename.
//!
//! Readers never see a half-written file: until [`AtomicFile::commit`] the
//! data lives under a hidden temporary name, and a writer that is dropped
//! without committing removes it.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// A file being written that appears at its final path only when committed.
///
/// ```
/// use std::io::Write;
/// use vellum_format_core::AtomicFile;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("out.bin");
/// let mut f = AtomicFile::create(&path)?;
/// f.write_all(b"hello")?;
/// assert!(!path.exists());
/// f.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
    /// fsync before the rename (the default).
    durable: bool,
}

impl AtomicFile {
    /// Starts writing `path` through a temporary file beside it.
    pub fn create(path: impl AsRef<Path>) -> Result<AtomicFile> {
        let target = path.as_ref().to_path_buf();
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .ok_or_else(|| Error::io(&target, io::Error::other("not a file path")))?
            .to_string_lossy()
            .into_owned();
        // Unique per process and per call, so concurrent writers of one
        // target never share a temporary file.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::io(&temp, e))?;
        Ok(AtomicFile {
            target,
            temp,
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            durable: true,
        })
    }

    /// Skips the fsyncs of [`AtomicFile::commit`] (and the early writeback
    /// that only serves them): the file still appears whole, by rename,
    /// but a power cut soon after may lose it. For writers compared with
    /// tools that never sync.
    pub fn without_fsync(mut self) -> AtomicFile {
        self.durable = false;
        self
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Flushes what is buffered and lets the disk start writing everything
    /// written so far without waiting for it ([`start_writeback`]); call it
    /// every few MiB of a large file so that [`AtomicFile::commit`]'s
    /// `fsync` has little left to wait for.
    ///
    /// [`start_writeback`]: crate::start_writeback
    pub fn start_writeback(&mut self) -> Result<()> {
        if !self.durable {
            return Ok(());
        }
        if let Some(f) = self.file.as_mut() {
            f.flush().map_err(|e| Error::io(&self.temp, e))?;
            crate::writeback::start_writeback(f.get_ref());
        }
        Ok(())
    }

    /// Writes all of `data` at byte `offset` of the file, outside the
    /// buffer of sequential writes and without moving their position.
    ///
    /// It takes `&self`, so several threads can fill regions whose places
    /// are known in advance (blobs behind a table of their sizes) at once.
    /// Regions must not overlap each other or what is written sequentially.
    pub fn write_all_at(&self, data: &[u8], offset: u64) -> Result<()> {
        let file = self
            .file
            .as_ref()
            .expect("file is present until commit")
            .get_ref();
        write_all_at(file, data, offset).map_err(|e| Error::io(&self.temp, e))
    }

    /// [`AtomicFile::start_writeback`] for what [`AtomicFile::write_all_at`]
    /// wrote, from any thread (the buffer of sequential writes is not
    /// flushed).
    pub fn start_writeback_shared(&self) {
        if !self.durable {
            return;
        }
        if let Some(f) = self.file.as_ref() {
            crate::writeback::start_writeback(f.get_ref());
        }
    }

    /// Flushes, fsyncs, renames into place and fsyncs the folder (no
    /// fsync after [`AtomicFile::without_fsync`]).
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("file is present until commit");
        let file = file
            .into_inner()
            .map_err(|e| Error::io(&self.temp, e.into_error()))?;
        if self.durable {
            file.sync_all().map_err(|e| Error::io(&self.temp, e))?;
        }
        drop(file);
        fs::rename(&self.temp, &self.target).map_err(|e| Error::io(&self.target, e))?;
        if self.durable {
            sync_parent(&self.target);
        }
        Ok(())
    }
}

#[cfg(unix)]
fn write_all_at(file: &File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut data: &[u8], mut offset: u64) -> io::Result<()> {
    while !data.is_empty() {
        match std::os::windows::fs::FileExt::seek_write(file, data, offset) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                data = &data[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn write_all_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "positional writes are not supported on this platform",
    ))
}

/// Best-effort fsync of a path's folder so a rename is durable (not
/// supported on every platform, hence no error).
pub fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().map_or(Ok(0), |f| f.write(buf))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.write_all(buf),
            None => Ok(()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `data` to `path` atomically.
pub fn write_atomic(path: impl AsRef<Path>, data: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path.as_ref())?;
    f.write_all(data).map_err(|e| Error::io(path.as_ref(), e))?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"partial").unwrap();
        }
        assert!(!path.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn replaces_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        fs::write(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
    }

    /// Regions written at their offsets from several threads, around a
    /// buffered head, make the file in order.
    #[test]
    fn positional_regions_from_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"head:").unwrap();
        std::thread::scope(|s| {
            for (i, part) in [&b"one,"[..], b"two,", b"three"].into_iter().enumerate() {
                let f = &f;
                s.spawn(move || {
                    f.write_all_at(part, [5u64, 9, 13][i]).unwrap();
                    f.start_writeback_shared();
                });
            }
        });
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"head:one,two,three");
    }

    /// Without fsync the file still appears whole, only at commit.
    #[test]
    fn without_fsync_still_renames_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        let mut f = AtomicFile::create(&path).unwrap().without_fsync();
        f.write_all(b"data").unwrap();
        f.start_writeback().unwrap();
        assert!(!path.exists());
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"data");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
