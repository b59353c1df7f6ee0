//! The emitter and the loader against PyYAML itself: 400 random mappings (quoting,
//! escapes, folding at column 80, long keys, floats, big ints) and the exact
//! text PyYAML 6.0.3 wrote for them (`tests/data/pyyaml_cases.py` made the
//! file), and what `yaml.Loader` read back from each text.

use vellum_rab::Value;

fn from_case(j: &serde_json::Value) -> Value {
    if let Some(f) = j.get("$f").and_then(|f| f.as_str()) {
        return Value::Float(match f {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            _ => f64::NAN,
        });
    }
    if let Some(i) = j.get("$int").and_then(|f| f.as_str()) {
        return Value::Int(i.parse().unwrap());
    }
    match j {
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (Value::Str(k.clone()), from_case(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(from_case).collect()),
        other => Value::from_json(other),
    }
}

#[test]
fn emits_what_pyyaml_emits() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pyyaml_cases.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 400);
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let v = from_case(&c["value"]);
        let want = c["yaml"].as_str().unwrap();
        let got = vellum_rab::to_pyyaml(&v);
        if got != want {
            failures.push(format!("case {i}:\n--- pyyaml\n{want}\n--- ours\n{got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 400 emit differently:\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n")
    );
}

#[test]
fn reads_what_pyyaml_reads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pyyaml_cases.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut failures = Vec::new();
    for (i, c) in doc["cases"].as_array().unwrap().iter().enumerate() {
        let text = c["yaml"].as_str().unwrap();
        let want = from_case(&c["loaded"]);
        let got = match vellum_rab::from_pyyaml(text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("case {i}: {text:?}: {e}"));
                continue;
            }
        };
        if format!("{got:?}") != format!("{want:?}") {
            failures.push(format!("case {i}: {text:?}\n want {want:?}\n got  {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 400 read differently:\n{}",
        failures.len(),
        failures[..failures.len().min(3)].join("\n")
    );
}
