//! The writer's payload paths: small payloads held in memory, large ones
//! spooled to disk, files added by path copied at write time, arrays
//! written from their own buffer; and what `write` refuses.

use std::io::Write;

use vellum_rab::{Array, Compression, DatasetOptions, RabReader, RabWriter};

/// Deterministic bytes that do not compress to nothing.
fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect()
}

#[test]
fn payloads_larger_than_the_buffers_round_trip() {
    // Larger than the 1 MiB copy and spool chunks, and not a multiple.
    let data = noise((3 << 20) + 12_345);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("raw.bin");
    std::fs::write(&src, &data).unwrap();
    let values: Vec<i32> = (0..300_000).collect();
    let array = Array::from_elements(&[300, 1000], &values).unwrap();
    for checksums in [false, true] {
        // A 64 KiB budget: the streamed datasets spill to the spool.
        let mut w = RabWriter::new()
            .with_checksums(checksums)
            .memory_budget(64 << 10)
            .without_fsync();
        w.add_text("small", "held in memory", DatasetOptions::new())
            .unwrap();
        w.add_file("file", &src, vellum_rab::Value::Null).unwrap();
        w.add_bytes_from_reader("streamed", &data[..], DatasetOptions::new())
            .unwrap();
        w.add_bytes_from_reader(
            "zlib",
            &data[..],
            DatasetOptions::new().compression(Compression::Zlib),
        )
        .unwrap();
        w.add_bytes(
            "zstd",
            &data,
            DatasetOptions::new().compression(Compression::Zstd),
        )
        .unwrap();
        w.add_array("array", &array, DatasetOptions::new()).unwrap();
        w.add_text("last", "after the large ones", DatasetOptions::new())
            .unwrap();
        let out = dir.path().join(format!("out{checksums}.rab"));
        w.write(&out).unwrap();

        let r = RabReader::open(&out).unwrap();
        assert!(r.verify().is_empty(), "{:?}", r.verify());
        for name in ["file", "streamed", "zlib", "zstd"] {
            assert!(r.payload(name).unwrap()[..] == data[..], "{name}");
        }
        assert_eq!(r.text("small").unwrap(), "held in memory");
        assert_eq!(r.text("last").unwrap(), "after the large ones");
        assert_eq!(r.array("array").unwrap().to_vec::<i32>().unwrap(), values);
        assert_eq!(r.dataset("file").unwrap().checksum().is_some(), checksums);
    }
}

#[test]
fn the_memory_budget_does_not_change_the_bytes() {
    let data = noise(200_000);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for budget in [usize::MAX, 100_000, 0] {
        let mut w = RabWriter::new().memory_budget(budget).without_fsync();
        for i in 0..5 {
            let opts = if i % 2 == 0 {
                DatasetOptions::new()
            } else {
                DatasetOptions::new().compression(Compression::Zlib)
            };
            w.add_bytes(&format!("d{i}"), &data[i * 1000..], opts)
                .unwrap();
        }
        let out = dir.path().join(format!("b{budget}.rab"));
        w.write(&out).unwrap();
        files.push(std::fs::read(out).unwrap());
    }
    assert!(files[0] == files[1] && files[1] == files[2]);
}

#[test]
fn a_file_changed_after_add_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("raw.bin");
    let out = dir.path().join("out.rab");
    for checksums in [false, true] {
        std::fs::write(&src, noise(2 << 20)).unwrap();
        let mut w = RabWriter::new().with_checksums(checksums);
        w.add_file("f", &src, vellum_rab::Value::Null).unwrap();
        // Grown.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&src)
            .unwrap()
            .write_all(b"more")
            .unwrap();
        let err = w.write(&out).unwrap_err().to_string();
        assert!(err.contains("changed since it was added"), "{err}");
        assert!(!out.exists());
        // Shrunk.
        std::fs::write(&src, noise(1000)).unwrap();
        assert!(w.write(&out).is_err());
    }
    // Same length, other bytes: only a checksum can tell.
    std::fs::write(&src, noise(5000)).unwrap();
    let mut w = RabWriter::new().with_checksums(true);
    w.add_file("f", &src, vellum_rab::Value::Null).unwrap();
    std::fs::write(&src, vec![7u8; 5000]).unwrap();
    assert!(w.write(&out).is_err());
    assert!(!out.exists());
    // Nothing is left behind beside the target.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn a_failed_array_add_frees_its_name() {
    let mut w = RabWriter::new().memory_budget(0);
    let short = [0u8; 10];
    let dtype: vellum_format_core::DType = "<f4".parse().unwrap();
    let err = w
        .add_array_from_reader(
            "a",
            dtype,
            &[4],
            vellum_rab::Layout::C,
            &short[..],
            DatasetOptions::new(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("needs 16 bytes"), "{err}");
    assert!(w.is_empty());
    let ok = [0u8; 16];
    w.add_array_from_reader(
        "a",
        dtype,
        &[4],
        vellum_rab::Layout::C,
        &ok[..],
        DatasetOptions::new(),
    )
    .unwrap();
    assert_eq!(w.len(), 1);
}

#[cfg(unix)]
#[test]
fn the_file_gets_the_mode_of_a_plainly_created_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"x").unwrap();
    let want = std::fs::metadata(&plain).unwrap().permissions().mode();
    for w in [RabWriter::new(), RabWriter::new().without_fsync()] {
        let out = dir.path().join("out.rab");
        let mut w = w;
        w.add_text("t", "x", DatasetOptions::new()).unwrap();
        w.write(&out).unwrap();
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode(), want);
    }
}
