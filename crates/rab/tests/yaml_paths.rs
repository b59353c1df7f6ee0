//! The fast YAML path (PyYAML-shaped block YAML, taken at open for almost
//! every header) against the general path (serde-saphyr's parser with
//! PyYAML's resolver): wherever the fast path answers, both give the same
//! value. Checked on every fixture header and object, on the 400 texts
//! PyYAML itself wrote (where the value must also be what PyYAML read), on
//! headers our writer emits for random datasets, and on thousands of
//! mutations of real headers. The fuzz target `rab_yaml_paths` does the
//! same on arbitrary text.

use std::path::PathBuf;

use proptest::prelude::*;
use vellum_rab::{DatasetKind, DatasetOptions, RabReader, RabWriter, Value};

fn fixtures() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/rab");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rab"))
        .collect();
    v.sort();
    v
}

fn header_text(file: &[u8]) -> String {
    let h = u32::from_le_bytes(file[3..7].try_into().unwrap()) as usize;
    String::from_utf8(file[7..7 + h].to_vec()).unwrap()
}

/// Both paths on `text`; panics if the fast path answers differently from
/// the general one. Returns the fast path's value, if it answered.
fn agree(text: &str) -> Option<Value> {
    let (fast, general) = vellum_rab::yaml_paths(text)?;
    match &general {
        Ok(g) => assert_eq!(
            format!("{fast:?}"),
            format!("{g:?}"),
            "the paths differ on {text:?}"
        ),
        Err(e) => panic!("fast path accepted what the general path refuses ({e}): {text:?}"),
    }
    Some(fast)
}

#[test]
fn fixture_headers_and_objects() {
    let mut taken = 0;
    for path in fixtures() {
        let bytes = std::fs::read(&path).unwrap();
        if agree(&header_text(&bytes)).is_some() {
            taken += 1;
        }
        let r = RabReader::open(&path).unwrap();
        for d in r.datasets() {
            if *d.kind() == DatasetKind::Object {
                let payload = r.payload(d.name()).unwrap();
                agree(std::str::from_utf8(&payload).unwrap());
            }
        }
    }
    // All but yaml_edge (long folded and double-quoted strings) and the
    // legacy shapes take the fast path.
    assert!(taken >= 7, "fast path taken for {taken} fixtures");
}

#[test]
fn pyyaml_texts_read_as_pyyaml_read_them() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pyyaml_cases.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut taken = 0;
    for c in doc["cases"].as_array().unwrap() {
        let text = c["yaml"].as_str().unwrap();
        if let Some(fast) = agree(text) {
            taken += 1;
            // The general path is checked against PyYAML in tests/pyyaml.rs;
            // here the fast value must be PyYAML's too.
            let loaded = vellum_rab::from_pyyaml(text).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{loaded:?}"));
        }
    }
    assert!(
        taken >= 10,
        "fast path taken for {taken} of 400 PyYAML texts"
    );
}

/// Strings that stress quoting and typing: YAML 1.1 look-alikes,
/// indicators, quotes, spaces, unicode, line breaks of both YAML versions.
fn tricky_string() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a",
        "Z",
        "0",
        "1",
        "-",
        ".",
        "_",
        " ",
        ":",
        ": ",
        "#",
        " #",
        "'",
        "''",
        "\"",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "~",
        "\\",
        "é",
        "😀",
        "\u{a0}",
        "\t",
        "\n",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "1e3",
        "0x1F",
        "017",
        "0o17",
        "1:20",
        "yes",
        "No",
        "null",
        "~",
        ".inf",
        "-.5",
        "2020-01-01",
        "<<",
        "=",
        "---",
        "...",
        "- ",
        "1_000",
    ]);
    prop::collection::vec(atoms, 0..6).prop_map(|v| v.concat())
}

fn metadata() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        tricky_string().prop_map(Value::Str),
        any::<i64>().prop_map(|i| Value::Int(i.into())),
        any::<f64>().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    let tree = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Seq),
            prop::collection::vec((tricky_string(), inner), 0..4).prop_map(Value::map),
        ]
    });
    prop::collection::vec((tricky_string(), tree), 0..4).prop_map(Value::map)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Headers our writer emits (names, metadata and objects of every
    /// shape) read the same both ways, and as what was written.
    #[test]
    fn writer_headers_read_the_same_both_ways(
        datasets in prop::collection::vec((tricky_string(), metadata()), 1..5)
    ) {
        let mut w = RabWriter::new().without_fsync();
        for (i, (name, meta)) in datasets.iter().enumerate() {
            let name = format!("{name}{i}");
            w.add_text(&name, "t", DatasetOptions::new().metadata(meta.clone())).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("h.rab");
        w.write(&out).unwrap();
        let text = header_text(&std::fs::read(&out).unwrap());
        agree(&text);
        let r = RabReader::open(&out).unwrap();
        prop_assert_eq!(r.datasets().len(), datasets.len());
    }
}

/// Small edits of real headers: each result the fast path takes must read
/// the same on the general path.
#[test]
fn mutated_headers_read_the_same_both_ways() {
    let mut seeds: Vec<String> = Vec::new();
    for path in fixtures() {
        let text = header_text(&std::fs::read(&path).unwrap());
        // The first ~60 lines are enough (and keep the test quick).
        let mut cut: String = text.split_inclusive('\n').take(60).collect();
        if !cut.ends_with("\n\n") {
            cut.push('\n'); // the header's closing newline
        }
        seeds.push(cut);
    }
    let snippets = [
        "\n", " ", "  ", ": ", ":", "- ", "-", "'", "''", "#", " #", "&a ", "*a", "!!str ", "\t",
        "a: 1\n", "? ", "[", "]", "{}", "[]", "\"", "---\n", "...\n", "\u{85}", "é", "0x", "~",
        "null", "yes", "1:2", "%", "|", ">",
    ];
    let mut tried = 0;
    let mut taken = 0;
    for seed in &seeds {
        let cuts: Vec<usize> = (0..=seed.len())
            .filter(|&i| seed.is_char_boundary(i))
            .collect();
        // About 15 positions per seed, spread over the text.
        let step = (cuts.len() / 15).max(1);
        for &at in cuts.iter().step_by(step) {
            for s in snippets {
                let mut m = seed.clone();
                m.insert_str(at, s);
                tried += 1;
                taken += usize::from(agree(&m).is_some());
            }
            // Deletions of 1 and 3 characters.
            for n in [1, 3] {
                if let Some(&end) = cuts.iter().find(|&&e| e >= at + n) {
                    let mut m = seed.clone();
                    m.replace_range(at..end, "");
                    tried += 1;
                    taken += usize::from(agree(&m).is_some());
                }
            }
        }
        // Every line repeated once, and each pair of neighbours swapped.
        let lines: Vec<&str> = seed.split_inclusive('\n').collect();
        for i in 0..lines.len() {
            let mut dup = lines.clone();
            dup.insert(i, lines[i]);
            taken += usize::from(agree(&dup.concat()).is_some());
            if i + 1 < lines.len() {
                let mut sw = lines.clone();
                sw.swap(i, i + 1);
                taken += usize::from(agree(&sw.concat()).is_some());
            }
            tried += 2;
        }
    }
    assert!(
        tried > 4000 && taken > 1000,
        "tried {tried}, fast path took {taken}"
    );
}
