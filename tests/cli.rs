//! End-to-end tests of the `vellum` binary (the ripgrep `tests/` pattern).

use assert_cmd::Command;
use serde_json::Value;

fn vellum() -> Command {
    Command::cargo_bin("vellum").expect("the vellum binary is built")
}

fn inspect_format(rel: &str) -> String {
    let path = vellum_tests::fixtures().join(rel);
    let out = vellum()
        .args(["--json", "inspect"])
        .arg(&path)
        .output()
        .expect("vellum runs");
    assert!(
        out.status.success(),
        "{rel}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("inspect --json prints JSON");
    v["format"].as_str().expect("a format name").to_owned()
}

#[test]
fn inspect_names_one_fixture_of_each_kind() {
    let cases = [
        ("rab/numeric_nd.rab", "rab"),
        ("datumaro/basic_image/datumaro_binary", "datumaro_binary"),
        (
            "datumaro/legacy_1_11_encrypted/datumaro_binary",
            "datumaro_binary",
        ),
        (
            "datumaro/video/datumaro_binary/annotations/train.datum",
            "datum_file",
        ),
        ("datumaro/basic_image/datumaro_json", "datumaro"),
        ("datumaro/basic_image/coco", "coco"),
        ("dsrecords/scalars/data.rec", "dsrecords"),
        ("dsrecords/empty_dataset", "dsrecords"),
        ("tfrecord/examples/data.tfrecord", "tfrecord"),
        ("tfrecord/raw_payloads/data.tfrecord", "tfrecord"),
        ("mxnet-recordio/basic/data.rec", "mxnet_recordio"),
        ("beat/prefix", "beat_prefix"),
    ];
    for (rel, want) in cases {
        assert_eq!(inspect_format(rel), want, "{rel}");
    }
}

#[test]
fn unknown_input_exits_2_with_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello").unwrap();
    let out = vellum().arg("inspect").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("notes.txt"), "{err}");
}

#[test]
fn missing_file_exits_2() {
    let out = vellum()
        .args(["inspect", "/no/such/file.rab"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/file.rab"));
}

#[test]
fn demo_runs_on_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = vellum()
        .args(["--quiet", "demo", "--items", "30", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path()
            .join("coco/annotations/instances_default.json")
            .is_file()
    );
}

#[test]
fn inspect_recognises_a_sealed_stream_and_encrypted_datum_headers() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.bin");
    let sealed = dir.path().join("plain.sealed");
    std::fs::write(&plain, b"some bytes worth hiding").unwrap();
    let key = vellum().arg("keygen").output().unwrap();
    assert!(key.status.success());
    let key = String::from_utf8(key.stdout).unwrap();
    let key = key.lines().last().unwrap().trim().to_owned();
    let enc = vellum()
        .arg("encrypt")
        .arg(&plain)
        .arg("-o")
        .arg(&sealed)
        .args(["--key", &key])
        .output()
        .unwrap();
    assert!(
        enc.status.success(),
        "{}",
        String::from_utf8_lossy(&enc.stderr)
    );
    assert_eq!(inspect_format(sealed.to_str().unwrap()), "vellum_sealed");

    let datum = vellum_tests::fixtures()
        .join("datumaro/legacy_1_11_encrypted/datumaro_binary/annotations/train.datum");
    let out = vellum()
        .args(["--json", "inspect"])
        .arg(&datum)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["details"]["encrypted"], true);
}
