//! Decrypts what datumaro 1.11.1 encrypted (tests/fixtures/datumaro/
//! legacy_1_11_encrypted*): the key check, every header, every blob and the
//! encrypted media. The `.datum` layout (spec `datumaro-binary.md` §3, §7) is
//! walked minimally here; the real reader is `vellum-datumaro`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vellum_crypto::{DATUMARO_KEY_FILE, DatumaroKey, Error};
use vellum_format_core::ByteReader;

const KEY: &str = "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=";

fn case_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/datumaro")
        .join(case)
}

fn expected(case: &str) -> Value {
    let text = std::fs::read_to_string(case_dir(case).join("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A `json` field: `u32` N then N bytes of JSON, N = 0 meaning `{}`.
fn json_field(bytes: &[u8]) -> Value {
    let mut r = ByteReader::new(bytes);
    let text = r.str_u32_le("json").unwrap();
    r.expect_end("json").unwrap();
    if text.is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(text).unwrap()
    }
}

/// What one encrypted `.datum` file decrypts to.
struct Decrypted {
    version: Value,
    infos: Value,
    categories: Value,
    media_type: Value,
    blob_sizes: Vec<i32>,
    blobs: Vec<Vec<u8>>,
}

fn decrypt_datum(path: &Path, key: &DatumaroKey) -> Result<Decrypted, Error> {
    let data = std::fs::read(path).unwrap();
    let mut r = ByteReader::new(&data);
    r.expect_magic(b"signature:datumaro_binary", "signature")?;
    let version = json_field(r.bytes_u32_le("version header")?);
    let handshake = r.bytes_u32_le("encryption field")?;
    assert_eq!(handshake.len(), 164, "a 50-byte key makes a 164-byte token");
    key.check_handshake(handshake)?;
    let fernet = key.fernet();
    let infos = json_field(&fernet.decrypt(r.bytes_u32_le("infos")?)?);
    let categories = json_field(&fernet.decrypt(r.bytes_u32_le("categories")?)?);
    let media_type = json_field(&fernet.decrypt(r.bytes_u32_le("media type")?)?);
    let table = fernet.decrypt(r.bytes_u32_le("blob table")?)?;
    let mut t = ByteReader::new(&table);
    let count = t.count_u32_le(4, "blob count")?;
    let blob_sizes: Vec<i32> = (0..count)
        .map(|_| t.i32_le("blob size"))
        .collect::<Result<_, _>>()?;
    t.expect_end("blob table")?;
    let mut blobs = Vec::new();
    for &size in &blob_sizes {
        let token = r.take(usize::try_from(size).unwrap(), "blob")?;
        blobs.push(fernet.decrypt(token)?);
    }
    r.expect_end("file")?;
    Ok(Decrypted {
        version,
        infos,
        categories,
        media_type,
        blob_sizes,
        blobs,
    })
}

/// Item ids in blob order, from the first `str` of every record we can
/// locate: the first record starts the blob; the others are found by their
/// id, which must appear after the previous one.
fn check_blob_items(blob: &[u8], ids: &[&str], subset: &str) {
    let first = ByteReader::new(blob).str_u32_le("item id").unwrap();
    assert_eq!(first, ids[0]);
    let mut from = 0;
    for id in ids {
        let mut needle = (id.len() as u32).to_le_bytes().to_vec();
        needle.extend_from_slice(id.as_bytes());
        needle.extend_from_slice(&(subset.len() as u32).to_le_bytes());
        needle.extend_from_slice(subset.as_bytes());
        let at = blob[from..]
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
            .unwrap_or_else(|| panic!("item {id} not in blob"));
        from += at + needle.len();
    }
}

fn check_case(case: &str) {
    let expected = expected(case);
    let root = case_dir(case).join("datumaro_binary");
    let key_text = std::fs::read_to_string(root.join(DATUMARO_KEY_FILE)).unwrap();
    assert_eq!(
        key_text, KEY,
        "secret_key.txt holds the key without a newline"
    );
    let key = DatumaroKey::read_key_file(root.join(DATUMARO_KEY_FILE)).unwrap();
    assert_eq!(key.as_str(), KEY);

    let subsets = expected["subsets"].as_object().unwrap();
    assert_eq!(subsets.len(), 2);
    for (name, subset) in subsets {
        let file = subset["file"].as_str().unwrap();
        let layout = &expected["layout"][file];
        let d = decrypt_datum(&root.join(file), &key).unwrap();
        assert_eq!(d.version, layout["version_header"]);
        assert_eq!(d.infos, expected["infos"]);
        assert_eq!(d.categories, expected["categories"]);
        assert_eq!(d.media_type["media_type"], expected["media_type"]);
        let sizes: Vec<i64> = d.blob_sizes.iter().map(|&s| i64::from(s)).collect();
        let want: Vec<i64> = layout["blob_sizes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(sizes, want);
        let items: Vec<&str> = subset["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        let per_blob = layout["items_per_blob"].as_array().unwrap();
        let mut next = 0;
        for (blob, n) in d.blobs.iter().zip(per_blob) {
            let n = n.as_u64().unwrap() as usize;
            check_blob_items(blob, &items[next..next + n], name);
            next += n;
        }
        assert_eq!(next, items.len());
    }
}

#[test]
fn encrypted_headers_and_blobs_decrypt() {
    check_case("legacy_1_11_encrypted");
}

#[test]
fn encrypted_one_item_per_blob_decrypts() {
    check_case("legacy_1_11_encrypted_no_media_enc");
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.ends_with(b"IEND\xaeB`\x82")
}

#[test]
fn encrypted_media_decrypts_to_png() {
    let key = DatumaroKey::parse(KEY).unwrap();
    let images = case_dir("legacy_1_11_encrypted").join("datumaro_binary/images");
    let plain_images =
        case_dir("legacy_1_11_encrypted_no_media_enc").join("datumaro_binary/images");
    let mut seen = 0;
    for (subset, stem) in [("train", "0"), ("train", "1"), ("val", "0"), ("val", "1")] {
        let token =
            std::fs::read(images.join(format!("{subset}/enc_{subset}_{stem}.png"))).unwrap();
        assert!(token.starts_with(b"gAAAAA"));
        let png = key.fernet().decrypt(&token).unwrap();
        assert!(is_png(&png), "{subset}/{stem}");
        // The unencrypted case saved the same generated images in clear.
        let clear =
            std::fs::read(plain_images.join(format!("{subset}/nme_{subset}_{stem}.png"))).unwrap();
        assert!(is_png(&clear));
        assert_eq!(
            imagesize::blob_size(&png).ok(),
            imagesize::blob_size(&clear).ok()
        );
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn wrong_key_fails_at_the_key_check_before_anything_else() {
    let root = case_dir("legacy_1_11_encrypted").join("datumaro_binary");
    let wrong = DatumaroKey::generate();
    let err = decrypt_datum(&root.join("annotations/train.datum"), &wrong)
        .err()
        .unwrap();
    assert!(matches!(err, Error::WrongKey { .. }), "{err}");
    assert!(err.to_string().starts_with("wrong key"));
}

#[test]
fn handshake_round_trips_and_refuses_the_empty_field() {
    let key = DatumaroKey::parse(KEY).unwrap();
    let token = key.handshake();
    assert_eq!(token.len(), 164);
    key.check_handshake(&token).unwrap();
    assert!(matches!(
        key.check_handshake(b""),
        Err(Error::NotEncrypted { .. })
    ));
    // A token that authenticates but holds another string is a wrong key too.
    let other = key.fernet().encrypt(b"datum-something-else");
    assert!(matches!(
        key.check_handshake(&other),
        Err(Error::WrongKey { .. })
    ));
}

#[test]
fn key_strings_are_checked_and_key_files_round_trip() {
    for (bad, needle) in [
        (
            "ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=",
            "bare Fernet key",
        ),
        (
            "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA=\n",
            "line break",
        ),
        (
            "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMDA",
            "found 49",
        ),
        (
            "datum-ZGF0dW1hcm8tZml4dHVyZS1rZXktMDAwMDAwMDAwMD!=",
            "base64",
        ),
    ] {
        let err = DatumaroKey::parse(bad).unwrap_err().to_string();
        assert!(err.contains(needle), "{bad:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let key = DatumaroKey::generate();
    assert_eq!(key.as_str().len(), 50);
    assert_eq!(key.to_string(), key.as_str());
    let path = dir.path().join(DATUMARO_KEY_FILE);
    key.write_key_file(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), key.as_str().as_bytes());
    let back = DatumaroKey::read_key_file(&path).unwrap();
    assert_eq!(back.as_str(), key.as_str());
    // A line break added by an editor is tolerated in a key file only.
    std::fs::write(&path, format!("{key}\n")).unwrap();
    assert_eq!(
        DatumaroKey::read_key_file(&path).unwrap().as_str(),
        key.as_str()
    );
    assert!(!format!("{key:?}").contains(&key.as_str()[6..]));
}
