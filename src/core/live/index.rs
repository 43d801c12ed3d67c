//! Which live queries over one entity type a change can affect. A query whose `where` has a
//! top-level equality (`{ project: 'p1', ... }`) is filed under that field's value; the others
//! are scanned. A changed entity is checked against the queries filed under its current
//! values, the scanned ones, and the queries it is a member of (it may leave them): with 1,000
//! queries each on its own project, a change checks one or two. Queries are small ids here
//! (`Live` names them).

use std::rc::Rc;

use foldhash::{HashMap, HashMapExt};
use serde_json::{Map, Value};

use super::path::Path;
use crate::core::cache::Cache;

pub type Qid = u32;

/// The live queries one entity is a member of: mostly one, kept without an allocation.
#[derive(Debug)]
enum Of {
    One(Qid),
    Many(Vec<Qid>),
}

#[derive(Debug, Default)]
pub struct TypeIndex {
    /// Per indexed path: value key -> queries requiring that value.
    by_value: Vec<(Path, HashMap<String, Vec<Qid>>)>,
    /// Queries with no top-level equality.
    scan: Vec<Qid>,
    /// Entity key -> the queries it is a member of.
    members: HashMap<Rc<str>, Of>,
}

/// The index key of a value under equality: numbers by value, null and missing alike.
pub fn value_key(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "z".to_owned(),
        Some(Value::Bool(b)) => if *b { "t" } else { "f" }.to_owned(),
        // By the bits of the double (-0 folded into 0): no float formatting in the wasm.
        Some(Value::Number(n)) => format!("n{:x}", (n.as_f64().unwrap_or(0.0) + 0.0).to_bits()),
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
                if let Some((_, m)) = self.by_value.get_mut(at) {
                    m.entry(value_key(Some(v))).or_default().push(q);
                }
            }
        }
    }

    /// Forgets query `q` (its definition and its memberships: `keys`).
    pub fn remove<'k>(&mut self, q: Qid, keys: impl Iterator<Item = &'k Rc<str>>) {
        self.scan.retain(|h| *h != q);
        for (_, m) in &mut self.by_value {
            m.retain(|_, hs| {
                hs.retain(|h| *h != q);
                !hs.is_empty()
            });
        }
        self.by_value.retain(|(_, m)| !m.is_empty());
        for k in keys {
            self.left(k, q);
        }
    }

    pub fn joined(&mut self, key: &Rc<str>, q: Qid) {
        match self.members.get_mut(key) {
            None => {
                self.members.insert(Rc::clone(key), Of::One(q));
            }
            Some(Of::One(x)) if *x == q => {}
            Some(of @ Of::One(_)) => {
                if let Of::One(x) = *of {
                    *of = Of::Many(vec![x, q]);
                }
            }
            Some(Of::Many(qs)) => {
                if !qs.contains(&q) {
                    qs.push(q);
                }
            }
        }
    }

    pub fn left(&mut self, key: &str, q: Qid) {
        let gone = match self.members.get_mut(key) {
            Some(Of::One(x)) => *x == q,
            Some(Of::Many(qs)) => {
                qs.retain(|x| *x != q);
                qs.is_empty()
            }
            None => false,
        };
        if gone {
            self.members.remove(key);
        }
    }

    /// The queries a change of entity `key` (now `rec`, `None`: gone) can affect.
    pub fn candidates(
        &self,
        key: &str,
        rec: Option<&Map<String, Value>>,
        cache: &Cache,
    ) -> Vec<Qid> {
        let mut out: Vec<Qid> = match self.members.get(key) {
            Some(Of::One(q)) => vec![*q],
            Some(Of::Many(qs)) => qs.clone(),
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
                if let Some(qs) = m.get(&value_key(v.as_deref())) {
                    qs.iter().for_each(&mut add);
                }
            }
        }
        out
    }
}
