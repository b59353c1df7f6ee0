//! A JSON document read through a window that slides over its file, so a
//! large document is never in memory whole (and what is parsed was just
//! read, still in the CPU caches).
//!
//! The reader parses in steps (a key and its value, one item): a step runs
//! on a [`Scanner`] over the window; when it fails, or ends exactly at the
//! window's end, before the end of the file, the window slides to the
//! step's start, reads more (at least as much again as it holds, so a long
//! value costs a bounded number of retries) and the step runs again. A
//! step that fails with the whole rest of the file in the window fails for
//! good. Memory: the window grows to the largest step, at most the file.
//!
//! While the pool's workers read what the window holds (module
//! `parallel`), the reader's thread reads the next chunk aside
//! ([`Window::read_ahead_during`]); the next slide takes it instead of
//! reading the file (one more chunk of memory).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::scan::{Origin, Scanner};
use crate::{Error, Result};

/// How much a window reads at a time.
const CHUNK: usize = 1 << 20;

/// A window over a document: the whole of a slice, or a sliding window
/// over a file.
#[derive(Debug)]
pub(crate) struct Window<'f> {
    path: &'f Path,
    source: Source<'f>,
    origin: Origin,
    /// How much to read at least when sliding.
    chunk: usize,
}

#[derive(Debug)]
enum Source<'f> {
    Slice(&'f [u8]),
    File {
        file: File,
        buf: Vec<u8>,
        eof: bool,
        /// The chunk after `buf`, read ahead, and whether it ends the file.
        ahead: Vec<u8>,
        ahead_eof: bool,
    },
}

/// What a window holds, for reading outside a step (module `parallel`):
/// its bytes, the file, where the bytes start in it, and how much the
/// window reads at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) file: &'a Path,
    pub(crate) origin: Origin,
    pub(crate) chunk: usize,
}

impl<'f> Window<'f> {
    /// The whole document, already in memory.
    pub(crate) fn slice(bytes: &'f [u8], path: &'f Path) -> Window<'f> {
        Window {
            path,
            source: Source::Slice(bytes),
            origin: Origin::default(),
            chunk: CHUNK,
        }
    }

    /// The document in the file at `path`, read as it is parsed.
    pub(crate) fn open(path: &'f Path) -> Result<Window<'f>> {
        Window::open_with(path, CHUNK)
    }

    /// [`Window::open`] reading `chunk` bytes at a time.
    pub(crate) fn open_with(path: &'f Path, chunk: usize) -> Result<Window<'f>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut w = Window {
            path,
            source: Source::File {
                file,
                buf: Vec::new(),
                eof: false,
                ahead: Vec::new(),
                ahead_eof: false,
            },
            origin: Origin::default(),
            chunk: chunk.max(1),
        };
        let mut pos = 0;
        w.slide(&mut pos)?;
        Ok(w)
    }

    fn bytes(&self) -> &[u8] {
        match &self.source {
            Source::Slice(b) => b,
            Source::File { buf, .. } => buf,
        }
    }

    fn eof(&self) -> bool {
        match &self.source {
            Source::Slice(_) => true,
            Source::File { eof, .. } => *eof,
        }
    }

    /// Runs the step `f` at `*pos` and moves `*pos` past what it read
    /// (see the module documentation).
    pub(crate) fn step<T>(
        &mut self,
        pos: &mut usize,
        mut f: impl FnMut(&mut Scanner<'_>) -> Result<T>,
    ) -> Result<T> {
        loop {
            let bytes = self.bytes();
            let origin = Origin {
                retried: !self.eof(),
                ..self.origin
            };
            let mut s = Scanner::at(bytes, *pos, self.path, origin);
            let r = f(&mut s);
            let (end, len) = (s.pos(), bytes.len());
            if self.eof() {
                *pos = end;
                return r;
            }
            if let Ok(v) = r
                && end < len
            {
                *pos = end;
                return Ok(v);
            }
            self.slide(pos)?;
        }
    }

    /// Runs `f` on what the window holds, on the pool, while this thread
    /// reads the next chunk of the file aside for the next slide (unless
    /// one is read already or the file is read whole).
    pub(crate) fn read_ahead_during<R: Send>(
        &mut self,
        f: impl FnOnce(View<'_>) -> R + Send,
    ) -> Result<R> {
        let (path, origin, chunk) = (self.path, self.origin, self.chunk);
        let view = |bytes| View {
            bytes,
            file: path,
            origin,
            chunk,
        };
        let reads = matches!(&self.source, Source::File {
            eof: false,
            ahead,
            ahead_eof: false,
            ..
        } if ahead.is_empty());
        if !reads {
            return Ok(f(view(self.bytes())));
        }
        let Source::File {
            file,
            buf,
            ahead,
            ahead_eof,
            ..
        } = &mut self.source
        else {
            // Not reached: `reads` holds only for a file.
            return Ok(f(view(&[])));
        };
        let (mut r, mut read) = (None, Ok(0));
        let bytes = buf.as_slice();
        rayon::in_place_scope(|s| {
            s.spawn(|_| r = Some(f(view(bytes))));
            ahead.reserve(chunk);
            read = file.by_ref().take(chunk as u64).read_to_end(ahead);
        });
        let n = read.map_err(|e| Error::io(path, e))?;
        *ahead_eof = n < chunk;
        r.ok_or_else(|| Error::io(path, std::io::Error::other("a read-ahead task did not run")))
    }

    /// Slides the window to `*pos` and reads more when less than half a
    /// chunk is left after it (before the end of the file), so the
    /// window holds enough to read in parallel.
    pub(crate) fn refill(&mut self, pos: &mut usize) -> Result<()> {
        if !self.eof() && self.bytes().len().saturating_sub(*pos) < self.chunk / 2 {
            self.slide(pos)?;
        }
        Ok(())
    }

    /// An error at `pos` of the window.
    pub(crate) fn error(&self, pos: usize, what: impl std::fmt::Display) -> Error {
        Scanner::at(self.bytes(), pos, self.path, self.origin).error(what)
    }

    /// Drops the window's bytes before `*pos` and reads more after the
    /// rest (at least as much as is kept); `*pos` becomes 0.
    fn slide(&mut self, pos: &mut usize) -> Result<()> {
        let Source::File {
            file,
            buf,
            eof,
            ahead,
            ahead_eof,
        } = &mut self.source
        else {
            return Ok(());
        };
        let keep = (*pos).min(buf.len());
        self.origin.offset += keep;
        buf.drain(..keep);
        *pos = 0;
        let want = self.chunk.max(buf.len());
        // Room for all of it at once: reading into a full buffer would
        // grow it by doubling, copying what it holds each time.
        buf.reserve(want);
        // The chunk read ahead first (at most a chunk, so at most `want`).
        let got = ahead.len();
        buf.append(ahead);
        if std::mem::take(ahead_eof) {
            *eof = true;
            return Ok(());
        }
        let n = file
            .by_ref()
            .take((want - got.min(want)) as u64)
            .read_to_end(buf)
            .map_err(|e| Error::io(self.path, e))?;
        *eof = got + n < want;
        Ok(())
    }
}
