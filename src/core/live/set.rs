//! One live query's members, kept sorted, and the window (`offset`, `limit`) shown of them.
//! Sorted blocks of pointers (at most `2 * BLOCK` each): a move is two binary searches and a
//! shift within one block, whatever the set's size, and the window is read block by block.

use std::rc::Rc;

use foldhash::HashMap;
use serde_json::Value;

use super::order::Member;

const BLOCK: usize = 256;

/// A place in `Set::all` (more than u32::MAX members cannot fit in wasm memory anyway).
fn slot(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[derive(Debug, Default)]
pub struct Set {
    /// Each block sorted and non-empty; their concatenation sorted.
    blocks: Vec<Vec<Rc<Member>>>,
    len: usize,
    /// Key -> its member's place in `all` (the cache's interner map type, not a new one: each
    /// map type costs about 1 kB of wasm).
    by_key: HashMap<Rc<str>, u32>,
    /// The members, unordered.
    all: Vec<Rc<Member>>,
}

impl Set {
    /// A set built from unsorted members at once.
    pub fn build(members: Vec<Member>) -> Set {
        let mut sorted: Vec<Rc<Member>> = members.into_iter().map(Rc::new).collect();
        crate::core::sort::sort(&mut sorted);
        let mut by_key = HashMap::default();
        for (i, m) in sorted.iter().enumerate() {
            by_key.insert(Rc::clone(&m.key), slot(i));
        }
        let len = sorted.len();
        let blocks = sorted.chunks(BLOCK).map(<[Rc<Member>]>::to_vec).collect();
        Set {
            blocks,
            len,
            by_key,
            all: sorted,
        }
    }

    fn get(&self, key: &str) -> Option<&Rc<Member>> {
        self.all.get(*self.by_key.get(key)? as usize)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The block and the place in it where `m` is or would go.
    fn locate(&self, m: &Member) -> (usize, usize) {
        let b = self
            .blocks
            .partition_point(|blk| blk.last().is_some_and(|x| **x < *m));
        let b = b.min(self.blocks.len().saturating_sub(1));
        let at = self
            .blocks
            .get(b)
            .map_or(0, |blk| blk.partition_point(|x| **x < *m));
        (b, at)
    }

    /// Removes `key`; whether it was a member.
    pub fn remove(&mut self, key: &str) -> bool {
        let Some(i) = self.by_key.remove(key).map(|i| i as usize) else {
            return false;
        };
        if i >= self.all.len() {
            return true;
        }
        let old = self.all.swap_remove(i);
        if let Some(moved) = self.all.get(i) {
            self.by_key.insert(Rc::clone(&moved.key), slot(i));
        }
        let (b, at) = self.locate(&old);
        if let Some(blk) = self.blocks.get_mut(b) {
            if blk.get(at).is_some_and(|x| Rc::ptr_eq(x, &old)) {
                blk.remove(at);
                self.len -= 1;
                if blk.is_empty() {
                    self.blocks.remove(b);
                }
            }
        }
        true
    }

    /// Puts `m` in its place (moving it if it was a member); whether anything moved.
    pub fn put(&mut self, m: Member) -> bool {
        if let Some(old) = self.get(&m.key) {
            if old.same_place(&m) {
                return false;
            }
            let key = Rc::clone(&m.key);
            self.remove(&key);
        }
        let m = Rc::new(m);
        self.by_key.insert(Rc::clone(&m.key), slot(self.all.len()));
        self.all.push(Rc::clone(&m));
        self.len += 1;
        if self.blocks.is_empty() {
            self.blocks.push(vec![m]);
            return true;
        }
        let (b, at) = self.locate(&m);
        if let Some(blk) = self.blocks.get_mut(b) {
            blk.insert(at, m);
            if blk.len() > 2 * BLOCK {
                let tail = blk.split_off(BLOCK);
                self.blocks.insert(b + 1, tail);
            }
        }
        true
    }

    /// The keys in the window, as the query's normalized result (a list of entity keys).
    pub fn window(&self, offset: usize, limit: Option<usize>) -> Vec<Value> {
        let want = limit.unwrap_or(self.len);
        let mut out = Vec::with_capacity(want.min(self.len));
        let mut skip = offset;
        for blk in &self.blocks {
            if out.len() >= want {
                break;
            }
            if skip >= blk.len() {
                skip -= blk.len();
                continue;
            }
            for m in blk.iter().skip(skip).take(want - out.len()) {
                out.push(Value::String(m.key.to_string()));
            }
            skip = 0;
        }
        out
    }

    pub fn keys(&self) -> impl Iterator<Item = &Rc<str>> {
        self.blocks.iter().flatten().map(|m| &m.key)
    }
}
