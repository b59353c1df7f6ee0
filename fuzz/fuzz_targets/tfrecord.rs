//! Arbitrary bytes as a TFRecord file: framing (strict and skipping
//! corrupt records) and `tf.train.Example` decoding must fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_records::{Bytes, Example, TfRecordReader, parse_tfindex};

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    let strict = TfRecordReader::from_bytes(bytes.clone());
    for r in strict.iter().flatten() {
        if let Ok(ex) = Example::decode(&r.payload) {
            // A decoded example re-encodes and decodes to itself.
            let again = Example::decode(&Bytes::from(ex.encode())).expect("re-encoded example");
            assert_eq!(again.features.len(), ex.features.len());
        }
    }
    let lenient = TfRecordReader::from_bytes(bytes.clone()).skip_corrupt(true);
    let mut it = lenient.iter();
    let kept = it.by_ref().filter(|r| r.is_ok()).count();
    assert!(kept as u64 * 16 <= data.len() as u64);
    assert!(it.skipped_bytes() <= data.len() as u64);
    let unchecked = TfRecordReader::from_bytes(bytes.clone()).verify_crc(false);
    let _ = unchecked.iter().count();
    let _ = Example::decode(&bytes);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_tfindex(text);
    }
});
