//! The generated code (`cargo xtask codegen dataformat`) for every valid
//! corpus format is checked in; these tests prove it is up to date and packs
//! exactly the bytes of the dynamic path.

#[rustfmt::skip]
#[path = "generated/corpus.rs"]
mod corpus;

use std::path::PathBuf;
use std::sync::Arc;

use vellum_dataformat::{Conversion, Format, Json, Object, PrefixDir, Resolver};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat")
}

fn cases() -> Json {
    let text = std::fs::read_to_string(fixtures().join("cases.json")).unwrap();
    vellum_dataformat::parse_json(&text).unwrap()
}

fn items<'a>(j: &'a Json, key: &str) -> &'a [Json] {
    match j.get(key) {
        Some(Json::Array(a)) => a,
        _ => panic!("{key}"),
    }
}

fn text<'a>(j: &'a Json, key: &str) -> &'a str {
    match j.get(key) {
        Some(Json::String(s)) => s,
        _ => "",
    }
}

/// Every corpus format the platform accepts and we load (two are rejected
/// on purpose: a negative extent and a field name ending in a newline).
fn valid_formats(cases: &Json) -> Vec<Arc<Format>> {
    let resolver = Resolver::new(PrefixDir::new(fixtures().join("prefix")));
    items(cases, "declarations")
        .iter()
        .filter(|d| {
            matches!(
                d.get("core").and_then(|c| c.get("valid")),
                Some(Json::Bool(true))
            )
        })
        .filter_map(|d| resolver.load(text(d, "name")).ok())
        .collect()
}

#[test]
fn generated_code_is_up_to_date() {
    let formats = valid_formats(&cases());
    assert_eq!(formats.len(), 74);
    let fresh = vellum_dataformat::rust_code(&formats);
    let checked_in = include_str!("generated/corpus.rs");
    assert!(
        fresh == checked_in,
        "tests/generated/corpus.rs is stale: run cargo xtask codegen dataformat (see docs/beat.md)"
    );
}

#[test]
fn generated_code_packs_like_the_dynamic_path() {
    let cases = cases();
    let formats = valid_formats(&cases);
    assert_eq!(corpus::FORMATS.len(), formats.len());
    // Defaults of every format.
    for f in &formats {
        let dynamic = f.pack(&Object::default_of(f).unwrap()).unwrap();
        assert_eq!(
            corpus::pack_default(f.name()),
            Some(dynamic),
            "{}",
            f.name()
        );
    }
    // Every value case the dynamic path packs: the generated struct reads
    // those bytes and packs them back identically.
    let mut checked = 0;
    for v in items(&cases, "values") {
        let Some(f) = formats.iter().find(|f| f.name() == text(v, "format")) else {
            continue;
        };
        let conversion = match text(v, "mode") {
            "safe" => Conversion::VALIDATE,
            "safe_defaults" => Conversion::SAFE_DEFAULTS,
            "unsafe" => Conversion::CONSTRUCT,
            _ => continue,
        };
        let Ok(object) = f.from_json(v.get("input").unwrap_or(&Json::Null), conversion) else {
            continue;
        };
        let bytes = f.pack(&object).unwrap();
        let repacked = corpus::repack(f.name(), &bytes)
            .expect("generated")
            .expect("unpacks");
        assert_eq!(repacked, bytes, "{}", text(v, "id"));
        checked += 1;
    }
    assert!(checked > 400, "only {checked} value cases");
}
