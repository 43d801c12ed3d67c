//! `Links`: the set of ids one index slot links to (its parents, or the queries that show it).
//!
//! Most slots link to nothing or to one id (a comment's task, a task's one query); a hash set
//! for each of those was an allocation and a hash insert per entity (60,000 in the 20,000-task
//! ingest). One id is kept inline; a second one makes the set. A set iterates in the order a set
//! of the same ids built any other way does (the hasher has a fixed seed), so change sets keep
//! their order.

use std::collections::HashSet;

use foldhash::fast::FixedState;

pub type Id = u32;
pub type IdSet = HashSet<Id, FixedState>;

#[derive(Debug, Default)]
pub enum Links {
    #[default]
    None,
    One(Id),
    Many(IdSet),
}

impl Links {
    /// Adds `id`; false when it was there already.
    pub fn insert(&mut self, id: Id) -> bool {
        match self {
            Links::None => {
                *self = Links::One(id);
                true
            }
            Links::One(x) if *x == id => false,
            Links::One(x) => {
                let mut set = IdSet::with_capacity_and_hasher(2, FixedState::default());
                set.insert(*x);
                set.insert(id);
                *self = Links::Many(set);
                true
            }
            Links::Many(set) => set.insert(id),
        }
    }

    pub fn remove(&mut self, id: Id) {
        match self {
            Links::One(x) if *x == id => *self = Links::None,
            Links::Many(set) => {
                set.remove(&id);
            }
            _ => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Links::None => true,
            Links::One(_) => false,
            Links::Many(set) => set.is_empty(),
        }
    }

    pub fn clear(&mut self) {
        *self = Links::None;
    }

    pub fn retain(&mut self, mut keep: impl FnMut(Id) -> bool) {
        match self {
            Links::One(x) if !keep(*x) => *self = Links::None,
            Links::Many(set) => set.retain(|id| keep(*id)),
            _ => {}
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Id> + '_ {
        let (one, many) = match self {
            Links::None => (None, None),
            Links::One(x) => (Some(*x), None),
            Links::Many(set) => (None, Some(set.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(l: &Links) -> Vec<Id> {
        l.iter().collect()
    }

    #[test]
    fn behaves_as_a_set_and_iterates_as_one() {
        let mut l = Links::default();
        assert!(l.is_empty());
        assert!(l.insert(7));
        assert!(!l.insert(7));
        assert_eq!(ids(&l), [7]);
        assert!(l.insert(3));
        assert!(l.insert(9));
        assert!(!l.insert(3));
        // The same order as a set of the same ids built directly.
        let mut set = IdSet::default();
        for id in [9, 7, 3] {
            set.insert(id);
        }
        assert_eq!(ids(&l), set.iter().copied().collect::<Vec<_>>());
        l.remove(7);
        l.retain(|id| id != 9);
        assert_eq!(ids(&l), [3]);
        l.remove(3);
        assert!(l.is_empty());
        let mut one = Links::default();
        one.insert(5);
        one.retain(|id| id != 5);
        assert!(one.is_empty());
        one.insert(6);
        one.remove(4);
        assert_eq!(ids(&one), [6]);
        one.clear();
        assert!(one.is_empty());
    }
}
