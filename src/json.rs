//! JSON text to a tree and back, for what Vitrine reads from the page and keeps in storage.
//!
//! By hand, not serde_json: serde's derives and serde_json's generic reader were a quarter of
//! the start-up wasm, and the size of that module is what every page pays before it can
//! track. A tree, read field by field by each record's own code, is enough for objects of a
//! few kilobytes, and it keeps the path of a wrong field for the error.
//!
//! Numbers are `f64`, as in JavaScript, which wrote most of what is read here: integers are
//! exact up to 2^53, more than any count or time Vitrine keeps.

use std::fmt::{self, Write as _};

use crate::number::{is_whole, Shortest, MAX_EXACT};

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number; never `NaN` or infinite when read.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its fields in the order they were read or built.
    Object(Object),
}

/// A JSON object: its fields in order. Lookups are linear, which suits the small objects
/// Vitrine reads by name; large maps (a profile's tables) are only iterated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object(Vec<(String, Value)>);

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object(Vec::new())
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `value`, in place when it is present, else at the end.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) {
        let (key, value) = (key.into(), value.into());
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(field) => field.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// The object with `key` set to `value`; for building.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }

    /// The object with `key` set to `value` if there is one; absent otherwise.
    pub fn with_some<T: Into<Value>>(self, key: &str, value: Option<T>) -> Self {
        match value {
            Some(value) => self.with(key, value),
            None => self,
        }
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Object {
    /// The object of `fields` as read, where a later duplicate key wins. Linear for small
    /// objects, one sort for large ones: a stored text may hold any number of keys.
    fn from_read(mut fields: Vec<(String, Value)>) -> Object {
        if fields.len() <= 16 {
            return fields.into_iter().collect();
        }
        let mut keep = vec![false; fields.len()];
        for i in crate::order::last_of_each_key(fields.len(), &|i| fields[i].0.as_str()) {
            keep[i] = true;
        }
        let mut index = 0;
        fields.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        Object(fields)
    }
}

impl FromIterator<(String, Value)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(fields: I) -> Self {
        let mut object = Object::new();
        for (key, value) in fields {
            object.insert(key, value);
        }
        object
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, if this is a whole one from 0 to 2^53 (beyond, `f64` skips integers).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) if n.fract() == 0.0 && (0.0..=MAX_EXACT).contains(n) => {
                Some(*n as u64)
            }
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value of `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|object| object.get(key))
    }

    /// The value as an error message quotes it: its JSON, cut to a readable length.
    pub fn quoted(&self) -> String {
        crate::error::shortened(self.to_json())
    }

    /// The value as compact JSON text. The texts of its fractions are made first, all at
    /// once (see [`crate::number::shortest_joined`]).
    pub fn to_json(&self) -> String {
        let mut numbers = Vec::new();
        self.fractions(&mut numbers);
        let texts = crate::number::shortest_joined(&numbers);
        let mut out = String::new();
        self.write(&mut out, &mut texts.split(','));
        out
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Number(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        // Counts stay far below 2^53, where the conversion would round.
        Value::Number(n as f64)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

impl From<Object> for Value {
    fn from(object: Object) -> Self {
        Value::Object(object)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::Array(items)
    }
}

impl fmt::Display for Value {
    /// Compact JSON, as [`Value::to_json`] writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl Value {
    /// Every finite number of this value that is not whole below 2^53, in writing order:
    /// the numbers that need a decimal writer.
    fn fractions(&self, into: &mut Vec<f64>) {
        match self {
            Value::Number(n) if n.is_finite() && !is_whole(*n) => into.push(*n),
            Value::Array(items) => items.iter().for_each(|item| item.fractions(into)),
            Value::Object(object) => object.iter().for_each(|(_, value)| value.fractions(into)),
            _ => {}
        }
    }

    /// Writes this value to `out`, taking the text of each fraction from `fractions`, which
    /// holds them in writing order. A non-finite number, which JSON cannot hold, is written
    /// `null`.
    fn write(&self, out: &mut String, fractions: &mut std::str::Split<'_, char>) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if !n.is_finite() => out.push_str("null"),
            Value::Number(n) if is_whole(*n) => {
                let _ = write!(out, "{}", Shortest(*n));
            }
            Value::Number(_) => out.push_str(fractions.next().unwrap_or("null")),
            Value::String(text) => write_string(text, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out, fractions);
                }
                out.push(']');
            }
            Value::Object(object) => {
                out.push('{');
                for (i, (key, value)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write(out, fractions);
                }
                out.push('}');
            }
        }
    }
}

/// `text` as a JSON string, quotes and escapes included: how error messages quote what the
/// page passed. (Rust's `{:?}` would do as well, but brings Unicode tables into the wasm.)
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_string(self.0, &mut out);
        f.write_str(&out)
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    let mut clean = 0;
    for (i, c) in text.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        // `get`, not indexing: the indices are char boundaries, and indexing would bring
        // the panic message's formatting (Unicode tables) into the wasm for nothing.
        out.push_str(text.get(clean..i).unwrap_or_default());
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
        clean = i + c.len_utf8();
    }
    out.push_str(text.get(clean..).unwrap_or_default());
    out.push('"');
}

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// What was expected or found.
    pub message: &'static str,
    /// The 1-based line of the offending byte.
    pub line: usize,
    /// The 1-based column (in bytes) of the offending byte.
    pub column: usize,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

/// How deeply arrays and objects may nest: more than any record or event has, and little
/// enough that reading recursively cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Reads `text` as one JSON value, with nothing but whitespace around it.
///
/// # Errors
/// A [`SyntaxError`] saying what was expected where.
pub fn parse(text: &str) -> Result<Value, SyntaxError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.at < reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

struct Reader<'a> {
    /// The text read, for slices of it; `bytes` is the same, for peeking.
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Reader<'_> {
    fn error(&self, message: &'static str) -> SyntaxError {
        let before = &self.bytes[..self.at.min(self.bytes.len())];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        SyntaxError {
            message,
            line,
            column: before.len() - line_start + 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes `byte` after any whitespace, or fails with `message`.
    fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), SyntaxError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    fn value(&mut self) -> Result<Value, SyntaxError> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn nested(
        &mut self,
        read: fn(&mut Self) -> Result<Value, SyntaxError>,
    ) -> Result<Value, SyntaxError> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn word(&mut self, word: &'static str, value: Value) -> Result<Value, SyntaxError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected value"))
        }
    }

    fn object(&mut self) -> Result<Value, SyntaxError> {
        let mut fields = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(Object::new()));
        }
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let key = self.string()?;
            self.expect(b':', "expected `:`")?;
            let value = self.value()?;
            fields.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(Object::from_read(fields)));
                }
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// A number as JSON writes it; `f64`'s own parser then reads it exactly.
    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.at;
        let digits = |reader: &mut Self| {
            let from = reader.at;
            while let Some(b'0'..=b'9') = reader.peek() {
                reader.at += 1;
            }
            reader.at > from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        if self.peek() == Some(b'0') {
            // No leading zeros: "01" is not JSON.
            self.at += 1;
            if let Some(b'0'..=b'9') = self.peek() {
                return Err(self.error("invalid number"));
            }
        } else if !digits(self) {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        // Only ASCII digits, signs, '.' and 'e' were consumed: a slice at char boundaries.
        // (`get`, and no `from_utf8(..).expect`, whose Debug would come into the wasm.)
        let text = self.text.get(start..self.at).unwrap_or_default();
        match crate::number::read(text) {
            n if n.is_finite() => Ok(Value::Number(n)),
            _ => Err(self.error("number out of range")),
        }
    }

    /// A string, its opening quote at `self.at`.
    fn string(&mut self) -> Result<String, SyntaxError> {
        self.at += 1;
        let mut text = String::new();
        loop {
            let run = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The input is a `str` and the run stops only at ASCII bytes: a char boundary.
            text.push_str(self.text.get(run..self.at).unwrap_or_default());
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(text);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.escape()?;
                    text.push(c);
                }
                Some(_) => return Err(self.error("control character in a string")),
            }
        }
    }

    /// The character of the escape after a backslash.
    fn escape(&mut self) -> Result<char, SyntaxError> {
        let Some(b) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.at..].starts_with(b"\\u") {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error("lone trailing surrogate in hex escape"))
                    }
                    unit => unit,
                };
                char::from_u32(code).expect("invariant: surrogates are excluded above")
            }
            _ => {
                self.at -= 1;
                return Err(self.error("invalid escape"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut unit = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| (b as char).to_digit(16))
                .ok_or_else(|| self.error("invalid escape"))?;
            unit = unit * 16 + digit;
            self.at += 1;
        }
        Ok(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(fields: &[(&str, Value)]) -> Value {
        Value::Object(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn reads_every_kind_of_value() {
        let value = parse(concat!(
            r#" {"a": [1, -2.5, 1e3, 0], "b": "x\"y\\z\u00e9\ud83d\ude00", "#,
            r#""c": true, "d": false, "e": null, "f": {}} "#
        ))
        .unwrap();
        assert_eq!(
            value,
            object(&[
                (
                    "a",
                    Value::Array(vec![1.0.into(), (-2.5).into(), 1000.0.into(), 0.0.into()])
                ),
                ("b", "x\"y\\zé😀".into()),
                ("c", true.into()),
                ("d", false.into()),
                ("e", Value::Null),
                ("f", Object::new().into()),
            ])
        );
    }

    #[test]
    fn writes_what_it_reads() {
        let text = concat!(
            r#"{"a":[1,-2.5,1000,0.1,1e-7,1.5e300],"b":"q\"\\\n\t\u0001é😀","#,
            r#""c":true,"d":null,"e":{"f":[]}}"#
        );
        assert_eq!(parse(text).unwrap().to_json(), text);
    }

    #[test]
    fn numbers_read_back_exactly() {
        for n in [
            0.1,
            1.0 / 3.0,
            1_733_356_800_123.0,
            1_733_356_800_123.5,
            f64::MIN_POSITIVE,
            f64::MAX,
            -123.456e-200,
            2f64.powi(53),
            2f64.powi(60),
        ] {
            let text = Value::Number(n).to_json();
            assert_eq!(parse(&text).unwrap(), Value::Number(n), "{n} as {text}");
        }
    }

    #[test]
    fn a_later_duplicate_key_wins() {
        let value = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(value, object(&[("a", 3.0.into()), ("b", 2.0.into())]));
        // Past 16 keys duplicates are found by sorting; the last of each key stays.
        let keys: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 20)).collect();
        let value = parse(&format!("{{{}}}", keys.join(","))).unwrap();
        let object = value.as_object().unwrap();
        assert_eq!(object.len(), 20);
        for i in 0..20 {
            assert_eq!(
                object.get(&format!("k{i}")),
                Some(&Value::Number(f64::from(i + 20)))
            );
        }
    }

    #[test]
    fn refuses_what_is_not_json_and_says_where() {
        for (text, message, column) in [
            ("", "EOF while parsing a value", 1),
            ("{\"a\" 1}", "expected `:`", 6),
            ("{\"a\":1 \"b\":2}", "expected `,` or `}`", 8),
            ("[1 2]", "expected `,` or `]`", 4),
            ("[1,", "EOF while parsing a value", 4),
            ("{\"a\":1", "EOF while parsing an object", 7),
            ("{1:2}", "key must be a string", 2),
            ("\"abc", "EOF while parsing a string", 5),
            ("\"a\u{1}\"", "control character in a string", 3),
            ("\"\\x\"", "invalid escape", 3),
            ("\"\\ud800\"", "lone leading surrogate in hex escape", 8),
            ("\"\\udc00\"", "lone trailing surrogate in hex escape", 8),
            ("01", "invalid number", 2),
            ("-", "invalid number", 2),
            ("1.", "invalid number", 3),
            ("1e", "invalid number", 3),
            ("1e400", "number out of range", 6),
            ("NaN", "expected value", 1),
            ("tru", "expected value", 1),
            ("{} x", "trailing characters", 4),
        ] {
            let error = parse(text).unwrap_err();
            assert_eq!((error.message, error.column), (message, column), "{text:?}");
        }
        let error = parse("{\n  \"a\": x}").unwrap_err();
        assert_eq!(error.to_string(), "expected value at line 2 column 8");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deep).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            parse(&deeper).unwrap_err().message,
            "recursion limit exceeded"
        );
    }

    #[test]
    fn whole_numbers_are_written_without_a_fraction() {
        assert_eq!(Value::from(3u64).to_json(), "3");
        assert_eq!(Value::from(-0.0).to_json(), "0");
        assert_eq!(Value::from(f64::NAN).to_json(), "null");
        assert_eq!(Value::Number(1e16).to_json(), "1e16");
    }

    #[test]
    fn agrees_with_serde_json_on_random_texts() {
        // serde_json, which the native tools use, is the reference reader.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"{}[],:\"\\ 0123456789.-+eEtrufalsn\nu\x01a";
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
                .collect();
            let ours = parse(&text);
            let theirs = serde_json::from_str::<serde_json::Value>(&text);
            assert_eq!(
                ours.is_ok(),
                theirs.is_ok(),
                "{text:?}: {ours:?} / {theirs:?}"
            );
            if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
                assert_eq!(sorted(&ours), from_serde(&theirs), "{text:?}");
                assert_eq!(parse(&ours.to_json()).unwrap(), ours, "{text:?}");
            }
        }
    }

    /// `value` with every object's fields sorted by key, as serde_json's map keeps them.
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            Value::Object(object) => {
                let mut fields: Vec<(String, Value)> = object
                    .iter()
                    .map(|(k, v)| (k.to_owned(), sorted(v)))
                    .collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(fields.into_iter().collect())
            }
            other => other.clone(),
        }
    }

    fn from_serde(value: &serde_json::Value) -> Value {
        use serde_json::Value as V;
        match value {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Number(n) => Value::Number(n.as_f64().unwrap()),
            V::String(s) => Value::String(s.clone()),
            V::Array(items) => Value::Array(items.iter().map(from_serde).collect()),
            V::Object(map) => sorted(&Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), from_serde(v)))
                    .collect(),
            )),
        }
    }
}
