//! `vellum records`: DSRecords `.rec`/`.idx`, TFRecord and MXNet RecordIO
//! files: inspect, dump, verify, recover and convert.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value as J, json};
use vellum_dataformat::{PrefixDir, Resolver};
use vellum_records::{
    BeatSchema, Dataset, DatasetWriter, Descr, IndexedRecordIo, OpenOptions, Record,
    RecordIoReader, RecordIoWriter, Schema, TfRecordReader, TfRecordWriter, Value, WriteOptions,
    index_path_for, pack_record, recover, verify, write_recordio_index, write_tfindex,
};

use super::inspect::{Format, detect};
use crate::output::{Global, Outcome, note, out, out_json};
use crate::progress::bar;

/// Arguments of `vellum records`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// Which record format a file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Kind {
    /// DSRecords `.rec` + `.idx`.
    Dsrecords,
    /// TFRecord.
    Tfrecord,
    /// MXNet RecordIO (with its text `.idx` when present).
    Recordio,
}

#[derive(Debug, clap::Args)]
struct Input {
    /// The record file (`.rec`, `.tfrecord`, …).
    file: PathBuf,
    /// Fields per DSRecords record (not stored in the file). Defaults to the
    /// schema's length, or 1.
    #[arg(long, short = 'n')]
    fields: Option<usize>,
    /// The DSRecords index, when it is not FILE with `.idx`.
    #[arg(long)]
    index: Option<PathBuf>,
    /// Field codecs, comma-separated (`i32,f32,str,bytes,list<u16>,npy`):
    /// decodes typed values.
    #[arg(long, conflicts_with = "beat_format")]
    schema: Option<String>,
    /// A BEAT platform prefix folder holding `dataformats/` (with
    /// --beat-format).
    #[arg(long, requires = "beat_format")]
    beat_prefix: Option<PathBuf>,
    /// The BEAT data format (`user/name/version`) of the records' objects,
    /// one field per top-level field in declaration order: decodes each
    /// record to that object (instead of --schema).
    #[arg(long, requires = "beat_prefix")]
    beat_format: Option<String>,
    /// The input's format (default: detected).
    #[arg(long)]
    format: Option<Kind>,
}

impl Input {
    fn schema(&self) -> Result<Option<Schema>> {
        if let Some(beat) = self.beat()? {
            return Ok(Some(beat.schema().clone()));
        }
        self.schema
            .as_deref()
            .map(|s| s.parse::<Schema>().with_context(|| "--schema"))
            .transpose()
    }

    /// The BEAT record layout of --beat-prefix and --beat-format.
    fn beat(&self) -> Result<Option<BeatSchema>> {
        let (Some(prefix), Some(name)) = (&self.beat_prefix, &self.beat_format) else {
            return Ok(None);
        };
        let format = Resolver::new(PrefixDir::new(prefix))
            .load(name)
            .with_context(|| {
                format!("loading BEAT data format {name} from {}", prefix.display())
            })?;
        Ok(Some(BeatSchema::new(format)))
    }

    fn fields(&self) -> Result<usize> {
        let schema = self.schema()?;
        match (self.fields, &schema) {
            (Some(n), Some(s)) if n != s.len() => {
                bail!(
                    "--fields {n} disagrees with the schema's {} fields",
                    s.len()
                )
            }
            (Some(n), _) => Ok(n),
            (None, Some(s)) => Ok(s.len()),
            (None, None) => Ok(1),
        }
    }

    fn kind(&self) -> Result<Kind> {
        if let Some(k) = self.format {
            return Ok(k);
        }
        if self.index.is_some() {
            return Ok(Kind::Dsrecords);
        }
        let d = detect(&self.file)?;
        Ok(match d.format {
            Format::DsRecords => Kind::Dsrecords,
            Format::TfRecord => Kind::Tfrecord,
            Format::MxnetRecordIo => Kind::Recordio,
            other => bail!(
                "{}: a {} file, not a record file (use --format to force one)",
                self.file.display(),
                other.name()
            ),
        })
    }

    fn dataset(&self, g: &Global) -> Result<Dataset> {
        let opts = OpenOptions {
            backend: g.backend(),
            index_path: self.index.clone(),
            ..OpenOptions::default()
        };
        Ok(Dataset::open_with(&self.file, self.fields()?, &opts)?)
    }
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Summarise a record file: format, record count, sizes.
    Inspect(Input),
    /// Print records: each field as hex, typed values with --schema, or
    /// BEAT objects with --beat-prefix and --beat-format.
    Dump {
        #[command(flatten)]
        input: Input,
        /// First record to print.
        #[arg(long, default_value_t = 0)]
        start: usize,
        /// Print at most this many records.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Check every record (DSRecords: index, bounds, checksum sidecar;
    /// TFRecord: both CRCs; RecordIO: framing). Exit 1 on a problem.
    Verify {
        #[command(flatten)]
        input: Input,
        /// TFRecord: skip corrupt records, count them, and still exit 1.
        #[arg(long)]
        skip_corrupt: bool,
    },
    /// Repair a DSRecords dataset after a crash: keep the complete records,
    /// fix the count, trim the files.
    Recover(Input),
    /// Copy records to another format: dsrecords, tfrecord or recordio.
    /// Multi-field DSRecords records become one payload in DSRecords'
    /// record layout; single fields are copied as they are.
    Convert {
        #[command(flatten)]
        input: Input,
        /// The output file.
        output: PathBuf,
        /// The output format.
        #[arg(long)]
        to: Kind,
        /// Also write the output's index (`.tfindex` for TFRecord; the
        /// RecordIO `.idx` is always written).
        #[arg(long)]
        write_index: bool,
    },
}

/// Runs `vellum records`.
pub fn run(args: Args, g: &Global) -> Result<Outcome> {
    match args.command {
        Command::Inspect(input) => inspect(&input, g),
        Command::Dump {
            input,
            start,
            limit,
        } => dump(&input, start, limit, g),
        Command::Verify {
            input,
            skip_corrupt,
        } => verify_cmd(&input, skip_corrupt, g),
        Command::Recover(input) => recover_cmd(&input, g),
        Command::Convert {
            input,
            output,
            to,
            write_index,
        } => convert(&input, &output, to, write_index, g),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn float_json(x: f64) -> J {
    if x.is_nan() {
        json!("NaN")
    } else if x.is_infinite() {
        json!(if x > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(x)
    }
}

fn value_json(v: &Value) -> J {
    match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => float_json(*f),
        Value::Bool(b) => json!(b),
        Value::Str(s) => json!(s),
        Value::Bytes(b) => json!(hex(b)),
        Value::List(items) => J::Array(items.iter().map(value_json).collect()),
        Value::Array(a) => {
            let dtype = match a.descr() {
                Descr::Structured(_) => json!(a.descr().to_python()),
                d => json!(d.type_string()),
            };
            json!({
                "dtype": dtype,
                "shape": a.shape(),
                "fortran_order": a.fortran_order(),
                "data_hex": hex(a.data()),
            })
        }
        _ => J::Null,
    }
}

fn record_json(r: &Record, schema: Option<&Schema>) -> Result<J> {
    let fields = match schema {
        Some(s) => r.decode(s)?.iter().map(value_json).collect(),
        None => r.fields().map(|f| json!(hex(f))).collect(),
    };
    Ok(json!({"index": r.index(), "offset": r.offset(), "fields": J::Array(fields)}))
}

fn text_field(f: &[u8]) -> String {
    if f.len() <= 32 {
        hex(f)
    } else {
        format!("{}… ({} bytes)", hex(&f[..32]), f.len())
    }
}

/// One record of any format as (index, offset, fields).
struct Row {
    index: u64,
    offset: u64,
    fields: Vec<J>,
    text: Vec<String>,
}

fn payload_row(index: u64, offset: u64, payload: &[u8]) -> Row {
    Row {
        index,
        offset,
        fields: vec![json!(hex(payload))],
        text: vec![text_field(payload)],
    }
}

fn rows(input: &Input, start: usize, limit: Option<usize>, g: &Global) -> Result<(u64, Vec<Row>)> {
    let take = limit.unwrap_or(usize::MAX);
    Ok(match input.kind()? {
        Kind::Dsrecords => {
            let ds = input.dataset(g)?;
            let schema = input.schema()?;
            let beat = input.beat()?;
            let end = start.saturating_add(take).min(ds.len());
            let mut rows = Vec::new();
            for r in ds.range(start.min(end)..end)? {
                let r = r?;
                if let Some(beat) = &beat {
                    // The object's fields as BEAT JSON, in declaration order.
                    let object = beat
                        .decode(&r)
                        .with_context(|| format!("record {}", r.index()))?
                        .to_json();
                    let fields: Vec<J> = match &object {
                        J::Object(m) => m.values().cloned().collect(),
                        _ => Vec::new(),
                    };
                    rows.push(Row {
                        index: r.index(),
                        offset: r.offset(),
                        text: vec![object.to_string()],
                        fields,
                    });
                    continue;
                }
                let fields = match record_json(&r, schema.as_ref())?.get("fields") {
                    Some(J::Array(a)) => a.clone(),
                    _ => Vec::new(),
                };
                let text = match &schema {
                    Some(_) => fields.iter().map(J::to_string).collect(),
                    None => r.fields().map(text_field).collect(),
                };
                rows.push(Row {
                    index: r.index(),
                    offset: r.offset(),
                    fields,
                    text,
                });
            }
            (ds.len() as u64, rows)
        }
        Kind::Tfrecord => {
            let reader = TfRecordReader::open_with(&input.file, g.backend(), &Default::default())?;
            let mut rows = Vec::new();
            let mut count = 0u64;
            for (i, r) in reader.iter().enumerate() {
                let r = r?;
                count += 1;
                if i >= start && rows.len() < take {
                    rows.push(payload_row(i as u64, r.offset, &r.payload));
                }
            }
            (count, rows)
        }
        Kind::Recordio => {
            let reader = RecordIoReader::open_with(&input.file, g.backend(), &Default::default())?;
            let mut rows = Vec::new();
            let mut count = 0u64;
            for (i, r) in reader.iter().enumerate() {
                let r = r?;
                count += 1;
                if i >= start && rows.len() < take {
                    rows.push(payload_row(i as u64, r.offset, &r.payload));
                }
            }
            (count, rows)
        }
    })
}

fn dump(input: &Input, start: usize, limit: Option<usize>, g: &Global) -> Result<Outcome> {
    let (count, rows) = rows(input, start, limit, g)
        .with_context(|| format!("dumping {}", input.file.display()))?;
    if g.json {
        let records: Vec<J> = rows
            .into_iter()
            .map(|r| json!({"index": r.index, "offset": r.offset, "fields": r.fields}))
            .collect();
        out_json(&json!({"count": count, "records": records}))?;
    } else {
        out(format!("{count} records"))?;
        for r in rows {
            out(format!("#{} @{}: {}", r.index, r.offset, r.text.join(" ")))?;
        }
    }
    Ok(Outcome::Ok)
}

fn inspect(input: &Input, g: &Global) -> Result<Outcome> {
    let kind = input.kind()?;
    let file_size = std::fs::metadata(&input.file)
        .with_context(|| input.file.display().to_string())?
        .len();
    let mut info = serde_json::Map::new();
    info.insert("file".into(), json!(input.file.display().to_string()));
    info.insert("file_size".into(), json!(file_size));
    match kind {
        Kind::Dsrecords => {
            // The count needs only the index; fields matter for bounds.
            let idx = input
                .index
                .clone()
                .unwrap_or_else(|| index_path_for(&input.file));
            let ds = input.dataset(g)?;
            info.insert("format".into(), json!("dsrecords"));
            info.insert("index".into(), json!(idx.display().to_string()));
            info.insert("index_size".into(), json!(ds.index_bytes().len()));
            info.insert("records".into(), json!(ds.len()));
            info.insert("fields".into(), json!(ds.num_fields()));
            info.insert("stale_slots".into(), json!(ds.stale_tail().len()));
            let first = ds.get(0).ok().map(|r| r.lengths());
            info.insert("first_record_lengths".into(), json!(first));
            info.insert(
                "checksums".into(),
                json!(vellum_records::Checksums::load(&input.file)?.map(|c| c.kind.to_string())),
            );
        }
        Kind::Tfrecord => {
            let reader = TfRecordReader::open_with(&input.file, g.backend(), &Default::default())?;
            let mut n = 0u64;
            let mut payload = 0u64;
            for r in reader.iter() {
                let r = r?;
                n += 1;
                payload += r.payload.len() as u64;
            }
            info.insert("format".into(), json!("tfrecord"));
            info.insert("records".into(), json!(n));
            info.insert("payload_bytes".into(), json!(payload));
        }
        Kind::Recordio => {
            let reader = RecordIoReader::open_with(&input.file, g.backend(), &Default::default())?;
            let mut n = 0u64;
            let mut split = 0u64;
            for r in reader.iter() {
                let r = r?;
                n += 1;
                split += u64::from(r.chunks > 1);
            }
            info.insert("format".into(), json!("mxnet_recordio"));
            info.insert("records".into(), json!(n));
            info.insert("split_records".into(), json!(split));
            let idx = input.file.with_extension("idx");
            if idx.is_file() {
                let indexed = IndexedRecordIo::open(&input.file, &idx)?;
                info.insert("index".into(), json!(idx.display().to_string()));
                info.insert("indexed_records".into(), json!(indexed.len()));
            }
        }
    }
    if g.json {
        out_json(&J::Object(info))?;
    } else {
        for (k, v) in info {
            out(format!(
                "{k}: {}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            ))?;
        }
    }
    Ok(Outcome::Ok)
}

fn verify_cmd(input: &Input, skip_corrupt: bool, g: &Global) -> Result<Outcome> {
    let mut problems: Vec<String> = Vec::new();
    let mut summary = serde_json::Map::new();
    match input.kind()? {
        Kind::Dsrecords => {
            let report = verify(&input.file, input.fields()?, input.index.as_deref())?;
            summary.insert("records".into(), json!(report.count));
            summary.insert("complete".into(), json!(report.complete));
            summary.insert("checksums_ok".into(), json!(report.checksums_ok));
            summary.insert("checksums_missing".into(), json!(report.checksums_missing));
            summary.insert("stale_slots".into(), json!(report.stale_slots));
            summary.insert("trailing_bytes".into(), json!(report.trailing_bytes));
            problems.extend(report.problems.iter().map(ToString::to_string));
            // Typed decoding of every record, when a schema is given.
            let beat = input.beat()?;
            if let Some(schema) = input.schema()?
                && report.is_ok()
            {
                let ds = input.dataset(g)?;
                let pb = bar(g, ds.len() as u64, "decoding");
                for (i, r) in ds.iter().enumerate() {
                    pb.inc(1);
                    let decoded = r.and_then(|r| match &beat {
                        Some(b) => b.decode(&r).map(drop),
                        None => r.decode(&schema).map(drop),
                    });
                    if let Err(e) = decoded {
                        problems.push(format!("record {i}: {e}"));
                    }
                }
                pb.finish_and_clear();
            }
        }
        Kind::Tfrecord => {
            let reader = TfRecordReader::open_with(&input.file, g.backend(), &Default::default())?
                .skip_corrupt(skip_corrupt);
            let mut it = reader.iter();
            let mut n = 0u64;
            for r in it.by_ref() {
                match r {
                    Ok(_) => n += 1,
                    Err(e) => problems.push(e.to_string()),
                }
            }
            summary.insert("records".into(), json!(n));
            if skip_corrupt {
                summary.insert("skipped".into(), json!(it.skipped()));
                summary.insert("skipped_bytes".into(), json!(it.skipped_bytes()));
                if it.skipped() > 0 {
                    problems.push(format!(
                        "{} corrupt records skipped ({} bytes)",
                        it.skipped(),
                        it.skipped_bytes()
                    ));
                }
            }
        }
        Kind::Recordio => {
            let reader = RecordIoReader::open_with(&input.file, g.backend(), &Default::default())?;
            let mut n = 0u64;
            for r in reader.iter() {
                match r {
                    Ok(_) => n += 1,
                    Err(e) => problems.push(e.to_string()),
                }
            }
            summary.insert("records".into(), json!(n));
            let idx = input.file.with_extension("idx");
            if idx.is_file() {
                let indexed = IndexedRecordIo::open(&input.file, &idx)?;
                for key in indexed.keys().collect::<Vec<_>>() {
                    if let Err(e) = indexed.get(key) {
                        problems.push(format!("index key {key}: {e}"));
                    }
                }
            }
        }
    }
    let ok = problems.is_empty();
    if g.json {
        summary.insert("ok".into(), json!(ok));
        summary.insert("problems".into(), json!(problems));
        out_json(&J::Object(summary))?;
    } else {
        for p in &problems {
            out(format!("problem: {p}"))?;
        }
        let parts: Vec<String> = summary.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out(format!(
            "{}: {} ({})",
            input.file.display(),
            if ok { "ok" } else { "PROBLEMS" },
            parts.join(", ")
        ))?;
    }
    Ok(if ok {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

fn recover_cmd(input: &Input, g: &Global) -> Result<Outcome> {
    if input.kind().unwrap_or(Kind::Dsrecords) != Kind::Dsrecords {
        bail!("recover works on DSRecords datasets");
    }
    let r = recover(&input.file, input.fields()?, input.index.as_deref())
        .with_context(|| format!("recovering {}", input.file.display()))?;
    if g.json {
        out_json(&json!({
            "kept": r.kept, "dropped": r.dropped,
            "data_len": [r.data_len.0, r.data_len.1],
            "index_len": [r.index_len.0, r.index_len.1],
            "changed": !r.unchanged(),
        }))?;
    } else if r.unchanged() {
        out(format!(
            "{}: consistent, {} records, nothing to do",
            input.file.display(),
            r.kept
        ))?;
    } else {
        out(format!(
            "{}: kept {} records, dropped {}; data {} -> {} bytes, index {} -> {} bytes",
            input.file.display(),
            r.kept,
            r.dropped,
            r.data_len.0,
            r.data_len.1,
            r.index_len.0,
            r.index_len.1
        ))?;
    }
    Ok(Outcome::Ok)
}

/// The records of an input, each as its list of fields.
type FieldsIter = Box<dyn Iterator<Item = Result<Vec<Vec<u8>>>>>;

/// Every record of the input as its fields.
fn payloads(input: &Input, g: &Global) -> Result<FieldsIter> {
    Ok(match input.kind()? {
        Kind::Dsrecords => {
            let ds = input.dataset(g)?;
            Box::new((0..ds.len()).map(move |i| {
                let r = ds.get(i)?;
                Ok(r.fields().map(<[u8]>::to_vec).collect())
            }))
        }
        Kind::Tfrecord => {
            let reader = TfRecordReader::open_with(&input.file, g.backend(), &Default::default())?;
            let all: Vec<_> = reader.iter().collect::<Result<_, _>>()?;
            Box::new(all.into_iter().map(|r| Ok(vec![r.payload.to_vec()])))
        }
        Kind::Recordio => {
            let reader = RecordIoReader::open_with(&input.file, g.backend(), &Default::default())?;
            let all: Vec<_> = reader.iter().collect::<Result<_, _>>()?;
            Box::new(all.into_iter().map(|r| Ok(vec![r.payload.to_vec()])))
        }
    })
}

fn one_payload(fields: Vec<Vec<u8>>) -> Vec<u8> {
    if fields.len() == 1 {
        fields.into_iter().next().unwrap_or_default()
    } else {
        let mut p = Vec::new();
        pack_record(&fields, &mut p);
        p
    }
}

fn convert(
    input: &Input,
    output: &Path,
    to: Kind,
    write_index: bool,
    g: &Global,
) -> Result<Outcome> {
    if output.exists() {
        bail!("{}: already exists", output.display());
    }
    let records =
        payloads(input, g).with_context(|| format!("reading {}", input.file.display()))?;
    let pb = crate::progress::spinner(g, "converting");
    let mut n = 0u64;
    match to {
        Kind::Dsrecords => {
            let mut w = DatasetWriter::create(output, WriteOptions::default())?;
            for r in records {
                w.append(&r?)?;
                n += 1;
                pb.inc(1);
            }
            w.finish()?;
        }
        Kind::Tfrecord => {
            let file =
                std::fs::File::create(output).with_context(|| output.display().to_string())?;
            let mut w = TfRecordWriter::new(std::io::BufWriter::new(file));
            for r in records {
                w.write(&one_payload(r?))?;
                n += 1;
                pb.inc(1);
            }
            let index = write_tfindex(w.index());
            w.into_inner()?;
            if write_index {
                std::fs::write(output.with_extension("tfindex"), index)?;
            }
        }
        Kind::Recordio => {
            let file =
                std::fs::File::create(output).with_context(|| output.display().to_string())?;
            let mut w = RecordIoWriter::new(std::io::BufWriter::new(file));
            let mut index = Vec::new();
            for r in records {
                index.push((n, w.write(&one_payload(r?))?));
                n += 1;
                pb.inc(1);
            }
            w.into_inner()?;
            std::fs::write(output.with_extension("idx"), write_recordio_index(&index))?;
        }
    }
    pb.finish_and_clear();
    note(g, format!("{n} records written to {}", output.display()));
    if g.json {
        out_json(&json!({"records": n, "output": output.display().to_string()}))?;
    }
    Ok(Outcome::Ok)
}
