//! `vellum rab`: RandomAccessBuffer files: `ls`, `get`, `extract`, `cat`,
//! `create` and `verify`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value as J, json};
use vellum_format_core::Number;
use vellum_rab::{
    ColumnData, Compression, DatasetKind, DatasetOptions, RabReader, RabWriter, ReadOptions, Value,
};

use crate::output::{Global, Outcome, note, out, out_bytes, out_json};

/// Arguments of `vellum rab`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// List the datasets (reads the header only).
    Ls {
        /// The RAB file.
        file: PathBuf,
    },
    /// Print one element of a numeric dataset as JSON.
    Get {
        /// The RAB file.
        file: PathBuf,
        /// The dataset.
        name: String,
        /// The position, one coordinate per axis: `I,J,..` (empty for a 0-d array).
        #[arg(long, value_name = "I,J,..", allow_hyphen_values = true)]
        at: String,
    },
    /// Write a dataset's payload (decompressed when compressed) to a file.
    Extract {
        /// The RAB file.
        file: PathBuf,
        /// The dataset.
        name: String,
        /// Where to write the bytes (`-` for standard output).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print a text, object, DataFrame or small array dataset.
    Cat {
        /// The RAB file.
        file: PathBuf,
        /// The dataset.
        name: String,
    },
    /// Create a RAB file from files.
    Create {
        /// The RAB file to write (atomically).
        output: PathBuf,
        /// A file to add as a `bytes` dataset, `NAME=PATH` (repeatable).
        #[arg(long, value_name = "NAME=PATH")]
        add: Vec<String>,
        /// A UTF-8 file to add as a `text` dataset, `NAME=PATH`.
        #[arg(long, value_name = "NAME=PATH")]
        text: Vec<String>,
        /// A YAML or JSON mapping to add as an `object` dataset, `NAME=PATH`.
        #[arg(long, value_name = "NAME=PATH")]
        object: Vec<String>,
        /// Metadata for a dataset, `NAME=YAML-OR-JSON-MAPPING`.
        #[arg(long, value_name = "NAME=MAPPING")]
        meta: Vec<String>,
        /// Compress the datasets: `gzip` (zlib, what upstream reads) or
        /// `zstd` (Vellum extension: upstream cannot decode it).
        #[arg(long, value_name = "CODEC")]
        compress: Option<String>,
        /// Record a blake3 checksum per dataset (Vellum extension, checked by
        /// `verify`; upstream readers ignore it).
        #[arg(long)]
        checksums: bool,
    },
    /// Check every dataset: payload ranges, checksums, decoding.
    Verify {
        /// The RAB file.
        file: PathBuf,
    },
}

/// Runs `vellum rab`.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    match args.command {
        Command::Ls { file } => ls(&file, g),
        Command::Get { file, name, at } => get(&file, &name, &at, g),
        Command::Extract { file, name, output } => extract(&file, &name, &output, g),
        Command::Cat { file, name } => cat(&file, &name, g),
        Command::Create {
            output,
            add,
            text,
            object,
            meta,
            compress,
            checksums,
        } => create(
            &output,
            &add,
            &text,
            &object,
            &meta,
            compress.as_deref(),
            checksums,
            g,
        ),
        Command::Verify { file } => verify(&file, g),
    }
}

fn open(file: &Path, g: &Global) -> Result<RabReader> {
    let opts = ReadOptions {
        backend: g.backend(),
        ..ReadOptions::default()
    };
    RabReader::open_with(file, opts).with_context(|| format!("reading {}", file.display()))
}

fn ls(file: &Path, g: &Global) -> Result<Outcome> {
    let r = open(file, g)?;
    if g.json {
        let list: Vec<J> = r
            .datasets()
            .iter()
            .map(|d| {
                json!({
                    "name": d.name(),
                    "type": d.type_name(),
                    "dtype": d.dtype().map(|t| t.descr()),
                    "shape": d.dtype().map(|_| d.shape().to_vec()),
                    "compression": d.compression().header_text(),
                    "byte_length": d.byte_length(),
                    "metadata": d.metadata().to_json(),
                })
            })
            .collect();
        out_json(&J::Array(list))?;
        return Ok(Outcome::Ok);
    }
    out(format!(
        "{:<32} {:<10} {:<6} {:<16} {:<11} {:>12}",
        "NAME", "TYPE", "DTYPE", "SHAPE", "COMPRESSION", "BYTES"
    ))?;
    for d in r.datasets() {
        let shape = d
            .dtype()
            .map(|_| format!("{:?}", d.shape()))
            .unwrap_or_default();
        out(format!(
            "{:<32} {:<10} {:<6} {:<16} {:<11} {:>12}",
            d.name(),
            d.type_name(),
            d.dtype().map(|t| t.descr()).unwrap_or_default(),
            shape,
            d.compression().header_text().unwrap_or("-"),
            d.byte_length()
        ))?;
    }
    note(
        g,
        format!(
            "{} datasets, header {} bytes, file {} bytes",
            r.datasets().len(),
            r.header_len(),
            r.file_len()
        ),
    );
    Ok(Outcome::Ok)
}

fn float_json(f: f64) -> J {
    if f.is_nan() {
        J::from("NaN")
    } else if f == f64::INFINITY {
        J::from("Infinity")
    } else if f == f64::NEG_INFINITY {
        J::from("-Infinity")
    } else {
        serde_json::Number::from_f64(f).map_or(J::Null, J::Number)
    }
}

/// An element as JSON: a number, a bool, `[re, im]`, or `"NaN"`,
/// `"Infinity"`, `"-Infinity"`.
fn number_json(n: Number) -> J {
    match n {
        Number::Bool(b) => J::Bool(b),
        Number::Int(i) => J::from(i),
        Number::UInt(u) => J::from(u),
        Number::Float(f) => float_json(f),
        Number::Complex(re, im) => J::Array(vec![float_json(re), float_json(im)]),
    }
}

fn parse_position(at: &str) -> Result<Vec<u64>> {
    let at = at.trim().trim_start_matches('[').trim_end_matches(']');
    if at.is_empty() {
        return Ok(Vec::new());
    }
    at.split(',')
        .map(|p| {
            p.trim()
                .parse::<u64>()
                .with_context(|| format!("{p:?} is not a coordinate (0, 1, 2, ...)"))
        })
        .collect()
}

fn get(file: &Path, name: &str, at: &str, g: &Global) -> Result<Outcome> {
    let r = open(file, g)?;
    let pos = parse_position(at)?;
    let n = r
        .element(name, &pos)
        .with_context(|| format!("reading {}", file.display()))?;
    out(number_json(n).to_string())?;
    Ok(Outcome::Ok)
}

fn extract(file: &Path, name: &str, output: &Path, g: &Global) -> Result<Outcome> {
    let r = open(file, g)?;
    let data = r
        .payload(name)
        .with_context(|| format!("reading {}", file.display()))?;
    if output == Path::new("-") {
        out_bytes(&data)?;
    } else {
        vellum_format_core::write_atomic(output, &data)
            .with_context(|| format!("writing {}", output.display()))?;
        note(g, format!("{}: {} bytes", output.display(), data.len()));
    }
    Ok(Outcome::Ok)
}

/// Arrays up to this many elements are printed by `cat`.
const CAT_MAX_ELEMENTS: usize = 100_000;

fn nest(values: &[J], shape: &[usize]) -> J {
    match shape.split_first() {
        None => values.first().cloned().unwrap_or(J::Null),
        Some((&n, rest)) => {
            let step: usize = rest.iter().product();
            J::Array(
                (0..n)
                    .map(|i| {
                        nest(
                            values.get(i * step..(i + 1) * step).unwrap_or_default(),
                            rest,
                        )
                    })
                    .collect(),
            )
        }
    }
}

fn cat(file: &Path, name: &str, g: &Global) -> Result<Outcome> {
    let r = open(file, g)?;
    let ctx = || format!("reading {}", file.display());
    let d = r.dataset(name).with_context(ctx)?;
    match d.kind() {
        DatasetKind::Text => {
            let t = r.text(name).with_context(ctx)?;
            if g.json {
                out_json(&J::from(t))?;
            } else {
                out_bytes(t.as_bytes())?;
            }
        }
        DatasetKind::Object => {
            let v = r.object(name).with_context(ctx)?;
            if g.json {
                out_json(&v.to_json())?;
            } else {
                out_bytes(vellum_rab::to_pyyaml(&v).as_bytes())?;
            }
        }
        DatasetKind::Array(_) => {
            let a = r.array(name).with_context(ctx)?;
            if a.len() > CAT_MAX_ELEMENTS {
                bail!(
                    "{name:?} has {} elements; use `vellum rab get` for elements or `extract` for the bytes",
                    a.len()
                );
            }
            let values: Vec<J> = a.numbers()?.into_iter().map(number_json).collect();
            let nested = nest(&values, a.shape());
            if g.json {
                out_json(&nested)?;
            } else {
                out(nested.to_string())?;
            }
        }
        DatasetKind::DataFrame => {
            let df = r.dataframe(name).with_context(ctx)?;
            let cols: Vec<(String, Vec<J>)> = df
                .columns
                .iter()
                .map(|c| {
                    let values = match &c.data {
                        ColumnData::Text(v) => v.iter().map(|s| J::from(s.as_str())).collect(),
                        ColumnData::Bool(v) => v.iter().map(|&b| J::Bool(b)).collect(),
                        ColumnData::Int { values, .. } => {
                            values.iter().map(|&i| J::from(i)).collect()
                        }
                        ColumnData::UInt { values, .. } => {
                            values.iter().map(|&i| J::from(i)).collect()
                        }
                        ColumnData::Float { values, .. } => {
                            values.iter().map(|&f| float_json(f)).collect()
                        }
                        _ => Vec::new(),
                    };
                    (c.key.to_string(), values)
                })
                .collect();
            if g.json {
                let obj: serde_json::Map<String, J> =
                    cols.into_iter().map(|(k, v)| (k, J::Array(v))).collect();
                out_json(&J::Object(obj))?;
            } else {
                out(cols
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join("\t"))?;
                for row in 0..df.rows() {
                    let cells: Vec<String> = cols
                        .iter()
                        .map(|(_, v)| match v.get(row) {
                            Some(J::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                            None => String::new(),
                        })
                        .collect();
                    out(cells.join("\t"))?;
                }
            }
        }
        DatasetKind::Bytes | DatasetKind::Unknown(_) => {
            bail!(
                "{name:?} is of type {}; use `vellum rab extract` for its bytes",
                d.type_name()
            )
        }
        _ => bail!("{name:?}: cannot print type {}", d.type_name()),
    }
    Ok(Outcome::Ok)
}

fn split_pair(s: &str) -> Result<(&str, &str)> {
    s.split_once('=')
        .filter(|(n, _)| !n.is_empty())
        .with_context(|| format!("{s:?} is not NAME=VALUE"))
}

#[allow(clippy::too_many_arguments)]
fn create(
    output: &Path,
    add: &[String],
    text: &[String],
    object: &[String],
    meta: &[String],
    compress: Option<&str>,
    checksums: bool,
    g: &Global,
) -> Result<Outcome> {
    let compression = match compress {
        None | Some("none") => Compression::None,
        Some("gzip" | "zlib") => Compression::Zlib,
        Some("zstd") => Compression::Zstd,
        Some(other) => bail!("unknown --compress {other:?} (gzip, zstd or none)"),
    };
    let mut metadata = std::collections::HashMap::new();
    for m in meta {
        let (name, text) = split_pair(m)?;
        let v = vellum_rab::from_pyyaml(text).with_context(|| format!("--meta {name}"))?;
        metadata.insert(name.to_owned(), v);
    }
    let opts = |name: &str| {
        DatasetOptions::new()
            .metadata(metadata.get(name).cloned().unwrap_or(Value::Null))
            .compression(compression.clone())
    };
    let mut w = RabWriter::new().with_checksums(checksums);
    for a in add {
        let (name, path) = split_pair(a)?;
        let ctx = || format!("adding {path}");
        if compression == Compression::None {
            w.add_file(
                name,
                path,
                metadata.get(name).cloned().unwrap_or(Value::Null),
            )
            .with_context(ctx)?;
        } else {
            let f = std::fs::File::open(path).with_context(ctx)?;
            w.add_bytes_from_reader(name, std::io::BufReader::new(f), opts(name))
                .with_context(ctx)?;
        }
    }
    for t in text {
        let (name, path) = split_pair(t)?;
        let s = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        w.add_text(name, &s, opts(name))
            .with_context(|| format!("adding {path}"))?;
    }
    for o in object {
        let (name, path) = split_pair(o)?;
        let s = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        let v = vellum_rab::from_pyyaml(&s).with_context(|| format!("parsing {path}"))?;
        w.add_object(name, &v, opts(name))
            .with_context(|| format!("adding {path}"))?;
    }
    if w.is_empty() {
        bail!("nothing to write: give --add, --text or --object");
    }
    w.write(output)
        .with_context(|| format!("writing {}", output.display()))?;
    note(g, format!("{}: {} datasets", output.display(), w.len()));
    Ok(Outcome::Ok)
}

fn verify(file: &Path, g: &Global) -> Result<Outcome> {
    let r = match open(file, g) {
        Ok(r) => r,
        Err(e) => {
            if g.json {
                out_json(&json!({"file": file, "ok": false, "problems": [format!("{e:#}")]}))?;
            } else {
                out(format!("{}: FAILED: {e:#}", file.display()))?;
            }
            return Ok(Outcome::CheckFailed);
        }
    };
    let problems = r.verify();
    let checked = r
        .datasets()
        .iter()
        .filter(|d| d.checksum().is_some())
        .count();
    if g.json {
        let list: Vec<J> = problems
            .iter()
            .map(|(n, e)| json!({"dataset": n, "problem": e.to_string()}))
            .collect();
        out_json(&json!({
            "file": file,
            "ok": problems.is_empty(),
            "datasets": r.datasets().len(),
            "checksums": checked,
            "problems": list,
        }))?;
    } else {
        for (n, e) in &problems {
            out(format!("{}: {n}: {e}", file.display()))?;
        }
        out(format!(
            "{}: {} datasets, {} with blake3 checksums, {} problems",
            file.display(),
            r.datasets().len(),
            checked,
            problems.len()
        ))?;
    }
    Ok(if problems.is_empty() {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse() {
        assert_eq!(parse_position("1, 2,3").unwrap(), vec![1, 2, 3]);
        assert_eq!(parse_position("[4]").unwrap(), vec![4]);
        assert!(parse_position("").unwrap().is_empty());
        assert!(parse_position("-1").is_err());
    }

    #[test]
    fn elements_print_as_the_issue_says() {
        assert_eq!(number_json(Number::Float(f64::NAN)), J::from("NaN"));
        assert_eq!(
            number_json(Number::Float(f64::NEG_INFINITY)),
            J::from("-Infinity")
        );
        assert_eq!(
            number_json(Number::Complex(1.5, f64::INFINITY)).to_string(),
            "[1.5,\"Infinity\"]"
        );
        assert_eq!(number_json(Number::Bool(true)), J::Bool(true));
        assert_eq!(
            number_json(Number::UInt(u64::MAX)).to_string(),
            "18446744073709551615"
        );
    }

    #[test]
    fn nested_arrays_follow_the_shape() {
        let v: Vec<J> = (0..6).map(J::from).collect();
        assert_eq!(nest(&v, &[2, 3]).to_string(), "[[0,1,2],[3,4,5]]");
        assert_eq!(nest(&v[..1], &[]).to_string(), "0");
    }
}
