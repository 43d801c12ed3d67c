//! Where entities sit in a response: `'Todo'`, `['Todo']`, `{ items: ['Todo'], total: null }`.
//! `null` marks plain data; fields of an object that the shape does not name are plain too.

use serde_json::{Map, Value};

use super::error::{Error, Result};
use super::json::type_name;
use super::schema::Schema;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Plain data, stored as it is.
    Plain,
    /// One entity of this type (or null).
    Entity(String),
    /// A list whose items have this shape (or null).
    List(Box<Shape>),
    /// An object with these shaped fields (or null); other fields are plain.
    Object(Vec<(String, Shape)>),
}

impl Shape {
    /// Reads a shape and checks every entity type it names against the schema.
    pub fn from_json(v: &Value, schema: &Schema) -> Result<Shape> {
        match v {
            Value::Null => Ok(Shape::Plain),
            Value::String(t) => {
                schema.require(t, "the shape")?;
                Ok(Shape::Entity(t.clone()))
            }
            Value::Array(items) if items.len() == 1 => {
                Ok(Shape::List(Box::new(Shape::from_json(&items[0], schema)?)))
            }
            Value::Array(items) => Err(Error::Shape(format!(
                "a list shape has exactly one element (['Todo']), got {} elements",
                items.len()
            ))),
            Value::Object(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (k, sub) in fields {
                    out.push((k.clone(), Shape::from_json(sub, schema)?));
                }
                Ok(Shape::Object(out))
            }
            other => Err(Error::Shape(format!(
                "a shape is a type name, a one-element list, an object or null, got {}",
                type_name(other)
            ))),
        }
    }

    /// The JSON form, as the JS side walks it to assemble snapshots.
    pub fn to_json(&self) -> Value {
        match self {
            Shape::Plain => Value::Null,
            Shape::Entity(t) => Value::String(t.clone()),
            Shape::List(s) => Value::Array(vec![s.to_json()]),
            Shape::Object(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, s) in fields {
                    m.insert(k.clone(), s.to_json());
                }
                Value::Object(m)
            }
        }
    }

    pub fn field<'s>(fields: &'s [(String, Shape)], name: &str) -> Option<&'s Shape> {
        fields.iter().find(|(k, _)| k == name).map(|(_, s)| s)
    }
}
