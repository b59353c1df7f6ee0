//! Reading a header (or an object payload) the way upstream does (spec
//! §2.4): YAML with PyYAML's YAML 1.1 typing first, JSON second.
//!
//! The text is untrusted. serde-saphyr's budget checker vets the event
//! stream first (nesting depth, event and node counts, scalar bytes, alias
//! and anchor counts); the values are then built from the same parser's
//! events with PyYAML's resolver ([`super::resolve`]), and alias expansion
//! is charged against a node budget so an alias bomb cannot blow up memory.

use std::collections::HashMap;

use serde_saphyr::budget::{Budget, EnforcingPolicy, check_yaml_budget};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::{Value, resolve};

/// Parses YAML (PyYAML semantics), falling back to JSON as upstream does.
pub(crate) fn parse(text: &str) -> Result<Value, String> {
    if let Some(v) = super::fast::parse(text) {
        return Ok(v);
    }
    parse_general(text)
}

/// The general path: any YAML within the budgets, then JSON.
pub(crate) fn parse_general(text: &str) -> Result<Value, String> {
    match parse_yaml(text) {
        Ok(v) => Ok(v),
        Err(yaml_err) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(j) => Ok(Value::from_json(&j)),
            Err(_) => Err(yaml_err),
        },
    }
}

fn budget_for(len: usize) -> Budget {
    // Limits grow with the text (every node needs at least a byte or two of
    // it), so big honest headers pass while amplification is still refused.
    let mut b = Budget::default();
    b.max_events = len.max(1_000_000);
    b.max_nodes = (len / 2).max(250_000);
    b.max_total_scalar_bytes = len.max(1 << 20);
    b.max_documents = 1;
    b
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        entries: Vec<(Value, Value)>,
        keys: HashMap<String, usize>,
        pending: Option<Value>,
        anchor: usize,
    },
}

pub(crate) fn parse_yaml(text: &str) -> Result<Value, String> {
    // YAML 1.1 (PyYAML) counts NEL, LS and PS as line breaks, YAML 1.2 as
    // text. Parse the structure with them as breaks (char for char, so
    // positions stay the same), then re-read single-quoted scalars that
    // hold them from the original text, the 1.1 way.
    let breaks_11 = text.contains(['\u{85}', '\u{2028}', '\u{2029}']);
    let structural: std::borrow::Cow<'_, str> = if breaks_11 {
        text.chars()
            .map(|c| {
                if matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}') {
                    '\n'
                } else {
                    c
                }
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
    };
    let original = text;
    let text: &str = &structural;
    let budget = budget_for(text.len());
    let node_cap = budget.max_nodes;
    let report =
        check_yaml_budget(text, budget, EnforcingPolicy::AllContent).map_err(|e| e.to_string())?;
    if let Some(breach) = report.breached {
        return Err(format!("YAML budget exceeded: {breach:?}"));
    }

    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut sizes: Vec<usize> = Vec::new(); // node count of each open frame
    let mut built = 0usize; // nodes built, alias copies included
    let mut root: Option<Value> = None;
    let mut char_to_byte: Option<Vec<usize>> = None;

    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| e.to_string())?;
        let (value, anchor, size) = match event {
            Event::Scalar(s, style, anchor, tag) => {
                let raw = if breaks_11 && style == ScalarStyle::SingleQuoted {
                    raw_span(original, span, &mut char_to_byte)
                } else {
                    None
                };
                let v = scalar(&s, raw, style, tag.as_deref());
                (v, anchor, 1)
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
                sizes.push(1);
                continue;
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    keys: HashMap::new(),
                    pending: None,
                    anchor,
                });
                sizes.push(1);
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let size = sizes.pop().unwrap_or(1);
                match stack.pop() {
                    Some(Frame::Seq { items, anchor }) => (Value::Seq(items), anchor, size),
                    Some(Frame::Map {
                        entries, anchor, ..
                    }) => (Value::Map(entries), anchor, size),
                    None => return Err("unbalanced collection end".into()),
                }
            }
            Event::Alias(id) => {
                let (v, size) = anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("alias to unknown anchor {id}"))?;
                built = built.saturating_add(size);
                if built > node_cap {
                    return Err(format!(
                        "YAML budget exceeded: aliases expand to more than {node_cap} nodes"
                    ));
                }
                (v, 0, size)
            }
            _ => continue,
        };
        built = built.saturating_add(1);
        if built > node_cap {
            return Err(format!("YAML budget exceeded: more than {node_cap} nodes"));
        }
        if anchor != 0 {
            anchors.insert(anchor, (value.clone(), size));
        }
        if let Some(parent) = sizes.last_mut() {
            *parent = parent.saturating_add(size);
        }
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err("more than one document".into());
                }
                root = Some(value);
            }
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                entries,
                keys,
                pending,
                ..
            }) => match pending.take() {
                None => *pending = Some(value),
                Some(key) => {
                    // PyYAML builds a dict: a repeated key keeps its first
                    // position and takes the last value.
                    let fingerprint = key_fingerprint(&key);
                    match fingerprint.as_ref().and_then(|f| keys.get(f)) {
                        Some(&i) => {
                            if let Some(slot) = entries.get_mut(i) {
                                slot.1 = value;
                            }
                        }
                        None => {
                            if let Some(f) = fingerprint {
                                keys.insert(f, entries.len());
                            }
                            entries.push((key, value));
                        }
                    }
                }
            },
        }
    }
    // An empty stream is PyYAML's `None`.
    Ok(root.unwrap_or(Value::Null))
}

fn key_fingerprint(key: &Value) -> Option<String> {
    match key {
        Value::Seq(_) | Value::Map(_) => None,
        other => Some(format!("{other:?}")),
    }
}

const YAML_NS: &str = "tag:yaml.org,2002:";

/// One scalar; `raw` is its source text in the original header when it is
/// a single-quoted scalar that must be re-read with YAML 1.1 breaks.
fn scalar(s: &str, raw: Option<&str>, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let owned;
    let s = if let Some(raw) = raw.filter(|r| r.contains(['\u{85}', '\u{2028}', '\u{2029}'])) {
        // PyYAML writes NEL, LS and PS raw only in single-quoted scalars.
        match single_quoted_11(raw) {
            Some(v) => {
                owned = v;
                owned.as_str()
            }
            None => s,
        }
    } else {
        s
    };
    let suffix = tag.and_then(|t| t.suffix_in_namespace(YAML_NS).map(|c| c.into_owned()));
    match suffix.as_deref() {
        Some("str") | Some("binary") | Some("timestamp") => return Value::Str(s.to_owned()),
        Some("null") => return Value::Null,
        Some("bool") => {
            return resolve::is_bool(s).map_or_else(|| Value::Str(s.to_owned()), Value::Bool);
        }
        Some("int") => return resolve::int_value(s).unwrap_or_else(|| Value::Str(s.to_owned())),
        Some("float") => {
            return match resolve::implicit(s) {
                resolve::Implicit::Float | resolve::Implicit::Int => {
                    Value::Float(resolve::float_value(s))
                }
                _ => Value::Str(s.to_owned()),
            };
        }
        _ => {}
    }
    if style == ScalarStyle::Plain && (tag.is_none() || suffix.is_some()) {
        resolve::plain_value(s)
    } else if style == ScalarStyle::Plain {
        // An application tag on a plain scalar (legacy `!!python/...`
        // values): keep what the scalar says without the tag.
        resolve::plain_value(s)
    } else {
        Value::Str(s.to_owned())
    }
}

/// The source of `span` in `text`, by character positions (the parsed text
/// has the same characters at the same positions, not the same bytes).
fn raw_span<'t>(text: &'t str, span: Span, table: &mut Option<Vec<usize>>) -> Option<&'t str> {
    let t = table.get_or_insert_with(|| {
        let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        v.push(text.len());
        v
    });
    text.get(*t.get(span.start.index())?..*t.get(span.end.index())?)
}

/// PyYAML's scanner for a single-quoted scalar (`scan_flow_scalar`), given
/// its source text including the quotes.
fn single_quoted_11(raw: &str) -> Option<String> {
    const BREAKS: [char; 5] = ['\r', '\n', '\u{85}', '\u{2028}', '\u{2029}'];
    let inner = raw.strip_prefix('\'')?;
    let chars: Vec<char> = inner.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let line_break = |i: &mut usize| -> Option<char> {
        match chars.get(*i)? {
            '\r' if chars.get(*i + 1) == Some(&'\n') => {
                *i += 2;
                Some('\n')
            }
            '\r' | '\n' | '\u{85}' => {
                *i += 1;
                Some('\n')
            }
            c @ ('\u{2028}' | '\u{2029}') => {
                *i += 1;
                Some(*c)
            }
            _ => None,
        }
    };
    loop {
        // Non-space run, with '' as an escaped quote.
        loop {
            match chars.get(i)? {
                '\'' if chars.get(i + 1) == Some(&'\'') => {
                    out.push('\'');
                    i += 2;
                }
                '\'' => return Some(out),
                ' ' | '\t' => break,
                c if BREAKS.contains(c) => break,
                c => {
                    out.push(*c);
                    i += 1;
                }
            }
        }
        let ws_start = i;
        while matches!(chars.get(i), Some(' ' | '\t')) {
            i += 1;
        }
        match chars.get(i)? {
            c if BREAKS.contains(c) => {
                let first = line_break(&mut i)?;
                let mut breaks = String::new();
                loop {
                    while matches!(chars.get(i), Some(' ' | '\t')) {
                        i += 1;
                    }
                    match line_break(&mut i) {
                        Some(b) => breaks.push(b),
                        None => break,
                    }
                }
                if first != '\n' {
                    out.push(first);
                } else if breaks.is_empty() {
                    out.push(' ');
                }
                out.push_str(&breaks);
            }
            _ => out.extend(&chars[ws_start..i]),
        }
    }
}

/// Checks that no key of a mapping is repeated (used by tests).
#[cfg(test)]
fn unique_keys(v: &Value) -> bool {
    match v {
        Value::Map(e) => {
            let mut seen = std::collections::HashSet::new();
            e.iter()
                .all(|(k, v)| seen.insert(format!("{k:?}")) && unique_keys(v))
        }
        Value::Seq(items) => items.iter().all(unique_keys),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyyaml_typing() {
        let v = parse("a: 1e3\nb: '1'\nc: yes\nd: 0o17\ne: 1:20\nf: .5\ng: ~\nh: 0x1F\n").unwrap();
        assert_eq!(v.get("a"), Some(&Value::Str("1e3".into())));
        assert_eq!(v.get("b"), Some(&Value::Str("1".into())));
        assert_eq!(v.get("c"), Some(&Value::Bool(true)));
        assert_eq!(v.get("d"), Some(&Value::Str("0o17".into())));
        assert_eq!(v.get("e"), Some(&Value::Int(80)));
        assert_eq!(v.get("f"), Some(&Value::Float(0.5)));
        assert_eq!(v.get("g"), Some(&Value::Null));
        assert_eq!(v.get("h"), Some(&Value::Int(31)));
    }

    #[test]
    fn yaml_11_breaks_in_single_quotes() {
        let v = parse("a: 'x\u{2028}    y'\nb: '\u{85}    '\n").unwrap();
        assert_eq!(v.get("a"), Some(&Value::Str("x\u{2028}y".into())));
        assert_eq!(v.get("b"), Some(&Value::Str(" ".into())));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert!(unique_keys(&v));
        assert_eq!(v.get("a"), Some(&Value::Int(3)));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut y = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            y.push_str(&format!(
                "{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                n = (b'a' + i) as char,
                p = (b'a' + i - 1) as char
            ));
        }
        assert!(parse(&y).is_err());
    }

    #[test]
    fn json_fallback_and_garbage() {
        assert_eq!(
            parse("{\"a\": [1, 2.5]}").unwrap().get("a"),
            Some(&Value::Seq(vec![Value::Int(1), Value::Float(2.5)]))
        );
        assert!(parse("a: [unclosed").is_err());
    }
}
