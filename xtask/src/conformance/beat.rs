//! Conformance cases for `beat`: every declaration, value, unpack and
//! isclose case of a corpus laid out like `tests/fixtures/beat` (see its
//! README), checked against `vellum-dataformat`.
//!
//! Deliberate differences are the platform bugs of spec §13 (F1..F12) that
//! we fix on purpose; each such case is listed with its reason.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail, ensure};
use vellum_dataformat::{
    Conversion, Error, Format, Json, JsonInt, Object, Packer, PrefixDir, Resolver, Rule, Tolerance,
};

use super::{Outcome, Report};

const F1: &str = "F1: `#extends` copies the base's fields; the platform shares and grows them (aliasing: bases and siblings gain fields, false clashes)";
const F2: &str = "F2: default fixed-size numeric arrays are zero-filled; the platform packs uninitialised memory (same length checked)";
const F3: &str = "F3: reported as an invalid declaration; the platform's loader crashes";
const F4: &str = "F4: negative array extents are rejected when the declaration loads; the platform accepts them and every use fails";
const F5: &str = "F5: refused during validation (list for a scalar field, or a string-array element that is not text); the platform accepts it and fails at pack time or packs a one-element list";
const F6: &str = "F6: trailing NULs of string-array elements are kept; the platform strips them";
const F7: &str = "F7: fields named like the platform's generated members (pack, as_dict, type) are ordinary fields here";
const F8: &str = "F8: unpack is strict (fixed extents checked, bool bytes 0/1 only, trailing bytes rejected); the platform is lenient";
const F9: &str = "F9: isclose compares shapes (no broadcasting) and integers exactly";
const F10: &str = "F10: names and references are anchored at the true end; the platform's `$` accepts a trailing newline";
const F12: &str =
    "F12: complex numbers are written to JSON as [re, im]; the platform cannot write them";

/// Runs every case of a fixture folder laid out like `tests/fixtures/beat`.
pub fn run(dir: &Path) -> Result<Report> {
    let path = dir.join("cases.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let cases = vellum_dataformat::parse_json(&text)
        .with_context(|| format!("parsing {}", path.display()))?;
    let prefix_rel = str_of(cases.get("prefix")).unwrap_or("prefix");
    let resolver = Resolver::new(PrefixDir::new(dir.join(prefix_rel)));
    let mut report = Report::default();
    for d in list(&cases, "declarations")? {
        let name = str_of(d.get("name")).unwrap_or("?");
        let outcome =
            declaration_case(&resolver, d).unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
        report.push(format!("declaration {name}"), outcome);
    }
    for v in list(&cases, "values")? {
        let id = str_of(v.get("id")).unwrap_or("?");
        let outcome =
            value_case(&resolver, v).unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
        report.push(format!("value {id}"), outcome);
    }
    for u in list(&cases, "unpack")? {
        let id = str_of(u.get("id")).unwrap_or("?");
        let outcome =
            unpack_case(&resolver, u).unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
        report.push(format!("unpack {id}"), outcome);
    }
    for c in list(&cases, "isclose")? {
        let id = str_of(c.get("id")).unwrap_or("?");
        let outcome =
            isclose_case(&resolver, c).unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
        report.push(format!("isclose {id}"), outcome);
    }
    Ok(report)
}

fn list<'a>(cases: &'a Json, key: &str) -> Result<&'a [Json]> {
    match cases.get(key) {
        Some(Json::Array(items)) => Ok(items),
        _ => bail!("cases.json has no `{key}' list"),
    }
}

fn str_of(j: Option<&Json>) -> Option<&str> {
    match j {
        Some(Json::String(s)) => Some(s),
        _ => None,
    }
}

fn bool_of(j: Option<&Json>) -> bool {
    matches!(j, Some(Json::Bool(true)))
}

fn tags(j: &Json) -> Vec<&str> {
    match j.get("tags") {
        Some(Json::Array(t)) => t.iter().filter_map(|x| str_of(Some(x))).collect(),
        _ => str_of(j.get("tag")).into_iter().collect(),
    }
}

/// Our JSON tree as `serde_json`, to compare with our outputs.
fn to_serde(j: &Json) -> serde_json::Value {
    match j {
        Json::Null => serde_json::Value::Null,
        Json::Bool(b) => (*b).into(),
        Json::Int(JsonInt::Small(i)) => {
            if let Ok(v) = i64::try_from(*i) {
                v.into()
            } else if let Ok(v) = u64::try_from(*i) {
                v.into()
            } else {
                i.to_string().into()
            }
        }
        Json::Int(JsonInt::Big(t)) => t.clone().into(),
        Json::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Json::String(s) => s.clone().into(),
        Json::Array(a) => a.iter().map(to_serde).collect(),
        Json::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), to_serde(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Result<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16)
                .map_err(|e| anyhow!("bad hex: {e}"))
        })
        .collect()
}

// ----- declarations -----

fn declaration_case(resolver: &Resolver<PrefixDir>, d: &Json) -> Result<Outcome> {
    let name = str_of(d.get("name")).context("name")?;
    let core = d.get("core").context("core")?;
    let expect_valid = bool_of(core.get("valid"));
    let tags = tags(d);
    match (resolver.load(name), expect_valid) {
        (Ok(f), true) => {
            let want_hash = str_of(d.get("hash")).context("hash")?;
            ensure!(
                f.hash() == Some(want_hash),
                "hash {:?}, expected {want_hash}",
                f.hash()
            );
            let order: Vec<&str> = f
                .pack_order()
                .iter()
                .map(|&i| f.fields()[i].name.as_str())
                .collect();
            let want: Vec<&str> = match d.get("pack_order") {
                Some(Json::Array(a)) => a.iter().filter_map(|x| str_of(Some(x))).collect(),
                _ => bail!("pack_order"),
            };
            ensure!(order == want, "pack order {order:?}, expected {want:?}");
            let resolved = to_serde(d.get("resolved").context("resolved")?);
            if f.resolved_json() != resolved && tags.contains(&"aliasing") {
                return Ok(Outcome::Deliberate(format!(
                    "{F1} (resolved here: {})",
                    f.resolved_json()
                )));
            }
            ensure!(
                f.resolved_json() == resolved,
                "resolved {}, expected {resolved}",
                f.resolved_json()
            );
            let class = str_of(d.get("class_name")).context("class_name")?;
            ensure!(
                f.class_name() == class,
                "class name {}, expected {class}",
                f.class_name()
            );
            Ok(Outcome::Passed)
        }
        (Ok(_), false) if tags.contains(&"aliasing") => {
            Ok(Outcome::Deliberate(format!("{F1} (valid here)")))
        }
        (Ok(_), false) => bail!(
            "accepted, but the platform rejects it: {:?}",
            core.get("errors")
        ),
        (Err(e), true) => {
            let errors = match &e {
                Error::InvalidFormat { errors, .. } => errors.as_slice(),
                _ => std::slice::from_ref(&e),
            };
            match errors.first() {
                Some(Error::Schema {
                    rule: Rule::NegativeExtent,
                    ..
                }) => Ok(Outcome::Deliberate(F4.into())),
                Some(Error::Schema {
                    rule: Rule::FieldName,
                    path,
                    ..
                }) if path.ends_with('\n') => Ok(Outcome::Deliberate(F10.into())),
                _ => bail!("rejected ({e}), but the platform accepts it"),
            }
        }
        (Err(e), false) => {
            if core.get("exception").is_some() {
                return Ok(Outcome::Deliberate(format!("{F3}: {e}")));
            }
            let theirs: Vec<&str> = match core.get("errors") {
                Some(Json::Array(a)) => a.iter().filter_map(|x| str_of(Some(x))).collect(),
                _ => bail!("errors"),
            };
            let ours: Vec<&Error> = match &e {
                Error::InvalidFormat { errors, .. } => errors.iter().collect(),
                other => vec![other],
            };
            compare_declaration_errors(&ours, &theirs, &tags)
        }
    }
}

fn compare_declaration_errors(ours: &[&Error], theirs: &[&str], tags: &[&str]) -> Result<Outcome> {
    let (Some(first), Some(want)) = (ours.first(), theirs.first()) else {
        bail!("no error reported");
    };
    let ok = match first {
        Error::NotFound { .. } => want.starts_with("Dataformat declaration file not found"),
        Error::Json { .. } => want.starts_with("invalid JSON code"),
        Error::DuplicateKey { key } => {
            *want == format!("Invalid JSON: Invalid file content\n{key} found several times")
        }
        Error::Schema { path, .. } => {
            let their_path = want.split(": ").next().unwrap_or("");
            want.starts_with('/') && (their_path == "/" || path.starts_with(their_path))
        }
        Error::ReferredInvalid(n) if n.contains('.') => {
            want.starts_with("referred dataformat `OrderedDict(")
        }
        other => {
            // Recursion, referred and clash texts are the platform's own;
            // the whole list must match.
            let ours: Vec<String> = ours.iter().map(|e| e.to_string()).collect();
            ensure!(ours == theirs, "errors {ours:?}, expected {theirs:?}");
            let _ = other;
            true
        }
    };
    if ok {
        Ok(Outcome::Passed)
    } else if tags.contains(&"quirk") {
        Ok(Outcome::Deliberate(format!("{F10}: {first}")))
    } else {
        bail!("first error {first:?}, expected {want:?}")
    }
}

// ----- values -----

fn conversion(mode: &str) -> Result<Option<Conversion>> {
    Ok(match mode {
        "safe" => Some(Conversion::VALIDATE),
        "safe_defaults" => Some(Conversion::SAFE_DEFAULTS),
        "unsafe" => Some(Conversion::CONSTRUCT),
        "defaults" => None,
        other => bail!("unknown mode {other}"),
    })
}

fn build(
    resolver: &Resolver<PrefixDir>,
    v: &Json,
) -> std::result::Result<(Arc<Format>, Object, Vec<u8>), Error> {
    let name = str_of(v.get("format")).unwrap_or("");
    let format = resolver.load(name)?;
    let mode = str_of(v.get("mode")).unwrap_or("");
    let object = match conversion(mode).ok().flatten() {
        Some(c) => format.from_json(v.get("input").unwrap_or(&Json::Null), c)?,
        None => Object::default_of(&format)?,
    };
    let bytes = format.pack(&object)?;
    Ok((format, object, bytes))
}

fn quirk_reason(tag: &str) -> Option<&'static str> {
    match tag {
        "quirk:aliasing" => Some(F1),
        "quirk:field-names" => Some(F7),
        "arr-string:trailing-nul" => Some(F6),
        _ => None,
    }
}

fn value_case(resolver: &Resolver<PrefixDir>, v: &Json) -> Result<Outcome> {
    let tag = str_of(v.get("tag")).unwrap_or("");
    let expect_ok = bool_of(v.get("ok"));
    let ours = build(resolver, v);
    match (ours, expect_ok) {
        (Ok((format, object, bytes)), true) => {
            if v.get("nondeterministic").is_some() {
                let want = match v.get("packed_len") {
                    Some(Json::Int(JsonInt::Small(n))) => *n as usize,
                    _ => bail!("packed_len"),
                };
                ensure!(
                    bytes.len() == want,
                    "packed {} bytes, expected {want}",
                    bytes.len()
                );
                return Ok(Outcome::Deliberate(F2.into()));
            }
            let want = str_of(v.get("packed_hex")).context("packed_hex")?;
            if hex(&bytes) != want {
                if let Some(reason) = quirk_reason(tag) {
                    return Ok(Outcome::Deliberate(reason.into()));
                }
                bail!("packed {}, expected {want}", hex(&bytes));
            }
            if let Some(as_dict) = v.get("as_dict") {
                let want = to_serde(as_dict);
                ensure!(
                    object.to_json() == want,
                    "as_dict {}, expected {want}",
                    object.to_json()
                );
            }
            // Our own round trip: unpack then repack gives the same bytes.
            let back = format
                .unpack(&bytes.clone().into())
                .context("unpacking our bytes")?;
            ensure!(format.pack(&back)? == bytes, "repack differs");
            // A stream packer gives the same bytes, also when an object
            // starts in the middle of a chunk or needs a chunk of its own.
            for chunk in [64, 1 << 20] {
                let mut packer = Packer::with_chunk_size(chunk);
                for round in 0..3 {
                    let p = packer.pack(&format, &object)?;
                    ensure!(
                        p == bytes,
                        "Packer ({chunk} B chunks) round {round} differs"
                    );
                }
            }
            if let Some(text) = str_of(v.get("json_text")) {
                let ours = object.to_platform_json();
                ensure!(ours == text, "JSON text\n{ours}\nexpected\n{text}");
                // The platform's JSON read back with safe validation.
                let reload = v.get("json_reload").context("json_reload")?;
                let back = format.from_json_text(&ours, Conversion::VALIDATE);
                ensure!(
                    back.is_ok() == bool_of(reload.get("ok")),
                    "JSON reload {back:?}, expected {reload:?}"
                );
                if let Ok(back) = back {
                    let equal = format.pack(&back)? == bytes;
                    ensure!(
                        equal == bool_of(reload.get("packed_equal")),
                        "JSON reload packs equal: {equal}, expected {reload:?}"
                    );
                }
            } else if v.get("json_error").is_some() {
                return Ok(Outcome::Deliberate(F12.into()));
            }
            Ok(Outcome::Passed)
        }
        (Ok(_), false) => match quirk_reason(tag) {
            Some(reason) => Ok(Outcome::Deliberate(reason.into())),
            None => bail!(
                "accepted, but the platform rejects it at {}: {:?}",
                str_of(v.get("failed_stage")).unwrap_or("?"),
                v.get("error")
            ),
        },
        (Err(e), true) => match &e {
            Error::NotAScalar { .. } | Error::NotAString { .. } => {
                Ok(Outcome::Deliberate(format!("{F5}: {e}")))
            }
            Error::InvalidFormat { errors, .. }
                if matches!(
                    errors.first(),
                    Some(Error::Schema {
                        rule: Rule::FieldName,
                        ..
                    })
                ) =>
            {
                Ok(Outcome::Deliberate(format!("{F10}: {e}")))
            }
            _ => match quirk_reason(tag) {
                Some(reason) => Ok(Outcome::Deliberate(format!("{reason}: {e}"))),
                None => bail!("rejected ({e}), but the platform accepts it"),
            },
        },
        (Err(e), false) => {
            let stage = str_of(v.get("failed_stage")).unwrap_or("");
            let err = v.get("error").context("error")?;
            let ty = str_of(err.get("type")).unwrap_or("");
            let msg = str_of(err.get("message")).unwrap_or("");
            if stage == "pack" {
                return Ok(Outcome::Deliberate(format!("{F5}: {e}")));
            }
            compare_value_error(&e, ty, msg)
        }
    }
}

/// Parses `missing attributes (a, b) for dataformat `X' which require `c, d'`.
fn attr_sets(msg: &str) -> Option<(Vec<String>, String, Vec<String>)> {
    let open = msg.find('(')?;
    let close = msg.find(')')?;
    let names = |s: &str| {
        let mut v: Vec<String> = s
            .split(", ")
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    };
    let listed = names(msg.get(open + 1..close)?);
    let rest = msg.get(close..)?;
    let fstart = rest.find('`')? + 1;
    let fend = rest.get(fstart..)?.find('\'')? + fstart;
    let format = rest.get(fstart..fend)?.to_owned();
    let rstart = rest.rfind('`')? + 1;
    let required = names(rest.get(rstart..rest.len().checked_sub(1)?)?);
    Some((listed, format, required))
}

fn compare_value_error(e: &Error, ty: &str, msg: &str) -> Result<Outcome> {
    let ok = match e {
        Error::UnsafeCast { format, .. } => {
            // With several bad fields the platform reports one of them in
            // set order (unspecified); any of them is a right answer.
            ty == "TypeError"
                && (e.to_string() == msg
                    || msg.starts_with("cannot safely cast attribute")
                        && msg.contains(&format!("on dataformat `{format}' ")))
        }
        Error::Dimensions { .. } | Error::Extent { .. } => {
            ty == "TypeError" && e.to_string() == msg
        }
        Error::MissingFields {
            format,
            missing,
            required,
        } => {
            ty == "AttributeError"
                && attr_sets(msg) == Some((missing.clone(), format.clone(), required.clone()))
                && msg.starts_with("missing attributes")
        }
        Error::UnexpectedFields {
            format,
            extra,
            required,
        } => {
            ty == "AttributeError"
                && attr_sets(msg) == Some((extra.clone(), format.clone(), required.clone()))
                && msg.starts_with("unexpected attribute")
        }
        Error::Conversion { reason, .. } => {
            (ty == "ValueError" || ty == "TypeError") && reason == msg
        }
        Error::IntegerTooLarge { .. } => ty == "OverflowError",
        Error::NotAnObject { found, .. } => {
            ty == "AttributeError" && msg == format!("'{found}' object has no attribute 'keys'")
        }
        Error::Ragged { .. } => {
            ty == "ValueError" && msg.starts_with("setting an array element with a sequence")
        }
        Error::InvalidFormat { errors, .. }
            if matches!(
                errors.first(),
                Some(Error::Schema {
                    rule: Rule::NegativeExtent,
                    ..
                })
            ) =>
        {
            return Ok(Outcome::Deliberate(format!("{F4} (the platform: {msg})")));
        }
        Error::NotAScalar { .. } | Error::NotAString { .. } => {
            return Ok(Outcome::Deliberate(format!("{F5}: {e}")));
        }
        _ => false,
    };
    if ok {
        Ok(Outcome::Passed)
    } else {
        bail!("rejected with {e:?}, expected {ty}: {msg}")
    }
}

// ----- unpack -----

fn unpack_case(resolver: &Resolver<PrefixDir>, u: &Json) -> Result<Outcome> {
    let name = str_of(u.get("format")).context("format")?;
    let format = resolver.load(name)?;
    let bytes = unhex(str_of(u.get("hex")).context("hex")?)?;
    let tag = str_of(u.get("tag")).unwrap_or("");
    let ours = format.unpack(&bytes.into());
    match (ours, bool_of(u.get("ok"))) {
        (Ok(o), true) => {
            let want = to_serde(u.get("as_dict").context("as_dict")?);
            let repacked = hex(&format.pack(&o)?);
            let want_hex = str_of(u.get("repacked_hex")).context("repacked_hex")?;
            if o.to_json() != want || repacked != want_hex {
                if tag.contains("trailing-nul") {
                    return Ok(Outcome::Deliberate(F6.into()));
                }
                bail!(
                    "as_dict {} / repacked {repacked}, expected {want} / {want_hex}",
                    o.to_json()
                );
            }
            Ok(Outcome::Passed)
        }
        (Ok(o), false) => bail!(
            "unpacked {}, but the platform fails: {:?}",
            o.to_json(),
            u.get("error")
        ),
        (Err(e), true) => match e {
            Error::TrailingBytes { .. } | Error::StoredExtent { .. } => {
                Ok(Outcome::Deliberate(format!("{F8}: {e}")))
            }
            Error::Bytes(ref inner) if inner.to_string().contains("bool byte") => {
                Ok(Outcome::Deliberate(format!("{F8}: {e}")))
            }
            other => bail!("failed ({other}), but the platform unpacks it"),
        },
        (Err(_), false) => Ok(Outcome::Passed),
    }
}

// ----- isclose -----

fn isclose_case(resolver: &Resolver<PrefixDir>, c: &Json) -> Result<Outcome> {
    let name = str_of(c.get("format")).context("format")?;
    let format = resolver.load(name)?;
    let a = format.from_json(c.get("a").context("a")?, Conversion::CONSTRUCT)?;
    let b = format.from_json(c.get("b").context("b")?, Conversion::CONSTRUCT)?;
    let mut tol = Tolerance::default();
    if let Some(kw) = c.get("kwargs") {
        let num = |k: &str| match kw.get(k) {
            Some(Json::Float(f)) => Some(*f),
            Some(Json::Int(i)) => Some(i.to_f64()),
            _ => None,
        };
        tol.rtol = num("rtol").unwrap_or(tol.rtol);
        tol.atol = num("atol").unwrap_or(tol.atol);
        tol.equal_nan = bool_of(kw.get("equal_nan"));
    }
    let ours = a.isclose(&b, tol)?;
    let tag = str_of(c.get("tag")).unwrap_or("");
    let theirs = match c.get("result") {
        Some(Json::Bool(r)) => Some(*r),
        _ => None,
    };
    if theirs == Some(ours) {
        return Ok(Outcome::Passed);
    }
    if tag.contains("broadcast") || tag.contains("shapes") || tag.contains("not-exact") {
        return Ok(Outcome::Deliberate(format!(
            "{F9} (here {ours}, the platform {theirs:?} / {:?})",
            c.get("error")
        )));
    }
    bail!("isclose {ours}, expected {theirs:?}")
}
