//! The outbox record: a mutation as it is written to IndexedDB and read back after a reload or
//! by another tab. Only data the mutation needs to be replayed goes in; request headers never
//! do (they may hold auth tokens; the app's `headers` are evaluated at send time). Runtime
//! state (in flight, ticket, backoff) is not persisted: a reloaded mutation is queued again.

use crate::core::row::Row;
use serde_json::{json, Map, Value};

use crate::core::cache::layer::{Layer, LayerWrite, ListInsert};
use crate::core::error::{Error, ErrorInfo, Result};
use crate::core::mutation::description::{
    ConflictInfo, MStatus, Mutation, Policy, Request, Subject,
};
use crate::core::schema::Schema;
use crate::core::shape::Shape;

/// Bumped when the record layout changes. Records of an older format are migrated on the way
/// in (`migrate`), so users' queued writes outlive our releases; a format this version does not
/// know is listed as failed (`STORAGE`), never guessed at.
/// - 1: the first layout;
/// - 2: adds `w`, the tab that wrote the record (copies are ordered by `(v, w)`).
pub const FORMAT: u64 = 2;

/// A record of an older format brought to `FORMAT`, one step at a time.
fn migrate(v: &Value) -> Result<std::borrow::Cow<'_, Value>> {
    let format = v.get("f").and_then(Value::as_u64);
    match format {
        Some(FORMAT) => Ok(std::borrow::Cow::Borrowed(v)),
        Some(1) => {
            let mut next = v.clone();
            if let Some(o) = next.as_object_mut() {
                o.insert("f".into(), json!(2));
                o.insert("w".into(), json!("")); // written before tabs were told apart
            }
            Ok(std::borrow::Cow::Owned(next))
        }
        _ => Err(bad(&format!(
            "unknown record format {}",
            v.get("f").unwrap_or(&Value::Null)
        ))),
    }
}

fn num(x: f64) -> Value {
    // Infinity (no timeout) has no JSON form: null stands for it.
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn policy_name(p: Policy) -> &'static str {
    match p {
        Policy::ServerWins => "server-wins",
        Policy::ClientWins => "client-wins",
        Policy::Merge => "merge",
        Policy::Manual => "manual",
    }
}

fn error_json(e: &ErrorInfo) -> Value {
    json!({ "code": e.code, "message": e.message, "status": e.status, "body": e.body })
}

/// The persisted form of a mutation (see the module doc).
pub fn write(m: &Mutation) -> Value {
    let status = match m.status {
        MStatus::Failed => "failed",
        MStatus::Conflict => "conflict",
        _ => "queued",
    };
    let writes: Vec<Value> = m
        .layer
        .writes
        .iter()
        .map(|(k, w)| match w {
            LayerWrite::Merge(f) => json!([k, f]),
            LayerWrite::Delete => json!([k, null]),
        })
        .collect();
    let inserts: Vec<Value> = m
        .layer
        .inserts
        .iter()
        .map(|i| json!([i.hash, i.path, i.at_start, i.key]))
        .collect();
    let mut record = json!({
        "f": FORMAT,
        "id": m.id,
        "v": m.stamp,
        "w": m.writer,
        "at": num(m.created_at),
        "status": status,
        "method": m.request.method,
        "url": m.request.url,
        "body": m.request.body,
        "shape": m.shape.as_ref().map(Shape::to_json),
        "invalidate": m.invalidate,
        "policy": policy_name(m.policy),
        "retry": m.retry,
        "retryDelay": num(m.retry_delay),
        "timeout": num(m.timeout),
        "writes": writes,
        "inserts": inserts,
        "created": m.layer.created.as_ref().map(|(k, id)| json!([k, id])),
        "error": m.error.as_ref().map(error_json),
        "conflict": m.conflict.as_ref().map(|c| json!({ "base": c.base, "local": c.local, "server": c.server })),
        "snapshot": m.snapshot,
        "subject": m.subject.as_ref().map(|s| json!({
            "key": s.key, "type": s.type_name, "versionField": s.version_field, "patch": s.patch,
        })),
        "baseVersion": m.base_version,
        "revision": m.revision,
        "scope": m.scope,
    });
    // A JSON `null` body (sent as `null`) or base version (sent as If-Match) is not the
    // same as none: the field is left out when there is none, so a replay sends what the
    // first attempt sent.
    if let Some(o) = record.as_object_mut() {
        if m.request.body.is_none() {
            o.remove("body");
        }
        if m.base_version.is_none() {
            o.remove("baseVersion");
        }
    }
    record
}

/// Reads a record back; any missing or ill-typed field is a `STORAGE` error.
pub fn read(v: &Value, schema: &Schema) -> Result<Mutation> {
    v.as_object().ok_or_else(|| bad("not an object"))?;
    let v = migrate(v)?;
    let o = v.as_object().ok_or_else(|| bad("not an object"))?;
    let s = |k: &str| -> Result<String> {
        o.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(&format!("`{k}` is missing")))
    };
    let f = |k: &str| o.get(k).and_then(Value::as_f64).unwrap_or(f64::INFINITY);
    let status = match s("status")?.as_str() {
        "queued" => MStatus::Queued,
        "failed" => MStatus::Failed,
        "conflict" => MStatus::Conflict,
        other => return Err(bad(&format!("unknown status `{other}`"))),
    };
    let policy = match s("policy")?.as_str() {
        "server-wins" => Policy::ServerWins,
        "client-wins" => Policy::ClientWins,
        "merge" => Policy::Merge,
        "manual" => Policy::Manual,
        other => return Err(bad(&format!("unknown conflict policy `{other}`"))),
    };
    let shape = match o.get("shape") {
        None | Some(Value::Null) => None,
        Some(x) => Some(Shape::from_json(x, schema).map_err(|e| bad(&e.to_string()))?),
    };
    let layer = read_layer(o)?;
    let error = read_error(o.get("error"));
    let conflict = read_conflict(o.get("conflict"));
    let subject = read_subject(o.get("subject"))?;
    let url = s("url")?;
    if url.is_empty() {
        return Err(bad("`url` is empty"));
    }
    let request = Request {
        method: s("method")?,
        url,
        body: o.get("body").cloned(),
        headers: Map::new(),
    };
    let created_at = o.get("at").and_then(Value::as_f64).unwrap_or(0.0);
    Ok(Mutation {
        shape,
        invalidate: list(o.get("invalidate"))?.to_vec(),
        policy,
        retry: o
            .get("retry")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        retry_delay: f("retryDelay"),
        timeout: f("timeout"),
        layer,
        status,
        error,
        conflict,
        snapshot: obj(o.get("snapshot"))?,
        subject,
        base_version: o.get("baseVersion").cloned(),
        revision: o
            .get("revision")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
        stamp: o.get("v").and_then(Value::as_u64).unwrap_or(0),
        writer: text(o, "w").unwrap_or_default().to_owned(),
        // Written before scopes existed: the default scope.
        scope: text(o, "scope").map(str::to_owned),
        ..Mutation::new(&s("id")?, request, created_at)
    })
}

/// A map of fields: absent or null is empty.
fn obj(x: Option<&Value>) -> Result<Map<String, Value>> {
    match x {
        Some(Value::Object(m)) => Ok(m.clone()),
        None | Some(Value::Null) => Ok(Map::new()),
        Some(_) => Err(bad("a field map is not an object")),
    }
}

/// The layer: writes `[key, fields | null]`, inserts `[hash, path, atStart, key]`, created.
fn read_layer(o: &Map<String, Value>) -> Result<Layer> {
    let mut layer = Layer::default();
    for w in list(o.get("writes"))? {
        let pair = w.as_array().filter(|p| p.len() == 2);
        let (k, fields) = match pair {
            Some(p) => (p[0].as_str().ok_or_else(|| bad("a write key"))?, &p[1]),
            None => return Err(bad("a layer write is not [key, fields]")),
        };
        let w = match fields {
            Value::Null => LayerWrite::Delete,
            x => LayerWrite::Merge(Row::from_map(obj(Some(x))?)),
        };
        layer.writes.push((k.to_owned(), w));
    }
    for i in list(o.get("inserts"))? {
        let p = i
            .as_array()
            .filter(|p| p.len() == 4)
            .ok_or_else(|| bad("a list insert is not [hash, path, atStart, key]"))?;
        layer.inserts.push(ListInsert {
            hash: p[0]
                .as_str()
                .ok_or_else(|| bad("an insert hash"))?
                .to_owned(),
            path: p[1]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            at_start: p[2].as_bool().unwrap_or(false),
            key: p[3]
                .as_str()
                .ok_or_else(|| bad("an insert key"))?
                .to_owned(),
        });
    }
    layer.created = match o.get("created") {
        Some(Value::Array(p)) if p.len() == 2 => {
            p[0].as_str().map(|k| (k.to_owned(), p[1].clone()))
        }
        _ => None,
    };
    Ok(layer)
}

fn read_error(x: Option<&Value>) -> Option<ErrorInfo> {
    let e = x?.as_object()?;
    Some(ErrorInfo {
        code: text(e, "code").unwrap_or("STORAGE").to_owned(),
        message: text(e, "message").unwrap_or_default().to_owned(),
        status: e
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok()),
        body: text(e, "body").map(str::to_owned),
    })
}

/// A string field of a record part.
fn text<'v>(o: &'v Map<String, Value>, k: &str) -> Option<&'v str> {
    o.get(k).and_then(Value::as_str)
}

fn read_conflict(x: Option<&Value>) -> Option<ConflictInfo> {
    match x {
        Some(Value::Object(c)) => Some(ConflictInfo {
            base: c.get("base").cloned().unwrap_or(Value::Null),
            local: c.get("local").cloned().unwrap_or(Value::Null),
            server: c.get("server").cloned().unwrap_or(Value::Null),
        }),
        _ => None,
    }
}

fn read_subject(x: Option<&Value>) -> Result<Option<Subject>> {
    let Some(x) = x.and_then(Value::as_object) else {
        return Ok(None);
    };
    Ok(Some(Subject {
        key: text(x, "key").unwrap_or_default().to_owned(),
        type_name: text(x, "type").unwrap_or_default().to_owned(),
        version_field: text(x, "versionField").map(str::to_owned),
        patch: obj(x.get("patch"))?,
    }))
}

/// The id of a stored record whose text could not be parsed at all: the first `"id":"..."`
/// (records are written with `f` and `id` first), so it can still be listed.
pub fn id_of(text: &str) -> Option<String> {
    let rest = &text[text.find("\"id\":")? + 5..];
    let rest = rest.trim_start().strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    (rest.as_bytes().get(end) == Some(&b'"')).then(|| rest[..end].to_owned())
}

/// The stand-in for a record that could not be read: listed as failed with `STORAGE`
/// (never dropped silently, never sent); `discard` deletes the record.
pub fn unreadable(id: &str, v: &Value, e: &Error) -> Mutation {
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let request = Request {
        method: text("method"),
        url: text("url"),
        ..Request::default()
    };
    let created_at = v.get("at").and_then(Value::as_f64).unwrap_or(0.0);
    Mutation {
        status: MStatus::Failed,
        error: Some(ErrorInfo::new(
            "STORAGE",
            format!("the outbox record could not be read back: {e}"),
        )),
        stamp: v.get("v").and_then(Value::as_u64).unwrap_or(0),
        writer: v
            .get("w")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        unreadable: true,
        ..Mutation::new(id, request, created_at)
    }
}

fn bad(msg: &str) -> Error {
    Error::Storage(format!("outbox record: {msg}"))
}

fn list(v: Option<&Value>) -> Result<&[Value]> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(bad("a list field is not a list")),
    }
}
