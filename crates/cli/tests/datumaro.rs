//! `vellum datumaro` and `vellum convert` on the reference fixtures.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/datumaro")
}

fn vellum() -> Command {
    Command::cargo_bin("vellum").unwrap()
}

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn dump_has_the_fields_of_expected_json() {
    let case = fixtures().join("video_frames");
    let dump = json_of(
        vellum()
            .args(["datumaro", "dump", "--json"])
            .arg(case.join("datumaro_binary")),
    );
    let exp: Value =
        serde_json::from_slice(&std::fs::read(case.join("expected.json")).unwrap()).unwrap();
    assert_eq!(dump["media_type"], exp["media_type"]);
    assert_eq!(dump["categories"], exp["categories"]);
    let ours = &dump["subsets"]["train"]["items"];
    let theirs = &exp["subsets"]["train"]["items"];
    assert_eq!(
        ours.as_array().unwrap().len(),
        theirs.as_array().unwrap().len()
    );
    for (a, b) in ours
        .as_array()
        .unwrap()
        .iter()
        .zip(theirs.as_array().unwrap())
    {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["annotations"], b["annotations"]);
        assert_eq!(a["media"]["stored_path"], b["media"]["stored_path"]);
        assert_eq!(a["media"]["index"], b["media"]["index"]);
    }
}

#[test]
fn encrypted_input_needs_its_key() {
    let root = fixtures().join("legacy_1_11_encrypted/datumaro_binary");
    let out = vellum()
        .args(["datumaro", "info"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("encrypted"));
    let key = std::fs::read_to_string(root.join("secret_key.txt")).unwrap();
    let info = json_of(
        vellum()
            .args(["--json", "datumaro", "info", "--encryption-key", &key])
            .arg(&root),
    );
    assert_eq!(info["items"], 4);
}

#[test]
fn convert_round_trips_through_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixtures().join("multi_blob/datumaro_binary");
    let json_dir = tmp.path().join("json");
    let coco_dir = tmp.path().join("coco");
    let bin_dir = tmp.path().join("bin");
    let r = json_of(
        vellum()
            .args(["--json", "convert", "-i"])
            .arg(&src)
            .args(["-f", "datumaro", "-o"])
            .arg(&json_dir),
    );
    assert_eq!(r["items"], 60);
    // datumaro's `-if FORMAT` spelling.
    let r = json_of(
        vellum()
            .args(["--json", "convert", "-if", "datumaro", "-i"])
            .arg(&json_dir)
            .args(["-f", "datumaro_binary", "--max-blob-size", "4096", "-o"])
            .arg(&bin_dir),
    );
    assert_eq!(r["items"], 60);
    // Same items as the source, blob for blob: byte-identical files.
    for f in ["train.datum", "val.datum"] {
        assert_eq!(
            std::fs::read(bin_dir.join("annotations").join(f)).unwrap(),
            std::fs::read(src.join("annotations").join(f)).unwrap(),
            "{f}"
        );
    }
    let r = json_of(
        vellum()
            .args(["--json", "convert", "-i"])
            .arg(&bin_dir)
            .args(["-f", "coco", "-o"])
            .arg(&coco_dir),
    );
    assert_eq!(r["items"], 60);
    let info = json_of(vellum().args(["--json", "datumaro", "info"]).arg(&coco_dir));
    assert_eq!(info["format"], "coco");
    assert_eq!(info["annotations"]["mask"], 6);
}

/// The text report of `info` gives the same counts as `--json`, for a
/// streamed binary folder and a loaded COCO folder alike.
#[test]
fn info_text_has_the_counts_of_info_json() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = fixtures().join("multi_blob/datumaro_binary");
    let coco = tmp.path().join("coco");
    json_of(
        vellum()
            .args(["--json", "convert", "-i"])
            .arg(&bin)
            .args(["-f", "coco", "-o"])
            .arg(&coco),
    );
    for dir in [bin, coco] {
        let info = json_of(vellum().args(["--json", "datumaro", "info"]).arg(&dir));
        let out = vellum()
            .args(["datumaro", "info"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(&format!(", {} items", info["items"])),
            "{text}"
        );
        for (name, facts) in info["subsets"].as_object().unwrap() {
            let line = text
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("subset {name} ")))
                .unwrap_or_else(|| panic!("no line for subset {name}: {text}"));
            assert!(
                line.contains(&format!(" {} items", facts["items"])),
                "{line}"
            );
        }
        let total: u64 = info["annotations"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert!(total > 0);
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with("annotations:"))
            .unwrap();
        for (kind, n) in info["annotations"].as_object().unwrap() {
            assert!(line.contains(&format!("{kind} {n}")), "{line}");
        }
    }
}

/// `--no-fsync` changes no byte of any format's export.
#[test]
fn no_fsync_writes_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixtures().join("multi_blob/datumaro_binary");
    for format in ["datumaro_binary", "datumaro", "coco"] {
        let a = tmp.path().join(format!("{format}_sync"));
        let b = tmp.path().join(format!("{format}_nosync"));
        for (dir, extra) in [(&a, None), (&b, Some("--no-fsync"))] {
            let mut cmd = vellum();
            cmd.args(["--json", "convert", "-i"])
                .arg(&src)
                .args(["-f", format, "-o"])
                .arg(dir);
            if let Some(x) = extra {
                cmd.arg(x);
            }
            json_of(&mut cmd);
        }
        let mut files: Vec<_> = std::fs::read_dir(a.join("annotations"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        files.sort();
        assert!(!files.is_empty());
        for f in files {
            assert_eq!(
                std::fs::read(a.join("annotations").join(&f)).unwrap(),
                std::fs::read(b.join("annotations").join(&f)).unwrap(),
                "{format}: {f:?}"
            );
        }
    }
}

/// `info` on a binary folder (counted on the workers, blob by blob) gives
/// the item and per-kind annotation counts of the whole dataset as the
/// library reads it, for every worker count.
#[test]
fn info_counts_binary_folders_as_the_library_reads_them() {
    for case in [
        "all_annotation_types",
        "multi_blob",
        "point_cloud",
        "video_frames",
    ] {
        let dir = fixtures().join(case).join("datumaro_binary");
        let ds = vellum_datumaro::read_datumaro_binary(&dir, &Default::default()).unwrap();
        let mut expected = serde_json::Map::new();
        for a in ds.items().flat_map(|i| &i.annotations) {
            let n = expected.entry(a.kind.name()).or_insert(Value::from(0));
            *n = Value::from(n.as_u64().unwrap() + 1);
        }
        for workers in ["1", "2", "3"] {
            let info = json_of(
                vellum()
                    .args(["--json", "--num-workers", workers, "datumaro", "info"])
                    .arg(&dir),
            );
            assert_eq!(
                info["items"],
                ds.items().count(),
                "{case}, {workers} workers"
            );
            assert_eq!(
                info["annotations"],
                Value::Object(expected.clone()),
                "{case}, {workers} workers"
            );
        }
    }
}
