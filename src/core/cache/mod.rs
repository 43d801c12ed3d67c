//! The cache part: what the app sees, entities stored once by key and query results holding
//! references to them, over a server base kept aside where optimistic layers cover it.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | `Cache` (the part's state), `Query`, reads, query results, removal and gc, the change record |
//! | `index.rs` | `Index`: visible records + reverse indexes (who references whom, which queries show what) |
//! | `links.rs` | `Links`: one slot's set of linked ids (none or one inline, a hash set past that) |
//! | `guard.rs` | no server write goes back in time: versions, request start vs push order |
//! | `overlay.rs` | base vs visible: server writes under layers, `relayer`, commit of a settled layer |
//! | `layer.rs` | `Layer` (one mutation's writes and list inserts) and how each applies |
//! | `rename.rs` | a temporary id replaced by the real one in records, results and the base |
//! | `normalize.rs`, `ingest.rs` | responses into entities (a value; JSON text in one pass); cache deltas into rows |
//! | `denormalize.rs` | the reference reading back to plain JSON |
//!
//! Records are `Row`s (src/core/row.rs: fields in order, names shared).
//!
//! Every write is noted in the part's own change record; the store's finish step takes it
//! once per call (`take_changes`), so no use case builds a change set by hand.
//! Tests: src/core/tests/{normalize,denormalize,changes,update_entity,batch,random}.rs, and
//! the layer tests in tests/mutations/{insert_layers,delete_layers,temp_ids}.rs.

pub mod denormalize;
pub mod guard;
mod index;
pub mod ingest;
mod inspect;
pub mod layer;
mod links;
pub mod normalize;
mod overlay;
mod rename;

use crate::core::row::Row;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde_json::Value;

use self::guard::Guard;
use self::index::{Index, Written};
use self::layer::Layer;
use self::normalize::{result_refs, EntityRecord};
use super::key::entity_key;
use super::output::ChangeSet;
use super::schema::Schema;
use super::shape::Shape;

/// A query's normalized result. `hash` (the map key) is the JS wrapper's stable hash of
/// `key`; prefix matching uses `key` itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub key: Value,
    pub shape: Shape,
    pub result: Value,
    pub updated_at: f64,
}

#[derive(Debug)]
pub struct Cache {
    schema: Schema,
    index: Index,
    results: HashMap<String, Query>,
    /// Server base records of entities some active layer touches (`None`: not cached); the
    /// index holds what is visible: base + layers (see overlay.rs).
    shadow: HashMap<String, Option<Row>>,
    /// Server base results of queries an active layer inserts into.
    shadow_results: HashMap<String, Value>,
    /// What keeps server writes from going back in time (guard.rs).
    guard: Guard,
    changed: Changed,
}

/// What changed since the last `take_changes`.
#[derive(Debug, Default)]
struct Changed {
    written: Written,
    queries: Vec<String>,
    /// Base records and results that changed where a layer hides them (nothing visible
    /// moved, but the persisted base must follow).
    base_entities: Vec<String>,
    base_queries: Vec<String>,
}

/// `take_changes`: the visible change set, and the keys whose server base changed.
#[derive(Debug, Default)]
pub struct Taken {
    pub changes: ChangeSet,
    pub base_entities: Vec<String>,
    pub base_queries: Vec<String>,
}

impl Cache {
    pub fn new(schema: Schema) -> Cache {
        Cache {
            schema,
            index: Index::default(),
            results: HashMap::new(),
            shadow: HashMap::new(),
            shadow_results: HashMap::new(),
            guard: Guard::default(),
            changed: Changed::default(),
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    pub fn guard_mut(&mut self) -> &mut Guard {
        &mut self.guard
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The visible record of entity `key`.
    pub fn entity(&self, key: &str) -> Option<&Row> {
        self.index.get(key)
    }

    pub fn query(&self, hash: &str) -> Option<&Query> {
        self.results.get(hash)
    }

    pub fn entity_count(&self) -> usize {
        self.index.len()
    }

    /// Every cached entity key.
    pub fn entity_keys(&self) -> Vec<String> {
        self.index.keys()
    }

    /// Every stored query result's hash.
    pub fn query_hashes(&self) -> impl Iterator<Item = &String> {
        self.results.keys()
    }

    /// Entities some active layer covers (their base is kept aside).
    pub fn layered_keys(&self) -> impl Iterator<Item = &String> {
        self.shadow.keys()
    }

    pub fn has_layered_state(&self) -> bool {
        !self.shadow.is_empty() || !self.shadow_results.is_empty()
    }

    /// The server base result of query `hash` (under its list inserts, if any).
    pub fn base_result(&self, hash: &str) -> Option<&Value> {
        let q = self.results.get(hash)?;
        Some(self.shadow_results.get(hash).unwrap_or(&q.result))
    }

    /// The queries that show entity `key`, directly or through the relations of entities that
    /// reference it (hydration compares their age with a dehydrated record's).
    pub fn queries_showing(&self, key: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut stack = vec![key.to_owned()];
        let mut found = Vec::new(); // a query may be listed more than once
        while let Some(k) = stack.pop() {
            if seen.insert(k.clone()) {
                found.extend(self.index.queries_of(&k));
                stack.extend(self.index.parents_of(&k));
            }
        }
        found
    }

    /// The denormalized result of a query (entities expanded), as plain JSON.
    pub fn read_query(&self, hash: &str) -> Option<Value> {
        let q = self.results.get(hash)?;
        Some(self.read(&q.shape, &q.result))
    }

    /// The denormalized entity, as plain JSON.
    pub fn read_entity(&self, type_name: &str, id: &str) -> Option<Value> {
        denormalize::entity(&self.index, &self.schema, &entity_key(type_name, id))
    }

    /// A normalized value read back through `shape`.
    pub fn read(&self, shape: &Shape, result: &Value) -> Value {
        denormalize::query(&self.index, &self.schema, shape, result)
    }

    /// Stores query `hash`'s server result (normalized; its entities already written). Under
    /// an active layer's list insert the result is the base and the insert stays on top.
    /// Returns whether the visible result changed (an unchanged one only gets `now`).
    pub fn write_result(&mut self, hash: &str, q: Query, layers: &[&Layer]) -> bool {
        let Query {
            key,
            shape,
            mut result,
            updated_at,
        } = q;
        if inserts_into(layers, hash) {
            self.shadow_results.insert(hash.to_owned(), result.clone());
            result = visible_result(layers, hash, result);
        }
        if let Some(q) = self.results.get_mut(hash) {
            if q.shape == shape && q.result == result && q.key == key {
                q.updated_at = updated_at;
                return false;
            }
        }
        self.set_refs(hash, &shape, &result);
        self.results.insert(
            hash.to_owned(),
            Query {
                key,
                shape,
                result,
                updated_at,
            },
        );
        self.note_query(hash);
        true
    }

    /// Removes queries (results, base, references) and then every entity nothing reaches any
    /// more; returns the removed entity keys. Entities under an active layer stay: the layer
    /// still shows or commits them.
    pub fn drop_queries(&mut self, hashes: &[String]) -> Vec<String> {
        for h in hashes {
            self.forget_query(h);
        }
        let layered: Vec<String> = self.shadow.keys().cloned().collect();
        self.index.sweep(&self.schema, &layered)
    }

    /// Removes one query's result without collecting entities; whether it had one.
    pub fn forget_query(&mut self, hash: &str) -> bool {
        self.shadow_results.remove(hash);
        self.index.drop_query(hash);
        self.results.remove(hash).is_some()
    }

    /// `clear()`: every result, base and entity goes; returns the removed entity keys.
    pub fn clear(&mut self) -> Vec<String> {
        self.shadow.clear();
        self.shadow_results.clear();
        self.results.clear();
        self.guard.retain_requests(|_| false);
        let keys = self.index.keys();
        // Nothing is left to link or report: a fresh index, not one removal per entity.
        self.index = Index::default();
        self.changed = Changed::default();
        keys
    }

    /// Calls `f` with every cached entity of type `type_name` (key and visible record).
    pub fn each_entity_of(&self, type_name: &str, f: impl FnMut(&str, &Row)) {
        self.index.each_of(type_name, f);
    }

    /// The entities changed so far in this call (written ones, then those reaching them
    /// through relations) and the queries whose result was written, without taking them.
    pub fn pending_changes(&self) -> (Vec<String>, Vec<String>) {
        let c = self.index.changes(&self.changed.written, &[]);
        let mut keys = c.written;
        keys.extend(c.dependents);
        (keys, self.changed.queries.clone())
    }

    /// Writes a live query's result: the entity keys `result` of type `from` (no layer
    /// inserts into a live list: the live definition decides its members).
    pub fn write_live_result(
        &mut self,
        hash: &str,
        key: Value,
        from: &str,
        result: Vec<Value>,
        now: f64,
    ) {
        let q = Query {
            key,
            shape: Shape::List(Box::new(Shape::Entity(from.to_owned()))),
            result: Value::Array(result),
            updated_at: now,
        };
        self.write_result(hash, q, &[]);
    }

    /// What changed since the last call (the store's finish step takes it once per call).
    pub fn take_changes(&mut self) -> Taken {
        let changed = std::mem::take(&mut self.changed);
        let c = self.index.changes(&changed.written, &changed.queries);
        Taken {
            changes: ChangeSet {
                written_entities: c.written,
                dependent_entities: c.dependents,
                written_queries: changed.queries,
                dependent_queries: c.dependent_queries,
            },
            base_entities: changed.base_entities,
            base_queries: changed.base_queries,
        }
    }

    fn note_query(&mut self, hash: &str) {
        if !self.changed.queries.iter().any(|h| h == hash) {
            self.changed.queries.push(hash.to_owned());
        }
    }

    /// Points the reverse index at the entities `result` references.
    fn set_refs(&mut self, hash: &str, shape: &Shape, result: &Value) {
        let mut refs = Vec::new();
        result_refs(shape, result, &mut refs);
        self.index.set_query_refs(hash, &refs);
    }

    /// Writes records straight into the visible index (no layer covers them).
    fn write_visible(&mut self, entities: Vec<EntityRecord>) {
        self.index
            .write(&self.schema, entities, &mut self.changed.written);
    }

    fn replace_visible(&mut self, key: &str, rec: Option<Row>) {
        self.index
            .replace(&self.schema, key, rec, &mut self.changed.written);
    }
}

/// Whether an active layer inserts into query `hash`'s lists.
fn inserts_into(layers: &[&Layer], hash: &str) -> bool {
    layers
        .iter()
        .any(|l| l.inserts.iter().any(|i| i.hash == hash))
}

/// A base query result with the active layers' list inserts applied, in queue order.
fn visible_result(layers: &[&Layer], hash: &str, mut base: Value) -> Value {
    for l in layers {
        for ins in l.inserts.iter().filter(|i| i.hash == hash) {
            layer::apply_insert(&mut base, ins);
        }
    }
    base
}
