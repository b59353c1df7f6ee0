//! Conformance cases for MXNet RecordIO (fixtures made by `mxnet==1.9.1`):
//! chunks (flags and lengths, including splits at aligned magic words),
//! payloads, `IRHeader`s, the text `.idx`, and a byte-identical rewrite of
//! both files.

use std::path::Path;

use anyhow::{Result, anyhow, bail, ensure};
use serde_json::Value as J;
use vellum_records::{
    IndexedRecordIo, IrHeader, Label, RecordIoReader, RecordIoWriter, parse_recordio_index,
    write_recordio_index,
};

use super::Report;
use super::records::{cases, hex, sha256_hex, unhex};

/// Runs every case of a fixture folder laid out like `tests/fixtures/mxnet-recordio`.
pub fn run(dir: &Path) -> Result<Report> {
    let mut report = Report::default();
    let cases = cases(dir)?;
    if cases.is_empty() {
        bail!("{}: no fixture folders with expected.json", dir.display());
    }
    for (name, path, exp) in cases {
        report.check(format!("{name}/records"), check_records(&path, &exp));
        report.check(format!("{name}/index"), check_index(&path, &exp));
        report.check(format!("{name}/irheader"), check_irheaders(&exp));
        report.check(format!("{name}/write"), check_write(&path, &exp));
    }
    Ok(report)
}

fn records(exp: &J) -> Result<&Vec<J>> {
    exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))
}

fn check_records(path: &Path, exp: &J) -> Result<()> {
    let reader = RecordIoReader::open(path.join("data.rec"))?;
    let got: Vec<_> = reader.iter().collect::<Result<_, _>>()?;
    let want = records(exp)?;
    ensure!(
        got.len() == want.len(),
        "{} records read, {} expected",
        got.len(),
        want.len()
    );
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        ensure!(Some(g.offset) == w["offset"].as_u64(), "record {i}: offset");
        ensure!(
            Some(g.payload.len() as u64) == w["length"].as_u64(),
            "record {i}: length"
        );
        if let Some(h) = w["payload_hex"].as_str() {
            ensure!(hex(&g.payload) == h, "record {i}: payload");
        }
        ensure!(
            w["payload_sha256"].as_str() == Some(&sha256_hex(&g.payload)),
            "record {i}: payload sha256"
        );
        let chunks: Vec<(u64, u64)> = reader
            .chunks_at(g.offset)?
            .iter()
            .map(|c| (u64::from(c.cflag), u64::from(c.length)))
            .collect();
        let want_chunks: Vec<(u64, u64)> = w["chunks"]
            .as_array()
            .ok_or_else(|| anyhow!("record {i}: no chunks"))?
            .iter()
            .map(|c| {
                (
                    c["cflag"].as_u64().unwrap_or(9),
                    c["length"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        ensure!(
            chunks == want_chunks,
            "record {i}: chunks {chunks:?} != {want_chunks:?}"
        );
        ensure!(
            g.chunks as usize == want_chunks.len(),
            "record {i}: chunk count"
        );
    }
    Ok(())
}

fn check_index(path: &Path, exp: &J) -> Result<()> {
    let indexed = IndexedRecordIo::open(path.join("data.rec"), path.join("data.idx"))?;
    let want = records(exp)?;
    let keys: Vec<u64> = indexed.keys().collect();
    let want_keys: Vec<u64> = want.iter().filter_map(|w| w["key"].as_u64()).collect();
    ensure!(keys == want_keys, "keys differ");
    for w in want {
        let key = w["key"].as_u64().unwrap_or(u64::MAX);
        let got = indexed.get(key)?;
        ensure!(
            Some(got.offset) == w["offset"].as_u64(),
            "key {key}: offset"
        );
        ensure!(
            w["payload_sha256"].as_str() == Some(&sha256_hex(&got.payload)),
            "key {key}: payload"
        );
    }
    ensure!(indexed.get(999_999).is_err(), "a missing key must fail");
    Ok(())
}

fn check_irheaders(exp: &J) -> Result<()> {
    let mut seen = 0;
    for (i, w) in records(exp)?.iter().enumerate() {
        let Some(h) = w.get("irheader") else { continue };
        seen += 1;
        let payload = unhex(w["payload_hex"].as_str().unwrap_or_default())?;
        let (got, body) = IrHeader::unpack(&payload.clone().into())?;
        let label = match &h["label"] {
            J::Array(v) => {
                Label::Vector(v.iter().filter_map(J::as_f64).map(|f| f as f32).collect())
            }
            n => Label::Scalar(n.as_f64().ok_or_else(|| anyhow!("record {i}: label"))? as f32),
        };
        let want = IrHeader {
            label,
            id: h["id"].as_u64().unwrap_or(0),
            id2: h["id2"].as_u64().unwrap_or(0),
        };
        ensure!(got == want, "record {i}: header {got:?} != {want:?}");
        let flag = match &got.label {
            Label::Scalar(_) => 0,
            Label::Vector(v) => v.len() as u64,
        };
        ensure!(Some(flag) == h["flag"].as_u64(), "record {i}: flag");
        ensure!(
            h["body_hex"].as_str() == Some(&hex(&body)),
            "record {i}: body"
        );
        ensure!(want.pack(&body) == payload, "record {i}: pack differs");
    }
    ensure!(seen > 0, "no IRHeader records in the fixture");
    Ok(())
}

fn check_write(path: &Path, exp: &J) -> Result<()> {
    let mut w = RecordIoWriter::new(Vec::new());
    let mut index = Vec::new();
    let reader = RecordIoReader::open(path.join("data.rec"))?;
    for rec in records(exp)? {
        let key = rec["key"]
            .as_u64()
            .ok_or_else(|| anyhow!("record without key"))?;
        let payload = match rec["payload_hex"].as_str() {
            Some(h) => unhex(h)?,
            None => reader
                .read_at(rec["offset"].as_u64().unwrap_or(0))?
                .0
                .payload
                .to_vec(),
        };
        index.push((key, w.write(&payload)?));
    }
    ensure!(
        w.into_inner()? == std::fs::read(path.join("data.rec"))?,
        "data.rec differs"
    );
    let text = std::fs::read_to_string(path.join("data.idx"))?;
    ensure!(write_recordio_index(&index) == text, "data.idx differs");
    ensure!(
        parse_recordio_index(&text)? == index,
        "parsed index differs"
    );
    Ok(())
}
