//! Which live queries over one entity type a change can affect. A query whose `where` has a
//! top-level equality (`{ project: 'p1', ... }`) is filed under that field's value; the others
//! are scanned. A changed entity is checked against the queries filed under its current
//! values, the scanned ones, and the queries it is a member of (it may leave them): with 1,000
//! queries each on its own project, a change checks one or two.

use foldhash::{HashMap, HashMapExt};
use serde_json::{Map, Value};

use super::predicate::Path;
use crate::core::cache::Cache;

#[derive(Debug, Default)]
pub struct TypeIndex {
    /// Per indexed path: value key -> queries requiring that value.
    by_value: Vec<(Path, HashMap<String, Vec<String>>)>,
    /// Queries with no top-level equality.
    scan: Vec<String>,
    /// Entity key -> the queries it is a member of.
    members: HashMap<String, Vec<String>>,
}

/// The index key of a value under equality: numbers by value, null and missing alike.
pub fn value_key(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "z".to_owned(),
        Some(Value::Bool(b)) => if *b { "t" } else { "f" }.to_owned(),
        Some(Value::Number(n)) => format!("n{}", n.as_f64().unwrap_or(0.0) + 0.0),
        Some(Value::String(s)) => format!("s{s}"),
        // Never an equality operand (the parser refuses them); never equal to one.
        Some(Value::Array(_) | Value::Object(_)) => "x".to_owned(),
    }
}

impl TypeIndex {
    pub fn is_empty(&self) -> bool {
        self.by_value.is_empty() && self.scan.is_empty()
    }

    pub fn add(&mut self, hash: &str, guard: Option<(&Path, &Value)>) {
        match guard {
            None => self.scan.push(hash.to_owned()),
            Some((path, v)) => {
                let at = match self.by_value.iter().position(|(p, _)| p == path) {
                    Some(i) => i,
                    None => {
                        self.by_value.push((path.clone(), HashMap::new()));
                        self.by_value.len() - 1
                    }
                };
                if let Some((_, m)) = self.by_value.get_mut(at) {
                    m.entry(value_key(Some(v)))
                        .or_default()
                        .push(hash.to_owned());
                }
            }
        }
    }

    /// Forgets query `hash` (its definition and its memberships: `keys`).
    pub fn remove<'k>(&mut self, hash: &str, keys: impl Iterator<Item = &'k str>) {
        self.scan.retain(|h| h != hash);
        for (_, m) in &mut self.by_value {
            m.retain(|_, hs| {
                hs.retain(|h| h != hash);
                !hs.is_empty()
            });
        }
        self.by_value.retain(|(_, m)| !m.is_empty());
        for k in keys {
            self.left(k, hash);
        }
    }

    pub fn joined(&mut self, key: &str, hash: &str) {
        let hs = self.members.entry(key.to_owned()).or_default();
        if !hs.iter().any(|h| h == hash) {
            hs.push(hash.to_owned());
        }
    }

    pub fn left(&mut self, key: &str, hash: &str) {
        if let Some(hs) = self.members.get_mut(key) {
            hs.retain(|h| h != hash);
            if hs.is_empty() {
                self.members.remove(key);
            }
        }
    }

    /// The queries a change of entity `key` (now `rec`, `None`: gone) can affect.
    pub fn candidates(
        &self,
        key: &str,
        rec: Option<&Map<String, Value>>,
        cache: &Cache,
    ) -> Vec<String> {
        let mut out: Vec<String> = self.members.get(key).cloned().unwrap_or_default();
        let mut add = |h: &String| {
            if !out.contains(h) {
                out.push(h.clone());
            }
        };
        if let Some(rec) = rec {
            self.scan.iter().for_each(&mut add);
            for (path, m) in &self.by_value {
                let v = path.read(rec, cache);
                if let Some(hs) = m.get(&value_key(v.as_deref())) {
                    hs.iter().for_each(&mut add);
                }
            }
        }
        out
    }
}
