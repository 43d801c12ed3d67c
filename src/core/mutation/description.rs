//! Mutations as data: a request, optimistic ops and options, so a mutation can be persisted
//! and replayed. Ops become an optimistic *layer* (cache/layer.rs): record writes and list
//! inserts applied over the server base, dropped exactly on rollback.

use crate::core::row::Row;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::core::cache::layer::{Layer, LayerWrite, ListInsert};
use crate::core::cache::normalize::normalize;
use crate::core::config::{duration, retry_count, Defaults};
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::json::type_name;
use crate::core::key::{entity_key, id_string};
use crate::core::schema::{EntityType, Schema};
use crate::core::shape::Shape;
use crate::core::url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    ServerWins,
    ClientWins,
    Merge,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MStatus {
    /// Being written to IndexedDB: not sent, not yet reported as queued.
    Saving,
    Queued,
    Inflight,
    Failed,
    Conflict,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Request {
    pub method: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    pub headers: Map<String, Value>,
}

/// The conflict shown for a `manual` (or unmergeable `merge`) conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictInfo {
    pub base: Value,
    pub local: Value,
    pub server: Value,
}

/// The entity whose version guards the mutation: its first update/delete target.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub key: String,
    pub type_name: String,
    pub version_field: Option<String>,
    /// The update's own fields (the "local" side of a merge).
    pub patch: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    pub id: String,
    pub request: Request,
    pub shape: Option<Shape>,
    pub invalidate: Vec<Value>,
    pub policy: Policy,
    pub retry: u32,
    pub retry_delay: f64,
    pub timeout: f64,
    pub created_at: f64,
    pub layer: Layer,
    /// The layer is applied to the visible state.
    pub layered: bool,
    pub status: MStatus,
    pub error: Option<ErrorInfo>,
    /// Requests sent.
    pub attempts: u32,
    /// Failures that count against `retry` (5xx, 408, 429, timeouts; not network errors).
    pub failures: u32,
    pub conflict: Option<ConflictInfo>,
    /// Per entity key, the base values of the fields the layer overwrote (absent field: null).
    pub snapshot: Map<String, Value>,
    pub subject: Option<Subject>,
    /// The subject's version the mutation is based on (sent as If-Match).
    pub base_version: Option<Value>,
    pub retry_at: Option<f64>,
    pub ticket: u64,
    /// The request in flight is the GET of the current entity after a bodiless conflict.
    pub reading_current: bool,
    /// Bumped when a conflict resend changes the request (new version, merged or chosen
    /// values): a changed request needs a new Idempotency-Key, or the server would replay
    /// the conflict it answered before.
    pub revision: u32,
    /// Bumped each time the record is written; another tab's copy with a higher stamp wins.
    pub stamp: u64,
    /// The tab that wrote the record last: `(stamp, writer)` orders any two copies, so two
    /// tabs that reach the same stamp at once still agree on which one stands.
    pub writer: String,
    /// A stand-in for an outbox record that could not be read (see records.rs).
    pub unreadable: bool,
    /// TanStack's `scope.id`: mutations of one scope are sent in order, one at a time; those of
    /// different scopes in parallel. `None`: the default scope.
    pub scope: Option<String>,
}

const OPTIONS: &str =
    "request, optimistic, shape, invalidate, conflict, retry, retryDelay, timeout, scope";

fn invalid(msg: String) -> Error {
    Error::InvalidArgument(msg)
}

impl Mutation {
    /// A queued mutation of `request` with no ops and no runtime state yet (no retries, no
    /// timeout): what descriptions and outbox records are read into.
    pub fn new(id: &str, request: Request, created_at: f64) -> Mutation {
        Mutation {
            id: id.to_owned(),
            request,
            shape: None,
            invalidate: Vec::new(),
            policy: Policy::ServerWins,
            retry: 0,
            retry_delay: 0.0,
            timeout: f64::INFINITY,
            created_at,
            layer: Layer::default(),
            layered: false,
            status: MStatus::Queued,
            error: None,
            attempts: 0,
            failures: 0,
            conflict: None,
            snapshot: Map::new(),
            subject: None,
            base_version: None,
            retry_at: None,
            ticket: 0,
            reading_current: false,
            revision: 0,
            stamp: 0,
            writer: String::new(),
            unreadable: false,
            scope: None,
        }
    }

    /// Reads a mutation description. `id` and `created_at` come from the wrapper.
    pub fn from_json(
        id: &str,
        v: &Value,
        schema: &Schema,
        d: &Defaults,
        base_url: &str,
        now: f64,
    ) -> Result<Mutation> {
        let obj = v
            .as_object()
            .ok_or_else(|| invalid(format!("mutate expects an object, got {}", type_name(v))))?;
        let mut m = Mutation::new(id, Request::default(), now);
        m.retry = d.retry;
        m.retry_delay = d.retry_delay;
        m.timeout = d.timeout;
        let mut ops = None;
        for (k, x) in obj {
            match k.as_str() {
                "request" => m.request = request(x, base_url)?,
                "optimistic" => ops = Some(x),
                "shape" => m.shape = Some(Shape::from_json(x, schema)?),
                "invalidate" => {
                    let list = x.as_array().ok_or_else(|| {
                        invalid("`invalidate` must be a list of queryKeys".to_owned())
                    })?;
                    for key in list {
                        if !key.is_array() {
                            return Err(invalid(
                                "every `invalidate` entry is a queryKey (an array)".to_owned(),
                            ));
                        }
                    }
                    m.invalidate = list.clone();
                }
                "conflict" => {
                    m.policy = match x.as_str() {
                        Some("server-wins") => Policy::ServerWins,
                        Some("client-wins") => Policy::ClientWins,
                        Some("merge") => Policy::Merge,
                        Some("manual") => Policy::Manual,
                        _ => return Err(invalid(
                            "`conflict` is one of 'server-wins', 'client-wins', 'merge', 'manual'"
                                .to_owned(),
                        )),
                    }
                }
                "retry" => m.retry = retry_count("retry", x)?,
                "retryDelay" => m.retry_delay = duration("retryDelay", x)?,
                "timeout" => m.timeout = duration("timeout", x)?,
                "scope" => m.scope = scope(x)?,
                other => {
                    return Err(invalid(format!(
                        "unknown mutate option `{other}`; known: {OPTIONS}"
                    )))
                }
            }
        }
        if m.request.url.is_empty() {
            return Err(invalid(
                "mutate needs `request: { method, url, body?, headers? }`".to_owned(),
            ));
        }
        if let Some(ops) = ops {
            build_layer(&mut m, ops, schema)?;
        }
        Ok(m)
    }

    /// Records what the layer overwrites in the base (the rollback snapshot) and the
    /// subject's base version; `base` reads the server base of an entity.
    pub fn capture<'a>(&mut self, base: impl Fn(&str) -> Option<&'a Row>) {
        let mut snapshot = Map::new();
        for (key, w) in &self.layer.writes {
            let rec = base(key);
            let entry = match w {
                LayerWrite::Merge(fields) => Value::Object(
                    fields
                        .keys()
                        .map(|f| {
                            let v = rec.and_then(|b| b.value(f));
                            (f.to_owned(), v.unwrap_or(Value::Null))
                        })
                        .collect(),
                ),
                LayerWrite::Delete => rec.map_or(Value::Null, |b| Value::Object(b.to_map())),
            };
            snapshot.insert(key.clone(), entry);
        }
        self.snapshot = snapshot;
        if let Some(subject) = &self.subject {
            if let Some(vf) = &subject.version_field {
                self.base_version = base(&subject.key).and_then(|r| r.value(vf));
            }
        }
    }

    /// Whether a write can still be sent for it (not settled, not failed).
    pub fn pending(&self) -> bool {
        matches!(
            self.status,
            MStatus::Saving | MStatus::Queued | MStatus::Inflight
        )
    }

    /// The Idempotency-Key of the current request: the same on every retry of it.
    pub fn idempotency_key(&self) -> String {
        if self.revision == 0 {
            self.id.clone()
        } else {
            format!("{}.{}", self.id, self.revision)
        }
    }

    /// The JSON the wrapper lists in `mutations()`.
    pub fn listing(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), Value::String(self.id.clone()));
        o.insert(
            "status".into(),
            serde_json::to_value(self.status).unwrap_or(Value::Null),
        );
        o.insert(
            "request".into(),
            serde_json::to_value(&self.request).unwrap_or(Value::Null),
        );
        if let Some(e) = &self.error {
            o.insert(
                "error".into(),
                serde_json::to_value(e).unwrap_or(Value::Null),
            );
        }
        o.insert("attempts".into(), Value::from(self.attempts));
        o.insert(
            "createdAt".into(),
            serde_json::Number::from_f64(self.created_at).map_or(Value::Null, Value::Number),
        );
        if let Some(c) = &self.conflict {
            o.insert(
                "conflict".into(),
                serde_json::to_value(c).unwrap_or(Value::Null),
            );
        }
        Value::Object(o)
    }
}

fn request(v: &Value, base_url: &str) -> Result<Request> {
    let o = v
        .as_object()
        .ok_or_else(|| invalid("`request` must be { method, url, body?, headers? }".to_owned()))?;
    let method = o
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("POST")
        .to_ascii_uppercase();
    if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE" | "GET") {
        return Err(invalid(format!(
            "request.method `{method}` is not one of POST, PUT, PATCH, DELETE, GET"
        )));
    }
    let url = match o.get("url") {
        Some(Value::String(u)) if !u.is_empty() => url::resolve(base_url, u),
        _ => return Err(invalid("request.url must be a non-empty string".to_owned())),
    };
    let mut headers = Map::new();
    if let Some(h) = o.get("headers") {
        let h = h
            .as_object()
            .ok_or_else(|| invalid("request.headers must be an object of strings".to_owned()))?;
        for (k, x) in h {
            if !x.is_string() {
                return Err(invalid(format!("request.headers.{k} must be a string")));
            }
            headers.insert(k.clone(), x.clone());
        }
    }
    for k in o.keys() {
        if !matches!(k.as_str(), "method" | "url" | "body" | "headers") {
            return Err(invalid(format!(
                "unknown request field `{k}`; known: method, url, body, headers"
            )));
        }
    }
    Ok(Request {
        method,
        url,
        body: o.get("body").cloned(),
        headers,
    })
}

fn build_layer(m: &mut Mutation, ops: &Value, schema: &Schema) -> Result<()> {
    let list = ops
        .as_array()
        .ok_or_else(|| invalid("`optimistic` must be a list of ops".to_owned()))?;
    for (i, op) in list.iter().enumerate() {
        let o = op.as_object().ok_or_else(|| {
            invalid(format!(
                "optimistic[{i}] must be an object like {{ op: 'update', type, id, patch }}"
            ))
        })?;
        let kind = o.get("op").and_then(Value::as_str).unwrap_or("");
        op_type(i, o, schema)?; // an unknown type is reported before an unknown op
        match kind {
            "update" | "delete" => update_op(m, i, o, kind, schema)?,
            "insert" => insert_op(m, i, o, schema)?,
            other => {
                return Err(invalid(format!(
                    "optimistic[{i}]: unknown op `{other}`; ops are 'update', 'insert', 'delete'"
                )))
            }
        }
    }
    Ok(())
}

/// An `update` or `delete` op: its writes, and the mutation's subject if it has none yet.
fn update_op(
    m: &mut Mutation,
    i: usize,
    o: &Map<String, Value>,
    kind: &str,
    schema: &Schema,
) -> Result<()> {
    let (type_name_, t) = op_type(i, o, schema)?;
    let shape = Shape::Entity(type_name_.to_owned());
    let id = o
        .get("id")
        .filter(|v| id_string(v).is_some())
        .ok_or_else(|| {
            invalid(format!(
                "optimistic[{i}]: `id` must be a string or a number"
            ))
        })?;
    let key = entity_key(type_name_, &id_string(id).unwrap_or_default());
    let patch = if kind == "update" {
        let p = o.get("patch").and_then(Value::as_object).ok_or_else(|| {
            invalid(format!(
                "optimistic[{i}]: `patch` must be an object of fields"
            ))
        })?;
        let mut obj = Map::new();
        obj.insert(t.id_field.clone(), id.clone());
        for (k, v) in p {
            if k != &t.id_field {
                obj.insert(k.clone(), v.clone());
            }
        }
        let n = normalize(schema, &shape, Value::Object(obj))?;
        let mut own = Map::new();
        for (k, fields) in n.entities {
            if k == key {
                own = fields.to_map();
            }
            m.layer.writes.push((k, LayerWrite::Merge(fields)));
        }
        own
    } else {
        m.layer.writes.push((key.clone(), LayerWrite::Delete));
        Map::new()
    };
    if m.subject.is_none() {
        m.subject = Some(Subject {
            key,
            type_name: type_name_.to_owned(),
            version_field: t.version_field.clone(),
            patch,
        });
    }
    Ok(())
}

/// An `insert` op: the entity's writes, the list inserts `into` asks for, and which entity
/// the mutation created (its temporary id).
fn insert_op(m: &mut Mutation, i: usize, o: &Map<String, Value>, schema: &Schema) -> Result<()> {
    let (type_name_, t) = op_type(i, o, schema)?;
    let shape = Shape::Entity(type_name_.to_owned());
    let data = o.get("data").filter(|d| d.is_object()).ok_or_else(|| {
        invalid(format!(
            "optimistic[{i}]: insert needs `data`, an object with an id (store.tempId())"
        ))
    })?;
    if data
        .get(&t.id_field)
        .is_some_and(|id| id.as_str() == Some(""))
    {
        return Err(invalid(format!(
            "optimistic[{i}]: an insert's id must not be empty; use store.tempId() for one the server replaces"
        )));
    }
    let n = normalize(schema, &shape, data.clone())?;
    let root = n.result.as_str().unwrap_or_default().to_owned();
    if m.layer.created.is_none() {
        let id = data.get(&t.id_field).cloned().unwrap_or(Value::Null);
        m.layer.created = Some((root.clone(), id));
    }
    for (k, fields) in n.entities {
        m.layer.writes.push((k, LayerWrite::Merge(fields)));
    }
    if let Some(into) = o.get("into") {
        let into = into
            .as_array()
            .ok_or_else(|| invalid(format!("optimistic[{i}]: `into` must be a list")))?;
        for target in into {
            m.layer.inserts.push(list_insert(i, target, &root)?);
        }
    }
    Ok(())
}

/// The declared entity type an op names.
fn op_type<'s>(
    i: usize,
    o: &'s Map<String, Value>,
    schema: &'s Schema,
) -> Result<(&'s str, &'s EntityType)> {
    let type_name_ = o.get("type").and_then(Value::as_str).unwrap_or("");
    let t = schema.get(type_name_).ok_or_else(|| {
        invalid(format!(
            "optimistic[{i}]: unknown entity type `{type_name_}`"
        ))
    })?;
    Ok((type_name_, t))
}

fn list_insert(i: usize, target: &Value, key: &str) -> Result<ListInsert> {
    let hash = target
        .get("hash")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("optimistic[{i}].into entries need a queryKey")))?;
    let path = match target.get("path") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(_) => {
            return Err(invalid(format!(
                "optimistic[{i}].into.path must be a field name or a list of them"
            )))
        }
    };
    let at_start = match target.get("position").and_then(Value::as_str) {
        None | Some("end") => false,
        Some("start") => true,
        Some(other) => {
            return Err(invalid(format!(
                "optimistic[{i}].into.position `{other}` is 'start' or 'end'"
            )))
        }
    };
    Ok(ListInsert {
        hash: hash.to_owned(),
        path,
        at_start,
        key: key.to_owned(),
    })
}

/// `scope: { id: string }` (TanStack's shape); `null` is the default scope.
fn scope(x: &Value) -> Result<Option<String>> {
    match x {
        Value::Null => Ok(None),
        Value::Object(o) if o.len() == 1 => match o.get("id") {
            Some(Value::String(id)) if !id.is_empty() => Ok(Some(id.clone())),
            _ => Err(invalid(
                "`scope` is { id: string } (a non-empty string)".to_owned(),
            )),
        },
        _ => Err(invalid(
            "`scope` is { id: string }: mutations of one scope are sent in order, scopes in parallel"
                .to_owned(),
        )),
    }
}
