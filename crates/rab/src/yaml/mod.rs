//! YAML the way RAB's upstream speaks it: PyYAML 1.1 typing when reading
//! ([`load`]), PyYAML's emitter byte for byte when writing ([`emit`]).

pub(crate) mod emit;
pub(crate) mod fast;
pub(crate) mod load;
pub(crate) mod resolve;
mod value;

pub use value::Value;

/// Python's `json.dumps` text of a float (used for keys that a JSON round
/// trip turns into strings).
pub(crate) fn python_json_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "Infinity".into()
    } else if f == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        resolve::python_repr(f)
    }
}

/// What upstream's JSON round trip (`json.loads(json.dumps(x))`, spec §4.3)
/// does to metadata and objects: keys become strings (`7` → `"7"`), the rest
/// is kept. Collections as keys cannot be written.
pub(crate) fn json_round_trip(v: &Value) -> Result<Value, String> {
    Ok(match v {
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .map(json_round_trip)
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
            let mut index: std::collections::HashMap<String, usize> = Default::default();
            for (k, val) in entries {
                if matches!(k, Value::Seq(_) | Value::Map(_)) {
                    return Err(format!(
                        "a mapping key is {}, keys must be scalars",
                        k.kind()
                    ));
                }
                let key = k.key_text();
                let val = json_round_trip(val)?;
                // json.dumps keeps both, json.loads keeps the last.
                match index.get(&key).and_then(|&i| out.get_mut(i)) {
                    Some(slot) => slot.1 = val,
                    None => {
                        index.insert(key.clone(), out.len());
                        out.push((Value::Str(key), val));
                    }
                }
            }
            Value::Map(out)
        }
        other => other.clone(),
    })
}
