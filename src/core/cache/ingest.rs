//! JSON text to normalized records in one pass. The two-step path (`json::parse` builds the whole
//! value tree, then `normalize` walks it and the cache folds the copies of each entity) allocated
//! every copy of a shared entity in full only to drop it again: in a 10,000-task response the 200
//! users arrive 40,000 times. Here the text is read through the shape: an entity object's fields
//! are collected with their strings borrowed from the text, and once its id is known they either
//! become a new record or are compared with the record already read for that key, so an identical
//! copy allocates nothing. Copies are folded as the cache folds them (`Index::coalesce`: the first
//! copy's place and id value stand, later fields win), so the entity list has each key once.
//!
//! The result is exactly what `normalize(json::parse(text))` gives. Whenever this reader cannot
//! promise that, it gives up and the two-step path runs instead: on any error (so every message
//! is the one it always was), on a repeated key in an entity or shaped object, on an object key
//! with escapes, on nesting deeper than 100, and on relation fields that arrive in a different
//! order than the entity type declares them (the two-step path walks relations in declaration
//! order, which decides the order of the entity list).
//!
//! The reader is written out by hand rather than as serde visitors: each visitor type would be
//! another copy of serde_json's generic parser in the wasm (about 6 kB gzipped for the five
//! this needs). Numbers other than short integers go through `serde_json::Number`'s own
//! `FromStr`, so every number is the value serde_json would have read.

use crate::core::cell::Cell;
use crate::core::row::{Names, Row};
use foldhash::fast::FixedState;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use super::normalize::{normalize, Normalized};
use crate::core::error::Result;
use crate::core::json::{self, Origin};
use crate::core::key::push_id;
use crate::core::schema::{EntityType, Schema};
use crate::core::shape::Shape;

/// Normalizes JSON `text` through `shape`. `what` names the text in error messages.
pub fn normalize_json(
    schema: &Schema,
    shape: &Shape,
    text: &str,
    what: &dyn Fn() -> String,
    origin: Origin,
) -> Result<Normalized> {
    if let Some(n) = read(schema, shape, text) {
        return Ok(n);
    }
    let data = json::parse(text, &what(), origin)?;
    normalize(schema, shape, data)
}

/// The one-pass reading, or `None` when the two-step path must decide (public for
/// examples/ingest.rs).
pub fn read(schema: &Schema, shape: &Shape, text: &str) -> Option<Normalized> {
    let mut r = Reader::new(schema, text);
    let expected = text.len() / BYTES_PER_ENTITY;
    r.entities.reserve(expected);
    r.index.reserve(expected);
    let result = r.shaped(shape)?;
    r.ws();
    (r.pos == text.len()).then_some(Normalized {
        result,
        entities: r.entities,
    })
}

/// One cache delta as written by sync/delta.rs (`{"e": [[key, record | null]], "q": [[hash,
/// query]]}`), its records read straight into rows.
#[derive(Debug, Default)]
pub struct RawDelta {
    pub e: Vec<(String, Option<Row>)>,
    pub q: Vec<(String, Value)>,
}

/// A cache delta text, or a JSON array of them (oldest first), in one pass: no `Map` is built
/// for a record only to be turned into a row (a cold start reads every record through here).
/// `None` when the serde path must read it (escaped keys, deep nesting, not this format).
pub fn read_delta(schema: &Schema, text: &str) -> Option<Vec<RawDelta>> {
    let mut r = Reader::new(schema, text);
    let mut out = Vec::new();
    r.ws();
    if r.peek()? == b'[' {
        r.pos += 1;
        if !r.open(b']')? {
            loop {
                out.push(r.delta()?);
                if r.next(b']')? {
                    break;
                }
            }
        }
    } else {
        out.push(r.delta()?);
    }
    r.ws();
    (r.pos == text.len()).then_some(out)
}

/// Deeper nesting is left to serde_json (which refuses more than 127 levels).
const MAX_DEPTH: usize = 100;

struct Reader<'s, 't> {
    text: &'t str,
    pos: usize,
    depth: usize,
    schema: &'s Schema,
    entities: Vec<(String, Row)>,
    /// Key -> position in `entities`, keyed by the key's 64-bit hash: one string hash per
    /// entity met and no copy of its key. A lookup checks the key at that position; two keys of
    /// one hash (possible, never seen) make the reader give up, so the two-step path decides.
    index: HashMap<u64, usize, BuildHasherDefault<Passthrough>>,
    hash: FixedState,
    /// The fields of the entity objects being read, innermost last (one shared stack, so
    /// reading an entity allocates nothing for its fields).
    fields: Vec<(&'t str, Field<'t>)>,
    /// Scratch for building keys.
    key: String,
    /// The field names met so far (one table lookup per distinct name, not per field).
    names: Names,
}

/// A field value, its string borrowed from the text when it has no escapes.
enum Field<'t> {
    Str(&'t str),
    Value(Value),
    /// A relation's key (inline when short: no `String` for it).
    Cell(Cell),
}

impl Field<'_> {
    fn into_value(self) -> Value {
        match self {
            Field::Str(s) => Value::String(s.to_owned()),
            Field::Value(v) => v,
            Field::Cell(c) => c.into_value(),
        }
    }

    fn into_cell(self) -> Cell {
        match self {
            Field::Str(s) => Cell::string(s),
            Field::Value(v) => Cell::from(v),
            Field::Cell(c) => c,
        }
    }

    fn same_as(&self, c: &Cell) -> bool {
        match (self, c) {
            (Field::Str(s), c) => c.as_str() == Some(*s),
            (Field::Value(a), c) => c.eq_value(a),
            (Field::Cell(a), c) => a == c,
        }
    }
}

/// The hasher of `Reader::index`, whose keys are hashes already.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed here (`write_u64`); fold anything else in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// About one entity per this many bytes of response text (the benchmark's tasks take 183): the
/// index and the entity list are sized from it, so a big response does not grow them a dozen
/// times.
const BYTES_PER_ENTITY: usize = 256;

impl<'s, 't> Reader<'s, 't> {
    fn new(schema: &'s Schema, text: &'t str) -> Self {
        Reader {
            text,
            pos: 0,
            depth: 0,
            schema,
            entities: Vec::new(),
            index: HashMap::default(),
            hash: FixedState::default(),
            fields: Vec::new(),
            key: String::new(),
            names: Names::default(),
        }
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace and then `c`.
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek() == Some(c)).then(|| self.pos += 1)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let rest = self.text.get(self.pos..)?;
        rest.starts_with(word).then(|| self.pos += word.len())
    }

    /// After `[` or `{`: true when the closing `end` follows (and is consumed).
    fn open(&mut self, end: u8) -> Option<bool> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let closed = self.peek() == Some(end);
        if closed {
            self.close();
        }
        Some(closed)
    }

    fn close(&mut self) {
        self.pos += 1;
        self.depth -= 1;
    }

    /// After an item: true when `end` follows (consumed), false after a `,`.
    fn next(&mut self, end: u8) -> Option<bool> {
        self.ws();
        match self.peek()? {
            b',' => {
                self.pos += 1;
                Some(false)
            }
            c if c == end => {
                self.close();
                Some(true)
            }
            _ => None,
        }
    }

    /// An object key (without escapes) and its colon.
    fn key(&mut self) -> Option<&'t str> {
        self.eat(b'"')?;
        let start = self.pos;
        let len = self.text.as_bytes()[start..]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        // Only a closing quote ends it: a raw control character (a TAB before the quote) is not
        // JSON, and `eat` would skip it as whitespace.
        if self.text.as_bytes().get(start + len) != Some(&b'"') {
            return None;
        }
        self.pos = start + len + 1;
        let k = self.text.get(start..start + len)?;
        self.eat(b':')?;
        Some(k)
    }

    /// A string after its opening quote: borrowed unless it has escapes.
    fn string(&mut self) -> Option<Field<'t>> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut i = start;
        while let Some(&c) = bytes.get(i) {
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return self.text.get(start..i).map(Field::Str);
                }
                b'\\' => break,
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
        // With escapes: decoded as serde_json decodes them; anything it would reject gives up.
        let mut out = String::with_capacity(i - start + 16);
        let mut run = start;
        loop {
            let c = *bytes.get(i)?;
            match c {
                b'"' => {
                    out.push_str(self.text.get(run..i)?);
                    self.pos = i + 1;
                    return Some(Field::Value(Value::String(out)));
                }
                b'\\' => {
                    out.push_str(self.text.get(run..i)?);
                    let e = *bytes.get(i + 1)?;
                    i += 2;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = hex4(bytes.get(i..i + 4)?)?;
                            i += 4;
                            let code = match hi {
                                0xD800..=0xDBFF => {
                                    if bytes.get(i..i + 2)? != b"\\u" {
                                        return None;
                                    }
                                    let lo = hex4(bytes.get(i + 2..i + 6)?)?;
                                    if !(0xDC00..=0xDFFF).contains(&lo) {
                                        return None;
                                    }
                                    i += 6;
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return None,
                                _ => hi,
                            };
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    out.push(ch);
                    run = i;
                }
                0..=0x1f => return None,
                _ => i += 1,
            }
        }
    }

    /// A number as serde_json reads it: short integers here, the rest by `Number::from_str`.
    fn number(&mut self) -> Option<Value> {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let mut i = start + usize::from(bytes.get(start) == Some(&b'-'));
        let digits = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || (digits > 1 && bytes[i] == b'0') {
            return None;
        }
        i += digits;
        let mut plain = true;
        if bytes.get(i) == Some(&b'.') {
            let n = bytes[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if n == 0 {
                return None;
            }
            i += 1 + n;
            plain = false;
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            let n = bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            i += n;
            plain = false;
        }
        self.pos = i;
        let s = self.text.get(start..i)?;
        // `-0` is the float -0.0 in serde_json (and in JS): not a short integer.
        if plain && digits <= 18 && s != "-0" {
            let mut n: i64 = 0;
            for &c in &bytes[i - digits..i] {
                n = n * 10 + i64::from(c - b'0');
            }
            return Some(Value::Number(if bytes[start] == b'-' {
                Number::from(-n)
            } else {
                Number::from(n)
            }));
        }
        s.parse::<Number>().ok().map(Value::Number)
    }

    /// Any JSON value, built as serde_json builds it.
    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                Some(self.string()?.into_value())
            }
            b'{' => {
                self.pos += 1;
                let mut m = Map::new();
                if !self.open(b'}')? {
                    loop {
                        let k = self.key()?;
                        let v = self.value()?;
                        m.insert(k.to_owned(), v);
                        if self.next(b'}')? {
                            break;
                        }
                    }
                }
                Some(Value::Object(m))
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.open(b']')? {
                    loop {
                        items.push(self.value()?);
                        if self.next(b']')? {
                            break;
                        }
                    }
                }
                Some(Value::Array(items))
            }
            b't' => self.literal("true").map(|_| Value::Bool(true)),
            b'f' => self.literal("false").map(|_| Value::Bool(false)),
            b'n' => self.literal("null").map(|_| Value::Null),
            _ => self.number(),
        }
    }

    fn delta(&mut self) -> Option<RawDelta> {
        self.eat(b'{')?;
        let mut d = RawDelta::default();
        if !self.open(b'}')? {
            loop {
                match self.key()? {
                    k @ ("e" | "q") => self.pairs(k == "e", &mut d)?,
                    _ => {
                        self.value()?;
                    }
                }
                if self.next(b'}')? {
                    break;
                }
            }
        }
        Some(d)
    }

    /// `[[string, item], ...]` into `d.e` (`rows`: items are records or null) or `d.q`.
    fn pairs(&mut self, rows: bool, d: &mut RawDelta) -> Option<()> {
        self.eat(b'[')?;
        if self.open(b']')? {
            return Some(());
        }
        loop {
            self.eat(b'[')?;
            if self.open(b']')? {
                return None;
            }
            self.eat(b'"')?;
            let Value::String(key) = self.string()?.into_value() else {
                return None;
            };
            if self.next(b']')? {
                return None;
            }
            if !rows {
                d.q.push((key, self.value()?));
            } else if self.null() {
                d.e.push((key, None));
            } else {
                d.e.push((key, Some(self.row()?)));
            }
            if !self.next(b']')? {
                return None;
            }
            if self.next(b']')? {
                return Some(());
            }
        }
    }

    /// An object as a row (names shared, values as serde_json reads them into cells).
    fn row(&mut self) -> Option<Row> {
        self.eat(b'{')?;
        let base = self.fields.len();
        if !self.open(b'}')? {
            loop {
                let k = self.key()?;
                let v = self.stored()?;
                self.fields.push((k, v));
                if self.next(b'}')? {
                    break;
                }
            }
        }
        let names = &mut self.names;
        let fields = self.fields.drain(base..);
        Some(Row::from_pairs(
            fields.map(|(k, v)| (names.get(k), v.into_cell())),
        ))
    }

    /// A stored record's field: a string borrowed from the text (no `String` on the way to its
    /// cell), a list straight into cells, anything else through `value`.
    fn stored(&mut self) -> Option<Field<'t>> {
        self.ws();
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.string()
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if !self.open(b']')? {
                    loop {
                        items.push(self.stored()?.into_cell());
                        if self.next(b']')? {
                            break;
                        }
                    }
                }
                Some(Field::Cell(Cell::List(items.into())))
            }
            _ => Some(Field::Value(self.value()?)),
        }
    }

    /// `null`, consumed.
    fn null(&mut self) -> bool {
        self.ws();
        self.peek() == Some(b'n') && self.literal("null").is_some()
    }

    /// A value at a position the shape describes (`null` fits every shape).
    fn shaped(&mut self, shape: &Shape) -> Option<Value> {
        if self.null() {
            return Some(Value::Null);
        }
        match shape {
            Shape::Plain => self.value(),
            Shape::Entity(t) => self.entity(self.schema.get(t)?),
            Shape::List(item) => {
                self.eat(b'[')?;
                let mut items = Vec::new();
                if !self.open(b']')? {
                    loop {
                        items.push(self.shaped(item)?);
                        if self.next(b']')? {
                            break;
                        }
                    }
                }
                Some(Value::Array(items))
            }
            Shape::Object(fields) => {
                self.eat(b'{')?;
                let mut m = Map::new();
                if !self.open(b'}')? {
                    loop {
                        let k = self.key()?;
                        let v = match Shape::field(fields, k) {
                            Some(sub) => self.shaped(sub)?,
                            None => self.value()?,
                        };
                        if m.insert(k.to_owned(), v).is_some() {
                            return None;
                        }
                        if self.next(b'}')? {
                            break;
                        }
                    }
                }
                Some(Value::Object(m))
            }
        }
    }

    /// An entity object (not null): files it and returns its key.
    fn entity(&mut self, t: &EntityType) -> Option<Value> {
        let at = self.entity_at(t)?;
        Some(Value::String(self.entities.get(at)?.0.clone()))
    }

    /// `entity`, returning where in `entities` it is filed.
    fn entity_at(&mut self, t: &EntityType) -> Option<usize> {
        self.eat(b'{')?;
        let base = self.fields.len();
        if !self.open(b'}')? {
            // Relations must come in declaration order (see the module docs).
            let mut next_relation = 0;
            loop {
                let k = self.key()?;
                let field = match t.relations.iter().position(|rel| rel.field == k) {
                    Some(i) => {
                        if i < next_relation {
                            return None;
                        }
                        next_relation = i + 1;
                        let rel = &t.relations[i];
                        let target = self.schema.get(&rel.target)?;
                        if self.null() {
                            Field::Value(Value::Null)
                        } else if rel.many {
                            Field::Cell(self.entities_list(target)?)
                        } else {
                            let at = self.entity_at(target)?;
                            Field::Cell(Cell::string(&self.entities.get(at)?.0))
                        }
                    }
                    None => {
                        self.ws();
                        if self.peek() == Some(b'"') {
                            self.pos += 1;
                            self.string()?
                        } else {
                            Field::Value(self.value()?)
                        }
                    }
                };
                if self.fields[base..].iter().any(|(seen, _)| *seen == k) {
                    return None;
                }
                self.fields.push((k, field));
                if self.next(b'}')? {
                    break;
                }
            }
        }
        self.finish_entity(t, base)
    }

    /// A relation list: entities, `null` items dropped.
    fn entities_list(&mut self, t: &EntityType) -> Option<Cell> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        if !self.open(b']')? {
            loop {
                if !self.null() {
                    let at = self.entity_at(t)?;
                    items.push(Cell::string(&self.entities.get(at)?.0));
                }
                if self.next(b']')? {
                    break;
                }
            }
        }
        Some(Cell::List(items.into()))
    }

    /// Files the entity whose fields are `fields[base..]`: a new record, or folded into the
    /// record read before for the same key. Returns its place in `entities`; `None` without a
    /// usable id.
    fn finish_entity(&mut self, t: &EntityType, base: usize) -> Option<usize> {
        let id = self.fields[base..]
            .iter()
            .find(|(k, _)| *k == t.id_field)
            .map(|(_, v)| v)?;
        self.key.clear();
        self.key.push_str(&t.name);
        self.key.push(':');
        match id {
            Field::Str(s) => self.key.push_str(s),
            Field::Value(Value::String(s)) => self.key.push_str(s),
            Field::Value(v @ Value::Number(_)) => push_id(&mut self.key, v)?,
            Field::Value(_) | Field::Cell(_) => return None,
        }
        let hash = self.hash.hash_one(self.key.as_str());
        match self.index.get(&hash) {
            Some(&at) => {
                let (key, rec) = self.entities.get_mut(at)?;
                if *key != self.key {
                    return None; // two keys of one hash
                }
                let copy = &self.fields[base..];
                // The usual copy has the first one's fields in the same order and values:
                // checked side by side, without hashing a single field name.
                let unchanged = copy.len() <= rec.len()
                    && copy
                        .iter()
                        .zip(rec.iter())
                        .all(|((k, v), (rk, rv))| *k == rk && (*k == t.id_field || v.same_as(rv)));
                let fields = self.fields.drain(base..);
                if unchanged {
                    return Some(at);
                }
                for (k, v) in fields {
                    // The first copy's id value stands, as in the cache.
                    if (k == t.id_field && rec.contains_key(k))
                        || rec.get(k).is_some_and(|old| v.same_as(old))
                    {
                        continue;
                    }
                    rec.insert(k, v.into_value());
                }
                Some(at)
            }
            None => {
                let fields = self.fields.drain(base..);
                let names = &mut self.names;
                let rec = Row::from_pairs(fields.map(|(k, v)| (names.get(k), v.into_cell())));
                let at = self.entities.len();
                self.index.insert(hash, at);
                self.entities.push((self.key.clone(), rec));
                Some(at)
            }
        }
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let mut n = 0;
    for &c in b {
        n = n * 16 + char::from(c).to_digit(16)?;
    }
    Some(n)
}
