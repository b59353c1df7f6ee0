//! A fast path for the YAML PyYAML's emitter writes, which is almost every
//! RAB header: block mappings, indentless sequences, one-line scalars.
//!
//! It parses only that regular subset, and accepts its result only if
//! emitting it again with our PyYAML emitter gives back the very same text.
//! Since the emitter writes a value in exactly one way, and quotes every
//! string whose plain form would read as something else, a value that
//! re-emits to the input is what PyYAML reads from it. Anything else
//! (folded long strings, escapes, NEL/LS/PS, complex keys, flow style,
//! anchors, comments, JSON) returns `None` and takes the general path with
//! its budgets.

use super::emit::to_yaml;
use super::{Value, resolve};

const MAX_DEPTH: usize = 64;

struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// The value of `text` (a header with its extra newlines, or a YAML
/// document), or `None` when the text is not in the fast subset.
pub(crate) fn parse(text: &str) -> Option<Value> {
    if text.contains([
        '\u{85}', '\u{2028}', '\u{2029}', '\u{feff}', '\t', '\r', '#', '&', '*', '!',
    ]) {
        return None;
    }
    // A RAB header is "\n" + document + "\n".
    let core = match text.strip_prefix('\n') {
        Some(rest) => rest.strip_suffix('\n')?,
        None => text,
    };
    let mut lines = Vec::new();
    for l in core.strip_suffix('\n')?.split('\n') {
        let body = l.trim_start_matches(' ');
        if body.is_empty() || body.ends_with(' ') {
            return None;
        }
        lines.push(Line {
            indent: l.len() - body.len(),
            text: body,
        });
    }
    let mut p = Parser { lines, pos: 0 };
    let first = p.lines.first()?;
    let v = if p.lines.len() == 1
        && first.indent == 0
        && !first.text.starts_with("- ")
        && !is_key_line(first.text)
    {
        scalar(first.text)?
    } else {
        p.node(0, 0)?
    };
    if p.pos != p.lines.len() {
        return None;
    }
    (to_yaml(&v) == core).then_some(v)
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

fn is_key_line(t: &str) -> bool {
    split_key(t).is_some()
}

/// `key: rest` or `key:` → (key, rest).
fn split_key(t: &str) -> Option<(Value, &str)> {
    if let Some(inner) = t.strip_prefix('\'') {
        let (key, after) = single_quoted_prefix(inner)?;
        let rest = after.strip_prefix(':')?;
        return Some((Value::Str(key), rest.strip_prefix(' ').unwrap_or(rest)));
    }
    if t.starts_with(['"', '?', '[', '{', '-']) && !t.starts_with("-x") {
        // Leave anything unusual to the general path (the re-emit check
        // would catch it too, this is only quicker).
        if t.starts_with(['"', '?', '[', '{']) {
            return None;
        }
    }
    let (key, rest) = match t.find(": ") {
        Some(i) => (&t[..i], &t[i + 2..]),
        None => (t.strip_suffix(':')?, ""),
    };
    Some((resolve::plain_value(key), rest))
}

/// A single-quoted scalar's content up to its closing quote; returns the
/// text and what follows.
fn single_quoted_prefix(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if s[i + 1..].starts_with('\'') {
                out.push('\'');
                chars.next();
            } else {
                return Some((out, &s[i + 1..]));
            }
        } else {
            out.push(c);
        }
    }
    None
}

fn scalar(t: &str) -> Option<Value> {
    match t {
        "[]" => return Some(Value::Seq(Vec::new())),
        "{}" => return Some(Value::Map(Vec::new())),
        _ => {}
    }
    if let Some(inner) = t.strip_prefix('\'') {
        let (s, rest) = single_quoted_prefix(inner)?;
        return rest.is_empty().then_some(Value::Str(s));
    }
    if t.starts_with(['"', '[', '{', '|', '>', '%', '@', '`']) {
        return None;
    }
    Some(resolve::plain_value(t))
}

impl<'a> Parser<'a> {
    fn node(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let line = self.lines.get(self.pos)?;
        if line.indent != indent {
            return None;
        }
        if line.text.starts_with("- ") {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !line.text.starts_with("- ") {
                break;
            }
            let rest = &line.text[2..];
            if is_key_line(rest) {
                // A mapping whose first key sits on the dash line.
                self.lines[self.pos] = Line {
                    indent: indent + 2,
                    text: rest,
                };
                items.push(self.mapping(indent + 2, depth + 1)?);
            } else if rest.starts_with("- ") {
                return None;
            } else {
                items.push(scalar(rest)?);
                self.pos += 1;
            }
        }
        Some(Value::Seq(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut entries = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || line.text.starts_with("- ") {
                return None;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = if rest.is_empty() {
                match self.lines.get(self.pos) {
                    Some(next) if next.indent == indent && next.text.starts_with("- ") => {
                        self.sequence(indent, depth + 1)?
                    }
                    Some(next) if next.indent == indent + 2 => self.node(indent + 2, depth + 1)?,
                    _ => return None,
                }
            } else {
                let v = scalar(rest)?;
                // A continuation line (a folded long scalar) is not ours.
                if self.lines.get(self.pos).is_some_and(|n| n.indent > indent) {
                    return None;
                }
                v
            };
            entries.push((key, value));
        }
        Some(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_subset_and_refuses_the_rest() {
        let v = parse(
            "\n- codecMeta:\n    shape:\n    - 3\n    type: int16\n  metadata: null\n  name: a\n\n",
        )
        .unwrap();
        assert_eq!(
            v.to_string(),
            "- codecMeta:\n    shape:\n    - 3\n    type: int16\n  metadata: null\n  name: a"
        );
        // not how PyYAML writes it: general path
        assert!(parse("a: 1\nb: [1, 2]\n").is_none());
        assert!(parse("b: 1\na: 2\n").is_none());
        assert!(parse("a: 1e3\n").is_some_and(|v| v.get("a") == Some(&Value::from("1e3"))));
        assert!(parse("a: \"x\\ty\"\n").is_none());
    }

    /// On every upstream fixture the fast path agrees with the general one,
    /// and it is taken where the header has no long or escaped strings.
    #[test]
    fn agrees_with_the_general_parser_on_the_fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/rab");
        let mut taken = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rab") {
                continue;
            }
            let b = std::fs::read(&path).unwrap();
            let h = u32::from_le_bytes([b[3], b[4], b[5], b[6]]) as usize;
            let text = std::str::from_utf8(&b[7..7 + h]).unwrap();
            let slow = super::super::load::parse_yaml(text).unwrap();
            if let Some(fast) = parse(text) {
                taken += 1;
                assert_eq!(
                    format!("{fast:?}"),
                    format!("{slow:?}"),
                    "{}",
                    path.display()
                );
            }
        }
        assert!(taken >= 6, "fast path taken for {taken} fixtures");
    }
}
