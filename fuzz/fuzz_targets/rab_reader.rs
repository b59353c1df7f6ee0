//! Feeds arbitrary bytes to the RAB reader, as a whole file or (to reach the
//! YAML parser faster) as a header text behind a valid prefix, then reads
//! every dataset every way. No input may panic or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vellum_format_core::Limits;
use vellum_rab::{DatasetKind, RabReader};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        // rest = header text, then 64 bytes of payload
        let split = rest.len().saturating_sub(64);
        let (header, payload) = rest.split_at(split);
        let mut f = b"rab".to_vec();
        f.extend_from_slice(&(header.len() as u32).to_le_bytes());
        f.extend_from_slice(header);
        f.extend_from_slice(payload);
        f
    };
    let limits = Limits {
        max_header: 1 << 20,
        max_alloc: 1 << 24,
    };
    let Ok(r) = RabReader::from_bytes_with(file.into(), limits) else {
        return;
    };
    let names: Vec<String> = r.names().map(str::to_owned).collect();
    for name in &names {
        let Ok(d) = r.dataset(name) else { continue };
        let _ = r.stored(name);
        let _ = r.payload(name);
        let _ = r.stored_range(name, u64::from(mode), 3);
        match d.kind().clone() {
            DatasetKind::Text => drop(r.text(name)),
            DatasetKind::Bytes | DatasetKind::Unknown(_) => drop(r.bytes(name)),
            DatasetKind::Object => drop(r.object(name)),
            DatasetKind::DataFrame => drop(r.dataframe(name)),
            DatasetKind::Array(_) => {
                let shape = d.shape().to_vec();
                let last: Vec<u64> = shape.iter().map(|s| s.saturating_sub(1)).collect();
                let _ = r.element(name, &last);
                let _ = r.element(name, &vec![0; shape.len()]);
                let _ = r.element(name, &[u64::from(mode)]);
                if let Ok(a) = r.array(name) {
                    let _ = a.numbers();
                }
            }
            _ => {}
        }
    }
    let _ = r.verify();
});
