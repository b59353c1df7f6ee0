//! Conformance cases for `dsrecords` (fixtures made by `dsrecords==0.4.18`):
//! per fixture folder, the index words, every record's offsets, lengths,
//! raw bytes and decoded values, the re-encoding of every value, and a
//! byte-identical rewrite of `data.rec` + `data.idx` (the mutations case by
//! replaying its operations).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::Value as J;
use sha2::{Digest as _, Sha256};
use vellum_records::{
    Bytes, Dataset, DatasetWriter, Descr, FieldCodec, NpyArray, Schema, TextEncoding, UpdatePath,
    Value, WriteOptions, decode_image, image_info,
};

use super::Report;

/// Lowercase hex.
pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Lowercase hex of the SHA-256.
pub(super) fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// Bytes from lowercase hex.
pub(super) fn unhex(s: &str) -> Result<Vec<u8>> {
    ensure!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len() / 2)
        .map(|i| {
            s.get(2 * i..2 * i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| anyhow!("bad hex"))
        })
        .collect()
}

/// The fixture folders of `dir` that hold an `expected.json`, sorted.
pub(super) fn cases(dir: &Path) -> Result<Vec<(String, std::path::PathBuf, J)>> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(p.join("expected.json"))?;
        let exp: J = serde_json::from_str(&text)
            .with_context(|| format!("{}: expected.json", p.display()))?;
        out.push((name, p, exp));
    }
    Ok(out)
}

/// Runs every case of a fixture folder laid out like `tests/fixtures/dsrecords`.
pub fn run(dir: &Path) -> Result<Report> {
    let mut report = Report::default();
    let cases = cases(dir)?;
    if cases.is_empty() {
        bail!("{}: no fixture folders with expected.json", dir.display());
    }
    for (name, path, exp) in cases {
        let schema = match exp["schema"]
            .as_array()
            .map(|s| s.iter().map(codec_of).collect::<Result<Vec<_>>>())
        {
            Some(Ok(s)) => Schema::new(s),
            Some(Err(e)) => {
                report.check(format!("{name}/schema"), Err(e));
                continue;
            }
            None => {
                report.check(format!("{name}/schema"), Err(anyhow!("no schema")));
                continue;
            }
        };
        let ds = Dataset::open(path.join("data.rec"), schema.len());
        let ds = match ds {
            Ok(ds) => ds,
            Err(e) => {
                report.check(format!("{name}/open"), Err(e.into()));
                continue;
            }
        };
        report.check(format!("{name}/index"), check_index(&ds, &exp));
        report.check(format!("{name}/records"), check_records(&ds, &exp, &schema));
        report.check(format!("{name}/values"), check_values(&ds, &exp, &schema));
        report.check(format!("{name}/encode"), check_encode(&ds, &exp, &schema));
        report.check(
            format!("{name}/write"),
            check_write(&path, &ds, &exp, &schema),
        );
        if has_images(&exp) {
            report.check(format!("{name}/pixels"), check_pixels(&ds, &exp, &schema));
        }
    }
    Ok(report)
}

fn has_images(exp: &J) -> bool {
    exp["schema"].as_array().is_some_and(|s| {
        s.iter()
            .any(|f| f["kind"].as_str().is_some_and(|k| k.starts_with("image")))
    })
}

/// The codec of one `schema[j]` entry, built from the dumper's keyword
/// arguments the way dsrecords maps them (so the `bits` quirk is exercised)
/// and checked against the fixture's `byte_width`.
fn codec_of(f: &J) -> Result<FieldCodec> {
    let kind = f["kind"]
        .as_str()
        .ok_or_else(|| anyhow!("schema field without kind"))?;
    let kw = &f["dumper_kwargs"];
    let codec = match kind {
        "int" => {
            let bits = kw["bits"].as_u64().unwrap_or(32) as u32;
            let signed = kw["signed"].as_bool().unwrap_or(true);
            FieldCodec::ds_int(bits, signed)?
        }
        "float" => FieldCodec::ds_float(kw["bits"].as_u64().unwrap_or(32) as u32)?,
        "bool" => FieldCodec::Bool,
        "str" => FieldCodec::Str(
            kw["encoding"]
                .as_str()
                .unwrap_or("utf-8")
                .parse::<TextEncoding>()
                .map_err(|e| anyhow!(e))?,
        ),
        "bytes" | "file" => FieldCodec::Bytes,
        "list" => FieldCodec::List(Box::new(codec_of(&f["item"])?)),
        "ndarray" => FieldCodec::Npy,
        "image_pil" | "image_cv2" => FieldCodec::Image,
        other => bail!("unknown field kind {other:?}"),
    };
    if let (Some(w), Some(size)) = (f["byte_width"].as_u64(), codec.fixed_size()) {
        ensure!(
            w as usize == size,
            "{kind}: the fixture says {w} bytes, the codec {size}"
        );
    }
    Ok(codec)
}

fn u64s(v: &J) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(J::as_u64).collect())
        .unwrap_or_default()
}

fn check_index(ds: &Dataset, exp: &J) -> Result<()> {
    let idx = &exp["index"];
    ensure!(
        ds.len() as u64 == idx["count"].as_u64().unwrap_or(u64::MAX),
        "count {} != {}",
        ds.len(),
        idx["count"]
    );
    ensure!(ds.offsets() == u64s(&idx["offsets"]), "offsets differ");
    ensure!(
        ds.stale_tail() == u64s(&idx["stale_tail"]),
        "stale tail {:?} != {}",
        ds.stale_tail(),
        idx["stale_tail"]
    );
    ensure!(
        ds.get(ds.len()).is_err(),
        "reading past the count must fail"
    );
    Ok(())
}

fn check_records(ds: &Dataset, exp: &J, schema: &Schema) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    ensure!(
        recs.len() == ds.len(),
        "{} expected records, {} read",
        recs.len(),
        ds.len()
    );
    // Parallel reads must agree with sequential ones.
    let par: Vec<u64> = {
        use rayon::prelude::*;
        ds.par_iter()
            .map(|r| r.map(|r| r.offset()))
            .collect::<Result<_, _>>()?
    };
    ensure!(par == ds.offsets(), "parallel iteration disagrees");
    for (i, (rec, want)) in ds.iter().zip(recs).enumerate() {
        let rec = rec?;
        ensure!(
            rec.offset() == want["offset"].as_u64().unwrap_or(0),
            "record {i}: offset"
        );
        ensure!(
            rec.lengths() == u64s(&want["lengths"]),
            "record {i}: lengths"
        );
        ensure!(rec.len() == schema.len(), "record {i}: field count");
        if let Some(raws) = want["raw"].as_array() {
            for (j, raw) in raws.iter().enumerate() {
                let got = rec.field(j).unwrap_or_default();
                ensure!(
                    raw["len"].as_u64() == Some(got.len() as u64),
                    "record {i} field {j}: length"
                );
                if let Some(h) = raw["hex"].as_str() {
                    ensure!(hex(got) == h, "record {i} field {j}: bytes differ");
                } else if let Some(s) = raw["sha256"].as_str() {
                    ensure!(sha256_hex(got) == s, "record {i} field {j}: sha256 differs");
                }
                let by_field = ds.get_field(i, j)?;
                ensure!(
                    &by_field[..] == got,
                    "record {i}: get_field({j}) differs from get"
                );
            }
        }
    }
    Ok(())
}

fn check_values(ds: &Dataset, exp: &J, schema: &Schema) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    for (i, want) in recs.iter().enumerate() {
        let values = ds.get(i)?.decode(schema)?;
        let wants = want["values"]
            .as_array()
            .ok_or_else(|| anyhow!("record {i}: no values"))?;
        for (j, ((v, w), codec)) in values.iter().zip(wants).zip(&schema.fields).enumerate() {
            same_value(v, w, codec).with_context(|| format!("record {i} field {j}"))?;
        }
    }
    Ok(())
}

fn same_float(got: f64, want: &J) -> Result<()> {
    let ok = match want {
        J::String(s) => match s.as_str() {
            "NaN" => got.is_nan(),
            "Infinity" => got == f64::INFINITY,
            "-Infinity" => got == f64::NEG_INFINITY,
            _ => false,
        },
        J::Number(n) => n.as_f64().is_some_and(|w| w.to_bits() == got.to_bits()),
        _ => false,
    };
    ensure!(ok, "float {got:?} != {want}");
    Ok(())
}

fn same_value(v: &Value, want: &J, codec: &FieldCodec) -> Result<()> {
    match (codec, v) {
        (FieldCodec::Int { .. }, Value::Int(i)) => {
            ensure!(want.as_i64() == Some(*i), "{i} != {want}")
        }
        (FieldCodec::Int { .. }, Value::UInt(u)) => {
            ensure!(want.as_u64() == Some(*u), "{u} != {want}")
        }
        (FieldCodec::Float { .. }, Value::Float(f)) => same_float(*f, want)?,
        (FieldCodec::Bool, Value::Bool(b)) => ensure!(want.as_bool() == Some(*b), "{b} != {want}"),
        (FieldCodec::Str(_), Value::Str(s)) => {
            ensure!(want.as_str() == Some(s.as_str()), "{s:?} != {want}")
        }
        (FieldCodec::Bytes, Value::Bytes(b)) => match want {
            J::String(h) => ensure!(hex(b) == *h, "bytes differ"),
            J::Object(o) => ensure!(
                o.get("sha256").and_then(J::as_str) == Some(sha256_hex(b).as_str()),
                "bytes sha256 differs"
            ),
            _ => bail!("unexpected bytes value {want}"),
        },
        (FieldCodec::List(item), Value::List(items)) => {
            let w = want.as_array().ok_or_else(|| anyhow!("expected a list"))?;
            ensure!(
                w.len() == items.len(),
                "list length {} != {}",
                items.len(),
                w.len()
            );
            for (k, (v, w)) in items.iter().zip(w).enumerate() {
                same_value(v, w, item).with_context(|| format!("item {k}"))?;
            }
        }
        (FieldCodec::Npy, Value::Array(a)) => same_array(a, want)?,
        (FieldCodec::Image, Value::Bytes(b)) => {
            let info = image_info(b).ok_or_else(|| anyhow!("not a recognised image"))?;
            let (w, h) = if let Some(size) = want["size"].as_array() {
                let fmt = want["format"].as_str().unwrap_or_default();
                ensure!(info.format == fmt, "format {} != {fmt}", info.format);
                (
                    size.first().and_then(J::as_u64),
                    size.get(1).and_then(J::as_u64),
                )
            } else {
                let shape = want["shape"]
                    .as_array()
                    .ok_or_else(|| anyhow!("image without size or shape"))?;
                (
                    shape.get(1).and_then(J::as_u64),
                    shape.first().and_then(J::as_u64),
                )
            };
            ensure!(
                Some(info.width) == w && Some(info.height) == h,
                "image size {}x{} differs",
                info.width,
                info.height
            );
        }
        (c, v) => bail!("codec {c} decoded a {} value", v.kind()),
    }
    Ok(())
}

fn descr_json(d: &Descr) -> J {
    match d {
        Descr::Structured(fields) => J::Array(
            fields
                .iter()
                .map(|f| J::Array(vec![J::String(f.name.clone()), descr_json(&f.descr)]))
                .collect(),
        ),
        d => J::String(d.type_string()),
    }
}

/// One element (in storage order) of an array as the fixture's JSON.
fn element_json(descr: &Descr, b: &[u8]) -> Result<J> {
    use vellum_format_core::{ByteOrder, Number, Scalar};
    Ok(match descr {
        Descr::Numeric(d) => {
            if d.scalar == Scalar::Bool {
                return Ok(J::Bool(b.first().is_some_and(|&x| x != 0)));
            }
            let float = |x: f64| {
                if x.is_nan() {
                    J::String("NaN".into())
                } else if x.is_infinite() {
                    J::String(if x > 0.0 { "Infinity" } else { "-Infinity" }.into())
                } else {
                    serde_json::Number::from_f64(x).map_or(J::Null, J::Number)
                }
            };
            match d.read_number(b, 0)? {
                Number::Int(i) => J::from(i),
                Number::UInt(u) => J::from(u),
                Number::Float(f) => float(f),
                Number::Complex(re, im) => J::Array(vec![float(re), float(im)]),
                Number::Bool(b) => J::Bool(b),
            }
        }
        Descr::Bytes(_) => {
            let end = b.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
            J::String(hex(&b[..end]))
        }
        Descr::Unicode { order, .. } => {
            let mut s = String::new();
            for c in b.chunks_exact(4) {
                let q = [c[0], c[1], c[2], c[3]];
                let u = if *order == ByteOrder::Big {
                    u32::from_be_bytes(q)
                } else {
                    u32::from_le_bytes(q)
                };
                s.push(char::from_u32(u).ok_or_else(|| anyhow!("bad code point"))?);
            }
            J::String(s.trim_end_matches('\0').to_owned())
        }
        Descr::Structured(fields) => {
            let mut at = 0usize;
            let mut out = Vec::new();
            for f in fields {
                let n = f.descr.item_size();
                let part = b
                    .get(at..at + n)
                    .ok_or_else(|| anyhow!("structured field out of range"))?;
                out.push(element_json(&f.descr, part)?);
                at += n;
            }
            J::Array(out)
        }
        other => bail!("no JSON for {other}"),
    })
}

fn nest(elems: &[J], shape: &[u64], strides: &[usize], base: usize) -> J {
    match shape.split_first() {
        None => elems.get(base).cloned().unwrap_or(J::Null),
        Some((&n, rest)) => J::Array(
            (0..n as usize)
                .map(|i| nest(elems, rest, &strides[1..], base + i * strides[0]))
                .collect(),
        ),
    }
}

fn same_array(a: &NpyArray, want: &J) -> Result<()> {
    ensure!(
        descr_json(a.descr()) == want["dtype"],
        "dtype {} != {}",
        descr_json(a.descr()),
        want["dtype"]
    );
    ensure!(
        a.shape() == u64s(&want["shape"]).as_slice(),
        "shape {:?}",
        a.shape()
    );
    ensure!(
        Some(a.fortran_order()) == want["fortran_order"].as_bool(),
        "fortran_order"
    );
    if let Some(h) = want["data_hex"].as_str() {
        ensure!(hex(a.data()) == h, "data differs");
    } else if let Some(s) = want["data_sha256"].as_str() {
        ensure!(sha256_hex(a.data()) == s, "data sha256 differs");
        return Ok(());
    }
    let size = a.descr().item_size();
    let elems = if size == 0 {
        Vec::new()
    } else {
        a.data()
            .chunks_exact(size)
            .map(|b| element_json(a.descr(), b))
            .collect::<Result<Vec<_>>>()?
    };
    let shape = a.shape();
    let mut strides = vec![1usize; shape.len()];
    if a.fortran_order() {
        for d in 1..shape.len() {
            strides[d] = strides[d - 1] * shape[d - 1] as usize;
        }
    } else {
        for d in (0..shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1] as usize;
        }
    }
    let got = nest(&elems, shape, &strides, 0);
    same_json(&got, &want["values"]).context("values")
}

fn same_json(got: &J, want: &J) -> Result<()> {
    match (got, want) {
        (J::Number(g), J::Number(w)) if g.is_f64() || w.is_f64() => {
            let (g, w) = (
                g.as_f64().unwrap_or(f64::NAN),
                w.as_f64().unwrap_or(f64::NAN),
            );
            ensure!(g.to_bits() == w.to_bits(), "{g} != {w}");
        }
        (J::Array(g), J::Array(w)) => {
            ensure!(g.len() == w.len(), "length {} != {}", g.len(), w.len());
            for (g, w) in g.iter().zip(w) {
                same_json(g, w)?;
            }
        }
        (g, w) => ensure!(g == w, "{g} != {w}"),
    }
    Ok(())
}

/// The value of a fixture JSON value for a codec (the inverse of the
/// fixture's encoding), for re-encoding.
fn value_of(want: &J, codec: &FieldCodec) -> Result<Option<Value>> {
    Ok(Some(match codec {
        FieldCodec::Int { .. } => match (want.as_i64(), want.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::UInt(u),
            _ => bail!("not an integer: {want}"),
        },
        FieldCodec::Float { .. } => Value::Float(match want {
            J::String(s) if s == "NaN" => f64::NAN,
            J::String(s) if s == "Infinity" => f64::INFINITY,
            J::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
            n => n.as_f64().ok_or_else(|| anyhow!("not a float: {n}"))?,
        }),
        FieldCodec::Bool => Value::Bool(want.as_bool().ok_or_else(|| anyhow!("not a bool"))?),
        FieldCodec::Str(_) => Value::Str(
            want.as_str()
                .ok_or_else(|| anyhow!("not a str"))?
                .to_owned(),
        ),
        FieldCodec::Bytes => match want.as_str() {
            Some(h) => Value::Bytes(unhex(h)?.into()),
            None => return Ok(None),
        },
        FieldCodec::List(item) => {
            let mut items = Vec::new();
            for w in want.as_array().ok_or_else(|| anyhow!("not a list"))? {
                match value_of(w, item)? {
                    Some(v) => items.push(v),
                    None => return Ok(None),
                }
            }
            Value::List(items)
        }
        FieldCodec::Npy => {
            let Some(h) = want["data_hex"].as_str() else {
                return Ok(None);
            };
            let descr = descr_of(&want["dtype"])?;
            let a = NpyArray::new(
                descr,
                u64s(&want["shape"]),
                want["fortran_order"].as_bool().unwrap_or(false),
                Bytes::from(unhex(h)?),
            )?;
            Value::Array(a)
        }
        _ => return Ok(None),
    }))
}

/// A descr from the fixture's JSON (a string, or `[[name, descr], ...]`),
/// through the `.npy` header parser so both share one grammar.
fn descr_of(j: &J) -> Result<Descr> {
    fn py(j: &J) -> Result<String> {
        Ok(match j {
            J::String(s) => format!("'{s}'"),
            J::Array(fields) => {
                let parts: Result<Vec<String>> = fields
                    .iter()
                    .map(|f| {
                        let name = f[0].as_str().ok_or_else(|| anyhow!("field name"))?;
                        Ok(format!("('{name}', {})", py(&f[1])?))
                    })
                    .collect();
                format!("[{}]", parts?.join(", "))
            }
            _ => bail!("bad dtype {j}"),
        })
    }
    let header = format!(
        "{{'descr': {}, 'fortran_order': False, 'shape': (0,), }}",
        py(j)?
    );
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    Ok(NpyArray::parse(Bytes::from(npy), &Default::default())?
        .descr()
        .clone())
}

/// The fields of record `want` re-encoded from its values (image fields,
/// which depend on the codec build, taken from the file).
fn encode_record(ds: &Dataset, i: usize, want: &J, schema: &Schema) -> Result<Vec<Vec<u8>>> {
    let wants = want["values"]
        .as_array()
        .ok_or_else(|| anyhow!("record {i}: no values"))?;
    let rec = ds.get(i)?;
    let mut out = Vec::new();
    for (j, (w, codec)) in wants.iter().zip(&schema.fields).enumerate() {
        match value_of(w, codec).with_context(|| format!("record {i} field {j}"))? {
            Some(v) => out.push(
                codec
                    .encode_to_vec(&v)
                    .with_context(|| format!("record {i} field {j}"))?,
            ),
            None => out.push(rec.field(j).unwrap_or_default().to_vec()),
        }
    }
    Ok(out)
}

fn check_encode(ds: &Dataset, exp: &J, schema: &Schema) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    for (i, want) in recs.iter().enumerate() {
        let fields = encode_record(ds, i, want, schema)?;
        let rec = ds.get(i)?;
        for (j, f) in fields.iter().enumerate() {
            ensure!(
                rec.field(j) == Some(f.as_slice()),
                "record {i} field {j}: re-encoded bytes differ"
            );
        }
    }
    Ok(())
}

/// The initial records of the mutations case, as the fixture generator
/// wrote them (`(i, "value-{i}-" + "z" * (i % 4))` for i in 0..8); the
/// byte-identical comparison below proves the rule.
fn mutation_start(i: i64) -> Vec<Value> {
    vec![
        Value::Int(i),
        Value::Str(format!("value-{i}-{}", "z".repeat((i % 4) as usize))),
    ]
}

fn check_write(path: &Path, ds: &Dataset, exp: &J, schema: &Schema) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("data.rec");
    let ops = exp["operations"].as_array().cloned().unwrap_or_default();
    let mut w = DatasetWriter::create(&out, WriteOptions::default())?;
    if ops.is_empty() {
        let recs = exp["records"]
            .as_array()
            .ok_or_else(|| anyhow!("no records"))?;
        for (i, want) in recs.iter().enumerate() {
            w.append(&encode_record(ds, i, want, schema)?)?;
        }
    } else {
        for i in 0..8 {
            w.append_values(schema, &mutation_start(i))?;
        }
        for op in &ops {
            let i = op["index"]
                .as_u64()
                .ok_or_else(|| anyhow!("operation without index"))?;
            match op["op"].as_str() {
                Some("setitem") => {
                    let vals = op["value"]
                        .as_array()
                        .ok_or_else(|| anyhow!("setitem without value"))?;
                    let values: Vec<Value> = vals
                        .iter()
                        .zip(&schema.fields)
                        .map(|(v, c)| value_of(v, c)?.ok_or_else(|| anyhow!("no value")))
                        .collect::<Result<_>>()?;
                    let took = w.update_values(i, schema, &values)?;
                    let want = match op["path"].as_str() {
                        Some("in_place") => UpdatePath::InPlace,
                        Some("append") => UpdatePath::Relocated,
                        Some("truncate_last") => UpdatePath::TruncateLast,
                        p => bail!("unknown update path {p:?}"),
                    };
                    ensure!(
                        took == want,
                        "setitem {i}: took {took:?}, dsrecords took {want:?}"
                    );
                }
                Some("remove_at") => w.remove_swap(i)?,
                other => bail!("unknown operation {other:?}"),
            }
        }
    }
    let (rec_path, idx_path) = w.finish()?;
    let want_rec = std::fs::read(path.join("data.rec"))?;
    let want_idx = std::fs::read(path.join("data.idx"))?;
    let got_rec = std::fs::read(rec_path)?;
    let got_idx = std::fs::read(idx_path)?;
    ensure!(
        got_rec == want_rec,
        "data.rec differs ({} vs {} bytes)",
        got_rec.len(),
        want_rec.len()
    );
    ensure!(
        got_idx == want_idx,
        "data.idx differs ({} vs {} bytes)",
        got_idx.len(),
        want_idx.len()
    );
    Ok(())
}

/// Decoded pixels of every image field: PNG exactly (Pillow's raw bytes,
/// palette indices for mode P; OpenCV's BGR order), JPEG within a
/// tolerance (decoders differ slightly in IDCT and upsampling).
fn check_pixels(ds: &Dataset, exp: &J, schema: &Schema) -> Result<()> {
    let recs = exp["records"]
        .as_array()
        .ok_or_else(|| anyhow!("no records"))?;
    for (i, want) in recs.iter().enumerate() {
        let rec = ds.get(i)?;
        for (j, codec) in schema.fields.iter().enumerate() {
            if *codec != FieldCodec::Image {
                continue;
            }
            let w = &want["values"][j];
            let img = decode_image(rec.field(j).unwrap_or_default(), &Default::default())
                .with_context(|| format!("record {i} field {j}"))?;
            let mut pixels = img.pixels.clone();
            let (size, channels) = if let Some(size) = w["size"].as_array() {
                let ch = match w["mode"].as_str() {
                    Some("L" | "P") => 1,
                    Some("LA") => 2,
                    Some("RGB") => 3,
                    Some("RGBA") => 4,
                    m => bail!("record {i} field {j}: mode {m:?}"),
                };
                ensure!(
                    img.indexed == (w["mode"] == "P"),
                    "record {i} field {j}: palette"
                );
                (u64s(&J::Array(size.clone())), ch)
            } else {
                let shape = u64s(&w["shape"]);
                let ch = shape.get(2).copied().unwrap_or(1) as u8;
                if ch >= 3 {
                    // OpenCV keeps BGR(A).
                    for px in pixels.chunks_exact_mut(usize::from(ch)) {
                        px.swap(0, 2);
                    }
                }
                (
                    vec![
                        shape.get(1).copied().unwrap_or(0),
                        shape.first().copied().unwrap_or(0),
                    ],
                    ch,
                )
            };
            ensure!(
                size == [u64::from(img.width), u64::from(img.height)] && img.channels == channels,
                "record {i} field {j}: {}x{}x{} decoded, {size:?}x{channels} expected",
                img.width,
                img.height,
                img.channels
            );
            let want_px = unhex(
                w["pixels_hex"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no pixels"))?,
            )?;
            ensure!(
                want_px.len() == pixels.len(),
                "record {i} field {j}: pixel count"
            );
            if w["lossy"].as_bool() == Some(true) {
                let diffs: Vec<f64> = pixels
                    .iter()
                    .zip(&want_px)
                    .map(|(a, b)| f64::from(a.abs_diff(*b)))
                    .collect();
                let mean = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;
                let max = diffs.iter().copied().fold(0.0, f64::max);
                ensure!(
                    mean <= JPEG_MEAN_TOLERANCE && max <= JPEG_MAX_TOLERANCE,
                    "record {i} field {j}: JPEG pixels differ by {mean:.2} on average, {max} at most"
                );
            } else {
                ensure!(pixels == want_px, "record {i} field {j}: PNG pixels differ");
            }
        }
    }
    Ok(())
}

/// JPEG decoders may differ by a few levels per sample (libjpeg-turbo's
/// IDCT and upsampling vs zune-jpeg's). On the fixtures zune-jpeg is within
/// 0.37 on average and 3 at most of Pillow/OpenCV.
const JPEG_MEAN_TOLERANCE: f64 = 1.0;
const JPEG_MAX_TOLERANCE: f64 = 8.0;
