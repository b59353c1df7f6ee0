//! End-to-end tests of `vellum dataformat` on the BEAT reference corpus.

use std::path::PathBuf;

use assert_cmd::Command;

fn prefix() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat/prefix")
}

fn vellum() -> Command {
    Command::cargo_bin("vellum").expect("the vellum binary is built")
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let out = vellum()
        .args(["dataformat", args[0], "--prefix"])
        .arg(prefix())
        .args(&args[1..])
        .write_stdin(stdin)
        .output()
        .expect("vellum runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_exits_0_valid_1_invalid_2_bad_name() {
    assert_eq!(run(&["check", "test/detection/1"], "").0, 0);
    let (code, out, _) = run(&["check", "test/rec_self/1"], "");
    assert_eq!(code, 1);
    assert!(
        out.contains("recursion for dataformat `test/rec_self/1' detected"),
        "{out}"
    );
    let (code, out, _) = run(&["check", "test/absent/1"], "");
    assert_eq!(code, 1);
    assert!(out.contains("declaration file not found"), "{out}");
    assert_eq!(run(&["check", "not-a-name"], "").0, 2);
}

#[test]
fn show_prints_the_flattened_format_and_pack_order() {
    let (code, out, _) = run(&["show", "test/grandchild/1"], "");
    assert_eq!(code, 0);
    assert!(out.contains("pack order: id, name, score, tags"), "{out}");
    assert!(out.contains("extends: test/child/1"), "{out}");
}

/// Spec §8 worked example: the platform's bytes for `test/detection/1`.
const DETECTION: &str = "280000000000000000000000010000000000000002000000000000000000803f000000400000403f1e0000000a00000014000000";

#[test]
fn pack_modes_match_the_platform() {
    let tagged = r#"{"x": {"$np": "int32", "v": 10}, "y": {"$np": "int32", "v": 20},
        "width": {"$np": "int32", "v": 30}, "height": {"$np": "int32", "v": 40},
        "score": {"$np": "float32", "v": 0.75}, "label": "", "pts": [[1.0, 2.0]]}"#;
    let (code, out, _) = run(&["pack", "test/detection/1", "--hex"], tagged);
    assert_eq!((code, out.trim()), (0, DETECTION));
    let plain = r#"{"x": 10, "y": 20, "width": 30, "height": 40, "score": 0.75, "label": "", "pts": [[1, 2]]}"#;
    // Safe casting refuses plain ints for int32 fields, as DataFormat.validate does.
    let (code, _, err) = run(&["pack", "test/detection/1", "--hex"], plain);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot safely cast attribute `height'") || err.contains("cannot safely cast"),
        "{err}"
    );
    let (code, out, _) = run(
        &[
            "pack",
            "test/detection/1",
            "--hex",
            "--casting",
            "unsafe",
            "--defaults",
        ],
        plain,
    );
    assert_eq!((code, out.trim()), (0, DETECTION));
    // Defaults: empty input with --defaults.
    let (code, out, _) = run(
        &["pack", "test/arr_trailing_zero/1", "--hex", "--defaults"],
        "",
    );
    assert_eq!((code, out.trim()), (0, "02000000000000000000000000000000"));
    // Raw bytes by default.
    let out = vellum()
        .args(["dataformat", "pack", "--prefix"])
        .arg(prefix())
        .args(["test/int16/1"])
        .write_stdin(r#"{"value": {"$np": "int16", "v": -2}}"#)
        .output()
        .unwrap();
    assert_eq!(out.stdout, [0xfe, 0xff]);
}

#[test]
fn unpack_round_trips_and_is_strict() {
    let (code, out, _) = run(&["unpack", "test/detection/1", "--hex"], DETECTION);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["height"], 40);
    assert_eq!(v["pts"], serde_json::json!([[1.0, 2.0]]));
    let (code, _, err) = run(&["unpack", "test/int32/1", "--hex"], "2a000000ff");
    assert_eq!(code, 1);
    assert!(err.contains("after the end"), "{err}");
    let (code, out, _) = run(
        &["unpack", "test/int32/1", "--hex", "--allow-trailing"],
        "2a000000ff",
    );
    assert_eq!(code, 0);
    assert!(out.contains("42"));
}
