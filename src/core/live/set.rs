//! One live query's members, kept sorted, and the window (`offset`, `limit`) shown of them.
//! A sorted vector of pointers: a move is a binary search and a shift of pointers (4 bytes
//! each in wasm), and the window is a slice.

use std::rc::Rc;

use foldhash::HashMap;
use serde_json::Value;

use super::order::Member;

#[derive(Debug, Default)]
pub struct Set {
    sorted: Vec<Rc<Member>>,
    by_key: HashMap<Rc<str>, Rc<Member>>,
}

impl Set {
    /// A set built from unsorted members at once.
    pub fn build(mut members: Vec<Member>) -> Set {
        crate::core::sort::sort(&mut members);
        let sorted: Vec<Rc<Member>> = members.into_iter().map(Rc::new).collect();
        let by_key = sorted
            .iter()
            .map(|m| (Rc::clone(&m.key), Rc::clone(m)))
            .collect();
        Set { sorted, by_key }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    fn position(&self, m: &Member) -> usize {
        self.sorted.partition_point(|x| **x < *m)
    }

    /// Removes `key`; whether it was a member.
    pub fn remove(&mut self, key: &str) -> bool {
        let Some(old) = self.by_key.remove(key) else {
            return false;
        };
        let at = self.position(&old);
        if self.sorted.get(at).is_some_and(|x| Rc::ptr_eq(x, &old)) {
            self.sorted.remove(at);
        }
        true
    }

    /// Puts `m` in its place (moving it if it was a member); whether anything moved.
    pub fn put(&mut self, m: Member) -> bool {
        if let Some(old) = self.by_key.get(&m.key) {
            if old.same_place(&m) {
                return false;
            }
            let key = Rc::clone(&m.key);
            self.remove(&key);
        }
        let m = Rc::new(m);
        let at = self.position(&m);
        self.sorted.insert(at, Rc::clone(&m));
        self.by_key.insert(Rc::clone(&m.key), m);
        true
    }

    /// The keys in the window, as the query's normalized result (a list of entity keys).
    pub fn window(&self, offset: usize, limit: Option<usize>) -> Vec<Value> {
        let end = limit.map_or(self.sorted.len(), |l| offset.saturating_add(l));
        self.sorted
            .iter()
            .skip(offset)
            .take(end.saturating_sub(offset))
            .map(|m| Value::String(m.key.to_string()))
            .collect()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Rc<str>> {
        self.sorted.iter().map(|m| &m.key)
    }
}
