//! The declaration grammar (spec §1): what beat.core's JSON schema
//! `dataformat/1.json` accepts, with its trailing-newline quirk fixed (F10)
//! and negative extents rejected (F4).

use crate::error::{Error, Rule};
use crate::format::Primitive;
use crate::text::json::{Json, JsonInt};

/// True for a field name: `^[a-zA-Z_][a-zA-Z0-9_-]*$`, anchored at the true
/// end (the platform's `$` also accepts a final newline; F10).
pub fn is_field_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// True for a reference `user/name/version`:
/// `^[a-zA-Z_][a-zA-Z0-9_-]*/[a-zA-Z0-9_-]+/[0-9]+$` (true end, F10).
pub fn is_reference(s: &str) -> bool {
    let mut parts = s.split('/');
    let (Some(user), Some(name), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    is_field_name(user)
        && !name.is_empty()
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        && !version.is_empty()
        && version.bytes().all(|c| c.is_ascii_digit())
}

/// Every grammar violation of a declaration, sorted by path (the platform
/// sorts its schema errors by JSON path too).
pub fn check(decl: &Json) -> Vec<Error> {
    let mut errors = Vec::new();
    match decl {
        Json::Object(members) => check_object(members, "", &mut errors),
        other => errors.push(schema("/", Rule::TopLevelObject, other)),
    }
    errors.sort_by(|a, b| match (a, b) {
        (Error::Schema { path: p, .. }, Error::Schema { path: q, .. }) => p.cmp(q),
        _ => std::cmp::Ordering::Equal,
    });
    errors
}

fn schema(path: &str, rule: Rule, found: &Json) -> Error {
    Error::Schema {
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
        rule,
        detail: format!("found {}", short(found)),
    }
}

/// A short description of a JSON value for error texts.
fn short(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Int(i) => i.text(),
        Json::Float(f) => crate::text::python::float_repr(*f),
        Json::String(s) => format!("{s:?}"),
        Json::Array(a) => format!("an array of {} items", a.len()),
        Json::Object(m) => format!("an object of {} members", m.len()),
    }
}

fn check_object(members: &[(String, Json)], path: &str, errors: &mut Vec<Error>) {
    for (key, value) in members {
        let here = format!("{path}/{key}");
        match key.as_str() {
            "#description" => match value {
                Json::String(s) if s.chars().count() > 100 => {
                    errors.push(schema(&here, Rule::DescriptionLength, value))
                }
                Json::String(_) => {}
                _ => errors.push(schema(&here, Rule::DescriptionType, value)),
            },
            "#schema_version" => check_schema_version(value, &here, errors),
            "#extends" => match value {
                Json::String(s) if is_reference(s) => {}
                Json::String(_) => errors.push(schema(&here, Rule::ExtendsPattern, value)),
                _ => errors.push(schema(&here, Rule::ExtendsType, value)),
            },
            k if k.starts_with('#') => errors.push(Error::Schema {
                path: here,
                rule: Rule::UnknownKey,
                detail: format!("unknown key {k:?}"),
            }),
            k if !is_field_name(k) => errors.push(Error::Schema {
                path: here,
                rule: Rule::FieldName,
                detail: format!("{k:?} is not a valid field name"),
            }),
            _ => check_type(value, &here, errors),
        }
    }
}

fn check_schema_version(value: &Json, here: &str, errors: &mut Vec<Error>) {
    let v = match value {
        Json::Int(i) => i.to_f64(),
        Json::Float(f) => *f,
        _ => return errors.push(schema(here, Rule::SchemaVersionType, value)),
    };
    if v.fract() != 0.0 || !v.is_finite() {
        errors.push(schema(here, Rule::SchemaVersionMultiple, value));
    } else if v != 1.0 {
        // The platform crashes looking for schema file `dataformat/<v>.json`
        // (F3); there is only version 1.
        errors.push(schema(here, Rule::SchemaVersionValue, value));
    }
}

fn check_type(value: &Json, here: &str, errors: &mut Vec<Error>) {
    match value {
        Json::String(s) => {
            if Primitive::from_name(s).is_none() && !is_reference(s) {
                errors.push(Error::Schema {
                    path: here.into(),
                    rule: if s.contains('/') {
                        Rule::Reference
                    } else {
                        Rule::FieldType
                    },
                    detail: format!("{s:?} is neither a primitive type nor a reference"),
                });
            }
        }
        Json::Object(m) => check_object(m, here, errors),
        Json::Array(items) => {
            let Some((last, extents)) = items.split_last() else {
                return errors.push(schema(here, Rule::ArrayLength, value));
            };
            if extents.is_empty() || extents.len() > 5 {
                return errors.push(schema(here, Rule::ArrayLength, value));
            }
            for (i, e) in extents.iter().enumerate() {
                let at = format!("{here}/{i}");
                match e {
                    Json::Int(JsonInt::Small(n)) if *n < 0 => {
                        errors.push(schema(&at, Rule::NegativeExtent, e))
                    }
                    Json::Int(JsonInt::Small(n)) if *n <= i128::from(u64::MAX) => {}
                    Json::Int(JsonInt::Small(_)) | Json::Int(JsonInt::Big(_)) => {
                        errors.push(schema(&at, Rule::ArrayExtent, e))
                    }
                    _ => errors.push(schema(&at, Rule::ArrayExtent, e)),
                }
            }
            let at = format!("{here}/{}", extents.len());
            match last {
                Json::String(s) if Primitive::from_name(s).is_some() || is_reference(s) => {}
                Json::Object(m) => check_object(m, &at, errors),
                _ => errors.push(schema(&at, Rule::ArrayElement, last)),
            }
        }
        _ => errors.push(schema(here, Rule::FieldType, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_references_are_anchored() {
        assert!(is_field_name("a-b") && is_field_name("_") && is_field_name("__x__"));
        assert!(!is_field_name("a\n") && !is_field_name("1a") && !is_field_name(""));
        assert!(is_reference("user/name/1") && is_reference("u/1x/01"));
        assert!(!is_reference("u/n/1\n") && !is_reference("u/n") && !is_reference("a/u/n/1"));
        assert!(!is_reference("1u/n/1") && !is_reference("u/n/v1") && !is_reference("u/n/1/"));
    }
}
