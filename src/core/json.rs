//! JSON parsing with errors that say what was being read.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{Error, Result};

/// serde_json refuses to nest deeper than this; we report it in words instead of a parser message.
pub const MAX_DEPTH: usize = 128;

/// What strata stores itself (outbox records, cache deltas) wraps app data in a few levels of
/// its own, so it is read back with this much room: whatever was accepted can be read back.
pub const STORED_DEPTH: usize = MAX_DEPTH + 16;

/// Who produced the text: decides the error code when it is not valid JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The application passed it (setQueryData data, a patch, options): `INVALID_ARGUMENT`.
    App,
    /// A server answered with it: `PARSE`.
    Server,
}

/// Parses `text` as JSON; `what` names the value in the error message.
pub fn parse(text: &str, what: &str, origin: Origin) -> Result<Value> {
    read(text, false).map_err(|e| {
        let msg = if e.to_string().contains("recursion limit") {
            format!(
                "{what} nests deeper than {MAX_DEPTH} levels; flatten it or split it into entities"
            )
        } else {
            format!("{what} is not valid JSON: {e}")
        };
        match origin {
            Origin::App => Error::InvalidArgument(msg),
            Origin::Server => Error::Parse(msg),
        }
    })
}

/// The fields of an options object, where `null` means none. Anything else is
/// `INVALID_ARGUMENT`: "`{expected}`, got {its type}".
pub fn fields<'v>(v: &'v Value, expected: &str) -> Result<Option<&'v Map<String, Value>>> {
    match v {
        Value::Object(m) => Ok(Some(m)),
        Value::Null => Ok(None),
        other => Err(Error::InvalidArgument(format!(
            "{expected}, got {}",
            type_name(other)
        ))),
    }
}

/// Parses text strata stored itself (`what` names it): nesting up to `STORED_DEPTH`, checked
/// before parsing (so the parser's own recursion stays bounded); anything unreadable is
/// `PARSE`, as for a server's text.
pub fn parse_stored(text: &str, what: &str) -> Result<Value> {
    if depth(text) > STORED_DEPTH {
        return Err(Error::Parse(format!(
            "{what} nests deeper than {STORED_DEPTH} levels"
        )));
    }
    read(text, true).map_err(|e| Error::Parse(format!("{what} is not valid JSON: {e}")))
}

/// The one serde_json reader both entries share (a second instance would be another copy of
/// the parser in the wasm). `unlimited`: the caller has bounded the depth itself.
fn read(text: &str, unlimited: bool) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    if unlimited {
        de.disable_recursion_limit();
    }
    let v = Value::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// The bytes of `text` outside strings, with their offsets, and the nesting depth after each
/// (`[`/`{` open a level, `]`/`}` close one): the one scan `depth` and `array_items` share.
fn structure(text: &str) -> impl Iterator<Item = (usize, u8, usize)> + '_ {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    text.bytes().enumerate().filter_map(move |(i, c)| {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            return None;
        }
        match c {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        Some((i, c, depth))
    })
}

/// The deepest nesting of arrays and objects in `text` (strings skipped).
fn depth(text: &str) -> usize {
    structure(text).map(|(_, _, d)| d).max().unwrap_or(0)
}

/// The texts of the items of a top-level JSON array, split without parsing them (so one item
/// that cannot be read does not hide the others); `None` when `text` is not an array.
pub fn array_items(text: &str) -> Option<Vec<&str>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let (mut items, mut start) = (Vec::new(), 0);
    for (i, c, depth) in structure(inner) {
        if c == b',' && depth == 0 {
            items.push(inner.get(start..i)?.trim());
            start = i + 1;
        }
    }
    let last = inner.get(start..)?.trim();
    if !last.is_empty() || !items.is_empty() {
        items.push(last);
    }
    Some(items)
}

/// A short human name for a JSON value's type, for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A location inside a value, kept as a stack while walking and rendered only for errors.
/// Field names are borrowed (from the schema or the shape), so walking allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct Path<'a>(Vec<Seg<'a>>);

#[derive(Debug, Clone)]
enum Seg<'a> {
    Field(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub fn push_field(&mut self, name: &'a str) {
        self.0.push(Seg::Field(name));
    }
    pub fn push_index(&mut self, i: usize) {
        self.0.push(Seg::Index(i));
    }
    pub fn pop(&mut self) {
        self.0.pop();
    }
    pub fn render(&self) -> String {
        let mut out = String::from("data");
        for seg in &self.0 {
            match seg {
                Seg::Field(f) => {
                    out.push('.');
                    out.push_str(f);
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}
