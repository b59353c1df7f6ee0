//! What every exporter shares: options, the report, and `save_media`
//! (copying media files into the export with datumaro's names, [spec §4.1]).
//!
//! [spec §4.1]: ../../../docs/specs/datumaro-binary.md

use std::path::{Path, PathBuf};

use crate::binary::{Cipher, WriteOptions};
use crate::model::{Dataset, Image, Item, Media, MediaType};
use crate::{Error, Result};
use vellum_format_core::AtomicFile;

/// Options shared by the exporters.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Copy media files into the export (stored paths become datumaro's
    /// names); otherwise stored paths are kept verbatim.
    pub save_media: bool,
    /// Extension for saved images (default: the source's, else `.jpg`).
    pub image_ext: Option<String>,
    /// Also write `dataset_meta.json` (label and mask categories).
    pub save_dataset_meta: bool,
    /// Replace saved image files by Fernet tokens (datumaro 1.11's media
    /// encryption); needs `binary.cipher`.
    pub encrypt_media: bool,
    /// DatumaroBinary options (blob size, cipher, type codes).
    pub binary: WriteOptions,
    /// The cipher of the source's media files (a datumaro 1.11 export with
    /// media encryption): saved images are decrypted with it when they are
    /// Fernet tokens.
    pub source_media_cipher: Option<Cipher>,
    /// Skip the fsync of the annotation files (they still appear whole, by
    /// rename; datumaro never syncs). Default: fsync. Applies to every
    /// format (DatumaroBinary takes it instead of `binary.no_fsync`).
    pub no_fsync: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct ExportReport {
    /// Annotation files written, in order.
    pub files: Vec<PathBuf>,
    /// Total bytes of the annotation files.
    pub bytes: u64,
    /// Items written.
    pub items: usize,
    /// Media files copied.
    pub media_copied: usize,
    /// Media that could not be copied (source missing), as item ids.
    pub media_missing: Vec<String>,
}

/// How many bytes of encoded items are gathered before they are written
/// (at least the 1 MiB of [`AtomicFile`]'s buffer, so writes bypass it).
const WRITE_STEP: usize = 1 << 20;
/// Items per chunk when several threads encode.
const PAR_CHUNK: usize = 128;

/// A new [`AtomicFile`], fsynced on commit unless `no_fsync`.
pub(crate) fn atomic_file(path: &Path, no_fsync: bool) -> Result<AtomicFile> {
    let f = AtomicFile::create(path)?;
    Ok(if no_fsync { f.without_fsync() } else { f })
}

/// Writes a text file made of `head`, every item encoded by `encode`, and
/// `tail`, atomically, streaming: items are encoded into a buffer that is
/// written and reused (one thread), or into one buffer per chunk of a
/// window of chunks encoded in parallel and written in order (several), so
/// the bytes never depend on the number of threads and the file is never
/// whole in memory. The disk starts writing each few MiB while the next
/// ones are encoded ([`AtomicFile::start_writeback`]), so the final fsync
/// has little left to wait for. Returns the file's size.
pub(crate) fn write_streamed(
    path: &Path,
    no_fsync: bool,
    head: &[u8],
    items: &[Item],
    tail: &[u8],
    encode: impl Fn(&mut Vec<u8>, usize, &Item) + Sync,
) -> Result<u64> {
    use rayon::prelude::*;
    use std::io::Write;

    struct Sink<'a> {
        f: AtomicFile,
        path: &'a Path,
        bytes: u64,
        pending: usize,
    }
    impl Sink<'_> {
        fn write(&mut self, b: &[u8]) -> Result<()> {
            self.f.write_all(b).map_err(|e| Error::io(self.path, e))?;
            self.bytes += b.len() as u64;
            self.pending += b.len();
            if self.pending >= crate::binary::WRITEBACK_STEP {
                self.f.start_writeback()?;
                self.pending = 0;
            }
            Ok(())
        }
    }

    let mut sink = Sink {
        f: atomic_file(path, no_fsync)?,
        path,
        bytes: 0,
        pending: 0,
    };
    sink.write(head)?;
    let threads = rayon::current_num_threads();
    if threads <= 1 {
        let mut buf = Vec::with_capacity(WRITE_STEP + WRITE_STEP / 2);
        for (i, item) in items.iter().enumerate() {
            crate::prefetch::items_ahead(items, i);
            encode(&mut buf, i, item);
            if buf.len() >= WRITE_STEP {
                sink.write(&buf)?;
                buf.clear();
            }
        }
        buf.extend_from_slice(tail);
        sink.write(&buf)?;
    } else {
        // Two sets of buffers: while one window is written, the next one
        // is encoded.
        let slots = threads * 2;
        let window = PAR_CHUNK * slots;
        let encode_window = |bufs: &mut Vec<Vec<u8>>, w: usize, group: &[Item]| {
            bufs.par_iter_mut()
                .zip(group.par_chunks(PAR_CHUNK))
                .enumerate()
                .for_each(|(k, (buf, chunk))| {
                    buf.clear();
                    let base = w * window + k * PAR_CHUNK;
                    for (j, item) in chunk.iter().enumerate() {
                        crate::prefetch::items_ahead(chunk, j);
                        encode(buf, base + j, item);
                    }
                });
            group.len().div_ceil(PAR_CHUNK)
        };
        let mut ready: Vec<Vec<u8>> = vec![Vec::new(); slots];
        let mut spare: Vec<Vec<u8>> = vec![Vec::new(); slots];
        let mut groups = items.chunks(window).enumerate();
        let mut filled = match groups.next() {
            Some((w, group)) => encode_window(&mut ready, w, group),
            None => 0,
        };
        loop {
            let next = groups.next();
            let (written, encoded) = rayon::join(
                || -> Result<()> {
                    for buf in ready.iter().take(filled) {
                        sink.write(buf)?;
                    }
                    Ok(())
                },
                || next.map(|(w, group)| encode_window(&mut spare, w, group)),
            );
            written?;
            match encoded {
                Some(n) => {
                    std::mem::swap(&mut ready, &mut spare);
                    filled = n;
                }
                None => break,
            }
        }
        sink.write(tail)?;
    }
    let Sink { f, bytes, .. } = sink;
    f.commit()?;
    Ok(bytes)
}

/// Where the source file of a stored media path is: absolute paths as they
/// are, relative ones under `<root>/<media dir>/<subset>/`.
pub fn resolve_media_path(
    root: Option<&Path>,
    kind: MediaType,
    subset: &str,
    stored: &str,
) -> PathBuf {
    let p = Path::new(stored);
    match root {
        Some(root) if p.is_relative() => root.join(kind.media_dir()).join(subset).join(p),
        _ => p.to_owned(),
    }
}

fn ext_of(path: &str) -> Option<String> {
    Path::new(path)
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
}

/// Copies an item's media into `out_root` and returns the media with the
/// stored paths datumaro gives saved files.
pub(crate) fn save_item_media(
    ds: &Dataset,
    item: &Item,
    out_root: &Path,
    opts: &ExportOptions,
    naming: Naming,
    report: &mut ExportReport,
) -> Result<Option<Media>> {
    let Some(media) = &item.media else {
        return Ok(None);
    };
    let root = ds.media_root.as_deref();
    let flat_id = match naming {
        Naming::Flat => item.id.replace('/', "_"),
        Naming::Nested => item.id.clone(),
    };
    let subset = item.subset.as_str();
    let cipher = if opts.encrypt_media {
        opts.binary.cipher.as_ref()
    } else {
        None
    };
    let mut copy = |kind: MediaType,
                    stored: &str,
                    dest_dir: &str,
                    name: &str,
                    enc: Option<&Cipher>|
     -> Result<()> {
        let src = resolve_media_path(root, kind, subset, stored);
        let dst = out_root.join(dest_dir).join(subset).join(name);
        if !src.is_file() {
            report.media_missing.push(item.id.clone());
            return Ok(());
        }
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let source_cipher = opts
            .source_media_cipher
            .as_ref()
            .filter(|_| kind == MediaType::Image);
        if src != dst {
            if enc.is_none() && source_cipher.is_none() {
                std::fs::copy(&src, &dst).map_err(|e| Error::io(&dst, e))?;
            } else {
                let mut data = std::fs::read(&src).map_err(|e| Error::io(&src, e))?;
                if let Some(c) = source_cipher
                    && data.starts_with(b"gAAAAA")
                {
                    data = c.open(&data).map_err(|e| e.in_file(&src))?;
                }
                if let Some(c) = enc {
                    data = c.seal(&data)?;
                }
                vellum_format_core::write_atomic(&dst, &data)?;
            }
        }
        report.media_copied += 1;
        Ok(())
    };
    Ok(Some(match media {
        Media::Image(img) => {
            let ext = opts
                .image_ext
                .clone()
                .or_else(|| ext_of(&img.path))
                .unwrap_or_else(|| ".jpg".into());
            let name = format!("{flat_id}{ext}");
            copy(MediaType::Image, &img.path, "images", &name, cipher)?;
            Media::Image(Image {
                path: name,
                size: img.size,
            })
        }
        Media::PointCloud { path, extra_images } => {
            let name = format!("{flat_id}.pcd");
            copy(MediaType::PointCloud, path, "point_clouds", &name, None)?;
            let mut extras = Vec::with_capacity(extra_images.len());
            for (i, img) in extra_images.iter().enumerate() {
                let ext = ext_of(&img.path).unwrap_or_else(|| ".jpg".into());
                let rel = format!("{flat_id}/extra_image_{i}{ext}");
                copy(MediaType::Image, &img.path, "images", &rel, None)?;
                extras.push(Image {
                    path: rel,
                    size: img.size,
                });
            }
            Media::PointCloud {
                path: name,
                extra_images: extras,
            }
        }
        Media::Video {
            path,
            step,
            start_frame,
            end_frame,
        } => {
            let name = basename(path);
            copy(MediaType::Video, path, "videos", &name, None)?;
            Media::Video {
                path: name,
                step: *step,
                start_frame: *start_frame,
                end_frame: *end_frame,
            }
        }
        Media::VideoFrame { path, index } => {
            let name = basename(path);
            copy(MediaType::VideoFrame, path, "videos", &name, None)?;
            Media::VideoFrame {
                path: name,
                index: *index,
            }
        }
        Media::MediaElement { path } => Media::MediaElement { path: path.clone() },
    }))
}

fn basename(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map_or_else(|| p.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Checks a subset name can be a file stem (datumaro refuses `/` and `\`).
pub(crate) fn check_subset_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(Error::Unsupported(format!(
            "subset name {name:?} cannot be a file name"
        )));
    }
    Ok(())
}

/// How saved media files are named after the item id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// `a/b` → `a_b.ext` (DatumaroBinary, Datumaro JSON).
    Flat,
    /// `a/b` → `a/b.ext` (COCO).
    Nested,
}

/// Items of a subset, with media saved when asked.
pub(crate) fn prepare_items<'a>(
    ds: &'a Dataset,
    items: &'a [Item],
    out_root: &Path,
    opts: &ExportOptions,
    naming: Naming,
    report: &mut ExportReport,
) -> Result<std::borrow::Cow<'a, [Item]>> {
    if !opts.save_media {
        return Ok(relink_media(ds, items, out_root));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let media = save_item_media(ds, item, out_root, opts, naming, report)?;
        out.push(Item {
            media,
            ..item.clone()
        });
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Without `save_media`, the output refers to the source's media files. A
/// relative stored path only means something under its dataset root, so
/// when the output goes elsewhere, paths that resolve to an existing file
/// become that file's absolute path (what datumaro stores, since it holds
/// resolved paths after import). Paths that resolve to nothing are kept
/// verbatim.
fn relink_media<'a>(
    ds: &'a Dataset,
    items: &'a [Item],
    out_root: &Path,
) -> std::borrow::Cow<'a, [Item]> {
    let Some(root) = ds.media_root.as_deref() else {
        return std::borrow::Cow::Borrowed(items);
    };
    if std::path::absolute(out_root).is_ok_and(|o| o == root) {
        return std::borrow::Cow::Borrowed(items);
    }
    // One listing per media folder instead of a `stat` per item (the usual
    // case of an export whose images are elsewhere or absent): a missing
    // folder holds nothing; a plain name absent from the listing is not a
    // file; a listed regular file is one. Anything else (nested paths,
    // symlinks, unreadable folders) is checked with `stat` as before.
    let mut dirs: std::collections::HashMap<(MediaType, &str), MediaDir> =
        std::collections::HashMap::new();
    let mut relink = |kind: MediaType, subset: &'a str, p: &str| -> Option<String> {
        if Path::new(p).is_absolute() {
            return None;
        }
        let dir = dirs
            .entry((kind, subset))
            .or_insert_with(|| MediaDir::list(&root.join(kind.media_dir()).join(subset)));
        // The listing answers most paths without building the full path.
        if dir.knows(p) == Some(false) {
            return None;
        }
        let src = resolve_media_path(Some(root), kind, subset, p);
        let is_file = match dir.knows(p) {
            Some(known) => known,
            None => src.is_file(),
        };
        is_file.then(|| src.to_string_lossy().into_owned())
    };
    // One pass: the new path of every media file that resolves (None when
    // nothing changes), so each file is checked once.
    let mut changed = false;
    let mut new_paths: Vec<(Option<String>, Vec<Option<String>>)> = Vec::with_capacity(items.len());
    for i in items {
        let entry = match &i.media {
            Some(Media::PointCloud { path, extra_images }) => (
                relink(MediaType::PointCloud, &i.subset, path),
                extra_images
                    .iter()
                    .map(|e| relink(MediaType::Image, &i.subset, &e.path))
                    .collect(),
            ),
            Some(m) => (relink(m.media_type(), &i.subset, m.path()), Vec::new()),
            None => (None, Vec::new()),
        };
        changed |= entry.0.is_some() || entry.1.iter().any(Option::is_some);
        new_paths.push(entry);
    }
    if !changed {
        return std::borrow::Cow::Borrowed(items);
    }
    let fix = |p: &mut String, new: Option<String>| {
        if let Some(abs) = new {
            *p = abs;
        }
    };
    let out: Vec<Item> = items
        .iter()
        .zip(new_paths)
        .map(|(i, (main, extras))| {
            let mut i = i.clone();
            match &mut i.media {
                Some(Media::Image(img)) => fix(&mut img.path, main),
                Some(Media::PointCloud { path, extra_images }) => {
                    fix(path, main);
                    for (e, new) in extra_images.iter_mut().zip(extras) {
                        fix(&mut e.path, new);
                    }
                }
                Some(Media::Video { path, .. })
                | Some(Media::VideoFrame { path, .. })
                | Some(Media::MediaElement { path }) => fix(path, main),
                None => {}
            }
            i
        })
        .collect();
    std::borrow::Cow::Owned(out)
}

/// What a media folder holds, listed once.
enum MediaDir {
    /// The folder does not exist: nothing under it is a file.
    Missing,
    /// Names in the folder, and whether each is a regular file (`None`:
    /// a symlink or unknown type, to be checked with `stat`).
    Listed(std::collections::HashMap<std::ffi::OsString, Option<bool>>),
    /// The folder could not be listed: check every path with `stat`.
    Unknown,
}

impl MediaDir {
    fn list(dir: &Path) -> MediaDir {
        match std::fs::read_dir(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => MediaDir::Missing,
            Err(_) => MediaDir::Unknown,
            Ok(rd) => {
                let mut names = std::collections::HashMap::new();
                for e in rd {
                    let Ok(e) = e else {
                        return MediaDir::Unknown;
                    };
                    let kind = e.file_type().ok().and_then(|t| {
                        if t.is_symlink() {
                            None
                        } else {
                            Some(t.is_file())
                        }
                    });
                    names.insert(e.file_name(), kind);
                }
                MediaDir::Listed(names)
            }
        }
    }

    /// Whether `rel` (relative to the folder) is a regular file, when the
    /// listing alone says so.
    fn knows(&self, rel: &str) -> Option<bool> {
        match self {
            MediaDir::Missing => Some(false),
            MediaDir::Unknown => None,
            MediaDir::Listed(names) => {
                let plain =
                    !rel.is_empty() && !rel.contains(['/', '\\']) && rel != "." && rel != "..";
                if !plain {
                    return None;
                }
                match names.get(std::ffi::OsStr::new(rel)) {
                    None => Some(false),
                    Some(kind) => *kind,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Subset;

    fn item(id: &str, path: &str) -> Item {
        let mut it = Item::new(id, "train");
        it.media = Some(Media::Image(Image {
            path: path.into(),
            size: None,
        }));
        it
    }

    fn path_of(i: &Item) -> &str {
        i.media.as_ref().map_or("", Media::path)
    }

    #[test]
    fn relink_makes_existing_files_absolute_and_keeps_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::path::absolute(tmp.path().join("src")).unwrap();
        let images = root.join("images/train");
        std::fs::create_dir_all(images.join("nested")).unwrap();
        std::fs::write(images.join("a.jpg"), b"x").unwrap();
        std::fs::write(images.join("nested/c.jpg"), b"x").unwrap();
        std::fs::create_dir_all(images.join("dir.jpg")).unwrap();
        let items = vec![
            item("a", "a.jpg"),
            item("b", "b.jpg"),
            item("c", "nested/c.jpg"),
            item("d", "dir.jpg"),
            item("e", "/elsewhere/e.jpg"),
        ];
        let ds = Dataset {
            media_root: Some(root.clone()),
            subsets: vec![Subset {
                name: "train".into(),
                items: items.clone(),
            }],
            ..Dataset::default()
        };
        let out = relink_media(&ds, &items, &tmp.path().join("out"));
        let paths: Vec<&str> = out.iter().map(path_of).collect();
        let abs = |p: &str| images.join(p).to_string_lossy().into_owned();
        assert_eq!(
            paths,
            [
                abs("a.jpg").as_str(),
                "b.jpg",
                abs("nested/c.jpg").as_str(),
                "dir.jpg",
                "/elsewhere/e.jpg"
            ]
        );

        // No media folder at all: every path is kept, nothing is copied.
        let items = vec![item("a", "a.jpg")];
        let ds = Dataset {
            media_root: Some(tmp.path().join("empty")),
            ..Dataset::default()
        };
        let out = relink_media(&ds, &items, &tmp.path().join("out"));
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
    }
}
