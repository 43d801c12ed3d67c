//! A server push message read into operations, checked whole before anything applies.
//!
//! ```text
//! { "type": "upsert", "entity": "Task", "data": {...} | [{...}, ...] }   normalized like a response
//! { "type": "delete", "entity": "Task", "id": "t1" }
//! { "type": "invalidate", "queryKey": ["tasks"] }                          prefix, as invalidateQueries
//! { "type": "batch", "messages": [ ...messages ] }                         all or nothing
//! ```
//! Each may carry `eventId` (string or number: the resume point) and `idempotencyKey` (the
//! key of the write that caused it). Anything else is refused with a `PARSE` (not JSON, not
//! this format) or `SHAPE` (the data does not fit the schema) error, and nothing applies.

use serde_json::{Map, Value};

use crate::core::cache::normalize::{normalize, EntityRecord};
use crate::core::error::{Error, Result};
use crate::core::json::{self, type_name, Origin};
use crate::core::key::{entity_key, id_string};
use crate::core::schema::Schema;
use crate::core::shape::Shape;

/// One change a push makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Upsert(Vec<EntityRecord>),
    Delete(String),
    Invalidate(Value),
}

/// A message read: its operations, each with the idempotency key of the message that
/// carried it, and the last event id it named.
#[derive(Debug, Default, PartialEq)]
pub struct Message {
    pub ops: Vec<(Option<String>, Op)>,
    pub event_id: Option<String>,
}

/// Reads one message's JSON text.
pub fn read(schema: &Schema, text: &str) -> Result<Message> {
    let v = json::parse(text, "the push message", Origin::Server)?;
    let mut m = Message::default();
    read_value(schema, v, None, &mut m)?;
    Ok(m)
}

/// The `eventId` of a message that could not be read whole (the resume point moves past it).
pub fn event_id_of(text: &str) -> Option<String> {
    match json::parse(text, "", Origin::Server).ok()?.get("eventId")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn parse_err(msg: String) -> Error {
    Error::Parse(format!("push message: {msg}"))
}

fn read_value(schema: &Schema, v: Value, outer_key: Option<&str>, m: &mut Message) -> Result<()> {
    let Value::Object(mut o) = v else {
        return Err(parse_err(format!(
            "expected an object with a `type`, got {}",
            type_name(&v)
        )));
    };
    let ty = match o.remove("type") {
        Some(Value::String(t)) => t,
        Some(other) => {
            return Err(parse_err(format!(
                "`type` must be a string, got {}",
                type_name(&other)
            )))
        }
        None => return Err(parse_err("it has no `type`".to_owned())),
    };
    if let Some(e) = o.remove("eventId") {
        m.event_id = Some(match e {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => {
                return Err(parse_err(format!(
                    "`eventId` must be a string or a number, got {}",
                    type_name(&other)
                )))
            }
        });
    }
    let key = match o.remove("idempotencyKey") {
        None | Some(Value::Null) => outer_key.map(str::to_owned),
        Some(Value::String(k)) => Some(k),
        Some(other) => {
            return Err(parse_err(format!(
                "`idempotencyKey` must be a string, got {}",
                type_name(&other)
            )))
        }
    };
    let allowed: &[&str] = match ty.as_str() {
        "upsert" => &["entity", "data"],
        "delete" => &["entity", "id"],
        "invalidate" => &["queryKey"],
        "batch" => &["messages"],
        other => {
            return Err(parse_err(format!(
                "unknown type `{other}`; expected upsert, delete, invalidate or batch (or adapt the server's format with connect({{ parse }}))"
            )))
        }
    };
    if let Some(extra) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(parse_err(format!(
            "a `{ty}` message has no field `{extra}`; it has {}, eventId, idempotencyKey",
            allowed.join(", ")
        )));
    }
    let op = match ty.as_str() {
        "upsert" => {
            let t = entity_type(schema, &mut o)?;
            let data = o.remove("data").unwrap_or(Value::Null);
            let shape = match &data {
                Value::Array(_) => Shape::List(Box::new(Shape::Entity(t))),
                Value::Object(_) => Shape::Entity(t),
                other => {
                    return Err(Error::Shape(format!(
                        "push message: `upsert` needs `data`, an entity object or a list of them, got {}",
                        type_name(other)
                    )))
                }
            };
            Op::Upsert(normalize(schema, &shape, data)?.entities)
        }
        "delete" => {
            let t = entity_type(schema, &mut o)?;
            let id = o.remove("id").unwrap_or(Value::Null);
            let id = id_string(&id).ok_or_else(|| {
                Error::Shape(format!(
                    "push message: `delete` needs the entity's `id`, a string or a number, got {}",
                    type_name(&id)
                ))
            })?;
            Op::Delete(entity_key(&t, &id))
        }
        "invalidate" => match o.remove("queryKey") {
            Some(k @ Value::Array(_)) => Op::Invalidate(k),
            other => {
                return Err(parse_err(format!(
                    "`invalidate` needs `queryKey`, an array, got {}",
                    other.as_ref().map_or("nothing", type_name)
                )))
            }
        },
        _ => {
            let Some(Value::Array(items)) = o.remove("messages") else {
                return Err(parse_err("`batch` needs `messages`, an array".to_owned()));
            };
            for item in items {
                read_value(schema, item, key.as_deref(), m)?;
            }
            return Ok(());
        }
    };
    m.ops.push((key, op));
    Ok(())
}

fn entity_type(schema: &Schema, o: &mut Map<String, Value>) -> Result<String> {
    match o.remove("entity") {
        Some(Value::String(t)) if schema.get(&t).is_some() => Ok(t),
        Some(Value::String(t)) => Err(Error::Shape(format!(
            "push message: unknown entity type `{t}`; declare it in createStore({{ entities }})"
        ))),
        other => Err(parse_err(format!(
            "`entity` must name an entity type, got {}",
            other.as_ref().map_or("nothing", type_name)
        ))),
    }
}
