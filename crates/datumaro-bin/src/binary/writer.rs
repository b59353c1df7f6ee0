//! The `.datum` writer: byte-identical to datumaro 1.13.12 for plain files
//! ([spec §3], [§5]; encryption [§7]).
//!
//! Items are encoded (in parallel when asked) into records, and records are
//! appended to blobs in dataset order with datumaro's rule: after appending
//! an item, a blob longer than `max_blob_size` is closed. Parallelism only
//! changes who encodes a record, never the bytes.
//!
//! [spec §3]: ../../../../docs/specs/datumaro-binary.md
//! [§5]: ../../../../docs/specs/datumaro-binary.md
//! [§7]: ../../../../docs/specs/datumaro-binary.md

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::binary::Cipher;
use crate::binary::header::SIGNATURE;
use crate::binary::record::{TypeCodes, estimate_item_len, put_dict, put_item};
use crate::model::{Attributes, Categories, Item, MediaType};
use crate::text::orjson;
use crate::{Error, Result};
use vellum_format_core::AtomicFile;

/// How to write `.datum` files.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// A blob is closed once it is longer than this (default 2^20 bytes).
    pub max_blob_size: usize,
    /// Encrypt with datumaro 1.11's Fernet scheme (readable by datumaro
    /// 1.11 only; datumaro ≥ 1.12 refuses encrypted files).
    pub cipher: Option<Cipher>,
    /// The `media_encryption` flag of the version header (datumaro 1.11
    /// sets it when media files are saved and encrypted).
    pub media_encryption: bool,
    /// Annotation type numbering (cuboid_2d is 16 in datumaro 1.11).
    pub type_codes: TypeCodes,
    /// Skip the fsync of [`DatumWriter::write_to`] (the file still appears
    /// whole, by rename). Default: fsync, so a finished export survives a
    /// power cut; datumaro itself never syncs.
    pub no_fsync: bool,
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            max_blob_size: DEFAULT_MAX_BLOB_SIZE,
            cipher: None,
            media_encryption: false,
            type_codes: TypeCodes::Modern,
            no_fsync: false,
        }
    }
}

/// datumaro's default `max_blob_size`.
pub const DEFAULT_MAX_BLOB_SIZE: usize = 1 << 20;

/// Builds one `.datum` file.
///
/// Records are encoded straight into one buffer that holds them all in
/// file order; a blob is a range of it (for plain files the blobs are
/// simply consecutive), so no record is copied into a blob of its own. The
/// whole file is known before it is written because the blob table (the
/// size of every blob) comes before the blobs. Records that other workers
/// encoded follow in buffers of their own ([`DatumWriter::extend_par`]):
/// a plain file writes them from there, each worker its own at its place;
/// anything else appends them to the first buffer first.
#[derive(Debug)]
pub struct DatumWriter {
    infos: Attributes,
    categories: Categories,
    media_type: MediaType,
    opts: WriteOptions,
    /// The records so far, in order...
    records: Vec<u8>,
    /// ...followed by these, encoded by other workers.
    later: Vec<Vec<u8>>,
    /// Where each closed blob ends in the records (`records`, then `later`).
    blob_ends: Vec<usize>,
    items: usize,
}

/// How many bytes are handed to the kernel between two
/// [`AtomicFile::start_writeback`]s.
pub(crate) const WRITEBACK_STEP: usize = 4 << 20;

/// How many bytes one `write` hands over: large enough that the atomic
/// file's buffer is bypassed, small enough to stay in the cache on the way.
const WRITE_PIECE: usize = 1 << 20;

impl DatumWriter {
    /// A writer for a file with these headers.
    pub fn new(
        infos: Attributes,
        categories: Categories,
        media_type: MediaType,
        opts: WriteOptions,
    ) -> DatumWriter {
        DatumWriter {
            infos,
            categories,
            media_type,
            opts,
            records: Vec::new(),
            later: Vec::new(),
            blob_ends: Vec::new(),
            items: 0,
        }
    }

    /// The length of all records so far.
    fn len(&self) -> usize {
        self.records.len() + self.later.iter().map(Vec::len).sum::<usize>()
    }

    /// Appends the other workers' records to `records`.
    fn join_later(&mut self) {
        if self.later.is_empty() {
            return;
        }
        self.records.reserve(self.later.iter().map(Vec::len).sum());
        for part in std::mem::take(&mut self.later) {
            self.records.extend_from_slice(&part);
        }
    }

    /// Where the open blob starts in the records.
    fn blob_start(&self) -> usize {
        self.blob_ends.last().copied().unwrap_or(0)
    }

    /// datumaro's rule, after appending an item: a blob longer than
    /// `max_blob_size` is closed.
    fn end_record(&mut self) {
        self.items += 1;
        if self.records.len() - self.blob_start() > self.opts.max_blob_size {
            self.blob_ends.push(self.records.len());
        }
    }

    /// Appends one item.
    pub fn push(&mut self, item: &Item) -> Result<()> {
        self.join_later();
        let at = self.records.len();
        if let Err(e) = put_item(&mut self.records, item, self.opts.type_codes) {
            self.records.truncate(at);
            return Err(e);
        }
        self.end_record();
        Ok(())
    }

    /// Appends items, encoding them in parallel on the rayon pool.
    ///
    /// On one thread, records go straight into the file's buffer; with
    /// more, each thread encodes a contiguous part (see below).
    pub fn extend_par(&mut self, items: &[Item]) -> Result<()> {
        self.join_later();
        // One allocation for the whole file: growing a buffer of tens of MiB
        // copies it and touches fresh pages at every step.
        // Every 16th item is enough to size it (and reading every item's
        // annotations here would take the cache misses twice).
        const STRIDE: usize = 16;
        let sample: usize = items.iter().step_by(STRIDE).map(estimate_item_len).sum();
        let sampled = items.len().div_ceil(STRIDE).max(1);
        let estimate = sample / sampled * items.len();
        self.records.reserve(estimate + estimate / 8);
        vellum_format_core::prefer_huge_pages(&mut self.records);
        if rayon::current_num_threads() <= 1 {
            for (i, item) in items.iter().enumerate() {
                crate::prefetch::items_ahead(items, i);
                self.push(item)?;
            }
            return Ok(());
        }
        // Several threads: one contiguous part of the items per thread. The
        // first part is encoded straight into the file's buffer, the others
        // into buffers of their own (sized the same way) that are appended
        // in order; the blob rule is then applied record by record, so the
        // bytes never depend on the number of threads.
        let codes = self.opts.type_codes;
        let per_part = items.len().div_ceil(rayon::current_num_threads()).max(1);
        let (first, rest) = items.split_at(per_part.min(items.len()));
        let encode = |buf: &mut Vec<u8>, part: &[Item]| -> Result<Vec<usize>> {
            let start = buf.len();
            let mut ends = Vec::with_capacity(part.len());
            for (i, item) in part.iter().enumerate() {
                crate::prefetch::items_ahead(part, i);
                put_item(buf, item, codes)?;
                ends.push(buf.len() - start);
            }
            Ok(ends)
        };
        let base = self.records.len();
        let records = &mut self.records;
        let (first_ends, others) = rayon::join(
            || encode(records, first),
            || {
                rest.par_chunks(per_part)
                    .map(|part| {
                        let mut buf =
                            Vec::with_capacity(estimate / items.len().max(1) * part.len() * 9 / 8);
                        vellum_format_core::prefer_huge_pages(&mut buf);
                        let ends = encode(&mut buf, part)?;
                        Ok((buf, ends))
                    })
                    .collect::<Result<Vec<(Vec<u8>, Vec<usize>)>>>()
            },
        );
        let (first_ends, others) = match (first_ends, others) {
            (Ok(f), Ok(o)) => (f, o),
            (Err(e), _) | (_, Err(e)) => {
                self.records.truncate(base);
                return Err(e);
            }
        };
        self.end_records(base, &first_ends);
        for (buf, ends) in others {
            let base = self.len();
            self.end_records(base, &ends);
            if !buf.is_empty() {
                self.later.push(buf);
            }
        }
        Ok(())
    }

    /// Applies the blob rule to records appended at `base` (their ends
    /// relative to it), as `push` does one by one.
    fn end_records(&mut self, base: usize, ends: &[usize]) {
        for &end in ends {
            let rec_end = base + end;
            self.items += 1;
            if rec_end - self.blob_start() > self.opts.max_blob_size {
                self.blob_ends.push(rec_end);
            }
        }
    }

    /// Items appended so far.
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// The complete file.
    pub fn finish(self) -> Result<Vec<u8>> {
        let (mut out, body) = self.parts()?;
        if let Body::Plain { .. } = &body {
            out.reserve(body.len());
            body.each_slice(|b| {
                out.extend_from_slice(b);
                Ok(())
            })?;
            return Ok(out);
        }
        // Encrypted blobs: every one into its own place of the output, in
        // parallel (the blob table gave every length).
        let head = out.len();
        out.resize(head + body.len(), 0);
        let mut rest = out.get_mut(head..).unwrap_or_default();
        let mut places = Vec::new();
        for len in body.blob_sizes() {
            let (place, after) = rest.split_at_mut(len.min(rest.len()));
            places.push(place);
            rest = after;
        }
        match &body {
            Body::FernetStream {
                records,
                ranges,
                fernet,
            } => {
                let places: Vec<_> = places.into_iter().map(std::sync::Mutex::new).collect();
                fernet_pieces(records, ranges, fernet, &|blob, offset, piece| {
                    let mut place = places
                        .get(blob)
                        .ok_or_else(|| Error::Crypto("a Fernet piece of no blob".into()))?
                        .lock()
                        .map_err(|_| Error::Crypto("a Fernet worker panicked".into()))?;
                    place
                        .get_mut(offset..offset + piece.len())
                        .ok_or_else(|| Error::Crypto(TOKEN_LEN_MISMATCH.into()))?
                        .copy_from_slice(piece);
                    Ok(())
                })?;
            }
            Body::SealedStream {
                records,
                ranges,
                sealers,
            } => places
                .into_par_iter()
                .zip(ranges.par_iter().zip(sealers))
                .try_for_each(|(place, (r, s))| {
                    let plain = records.get(r.clone()).unwrap_or_default();
                    s.seal_into(plain, place)
                        .map_err(crate::binary::cipher::crypto)
                })?,
            Body::Plain { .. } => {}
        }
        Ok(out)
    }

    /// Closes the last blob and seals the blobs (encryption) and headers:
    /// the head of the file (signature to blob table) and the blobs.
    fn parts(mut self) -> Result<(Vec<u8>, Body)> {
        if self.len() > self.blob_start() {
            self.blob_ends.push(self.len());
        }
        if self.opts.cipher.is_some() {
            // Blobs may straddle the workers' buffers.
            self.join_later();
        }
        let cipher = self.opts.cipher.as_ref();
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(SIGNATURE);

        let version =
            json!({"dm_format_version": "1.0", "media_encryption": self.opts.media_encryption});
        put_field(&mut out, &dict_field(&version)?)?;
        match cipher {
            Some(c) => put_field(&mut out, &c.handshake()?)?,
            None => put_field(&mut out, &[])?,
        }
        let mt = json!({"media_type": self.media_type.code()});
        for v in [
            Value::Object(std::mem::take(&mut self.infos)),
            self.categories.to_json(),
            mt,
        ] {
            let inner = dict_field(&v)?;
            put_field(&mut out, &seal(cipher, inner)?)?;
        }
        let mut start = 0;
        let ranges: Vec<std::ops::Range<usize>> = self
            .blob_ends
            .iter()
            .map(|&end| {
                let r = start..end;
                start = end;
                r
            })
            .collect();
        let body = match cipher {
            // Fernet tokens are made batch by batch while the file is
            // written (their lengths are known in advance), in reused
            // buffers, one batch per thread at a time.
            Some(Cipher::Fernet(k)) => Body::FernetStream {
                records: self.records,
                ranges,
                fernet: k.fernet().clone(),
            },
            // Sealed streams likewise, each into its place.
            Some(c) => Body::SealedStream {
                sealers: c.sealers(ranges.len())?,
                records: self.records,
                ranges,
            },
            None => Body::Plain {
                records: self.records,
                later: self.later,
                sizes: ranges.iter().map(|r| r.len()).collect(),
            },
        };
        let sizes = body.blob_sizes();
        let mut table = Vec::with_capacity(4 + 4 * sizes.len());
        table.extend_from_slice(&len_u32(sizes.len())?.to_le_bytes());
        for n in sizes {
            let n = i32::try_from(n)
                .map_err(|_| Error::Unsupported(format!("a blob of {n} bytes (2 GiB at most)")))?;
            table.extend_from_slice(&n.to_le_bytes());
        }
        put_field(&mut out, &seal(cipher, table)?)?;
        Ok((out, body))
    }

    /// Writes the file atomically to `path` (one fsync at the end, the disk
    /// writing earlier parts while later ones are handed over); returns its
    /// size.
    pub fn write_to(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let mut f = AtomicFile::create(path)?;
        if self.opts.no_fsync {
            f = f.without_fsync();
        }
        let (head, body) = self.parts()?;
        let mut n = head.len() as u64;
        f.write_all(&head).map_err(|e| Error::io(path, e))?;
        if let Body::FernetStream {
            records,
            ranges,
            fernet,
        } = &body
        {
            // Each token straight to its place in the file (the blob table
            // already gave every length), from every worker at once.
            let mut places = Vec::with_capacity(ranges.len());
            for r in ranges {
                let len = vellum_crypto::Fernet::token_len(r.len());
                places.push((n, len));
                n += len as u64;
            }
            let pending = std::sync::atomic::AtomicUsize::new(0);
            let f = &f;
            fernet_pieces(records, ranges, fernet, &|blob, offset, piece| {
                let &(start, len) = places
                    .get(blob)
                    .ok_or_else(|| Error::Crypto("a Fernet piece of no blob".into()))?;
                if offset + piece.len() > len {
                    return Err(Error::Crypto(TOKEN_LEN_MISMATCH.into()));
                }
                f.write_all_at(piece, start + offset as u64)?;
                let before = pending.fetch_add(piece.len(), std::sync::atomic::Ordering::Relaxed);
                if (before + piece.len()) / WRITEBACK_STEP > before / WRITEBACK_STEP {
                    f.start_writeback_shared();
                }
                Ok(())
            })?;
        } else if let Body::SealedStream {
            records,
            ranges,
            sealers,
        } = &body
        {
            // Each stream sealed into a worker's buffer and written at its
            // place (the blob table gave every length), blobs on every
            // worker at once.
            let mut places = Vec::with_capacity(ranges.len());
            for (r, s) in ranges.iter().zip(sealers) {
                let len = s.sealed_len(r.len());
                places.push((n, len));
                n += len as u64;
            }
            let pending = std::sync::atomic::AtomicUsize::new(0);
            let f = &f;
            places
                .par_iter()
                .zip(ranges.par_iter().zip(sealers))
                .try_for_each_init(Vec::new, |buf, (&(at, len), (r, s))| -> Result<()> {
                    buf.clear();
                    buf.resize(len, 0);
                    let plain = records.get(r.clone()).unwrap_or_default();
                    s.seal_into(plain, buf)
                        .map_err(crate::binary::cipher::crypto)?;
                    f.write_all_at(buf, at)?;
                    let before = pending.fetch_add(len, std::sync::atomic::Ordering::Relaxed);
                    if (before + len) / WRITEBACK_STEP > before / WRITEBACK_STEP {
                        f.start_writeback_shared();
                    }
                    Ok(())
                })?;
        } else if let Body::Plain { records, later, .. } = &body
            && !later.is_empty()
        {
            // Each worker's records at their place, from every worker at
            // once (the kernel's copy into the page cache is most of a
            // plain file's writing).
            let mut placed = Vec::with_capacity(later.len() + 1);
            for b in std::iter::once(records).chain(later) {
                placed.push((n, b.as_slice()));
                n += b.len() as u64;
            }
            let pending = std::sync::atomic::AtomicUsize::new(0);
            let f = &f;
            placed.par_iter().try_for_each(|&(at, b)| -> Result<()> {
                for (k, piece) in b.chunks(WRITE_PIECE).enumerate() {
                    f.write_all_at(piece, at + (k * WRITE_PIECE) as u64)?;
                    let before =
                        pending.fetch_add(piece.len(), std::sync::atomic::Ordering::Relaxed);
                    if (before + piece.len()) / WRITEBACK_STEP > before / WRITEBACK_STEP {
                        f.start_writeback_shared();
                    }
                }
                Ok(())
            })?;
        } else {
            let mut pending = 0;
            body.each_slice(|b| {
                for piece in b.chunks(WRITE_PIECE) {
                    f.write_all(piece).map_err(|e| Error::io(path, e))?;
                    n += piece.len() as u64;
                    pending += piece.len();
                    if pending >= WRITEBACK_STEP {
                        f.start_writeback()?;
                        pending = 0;
                    }
                }
                Ok(())
            })?;
        }
        f.commit()?;
        Ok(n)
    }
}

/// The blobs of a file, after the head.
enum Body {
    /// Plain blobs: consecutive ranges of the records (`records` then
    /// `later`), of these sizes.
    Plain {
        records: Vec<u8>,
        later: Vec<Vec<u8>>,
        sizes: Vec<usize>,
    },
    /// Sealed blobs still to seal: these ranges of the records, each with
    /// its stream.
    SealedStream {
        records: Vec<u8>,
        ranges: Vec<std::ops::Range<usize>>,
        sealers: Vec<vellum_crypto::Sealer>,
    },
    /// Fernet blobs still to encrypt: these ranges of the records.
    FernetStream {
        records: Vec<u8>,
        ranges: Vec<std::ops::Range<usize>>,
        fernet: vellum_crypto::Fernet,
    },
}

const TOKEN_LEN_MISMATCH: &str = "a Fernet token is not the length its table entry says";

/// Where [`fernet_pieces`] puts a piece: `(blob, offset in its token,
/// bytes)`, from any worker.
type PutPiece<'a> = dyn Fn(usize, usize, &[u8]) -> Result<()> + Sync + 'a;

/// Encrypts `ranges` of `records` as Fernet tokens (one per blob) and hands
/// each piece of token text to `put(blob, offset in its token, piece)`.
/// The blobs are split into one run of consecutive blobs per worker; a
/// worker interleaves the CBC chains of all its blobs
/// ([`vellum_crypto::Fernet::encrypt_pieces`]), so memory stays at a few
/// tens of KiB per blob and nothing is copied twice.
fn fernet_pieces(
    records: &[u8],
    ranges: &[std::ops::Range<usize>],
    fernet: &vellum_crypto::Fernet,
    put: &PutPiece<'_>,
) -> Result<()> {
    let plains: Vec<&[u8]> = ranges
        .iter()
        .map(|r| records.get(r.clone()).unwrap_or_default())
        .collect();
    let workers = rayon::current_num_threads().clamp(1, plains.len().max(1));
    let per = plains.len().div_ceil(workers).max(1);
    let run = |first: usize, group: &[&[u8]]| {
        fernet.encrypt_pieces(group, |i, offset, piece| put(first + i, offset, piece))
    };
    if workers == 1 {
        return run(0, &plains);
    }
    plains
        .par_chunks(per)
        .enumerate()
        .try_for_each(|(g, group)| run(g * per, group))
}

impl Body {
    fn blob_sizes(&self) -> Vec<usize> {
        match self {
            Body::Plain { sizes, .. } => sizes.clone(),
            Body::SealedStream {
                ranges, sealers, ..
            } => ranges
                .iter()
                .zip(sealers)
                .map(|(r, s)| s.sealed_len(r.len()))
                .collect(),
            Body::FernetStream { ranges, .. } => ranges
                .iter()
                .map(|r| vellum_crypto::Fernet::token_len(r.len()))
                .collect(),
        }
    }

    /// Hands the bytes after the head, in order, to `sink`.
    fn each_slice(&self, mut sink: impl FnMut(&[u8]) -> Result<()>) -> Result<()> {
        match self {
            Body::Plain { records, later, .. } => {
                sink(records)?;
                later.iter().try_for_each(|b| sink(b))
            }
            // Written in place, never as slices.
            Body::FernetStream { .. } | Body::SealedStream { .. } => {
                Err(Error::Crypto("encrypted blobs are written in place".into()))
            }
        }
    }

    fn len(&self) -> usize {
        self.blob_sizes().iter().sum()
    }
}

fn seal(cipher: Option<&Cipher>, plain: Vec<u8>) -> Result<Vec<u8>> {
    match cipher {
        Some(c) => c.seal(&plain),
        None => Ok(plain),
    }
}

fn len_u32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Unsupported(format!("{n} is too large for a u32 length")))
}

/// A `json` field: `u32` N + orjson text, N = 0 for `{}`.
fn dict_field(v: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => put_dict(&mut out, m)?,
        other => {
            let text = orjson::to_vec(other);
            out.extend_from_slice(&len_u32(text.len())?.to_le_bytes());
            out.extend_from_slice(&text);
        }
    }
    Ok(out)
}

/// An outer header field: `u32` L + L bytes.
fn put_field(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    out.extend_from_slice(&len_u32(bytes.len())?.to_le_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}
