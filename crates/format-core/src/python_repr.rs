//! Python's `repr` of a string, shared by the formats whose reference
//! writes Python text: numpy's `.npy` header (DSRecords fields) and BEAT's
//! `str()` of values stored in string fields.

/// Python's `repr(str)`: single quotes unless the text holds a single quote
/// and no double quote; `\\`, `\n`, `\r`, `\t`, the quote and other control
/// characters escaped (`\x01`, `\x7f`).
///
/// ```
/// use vellum_format_core::python_str_repr;
/// assert_eq!(python_str_repr("<f4"), "'<f4'");
/// assert_eq!(python_str_repr("it's"), "\"it's\"");
/// assert_eq!(python_str_repr("a\nb\u{1}"), "'a\\nb\\x01'");
/// ```
pub fn python_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
