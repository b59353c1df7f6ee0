//! Differential fuzzing of the RAB header's two YAML readers: wherever the
//! fast path (PyYAML-shaped block YAML) answers, the general path
//! (serde-saphyr's parser with PyYAML's resolver) must read the same value.
//! Seed it with real headers (`tests/fixtures/rab`, the bytes after the
//! 7-byte prefix) so it starts inside the fast subset.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some((fast, general)) = vellum_rab::yaml_paths(text) {
        match general {
            Ok(g) => assert_eq!(
                format!("{fast:?}"),
                format!("{g:?}"),
                "the paths differ on {text:?}"
            ),
            Err(e) => panic!("fast path accepted what the general path refuses ({e}): {text:?}"),
        }
    }
});
