//! A fast path for the YAML PyYAML's emitter writes, which is almost every
//! RAB header: block mappings, indentless sequences, one-line plain and
//! single-quoted scalars.
//!
//! It accepts only a regular subset in which YAML 1.1 (PyYAML) and the
//! general path read every token the same way, and returns `None` for
//! anything else, which then takes the general path with its budgets:
//!
//! * the text: only characters PyYAML prints raw (no tab, CR, other
//!   controls, NEL/LS/PS, BOM or non-characters), no blank line inside,
//!   no trailing space;
//! * structure: a line is `- item`, `key: value`, `key:` (a nested block
//!   on the lines after), or `- key: value` (a mapping inside a sequence);
//!   nested mappings are indented by two, sequences in mappings by zero or
//!   two; nothing deeper than [`MAX_DEPTH`];
//! * a plain scalar does not start with an indicator (`-` only before a
//!   letter, digit, `.` or `_`), holds no `: ` or ` #`, does not end with
//!   `:` and is typed by the same PyYAML resolver the general path uses;
//! * a single-quoted scalar closes on its line (`''` is a quote);
//! * keys are strings (plain or single-quoted), unique, at most 1000
//!   bytes; values may also be `[]` and `{}`.
//!
//! Anything else (double quotes, folded long scalars, flow collections,
//! complex `?` keys, anchors, tags, comments, non-string or repeated keys,
//! JSON) is left to the general path. `tests/yaml_paths.rs` and the fuzz
//! target `rab_yaml_paths` check that both paths agree wherever this one
//! answers.

use std::collections::HashSet;

use super::{Value, resolve};

/// Nesting this path takes; the general path allows 64.
const MAX_DEPTH: usize = 32;

/// Longest key token taken (YAML's simple keys stop at 1024 characters).
const MAX_KEY: usize = 1000;

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

/// The value of `text` (a header with its framing newlines, or a YAML
/// document), or `None` when the text is not in the fast subset.
pub(crate) fn parse(text: &str) -> Option<Value> {
    if !printable(text) {
        return None;
    }
    // A RAB header is "\n" + document + "\n"; the document ends with "\n".
    let core = match text.strip_prefix('\n') {
        Some(rest) => rest.strip_suffix('\n')?,
        None => text,
    };
    let body = core.strip_suffix('\n')?;
    let mut lines = Vec::with_capacity(body.len() / 16 + 1);
    for l in body.split('\n') {
        let t = l.trim_start_matches(' ');
        if t.is_empty() || t.ends_with(' ') {
            return None;
        }
        lines.push(Line {
            indent: l.len() - t.len(),
            text: t,
        });
    }
    let first = *lines.first()?;
    if first.indent != 0 {
        return None;
    }
    if lines.len() == 1 && (first.text == "[]" || first.text == "{}") {
        return scalar(first.text);
    }
    let mut p = Parser { lines, pos: 0 };
    let v = p.block(0, 1)?;
    (p.pos == p.lines.len()).then_some(v)
}

/// True when every character is one PyYAML writes raw: printable, not a
/// tab or CR, not a YAML 1.1 line break other than `\n`, not a BOM.
/// Checked on the UTF-8 bytes (the text is valid UTF-8).
fn printable(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' | 0x20..=0x7e => {}
            0x00..=0x1f | 0x7f => return false,
            // U+0080..U+009F: C1 controls and NEL.
            0xc2 if b.get(i + 1).is_some_and(|&n| n < 0xa0) => return false,
            // U+2028 LS, U+2029 PS.
            0xe2 if b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xa8 | 0xa9)) => {
                return false;
            }
            // U+FEFF BOM, U+FFFE, U+FFFF.
            0xef if matches!(
                (b.get(i + 1), b.get(i + 2)),
                (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
            ) =>
            {
                return false;
            }
            _ => {}
        }
        i += 1;
    }
    true
}

/// A plain scalar token both readers end where the token ends.
fn plain_ok(t: &str) -> bool {
    let mut bytes = t.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    let starts_ok = match first {
        b'-' => bytes
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_'),
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' => false,
        _ => true,
    };
    starts_ok
        && !t.ends_with([':', ' '])
        && !t.as_bytes().windows(2).any(|w| w == b": " || w == b" #")
        && !t.starts_with("---")
        && !t.starts_with("...")
}

/// True when `a` is followed by `b` somewhere in `s`.
fn has_pair(s: &[u8], a: u8, b: u8) -> bool {
    s.windows(2).any(|w| w == [a, b])
}

/// The byte index of the first `: ` in `s`.
fn find_pair(s: &[u8], a: u8, b: u8) -> Option<usize> {
    s.windows(2).position(|w| w == [a, b])
}

/// A single-quoted scalar at the start of `s` (after its opening quote):
/// its content and what follows the closing quote.
fn single_quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let q = rest.find('\'')?;
        out.push_str(rest.get(..q)?);
        let after = rest.get(q + 1..)?;
        match after.strip_prefix('\'') {
            Some(more) => {
                out.push('\'');
                rest = more;
            }
            None => return Some((out, after)),
        }
    }
}

/// A value token: `[]`, `{}`, a single-quoted or a plain scalar.
fn scalar(t: &str) -> Option<Value> {
    match t {
        "[]" => Some(Value::Seq(Vec::new())),
        "{}" => Some(Value::Map(Vec::new())),
        _ => {
            if let Some(inner) = t.strip_prefix('\'') {
                let (s, rest) = single_quoted(inner)?;
                rest.is_empty().then_some(Value::Str(s))
            } else if plain_ok(t) {
                Some(resolve::plain_value(t))
            } else {
                None
            }
        }
    }
}

/// `key: rest` or `key:` → (key, rest); `None` when the line is not a
/// mapping entry of the subset. `rest` is empty for `key:`.
fn split_key(t: &str) -> Option<(String, &str)> {
    let (key, after) = if let Some(inner) = t.strip_prefix('\'') {
        let (key, after) = single_quoted(inner)?;
        (key, after.strip_prefix(':')?)
    } else {
        let (token, after) = match find_pair(t.as_bytes(), b':', b' ') {
            Some(i) => (t.get(..i)?, t.get(i + 1..)?),
            None => (t.strip_suffix(':')?, ""),
        };
        if !plain_ok(token) {
            return None;
        }
        // Keys must be strings: other keys go to the general path.
        match resolve::plain_value(token) {
            Value::Str(s) => (s, after),
            _ => return None,
        }
    };
    if t.len() - after.len() > MAX_KEY {
        return None;
    }
    match after.strip_prefix(' ') {
        Some(rest) if !rest.is_empty() && !rest.starts_with(' ') => Some((key, rest)),
        None if after.is_empty() => Some((key, "")),
        _ => None,
    }
}

/// True when the text after `- ` starts a mapping rather than a scalar.
fn is_key_line(t: &str) -> bool {
    if let Some(inner) = t.strip_prefix('\'') {
        single_quoted(inner).is_some_and(|(_, after)| after.starts_with(':'))
    } else {
        has_pair(t.as_bytes(), b':', b' ') || t.ends_with(':')
    }
}

struct Parser<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn line(&self) -> Option<Line<'a>> {
        self.lines.get(self.pos).copied()
    }

    /// A mapping or sequence starting at the current line, at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let line = self.line()?;
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
        if depth > MAX_DEPTH {
            return None;
        }
        let mut items = Vec::new();
        while let Some(line) = self.line() {
            if line.indent != indent {
                break;
            }
            let Some(rest) = line.text.strip_prefix("- ") else {
                if line.text == "-" {
                    return None;
                }
                break;
            };
            if rest.starts_with(' ') || rest.starts_with('-') && !plain_ok(rest) {
                return None;
            }
            if is_key_line(rest) {
                // A mapping whose first key sits on the dash line.
                if let Some(l) = self.lines.get_mut(self.pos) {
                    *l = Line {
                        indent: indent + 2,
                        text: rest,
                    };
                }
                items.push(self.mapping(indent + 2, depth + 1)?);
            } else {
                items.push(scalar(rest)?);
                self.pos += 1;
                // A more indented line here would continue the scalar.
                if self.line().is_some_and(|n| n.indent > indent) {
                    return None;
                }
            }
        }
        Some(Value::Seq(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut entries: Vec<(Value, Value)> = Vec::with_capacity(8);
        // PyYAML sorts keys: strictly increasing keys are unique.
        let mut sorted = true;
        while let Some(line) = self.line() {
            if line.indent < indent {
                break;
            }
            if line.indent > indent || line.text.starts_with('-') {
                return None;
            }
            let (key, rest) = split_key(line.text)?;
            self.pos += 1;
            let value = if rest.is_empty() {
                match self.line() {
                    Some(next) if next.indent == indent && next.text.starts_with("- ") => {
                        self.sequence(indent, depth + 1)?
                    }
                    Some(next) if next.indent == indent + 2 => self.block(indent + 2, depth + 1)?,
                    // `key:` with nothing under it is null: PyYAML writes
                    // `null`, so this is not its text.
                    _ => return None,
                }
            } else {
                let v = scalar(rest)?;
                if self.line().is_some_and(|n| n.indent > indent) {
                    return None;
                }
                v
            };
            if let Some((Value::Str(prev), _)) = entries.last() {
                sorted &= prev.as_str() < key.as_str();
            }
            entries.push((Value::Str(key), value));
        }
        if !sorted {
            // A repeated key: PyYAML keeps the last value, the general
            // path does the same; leave it to that path.
            let mut seen = HashSet::with_capacity(entries.len());
            if !entries.iter().all(|(k, _)| seen.insert(k.as_str())) {
                return None;
            }
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
        assert!(parse("a: 1\nb: [1, 2]\n").is_none());
        assert!(parse("a: 1e3\n").is_some_and(|v| v.get("a") == Some(&Value::from("1e3"))));
        assert!(parse("a: \"x\\ty\"\n").is_none());
        // Repeated keys, null values, comments, continuation lines,
        // non-string keys, indicators: all for the general path.
        for text in [
            "a: 1\na: 2\n",
            "b: 1\na: 2\nb: 3\n",
            "a:\nb: 1\n",
            "a: 1 # c\n",
            "a: b\n  c\n",
            "- b\n  c\n",
            "1: a\n",
            "null: a\n",
            "a: &x 1\n",
            "a: !!str 1\n",
            "a: - 1\n",
            "a:  1\n",
            "a: b: c\n",
            "- - 1\n",
            "-\n",
            "a: 'x' y\n",
            "'a':b\n",
            "a: x\u{85}y\n",
            "a: \u{feff}\n",
            "a:\n   b: 1\n",
            "--- a\n",
            "a : 1\n",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
        // YAML 1.1 typing (docs/rab.md, "YAML: what upstream means") on
        // both paths: the same resolver types the plain scalars.
        let text = "a: 1e3\nb: yes\nc: 0o17\nd: 1:20\ne: 0x1F\nf: 017\ng: 2020-01-01\nh: ~\ni: .5\nj: '1'\nk: 1_000\nl: -.inf\n";
        let fast = parse(text).unwrap();
        let general = super::super::load::parse_general(text).unwrap();
        assert_eq!(format!("{fast:?}"), format!("{general:?}"));
        let want = [
            ("a", Value::from("1e3")),
            ("b", Value::Bool(true)),
            ("c", Value::from("0o17")),
            ("d", Value::Int(80)),
            ("e", Value::Int(31)),
            ("f", Value::Int(15)),
            ("g", Value::from("2020-01-01")),
            ("h", Value::Null),
            ("i", Value::Float(0.5)),
            ("j", Value::from("1")),
            ("k", Value::Int(1000)),
            ("l", Value::Float(f64::NEG_INFINITY)),
        ];
        for (k, v) in want {
            assert_eq!(fast.get(k), Some(&v), "{k}");
        }
        // Unsorted but unique keys are fine.
        assert!(parse("b: 1\na: 2\n").is_some_and(|v| v.get("a") == Some(&Value::Int(2))));
        assert_eq!(
            parse("'it''s': '#: x'\n").unwrap().get("it's"),
            Some(&Value::from("#: x"))
        );
    }
}
