//! The reference fixtures made by upstream's Python codec: reading them and
//! writing them back byte for byte. (`cargo xtask conformance rab` checks
//! every value of every dataset against `expected.json`.)

use std::path::PathBuf;

use vellum_rab::{DatasetKind, DatasetOptions, RabReader, RabWriter, Value};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/rab")
        .join(name)
}

const FILES: [&str; 9] = [
    "numeric_dtypes_1d",
    "numeric_nd",
    "big_endian",
    "fortran_order",
    "compressed",
    "text_bytes_object",
    "dataframe",
    "many_datasets",
    "yaml_edge",
];

#[test]
fn every_fixture_opens_and_every_dataset_decodes() {
    for f in FILES {
        let r = RabReader::open(fixture(&format!("{f}.rab"))).unwrap();
        assert!(r.datasets().len() >= 3, "{f}");
        let problems = r.verify();
        assert!(problems.is_empty(), "{f}: {problems:?}");
    }
}

/// Copies every dataset of `src` through the typed writer.
fn rewrite(src: &str, patch: impl Fn(&RabReader, &str, &mut RabWriter) -> bool) -> Vec<u8> {
    let r = RabReader::open(fixture(src)).unwrap();
    let mut w = RabWriter::new();
    let names: Vec<String> = r.names().map(str::to_owned).collect();
    for name in &names {
        if !patch(&r, name, &mut w) {
            w.add_from(&r, name).unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.rab");
    w.write(&out).unwrap();
    std::fs::read(out).unwrap()
}

/// PyYAML cannot read back a lone NEL (spec §2.3): the file holds
/// `"\u{85}"` for `s43_nel`, which reads back as `" "`. Put the original back.
fn restore_nel(v: &Value) -> Value {
    match v {
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, val)| {
                    if k.as_str() == Some("s43_nel") {
                        (k.clone(), Value::from("\u{85}"))
                    } else {
                        (k.clone(), restore_nel(val))
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn yaml_edge_is_written_byte_for_byte() {
    let got = rewrite("yaml_edge.rab", |r, name, w| {
        let d = r.dataset(name).unwrap();
        let opts = DatasetOptions::new().metadata(restore_nel(d.metadata()));
        match d.kind() {
            DatasetKind::Text => w.add_text(name, &r.text(name).unwrap(), opts).unwrap(),
            DatasetKind::Object => w
                .add_object(name, &restore_nel(&r.object(name).unwrap()), opts)
                .unwrap(),
            _ => return false,
        }
        true
    });
    let want = std::fs::read(fixture("yaml_edge.rab")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want)
    );
    assert_eq!(got, want);
}

#[test]
fn many_datasets_is_written_byte_for_byte() {
    let got = rewrite("many_datasets.rab", |_, _, _| false);
    let want = std::fs::read(fixture("many_datasets.rab")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&got[..7000.min(got.len())]),
        String::from_utf8_lossy(&want[..7000])
    );
    assert_eq!(got, want);
}

#[test]
fn other_fixtures_are_written_byte_for_byte() {
    // fortran_order differs on purpose: we record strides that describe
    // the bytes written, upstream copies the input array's.
    for f in [
        "numeric_dtypes_1d",
        "numeric_nd",
        "big_endian",
        "compressed",
        "text_bytes_object",
        "dataframe",
    ] {
        let got = rewrite(&format!("{f}.rab"), |_, _, _| false);
        let want = std::fs::read(fixture(&format!("{f}.rab"))).unwrap();
        assert!(got == want, "{f}: the rewrite differs from upstream's file");
    }
}

#[test]
fn fortran_order_rewrite_differs_only_in_strides() {
    let got = rewrite("fortran_order.rab", |_, _, _| false);
    let r = RabReader::from_bytes(got).unwrap();
    let up = RabReader::open(fixture("fortran_order.rab")).unwrap();
    for d in up.datasets() {
        let ours = r.dataset(d.name()).unwrap();
        assert_eq!(r.stored(d.name()).unwrap(), up.stored(d.name()).unwrap());
        let shape = d.shape().to_vec();
        assert_eq!(
            ours.recorded_strides(),
            Some(&d.layout().strides(&shape)[..])
        );
    }
}
