//! Arbitrary bytes as an MXNet RecordIO file: framing, chunk joining and
//! `IRHeader` unpacking must fail cleanly; what reads writes back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_records::{Bytes, IrHeader, RecordIoReader, RecordIoWriter, parse_recordio_index};

fuzz_target!(|data: &[u8]| {
    let reader = RecordIoReader::from_bytes(Bytes::copy_from_slice(data));
    for r in reader.iter().flatten() {
        assert!(r.payload.len() <= data.len());
        let _ = IrHeader::unpack(&r.payload);
        // Whatever we read, we write as a valid file that reads back the same.
        let mut w = RecordIoWriter::new(Vec::new());
        w.write(&r.payload).expect("in-memory write");
        let file = w.into_inner().expect("in-memory flush");
        let back = RecordIoReader::from_bytes(file.into());
        let again = back.iter().next().expect("one record").expect("valid record");
        assert_eq!(again.payload, r.payload);
    }
    let _ = IrHeader::unpack(&Bytes::copy_from_slice(data));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_recordio_index(text);
    }
});
