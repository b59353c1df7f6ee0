//! The spec's worked examples and rules, on the reference corpus's prefix.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use vellum_dataformat::{
    ArrayData, Conversion, Error, Format, Object, PrefixDir, Registry, Resolver, Rule, Value,
};

fn prefix() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/beat/prefix")
}

fn load(name: &str) -> Arc<Format> {
    Resolver::new(PrefixDir::new(prefix()))
        .load(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn worked_examples_pack_like_the_platform() {
    let f = load("test/nested_inline/1");
    let o = f
        .from_json_text(
            r#"{"id": 7, "box": {"x": 0.5, "y": -1, "tag": {"name": "t", "flag": true}}}"#,
            Conversion::CONSTRUCT,
        )
        .unwrap();
    assert_eq!(
        hex(&f.pack(&o).unwrap()),
        "010100000000000000740000003f000080bf0700"
    );
    let f = load("test/arr_string_fixed/1");
    let o = f
        .from_json_text(r#"{"names": ["x", "yy"]}"#, Conversion::VALIDATE)
        .unwrap();
    assert_eq!(
        hex(&f.pack(&o).unwrap()),
        "020000000000000001000000000000007802000000000000007979"
    );
    let f = load("test/sort_order/1");
    let order: Vec<&str> = f
        .pack_order()
        .iter()
        .map(|&i| f.fields()[i].name.as_str())
        .collect();
    assert_eq!(order, ["B", "Z", "_a", "a", "a-b", "a0", "a_b", "b"]);
}

#[test]
fn hashed_layout_is_found_first() {
    let p = PrefixDir::new(prefix());
    let path = p.locate("hashuser/stored_hashed/1").unwrap();
    assert!(
        !path.starts_with(prefix().join("dataformats/hashuser")),
        "{}",
        path.display()
    );
    assert_eq!(load("test/refs_hashed/1").fields().len(), 1);
}

#[test]
fn extends_copies_the_base_without_aliasing() {
    // F1: loading both a base and a child in one format leaves the base alone.
    let f = load("test/alias_base_then_child/1");
    let o = f
        .from_json_text(
            r#"{"p": {"id": {"$np": "uint32", "v": 1}, "name": "b"},
                "q": {"id": {"$np": "uint32", "v": 2}, "name": "c", "score": {"$np": "float32", "v": 0.5}}}"#,
            Conversion::VALIDATE,
        )
        .unwrap();
    assert_eq!(f.pack(&o).unwrap().len(), 4 + 9 + 4 + 9 + 4);
    assert!(
        Resolver::new(PrefixDir::new(prefix()))
            .load("test/alias_false_clash/1")
            .is_ok()
    );
}

#[test]
fn recursion_and_bad_declarations_are_reported_not_crashed() {
    let r = Resolver::new(PrefixDir::new(prefix()));
    let texts: Vec<String> = r
        .check("test/rec_self/1")
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        texts,
        [
            "recursion for dataformat `test/rec_self/1' detected",
            "referred dataformat `test/rec_self/1' is invalid"
        ]
    );
    for (name, rule) in [
        ("test/json_top_array/1", Rule::TopLevelObject),
        ("test/schema_version_2/1", Rule::SchemaVersionValue),
        ("test/arr_negative/1", Rule::NegativeExtent),
        ("test/newline_name/1", Rule::FieldName),
        ("test/bad_array_dims_6/1", Rule::ArrayLength),
    ] {
        let errors = r.check(name);
        assert!(
            matches!(errors.first(), Some(Error::Schema { rule: r, .. }) if *r == rule),
            "{name}: {errors:?}"
        );
    }
}

#[test]
fn unpack_is_zero_copy_and_strict() {
    let f = load("test/image64/1");
    let mut raw = Vec::new();
    raw.extend_from_slice(&64u64.to_le_bytes());
    raw.extend_from_slice(&64u64.to_le_bytes());
    raw.extend((0..4096u32).map(|i| (i % 251) as u8));
    let input = Bytes::from(raw);
    let o = f.unpack(&input).unwrap();
    let Some(Value::Array(a)) = o.get("img") else {
        panic!()
    };
    let ArrayData::Numbers { bytes, .. } = a.data() else {
        panic!()
    };
    // The array's bytes are the input's own memory.
    assert_eq!(bytes.as_ptr(), input[16..].as_ptr());
    assert_eq!(f.pack(&o).unwrap(), input);
    // A stored extent that differs from the declared 64 is refused (F8).
    let mut bad = input.to_vec();
    bad[0] = 63;
    assert!(matches!(
        f.unpack(&Bytes::from(bad)),
        Err(Error::StoredExtent { found: 63, .. })
    ));
    // Truncation names the field and offset; no panic.
    assert!(f.unpack(&input.slice(..100)).is_err());
}

#[test]
fn absurd_fixed_extents_are_refused_not_allocated() {
    let mut reg = Registry::new();
    reg.insert("me/huge/1", r#"{"a": [100000, 100000, 100000, "float64"]}"#);
    let f = Resolver::new(reg).load("me/huge/1").unwrap();
    assert!(matches!(
        Object::default_of(&f),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        f.from_json_text("{}", Conversion::SAFE_DEFAULTS),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn safe_casting_follows_numpy_with_the_falsy_shortcut() {
    let f = load("test/uint64/1");
    // A JSON 0 fits uint64 (falsy values skip the check), a JSON 1 does not.
    assert!(
        f.from_json_text(r#"{"value": 0}"#, Conversion::VALIDATE)
            .is_ok()
    );
    let e = f
        .from_json_text(r#"{"value": 1}"#, Conversion::VALIDATE)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot safely cast attribute `value' on dataformat `test/uint64/1' with type `int64' to `uint64' without precision loss"
    );
    // The constructor wraps out-of-range integers like numpy 1.x.
    let f = load("test/int8/1");
    let o = f
        .from_json_text(r#"{"value": 300}"#, Conversion::CONSTRUCT)
        .unwrap();
    assert_eq!(o.get("value"), Some(&Value::Int8(44)));
}
