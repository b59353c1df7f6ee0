//! `vellum records dump|verify --beat-prefix --beat-format`: records holding
//! objects of a BEAT data format.

use std::path::PathBuf;

use assert_cmd::Command;
use vellum_dataformat::{Conversion, PrefixDir, Resolver};
use vellum_records::{BeatSchema, DatasetWriter, NpyArray, Value, WriteOptions};

fn prefix() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat/prefix")
}

fn vellum() -> Command {
    Command::cargo_bin("vellum").expect("the vellum binary")
}

const DETECTION: &str = "test/detection/1";

#[test]
fn dump_prints_beat_objects_and_verify_checks_them() {
    let fmt = Resolver::new(PrefixDir::new(prefix()))
        .load(DETECTION)
        .unwrap();
    let beat = BeatSchema::new(fmt.clone());
    let obj = fmt
        .from_json_text(
            r#"{"x": 10, "y": 20, "width": 30, "height": 40, "score": 0.75,
                "label": "person", "pts": [[0, 0.5], [1, 1.5]]}"#,
            Conversion::CONSTRUCT,
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("det.rec");
    let mut w = DatasetWriter::create(&rec, WriteOptions::default()).unwrap();
    w.append(&beat.encode(&obj).unwrap()).unwrap();
    w.finish().unwrap();

    let beat_args = |cmd: &mut Command| {
        cmd.arg("--beat-prefix")
            .arg(prefix())
            .args(["--beat-format", DETECTION]);
    };
    let mut cmd = vellum();
    cmd.args(["--json", "records", "dump"]).arg(&rec);
    beat_args(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["count"], 1);
    let fields = v["records"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 7);
    assert_eq!(fields[0], 10);
    assert_eq!(fields[5], "person");
    assert_eq!(fields[6], serde_json::json!([[0.0, 0.5], [1.0, 1.5]]));

    let mut cmd = vellum();
    cmd.args(["records", "verify"]).arg(&rec);
    beat_args(&mut cmd);
    assert_eq!(cmd.output().unwrap().status.code(), Some(0));

    // A record whose `pts` is float64: dsrecords-valid, not a detection.
    let mut values = beat.to_values(&obj).unwrap();
    values[6] = Value::Array(NpyArray::from_slice(&[1, 2], &[0.0f64, 1.0]));
    let mut w = DatasetWriter::open(&rec, WriteOptions::default()).unwrap();
    w.append_values(beat.schema(), &values).unwrap();
    w.finish().unwrap();
    let mut cmd = vellum();
    cmd.args(["records", "verify"]).arg(&rec);
    beat_args(&mut cmd);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("record 1") && text.contains("pts"), "{text}");

    // --schema and --beat-format are exclusive.
    let mut cmd = vellum();
    cmd.args(["records", "dump"])
        .arg(&rec)
        .args(["--schema", "i32"]);
    beat_args(&mut cmd);
    assert_eq!(cmd.output().unwrap().status.code(), Some(2));
}
