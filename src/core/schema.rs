//! Entity types declared at store creation:
//! `{ Todo: { id: 'id', relations: { author: 'User', comments: ['Comment'] }, version: 'version' } }`.

use foldhash::{HashMap, HashMapExt};
use serde_json::Value;

use super::error::{Error, Result};
use super::json::{self, type_name};

/// A field of an entity that holds another entity (`one`) or a list of them (`many`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub field: String,
    pub target: String,
    pub many: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityType {
    pub name: String,
    pub id_field: String,
    pub relations: Vec<Relation>,
    pub version_field: Option<String>,
}

impl EntityType {
    pub fn relation(&self, field: &str) -> Option<&Relation> {
        self.relations.iter().find(|r| r.field == field)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    types: HashMap<String, EntityType>,
}

/// Keys that would reach `Object.prototype` if the JS side ever assigned them as properties.
const RESERVED_FIELDS: [&str; 3] = ["__proto__", "constructor", "prototype"];

impl Schema {
    /// Reads and validates the `entities` option.
    pub fn from_json(v: &Value) -> Result<Schema> {
        let obj = v.as_object().ok_or_else(|| {
            invalid(format!(
                "`entities` must be an object mapping type names to definitions, got {}",
                type_name(v)
            ))
        })?;
        let mut types = HashMap::with_capacity(obj.len());
        for (name, def) in obj {
            check_type_name(name)?;
            types.insert(name.clone(), parse_type(name, def)?);
        }
        // Relations may only point at declared types (a type may point at itself: threads, trees).
        for t in types.values() {
            for r in &t.relations {
                if !types.contains_key(&r.target) {
                    return Err(invalid(format!(
                        "relation `{}.{}` points at unknown entity type `{}`; declare it in `entities`",
                        t.name, r.field, r.target
                    )));
                }
            }
        }
        Ok(Schema { types })
    }

    pub fn get(&self, name: &str) -> Option<&EntityType> {
        self.types.get(name)
    }

    /// The type, or an error naming the unknown type and where it was used.
    pub fn require(&self, name: &str, used_in: &str) -> Result<&EntityType> {
        self.types.get(name).ok_or_else(|| {
            Error::Shape(format!(
                "unknown entity type `{name}` in {used_in}; declared types: {}",
                self.type_list()
            ))
        })
    }

    fn type_list(&self) -> String {
        let mut names: Vec<&str> = self.types.keys().map(String::as_str).collect();
        super::sort::sort(&mut names);
        if names.is_empty() {
            "(none)".to_owned()
        } else {
            names.join(", ")
        }
    }
}

fn invalid(msg: String) -> Error {
    Error::InvalidArgument(msg)
}

fn check_type_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(':') {
        return Err(invalid(format!(
            "entity type name `{name}` must be non-empty and must not contain `:`"
        )));
    }
    Ok(())
}

fn check_field_name(type_name: &str, what: &str, field: &str) -> Result<()> {
    if field.is_empty() || RESERVED_FIELDS.contains(&field) {
        return Err(invalid(format!(
            "`{type_name}`: `{field}` cannot be used as the {what} field name"
        )));
    }
    Ok(())
}

fn parse_type(name: &str, def: &Value) -> Result<EntityType> {
    let expected =
        format!("definition of entity type `{name}` must be an object like {{ id: 'id' }}");
    let obj = json::fields(def, &expected)?;
    let mut id_field = "id".to_owned();
    let mut relations = Vec::new();
    let mut version_field = None;
    for (k, v) in obj.into_iter().flatten() {
        match k.as_str() {
            "id" => {
                id_field = field_string(name, "id", v)?;
                check_field_name(name, "id", &id_field)?;
            }
            "version" => {
                let f = field_string(name, "version", v)?;
                check_field_name(name, "version", &f)?;
                version_field = Some(f);
            }
            "relations" => relations = parse_relations(name, v)?,
            other => {
                return Err(invalid(format!(
                    "entity type `{name}` has unknown option `{other}`; allowed: id, relations, version"
                )))
            }
        }
    }
    if relations.iter().any(|r| r.field == id_field) {
        return Err(invalid(format!(
            "entity type `{name}`: the id field `{id_field}` cannot also be a relation"
        )));
    }
    Ok(EntityType {
        name: name.to_owned(),
        id_field,
        relations,
        version_field,
    })
}

fn field_string(type_name_: &str, opt: &str, v: &Value) -> Result<String> {
    v.as_str().map(str::to_owned).ok_or_else(|| {
        invalid(format!(
            "entity type `{type_name_}`: `{opt}` must be a field name (a string), got {}",
            type_name(v)
        ))
    })
}

fn parse_relations(name: &str, v: &Value) -> Result<Vec<Relation>> {
    let obj = v.as_object().ok_or_else(|| {
        invalid(format!(
            "entity type `{name}`: `relations` must be an object like {{ author: 'User', tags: ['Tag'] }}"
        ))
    })?;
    let mut out = Vec::with_capacity(obj.len());
    for (field, target) in obj {
        check_field_name(name, "relation", field)?;
        let (target, many) = match target {
            Value::String(t) => (t.clone(), false),
            Value::Array(a) if a.len() == 1 && a[0].is_string() => {
                (a[0].as_str().unwrap_or_default().to_owned(), true)
            }
            _ => {
                return Err(invalid(format!(
                    "relation `{name}.{field}` must be a type name ('User') or a one-element list (['User'])"
                )))
            }
        };
        out.push(Relation {
            field: field.clone(),
            target,
            many,
        });
    }
    Ok(out)
}
