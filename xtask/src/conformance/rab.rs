//! Conformance cases for `rab`: every fixture written by upstream's Python
//! codec (`tests/fixtures/rab`, schema `rab-expected/1` in its README).
//!
//! Per file: the prefix and header, and a rewrite through our writer (byte
//! for byte). Per dataset: header entry, stored and decoded payload, decoded
//! values. Per element lookup and `digInBuffer` range: the value. Where
//! upstream is wrong on purpose-documented points (spec §10) we must return
//! the right value, checked against `source` (the array upstream was given)
//! or `codec_result`, and the case is listed as a deliberate difference.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use base64::Engine as _;
use serde_json::Value as J;
use sha2::Digest as _;
use vellum_format_core::Number;
use vellum_rab::{ColumnData, DatasetKind, DatasetOptions, RabReader, RabWriter, Value};

use super::{Outcome, Report};

/// Runs every case of a fixture folder laid out like `tests/fixtures/rab`.
pub fn run(dir: &Path) -> Result<Report> {
    let mut report = Report::default();
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no *.expected.json files", dir.display());
    }
    for exp_path in files {
        let expected: J = serde_json::from_slice(&std::fs::read(&exp_path)?)
            .with_context(|| exp_path.display().to_string())?;
        let case = text(&expected, "case")?.to_owned();
        let rab_path = dir.join(text(&expected, "file")?);
        let reader = match RabReader::open(&rab_path) {
            Ok(r) => r,
            Err(e) => {
                report.push(format!("{case}: open"), Outcome::Failed(e.to_string()));
                continue;
            }
        };
        report.check(
            format!("{case}: header"),
            check_file(&reader, &rab_path, &expected),
        );
        for ds in expected["datasets"].as_array().into_iter().flatten() {
            dataset_cases(&mut report, &case, &reader, ds);
        }
        let outcome = match rewrite(&reader, &rab_path, &case) {
            Ok(o) => o,
            Err(e) => Outcome::Failed(format!("{e:#}")),
        };
        report.push(format!("{case}: rewrite byte for byte"), outcome);
    }
    Ok(report)
}

fn text<'a>(j: &'a J, key: &str) -> Result<&'a str> {
    j[key]
        .as_str()
        .ok_or_else(|| anyhow!("expected.json has no string {key:?}"))
}

fn sha256_hex(data: &[u8]) -> String {
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn b64(s: &str) -> Result<Vec<u8>> {
    Ok(base64::engine::general_purpose::STANDARD.decode(s)?)
}

fn check_file(r: &RabReader, path: &Path, e: &J) -> Result<()> {
    let bytes = std::fs::read(path)?;
    ensure!(
        sha256_hex(&bytes) == text(e, "sha256")?,
        "file sha256 differs from expected.json"
    );
    ensure!(Some(r.file_len()) == e["file_size"].as_u64(), "file size");
    ensure!(
        Some(r.header_len()) == e["header_byte_length"].as_u64(),
        "header length"
    );
    let header = bytes
        .get(7..7 + r.header_len() as usize)
        .unwrap_or_default();
    ensure!(header == text(e, "header_text")?.as_bytes(), "header text");
    let names: Vec<&str> = r.names().collect();
    let want: Vec<&str> = e["dataset_names"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(J::as_str)
        .collect();
    ensure!(names == want, "dataset names {names:?} != {want:?}");
    Ok(())
}

fn dataset_cases(report: &mut Report, case: &str, r: &RabReader, ds: &J) {
    let name = ds["name"].as_str().unwrap_or_default();
    let label = format!("{case}/{name}");
    report.check(format!("{label}: header entry"), check_entry(r, name, ds));
    let outcome = match check_payload(r, name, ds) {
        Ok(o) => o,
        Err(e) => Outcome::Failed(format!("{e:#}")),
    };
    report.push(format!("{label}: data"), outcome);
    for (i, l) in ds["lookups"].as_array().into_iter().flatten().enumerate() {
        let outcome = match check_lookup(r, name, l) {
            Ok(o) => o,
            Err(e) => Outcome::Failed(format!("{e:#}")),
        };
        report.push(format!("{label}: lookup {i} {}", l["position"]), outcome);
    }
    for (i, l) in ds["buffer_lookups"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        report.check(
            format!("{label}: digInBuffer {i}"),
            check_buffer(r, name, l),
        );
    }
}

fn check_entry(r: &RabReader, name: &str, ds: &J) -> Result<()> {
    let d = r.dataset(name)?;
    ensure!(d.type_name() == text(ds, "type")?, "type {}", d.type_name());
    ensure!(
        matches(d.codec_meta(), &ds["codecMeta"]),
        "codecMeta {} != {}",
        d.codec_meta().to_json(),
        ds["codecMeta"]
    );
    ensure!(
        matches(d.metadata(), &ds["metadata"]),
        "metadata {} != {}",
        d.metadata().to_json(),
        ds["metadata"]
    );
    Ok(())
}

/// Our value equals the expected JSON (conventions of the fixture README).
fn matches(v: &Value, e: &J) -> bool {
    if let Some(f) = special_float(e) {
        return matches!(v, Value::Float(x) if same_float(*x, f));
    }
    match (v, e) {
        (Value::Null, J::Null) => true,
        (Value::Bool(a), J::Bool(b)) => a == b,
        (Value::Int(i), J::Number(n)) => {
            n.as_i64().map(i128::from) == Some(*i)
                || n.as_u64().map(i128::from) == Some(*i)
                // beyond 64 bits serde_json parses a float
                || (n.is_f64() && n.as_f64() == Some(*i as f64))
        }
        (Value::BigInt(s), J::Number(n)) => n.as_f64() == s.parse::<f64>().ok(),
        (Value::Float(x), J::Number(n)) => n.as_f64().is_some_and(|y| same_float(*x, y)),
        (Value::Str(a), J::String(b)) => a == b,
        (Value::Seq(a), J::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y))
        }
        (Value::Map(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, val)| b.get(&key_text(k)).is_some_and(|ev| matches(val, ev)))
        }
        _ => false,
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

fn special_float(e: &J) -> Option<f64> {
    match e.get("$f")?.as_str()? {
        "nan" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn same_float(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

/// A number we return equals an expected JSON element (`codec_result`
/// data, lookups): bools may be expected as 0/1 (upstream's int8 view).
fn number_matches(n: &Number, e: &J) -> bool {
    if let Some(f) = special_float(e) {
        return matches!(n, Number::Float(x) if same_float(*x, f));
    }
    match (n, e) {
        (Number::Bool(b), J::Bool(x)) => b == x,
        (Number::Bool(b), J::Number(x)) => x.as_i64() == Some(i64::from(*b)),
        (Number::Int(i), J::Number(x)) => x.as_i64() == Some(*i),
        (Number::UInt(u), J::Number(x)) => x.as_u64() == Some(*u),
        (Number::Float(f), J::Number(x)) => x.as_f64().is_some_and(|y| same_float(*f, y)),
        (Number::Complex(re, im), J::Array(parts)) => {
            parts.len() == 2
                && number_matches(&Number::Float(*re), &parts[0])
                && number_matches(&Number::Float(*im), &parts[1])
        }
        _ => false,
    }
}

fn flatten(e: &J, out: &mut Vec<J>) {
    match e {
        // a complex number is a 2-element list of numbers or {"$f"} objects
        J::Array(items) if !is_complex(e) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

fn is_complex(e: &J) -> bool {
    matches!(e, J::Array(p) if p.len() == 2 && p.iter().all(|x| x.is_number() || x.get("$f").is_some()))
}

fn all_match(ours: &[Number], nested: &J, complex: bool) -> bool {
    let mut flat = Vec::new();
    if complex {
        flatten(nested, &mut flat);
    } else {
        flatten_plain(nested, &mut flat);
    }
    flat.len() == ours.len() && ours.iter().zip(&flat).all(|(n, e)| number_matches(n, e))
}

fn flatten_plain(e: &J, out: &mut Vec<J>) {
    match e {
        J::Array(items) => items.iter().for_each(|i| flatten_plain(i, out)),
        other => out.push(other.clone()),
    }
}

fn check_payload(r: &RabReader, name: &str, ds: &J) -> Result<Outcome> {
    let d = r.dataset(name)?;
    let stored = r.stored(name)?;
    ensure!(
        sha256_hex(&stored) == text(ds, "stored_sha256")?,
        "stored sha256"
    );
    let decoded = r.payload(name)?;
    ensure!(
        sha256_hex(&decoded) == text(ds, "decoded_sha256")?,
        "decoded sha256"
    );
    ensure!(
        decoded[..] == b64(text(ds, "decoded_base64")?)?[..],
        "decoded bytes"
    );
    let ok = || Ok(Outcome::Passed);
    match d.kind() {
        DatasetKind::Text => {
            ensure!(r.text(name)? == text(ds, "data")?, "text differs");
            ok()
        }
        DatasetKind::Bytes => {
            ensure!(
                r.bytes(name)?[..] == b64(text(ds, "data_base64")?)?[..],
                "bytes differ"
            );
            ok()
        }
        DatasetKind::Object => {
            let v = r.object(name)?;
            ensure!(
                matches(&v, &ds["data"]),
                "object {} != {}",
                v.to_json(),
                ds["data"]
            );
            ok()
        }
        DatasetKind::Array(dtype) => {
            let a = r.array(name)?;
            let ours = a.numbers()?;
            let complex = dtype.scalar.is_complex();
            let codec = &ds["codec_result"]["data"];
            let source = ds.get("source").map(|s| &s["data"]);
            let matches_codec = all_match(&ours, codec, complex);
            if let Some(src) = source {
                ensure!(
                    all_match(&ours, src, complex),
                    "values differ from the source array"
                );
                if !matches_codec {
                    return Ok(Outcome::Deliberate(format!(
                        "upstream getDataset reads the {} bytes as C order and scrambles them; we read them in their stored order (byteOrder {}) and return the source array",
                        d.layout().as_str(),
                        d.layout().as_str()
                    )));
                }
                return ok();
            }
            ensure!(matches_codec, "values differ from upstream getDataset");
            if dtype.scalar == vellum_format_core::Scalar::Bool {
                return Ok(Outcome::Deliberate(
                    "upstream getDataset returns bool arrays as int8 0/1 (numpy code 'b'); we return bools (same 0/1 values)".into(),
                ));
            }
            ok()
        }
        DatasetKind::DataFrame => {
            let df = r.dataframe(name)?;
            ensure!(Some(df.rows() as u64) == ds["rows"].as_u64(), "rows");
            let cols = ds["columns"]
                .as_array()
                .ok_or_else(|| anyhow!("no columns"))?;
            ensure!(cols.len() == df.columns.len(), "column count");
            for (c, e) in df.columns.iter().zip(cols) {
                ensure!(matches(&c.key, &e["key"]), "column key {}", c.key);
                let (dtype, values): (&str, Vec<Value>) = match &c.data {
                    ColumnData::Text(v) => (
                        "object",
                        v.iter().map(|s| Value::from(s.as_str())).collect(),
                    ),
                    ColumnData::Bool(v) => ("bool", v.iter().map(|&b| Value::Bool(b)).collect()),
                    ColumnData::Int { dtype, values } => (
                        dtype.name(),
                        values.iter().map(|&i| Value::from(i)).collect(),
                    ),
                    ColumnData::UInt { dtype, values } => (
                        dtype.name(),
                        values.iter().map(|&i| Value::from(i)).collect(),
                    ),
                    ColumnData::Float { dtype, values } => (
                        dtype.name(),
                        values.iter().map(|&f| Value::Float(f)).collect(),
                    ),
                    _ => bail!("unexpected column kind"),
                };
                ensure!(
                    e["codec_dtype"].as_str() == Some(dtype),
                    "column {} dtype {dtype} != {}",
                    c.key,
                    e["codec_dtype"]
                );
                ensure!(
                    matches(&Value::Seq(values), &e["values"]),
                    "column {} values",
                    c.key
                );
            }
            ok()
        }
        other => bail!("unexpected kind {other:?}"),
    }
}

fn check_lookup(r: &RabReader, name: &str, l: &J) -> Result<Outcome> {
    let pos: Option<Vec<u64>> = l["position"]
        .as_array()
        .ok_or_else(|| anyhow!("no position"))?
        .iter()
        .map(J::as_u64)
        .collect();
    let ours = pos.as_ref().map(|p| r.element(name, p));
    // What upstream returned, and the logical truth when it differs.
    let truth = l
        .get("source_value")
        .or_else(|| l.get("codec_result_value"));
    match (l.get("value"), l.get("error").and_then(J::as_str)) {
        (Some(v), _) => {
            let n = ours.ok_or_else(|| anyhow!("negative position"))??;
            if number_matches(&n, v) {
                return Ok(Outcome::Passed);
            }
            let t = truth.ok_or_else(|| anyhow!("element {n:?} != upstream {v}"))?;
            ensure!(
                number_matches(&n, t),
                "element {n:?} is neither upstream's {v} nor the source's {t}"
            );
            Ok(Outcome::Deliberate(format!(
                "upstream addresses the element with the recorded strides, which describe the input array, not the bytes written (spec §5.1), and returns {v}; we follow byteOrder and return the source value {t}"
            )))
        }
        (None, Some(err)) if err.starts_with("IndexError") => match ours {
            None | Some(Err(_)) => Ok(Outcome::Passed),
            Some(Ok(n)) => bail!("upstream refuses the position ({err}), we returned {n:?}"),
        },
        (None, Some(err)) => {
            let n = ours.ok_or_else(|| anyhow!("negative position"))??;
            let t = truth.ok_or_else(|| anyhow!("no reference value"))?;
            ensure!(number_matches(&n, t), "element {n:?} != {t}");
            let why = if err.contains("bad char in struct format") {
                "upstream's element access has no struct code for float16 and complex (spec §10.1); we decode them"
            } else if err.contains("compressed") {
                "upstream refuses element access on compressed datasets; we inflate that dataset only (within the limits)"
            } else {
                "upstream follows the recorded strides of a view past the dataset's bytes (spec §5.1); we follow byteOrder"
            };
            Ok(Outcome::Deliberate(format!(
                "{why}: upstream fails ({err}), we return {t}"
            )))
        }
        (None, None) => bail!("lookup has neither value nor error"),
    }
}

fn check_buffer(r: &RabReader, name: &str, l: &J) -> Result<()> {
    let off = l["byte_offset"]
        .as_u64()
        .ok_or_else(|| anyhow!("byte_offset"))?;
    let len = l["byte_length"]
        .as_u64()
        .ok_or_else(|| anyhow!("byte_length"))?;
    let got = r.stored_range(name, off, len);
    match l["hex"].as_str() {
        Some(hex) => {
            let got = got?;
            let ours: String = got.iter().map(|b| format!("{b:02x}")).collect();
            ensure!(ours == hex, "{ours} != {hex}");
        }
        None => ensure!(got.is_err(), "upstream refuses the range, we did not"),
    }
    Ok(())
}

/// Writes every dataset back through our writer and compares the files.
fn rewrite(r: &RabReader, path: &Path, case: &str) -> Result<Outcome> {
    let mut w = RabWriter::new();
    for d in r.datasets() {
        let name = d.name();
        if case == "yaml_edge" {
            // PyYAML cannot read back a lone NEL (spec §2.3): the file holds
            // "\u{85}" for s43_nel and reads back " ". Feed the original.
            let opts = DatasetOptions::new().metadata(restore_nel(d.metadata()));
            match d.kind() {
                DatasetKind::Text => w.add_text(name, &r.text(name)?, opts)?,
                DatasetKind::Object => w.add_object(name, &restore_nel(&r.object(name)?), opts)?,
                _ => w.add_from(r, name)?,
            }
        } else {
            w.add_from(r, name)?;
        }
    }
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("rewrite.rab");
    w.write(&out)?;
    let ours = std::fs::read(&out)?;
    let theirs = std::fs::read(path)?;
    if ours == theirs {
        return Ok(Outcome::Passed);
    }
    // The only difference allowed: recorded strides that describe the bytes.
    let back = RabReader::open(&out)?;
    let mut differs = Vec::new();
    for d in r.datasets() {
        let o = back.dataset(d.name())?;
        ensure!(
            back.stored(d.name())? == r.stored(d.name())?,
            "{}: payload differs",
            d.name()
        );
        ensure!(
            matches(o.metadata(), &d.metadata().to_json()),
            "{}: metadata differs",
            d.name()
        );
        let dense = d.layout().strides(d.shape());
        ensure!(
            o.recorded_strides() == Some(&dense[..]),
            "{}: strides",
            d.name()
        );
        if d.recorded_strides() != Some(&dense[..]) {
            differs.push(format!(
                "{} ({:?} -> {:?})",
                d.name(),
                d.recorded_strides().unwrap_or_default(),
                dense
            ));
        }
    }
    ensure!(
        !differs.is_empty(),
        "the files differ, but not in the strides"
    );
    Ok(Outcome::Deliberate(format!(
        "we record strides that describe the bytes written, upstream copies the input array's: {}",
        differs.join(", ")
    )))
}

fn restore_nel(v: &Value) -> Value {
    match v {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, val)| {
                    let val = if k.as_str() == Some("s43_nel") {
                        Value::from("\u{85}")
                    } else {
                        restore_nel(val)
                    };
                    (k.clone(), val)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}
