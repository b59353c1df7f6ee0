//! The DSRecords API beyond the fixtures: bounds, removal kinds, append
//! after remove, defrag, checksum sidecars, threads, shards and backends.

use vellum_format_core::Backend;
use vellum_records::{
    ChecksumKind, Dataset, DatasetWriter, Error, OpenOptions, ProblemKind, Schema, ShardedDataset,
    Value, WriteOptions, checksum_path_for, verify, write_all, write_all_with, write_manifest,
};

fn letters(n: u8) -> Vec<[Vec<u8>; 1]> {
    (0..n).map(|i| [vec![b'a' + i; i as usize + 1]]).collect()
}

fn field0(ds: &Dataset) -> Vec<Vec<u8>> {
    ds.iter()
        .map(|r| r.unwrap().field(0).unwrap().to_vec())
        .collect()
}

#[test]
fn every_index_is_bounds_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.rec");
    write_all(&path, letters(3)).unwrap();
    let ds = Dataset::open(&path, 1).unwrap();
    assert!(matches!(
        ds.get(3),
        Err(Error::IndexOutOfRange { index: 3, count: 3 })
    ));
    assert!(matches!(
        ds.get(usize::MAX),
        Err(Error::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        ds.get_field(0, 1),
        Err(Error::FieldOutOfRange { .. })
    ));
    assert!(ds.range(1..4).is_err());
    assert_eq!(ds.range(1..3).unwrap().count(), 2);
    // A reader expecting more fields than were written fails cleanly.
    let wrong = Dataset::open(&path, 9).unwrap();
    assert!(wrong.get(0).is_err());
}

#[test]
fn removals_and_append_after_remove() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.rec");
    write_all(&path, letters(5)).unwrap();
    let mut w = DatasetWriter::open(&path, WriteOptions::default()).unwrap();
    w.remove_swap(1).unwrap(); // e moves into slot 1
    w.remove(0).unwrap(); // order kept: e, c, d
    // The reference would write this slot after the stale tail and lose
    // the record (spec §3.4); ours lands right after the live slots.
    w.append(&[b"new"]).unwrap();
    w.finish().unwrap();
    let ds = Dataset::open(&path, 1).unwrap();
    assert_eq!(
        field0(&ds),
        [
            b"eeeee".to_vec(),
            b"ccc".to_vec(),
            b"dddd".to_vec(),
            b"new".to_vec()
        ]
    );
    assert!(verify(&path, 1, None).unwrap().is_ok());

    let out = dir.path().join("defrag.rec");
    ds.defrag(&out, WriteOptions::default()).unwrap();
    let d2 = Dataset::open(&out, 1).unwrap();
    assert_eq!(field0(&d2), field0(&ds));
    assert!(d2.stale_tail().is_empty());
    assert_eq!(d2.data().len(), 1024 + 4 * 8 + 5 + 3 + 4 + 3);

    let mut w = DatasetWriter::open(&path, WriteOptions::default()).unwrap();
    w.compact_index().unwrap();
    drop(w);
    let ds = Dataset::open(&path, 1).unwrap();
    assert!(ds.stale_tail().is_empty());
    assert_eq!(ds.len(), 4);
}

#[test]
fn checksum_sidecars_catch_bit_rot_and_leave_the_files_identical() {
    for kind in [ChecksumKind::Crc32c, ChecksumKind::Blake3] {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.rec");
        let summed = dir.path().join("summed.rec");
        write_all(&plain, letters(8)).unwrap();
        let opts = WriteOptions {
            checksums: Some(kind),
            ..WriteOptions::default()
        };
        write_all_with(&summed, letters(8), opts.clone()).unwrap();
        assert_eq!(
            std::fs::read(&plain).unwrap(),
            std::fs::read(&summed).unwrap()
        );
        assert!(checksum_path_for(&summed).exists());
        let r = verify(&summed, 1, None).unwrap();
        assert!(r.is_ok());
        assert_eq!(r.checksums_ok, 8);

        // An update in place gets a new checksum.
        let mut w = DatasetWriter::open(&summed, opts).unwrap();
        w.update(2, &[b"Z"]).unwrap();
        w.finish().unwrap();
        assert_eq!(verify(&summed, 1, None).unwrap().checksums_ok, 8);

        let mut bytes = std::fs::read(&summed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x20;
        std::fs::write(&summed, bytes).unwrap();
        let r = verify(&summed, 1, None).unwrap();
        assert_eq!(r.problems.len(), 1, "{kind}");
        assert_eq!(r.problems[0].kind, ProblemKind::ChecksumMismatch);
        assert_eq!(r.problems[0].index, Some(7));
    }
}

#[test]
fn readers_are_shared_across_threads_and_backends_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.rec");
    let schema: Schema = "i32,str".parse().unwrap();
    let mut w = DatasetWriter::create(&path, WriteOptions::default()).unwrap();
    for i in 0..500 {
        w.append_values(&schema, &[Value::Int(i), format!("#{i}").into()])
            .unwrap();
    }
    w.finish().unwrap();
    let read = Dataset::open(&path, 2).unwrap();
    let mapped = Dataset::open_with(&path, 2, &OpenOptions::with_backend(Backend::Mmap)).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let ds = read.clone();
            std::thread::spawn(move || {
                (t..500)
                    .step_by(4)
                    .filter(|&i| ds.get_field(i, 1).unwrap() == format!("#{i}").as_bytes())
                    .count()
            })
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 500);
    use rayon::prelude::*;
    let sum: i64 = mapped
        .par_iter()
        .map(|r| r.unwrap().decode(&schema).unwrap()[0].as_i64().unwrap())
        .sum();
    assert_eq!(sum, (0..500).sum::<i64>());
    assert_eq!(read.get(42).unwrap(), mapped.get(42).unwrap());
}

#[test]
fn sharded_datasets_read_as_one() {
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path().join("a.rec"), letters(3)).unwrap();
    write_all(dir.path().join("b.rec"), Vec::<[Vec<u8>; 1]>::new()).unwrap();
    write_all(dir.path().join("c.rec"), letters(2)).unwrap();
    let m = dir.path().join("m.shards");
    write_manifest(&m, &["a.rec", "b.rec", "c.rec"], 1).unwrap();
    let ds = ShardedDataset::open(&m, 1).unwrap();
    assert_eq!(ds.len(), 5);
    assert_eq!(ds.get(3).unwrap().field(0), Some(&b"a"[..]));
    assert!(ds.get(5).is_err());
    assert_eq!(ds.iter().count(), 5);
    // A manifest whose count disagrees with a shard is refused.
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replace("3\ta.rec", "4\ta.rec");
    std::fs::write(&m, text).unwrap();
    assert!(ShardedDataset::open(&m, 1).is_err());
}
