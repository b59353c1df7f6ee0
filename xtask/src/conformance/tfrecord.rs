//! Conformance cases for TFRecord (fixtures made by `tfrecord==1.14.6`):
//! framing (offsets, lengths, both masked CRCs, payloads), the
//! `tf.train.Example` payloads, the `tfrecord2idx` index, and a
//! byte-identical rewrite of each file.

use std::path::Path;

use anyhow::{Result, anyhow, bail, ensure};
use serde_json::Value as J;
use vellum_records::{
    Bytes, Example, Feature, TfRecordReader, TfRecordWriter, parse_tfindex, write_tfindex,
};

use super::Report;
use super::records::{cases, hex, sha256_hex, unhex};

/// Runs every case of a fixture folder laid out like `tests/fixtures/tfrecord`.
pub fn run(dir: &Path) -> Result<Report> {
    let mut report = Report::default();
    let cases = cases(dir)?;
    if cases.is_empty() {
        bail!("{}: no fixture folders with expected.json", dir.display());
    }
    for (name, path, exp) in cases {
        let reader = match TfRecordReader::open(path.join("data.tfrecord")) {
            Ok(r) => r,
            Err(e) => {
                report.check(format!("{name}/open"), Err(e.into()));
                continue;
            }
        };
        report.check(format!("{name}/framing"), check_framing(&reader, &exp));
        if exp["records"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r.get("example").is_some()))
        {
            report.check(format!("{name}/examples"), check_examples(&reader, &exp));
        }
        report.check(format!("{name}/index"), check_index(&path, &reader));
        report.check(format!("{name}/write"), check_write(&path, &reader, &exp));
        report.check(format!("{name}/corruption"), check_corruption(&reader));
    }
    Ok(report)
}

fn check_framing(reader: &TfRecordReader, exp: &J) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    let got: Vec<_> = reader.iter().collect::<Result<_, _>>()?;
    ensure!(
        got.len() == recs.len(),
        "{} records read, {} expected",
        got.len(),
        recs.len()
    );
    let data = reader.data();
    for (i, (g, w)) in got.iter().zip(recs).enumerate() {
        ensure!(Some(g.offset) == w["offset"].as_u64(), "record {i}: offset");
        ensure!(
            Some(g.payload.len() as u64) == w["length"].as_u64(),
            "record {i}: length"
        );
        let o = g.offset as usize;
        let end = o + 12 + g.payload.len();
        let word = |at: usize| {
            data.get(at..at + 4)
                .map(|b| format!("{:08x}", u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        };
        ensure!(
            w["length_crc_masked"].as_str() == word(o + 8).as_deref(),
            "record {i}: length crc"
        );
        ensure!(
            w["data_crc_masked"].as_str() == word(end).as_deref(),
            "record {i}: data crc"
        );
        if let Some(h) = w["payload_hex"].as_str() {
            ensure!(hex(&g.payload) == h, "record {i}: payload");
        }
        ensure!(
            w["payload_sha256"].as_str() == Some(&sha256_hex(&g.payload)),
            "record {i}: payload sha256"
        );
    }
    Ok(())
}

fn feature_of(j: &J) -> Result<Feature> {
    let values = j["values"]
        .as_array()
        .ok_or_else(|| anyhow!("feature without values"))?;
    Ok(match j["kind"].as_str() {
        Some("bytes_list") => Feature::Bytes(
            values
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| anyhow!("bytes value"))
                        .and_then(unhex)
                        .map(Bytes::from)
                })
                .collect::<Result<_>>()?,
        ),
        Some("float_list") => Feature::Float(
            values
                .iter()
                .map(|v| {
                    v.as_f64()
                        .map(|f| f as f32)
                        .ok_or_else(|| anyhow!("float value"))
                })
                .collect::<Result<_>>()?,
        ),
        Some("int64_list") => Feature::Int64(
            values
                .iter()
                .map(|v| v.as_i64().ok_or_else(|| anyhow!("int value")))
                .collect::<Result<_>>()?,
        ),
        k => bail!("unknown feature kind {k:?}"),
    })
}

fn example_of(j: &J) -> Result<Example> {
    let mut ex = Example::default();
    for (name, f) in j
        .as_object()
        .ok_or_else(|| anyhow!("example is not an object"))?
    {
        ex.features.insert(name.clone(), feature_of(f)?);
    }
    Ok(ex)
}

fn check_examples(reader: &TfRecordReader, exp: &J) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    for (i, (g, w)) in reader.iter().zip(recs).enumerate() {
        let got = Example::decode(&g?.payload)?;
        let want = example_of(&w["example"])?;
        // f32 values compare exactly: the fixture holds them widened to f64.
        ensure!(got == want, "record {i}: decoded example differs");
        ensure!(
            hex(&want.encode()) == w["payload_hex"].as_str().unwrap_or_default(),
            "record {i}: re-encoded example differs"
        );
    }
    Ok(())
}

fn check_index(path: &Path, reader: &TfRecordReader) -> Result<()> {
    let text = std::fs::read_to_string(path.join("data.tfindex"))?;
    let want = parse_tfindex(&text)?;
    let got: Vec<(u64, u64)> = reader
        .iter()
        .map(|r| r.map(|r| (r.offset, r.payload.len() as u64 + 16)))
        .collect::<Result<_, _>>()?;
    ensure!(got == want, "index entries differ");
    ensure!(write_tfindex(&got) == text, "written index differs");
    Ok(())
}

fn check_write(path: &Path, reader: &TfRecordReader, exp: &J) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    let mut w = TfRecordWriter::new(Vec::new());
    for (g, want) in reader.iter().zip(recs) {
        let payload = match want.get("example") {
            Some(ex) => example_of(ex)?.encode(),
            None => g?.payload.to_vec(),
        };
        w.write(&payload)?;
    }
    let index = write_tfindex(w.index());
    let out = w.into_inner()?;
    ensure!(
        out == std::fs::read(path.join("data.tfrecord"))?,
        "written file differs"
    );
    ensure!(
        index == std::fs::read_to_string(path.join("data.tfindex"))?,
        "written index differs"
    );
    Ok(())
}

/// Every single-byte flip of the file is caught by a CRC (or a length
/// check), and skipping corrupt records keeps every other record.
fn check_corruption(reader: &TfRecordReader) -> Result<()> {
    let data = reader.data().to_vec();
    let total = reader.iter().count();
    // One flip per record, in the payload (or the length when empty).
    let offsets: Vec<(u64, usize)> = reader
        .iter()
        .map(|r| r.map(|r| (r.offset, r.payload.len())))
        .collect::<Result<_, _>>()?;
    for (o, len) in offsets {
        let at = if len > 0 {
            o as usize + 12 + len / 2
        } else {
            o as usize
        };
        let mut bad = data.clone();
        bad[at] ^= 0x40;
        let r = TfRecordReader::from_bytes(bad.into());
        let err = r
            .iter()
            .find_map(|x| x.err())
            .ok_or_else(|| anyhow!("flip at {at} not detected"))?;
        ensure!(
            err.offset() == Some(o),
            "flip at {at}: error at {:?}, record at {o}",
            err.offset()
        );
        let r = r.skip_corrupt(true);
        let mut it = r.iter();
        let kept = it.by_ref().filter(|x| x.is_ok()).count();
        ensure!(
            kept == total - 1 && it.skipped() == 1,
            "skip mode kept {kept} of {total} (skipped {})",
            it.skipped()
        );
    }
    Ok(())
}
