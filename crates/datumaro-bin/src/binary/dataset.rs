//! A DatumaroBinary dataset folder: `annotations/<subset>.datum` files plus
//! media ([spec §1]).
//!
//! [spec §1]: ../../../../docs/specs/datumaro-binary.md

use std::path::{Path, PathBuf};

use crate::binary::header::SIGNATURE;
use crate::binary::{DatumReader, DatumWriter, ReadOptions, WriteOptions};
use crate::export::{ExportOptions, ExportReport, Naming, check_subset_name, prepare_items};
use crate::meta::{read_dataset_meta, write_dataset_meta};
use crate::model::{Dataset, Subset};
use crate::{Error, Result};

/// The `.datum` files of a dataset folder, sorted by name.
pub fn datum_files(root: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join("annotations");
    let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut files = Vec::new();
    for e in rd {
        let p = e.map_err(|e| Error::io(&dir, e))?.path();
        if p.extension().is_some_and(|x| x == "datum") && p.is_file() {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// Whether `root` looks like a DatumaroBinary dataset (an `annotations/`
/// folder whose `.datum` files start with the signature).
pub fn is_datumaro_binary(root: &Path) -> bool {
    match datum_files(root) {
        Ok(files) if !files.is_empty() => files.iter().all(|f| {
            vellum_format_core::read_prefix(f, SIGNATURE.len()).is_ok_and(|p| p == SIGNATURE)
        }),
        _ => false,
    }
}

/// Reads a whole DatumaroBinary dataset (every subset, blobs decoded in
/// parallel). Categories come from the first file that has them, else from
/// `dataset_meta.json`.
pub fn read_datumaro_binary(root: &Path, opts: &ReadOptions) -> Result<Dataset> {
    let files = datum_files(root)?;
    let mut ds = Dataset {
        media_root: Some(std::path::absolute(root).map_err(|e| Error::io(root, e))?),
        ..Dataset::default()
    };
    for (i, f) in files.iter().enumerate() {
        let r = DatumReader::open(f, opts)?;
        let h = r.header();
        if i == 0 {
            ds.infos = h.infos.clone();
            ds.media_type = h.media_type;
        }
        if ds.categories.is_empty() {
            ds.categories = h.categories.clone();
        }
        let items = r.read_all()?;
        ds.subsets.push(Subset {
            name: r.subset().to_owned(),
            items,
        });
    }
    if ds.categories.is_empty()
        && let Some(c) = read_dataset_meta(root)?
    {
        ds.categories = c;
    }
    Ok(ds)
}

/// Writes `ds` as DatumaroBinary under `root` (one `.datum` per subset;
/// empty subsets are not written, as in datumaro).
pub fn write_datumaro_binary(
    ds: &Dataset,
    root: &Path,
    opts: &ExportOptions,
) -> Result<ExportReport> {
    let ann = root.join("annotations");
    for d in [&ann, &root.join("images")] {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
    }
    let mut report = ExportReport::default();
    for s in &ds.subsets {
        if s.items.is_empty() {
            continue;
        }
        check_subset_name(&s.name)?;
        let items = prepare_items(ds, &s.items, root, opts, Naming::Flat, &mut report)?;
        let mut w = DatumWriter::new(
            ds.infos.clone(),
            ds.categories.clone(),
            ds.media_type,
            WriteOptions {
                no_fsync: opts.no_fsync,
                ..opts.binary.clone()
            },
        );
        w.extend_par(&items)?;
        report.items += w.item_count();
        let path = ann.join(format!("{}.datum", s.name));
        report.bytes += w.write_to(&path)?;
        report.files.push(path);
    }
    // datumaro 1.11 writes the key beside the dataset (and warns to move
    // it); we do the same for its Fernet scheme only.
    if let Some(c @ crate::binary::Cipher::Fernet(_)) = &opts.binary.cipher {
        vellum_format_core::write_atomic(root.join("secret_key.txt"), c.key().as_bytes())?;
    }
    if opts.save_dataset_meta {
        write_dataset_meta(root, &ds.categories)?;
    }
    Ok(report)
}
