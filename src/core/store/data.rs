//! Data the app writes itself: `setQueryData` and `updateEntity`.

use serde_json::{Map, Value};

use super::Store;
use crate::core::cache::guard::Order;
use crate::core::cache::ingest::normalize_json;
use crate::core::cache::normalize::{normalize, Normalized};
use crate::core::cache::Query;
use crate::core::error::{Error, Result};
use crate::core::json::{self, type_name, Origin};
use crate::core::key::id_string;
use crate::core::output::Output;
use crate::core::query::parse_query_key;
use crate::core::query::state::{Event, Status};
use crate::core::shape::Shape;

impl Store {
    /// `setQueryData(queryKey, data, { shape })` with every argument as JSON text: the data
    /// is normalized like a response, and the query is successful and fresh. Nothing is
    /// written when the data does not fit the shape.
    pub fn set_query_data(
        &mut self,
        hash: &str,
        key_json: &str,
        data_json: &str,
        shape_json: &str,
        now: f64,
    ) -> Result<Output> {
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
        Ok(self.run_ok(now, |s, out| {
            s.put_query_data(hash, key, shape, n, now, out)
        }))
    }

    /// `setQueriesData` (and `setQueryData` without a shape): `items_json` is
    /// `[[hash, queryKey, data]]`, each written through its query's own shape (plain data for
    /// a new query), all in one call. Nothing is written when any of them does not fit.
    pub fn set_queries_data(&mut self, items_json: &str, now: f64) -> Result<Output> {
        let v = json::parse(items_json, "query data", Origin::App)?;
        let Value::Array(items) = v else {
            return Err(Error::InvalidArgument(
                "setQueriesData: expected a list of [hash, queryKey, data]".to_owned(),
            ));
        };
        let mut writes = Vec::with_capacity(items.len());
        for item in items {
            let Value::Array(mut a) = item else {
                return Err(Error::InvalidArgument(
                    "setQueriesData: expected [hash, queryKey, data]".to_owned(),
                ));
            };
            let data = a.pop().unwrap_or(Value::Null);
            let key = a.pop().unwrap_or(Value::Null);
            let Some(Value::String(hash)) = a.pop() else {
                return Err(Error::InvalidArgument(
                    "setQueriesData: a query hash must be a string".to_owned(),
                ));
            };
            let key = parse_query_key(&key.to_string())?;
            let shape = self.current_shape(&hash);
            let n = normalize(&self.config.schema, &shape, data)?;
            writes.push((hash, key, shape, n));
        }
        Ok(self.run_ok(now, |s, out| {
            for (hash, key, shape, n) in writes {
                s.put_query_data(&hash, key, shape, n, now, out);
            }
        }))
    }

    /// The shape a query's data is read through: its options' when it has a source, else
    /// the one it was last written with; plain data for a query not seen yet.
    fn current_shape(&self, hash: &str) -> Shape {
        match (self.queries.get(hash), self.cache.query(hash)) {
            (Some(m), _) if m.opts().has_source() => m.opts().shape.clone(),
            (_, Some(q)) => q.shape.clone(),
            (Some(m), None) => m.opts().shape.clone(),
            (None, None) => Shape::Plain,
        }
    }

    /// The write of `setQueryData`: the data, the lifecycle (successful and fresh now).
    fn put_query_data(
        &mut self,
        hash: &str,
        key: Value,
        shape: Shape,
        n: Normalized,
        now: f64,
        out: &mut Output,
    ) {
        let data_changed = self.write_data(hash, key.clone(), shape.clone(), n, Order::Any, now);
        let data_at = self.cache.query(hash).map(|q| q.updated_at);
        let defaults = &self.config.defaults;
        self.queries.ensure(hash, key, None, data_at, defaults, now);
        self.queries.set_observed_shape(hash, shape);
        if let Some(m) = self.queries.get(hash) {
            // Identical data already shown successfully changes nothing (not even
            // dataUpdatedAt), so a rewrite of the same data notifies nobody. Stale-by-time
            // data is refreshed too (with staleTime 0 data is always stale, so a new
            // dataUpdatedAt would change nothing but the notification count).
            let expired = m.opts().stale_time > 0.0 && m.is_stale(now);
            if data_changed || m.status() != Status::Success || m.invalidated() || expired {
                self.queries.dispatch(hash, Event::Data { at: now }, out);
            }
        }
    }

    /// Writes normalized data into the cache and stores its result as query `hash` (no
    /// lifecycle). Returns whether the visible result changed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_data(
        &mut self,
        hash: &str,
        key: Value,
        shape: Shape,
        n: Normalized,
        order: Order,
        now: f64,
    ) -> bool {
        self.write_base(n.entities, order);
        if self.live.has(hash) {
            // A live query's response fills the cache; its definition decides the result.
            return false;
        }
        let layers = self.queue.active_layers();
        let q = Query {
            key,
            shape,
            result: n.result,
            updated_at: now,
        };
        self.cache.write_result(hash, q, &layers)
    }

    /// Makes query `hash` live (see live/): its set is built from the cache now and its result
    /// written (a live query without a source shows data at once).
    pub(super) fn define_live(
        &mut self,
        hash: &str,
        key: Value,
        def: crate::core::live::Def,
        now: f64,
        out: &mut Output,
    ) {
        self.live.define(hash, key, def, &self.cache);
        for shown in self.live.apply(&[], &[], &self.cache) {
            self.cache
                .write_live_result(&shown.hash, shown.key, &shown.from, shown.result, now);
            out.live_totals.push((shown.hash, shown.total));
        }
    }

    /// The cache write of `setQueryData` alone (no lifecycle): how the native tests of
    /// normalization and change sets write data.
    #[cfg(test)]
    pub fn write_cache_only(&mut self, hash: &str, data: (Value, Shape, Normalized)) -> Output {
        let (key, shape, n) = data;
        self.run_ok(0.0, |s, _| {
            s.write_data(hash, key, shape, n, Order::Any, 0.0);
        })
    }

    /// Marks mutation `id`'s outbox record for rewriting, as any change of it would.
    #[cfg(test)]
    pub fn mark_record(&mut self, id: &str) {
        self.sync.mark(id);
    }

    /// Parses a shape against this store's schema.
    pub fn parse_shape(&self, shape_json: &str) -> Result<Shape> {
        let v = json::parse(shape_json, "shape", Origin::App)
            .map_err(|e| Error::Shape(e.to_string()))?;
        Shape::from_json(&v, &self.config.schema)
    }

    /// `updateEntity(type, id, patch)`: merges `patch` into the entity (creating a partial
    /// entity `{ id, ...patch }` when it is not cached). Relation fields in the patch are
    /// normalized like a response.
    pub fn update_entity(
        &mut self,
        type_name_: &str,
        id_json: &str,
        patch_json: &str,
        now: f64,
    ) -> Result<Output> {
        let id = json::parse(id_json, "entity id", Origin::App)?;
        let patch = json::parse(patch_json, "patch", Origin::App)?;
        let n = self.entity_patch(type_name_, id, patch)?;
        Ok(self.run_ok(now, |s, _| s.write_base(n, Order::Any)))
    }

    /// The records an `updateEntity` writes, checked.
    fn entity_patch(
        &self,
        type_name_: &str,
        id: Value,
        patch: Value,
    ) -> Result<Vec<crate::core::cache::normalize::EntityRecord>> {
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
        Ok(normalize(&self.config.schema, &shape, Value::Object(obj))?.entities)
    }
}
