//! Which live queries over one entity type a change can affect. A query whose `where` has a
//! top-level equality (`{ project: 'p1', ... }`) is filed under that field's value; the others
//! are scanned. A changed entity is checked against the queries filed under its current
//! values, the scanned ones, and the queries it is a member of (it may leave them): with 1,000
//! queries each on its own project, a change checks one or two. Queries are small ids here
//! (`Live` names them).

use crate::core::row::Row;
use std::rc::Rc;

use foldhash::{HashMap, HashMapExt};
use serde_json::Value;

use super::path::Path;
use crate::core::cache::Cache;

pub type Qid = u32;

/// A `members` value at or above this names a list in `many`; below it, the one query.
/// (Query ids stay far below: each live query takes more than 2 bytes of wasm memory.)
const MANY: u32 = 1 << 31;

// The maps here are of the types the cache already has (`Rc<str> -> u32` as its interner,
// `String -> usize` as its ingest index): each new map type costs about 1 kB of wasm.
#[derive(Debug, Default)]
pub struct TypeIndex {
    /// Per indexed path: value key -> its list in `lists` (the queries requiring that value).
    by_value: Vec<(Path, HashMap<String, usize>)>,
    /// Lists of queries; an empty one is free for reuse.
    lists: Vec<Vec<Qid>>,
    /// Queries with no top-level equality.
    scan: Vec<Qid>,
    /// Entity key -> the query it is a member of, or `MANY + i`: the queries of `many[i]`
    /// (mostly one, kept without an allocation).
    members: HashMap<Rc<str>, u32>,
    /// Lists of member queries (two or more); an empty one is free for reuse.
    many: Vec<Vec<Qid>>,
}

/// The index of an empty list in `lists` (a new one if none is free).
fn free_list(lists: &mut Vec<Vec<Qid>>) -> usize {
    match lists.iter().position(Vec::is_empty) {
        Some(i) => i,
        None => {
            lists.push(Vec::new());
            lists.len() - 1
        }
    }
}

/// The index key of a value under equality: numbers by value, null and missing alike.
pub fn value_key(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "z".to_owned(),
        Some(Value::Bool(b)) => if *b { "t" } else { "f" }.to_owned(),
        // By the bits of the double (-0 folded into 0): no float formatting in the wasm.
        Some(Value::Number(n)) => {
            let bits = (n.as_f64().unwrap_or(0.0) + 0.0).to_bits();
            let mut k = String::from("n");
            // Hex by hand: `{:x}` would pull in the integer formatting for this alone.
            k.extend(
                (0..16)
                    .rev()
                    .filter_map(|i| char::from_digit((bits >> (4 * i)) as u32 & 15, 16)),
            );
            k
        }
        Some(Value::String(s)) => format!("s{s}"),
        // Never an equality operand (the parser refuses them); never equal to one.
        Some(Value::Array(_) | Value::Object(_)) => "x".to_owned(),
    }
}

impl TypeIndex {
    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty() && self.scan.is_empty()
    }

    pub fn add(&mut self, q: Qid, guard: Option<(&Path, &Value)>) {
        match guard {
            None => self.scan.push(q),
            Some((path, v)) => {
                let at = match self.by_value.iter().position(|(p, _)| p == path) {
                    Some(i) => i,
                    None => {
                        self.by_value.push((path.clone(), HashMap::new()));
                        self.by_value.len() - 1
                    }
                };
                let key = value_key(Some(v));
                let list = match self.by_value.get(at).and_then(|(_, m)| m.get(&key)) {
                    Some(l) => *l,
                    None => free_list(&mut self.lists),
                };
                if let Some((_, m)) = self.by_value.get_mut(at) {
                    m.insert(key, list);
                }
                if let Some(l) = self.lists.get_mut(list) {
                    l.push(q);
                }
            }
        }
    }

    /// Forgets query `q` (its definition and its memberships: `keys`).
    pub fn remove<'k>(&mut self, q: Qid, keys: impl Iterator<Item = &'k Rc<str>>) {
        self.scan.retain(|h| *h != q);
        for l in &mut self.lists {
            l.retain(|h| *h != q);
        }
        let lists = &self.lists;
        for (_, m) in &mut self.by_value {
            m.retain(|_, l| lists.get(*l).is_some_and(|l| !l.is_empty()));
        }
        self.by_value.retain(|(_, m)| !m.is_empty());
        for k in keys {
            self.left(k, q);
        }
    }

    pub fn joined(&mut self, key: &Rc<str>, q: Qid) {
        match self.members.get(&**key).copied() {
            None => {
                self.members.insert(Rc::clone(key), q);
            }
            Some(x) if x == q => {}
            Some(x) if x < MANY => {
                let i = free_list(&mut self.many);
                if let Some(l) = self.many.get_mut(i) {
                    l.extend([x, q]);
                }
                let tag = u32::try_from(i).map_or(u32::MAX, |i| i | MANY);
                self.members.insert(Rc::clone(key), tag);
            }
            Some(x) => {
                if let Some(qs) = self.many.get_mut((x - MANY) as usize) {
                    if !qs.contains(&q) {
                        qs.push(q);
                    }
                }
            }
        }
    }

    pub fn left(&mut self, key: &str, q: Qid) {
        let gone = match self.members.get(key).copied() {
            Some(x) if x < MANY => x == q,
            Some(x) => self.many.get_mut((x - MANY) as usize).is_some_and(|qs| {
                qs.retain(|x| *x != q);
                qs.is_empty()
            }),
            None => false,
        };
        if gone {
            self.members.remove(key);
        }
    }

    /// The queries a change of entity `key` (now `rec`, `None`: gone) can affect.
    pub fn candidates(&self, key: &str, rec: Option<&Row>, cache: &Cache) -> Vec<Qid> {
        let mut out: Vec<Qid> = match self.members.get(key).copied() {
            Some(q) if q < MANY => vec![q],
            Some(x) => self
                .many
                .get((x - MANY) as usize)
                .cloned()
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let mut add = |q: &Qid| {
            if !out.contains(q) {
                out.push(*q);
            }
        };
        if let Some(rec) = rec {
            self.scan.iter().for_each(&mut add);
            for (path, m) in &self.by_value {
                let v = path.read(rec, cache);
                if let Some(qs) = m
                    .get(&value_key(v.as_deref()))
                    .and_then(|l| self.lists.get(*l))
                {
                    qs.iter().for_each(&mut add);
                }
            }
        }
        out
    }
}
