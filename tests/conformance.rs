//! Runs every conformance kind over the reference fixtures copied into
//! `tests/fixtures/`, exactly as `cargo xtask conformance KIND DIR` does.

fn conformance(kind: &str, dir: &str, min_cases: usize) {
    let path = vellum_tests::fixtures().join(dir);
    let report = xtask::conformance::run(kind, &path)
        .unwrap_or_else(|e| panic!("{kind}: the runner failed: {e:#}"));
    println!("{report}");
    assert_eq!(report.failed(), 0, "{kind}: failing cases\n{report}");
    assert!(
        report.cases.len() >= min_cases,
        "{kind}: only {} cases ran, expected at least {min_cases}",
        report.cases.len()
    );
}

#[test]
fn beat() {
    // 162 declarations, 843 values, 23 unpack and 21 isclose cases.
    conformance("beat", "beat", 1049);
}

#[test]
fn dsrecords() {
    conformance("dsrecords", "dsrecords", 41);
}

#[test]
fn tfrecord() {
    conformance("tfrecord", "tfrecord", 9);
}

#[test]
fn mxnet() {
    conformance("mxnet", "mxnet-recordio", 4);
}

#[test]
fn rab() {
    conformance("rab", "rab", 753);
}

#[test]
fn datumaro() {
    conformance("datumaro", "datumaro", 54);
}
