//! End-to-end tests of `vellum records` on the reference fixtures.

use std::path::PathBuf;

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn vellum() -> Command {
    Command::cargo_bin("vellum").expect("the vellum binary")
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on standard output")
}

#[test]
fn dump_json_has_the_documented_shape() {
    let rec = fixtures().join("dsrecords/mutations/data.rec");
    let out = vellum()
        .args(["records", "dump"])
        .arg(&rec)
        .args(["--fields", "2", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json_of(&out);
    let obj = v.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["count", "records"]);
    assert_eq!(v["count"], 6);
    let r1 = &v["records"][1];
    assert_eq!(
        r1.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["index", "offset", "fields"]
    );
    assert_eq!(r1["offset"], 1229);
    assert_eq!(r1["fields"][0], "07000000");
    assert_eq!(r1["fields"][1], "76616c75652d372d7a7a7a");
}

#[test]
fn dump_with_schema_decodes_values_and_index_is_found_by_flag() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("renamed.data");
    std::fs::copy(fixtures().join("dsrecords/scalars/data.rec"), &rec).unwrap();
    let idx = dir.path().join("somewhere.index");
    std::fs::copy(fixtures().join("dsrecords/scalars/data.idx"), &idx).unwrap();
    let out = vellum()
        .args(["--json", "records", "dump"])
        .arg(&rec)
        .arg("--index")
        .arg(&idx)
        .args([
            "--schema",
            "i32,i8,u16,int:64,int:128,uint:128,f32,f16,f64,bool",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let text = std::fs::read_to_string(fixtures().join("dsrecords/scalars/expected.json")).unwrap();
    let expected: serde_json::Value = serde_json::from_str(&text).unwrap();
    let got = v["records"].as_array().unwrap();
    let want = expected["records"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(want) {
        let fields = got["fields"].as_array().unwrap();
        for (g, w) in fields.iter().zip(want["values"].as_array().unwrap()) {
            match (g.as_f64(), w.as_f64()) {
                (Some(a), Some(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{g} vs {w}"),
                _ => assert_eq!(g, w),
            }
        }
    }
}

#[test]
fn verify_flags_a_corrupt_tfrecord_and_skip_mode_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.tfrecord");
    let mut data = std::fs::read(fixtures().join("tfrecord/raw_payloads/data.tfrecord")).unwrap();
    data[90] ^= 1; // inside the payload of the record at offset 72
    std::fs::write(&path, &data).unwrap();
    let out = vellum()
        .args(["records", "verify"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("offset 72") && text.contains("bad.tfrecord"),
        "{text}"
    );
    let out = vellum()
        .args(["--json", "records", "verify", "--skip-corrupt"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v["records"], 6);
    assert_eq!(v["skipped"], 1);
}

#[test]
fn recover_repairs_a_truncated_dataset_and_convert_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("d.rec");
    let src = fixtures().join("dsrecords/large_10k");
    std::fs::copy(src.join("data.rec"), &rec).unwrap();
    std::fs::copy(src.join("data.idx"), dir.path().join("d.idx")).unwrap();
    // A crash mid-append of the last record.
    let f = std::fs::OpenOptions::new().write(true).open(&rec).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len - 3).unwrap();
    let verify = |code| {
        vellum()
            .args(["records", "verify", "-n", "4"])
            .arg(&rec)
            .assert()
            .code(code);
    };
    verify(1);
    vellum()
        .args(["records", "recover", "-n", "4"])
        .arg(&rec)
        .assert()
        .success();
    verify(0);
    let out = vellum()
        .args(["--json", "records", "inspect", "-n", "4"])
        .arg(&rec)
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["records"], 9999);

    let tf = dir.path().join("d.tfrecord");
    vellum()
        .args(["records", "convert", "-n", "4", "--to", "tfrecord"])
        .arg(&rec)
        .arg(&tf)
        .assert()
        .success();
    let back = dir.path().join("back.rec");
    vellum()
        .args(["records", "convert", "--to", "dsrecords"])
        .arg(&tf)
        .arg(&back)
        .assert()
        .success();
    let out = vellum()
        .args(["--json", "records", "inspect"])
        .arg(&back)
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["records"], 9999);
}
