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
#[ignore = "issue 3 registers the beat runner"]
fn beat() {
    conformance("beat", "beat", 1);
}

#[test]
#[ignore = "issue 4 registers the dsrecords runner"]
fn dsrecords() {
    conformance("dsrecords", "dsrecords", 1);
}

#[test]
#[ignore = "issue 4 registers the tfrecord runner"]
fn tfrecord() {
    conformance("tfrecord", "tfrecord", 1);
}

#[test]
#[ignore = "issue 4 registers the mxnet runner"]
fn mxnet() {
    conformance("mxnet", "mxnet-recordio", 1);
}

#[test]
fn rab() {
    conformance("rab", "rab", 753);
}

#[test]
#[ignore = "issue 7 registers the datumaro runner"]
fn datumaro() {
    conformance("datumaro", "datumaro", 1);
}
