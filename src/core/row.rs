//! `Row`: one entity's fields, in their order, as a plain vector of (name, cell) pairs whose
//! names are shared (interned) across every record of the store's thread.
//!
//! Why not serde_json's `Map` (an `IndexMap<String, Value>` with `preserve_order`): per field
//! it allocated a `String` key, kept a hash slot and hashed the name with SipHash, which made
//! about 21 allocations and ~1.2 kB per task and put malloc and SipHash at ~40 % of an ingest
//! (docs/PERFORMANCE.md). Entity records have a handful of fields, so a linear scan over a
//! vector is as fast as a hash lookup, and the names cost one shared `Rc<str>` each. The values
//! are `Cell`s (src/core/cell.rs), 16 bytes on wasm32 where a `Value` is 48.
//!
//! Semantics follow `Map` where the code relied on it: inserting an existing name replaces its
//! value in place, equality ignores field order, serialization writes an object in field order.

use std::cell::RefCell;
use std::rc::Rc;

use foldhash::HashMap;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::cell::Cell;

/// A field name, shared by every record that has it.
pub type Name = Rc<str>;

/// Names longer than this, or past this many distinct names, are not interned (a record with
/// unusual keys costs its own allocation instead of growing the table forever).
const INTERN_MAX_LEN: usize = 64;
const INTERN_MAX_COUNT: usize = 4096;

// One map type for the table and `from_pairs` (and the same as cache/index.rs's interner):
// each distinct hash-map type costs the wasm a few kB of code.
type Seen = HashMap<Name, u32>;

thread_local! {
    static NAMES: RefCell<Seen> = RefCell::new(Seen::default());
}

/// The shared name for `s` (a new one when the table is full or `s` is long).
pub fn name(s: &str) -> Name {
    if s.len() > INTERN_MAX_LEN {
        return s.into();
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some((n, _)) = names.get_key_value(s) {
            return Rc::clone(n);
        }
        let n: Name = s.into();
        if names.len() < INTERN_MAX_COUNT {
            names.insert(Rc::clone(&n), 0);
        }
        n
    })
}

/// The names one reader met, looked up by a scan before the shared table (an entity type's
/// few names repeat in every record of a response).
#[derive(Default)]
pub struct Names {
    recent: Vec<Name>,
}

impl Names {
    const MAX: usize = 64;

    pub fn get(&mut self, s: &str) -> Name {
        if let Some(n) = self.recent.iter().find(|n| &***n == s) {
            return Rc::clone(n);
        }
        let n = name(s);
        if self.recent.len() < Self::MAX {
            self.recent.push(Rc::clone(&n));
        }
        n
    }
}

/// Past this many fields, building a row checks for repeated names with a set (not a scan).
const SCAN_MAX: usize = 16;

#[derive(Clone, Default)]
pub struct Row {
    fields: Vec<(Name, Cell)>,
}

impl Row {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        Self {
            fields: Vec::with_capacity(n),
        }
    }

    /// A row from pairs as read (a repeated name keeps its first position and its last value,
    /// as JSON objects read into a `Map` do).
    pub fn from_pairs(pairs: impl ExactSizeIterator<Item = (Name, Cell)>) -> Self {
        let mut row = Row::with_capacity(pairs.len());
        if pairs.len() <= SCAN_MAX {
            for (k, v) in pairs {
                row.insert_cell(k, v);
            }
            return row;
        }
        let mut seen = Seen::default();
        for (k, v) in pairs {
            match seen.get(&k) {
                Some(&i) => {
                    row.set_at(i as usize, v);
                }
                None => {
                    // A row of more than u32::MAX fields cannot be in wasm memory.
                    seen.insert(
                        Rc::clone(&k),
                        u32::try_from(row.fields.len()).unwrap_or(u32::MAX),
                    );
                    row.fields.push((k, v));
                }
            }
        }
        row
    }

    pub fn from_map(map: Map<String, Value>) -> Self {
        Self {
            fields: map
                .into_iter()
                .map(|(k, v)| (name(&k), Cell::from(v)))
                .collect(),
        }
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.fields
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.into_value()))
            .collect()
    }

    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect()
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.into_map())
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn position(&self, k: &str) -> Option<usize> {
        self.fields.iter().position(|(n, _)| &**n == k)
    }

    pub fn get(&self, k: &str) -> Option<&Cell> {
        self.fields.iter().find(|(n, _)| &**n == k).map(|(_, v)| v)
    }

    /// Field `k` as a `Value` (built: for tests and cold paths).
    pub fn value(&self, k: &str) -> Option<Value> {
        self.get(k).map(Cell::to_value)
    }

    /// Field `k` when it is a string (a to-one relation holds its entity's key).
    pub fn get_str(&self, k: &str) -> Option<&str> {
        self.get(k).and_then(Cell::as_str)
    }

    pub fn contains_key(&self, k: &str) -> bool {
        self.position(k).is_some()
    }

    /// Sets `k` (in place when present, else at the end); returns the value it replaced.
    pub fn insert(&mut self, k: impl AsRef<str>, v: Value) -> Option<Cell> {
        let k = k.as_ref();
        match self.position(k) {
            Some(i) => self.set_at(i, Cell::from(v)),
            None => {
                self.fields.push((name(k), Cell::from(v)));
                None
            }
        }
    }

    /// `insert` with a name already shared.
    pub fn insert_name(&mut self, k: Name, v: Value) -> Option<Cell> {
        self.insert_cell(k, Cell::from(v))
    }

    /// `insert` of a cell (another row's) under a name already shared.
    pub fn insert_cell(&mut self, k: Name, v: Cell) -> Option<Cell> {
        match self.position(&k) {
            Some(i) => self.set_at(i, v),
            None => {
                self.fields.push((k, v));
                None
            }
        }
    }

    fn set_at(&mut self, i: usize, v: Cell) -> Option<Cell> {
        self.fields
            .get_mut(i)
            .map(|slot| std::mem::replace(&mut slot.1, v))
    }

    /// Every field of `other` inserted, in its order.
    pub fn extend(&mut self, other: Row) {
        for (k, v) in other {
            self.insert_cell(k, v);
        }
    }

    /// Removes `k`, keeping the order of the others.
    pub fn remove(&mut self, k: &str) -> Option<Cell> {
        let i = self.position(k)?;
        Some(self.fields.remove(i).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Cell)> {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }

    /// The fields with their shared names (to copy them into another row).
    pub fn pairs(&self) -> impl Iterator<Item = &(Name, Cell)> {
        self.fields.iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| &**k)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Cell> {
        self.fields.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the fields `keep` says yes to, in their order.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Cell) -> bool) {
        self.fields.retain_mut(|(k, v)| keep(k, v));
    }
}

impl IntoIterator for Row {
    type Item = (Name, Cell);
    type IntoIter = std::vec::IntoIter<(Name, Cell)>;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.into_iter()
    }
}

impl<'a> IntoIterator for &'a Row {
    type Item = (&'a str, &'a Cell);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Name, Cell)>,
        fn(&'a (Name, Cell)) -> (&'a str, &'a Cell),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter().map(|(k, v)| (&**k, v))
    }
}

impl From<Map<String, Value>> for Row {
    fn from(map: Map<String, Value>) -> Self {
        Row::from_map(map)
    }
}

/// Equal when the same names hold equal values, in any order (as `Map`'s equality).
impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        if self.fields.len() != other.fields.len() {
            return false;
        }
        // Same order (the usual case): one pass.
        let same_order = self
            .fields
            .iter()
            .zip(&other.fields)
            .all(|((a, _), (b, _))| a == b);
        if same_order {
            return self
                .fields
                .iter()
                .zip(&other.fields)
                .all(|((_, x), (_, y))| x == y);
        }
        self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.fields.len()))?;
        for (k, v) in self.iter() {
            m.serialize_entry(k, &*v.view())?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: Value) -> Row {
        match v {
            Value::Object(m) => Row::from_map(m),
            _ => Row::new(),
        }
    }

    #[test]
    fn names_are_shared_and_insert_replaces_in_place() {
        let mut a = row(json!({"id": 1, "title": "a"}));
        let b = row(json!({"title": "b", "id": 2}));
        let (ka, kb) = (a.fields[1].0.clone(), b.fields[0].0.clone());
        assert!(Rc::ptr_eq(&ka, &kb));
        assert_eq!(a.insert("id", json!(3)), Some(Cell::Pos(1)));
        assert_eq!(a.keys().collect::<Vec<_>>(), ["id", "title"]);
        assert_eq!(a.remove("id"), Some(Cell::Pos(3)));
        assert_eq!(
            serde_json::to_string(&a).unwrap_or_default(),
            r#"{"title":"a"}"#
        );
    }

    #[test]
    fn equality_ignores_order() {
        assert_eq!(row(json!({"a": 1, "b": 2})), row(json!({"b": 2, "a": 1})));
        assert_ne!(row(json!({"a": 1, "b": 2})), row(json!({"b": 2, "a": 3})));
        assert_ne!(row(json!({"a": 1})), row(json!({"a": 1, "b": 2})));
    }

    #[test]
    fn repeated_names_keep_the_first_place_and_the_last_value() {
        for n in [3, 40] {
            let mut pairs: Vec<(Name, Cell)> = (0..n)
                .map(|i| (name(&format!("f{i}")), Cell::from(json!(i))))
                .collect();
            pairs.push((name("f1"), Cell::from(json!("last"))));
            let r = Row::from_pairs(pairs.into_iter());
            assert_eq!(r.len(), n);
            assert_eq!(r.value("f1"), Some(json!("last")));
            assert_eq!(r.keys().nth(1), Some("f1"));
        }
    }
}
