//! The elements of a large JSON array read on the workers of rayon's pool:
//! the COCO `annotations` and the Datumaro JSON `items`, whose elements
//! are independent of each other.
//!
//! What lies whole in a window (module `window`) after the array's
//! current position is cut at byte offsets into pieces, a few per thread,
//! one task each. The first task starts at the array's next element;
//! every other task starts at the first place in its piece that looks
//! like an element's start (a `,` between `}` and `{`) and parses as one.
//! Each task reads elements one after another, exactly as the sequential
//! reader would from the same position (an element's reader reads its
//! bytes only, up to its closing `}`), until the next element starts in
//! the following piece, and says where. A task's elements are kept only
//! when the task before it, itself kept, ended exactly where this one
//! started: so, by induction from the first task, every element kept is
//! one the sequential reader reads from the same bytes, and the elements
//! kept are its elements in file order, none left out. The first task
//! whose start is not confirmed ends the batch, and the reader carries on
//! after the last element kept: with the next batch, or, when a batch
//! keeps nothing, with its sequential step, which reads the array's end,
//! an element that does not lie whole in the window, and an element that
//! fails — so errors are the sequential reader's own, with their file,
//! line and column (errors of the tasks are dropped unread: their
//! scanners skip making messages).
//!
//! Memory: the elements of one window (two for COCO, whose batch is
//! placed while the next one is read), in buffers reused from batch to
//! batch.

use std::path::Path;

use rayon::prelude::*;

use super::scan::{Members, Origin, Scanner};
use super::window::View;
use crate::Result;

/// Fewer bytes than the window's chunk over this after the current
/// position are left to the sequential reader (16 KiB of the usual 1 MiB:
/// the tasks would cost more than they save).
const MIN_BATCH_PER_CHUNK: usize = 64;

/// Places tried per task for its first element, at most (a place that
/// looks like an element's start may be inside one).
const TRIES: usize = 8;

/// The pieces of a window and what their tasks read, kept from batch to
/// batch: each task fills its piece's buffers, the reader drains them, and
/// the next batch fills them again, so batches allocate nothing of their
/// own (and no buffer goes from thread to thread to be freed).
#[derive(Debug)]
pub(crate) struct Batch<T, S> {
    runs: Vec<Run<T, S>>,
    kept: usize,
}

impl<T, S> Batch<T, S> {
    /// No pieces yet.
    pub(crate) fn new() -> Batch<T, S> {
        Batch {
            runs: Vec::new(),
            kept: 0,
        }
    }

    /// Whether the last batch kept elements not taken yet.
    pub(crate) fn has_kept(&self) -> bool {
        self.kept > 0
    }

    /// The runs the last batch kept, in file order, to be drained (they
    /// are not handed out again).
    pub(crate) fn take_kept(&mut self) -> &mut [Run<T, S>] {
        let n = std::mem::take(&mut self.kept).min(self.runs.len());
        self.runs.get_mut(..n).unwrap_or_default()
    }
}

/// What one task read: elements in order, its scratch state, where its
/// first element starts, where its last one ends, and where the element
/// after them starts (in the next piece).
#[derive(Debug)]
pub(crate) struct Run<T, S> {
    /// The values read, in file order.
    pub(crate) values: Vec<T>,
    /// What the task's parser keeps besides the values (e.g. the
    /// annotations of every element, one after another).
    pub(crate) scratch: S,
    start: Option<usize>,
    end: usize,
    next: Option<usize>,
}

/// Reads the elements of the array at `*pos` of `view` (its state `list`)
/// that lie whole in the window, in parallel with `parse`, and moves
/// `*pos` and `list` past the last element kept; [`Batch::kept`] has them
/// then. Nothing is read when little is left in the window or the pool
/// has one thread.
///
/// Each piece has its scratch state, made by `init` once and emptied by
/// `clear` before each batch. `parse` reads one element at the scanner's
/// position; when it fails it must leave the scratch state as valid as
/// before (the task goes on with it). It gets no element index: an
/// element that fails is read again by the sequential reader, which makes
/// the error.
pub(crate) fn read_elements<T, S>(
    view: View<'_>,
    pos: &mut usize,
    list: &mut Members,
    batch: &mut Batch<T, S>,
    (init, clear): (impl Fn() -> S, impl Fn(&mut S) + Sync),
    parse: impl Fn(&mut Scanner<'_>, &mut S) -> Result<T> + Sync,
) where
    T: Send,
    S: Send,
{
    batch.kept = 0;
    let threads = rayon::current_num_threads();
    let View {
        bytes,
        file,
        origin,
        chunk,
    } = view;
    if threads <= 1 || bytes.len().saturating_sub(*pos) < chunk / MIN_BATCH_PER_CHUNK {
        return;
    }
    // The first element's start, as the sequential reader's `element`
    // finds it.
    let mut s = Scanner::at(bytes, *pos, file, origin);
    let first = if list.is_first() {
        match s.peek() {
            Some(b']') | None => return,
            Some(_) => s.pos(),
        }
    } else {
        match s.peek() {
            Some(b',') => s.pos() + 1,
            _ => return,
        }
    };
    // Errors are never reported from here: skip making their messages.
    let origin = Origin {
        retried: true,
        ..origin
    };
    // A few pieces per thread, so a thread that waits for a core (or a
    // piece of bigger elements) is evened out by the others.
    let pieces = threads.saturating_mul(4);
    while batch.runs.len() < pieces {
        batch.runs.push(Run {
            values: Vec::new(),
            scratch: init(),
            start: None,
            end: 0,
            next: None,
        });
    }
    let len = bytes.len() - first.min(bytes.len());
    let bound = |j: usize| {
        if j >= pieces {
            usize::MAX
        } else {
            first + len / pieces * j
        }
    };
    let source = Source {
        bytes,
        file,
        origin,
    };
    batch
        .runs
        .par_iter_mut()
        .take(pieces)
        .enumerate()
        .for_each(|(j, run)| {
            run.values.clear();
            clear(&mut run.scratch);
            run.start = None;
            run.next = None;
            let until = bound(j + 1);
            if j == 0 {
                source.run(run, first, until, &parse);
                return;
            }
            let candidates = Candidates {
                bytes,
                at: bound(j),
            };
            for c in candidates.take_while(|&c| c < until).take(TRIES) {
                if source.run(run, c, until, &parse) {
                    return;
                }
            }
        });
    #[cfg(test)]
    let before = *pos;
    let mut expected = Some(first);
    for run in batch.runs.iter().take(pieces) {
        if run.start.is_none() || run.start != expected {
            break;
        }
        expected = run.next;
        *pos = run.end;
        *list = Members::AFTER_FIRST;
        batch.kept += 1;
        if expected.is_none() {
            break;
        }
    }
    #[cfg(test)]
    KEPT_BYTES.with(|k| k.set(k.get() + (*pos - before)));
}

/// The window's bytes, with what the tasks' scanners need.
struct Source<'a> {
    bytes: &'a [u8],
    file: &'a Path,
    origin: Origin,
}

impl Source<'_> {
    /// Reads elements into `run` from `start` (where an element starts)
    /// until the next one starts at or after `until`. `false` (nothing
    /// read) when the first element does not parse.
    fn run<T, S>(
        &self,
        run: &mut Run<T, S>,
        start: usize,
        until: usize,
        parse: &impl Fn(&mut Scanner<'_>, &mut S) -> Result<T>,
    ) -> bool {
        let mut s = Scanner::at(self.bytes, start, self.file, self.origin);
        let Ok(v) = parse(&mut s, &mut run.scratch) else {
            return false;
        };
        run.values.push(v);
        run.start = Some(start);
        run.end = s.pos();
        loop {
            if s.peek() != Some(b',') {
                return true;
            }
            let next = s.pos() + 1;
            if next >= until {
                run.next = Some(next);
                return true;
            }
            s = Scanner::at(self.bytes, next, self.file, self.origin);
            match parse(&mut s, &mut run.scratch) {
                Ok(v) => run.values.push(v),
                Err(_) => return true,
            }
            run.end = s.pos();
        }
    }
}

#[cfg(test)]
thread_local! {
    /// How many bytes of elements the batches of this thread kept: tests
    /// check that they read in parallel.
    pub(crate) static KEPT_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Test documents: the files that `list` finds in the `format` folder of
/// each of these fixture cases (with what `list` says of each), read.
#[cfg(test)]
pub(crate) fn fixture_docs<K>(
    cases: &[&str],
    format: &str,
    list: impl Fn(&Path) -> Result<Vec<(K, std::path::PathBuf)>>,
) -> Vec<(K, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/datumaro");
    let mut docs = Vec::new();
    for case in cases {
        for (k, f) in list(&dir.join(case).join(format)).expect("files") {
            docs.push((k, std::fs::read(&f).expect("fixture")));
        }
    }
    docs
}

/// Test documents: `doc` with a few bytes replaced after several offsets,
/// so that bad input meets the tasks of every piece.
#[cfg(test)]
pub(crate) fn corruptions(doc: &[u8], edits: &[(&str, &str)]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for k in 1..8 {
        let at = doc.len() * k / 8;
        for (from, to) in edits {
            let rest = doc.get(at..).unwrap_or_default();
            let Some(i) = rest.windows(from.len()).position(|w| w == from.as_bytes()) else {
                continue;
            };
            let mut d = doc.get(..at + i).unwrap_or_default().to_vec();
            d.extend_from_slice(to.as_bytes());
            d.extend_from_slice(doc.get(at + i + from.len()..).unwrap_or_default());
            out.push(d);
        }
        out.push(doc.get(..at).unwrap_or_default().to_vec());
    }
    out
}

/// Reads every one of `docs` (written to files in `dir`) with `read`
/// through windows of 64 B, 1 KiB and 1 MiB, on a pool of 1 thread and one
/// of 3, and asserts that both read the same (`read` gets the document's
/// index). Returns how many bytes the workers' batches kept and how many
/// reads failed.
#[cfg(test)]
pub(crate) fn read_alone_and_together<T: PartialEq + std::fmt::Debug + Send>(
    dir: &Path,
    docs: &[Vec<u8>],
    read: impl Fn(usize, &Path, &mut super::window::Window<'_>) -> std::result::Result<T, String> + Sync,
) -> (usize, usize) {
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("a pool")
    };
    let (one, many) = (pool(1), pool(3));
    let (mut in_parallel, mut errors) = (0, 0);
    for (i, doc) in docs.iter().enumerate() {
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, doc).expect("write");
        for chunk in [64, 1 << 10, 1 << 20] {
            let run = |p: &rayon::ThreadPool| {
                p.install(|| {
                    let before = KEPT_BYTES.with(|k| k.get());
                    let mut w = super::window::Window::open_with(&path, chunk).expect("open");
                    let got = read(i, &path, &mut w);
                    (got, KEPT_BYTES.with(|k| k.get()) - before)
                })
            };
            let ((alone, _), (together, kept)) = (run(&one), run(&many));
            assert_eq!(together, alone, "document {i}, chunk {chunk}");
            in_parallel += kept;
            errors += usize::from(alone.is_err());
        }
    }
    (in_parallel, errors)
}

/// Places that look like the start of an array's element (just after a
/// `,` that follows a `}` and precedes a `{`, whitespace aside), from
/// `at` on.
struct Candidates<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let ws = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
        loop {
            let rest = self.bytes.get(self.at..)?;
            let comma = self.at + rest.iter().position(|&b| b == b',')?;
            self.at = comma + 1;
            let before = self.bytes.get(..comma)?.iter().rev().find(|b| !ws(b));
            let after = self.bytes.get(comma + 1..)?.iter().find(|b| !ws(b));
            if before == Some(&b'}') && after == Some(&b'{') {
                return Some(comma + 1);
            }
        }
    }
}
