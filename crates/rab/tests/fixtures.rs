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

/// Copies every dataset of `src` through the typed writer, twice: with
/// small payloads held in memory (the default) and with every payload
/// spooled to disk (`memory_budget(0)`); both must give the same bytes.
fn rewrite(src: &str, patch: impl Fn(&RabReader, &str, &mut RabWriter) -> bool) -> Vec<u8> {
    let r = RabReader::open(fixture(src)).unwrap();
    let names: Vec<String> = r.names().map(str::to_owned).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (i, w) in [RabWriter::new(), RabWriter::new().memory_budget(0)]
        .into_iter()
        .enumerate()
    {
        let mut w = w;
        for name in &names {
            if !patch(&r, name, &mut w) {
                w.add_from(&r, name).unwrap();
            }
        }
        let out = dir.path().join(format!("out{i}.rab"));
        w.write(&out).unwrap();
        outputs.push(std::fs::read(out).unwrap());
    }
    let spooled = outputs.pop().unwrap();
    let held = outputs.pop().unwrap();
    assert!(held == spooled, "{src}: held and spooled payloads differ");
    held
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

#[test]
fn verify_catches_a_flipped_payload_byte_with_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.rab");
    let mut w = RabWriter::new().with_checksums(true);
    w.add_text("t", "hello checksums", DatasetOptions::new())
        .unwrap();
    w.add_bytes("b", &[1, 2, 3, 4], DatasetOptions::new())
        .unwrap();
    w.write(&path).unwrap();
    assert!(RabReader::open(&path).unwrap().verify().is_empty());
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let r = RabReader::from_bytes(bytes).unwrap();
    let problems = r.verify();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].0, "b");
    assert!(matches!(
        problems[0].1,
        vellum_rab::Error::ChecksumMismatch { .. }
    ));
}

#[test]
fn truncated_and_hostile_files_are_refused() {
    let good = std::fs::read(fixture("numeric_nd.rab")).unwrap();
    for cut in [0, 2, 6, 100, good.len() - 1] {
        assert!(
            RabReader::from_bytes(good[..cut].to_vec()).is_err(),
            "cut at {cut}"
        );
    }
    // A payload range past the end of the file.
    let hostile = b"\n- codecMeta: {byteLength: 99, byteOffset: 0, type: bytes}\n  name: x\n\n";
    let mut f = b"rab".to_vec();
    f.extend_from_slice(&(hostile.len() as u32).to_le_bytes());
    f.extend_from_slice(hostile);
    f.extend_from_slice(&[0; 10]);
    assert!(matches!(
        RabReader::from_bytes(f),
        Err(vellum_rab::Error::PayloadOutOfBounds { .. })
    ));
}

#[test]
fn zstd_extension_round_trips_and_element_access_inflates_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("z.rab");
    let values: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.5).collect();
    let a = vellum_rab::Array::from_elements(&[10, 100], &values).unwrap();
    let mut w = RabWriter::new();
    w.add_array(
        "z",
        &a,
        DatasetOptions::new().compression(vellum_rab::Compression::Zstd),
    )
    .unwrap();
    w.write(&path).unwrap();
    let r = RabReader::open(&path).unwrap();
    assert_eq!(
        r.dataset("z").unwrap().codec_meta().get("compression"),
        Some(&Value::from("zstd"))
    );
    assert_eq!(
        r.element("z", &[9, 99]).unwrap(),
        vellum_format_core::Number::Float(499.5)
    );
    assert_eq!(r.array("z").unwrap().to_vec::<f64>().unwrap(), values);
}

/// `ndarray` views follow the stored layout: upstream's `order="F"` data
/// reads back as the array upstream was given.
#[cfg(feature = "ndarray")]
#[test]
fn ndarray_views_follow_the_layout() {
    let r = RabReader::open(fixture("fortran_order.rab")).unwrap();
    let a = r.array("2-D F array order F").unwrap();
    let v = a.to_ndarray::<f32>().unwrap();
    assert_eq!(v.shape(), &[3, 4]);
    assert_eq!(v[[0, 1]], 1.5);
    assert_eq!(v[[1, 0]], 6.0);
    assert_eq!(v[[2, 3]], 16.5);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(vellum_rab::from_pyyaml(&flow).is_err());
    let mut block = String::new();
    for depth in 0..300 {
        block.push_str(&" ".repeat(depth * 2));
        block.push_str("a:\n");
    }
    block.push_str(&" ".repeat(600));
    block.push_str("b: 1\n");
    assert!(vellum_rab::from_pyyaml(&block).is_err());
}

/// `open` reads the prefix and a first 4 KiB in one read and the rest of a
/// longer header in a second: headers ending on either side of that
/// boundary, and files cut anywhere, read as `from_bytes` reads them.
#[test]
fn open_reads_headers_across_the_first_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.rab");
    for header_len in 4080..4100usize {
        let head = "\n- codecMeta:\n    byteLength: 3\n    byteOffset: 0\n    compression: null\n    type: bytes\n  metadata:\n    pad: ";
        let tail = "\n  name: x\n\n";
        let pad = "p".repeat(header_len - head.len() - tail.len());
        let text = format!("{head}{pad}{tail}");
        assert_eq!(text.len(), header_len);
        let mut f = b"rab".to_vec();
        f.extend_from_slice(&(header_len as u32).to_le_bytes());
        f.extend_from_slice(text.as_bytes());
        f.extend_from_slice(b"abc");
        std::fs::write(&path, &f).unwrap();
        let r = RabReader::open(&path).unwrap();
        assert_eq!(r.names().collect::<Vec<_>>(), ["x"]);
        assert_eq!(
            r.dataset("x").unwrap().metadata().get("pad"),
            Some(&Value::Str(pad.clone()))
        );
        assert_eq!(&r.payload("x").unwrap()[..], b"abc");
        for cut in [0, 3, 6, 7, 4096.min(6 + header_len), 7 + header_len - 1] {
            std::fs::write(&path, &f[..cut]).unwrap();
            assert!(RabReader::open(&path).is_err(), "{header_len} cut at {cut}");
            assert!(RabReader::from_bytes(f[..cut].to_vec()).is_err());
        }
    }
}
