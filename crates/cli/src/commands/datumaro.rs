//! `vellum datumaro`: look into Datumaro datasets (DatumaroBinary, Datumaro
//! JSON, COCO): `info` (subsets, counts, categories) and `dump` (the whole
//! dataset as one JSON document).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use vellum_datumaro::{
    Cipher, Dataset, DatumReader, Item, KIND_NAMES, ReadOptions, Subset, dataset_json, read_coco,
    read_dataset_meta, read_datumaro_json,
};

use crate::commands::inspect::{Format, detect};
use crate::output::{Global, Outcome, out, out_json};
use crate::progress;

/// Arguments of `vellum datumaro`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DatumaroCommand,
}

#[derive(Debug, Subcommand)]
enum DatumaroCommand {
    /// Subsets, item and annotation counts by type, and categories.
    Info {
        /// A dataset folder (datumaro_binary, datumaro, coco) or one `.datum` file.
        path: PathBuf,
        /// The key of an encrypted (datumaro 1.11) dataset: `datum-…`, or
        /// `vellum-…` for our sealed scheme.
        #[arg(long, value_name = "KEY")]
        encryption_key: Option<String>,
    },
    /// The whole dataset as one JSON document (`infos`, `categories`,
    /// `media_type`, `subsets` → `items` in file order).
    Dump {
        /// A dataset folder (datumaro_binary, datumaro, coco) or one `.datum` file.
        path: PathBuf,
        /// The key of an encrypted dataset.
        #[arg(long, value_name = "KEY")]
        encryption_key: Option<String>,
    },
}

/// Runs `vellum datumaro`.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    match args.command {
        DatumaroCommand::Info {
            path,
            encryption_key,
        } => info(&path, encryption_key.as_deref(), g),
        DatumaroCommand::Dump {
            path,
            encryption_key,
        } => {
            let ds = load(&path, None, encryption_key.as_deref(), g)?;
            out_json(&dataset_json(&ds))?;
            Ok(Outcome::Ok)
        }
    }
}

/// The read options for a key given on the command line.
pub fn read_options(key: Option<&str>, g: &Global) -> Result<ReadOptions> {
    let cipher = key
        .map(Cipher::from_key)
        .transpose()
        .context("--encryption-key")?;
    Ok(ReadOptions {
        backend: g.backend(),
        cipher,
        ..ReadOptions::default()
    })
}

/// Reads a dataset of `format` (detected when `None`) at `path`; a single
/// `.datum` file reads as a one-subset dataset rooted two folders up.
pub fn load(path: &Path, format: Option<&str>, key: Option<&str>, g: &Global) -> Result<Dataset> {
    let format = match format {
        Some(f) => f.to_owned(),
        None => detect(path)?.format.name().to_owned(),
    };
    let opts = read_options(key, g)?;
    let spin = progress::spinner(g, "reading");
    let ds = match format.as_str() {
        "datumaro_binary" => load_binary(path, &[], &opts, g)?,
        "datum_file" => {
            let root = path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."))
                .to_owned();
            load_binary(&root, &[path.to_owned()], &opts, g)?
        }
        "datumaro" => read_datumaro_json(path).with_context(|| path.display().to_string())?,
        "coco" => read_coco(path).with_context(|| path.display().to_string())?,
        other => bail!(
            "{}: {other} is not a dataset format (datumaro_binary, datumaro, coco)",
            path.display()
        ),
    };
    spin.finish_and_clear();
    Ok(ds)
}

/// Reads DatumaroBinary files (all of `root/annotations/*.datum` when
/// `files` is empty) blob by blob, `num_workers` blobs in parallel, with a
/// progress bar over blobs.
fn load_binary(root: &Path, files: &[PathBuf], opts: &ReadOptions, g: &Global) -> Result<Dataset> {
    let files = if files.is_empty() {
        vellum_datumaro::datum_files(root)?
    } else {
        files.to_vec()
    };
    let readers = files
        .iter()
        .map(|f| DatumReader::open(f, opts).map_err(|e| hint_key(e.into(), root)))
        .collect::<Result<Vec<_>>>()?;
    let blobs: usize = readers.iter().map(DatumReader::blob_count).sum();
    let bar = progress::bar(g, blobs as u64, "blobs");
    let mut ds = Dataset {
        media_root: Some(std::path::absolute(root)?),
        ..Dataset::default()
    };
    let workers = g
        .num_workers
        .unwrap_or_else(rayon::current_num_threads)
        .max(1);
    for (i, r) in readers.iter().enumerate() {
        let h = r.header();
        if i == 0 {
            ds.infos = h.infos.clone();
            ds.media_type = h.media_type;
        }
        if ds.categories.is_empty() {
            ds.categories = h.categories.clone();
        }
        let mut items = Vec::new();
        r.for_each_blob(workers, |b| {
            items.extend(b);
            bar.inc(1);
            Ok(())
        })?;
        ds.subsets.push(Subset {
            name: r.subset().to_owned(),
            items,
        });
    }
    bar.finish_and_clear();
    if ds.categories.is_empty()
        && let Some(c) = read_dataset_meta(root)?
    {
        ds.categories = c;
    }
    Ok(ds)
}

fn hint_key(e: anyhow::Error, root: &Path) -> anyhow::Error {
    let needs_key = e
        .chain()
        .any(|c| matches!(c.downcast_ref::<vellum_datumaro::Error>(), Some(vellum_datumaro::Error::InFile { inner, .. }) if matches!(**inner, vellum_datumaro::Error::KeyRequired)));
    if needs_key && root.join("secret_key.txt").is_file() {
        e.context(format!(
            "pass --encryption-key (datumaro kept it in {})",
            root.join("secret_key.txt").display()
        ))
    } else {
        e
    }
}

/// What `info` reports about one subset.
#[derive(Default)]
struct SubsetFacts {
    items: usize,
    counts: BTreeMap<&'static str, usize>,
}

fn info(path: &Path, key: Option<&str>, g: &Global) -> Result<Outcome> {
    let detected = detect(path)?;
    let t0 = std::time::Instant::now();
    let mut files = Vec::new();
    let mut facts: Vec<(String, SubsetFacts)> = Vec::new();
    let mut meta = Dataset::default();
    let mut loaded = Vec::new();
    if matches!(detected.format, Format::DatumaroBinary | Format::DatumFile) {
        // Streamed blob by blob: memory holds `num_workers` blobs, never
        // the dataset.
        let list = if detected.format == Format::DatumFile {
            vec![path.to_owned()]
        } else {
            vellum_datumaro::datum_files(path)?
        };
        let opts = read_options(key, g)?;
        let workers = g
            .num_workers
            .unwrap_or_else(rayon::current_num_threads)
            .max(1);
        for (i, f) in list.iter().enumerate() {
            let r = DatumReader::open(f, &opts).map_err(|e| hint_key(e.into(), path))?;
            let h = r.header();
            if i == 0 {
                meta.infos = h.infos.clone();
                meta.media_type = h.media_type;
            }
            if meta.categories.is_empty() {
                meta.categories = h.categories.clone();
            }
            files.push(json!({
                "file": f.display().to_string(),
                "format_version": h.format_version,
                "encrypted": h.encrypted,
                "media_encryption": h.media_encryption,
                "blobs": h.blob_sizes.len(),
                "blob_bytes": h.blob_sizes.iter().map(|&s| u64::from(s)).sum::<u64>(),
            }));
            let bar = progress::bar(g, r.blob_count() as u64, "blobs");
            let mut sf = SubsetFacts::default();
            // Counted (and dropped) on the worker that decoded the blob.
            let count = |items: Vec<Item>| {
                let mut counts = [0usize; KIND_NAMES.len()];
                for a in items.iter().flat_map(|i| &i.annotations) {
                    counts[a.kind.index()] += 1;
                }
                Ok((items.len(), counts))
            };
            r.map_blobs(workers, count, |(items, counts)| {
                sf.items += items;
                for (name, n) in KIND_NAMES.iter().zip(counts) {
                    if n > 0 {
                        *sf.counts.entry(name).or_default() += n;
                    }
                }
                bar.inc(1);
                Ok(())
            })?;
            bar.finish_and_clear();
            facts.push((r.subset().to_owned(), sf));
        }
        if meta.categories.is_empty() {
            let root = if detected.format == Format::DatumFile {
                path.parent()
                    .and_then(Path::parent)
                    .unwrap_or(Path::new("."))
            } else {
                path
            };
            if let Some(c) = read_dataset_meta(root)? {
                meta.categories = c;
            }
        }
    } else {
        let mut ds = load(path, Some(detected.format.name()), key, g)?;
        for s in &ds.subsets {
            let mut sf = SubsetFacts {
                items: s.items.len(),
                ..SubsetFacts::default()
            };
            for a in s.items.iter().flat_map(|i| &i.annotations) {
                *sf.counts.entry(a.kind.name()).or_default() += 1;
            }
            facts.push((s.name.clone(), sf));
        }
        // The items are freed after the clock stops: releasing a large
        // dataset's blocks is not reading it (and datumaro's timing does
        // not include its own garbage either).
        loaded = std::mem::take(&mut ds.subsets);
        meta = ds;
    }
    let read_seconds = t0.elapsed().as_secs_f64();
    drop(loaded);
    let ds = meta;
    let mut subsets = serde_json::Map::new();
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut item_count = 0;
    for (name, sf) in &facts {
        item_count += sf.items;
        for (k, v) in &sf.counts {
            *totals.entry(k).or_default() += v;
        }
        subsets.insert(
            name.clone(),
            json!({"items": sf.items, "annotations": sf.counts}),
        );
    }
    let cats = &ds.categories;
    let doc = json!({
        "path": path.display().to_string(),
        "format": detected.format.name(),
        "media_type": ds.media_type.name(),
        "items": item_count,
        "annotations": totals,
        "subsets": subsets,
        "labels": cats.label_names(),
        "mask_colors": cats.mask.as_ref().map_or(0, |m| m.colormap.len()),
        "points_categories": cats.points.as_ref().map_or(0, |p| p.items.len()),
        "infos": ds.infos,
        "files": files,
        "read_seconds": read_seconds,
    });
    if g.json {
        out_json(&doc)?;
        return Ok(Outcome::Ok);
    }
    out(format!(
        "{}: {} ({} media), {} items",
        path.display(),
        detected.format.description(),
        ds.media_type.name(),
        item_count
    ))?;
    for (name, sf) in &facts {
        out(format!(
            "  subset {:<12} {:>8} items  {}",
            name,
            sf.items,
            summary(&json!(sf.counts))
        ))?;
    }
    out(format!("  annotations: {}", summary(&json!(totals))))?;
    let names = cats.label_names();
    out(format!("  labels ({}): {}", names.len(), names.join(", ")))?;
    if let Some(m) = &cats.mask {
        out(format!("  mask colormap: {} colours", m.colormap.len()))?;
    }
    if let Some(p) = &cats.points {
        out(format!("  points categories: {}", p.items.len()))?;
    }
    for f in &files {
        out(format!(
            "  {}: {} blobs, {} bytes{}",
            f["file"].as_str().unwrap_or_default(),
            f["blobs"],
            f["blob_bytes"],
            if f["encrypted"] == true {
                ", encrypted"
            } else {
                ""
            }
        ))?;
    }
    Ok(Outcome::Ok)
}

fn summary(counts: &Value) -> String {
    counts
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}
