//! No source moves an entity back in time. Every server write into the base passes here
//! first (overlay.rs `write_base`, `put_base`, `commit`), whatever its source:
//!
//! - **Versions**: for a type with a `version` field, a record whose (numeric) version is
//!   lower than the base's is dropped whole. Equal versions merge; a record without one, or
//!   a non-numeric one, is not compared.
//! - **Request start vs push order** (for every type): a push stamps the fields it set with
//!   the push clock; a request records the clock when it goes out (`mark_request`), and its
//!   answer does not overwrite a field pushed after that. A pushed delete stamps the whole
//!   entity: an older answer does not bring it back.
//!
//! Stamps are only needed while a request older than them is in flight, so they are dropped
//! as soon as none is (`retain_requests`): a store with nothing in flight keeps none.

use crate::core::cell::Cell;
use crate::core::row::Row;
use foldhash::HashMap;

use super::normalize::EntityRecord;
use crate::core::schema::Schema;

/// How a write is ordered against pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// A push: newest server truth; it stamps what it sets.
    Push,
    /// The answer to a request that went out at this push clock.
    Since(u64),
    /// Not ordered against pushes (the app's own writes, stored data): versions only.
    Any,
}

/// The stamp of a pushed delete (a field name no record uses).
pub const GONE: &str = "";

#[derive(Debug, Default)]
pub struct Guard {
    clock: u64,
    /// Entity key -> (field, push clock) of the fields pushes set.
    pushed: HashMap<String, Vec<(String, u64)>>,
    /// Request ("q" + hash, "m" + mutation id) -> the push clock when it went out.
    requests: HashMap<String, u64>,
}

impl Guard {
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// A request goes out now (a retry replaces the attempt before it).
    pub fn mark_request(&mut self, who: String) {
        self.requests.insert(who, self.clock);
    }

    pub fn request_mark(&self, who: &str) -> Option<u64> {
        self.requests.get(who).copied()
    }

    /// Keeps the marks of requests still in flight and the stamps one of them may need.
    pub fn retain_requests(&mut self, in_flight: impl Fn(&str) -> bool) {
        if self.requests.is_empty() && self.pushed.is_empty() {
            return;
        }
        self.requests.retain(|who, _| in_flight(who));
        match self.requests.values().min() {
            None => self.pushed.clear(),
            Some(&oldest) => self.pushed.retain(|_, fields| {
                fields.retain(|(_, at)| *at > oldest);
                !fields.is_empty()
            }),
        }
    }

    /// Whether any stamp or mark is kept (for tests and the memory figures).
    pub fn holds(&self) -> (usize, usize) {
        (self.pushed.len(), self.requests.len())
    }

    /// Filters `entities` (what a write of order `order` brings) against the base
    /// (`base(key)`), then stamps a push's fields.
    pub fn admit<'a>(
        &mut self,
        schema: &Schema,
        entities: &mut Vec<EntityRecord>,
        order: Order,
        base: impl Fn(&str) -> Option<&'a Row>,
    ) {
        entities.retain(|(key, rec)| !older_version(schema, key, rec, || base(key)));
        match order {
            Order::Any => {}
            Order::Since(mark) => {
                if self.pushed.is_empty() {
                    return;
                }
                entities.retain_mut(|(key, rec)| {
                    let Some(stamps) = self.pushed.get(key) else {
                        return true;
                    };
                    let after = |f: &str| stamps.iter().any(|(k, at)| k == f && *at > mark);
                    if after(GONE) {
                        return false;
                    }
                    rec.retain(|f, _| !after(f));
                    true
                });
            }
            Order::Push => {
                self.clock += 1;
                let now = self.clock;
                for (key, rec) in entities.iter() {
                    let id_field = schema
                        .get(crate::core::key::type_of(key))
                        .map(|t| t.id_field.as_str());
                    let stamps = self.pushed.entry(key.clone()).or_default();
                    // The id is never withheld from an answer: it names the record.
                    for f in rec.keys().filter(|f| Some(*f) != id_field) {
                        stamp(stamps, f, now);
                    }
                }
            }
        }
    }

    /// A push deleted entity `key`.
    pub fn deleted(&mut self, key: &str) {
        self.clock += 1;
        let stamps = self.pushed.entry(key.to_owned()).or_default();
        stamp(stamps, GONE, self.clock);
    }

    /// The fields of a layer commit (our own write, sent at `mark`) a later push set.
    pub fn pushed_since(&self, key: &str, mark: u64) -> Vec<&str> {
        self.pushed.get(key).map_or_else(Vec::new, |s| {
            s.iter()
                .filter(|(_, at)| *at > mark)
                .map(|(f, _)| f.as_str())
                .collect()
        })
    }
}

fn stamp(stamps: &mut Vec<(String, u64)>, field: &str, at: u64) {
    match stamps.iter_mut().find(|(f, _)| f == field) {
        Some(s) => s.1 = at,
        None => stamps.push((field.to_owned(), at)),
    }
}

/// Whether `rec` carries a lower version than the base `base()` gives (both numeric). The
/// base is looked up only for a type with a version field.
pub fn older_version<'a>(
    schema: &Schema,
    key: &str,
    rec: &Row,
    base: impl FnOnce() -> Option<&'a Row>,
) -> bool {
    let Some(vf) = schema
        .get(crate::core::key::type_of(key))
        .and_then(|t| t.version_field.as_deref())
    else {
        return false;
    };
    let (Some(new), Some(old)) = (
        rec.get(vf).and_then(Cell::as_f64),
        base().and_then(|b| b.get(vf)).and_then(Cell::as_f64),
    ) else {
        return false;
    };
    new < old
}
