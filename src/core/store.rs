//! The store: entity cache plus query results, and the write operations that report exactly
//! what they changed.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::cache::{Cache, Written};
use super::config::Config;
use super::denormalize;
use super::error::{Error, Result};
use super::ingest::normalize_json;
use super::json::{self, type_name, Origin};
use super::key::{entity_key, id_string};
use super::mutation::Mutation;
use super::normalize::{normalize, result_refs, Normalized};
use super::outbox::SyncMeta;
use super::persist::PersistState;
use super::query::QueryMeta;
use super::shape::Shape;

/// A query's normalized result. `hash` (the map key in `Store`) is the JS wrapper's stable
/// hash of `key`; prefix matching uses `key` itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub key: Value,
    pub shape: Shape,
    pub result: Value,
    pub updated_at: f64,
}

/// Exactly what one write changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChangeSet {
    /// Entities whose own record changed.
    pub written_entities: Vec<String>,
    /// Entities whose record did not change but which reach a written one through
    /// relations, so their denormalized view changed.
    pub dependent_entities: Vec<String>,
    /// Queries whose own normalized result (or shape) changed.
    pub written_queries: Vec<String>,
    /// Queries that show a changed entity.
    pub dependent_queries: Vec<String>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.written_entities.is_empty() && self.written_queries.is_empty()
    }

    /// Every entity whose snapshot changed.
    pub fn entities(&self) -> impl Iterator<Item = &String> {
        self.written_entities.iter().chain(&self.dependent_entities)
    }

    /// Every query whose snapshot changed.
    pub fn queries(&self) -> impl Iterator<Item = &String> {
        self.written_queries.iter().chain(&self.dependent_queries)
    }
}

#[derive(Debug)]
pub struct Store {
    pub(super) config: Config,
    pub(super) cache: Cache,
    pub(super) queries: HashMap<String, Query>,
    /// Query lifecycles (see engine.rs), by hash.
    pub(super) metas: HashMap<String, QueryMeta>,
    /// Unacknowledged mutations in queue order (see outbox.rs).
    pub(super) mutations: Vec<Mutation>,
    /// Server base records of entities some optimistic layer touches (`None`: not cached);
    /// the cache holds what is visible: base + layers (see layers.rs).
    pub(super) shadow: HashMap<String, Option<Map<String, Value>>>,
    /// Server base results of queries an optimistic insert touches.
    pub(super) shadow_queries: HashMap<String, Value>,
    pub(super) sync: SyncMeta,
    pub(super) persist: PersistState,
    /// `navigator.onLine` as last reported.
    pub(super) online: bool,
    pub(super) last_ticket: u64,
}

impl Store {
    pub fn new(config: Config) -> Store {
        Store {
            config,
            cache: Cache::default(),
            queries: HashMap::new(),
            metas: HashMap::new(),
            mutations: Vec::new(),
            shadow: HashMap::new(),
            shadow_queries: HashMap::new(),
            sync: SyncMeta {
                leader: true,
                ..SyncMeta::default()
            },
            persist: PersistState::default(),
            online: true,
            last_ticket: 0,
        }
    }

    /// Builds a store from the JSON form of the `createStore` options.
    pub fn from_options_json(text: &str) -> Result<Store> {
        let v = json::parse(text, "createStore options", Origin::App)?;
        Ok(Store::new(Config::from_json(&v)?))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn query(&self, hash: &str) -> Option<&Query> {
        self.queries.get(hash)
    }

    pub fn entity(&self, key: &str) -> Option<&Map<String, Value>> {
        self.cache.get(key)
    }

    pub fn entity_count(&self) -> usize {
        self.cache.len()
    }

    /// `setQueryData(queryKey, data, { shape })` with every argument as JSON text.
    pub fn set_query_data(
        &mut self,
        hash: &str,
        key_json: &str,
        data_json: &str,
        shape_json: &str,
        now: f64,
    ) -> Result<ChangeSet> {
        let key = parse_query_key(key_json)?;
        let shape = match self.parse_shape(shape_json) {
            Ok(shape) => shape,
            Err(e) => {
                // Unreadable data is reported before a bad shape.
                json::parse(data_json, "query data", Origin::App)?;
                return Err(e);
            }
        };
        let what = || "query data".to_owned();
        let n = normalize_json(&self.config.schema, &shape, data_json, &what, Origin::App)?;
        self.write_normalized(hash, key, n, &shape, now)
    }

    /// Parses a shape against this store's schema.
    pub fn parse_shape(&self, shape_json: &str) -> Result<Shape> {
        let v = json::parse(shape_json, "shape", Origin::App)
            .map_err(|e| Error::Shape(e.to_string()))?;
        Shape::from_json(&v, &self.config.schema)
    }

    /// Normalizes `data` into the cache and stores the result as query `hash`.
    /// Nothing is written when the data does not fit the shape.
    pub fn write_query(
        &mut self,
        hash: &str,
        key: Value,
        data: Value,
        shape: &Shape,
        now: f64,
    ) -> Result<ChangeSet> {
        let n = normalize(&self.config.schema, shape, data)?;
        self.write_normalized(hash, key, n, shape, now)
    }

    /// Writes normalized data into the cache and stores the result as query `hash`.
    pub fn write_normalized(
        &mut self,
        hash: &str,
        key: Value,
        mut n: Normalized,
        shape: &Shape,
        now: f64,
    ) -> Result<ChangeSet> {
        let mut written = Written::default();
        self.write_base(std::mem::take(&mut n.entities), &mut written);
        // Under an optimistic insert, the server's result is the base; the list insert stays on top.
        let inserts_pending = self
            .mutations
            .iter()
            .any(|m| m.layered && m.layer.inserts.iter().any(|i| i.hash == hash));
        if inserts_pending {
            self.shadow_queries
                .insert(hash.to_owned(), n.result.clone());
            n.result = self.visible_result(hash, n.result);
        }

        let mut written_queries = Vec::new();
        let unchanged = self
            .queries
            .get(hash)
            .is_some_and(|q| q.shape == *shape && q.result == n.result && q.key == key);
        if unchanged {
            if let Some(q) = self.queries.get_mut(hash) {
                q.updated_at = now;
            }
        } else {
            let mut refs = Vec::new();
            result_refs(shape, &n.result, &mut refs);
            self.cache.set_query_refs(hash, &refs);
            self.queries.insert(
                hash.to_owned(),
                Query {
                    key,
                    shape: shape.clone(),
                    result: n.result,
                    updated_at: now,
                },
            );
            written_queries.push(hash.to_owned());
        }
        Ok(self.finish(written, written_queries))
    }

    /// `updateEntity(type, id, patch)`: merges `patch` into the entity (creating a partial
    /// entity `{ id, ...patch }` when it is not cached). Relation fields in the patch are
    /// normalized like a response.
    pub fn update_entity(
        &mut self,
        type_name_: &str,
        id_json: &str,
        patch_json: &str,
    ) -> Result<ChangeSet> {
        let id = json::parse(id_json, "entity id", Origin::App)?;
        let patch = json::parse(patch_json, "patch", Origin::App)?;
        self.update_entity_value(type_name_, id, patch)
    }

    pub fn update_entity_value(
        &mut self,
        type_name_: &str,
        id: Value,
        patch: Value,
    ) -> Result<ChangeSet> {
        let t = self.config.schema.get(type_name_).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "updateEntity: unknown entity type `{type_name_}`; declare it in createStore({{ entities }})"
            ))
        })?;
        let id_str = id_string(&id).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "updateEntity: id must be a string or a number, got {}",
                type_name(&id)
            ))
        })?;
        let Value::Object(patch) = patch else {
            return Err(Error::InvalidArgument(format!(
                "updateEntity: patch must be an object of fields, got {}",
                type_name(&patch)
            )));
        };
        if let Some(pid) = patch.get(&t.id_field) {
            if id_string(pid).as_deref() != Some(id_str.as_str()) {
                return Err(Error::InvalidArgument(format!(
                    "updateEntity: the patch changes the id field `{}`; an entity's id cannot change",
                    t.id_field
                )));
            }
        }
        let mut obj = Map::with_capacity(patch.len() + 1);
        obj.insert(t.id_field.clone(), id);
        for (k, v) in patch {
            if k != t.id_field {
                obj.insert(k, v);
            }
        }
        let shape = Shape::Entity(type_name_.to_owned());
        let n = normalize(&self.config.schema, &shape, Value::Object(obj))?;
        let mut written = Written::default();
        self.write_base(n.entities, &mut written);
        Ok(self.finish(written, Vec::new()))
    }

    /// The denormalized result of a query (entities expanded), as plain JSON.
    pub fn read_query(&self, hash: &str) -> Option<Value> {
        let q = self.queries.get(hash)?;
        Some(denormalize::query(
            &self.cache,
            &self.config.schema,
            &q.shape,
            &q.result,
        ))
    }

    /// The denormalized entity, as plain JSON.
    pub fn read_entity(&self, type_name_: &str, id: &str) -> Option<Value> {
        denormalize::entity(
            &self.cache,
            &self.config.schema,
            &entity_key(type_name_, id),
        )
    }

    pub(super) fn finish(&self, written: Written, written_queries: Vec<String>) -> ChangeSet {
        let c = self.cache.changes(&written, &written_queries);
        ChangeSet {
            written_entities: c.written,
            dependent_entities: c.dependents,
            written_queries,
            dependent_queries: c.dependent_queries,
        }
    }
}

/// A queryKey is a non-empty JSON array (TanStack style).
pub fn parse_query_key(key_json: &str) -> Result<Value> {
    let key = json::parse(key_json, "queryKey", Origin::App)?;
    match &key {
        Value::Array(a) if !a.is_empty() => Ok(key),
        other => Err(Error::InvalidArgument(format!(
            "queryKey must be a non-empty array such as ['todos'] or ['todo', 5], got {}",
            if other.is_array() {
                "an empty array"
            } else {
                type_name(other)
            }
        ))),
    }
}
