//! BEAT declarations: any text (and any value after a NUL byte) must load,
//! convert, pack and unpack without panicking; whatever packs must unpack
//! to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_dataformat::{Conversion, Format, Object, Registry, Resolver};
use vellum_format_core::Bytes;

fn round_trip(format: &std::sync::Arc<Format>, object: &Object) {
    let bytes = format.pack(object).expect("an object packs with its own format");
    let back = format
        .unpack(&Bytes::from(bytes.clone()))
        .expect("packed bytes unpack");
    assert_eq!(format.pack(&back).expect("repack"), bytes);
    // JSON of a large default array is legitimately large: keep runs fast.
    if bytes.len() < 1 << 16 {
        let _ = object.to_platform_json();
        let _ = object.to_json();
    }
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (decl, value) = data.split_at(split);
    let Ok(decl) = std::str::from_utf8(decl) else {
        return;
    };
    let _ = vellum_dataformat::declaration_hash(decl);
    let mut reg = Registry::new();
    reg.insert("fz/main/1", decl);
    reg.insert("fz/point/1", r#"{"x": "float64", "y": "float32"}"#);
    reg.insert("fz/base/1", r#"{"id": "uint32", "name": "string", "v": [0, 2, "int8"]}"#);
    reg.insert("fz/empty/1", "{}");
    let Ok(format) = Resolver::new(&reg).load("fz/main/1") else {
        return;
    };
    if let Ok(object) = Object::default_of(&format) {
        round_trip(&format, &object);
    }
    let Ok(text) = std::str::from_utf8(value.get(1..).unwrap_or(&[])) else {
        return;
    };
    for conversion in [Conversion::VALIDATE, Conversion::SAFE_DEFAULTS, Conversion::CONSTRUCT] {
        if let Ok(object) = format.from_json_text(text, conversion) {
            round_trip(&format, &object);
        }
    }
});
