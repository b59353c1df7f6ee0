//! A byte-exact port of the part of PyYAML's emitter RAB uses (spec §2.3):
//! `yaml.dump(data, Dumper=yaml.Dumper, allow_unicode=True)` with the
//! defaults `sort_keys=True`, block style, indent 2, width 80.
//!
//! The state machine of PyYAML's `Emitter` becomes a recursive walk over
//! [`Value`]; the column bookkeeping, the quoting analysis, the style choice
//! and the line folding are PyYAML's own, line for line, so the output is
//! the same byte for byte. Columns count characters, as Python does.

use std::cmp::Ordering;

use super::Value;
use super::resolve::{Implicit, implicit, python_repr};

const BEST_INDENT: usize = 2;
const BEST_WIDTH: usize = 80;
const BREAKS: [char; 4] = ['\n', '\u{85}', '\u{2028}', '\u{2029}'];
/// Characters PyYAML treats as whitespace around indicators.
const WS_OR_BREAK: [char; 7] = ['\0', ' ', '\t', '\r', '\n', '\u{85}', '\u{2028}'];

/// `yaml.dump(value, Dumper=yaml.Dumper, allow_unicode=True)`.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut e = Emitter::default();
    e.node(value, Ctx::default());
    e.write_indent();
    e.out
}

#[derive(Debug, Clone, Copy, Default)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

#[derive(Debug)]
struct Emitter {
    out: String,
    column: usize,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    whitespace: bool,
    indention: bool,
    flow_level: usize,
    ctx: Ctx,
}

impl Default for Emitter {
    fn default() -> Emitter {
        Emitter {
            out: String::new(),
            column: 0,
            indent: None,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            flow_level: 0,
            ctx: Ctx::default(),
        }
    }
}

/// A scalar as the representer hands it to the emitter: its text, the
/// length of its `!!tag` (counted by `check_simple_key`) and whether the
/// plain form resolves back to the same type.
struct Scalar {
    text: Vec<char>,
    tag_len: usize,
    plain_ok: bool,
}

fn represent(v: &Value) -> Option<Scalar> {
    let (text, tag_len, plain_ok) = match v {
        Value::Null => ("null".to_owned(), 6, true),
        Value::Bool(b) => (if *b { "true" } else { "false" }.to_owned(), 6, true),
        Value::Int(i) => (i.to_string(), 5, true),
        Value::BigInt(s) => (s.clone(), 5, true),
        Value::Float(f) => (float_text(*f), 7, true),
        Value::Str(s) => (s.clone(), 5, implicit(s) == Implicit::Str),
        Value::Seq(_) | Value::Map(_) => return None,
    };
    Some(Scalar {
        text: text.chars().collect(),
        tag_len,
        plain_ok,
    })
}

/// PyYAML's `represent_float`.
pub(crate) fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f == f64::INFINITY {
        return ".inf".into();
    }
    if f == f64::NEG_INFINITY {
        return "-.inf".into();
    }
    let r = python_repr(f).to_lowercase();
    if !r.contains('.') && r.contains('e') {
        r.replacen('e', ".0e", 1)
    } else {
        r
    }
}

/// Python's ordering of dict keys for `sorted()`: strings by code point
/// (UTF-8 byte order is the same), numbers numerically; other mixes have
/// no order in Python (it raises), so they fall back to a fixed rank.
fn key_order(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_) => 1,
            Value::Str(_) => 2,
            Value::Seq(_) => 3,
            Value::Map(_) => 4,
        }
    }
    fn num(v: &Value) -> f64 {
        match v {
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Int(i) => *i as f64,
            Value::BigInt(s) => s.parse().unwrap_or(0.0),
            Value::Float(f) => *f,
            _ => 0.0,
        }
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        _ => rank(a)
            .cmp(&rank(b))
            .then_with(|| num(a).partial_cmp(&num(b)).unwrap_or(Ordering::Equal)),
    }
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

/// PyYAML's `analyze_scalar` with `allow_unicode=True`.
fn analyze(s: &[char]) -> Analysis {
    if s.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let starts = |p: &str| s.iter().take(3).copied().eq(p.chars());
    if starts("---") || starts("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let ws = |c: Option<&char>| c.is_none_or(|c| WS_OR_BREAK.contains(c) || *c == '\u{2029}');
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = s.len() == 1 || ws(s.get(1));
    let mut previous_space = false;
    let mut previous_break = false;
    for (index, &ch) in s.iter().enumerate() {
        if ch.is_ascii_alphanumeric() {
            // No indicator, break, space or special character: only the
            // neighbour flags move (the common case, kept cheap).
            previous_space = false;
            previous_break = false;
            preceded_by_whitespace = false;
            followed_by_whitespace = ws(s.get(index + 2));
            continue;
        }
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        if BREAKS.contains(&ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\x20'..='\x7e').contains(&ch)) {
            let printable = ch == '\u{85}'
                || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                || ('\u{e000}'..='\u{fffd}').contains(&ch)
                || ('\u{10000}'..'\u{10ffff}').contains(&ch);
            if !printable || ch == '\u{feff}' {
                special_characters = true;
            }
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == s.len() - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if BREAKS.contains(&ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == s.len() - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = ws(Some(&ch));
        followed_by_whitespace = ws(s.get(index + 2));
    }
    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if break_space {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain,
        allow_block_plain,
        allow_single_quoted,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

impl Emitter {
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None if flow => Some(BEST_INDENT),
            None => Some(0),
            Some(i) if !indentless => Some(i + BEST_INDENT),
            some => some,
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn write(&mut self, chars: &[char]) {
        self.column += chars.len();
        self.out.extend(chars);
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_ws: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_ws {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(indicator);
        self.column += indicator.chars().count();
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            self.out
                .extend(std::iter::repeat_n(' ', indent - self.column));
            self.column = indent;
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    fn node(&mut self, v: &Value, ctx: Ctx) {
        self.ctx = ctx;
        match v {
            Value::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Map(entries) if entries.is_empty() => self.empty_flow("{", "}"),
            Value::Seq(items) => {
                let indentless = self.ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Ctx::default());
                }
                self.pop_indent();
            }
            Value::Map(entries) => {
                self.increase_indent(false, false);
                let mut sorted: Vec<&(Value, Value)> = entries.iter().collect();
                sorted.sort_by(|a, b| key_order(&a.0, &b.0));
                for (k, val) in sorted {
                    self.write_indent();
                    let item = Ctx {
                        mapping: true,
                        ..Ctx::default()
                    };
                    if simple_key(k) {
                        self.node(
                            k,
                            Ctx {
                                simple_key: true,
                                ..item
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.node(k, item);
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(val, item);
                }
                self.pop_indent();
            }
            scalar => {
                if let Some(s) = represent(scalar) {
                    self.increase_indent(true, false);
                    self.scalar(&s);
                    self.pop_indent();
                }
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, s: &Scalar) {
        let a = analyze(&s.text);
        let simple = self.ctx.simple_key;
        let style = if s.plain_ok
            && !(simple && (a.empty || a.multiline))
            && ((self.flow_level > 0 && a.allow_flow_plain)
                || (self.flow_level == 0 && a.allow_block_plain))
        {
            Style::Plain
        } else if a.allow_single_quoted && !(simple && a.multiline) {
            Style::Single
        } else {
            Style::Double
        };
        let split = !simple;
        match style {
            Style::Plain => self.write_plain(&s.text, split),
            Style::Single => self.write_single_quoted(&s.text, split),
            Style::Double => self.write_double_quoted(&s.text, split),
        }
    }

    fn write_plain(&mut self, text: &[char], split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(&[' ']);
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !BREAKS.contains(&c)) {
                    if text.get(start) == Some(&'\n') {
                        self.write_line_break(None);
                    }
                    for &br in &text[start..end] {
                        self.write_line_break(if br == '\n' { None } else { Some(br) });
                    }
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || BREAKS.contains(&c)) {
                self.write(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = BREAKS.contains(&c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !BREAKS.contains(&c)) {
                    if text.get(start) == Some(&'\n') {
                        self.write_line_break(None);
                    }
                    for &br in &text[start..end] {
                        self.write_line_break(if br == '\n' { None } else { Some(br) });
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || BREAKS.contains(&c)) && start < end
            {
                self.write(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write(&['\'', '\'']);
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = BREAKS.contains(&c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let (mut start, mut end) = (0, 0);
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|c| {
                "\"\\\u{85}\u{2028}\u{2029}\u{feff}".contains(c)
                    || !(('\x20'..='\x7e').contains(&c)
                        || ('\u{a0}'..='\u{d7ff}').contains(&c)
                        || ('\u{e000}'..='\u{fffd}').contains(&c))
            });
            if needs_escape {
                if start < end {
                    self.write(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let esc: Vec<char> = escape(c).chars().collect();
                    self.write(&esc);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && (self.column + end) as isize - start as isize > BEST_WIDTH as isize
                && split
            {
                let mut data: Vec<char> = text[start.min(end)..end].to_vec();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write(&['\\']);
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// PyYAML's `check_simple_key` for a key node.
fn simple_key(k: &Value) -> bool {
    match represent(k) {
        Some(s) => {
            let a = analyze(&s.text);
            s.tag_len + s.text.len() < 128 && !a.empty && !a.multiline
        }
        // Only empty collections can be simple keys (`[]`/`{}` plus the tag).
        None => {
            matches!(k, Value::Seq(v) if v.is_empty()) || matches!(k, Value::Map(m) if m.is_empty())
        }
    }
}

fn escape(c: char) -> String {
    let named = match c {
        '\0' => "0",
        '\x07' => "a",
        '\x08' => "b",
        '\t' => "t",
        '\n' => "n",
        '\x0b' => "v",
        '\x0c' => "f",
        '\r' => "r",
        '\x1b' => "e",
        '"' => "\"",
        '\\' => "\\",
        '\u{85}' => "N",
        '\u{a0}' => "_",
        '\u{2028}' => "L",
        '\u{2029}' => "P",
        _ => "",
    };
    if !named.is_empty() {
        return format!("\\{named}");
    }
    let n = u32::from(c);
    if n <= 0xff {
        format!("\\x{n:02X}")
    } else if n <= 0xffff {
        format!("\\u{n:04X}")
    } else {
        format!("\\U{n:08X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_worked_example() {
        let entry = Value::map([
            (
                "codecMeta",
                Value::map([
                    ("byteLength", Value::from(6u64)),
                    ("byteOffset", Value::from(0u64)),
                    ("byteOrder", Value::from("C")),
                    ("compression", Value::Null),
                    ("endianness", Value::from("little")),
                    ("shape", Value::from(vec![3u64])),
                    ("strides", Value::from(vec![1u64])),
                    ("type", Value::from("int16")),
                ]),
            ),
            ("metadata", Value::map([("unit", Value::from("mV"))])),
            ("name", Value::from("a")),
        ]);
        let text = to_yaml(&Value::Seq(vec![entry]));
        assert_eq!(text.len() + 2, 204);
        assert!(text.starts_with("- codecMeta:\n    byteLength: 6\n"));
        assert!(text.contains("    shape:\n    - 3\n"));
        assert!(text.ends_with("  name: a\n"));
        assert_eq!(to_yaml(&Value::Seq(vec![])), "[]\n");
        assert_eq!(to_yaml(&Value::Map(vec![])), "{}\n");
    }

    #[test]
    fn quoting_follows_pyyaml() {
        let cases = [
            ("", "''"),
            ("null", "'null'"),
            ("1e3", "1e3"),
            ("0o17", "0o17"),
            ("1:20", "'1:20'"),
            ("- item", "'- item'"),
            ("-x", "-x"),
            ("a: b", "'a: b'"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("tab\there", "\"tab\\there\""),
            ("tab\t\u{1f600}", "\"tab\\t\\U0001F600\""),
            ("\u{feff}", "\"\\uFEFF\""),
            ("ü\u{1f600}", "ü\u{1f600}"),
        ];
        for (s, want) in cases {
            let got = to_yaml(&Value::map([("k", Value::from(s))]));
            assert_eq!(got, format!("k: {want}\n"), "{s:?}");
        }
    }
}
