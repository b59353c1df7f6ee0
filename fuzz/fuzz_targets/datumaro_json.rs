//! Any bytes as a Datumaro JSON subset document: the reader (its scanner
//! and number parsing) must return the items or an error naming the file,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = std::path::Path::new("fuzz.json");
    if let Err(e) = vellum_datumaro::parse_datumaro_json(file, data, "default") {
        assert!(e.to_string().contains("fuzz.json"), "{e}");
    }
});
