//! The values a RAB header, its metadata and object datasets hold.

use std::fmt;

/// A YAML value as PyYAML reads it (YAML 1.1 with Python's types).
///
/// Mappings keep their order in a `Vec` (the writer sorts keys anyway, as
/// PyYAML does) and may have non-string keys, as legacy files do. Integers
/// are unbounded in Python: [`Value::Int`] holds everything an `i128` can,
/// [`Value::BigInt`] the rest as decimal digits.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`, `~` or an empty plain scalar.
    #[default]
    Null,
    /// `true`/`false` and YAML 1.1's `yes`/`no`/`on`/`off`.
    Bool(bool),
    /// An integer that fits in `i128`.
    Int(i128),
    /// An integer beyond `i128`, as decimal digits with an optional `-`.
    BigInt(String),
    /// A float (`.nan`, `.inf` included).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Value>),
    /// A mapping, in file order, keys unique.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value of key `key` of a mapping (`None` for other values).
    ///
    /// ```
    /// use vellum_rab::Value;
    /// let m = Value::map([("unit", Value::from("mV"))]);
    /// assert_eq!(m.get("unit").and_then(Value::as_str), Some("mV"));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A mapping from string keys.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Str(k.into()), v))
                .collect(),
        )
    }

    /// The string, for [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, for [`Value::Int`] within `i64`... `u64`'s range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        }
    }

    /// The integer, for [`Value::Int`] within `i64`'s range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => i64::try_from(*i).ok(),
            _ => None,
        }
    }

    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A short name of the value's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Int(_) | Value::BigInt(_) => "an int",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The value as JSON. Non-finite floats become the strings `"NaN"`,
    /// `"Infinity"` and `"-Infinity"`; integers beyond 64 bits become
    /// floats; non-string keys become their YAML text.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => {
                if let Ok(v) = i64::try_from(*i) {
                    J::from(v)
                } else if let Ok(v) = u64::try_from(*i) {
                    J::from(v)
                } else {
                    float_json(*i as f64)
                }
            }
            Value::BigInt(s) => float_json(s.parse::<f64>().unwrap_or(f64::NAN)),
            Value::Float(f) => float_json(*f),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.key_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value read from JSON (the legacy v0.1.0–0.1.2 header).
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i.into())
                } else if let Some(u) = n.as_u64() {
                    Value::Int(u.into())
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Seq(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (Value::Str(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The text a key has as a JSON object key, following Python's
    /// `json.dumps` (`7` → `"7"`, `True` → `"true"`, `None` → `"null"`).
    pub(crate) fn key_text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::BigInt(s) => s.clone(),
            Value::Float(f) => super::python_json_float(*f),
            other => format!("{other}"),
        }
    }
}

fn float_json(f: f64) -> serde_json::Value {
    if f.is_nan() {
        "NaN".into()
    } else if f == f64::INFINITY {
        "Infinity".into()
    } else if f == f64::NEG_INFINITY {
        "-Infinity".into()
    } else {
        serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl fmt::Display for Value {
    /// The value in PyYAML's flow-free block style (what the RAB writer
    /// would emit for it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = super::emit::to_yaml(self);
        f.write_str(text.trim_end_matches('\n'))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i.into())
    }
}
impl From<u64> for Value {
    fn from(i: u64) -> Value {
        Value::Int(i.into())
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::Seq(v.into_iter().map(Into::into).collect())
    }
}
