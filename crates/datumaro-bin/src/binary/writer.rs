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
use crate::binary::record::{TypeCodes, put_dict, put_item};
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
}

impl Default for WriteOptions {
    fn default() -> WriteOptions {
        WriteOptions {
            max_blob_size: DEFAULT_MAX_BLOB_SIZE,
            cipher: None,
            media_encryption: false,
            type_codes: TypeCodes::Modern,
        }
    }
}

/// datumaro's default `max_blob_size`.
pub const DEFAULT_MAX_BLOB_SIZE: usize = 1 << 20;

/// Builds one `.datum` file.
#[derive(Debug)]
pub struct DatumWriter {
    infos: Attributes,
    categories: Categories,
    media_type: MediaType,
    opts: WriteOptions,
    blobs: Vec<Vec<u8>>,
    current: Vec<u8>,
    items: usize,
}

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
            blobs: Vec::new(),
            current: Vec::new(),
            items: 0,
        }
    }

    /// Appends one item.
    pub fn push(&mut self, item: &Item) -> Result<()> {
        let mut rec = Vec::with_capacity(256);
        put_item(&mut rec, item, self.opts.type_codes)?;
        self.push_record(&rec);
        Ok(())
    }

    /// Appends items, encoding them in parallel on the rayon pool.
    ///
    /// Items are encoded in chunks, each into one buffer with the end of
    /// every record, so the encoders allocate per chunk, not per item.
    pub fn extend_par(&mut self, items: &[Item]) -> Result<()> {
        let codes = self.opts.type_codes;
        let chunks: Vec<(Vec<u8>, Vec<usize>)> = items
            .par_chunks(256)
            .map(|chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 512);
                let mut ends = Vec::with_capacity(chunk.len());
                for item in chunk {
                    put_item(&mut buf, item, codes)?;
                    ends.push(buf.len());
                }
                Ok((buf, ends))
            })
            .collect::<Result<_>>()?;
        for (buf, ends) in &chunks {
            let mut start = 0;
            for &end in ends {
                self.push_record(buf.get(start..end).unwrap_or_default());
                start = end;
            }
        }
        Ok(())
    }

    fn push_record(&mut self, rec: &[u8]) {
        if self.current.capacity() == 0 {
            // A blob ends just past `max_blob_size`: one allocation per blob
            // for the usual record sizes.
            self.current
                .reserve(self.opts.max_blob_size.saturating_add(4096).min(1 << 26));
        }
        self.current.extend_from_slice(rec);
        self.items += 1;
        if self.current.len() > self.opts.max_blob_size {
            self.blobs.push(std::mem::take(&mut self.current));
        }
    }

    /// Items appended so far.
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// The complete file.
    pub fn finish(self) -> Result<Vec<u8>> {
        let (mut out, blobs) = self.parts()?;
        out.reserve(blobs.iter().map(Vec::len).sum());
        for b in &blobs {
            out.extend_from_slice(b);
        }
        Ok(out)
    }

    /// Closes the last blob and seals the blobs (encryption) and headers.
    fn parts(mut self) -> Result<(Vec<u8>, Vec<Vec<u8>>)> {
        if !self.current.is_empty() {
            self.blobs.push(std::mem::take(&mut self.current));
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
        let blobs: Vec<Vec<u8>> = match cipher {
            Some(c) => self
                .blobs
                .par_iter()
                .map(|b| c.seal(b))
                .collect::<Result<_>>()?,
            None => self.blobs,
        };
        let mut table = Vec::with_capacity(4 + 4 * blobs.len());
        table.extend_from_slice(&len_u32(blobs.len())?.to_le_bytes());
        for b in &blobs {
            let n = i32::try_from(b.len()).map_err(|_| {
                Error::Unsupported(format!("a blob of {} bytes (2 GiB at most)", b.len()))
            })?;
            table.extend_from_slice(&n.to_le_bytes());
        }
        put_field(&mut out, &seal(cipher, table)?)?;
        Ok((out, blobs))
    }

    /// Writes the file atomically to `path` (one fsync at the end); returns
    /// its size.
    pub fn write_to(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let mut f = AtomicFile::create(path)?;
        let (head, blobs) = self.parts()?;
        let mut n = head.len() as u64;
        f.write_all(&head).map_err(|e| Error::io(path, e))?;
        for b in &blobs {
            f.write_all(b).map_err(|e| Error::io(path, e))?;
            n += b.len() as u64;
        }
        f.commit()?;
        Ok(n)
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
