//! The live part: queries whose result is defined over the entity cache (`live: { from,
//! where, orderBy, limit, offset }`) and kept up to date incrementally from every change the
//! cache records, whatever its source (responses, optimistic layers and their rollback,
//! pushes, other tabs, persistence). The store's finish step hands it the changed entity keys
//! (written ones and those that reach them through relations, from the cache's reverse
//! index); it answers with the live results whose window or total moved, which the store
//! writes as those queries' results, so the JS side shows them like any other query.
//!
//! | file | holds | tests |
//! |---|---|---|
//! | `mod.rs` | `Live` (definitions, sets, indexes), `Def` (a definition read and checked whole), `apply` | tests/live.rs (model, sources) |
//! | `predicate.rs` | the `where` language: parse + check once, evaluate | tests/live.rs `where_*`, `bad_*` |
//! | `path.rs` | field paths through to-one relations, resolved once, read through the cache | tests/live.rs `where_relation_*` |
//! | `order.rs` | `orderBy`, the total order of JSON values, ties by id | tests/live.rs `order_*` |
//! | `index.rs` | per type: queries filed by a top-level equality, members -> queries | tests/live.rs `index_*` |
//! | `set.rs` | a query's sorted members and its window | tests/live.rs model |

mod index;
mod order;
mod path;
pub mod predicate;
mod set;

use crate::core::row::Row;
use foldhash::HashMap;
use serde_json::Value;

use self::index::{Qid, TypeIndex};
use self::order::OrderBy;
use self::predicate::Pred;
use self::set::Set;
use super::cache::Cache;
use super::error::{Error, Result};
use super::json::type_name;
use super::key::type_of;
use super::schema::Schema;

/// A live definition, read and checked whole before anything is built.
#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    /// The definition as the app wrote it (persisted with the query).
    pub json: Value,
    pub from: String,
    pred: Option<Pred>,
    order: OrderBy,
    limit: Option<usize>,
    offset: usize,
}

fn bad(msg: String) -> Error {
    Error::InvalidArgument(msg)
}

fn count(v: Option<&Value>, what: &str) -> Result<Option<usize>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                bad(format!(
                    "live query `{what}` must be a whole number >= 0, got {}",
                    type_name(x)
                ))
            }),
    }
}

impl Def {
    pub fn parse(v: &Value, schema: &Schema) -> Result<Def> {
        let obj = v.as_object().ok_or_else(|| {
            bad(format!(
                "`live` must be an object like {{ from: 'Task', where, orderBy, limit, offset }}, got {}",
                type_name(v)
            ))
        })?;
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "from" | "where" | "orderBy" | "limit" | "offset"
            ) {
                return Err(bad(format!(
                    "unknown live query option `{k}`; known: from, where, orderBy, limit, offset"
                )));
            }
        }
        let from = match obj.get("from") {
            Some(Value::String(t)) if schema.get(t).is_some() => t.clone(),
            Some(Value::String(t)) => {
                return Err(bad(format!(
                    "live query `from`: unknown entity type `{t}`; declare it in createStore({{ entities }})"
                )))
            }
            _ => return Err(bad("live query `from` must name an entity type".to_owned())),
        };
        let pred = match obj.get("where") {
            None | Some(Value::Null) => None,
            Some(w) => Some(Pred::parse(w, &from, schema, "where")?),
        };
        Ok(Def {
            order: OrderBy::parse(obj.get("orderBy"), &from, schema)?,
            limit: count(obj.get("limit"), "limit")?,
            offset: count(obj.get("offset"), "offset")?.unwrap_or(0),
            json: v.clone(),
            from,
            pred,
        })
    }

    fn matches(&self, rec: &Row, cache: &Cache) -> bool {
        self.pred.as_ref().map_or(true, |p| p.eval(rec, cache))
    }
}

#[derive(Debug)]
struct LiveQuery {
    def: Def,
    key: Value,
    set: Set,
    /// The window and total last handed out.
    shown: Option<(Vec<Value>, usize)>,
}

/// A live result to write: query `hash` (key `key`) shows `result` (entity keys of type
/// `from`) of `total` members.
#[derive(Debug, PartialEq)]
pub struct Shown {
    pub hash: String,
    pub key: Value,
    pub from: String,
    pub result: Vec<Value>,
    pub total: usize,
}

#[derive(Debug, Default)]
pub struct Live {
    /// By query id (`None`: no longer live). A `Vec` and the map type the cache's ingest
    /// already has: each new map type costs about 1 kB of wasm.
    queries: Vec<Option<LiveQuery>>,
    /// Query hash <-> the small id the indexes use (kept once given).
    ids: HashMap<String, usize>,
    names: Vec<String>,
    /// Per entity type (a handful): a list, not another map type.
    types: Vec<(String, TypeIndex)>,
    /// Queries to hand out at the next `apply` whatever moved (new, rebuilt, overwritten).
    dirty: Vec<Qid>,
}

impl Live {
    pub fn is_empty(&self) -> bool {
        self.queries.iter().all(Option::is_none)
    }

    fn id(&self, hash: &str) -> Option<Qid> {
        let q = *self.ids.get(hash)?;
        self.queries.get(q)?.as_ref()?;
        Qid::try_from(q).ok()
    }

    fn query(&self, q: Qid) -> Option<&LiveQuery> {
        self.queries.get(q as usize)?.as_ref()
    }

    fn query_mut(&mut self, q: Qid) -> Option<&mut LiveQuery> {
        self.queries.get_mut(q as usize)?.as_mut()
    }

    fn type_index(&mut self, from: &str) -> Option<&mut TypeIndex> {
        self.types
            .iter_mut()
            .find(|(t, _)| t == from)
            .map(|(_, idx)| idx)
    }

    pub fn has(&self, hash: &str) -> bool {
        self.id(hash).is_some()
    }

    pub fn def(&self, hash: &str) -> Option<&Def> {
        self.query(self.id(hash)?).map(|q| &q.def)
    }

    /// Makes query `hash` live with `def` (a different definition replaces the old one; the
    /// same one changes nothing), its set built from the entities cached now.
    pub fn define(&mut self, hash: &str, key: Value, def: Def, cache: &Cache) {
        if self.def(hash) == Some(&def) {
            return;
        }
        self.remove(hash);
        let at = match self.ids.get(hash) {
            Some(q) => *q,
            None => {
                let q = self.names.len();
                self.ids.insert(hash.to_owned(), q);
                self.names.push(hash.to_owned());
                self.queries.push(None);
                q
            }
        };
        // More than u32::MAX live queries cannot fit in wasm memory anyway.
        let qid = Qid::try_from(at).unwrap_or(Qid::MAX);
        let set = build(&def, cache);
        if self.type_index(&def.from).is_none() {
            self.types.push((def.from.clone(), TypeIndex::default()));
        }
        if let Some(idx) = self.type_index(&def.from) {
            idx.add(qid, def.pred.as_ref().and_then(Pred::guard));
            for k in set.keys() {
                idx.joined(k, qid);
            }
        }
        if let Some(slot) = self.queries.get_mut(at) {
            *slot = Some(LiveQuery {
                def,
                key,
                set,
                shown: None,
            });
        }
        self.dirty.push(qid);
    }

    /// Query `hash` is no longer live.
    pub fn remove(&mut self, hash: &str) {
        self.take(hash);
    }

    /// Removes query `hash` and gives it back.
    fn take(&mut self, hash: &str) -> Option<LiveQuery> {
        let qid = self.id(hash)?;
        let q = self.queries.get_mut(qid as usize)?.take()?;
        if let Some(idx) = self.type_index(&q.def.from) {
            idx.remove(qid, q.set.keys());
            if idx.is_empty() {
                self.types.retain(|(t, _)| *t != q.def.from);
            }
        }
        Some(q)
    }

    /// Builds query `hash` again from the cache and hands it out (its result was dropped, or
    /// the whole cache changed under it).
    pub fn rebuild(&mut self, hash: &str, cache: &Cache) {
        // Moved out and back in: no copy of the definition.
        if let Some(q) = self.take(hash) {
            self.define(hash, q.key, q.def, cache);
        }
    }

    /// Moves the changed entities (`keys`: written ones and those reaching them) in, out or
    /// within the sets of the live queries they can affect, and returns the live results whose
    /// window or total changed, plus those of `forced` (their stored result was overwritten)
    /// and of new definitions.
    pub fn apply(&mut self, keys: &[String], forced: &[String], cache: &Cache) -> Vec<Shown> {
        let mut touched = std::mem::take(&mut self.dirty);
        let forced: Vec<Qid> = forced.iter().filter_map(|h| self.id(h)).collect();
        for key in keys {
            let ty = type_of(key);
            let Some((_, idx)) = self.types.iter_mut().find(|(t, _)| t == ty) else {
                continue;
            };
            let rec = cache.entity(key);
            for qid in idx.candidates(key, rec, cache) {
                let Some(Some(q)) = self.queries.get_mut(qid as usize) else {
                    continue;
                };
                let moved = match rec.filter(|r| q.def.matches(r, cache)) {
                    Some(r) => {
                        let id = cache
                            .schema()
                            .get(&q.def.from)
                            .and_then(|t| r.get(&t.id_field));
                        let m = q.def.order.member(key, id, r, cache);
                        idx.joined(&m.key, qid);
                        q.set.put(m)
                    }
                    None => {
                        idx.left(key, qid);
                        q.set.remove(key)
                    }
                };
                if moved && !touched.contains(&qid) {
                    touched.push(qid);
                }
            }
        }
        for qid in forced {
            if let Some(q) = self.query_mut(qid) {
                q.shown = None;
            }
            if !touched.contains(&qid) {
                touched.push(qid);
            }
        }
        let mut out = Vec::new();
        for qid in touched {
            let (Some(Some(q)), Some(hash)) = (
                self.queries.get_mut(qid as usize),
                self.names.get(qid as usize),
            ) else {
                continue;
            };
            let window = q.set.window(q.def.offset, q.def.limit);
            let now = (window, q.set.len());
            if q.shown.as_ref() == Some(&now) {
                // Moved outside the window, total the same: nothing shows it.
                continue;
            }
            out.push(Shown {
                hash: hash.clone(),
                key: q.key.clone(),
                from: q.def.from.clone(),
                result: now.0.clone(),
                total: now.1,
            });
            q.shown = Some(now);
        }
        out
    }
}

fn build(def: &Def, cache: &Cache) -> Set {
    let id_field = cache.schema().get(&def.from).map(|t| t.id_field.clone());
    let mut members = Vec::new();
    cache.each_entity_of(&def.from, |key, rec| {
        if def.matches(rec, cache) {
            let id = id_field.as_ref().and_then(|f| rec.get(f));
            members.push(def.order.member(key, id, rec, cache));
        }
    });
    Set::build(members)
}
