//! BEAT unpack: any bytes, for formats covering every field kind, must
//! unpack or fail cleanly; whatever unpacks packs back to the same bytes.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use vellum_dataformat::{Format, Registry, Resolver, Tolerance};
use vellum_format_core::Bytes;

const DECLARATIONS: &[(&str, &str)] = &[
    ("fz/point/1", r#"{"x": "float64", "y": "float32"}"#),
    (
        "fz/all/1",
        r#"{"b": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
            "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
            "f32": "float32", "f64": "float64", "c64": "complex64", "c128": "complex128",
            "s": "string"}"#,
    ),
    (
        "fz/arrays/1",
        r#"{"a": [0, "float32"], "b": [2, 0, "uint8"], "c": [0, "string"], "d": [0, "bool"],
            "e": [0, 3, 0, 1, 2, "complex64"], "p": [0, "fz/point/1"]}"#,
    ),
    (
        "fz/nested/1",
        r##"{"#extends": "fz/point/1", "o": {"t": {"n": "string", "f": "bool"}, "k": [0, {}]},
            "rows": [0, {"vals": [0, "int16"], "label": "string"}]}"##,
    ),
    ("fz/image/1", r#"{"img": [4, 4, "uint8"]}"#),
];

fn formats() -> &'static [Arc<Format>] {
    static FORMATS: OnceLock<Vec<Arc<Format>>> = OnceLock::new();
    FORMATS.get_or_init(|| {
        let mut reg = Registry::new();
        for (name, text) in DECLARATIONS {
            reg.insert(*name, *text);
        }
        let resolver = Resolver::new(reg);
        DECLARATIONS
            .iter()
            .map(|(name, _)| resolver.load(name).expect("fuzz formats are valid"))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let formats = formats();
    let format = &formats[usize::from(pick) % formats.len()];
    let bytes = Bytes::copy_from_slice(rest);
    if let Ok(object) = format.unpack(&bytes) {
        assert_eq!(format.pack(&object).expect("repack"), rest);
        let _ = object.to_platform_json();
        let _ = object.isclose(&object, Tolerance::default());
    }
    if let Ok((object, used)) = format.unpack_prefix(&bytes) {
        assert_eq!(format.pack(&object).expect("repack"), &rest[..used]);
    }
});
