//! `vellum inspect PATH`: say what a file or folder is, reading as little as
//! possible (a few bytes of a file, the names in a folder).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::output::{Global, Outcome, out, out_json};

/// Arguments of `vellum inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A file or folder: a RAB file, a DatumaroBinary dataset or `.datum`
    /// file, a Datumaro JSON or COCO dataset, a DSRecords `.rec` (with its
    /// `.idx`), a TFRecord or MXNet RecordIO file, or a BEAT prefix folder.
    pub path: PathBuf,
}

/// The formats Vellum recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A RandomAccessBuffer file (magic `rab`).
    Rab,
    /// One DatumaroBinary subset file (`annotations/<subset>.datum`).
    DatumFile,
    /// A DatumaroBinary dataset folder.
    DatumaroBinary,
    /// A Datumaro JSON dataset folder.
    DatumaroJson,
    /// A COCO dataset folder.
    Coco,
    /// A DSRecords `.rec` + `.idx` pair.
    DsRecords,
    /// A TFRecord file.
    TfRecord,
    /// An MXNet RecordIO file.
    MxnetRecordIo,
    /// A BEAT prefix folder (with `dataformats/`).
    BeatPrefix,
    /// A Vellum sealed stream (XChaCha20-Poly1305), from `vellum encrypt`.
    Sealed,
}

impl Format {
    /// The machine name used in `--json` output and `-f`/`-if` options.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rab => "rab",
            Format::DatumFile => "datum_file",
            Format::DatumaroBinary => "datumaro_binary",
            Format::DatumaroJson => "datumaro",
            Format::Coco => "coco",
            Format::DsRecords => "dsrecords",
            Format::TfRecord => "tfrecord",
            Format::MxnetRecordIo => "mxnet_recordio",
            Format::BeatPrefix => "beat_prefix",
            Format::Sealed => "vellum_sealed",
        }
    }

    /// A description for people.
    pub fn description(self) -> &'static str {
        match self {
            Format::Rab => "RandomAccessBuffer (RAB) file",
            Format::DatumFile => "DatumaroBinary subset file",
            Format::DatumaroBinary => "DatumaroBinary dataset",
            Format::DatumaroJson => "Datumaro JSON dataset",
            Format::Coco => "COCO dataset",
            Format::DsRecords => "DSRecords record file (.rec + .idx)",
            Format::TfRecord => "TFRecord file",
            Format::MxnetRecordIo => "MXNet RecordIO file",
            Format::BeatPrefix => "BEAT prefix folder",
            Format::Sealed => "Vellum sealed stream (XChaCha20-Poly1305, encrypted)",
        }
    }
}

/// What detection found: the format and a few facts read on the way.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The format.
    pub format: Format,
    /// Facts for the report (header sizes, subsets, counts).
    pub details: serde_json::Map<String, Value>,
}

const RAB_MAGIC: &[u8] = b"rab";
const DATUM_SIGNATURE: &[u8] = b"signature:datumaro_binary";
const MXNET_MAGIC: [u8; 4] = 0xced7_230a_u32.to_le_bytes();
const DSRECORDS_RESERVED: usize = 1024;

/// Detects the format of `path`.
pub fn detect(path: &Path) -> Result<Detected> {
    let meta = std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    let mut details = serde_json::Map::new();
    if meta.is_dir() {
        let format = detect_dir(path, &mut details)?;
        return Ok(Detected { format, details });
    }
    let prefix = vellum_format_core::read_prefix(path, DSRECORDS_RESERVED)?;
    let size = meta.len();
    details.insert("file_size".into(), json!(size));
    let format = if prefix.starts_with(DATUM_SIGNATURE) {
        datum_details(path, &mut details)?;
        Format::DatumFile
    } else if prefix.starts_with(&vellum_crypto::SEALED_MAGIC) {
        Format::Sealed
    } else if prefix.starts_with(RAB_MAGIC) && prefix.len() >= 7 {
        // Header only: the payloads are not read.
        let rab = vellum_rab::RabReader::open(path)?;
        details.insert("header_length".into(), json!(rab.header_len()));
        details.insert("datasets".into(), json!(rab.datasets().len()));
        let names: Vec<&str> = rab.names().take(20).collect();
        details.insert("names".into(), json!(names));
        Format::Rab
    } else if prefix.starts_with(&MXNET_MAGIC) {
        Format::MxnetRecordIo
    } else if is_tfrecord_start(&prefix) {
        let len = u64::from_le_bytes(prefix[..8].try_into().expect("8 bytes"));
        details.insert("first_record_length".into(), json!(len));
        Format::TfRecord
    } else if let Some(idx) = dsrecords_index(path, &prefix, size) {
        details.insert("index".into(), json!(idx.0.display().to_string()));
        details.insert("records".into(), json!(idx.1));
        Format::DsRecords
    } else {
        bail!(
            "{}: not a format vellum knows (RAB, DatumaroBinary, DSRecords, TFRecord, MXNet RecordIO)",
            path.display()
        );
    };
    Ok(Detected { format, details })
}

/// Header facts of a `.datum` file (headers only, no blob is read).
fn datum_details(path: &Path, details: &mut serde_json::Map<String, Value>) -> Result<()> {
    match vellum_datumaro::DatumReader::open(path, &Default::default()) {
        Ok(r) => {
            let h = r.header();
            details.insert("subset".into(), json!(r.subset()));
            details.insert("media_type".into(), json!(format!("{:?}", h.media_type)));
            details.insert("blobs".into(), json!(h.blob_sizes.len()));
            details.insert("encrypted".into(), json!(h.encrypted));
        }
        Err(e) => {
            let key_required = match &e {
                vellum_datumaro::Error::InFile { inner, .. } => {
                    matches!(**inner, vellum_datumaro::Error::KeyRequired)
                }
                other => matches!(other, vellum_datumaro::Error::KeyRequired),
            };
            if !key_required {
                return Err(e.into());
            }
            details.insert("encrypted".into(), json!(true));
        }
    }
    Ok(())
}

fn is_tfrecord_start(prefix: &[u8]) -> bool {
    if prefix.len() < 12 {
        return false;
    }
    let crc = crc32c::crc32c(&prefix[..8]);
    let masked = crc.rotate_right(15).wrapping_add(0xa282_ead8);
    masked == u32::from_le_bytes(prefix[8..12].try_into().expect("4 bytes"))
}

/// A `.rec` is DSRecords when it starts with the 1024-byte zero reserve and
/// an `.idx` sits beside it whose count fits its size.
fn dsrecords_index(path: &Path, prefix: &[u8], size: u64) -> Option<(PathBuf, u64)> {
    if size < DSRECORDS_RESERVED as u64
        || prefix.len() < DSRECORDS_RESERVED
        || prefix.iter().any(|&b| b != 0)
    {
        return None;
    }
    let idx = path.with_extension("idx");
    let head = vellum_format_core::read_prefix(&idx, 8).ok()?;
    let count = u64::from_le_bytes(head.get(..8)?.try_into().ok()?);
    let idx_len = std::fs::metadata(&idx).ok()?.len();
    let need = count.checked_add(1)?.checked_mul(8)?;
    (need <= idx_len).then_some((idx, count))
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

fn stems(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect()
}

fn detect_dir(dir: &Path, details: &mut serde_json::Map<String, Value>) -> Result<Format> {
    let ann = dir.join("annotations");
    let datums = files_with_ext(&ann, "datum");
    if !datums.is_empty() {
        for f in &datums {
            let p = vellum_format_core::read_prefix(f, DATUM_SIGNATURE.len())?;
            if p != DATUM_SIGNATURE {
                bail!("{}: not a DatumaroBinary file (bad signature)", f.display());
            }
        }
        details.insert("subsets".into(), json!(stems(&datums)));
        details.insert(
            "encrypted_key_file".into(),
            json!(dir.join("secret_key.txt").is_file()),
        );
        return Ok(Format::DatumaroBinary);
    }
    let jsons = files_with_ext(&ann, "json");
    if !jsons.is_empty() {
        let names = stems(&jsons);
        const COCO_TASKS: [&str; 7] = [
            "instances_",
            "captions_",
            "image_info_",
            "person_keypoints_",
            "labels_",
            "panoptic_",
            "stuff_",
        ];
        if names
            .iter()
            .all(|n| COCO_TASKS.iter().any(|t| n.starts_with(t)))
        {
            details.insert("annotation_files".into(), json!(names));
            return Ok(Format::Coco);
        }
        details.insert("subsets".into(), json!(names));
        return Ok(Format::DatumaroJson);
    }
    if dir.join("dataformats").is_dir() {
        return Ok(Format::BeatPrefix);
    }
    let recs = files_with_ext(dir, "rec");
    if let [rec] = recs.as_slice() {
        let d = detect(rec)?;
        details.insert("file".into(), json!(rec.display().to_string()));
        details.extend(d.details);
        return Ok(d.format);
    }
    for ext in ["tfrecord", "rab"] {
        if let [one] = files_with_ext(dir, ext).as_slice() {
            let d = detect(one)?;
            details.insert("file".into(), json!(one.display().to_string()));
            details.extend(d.details);
            return Ok(d.format);
        }
    }
    bail!("{}: not a dataset folder vellum knows", dir.display())
}

/// Runs `vellum inspect`.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    let d = detect(&args.path)?;
    if g.json {
        out_json(&json!({
            "path": args.path.display().to_string(),
            "format": d.format.name(),
            "description": d.format.description(),
            "details": d.details,
        }))?;
    } else {
        out(format!(
            "{}: {} ({})",
            args.path.display(),
            d.format.description(),
            d.format.name()
        ))?;
        for (k, v) in &d.details {
            out(format!("  {k}: {v}"))?;
        }
    }
    Ok(Outcome::Ok)
}
