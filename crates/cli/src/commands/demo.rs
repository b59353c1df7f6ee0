//! `vellum demo`: the README's main command, a tour of Vellum on an
//! embedded synthetic dataset.
//!
//! COCO → DatumaroBinary (sharded into small blobs, encrypted with a
//! datumaro 1.11 Fernet key) → read back → Datumaro JSON; the same boxes as a
//! RAB file (arrays with metadata, compressed, checksummed) and as a
//! DSRecords record file; everything inspected; and a table of sizes and
//! times. It runs in a temporary folder unless `--out` keeps the files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use serde_json::json;

use crate::output::{Global, Outcome, note, out, out_json};

/// Arguments of `vellum demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of images in the synthetic dataset.
    #[arg(long, default_value_t = 2000)]
    pub items: usize,
    /// Seed for the synthetic data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Largest DatumaroBinary blob in bytes (small, to show sharding).
    #[arg(long, default_value_t = 64 << 10)]
    pub max_blob_size: usize,
    /// Keep the files in this folder instead of a temporary one.
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
}

/// One row of the closing table.
struct Step {
    what: &'static str,
    path: PathBuf,
    bytes: u64,
    millis: f64,
}

fn size_of(path: &Path) -> u64 {
    if path.is_file() {
        return std::fs::metadata(path).map_or(0, |m| m.len());
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| size_of(&e.path()))
        .sum()
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed().as_secs_f64() * 1e3))
}

/// Runs the tour.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    let temp;
    let root = match &args.out {
        Some(p) => {
            std::fs::create_dir_all(p).with_context(|| p.display().to_string())?;
            p.clone()
        }
        None => {
            temp = tempfile::tempdir().context("creating a temporary folder")?;
            temp.path().to_path_buf()
        }
    };
    let mut steps = Vec::new();
    let say = |s: String| -> Result<()> {
        if !g.json {
            out(s)?;
        }
        Ok(())
    };

    // 1. The embedded default: a synthetic COCO-instances dataset.
    let coco = root.join("coco");
    let (summary, ms) = timed(|| {
        Ok(vellum_datumaro::synth::write_coco(
            &coco, args.items, args.seed,
        )?)
    })?;
    say(format!(
        "1. synthesised COCO: {} images, {} annotations, {} categories",
        summary.images, summary.annotations, summary.categories
    ))?;
    steps.push(Step {
        what: "synthesise COCO",
        path: coco.clone(),
        bytes: size_of(&coco),
        millis: ms,
    });

    // 2. COCO import.
    let (ds, ms) = timed(|| Ok(vellum_datumaro::read_coco(&coco)?))?;
    let n_items: usize = ds.subsets.iter().map(|s| s.items.len()).sum();
    let n_anns: usize = ds
        .subsets
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| i.annotations.len())
        .sum();
    say(format!(
        "2. imported COCO: {n_items} items, {n_anns} datumaro annotations"
    ))?;
    steps.push(Step {
        what: "import COCO",
        path: coco.clone(),
        bytes: 0,
        millis: ms,
    });

    // 3. DatumaroBinary, plain and encrypted (datumaro 1.11 Fernet), sharded.
    let plain_dir = root.join("datumaro_binary");
    let mut opts = vellum_datumaro::ExportOptions::default();
    opts.binary.max_blob_size = args.max_blob_size;
    let (_, ms) = timed(|| {
        Ok(vellum_datumaro::write_datumaro_binary(
            &ds, &plain_dir, &opts,
        )?)
    })?;
    steps.push(Step {
        what: "export DatumaroBinary",
        path: plain_dir.clone(),
        bytes: size_of(&plain_dir.join("annotations")),
        millis: ms,
    });
    let key = vellum_crypto::DatumaroKey::generate();
    let cipher = vellum_datumaro::Cipher::from_key(key.as_str())?;
    let enc_dir = root.join("datumaro_binary_encrypted");
    let mut enc_opts = opts.clone();
    enc_opts.binary.cipher = Some(cipher.clone());
    let (_, ms) = timed(|| {
        Ok(vellum_datumaro::write_datumaro_binary(
            &ds, &enc_dir, &enc_opts,
        )?)
    })?;
    let blobs: usize = vellum_datumaro::datum_files(&plain_dir)?
        .iter()
        .map(|f| {
            vellum_datumaro::DatumReader::open(f, &Default::default())
                .map(|r| r.header().blob_sizes.len())
        })
        .sum::<Result<usize, _>>()?;
    say(format!(
        "3. exported DatumaroBinary in {blobs} blobs of at most {} KiB, plain and encrypted (key {}…)",
        args.max_blob_size >> 10,
        &key.as_str()[..12]
    ))?;
    steps.push(Step {
        what: "export DatumaroBinary, encrypted",
        path: enc_dir.clone(),
        bytes: size_of(&enc_dir.join("annotations")),
        millis: ms,
    });

    // 4. Import the encrypted export (blobs decrypted and decoded in parallel).
    let read_opts = vellum_datumaro::ReadOptions {
        cipher: Some(cipher),
        backend: g.backend(),
        ..Default::default()
    };
    let (back, ms) = timed(|| Ok(vellum_datumaro::read_datumaro_binary(&enc_dir, &read_opts)?))?;
    let back_items: usize = back.subsets.iter().map(|s| s.items.len()).sum();
    ensure!(
        back_items == n_items && back.subsets == ds.subsets,
        "the encrypted round trip changed the dataset"
    );
    say(format!(
        "4. imported the encrypted export: {back_items} items, identical to the source"
    ))?;
    steps.push(Step {
        what: "import DatumaroBinary, encrypted",
        path: enc_dir.clone(),
        bytes: 0,
        millis: ms,
    });

    // 5. Back to Datumaro JSON.
    let json_dir = root.join("datumaro_json");
    let (_, ms) = timed(|| {
        Ok(vellum_datumaro::write_datumaro_json(
            &back,
            &json_dir,
            &Default::default(),
        )?)
    })?;
    say("5. exported Datumaro JSON".to_string())?;
    steps.push(Step {
        what: "export Datumaro JSON",
        path: json_dir.clone(),
        bytes: size_of(&json_dir.join("annotations")),
        millis: ms,
    });

    // 6. The boxes as a RAB file: one float32 array [N, 5] (item, x1, y1,
    //    x2, y2) and one int32 label array per subset, with metadata,
    //    compressed and checksummed.
    let rab_path = root.join("boxes.rab");
    let (n_boxes, ms) = timed(|| write_rab(&back, &rab_path))?;
    let rab = vellum_rab::RabReader::open(&rab_path)?;
    let first = rab
        .names()
        .find(|n| n.ends_with("/boxes"))
        .map(str::to_owned)
        .unwrap_or_default();
    say(format!(
        "6. wrote RAB: {} datasets, {n_boxes} boxes; element [0, 3] of {first} = {} (read without loading the array)",
        rab.datasets().len(),
        match rab.element(&first, &[0, 3])? {
            vellum_format_core::Number::Float(x) => format!("{}", x as f32),
            other => format!("{other:?}"),
        }
    ))?;
    steps.push(Step {
        what: "write RAB (boxes)",
        path: rab_path.clone(),
        bytes: size_of(&rab_path),
        millis: ms,
    });

    // 7. One DSRecords record per item: id, subset, annotations as JSON.
    let rec_path = root.join("items.rec");
    let (count, ms) = timed(|| write_records(&back, &rec_path))?;
    let records = vellum_records::Dataset::open(&rec_path, 3)?;
    let mid = records.len() / 2;
    let id = String::from_utf8_lossy(&records.get_field(mid, 0)?).into_owned();
    say(format!(
        "7. wrote DSRecords: {count} records; record {mid} (random access) is item {id:?}"
    ))?;
    steps.push(Step {
        what: "write DSRecords (items)",
        path: rec_path.clone(),
        bytes: size_of(&rec_path) + size_of(&rec_path.with_extension("idx")),
        millis: ms,
    });

    // 8. Everything inspected.
    say("8. inspect:".to_string())?;
    let mut inspected = Vec::new();
    for p in [&coco, &plain_dir, &enc_dir, &json_dir, &rab_path, &rec_path] {
        let d = super::inspect::detect(p)?;
        say(format!(
            "   {:<28} {}",
            p.file_name().unwrap_or_default().to_string_lossy(),
            d.format.description()
        ))?;
        inspected.push(json!({ "path": p.display().to_string(), "format": d.format.name() }));
    }

    // 9. The table.
    if g.json {
        out_json(&json!({
            "items": n_items,
            "annotations": n_anns,
            "steps": steps.iter().map(|s| json!({
                "step": s.what, "path": s.path.display().to_string(),
                "bytes": s.bytes, "ms": s.millis,
            })).collect::<Vec<_>>(),
            "inspected": inspected,
        }))?;
    } else {
        out("")?;
        out(format!("{:<34} {:>12} {:>10}", "step", "bytes", "ms"))?;
        for s in &steps {
            let bytes = if s.bytes == 0 {
                "-".to_string()
            } else {
                s.bytes.to_string()
            };
            out(format!("{:<34} {:>12} {:>10.1}", s.what, bytes, s.millis))?;
        }
    }
    match &args.out {
        Some(p) => note(g, format!("files kept in {}", p.display())),
        None => note(g, "(temporary files removed; keep them with --out DIR)"),
    }
    Ok(Outcome::Ok)
}

fn write_rab(ds: &vellum_datumaro::Dataset, path: &Path) -> Result<usize> {
    use vellum_datumaro::AnnotationKind;
    use vellum_rab::{Array, Compression, DatasetOptions, RabWriter, Value};

    let mut w = RabWriter::new().with_checksums(true);
    let mut total = 0;
    let labels: Vec<String> = ds
        .categories
        .label
        .as_ref()
        .map(|l| l.labels.iter().map(|x| x.name.clone()).collect())
        .unwrap_or_default();
    w.add_object(
        "labels",
        &Value::from_json(&json!({ "labels": labels })),
        DatasetOptions::new(),
    )?;
    for subset in &ds.subsets {
        let mut boxes: Vec<f32> = Vec::new();
        let mut classes: Vec<i32> = Vec::new();
        for (i, item) in subset.items.iter().enumerate() {
            for a in &item.annotations {
                if let AnnotationKind::Bbox { label, corners, .. } = &a.kind {
                    boxes.push(i as f32);
                    boxes.extend_from_slice(corners);
                    classes.push(label.unwrap_or(-1));
                }
            }
        }
        let n = classes.len();
        total += n;
        let meta = Value::from_json(&json!({
            "subset": subset.name, "columns": ["item", "x1", "y1", "x2", "y2"], "unit": "px"
        }));
        w.add_array(
            &format!("{}/boxes", subset.name),
            &Array::from_elements(&[n, 5], &boxes)?,
            DatasetOptions::new()
                .metadata(meta)
                .compression(Compression::Zlib),
        )?;
        w.add_array(
            &format!("{}/labels", subset.name),
            &Array::from_elements(&[n], &classes)?,
            DatasetOptions::new(),
        )?;
    }
    w.write(path)?;
    Ok(total)
}

fn write_records(ds: &vellum_datumaro::Dataset, path: &Path) -> Result<u64> {
    let mut w = vellum_records::DatasetWriter::create(path, Default::default())?;
    for subset in &ds.subsets {
        for item in &subset.items {
            let anns = serde_json::to_vec(&vellum_datumaro::item_json(None, item)["annotations"])?;
            w.append(&[item.id.as_bytes(), item.subset.as_bytes(), &anns])?;
        }
    }
    let n = w.len();
    w.finish()?;
    Ok(n)
}
