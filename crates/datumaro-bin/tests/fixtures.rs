//! DatumaroBinary against the reference fixtures written by datumaro
//! 1.13.12 and 1.11.1 (`tests/fixtures/datumaro`): our re-export of every
//! plain file is byte-identical to datumaro's, and hostile edits of a real
//! file give errors, never panics.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use vellum_datumaro::{
    AnnotationKind, DatumReader, ExportOptions, Media, ReadOptions, TypeCodes, WriteOptions,
    read_datumaro_binary, write_datumaro_binary,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/datumaro")
}

fn expected(case: &str) -> serde_json::Value {
    let p = fixtures().join(case).join("expected.json");
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

const PLAIN: [&str; 10] = [
    "all_annotation_types",
    "attribute_value_types",
    "basic_image",
    "external_media_paths",
    "legacy_1_11_plain",
    "multi_blob",
    "no_media",
    "point_cloud",
    "video",
    "video_frames",
];

#[test]
fn reexport_is_byte_identical_to_datumaro() {
    for case in PLAIN {
        let root = fixtures().join(case).join("datumaro_binary");
        let ds = read_datumaro_binary(&root, &ReadOptions::default()).unwrap();
        let exp = expected(case);
        let case_info: serde_json::Value = serde_json::from_slice(
            &std::fs::read(fixtures().join(case).join("case.json")).unwrap(),
        )
        .unwrap();
        let max_blob_size = case_info["export_options"]["max_blob_size"]
            .as_u64()
            .map_or(1 << 20, |v| v as usize);
        let legacy = case.starts_with("legacy");
        let tmp = tempfile::tempdir().unwrap();
        let opts = ExportOptions {
            save_media: case_info["export_options"]["save_media"] == true,
            binary: WriteOptions {
                max_blob_size,
                media_encryption: legacy,
                type_codes: if legacy {
                    TypeCodes::Legacy
                } else {
                    TypeCodes::Modern
                },
                ..WriteOptions::default()
            },
            ..ExportOptions::default()
        };
        let report = write_datumaro_binary(&ds, tmp.path(), &opts).unwrap();
        assert_eq!(report.items, ds.item_count());
        for (file, layout) in exp["layout"].as_object().unwrap() {
            let ours = std::fs::read(tmp.path().join(file)).unwrap();
            let sha: String = Sha256::digest(&ours)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(sha, layout["sha256"].as_str().unwrap(), "{case}/{file}");
            let count = layout["item_count"].as_u64().unwrap() as usize;
            let r = DatumReader::open(root.join(file), &ReadOptions::default()).unwrap();
            assert_eq!(r.items().count(), count, "{case}/{file}");
        }
    }
}

#[test]
fn legacy_cuboid_2d_type_16_reads() {
    let root = fixtures().join("legacy_1_11_plain/datumaro_binary");
    let ds = read_datumaro_binary(&root, &ReadOptions::default()).unwrap();
    assert!(
        ds.items()
            .flat_map(|i| &i.annotations)
            .any(|a| matches!(a.kind, AnnotationKind::Cuboid2d { .. }))
    );
}

#[test]
fn media_records_read_as_datumaro_wrote_them() {
    let ds = read_datumaro_binary(
        &fixtures().join("video/datumaro_binary"),
        &ReadOptions::default(),
    )
    .unwrap();
    let media: Vec<_> = ds.items().map(|i| i.media.clone().unwrap()).collect();
    assert_eq!(
        media[0],
        Media::Video {
            path: "clips/a.mp4".into(),
            step: 1,
            start_frame: 0,
            end_frame: None
        }
    );
    assert_eq!(
        media[1],
        Media::Video {
            path: "clips/b.mp4".into(),
            step: 2,
            start_frame: 10,
            end_frame: Some(50)
        }
    );
}

#[test]
fn parallel_and_streaming_reads_agree() {
    let path = fixtures().join("multi_blob/datumaro_binary/annotations/train.datum");
    for backend in [
        vellum_format_core::Backend::Read,
        vellum_format_core::Backend::Mmap,
    ] {
        let opts = ReadOptions {
            backend,
            ..ReadOptions::default()
        };
        let r = DatumReader::open(&path, &opts).unwrap();
        let streamed: Vec<_> = r.items().collect::<Result<_, _>>().unwrap();
        assert_eq!(streamed, r.read_all().unwrap());
        let mut batched = Vec::new();
        r.for_each_blob(3, |b| {
            batched.extend(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(streamed, batched);
        assert_eq!(streamed.len(), 40);
    }
}

#[test]
fn for_each_blob_keeps_file_order_and_stops_at_the_first_error() {
    let src = fixtures().join("multi_blob/datumaro_binary/annotations/train.datum");
    let r = DatumReader::open(&src, &ReadOptions::default()).unwrap();
    let blobs: Vec<Vec<_>> = (0..r.blob_count())
        .map(|i| r.read_blob(i).unwrap())
        .collect();
    assert!(blobs.len() >= 4, "the fixture needs several blobs");
    let collect = |r: &DatumReader, workers: usize| {
        let mut got = Vec::new();
        let res = r.for_each_blob(workers, |b| {
            got.push(b);
            Ok(())
        });
        (got, res)
    };
    // Every worker count, on the global pool, on a one-thread pool and from
    // inside a pool, hands the same blobs in file order.
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    for workers in [0, 1, 2, 3, 8] {
        let (got, res) = collect(&r, workers);
        res.unwrap();
        assert_eq!(got, blobs, "{workers} workers");
        let (got, res) = one.install(|| collect(&r, workers));
        res.unwrap();
        assert_eq!(got, blobs, "{workers} workers on one thread");
        let (got, res) = three.install(|| collect(&r, workers));
        res.unwrap();
        assert_eq!(got, blobs, "{workers} workers inside a pool");
        let (got, res) = three.in_place_scope(|_| collect(&r, workers));
        res.unwrap();
        assert_eq!(got, blobs, "{workers} workers beside a pool");
    }
    // `map` runs on the workers, its results come in file order, and its
    // first error stops the walk.
    let lens: Vec<usize> = blobs.iter().map(Vec::len).collect();
    let stop_at = blobs[2][0].id.clone();
    for workers in [1, 2, 3, 8] {
        let mut got = Vec::new();
        r.map_blobs(
            workers,
            |b| Ok(b.len()),
            |n| {
                got.push(n);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, lens, "{workers} workers");
        let mut got = Vec::new();
        let res = r.map_blobs(
            workers,
            |b| {
                if b[0].id == stop_at {
                    return Err(vellum_datumaro::Error::KeyRequired);
                }
                Ok(b.len())
            },
            |n| {
                got.push(n);
                Ok(())
            },
        );
        assert!(matches!(res, Err(vellum_datumaro::Error::KeyRequired)));
        assert_eq!(got, lens[..2], "{workers} workers");
    }
    // An error of `f` stops the walk: nothing after it is handed over.
    for workers in [1, 3] {
        let mut seen = 0;
        let res = r.for_each_blob(workers, |_| {
            seen += 1;
            if seen == 2 {
                return Err(vellum_datumaro::Error::KeyRequired);
            }
            Ok(())
        });
        assert!(matches!(res, Err(vellum_datumaro::Error::KeyRequired)));
        assert_eq!(seen, 2, "{workers} workers");
    }
    // A broken blob: the blobs before it arrive in order, then its error,
    // naming the blob.
    let bytes = std::fs::read(&src).unwrap();
    let sizes = &r.header().blob_sizes;
    let bad = 2;
    let start = bytes.len() - sizes[bad..].iter().map(|&s| s as usize).sum::<usize>();
    let mut broken = bytes.clone();
    broken[start..start + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("train.datum");
    std::fs::write(&path, &broken).unwrap();
    let r = DatumReader::open(&path, &ReadOptions::default()).unwrap();
    for workers in [1, 2, 3, 8] {
        let (got, res) = collect(&r, workers);
        assert_eq!(got, blobs[..bad], "{workers} workers");
        let e = res.unwrap_err();
        assert!(
            matches!(e, vellum_datumaro::Error::InItem { blob, index: 0, .. } if blob == bad),
            "{e}"
        );
    }
}

#[test]
fn truncated_and_corrupted_files_are_errors_naming_file_and_offset() {
    let src = fixtures().join("all_annotation_types/datumaro_binary/annotations/train.datum");
    let bytes = std::fs::read(&src).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("train.datum");
    // Every truncation.
    for n in (0..bytes.len()).step_by(3) {
        std::fs::write(&path, &bytes[..n]).unwrap();
        let res = DatumReader::open(&path, &ReadOptions::default()).and_then(|r| r.read_all());
        let e = res.expect_err("a truncated file must not read");
        assert!(e.to_string().contains("train.datum"), "{e}");
    }
    // Every single-byte flip reads or errs, never panics; flips inside the
    // blob name the item.
    let blob_start = bytes.len() - 928;
    for i in (0..bytes.len()).step_by(3) {
        let mut b = bytes.clone();
        b[i] ^= 0xa5;
        std::fs::write(&path, &b).unwrap();
        let res = DatumReader::open(&path, &ReadOptions::default()).and_then(|r| r.read_all());
        if let Err(e) = res {
            let text = e.to_string();
            assert!(text.contains("train.datum"), "{text}");
            if i >= blob_start {
                assert!(text.contains("item #"), "{text}");
            }
        }
    }
}

const KEY: &str = "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=";

#[test]
fn encrypted_1_11_fixtures_read_with_the_key_and_refuse_without() {
    use vellum_datumaro::{Cipher, Error};
    for case in [
        "legacy_1_11_encrypted",
        "legacy_1_11_encrypted_no_media_enc",
    ] {
        let root = fixtures().join(case).join("datumaro_binary");
        let err = read_datumaro_binary(&root, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&err, Error::InFile { inner, .. } if matches!(**inner, Error::KeyRequired)),
            "{err}"
        );
        let wrong = ReadOptions {
            cipher: Some(Cipher::generate_datumaro()),
            ..ReadOptions::default()
        };
        assert!(read_datumaro_binary(&root, &wrong).is_err());
        let opts = ReadOptions {
            cipher: Some(Cipher::from_key(KEY).unwrap()),
            ..ReadOptions::default()
        };
        let ds = read_datumaro_binary(&root, &opts).unwrap();
        assert_eq!(ds.item_count(), 4, "{case}");
        let exp = expected(case);
        let first = &exp["subsets"]["train"]["items"][0];
        let item = &ds.subsets[0].items[0];
        assert_eq!(item.id, first["id"].as_str().unwrap());
        assert_eq!(
            item.annotations.len(),
            first["annotations"].as_array().unwrap().len()
        );
        assert!(matches!(
            ds.subsets[0].items[0].media,
            Some(Media::Image(_))
        ));
    }
}

#[test]
fn encrypted_exports_round_trip_in_both_schemes_and_differ_from_plain() {
    use vellum_datumaro::Cipher;
    let root = fixtures().join("multi_blob/datumaro_binary");
    let ds = read_datumaro_binary(&root, &ReadOptions::default()).unwrap();
    for cipher in [Cipher::generate_datumaro(), Cipher::generate_sealed()] {
        let tmp = tempfile::tempdir().unwrap();
        let opts = ExportOptions {
            binary: WriteOptions {
                max_blob_size: 4096,
                cipher: Some(cipher.clone()),
                ..WriteOptions::default()
            },
            ..ExportOptions::default()
        };
        write_datumaro_binary(&ds, tmp.path(), &opts).unwrap();
        assert_eq!(
            tmp.path().join("secret_key.txt").exists(),
            cipher.datumaro_compatible()
        );
        let bytes = std::fs::read(tmp.path().join("annotations/train.datum")).unwrap();
        assert!(
            !bytes.windows(9).any(|w| w == b"frames/tr"),
            "plaintext leaked"
        );
        let ropts = ReadOptions {
            cipher: Some(cipher),
            ..ReadOptions::default()
        };
        let mut back = read_datumaro_binary(tmp.path(), &ropts).unwrap();
        back.media_root = ds.media_root.clone();
        assert_eq!(back, ds);
        let other = ReadOptions {
            cipher: Some(Cipher::generate_sealed()),
            ..ReadOptions::default()
        };
        assert!(read_datumaro_binary(tmp.path(), &other).is_err());
    }
}

#[test]
fn dataset_meta_supplies_missing_categories() {
    use vellum_datumaro::{Categories, Dataset, Item, LabelCategories, MaskCategories, MaskColor};
    let mut ds = Dataset::default();
    ds.categories.label = Some(LabelCategories::from_names(["background", "cat"]));
    ds.categories.mask = Some(MaskCategories {
        colormap: vec![
            MaskColor {
                label_id: 0,
                rgb: [0, 0, 0],
            },
            MaskColor {
                label_id: 1,
                rgb: [10, 20, 30],
            },
        ],
    });
    ds.push(Item::new("a", "train"));
    let tmp = tempfile::tempdir().unwrap();
    let opts = ExportOptions {
        save_dataset_meta: true,
        ..ExportOptions::default()
    };
    write_datumaro_binary(&ds, tmp.path(), &opts).unwrap();
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("dataset_meta.json")).unwrap())
            .unwrap();
    assert_eq!(meta["labels"], serde_json::json!(["background", "cat"]));
    assert_eq!(meta["background_label"], "0");
    // A file without categories takes them from dataset_meta.json.
    let mut bare = ds.clone();
    bare.categories = Categories::default();
    let tmp2 = tempfile::tempdir().unwrap();
    write_datumaro_binary(&bare, tmp2.path(), &ExportOptions::default()).unwrap();
    std::fs::copy(
        tmp.path().join("dataset_meta.json"),
        tmp2.path().join("dataset_meta.json"),
    )
    .unwrap();
    let back = read_datumaro_binary(tmp2.path(), &ReadOptions::default()).unwrap();
    assert_eq!(back.categories, ds.categories);
}

#[test]
fn truncated_json_and_coco_documents_are_errors_naming_the_file() {
    use vellum_datumaro::{read_coco, read_datumaro_json};
    let case = fixtures().join("all_annotation_types");
    for (kind, rel) in [
        ("datumaro", "datumaro_json/annotations/train.json"),
        ("coco", "coco/annotations/instances_train.json"),
    ] {
        let bytes = std::fs::read(case.join(rel)).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let ann = tmp.path().join("annotations");
        std::fs::create_dir_all(&ann).unwrap();
        let name = Path::new(rel).file_name().unwrap();
        for n in (0..bytes.len()).step_by(97) {
            std::fs::write(ann.join(name), &bytes[..n]).unwrap();
            let res = if kind == "coco" {
                read_coco(tmp.path())
            } else {
                read_datumaro_json(tmp.path())
            };
            let e = res.expect_err("a truncated document must not read");
            assert!(e.to_string().contains(name.to_str().unwrap()), "{e}");
        }
    }
}

/// A Fernet-encrypted or sealed file reads back to the same items whether
/// its blobs were encrypted on one worker or several, written to a file or
/// built in memory, with many small blobs and a few large ones (larger than
/// a sealed stream's 64 KiB chunk).
#[test]
fn encrypted_files_read_back_for_every_worker_count_and_output() {
    use vellum_datumaro::{Cipher, DatumWriter};
    let root = fixtures().join("multi_blob/datumaro_binary");
    let ds = read_datumaro_binary(&root, &ReadOptions::default()).unwrap();
    let subset = &ds.subsets[0];
    // Forty items made many times over, so that blobs outgrow a chunk.
    let items: Vec<_> = (0..40)
        .flat_map(|k| {
            subset.items.iter().map(move |i| {
                let mut i = i.clone();
                i.id = format!("{}_{k}", i.id);
                i
            })
        })
        .collect();
    for (cipher, threads) in [
        (Cipher::generate_datumaro(), 1),
        (Cipher::generate_datumaro(), 3),
        (Cipher::generate_sealed(), 1),
        (Cipher::generate_sealed(), 3),
    ] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        for max_blob_size in [64, 200_000] {
            let writer = || {
                let mut w = DatumWriter::new(
                    ds.infos.clone(),
                    ds.categories.clone(),
                    ds.media_type,
                    WriteOptions {
                        max_blob_size,
                        cipher: Some(cipher.clone()),
                        ..WriteOptions::default()
                    },
                );
                w.extend_par(&items).unwrap();
                w
            };
            let tmp = tempfile::tempdir().unwrap();
            let ann = tmp.path().join("annotations");
            std::fs::create_dir_all(&ann).unwrap();
            let file = ann.join(format!("{}.datum", subset.name));
            let in_memory = pool.install(|| writer().finish().unwrap());
            let written = pool.install(|| writer().write_to(&file).unwrap());
            assert_eq!(written, in_memory.len() as u64);
            let ropts = ReadOptions {
                cipher: Some(cipher.clone()),
                ..ReadOptions::default()
            };
            for bytes in [std::fs::read(&file).unwrap(), in_memory] {
                std::fs::write(&file, &bytes).unwrap();
                let back = read_datumaro_binary(tmp.path(), &ropts).unwrap();
                assert!(
                    back.subsets[0].items == items,
                    "fernet {}, {threads} threads, {max_blob_size}",
                    cipher.datumaro_compatible()
                );
            }
        }
    }
}

/// A plain file's bytes do not depend on the number of workers, on how the
/// items were appended (one by one, in parallel, or both in turns) or on
/// whether it is written to a file (each worker's records at their place)
/// or built in memory (byte identity with datumaro is the conformance
/// run's).
#[test]
fn plain_files_are_the_same_bytes_for_every_worker_count_and_output() {
    use vellum_datumaro::DatumWriter;
    let root = fixtures().join("multi_blob/datumaro_binary");
    let ds = read_datumaro_binary(&root, &ReadOptions::default()).unwrap();
    let items = &ds.subsets[0].items;
    let tmp = tempfile::tempdir().unwrap();
    for max_blob_size in [64, 1000, 1 << 20] {
        let writer = || {
            DatumWriter::new(
                ds.infos.clone(),
                ds.categories.clone(),
                ds.media_type,
                WriteOptions {
                    max_blob_size,
                    ..WriteOptions::default()
                },
            )
        };
        let mut one_by_one = writer();
        for item in items {
            one_by_one.push(item).unwrap();
        }
        let expected = one_by_one.finish().unwrap();
        for threads in [1, 2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (a, b) = items.split_at(items.len() / 3);
            let (b, c) = b.split_at(1);
            let fills: [&(dyn Fn(&mut DatumWriter) + Sync); 2] =
                [&|w| w.extend_par(items).unwrap(), &|w| {
                    w.extend_par(a).unwrap();
                    w.push(&b[0]).unwrap();
                    w.extend_par(c).unwrap();
                }];
            for (k, fill) in fills.iter().enumerate() {
                let file = tmp
                    .path()
                    .join(format!("{max_blob_size}_{threads}_{k}.datum"));
                let (in_memory, written) = pool.install(|| {
                    let mut w = writer();
                    fill(&mut w);
                    let in_memory = w.finish().unwrap();
                    let mut w = writer();
                    fill(&mut w);
                    (in_memory, w.write_to(&file).unwrap())
                });
                let what = format!("{threads} threads, blobs of {max_blob_size}, fill {k}");
                assert!(in_memory == expected, "{what}: in memory");
                assert!(std::fs::read(&file).unwrap() == expected, "{what}: file");
                assert_eq!(written, expected.len() as u64, "{what}");
            }
        }
    }
}
