//! Conformance cases for `datumaro`: for every fixture case, the read-back of
//! the DatumaroBinary export against datumaro's `expected.json`, the byte
//! identity of our re-export (sha256 of `layout`), and the read-backs of
//! the Datumaro JSON and COCO exports against `expected_datumaro_json.json`
//! and `expected_coco.json`, plus the byte identity of our Datumaro JSON
//! re-export against datumaro's file.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use vellum_datumaro::{
    Cipher, Dataset, DatumReader, ExportOptions, ReadOptions, TypeCodes, WriteOptions,
    dataset_json, datumaro_json_document, read_coco, read_datumaro_binary, read_datumaro_json,
    write_coco, write_datumaro_binary,
};

use super::Report;

/// Runs every case of a fixture folder laid out like `tests/fixtures/datumaro`.
pub fn run(dir: &Path) -> Result<Report> {
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| dir.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    let mut report = Report::default();
    for case in cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        run_case(&case, &name, &mut report);
    }
    Ok(report)
}

fn load_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    serde_json::from_slice(&bytes).with_context(|| path.display().to_string())
}

fn run_case(case: &Path, name: &str, report: &mut Report) {
    let info = match load_json(&case.join("case.json")) {
        Ok(v) => v,
        Err(e) => {
            report.check(format!("{name}/case.json"), Err(e));
            return;
        }
    };
    let key = info
        .get("encryption_key")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let legacy = info
        .get("datumaro_version")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("1.11") || v.starts_with("1.10"));
    let bin = case.join("datumaro_binary");
    let opts = ReadOptions {
        cipher: key
            .as_deref()
            .map(Cipher::from_key)
            .transpose()
            .ok()
            .flatten(),
        ..ReadOptions::default()
    };
    let expected = load_json(&case.join("expected.json"));
    let ds = read_datumaro_binary(&bin, &opts).map_err(anyhow::Error::from);
    report.check(
        format!("{name}/binary read-back"),
        (|| {
            let (ds, expected) = (
                ds.as_ref().map_err(|e| anyhow!("{e:#}"))?,
                expected.as_ref().map_err(|e| anyhow!("{e:#}"))?,
            );
            compare_readback(&bin, ds, expected)?;
            check_layout(&bin, &opts, expected)
        })(),
    );
    report.check(
        format!("{name}/binary re-export"),
        (|| {
            let (ds, expected) = (
                ds.as_ref().map_err(|e| anyhow!("{e:#}"))?,
                expected.as_ref().map_err(|e| anyhow!("{e:#}"))?,
            );
            reexport(&bin, ds, expected, &info, opts.cipher.clone(), legacy)
        })(),
    );
    let json_dir = case.join("datumaro_json");
    if json_dir.is_dir() {
        let jds = read_datumaro_json(&json_dir);
        report.check(
            format!("{name}/datumaro_json read-back"),
            (|| {
                let exp = load_json(&case.join("expected_datumaro_json.json"))?;
                compare_readback(&json_dir, jds.as_ref().map_err(|e| anyhow!("{e:#}"))?, &exp)
            })(),
        );
        report.check(
            format!("{name}/datumaro_json re-export"),
            (|| {
                let jds = jds.as_ref().map_err(|e| anyhow!("{e:#}"))?;
                json_identity(&json_dir, jds)?;
                // The binary read-back converted to JSON must equal datumaro's JSON export.
                let bds = ds.as_ref().map_err(|e| anyhow!("{e:#}"))?;
                json_identity(&json_dir, bds).context("binary → Datumaro JSON")
            })(),
        );
    }
    let coco_dir = case.join("coco");
    if coco_dir.is_dir() {
        let cds = read_coco(&coco_dir);
        report.check(
            format!("{name}/coco read-back"),
            (|| {
                // datumaro merges the task files of a subset in directory order,
                // so the order of annotations across tasks is arbitrary: compare
                // each item's annotations as a sorted list.
                let mut exp = load_json(&case.join("expected_coco.json"))?;
                sort_annotations(&mut exp);
                let mut cds = cds.as_ref().map_err(|e| anyhow!("{e:#}"))?.clone();
                for s in &mut cds.subsets {
                    for it in &mut s.items {
                        it.annotations
                            .sort_by_key(|a| sort_key(&vellum_datumaro::annotation_json(a)));
                    }
                }
                compare_readback(&coco_dir, &cds, &exp)
            })(),
        );
        report.check(
            format!("{name}/coco re-export"),
            (|| {
                // Our COCO export of datumaro's COCO read-back reads back the same.
                let cds = cds.as_ref().map_err(|e| anyhow!("{e:#}"))?;
                let tmp = tempfile::tempdir()?;
                let opts = ExportOptions {
                    save_media: true,
                    ..ExportOptions::default()
                };
                write_coco(cds, tmp.path(), &opts)?;
                let back = read_coco(tmp.path())?;
                let (mut a, mut b) = (dataset_json(&back), dataset_json(cds));
                strip_key(&mut a, "stored_path");
                strip_key(&mut b, "stored_path");
                compare("", &a, &b)
            })(),
        );
    }
}

fn sort_annotations(v: &mut Value) {
    for s in v
        .get_mut("subsets")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|m| m.values_mut())
    {
        for it in s
            .get_mut("items")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(a) = it.get_mut("annotations").and_then(Value::as_array_mut) {
                // Same key as ours: our dump's text of the annotation.
                a.sort_by_key(sort_key);
            }
        }
    }
}

/// Sort key of an expected annotation: type, id, then the rest.
fn sort_key(v: &Value) -> String {
    format!(
        "{}{}{}",
        v.get("type").map(Value::to_string).unwrap_or_default(),
        v.get("id").map(Value::to_string).unwrap_or_default(),
        v
    )
}

fn strip_key(v: &mut Value, key: &str) {
    match v {
        Value::Object(m) => {
            m.remove(key);
            m.values_mut().for_each(|x| strip_key(x, key));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip_key(x, key)),
        _ => {}
    }
}

/// Our Datumaro JSON export of `ds` must be byte-identical to datumaro's.
fn json_identity(dir: &Path, ds: &Dataset) -> Result<()> {
    for s in &ds.subsets {
        let theirs_path = dir.join("annotations").join(format!("{}.json", s.name));
        let theirs =
            std::fs::read(&theirs_path).with_context(|| theirs_path.display().to_string())?;
        let ours = datumaro_json_document(&ds.infos, &ds.categories, ds.media_type, &s.items);
        if ours != theirs {
            let at = ours
                .iter()
                .zip(&theirs)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(theirs.len()));
            let ctx = |b: &[u8]| {
                String::from_utf8_lossy(
                    b.get(at.saturating_sub(40)..(at + 40).min(b.len()))
                        .unwrap_or_default(),
                )
                .into_owned()
            };
            bail!(
                "{}.json differs at byte {at}: ours …{}…, datumaro …{}…",
                s.name,
                ctx(&ours),
                ctx(&theirs)
            );
        }
    }
    Ok(())
}

/// Our dump of `ds` against datumaro's read-back `expected`.
fn compare_readback(root: &Path, ds: &Dataset, expected: &Value) -> Result<()> {
    let mut ours = dataset_json(ds);
    normalise_ours(&mut ours, expected);
    let mut exp = expected.clone();
    normalise_expected(root, &mut exp);
    for key in ["media_type", "infos", "categories", "subsets"] {
        let (Some(a), Some(b)) = (ours.get(key), exp.get(key)) else {
            if exp.get(key).is_some() {
                bail!("{key}: missing in our read-back");
            }
            continue;
        };
        compare(key, a, b)?;
    }
    Ok(())
}

/// Points-category joints are a set in datumaro: compare them sorted. The
/// JSON and COCO read-backs have no `stored_path`.
fn normalise_ours(v: &mut Value, expected: &Value) {
    let has_stored = expected.to_string().contains("\"stored_path\"");
    if !has_stored && let Some(subsets) = v.get_mut("subsets").and_then(Value::as_object_mut) {
        {
            for s in subsets.values_mut() {
                for it in s
                    .get_mut("items")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if let Some(m) = it.get_mut("media").and_then(Value::as_object_mut) {
                        m.remove("stored_path");
                    }
                }
            }
        }
    }
    if let Some(items) = v
        .pointer_mut("/categories/points/items")
        .and_then(Value::as_array_mut)
    {
        for it in items {
            if let Some(j) = it.get_mut("joints").and_then(Value::as_array_mut) {
                j.sort_by_key(|p| p.to_string());
            }
        }
    }
}

/// Drops the fixture-only keys and resolves datumaro's degenerate media
/// prefix: when a media folder (e.g. `videos/`) did not exist, datumaro
/// resolves a stored path to `<subset>/<stored>` (relative to the working
/// directory); we always resolve under `<media dir>/<subset>/`.
fn normalise_expected(root: &Path, v: &mut Value) {
    if let Some(subsets) = v.get_mut("subsets").and_then(Value::as_object_mut) {
        for (sname, s) in subsets.iter_mut() {
            if let Some(o) = s.as_object_mut() {
                o.remove("file");
            }
            let Some(items) = s.get_mut("items").and_then(Value::as_array_mut) else {
                continue;
            };
            for it in items {
                if let Some(m) = it.get_mut("media").and_then(Value::as_object_mut) {
                    fix_media_path(root, sname, m);
                    if let Some(extra) = m.get_mut("extra_images").and_then(Value::as_array_mut) {
                        for e in extra.iter_mut().filter_map(Value::as_object_mut) {
                            fix_media_path(root, sname, e);
                        }
                    }
                }
            }
        }
    }
}

fn fix_media_path(root: &Path, subset: &str, m: &mut Map<String, Value>) {
    let dir = match m.get("kind").and_then(Value::as_str) {
        Some("video" | "video_frame") => "videos",
        Some("point_cloud") => "point_clouds",
        _ => "images",
    };
    if let Some(Value::String(p)) = m.get_mut("path")
        && !p.starts_with(&format!("{dir}/"))
        && !root.join(dir).exists()
        && let Some(rest) = p.strip_prefix(&format!("{subset}/"))
    {
        *p = format!("{dir}/{subset}/{rest}");
    }
}

/// Compares two JSON values: integers exactly, other numbers as `f32`
/// (DatumaroBinary stores coordinates as f32), objects by key set.
pub fn compare(path: &str, ours: &Value, exp: &Value) -> Result<()> {
    match (ours, exp) {
        (Value::Number(a), Value::Number(b)) => {
            let same = match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => {
                    let (x, y) = (
                        a.as_f64().unwrap_or(f64::NAN),
                        b.as_f64().unwrap_or(f64::NAN),
                    );
                    (x as f32) == (y as f32) && (a.is_f64() == b.is_f64())
                }
            };
            ensure!(same, "{path}: ours {a}, datumaro {b}");
        }
        (Value::Array(a), Value::Array(b)) => {
            ensure!(
                a.len() == b.len(),
                "{path}: ours has {} elements, datumaro {}",
                a.len(),
                b.len()
            );
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                compare(&format!("{path}[{i}]"), x, y)?;
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for k in b.keys() {
                ensure!(a.contains_key(k), "{path}: we lack key {k:?}");
            }
            for (k, x) in a {
                let y = b
                    .get(k)
                    .ok_or_else(|| anyhow!("{path}: datumaro lacks key {k:?}"))?;
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                compare(&sub, x, y)?;
            }
        }
        (a, b) => ensure!(a == b, "{path}: ours {a}, datumaro {b}"),
    }
    Ok(())
}

/// The header facts of `layout` (blob sizes, item counts per blob, version
/// header, encryption field) against our reader's view of each file.
fn check_layout(root: &Path, opts: &ReadOptions, expected: &Value) -> Result<()> {
    let layout = expected
        .get("layout")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("expected.json has no layout"))?;
    for (file, l) in layout {
        let r = DatumReader::open(root.join(file), opts)?;
        let h = r.header();
        let sizes: Vec<u64> = h.blob_sizes.iter().map(|&s| u64::from(s)).collect();
        let exp_sizes: Vec<u64> = l
            .get("blob_sizes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        ensure!(
            sizes == exp_sizes,
            "{file}: blob sizes {sizes:?}, datumaro {exp_sizes:?}"
        );
        let mut per_blob = Vec::new();
        for i in 0..r.blob_count() {
            per_blob.push(r.read_blob(i)?.len() as u64);
        }
        let exp_per: Vec<u64> = l
            .get("items_per_blob")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        ensure!(
            per_blob == exp_per,
            "{file}: items per blob {per_blob:?}, datumaro {exp_per:?}"
        );
        let vh = l.get("version_header");
        ensure!(
            vh.and_then(|v| v.get("media_encryption"))
                .and_then(Value::as_bool)
                == Some(h.media_encryption),
            "{file}: media_encryption flag differs"
        );
        let enc_len = l
            .get("encryption_field_len")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        ensure!(h.encrypted == (enc_len > 0), "{file}: encryption differs");
    }
    Ok(())
}

/// Re-exports the read dataset with the case's options: plain files must be
/// byte-identical to datumaro's (layout sha256); encrypted ones must read
/// back to the same dataset.
fn reexport(
    root: &Path,
    ds: &Dataset,
    expected: &Value,
    info: &Value,
    cipher: Option<Cipher>,
    legacy: bool,
) -> Result<()> {
    let export = info.get("export_options").cloned().unwrap_or(Value::Null);
    let max_blob_size = export
        .get("max_blob_size")
        .and_then(Value::as_u64)
        .map_or(vellum_datumaro::DEFAULT_MAX_BLOB_SIZE, |v| v as usize);
    let layout = expected
        .get("layout")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("expected.json has no layout"))?;
    let media_encryption = layout
        .values()
        .next()
        .and_then(|l| l.pointer("/version_header/media_encryption"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let save_media = export
        .get("save_media")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let tmp = tempfile::tempdir()?;
    let opts = ExportOptions {
        save_media,
        source_media_cipher: cipher.clone(),
        encrypt_media: media_encryption && cipher.is_some(),
        binary: WriteOptions {
            max_blob_size,
            cipher: cipher.clone(),
            media_encryption,
            type_codes: if legacy {
                TypeCodes::Legacy
            } else {
                TypeCodes::Modern
            },
            ..WriteOptions::default()
        },
        ..ExportOptions::default()
    };
    write_datumaro_binary(ds, tmp.path(), &opts)?;
    if cipher.is_some() {
        let ropts = ReadOptions {
            cipher,
            ..ReadOptions::default()
        };
        let mut back = read_datumaro_binary(tmp.path(), &ropts)?;
        back.media_root = ds.media_root.clone();
        ensure!(
            &back == ds,
            "the encrypted re-export reads back differently"
        );
        return Ok(());
    }
    for (file, l) in layout {
        let ours = std::fs::read(tmp.path().join(file)).with_context(|| format!("our {file}"))?;
        let sha = hex(&Sha256::digest(&ours));
        let want = l.get("sha256").and_then(Value::as_str).unwrap_or("");
        if sha != want {
            let theirs = std::fs::read(root.join(file)).unwrap_or_default();
            let at = ours
                .iter()
                .zip(&theirs)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(theirs.len()));
            bail!(
                "{file}: sha256 {sha}, datumaro {want} (sizes {} vs {}, first difference at byte {at})",
                ours.len(),
                theirs.len()
            );
        }
    }
    Ok(())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
