//! The platform's declaration hash (spec §12): SHA-256 of the declaration
//! without `#description`, dumped as Python's `json.dumps(sort_keys=True)`
//! does (separators `", "` / `": "`, non-ASCII as `\uXXXX`).

use sha2::{Digest, Sha256};

use crate::text::json::Json;
use crate::text::python::{float_repr, json_ascii_string};

/// The lowercase hex hash of a parsed declaration.
pub fn declaration_hash(decl: &Json) -> String {
    let mut text = String::new();
    match decl {
        Json::Object(members) => {
            let kept: Vec<(String, Json)> = members
                .iter()
                .filter(|(k, _)| k != "#description")
                .cloned()
                .collect();
            dump(&Json::Object(kept), &mut text);
        }
        other => dump(other, &mut text),
    }
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn dump(v: &Json, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Int(i) => out.push_str(&i.text()),
        Json::Float(f) if f.is_nan() => out.push_str("NaN"),
        Json::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Json::Float(f) => out.push_str(&float_repr(*f)),
        Json::String(s) => json_ascii_string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump(item, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            let mut sorted: Vec<&(String, Json)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json_ascii_string(k, out);
                out.push_str(": ");
                dump(v, out);
            }
            out.push('}');
        }
    }
}
