//! The `where` language, parsed and checked once into a typed tree (docs/LIVE_QUERIES.md).
//!
//! `{ field: scalar }` is equality; `{ field: { $op: operand, ... } }` ANDs its operators;
//! `$and`/`$or` take arrays of predicates, `$not` one. A field is a dotted path through to-one
//! relations (`assignee.team`); a relation at the end of a path reads as the related id.
//! Comparisons are defined within numbers and within strings; a field of another type does not
//! match. Operands of other types are refused when the definition is read.

use crate::core::row::Row;
use std::cmp::Ordering;

use serde_json::Value;

use super::order::cmp_values;
use super::path::bad;
pub use super::path::Path;
use crate::core::cache::Cache;
use crate::core::error::Result;
use crate::core::json::type_name;
use crate::core::schema::Schema;

#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    And(Vec<Pred>),
    Or(Vec<Pred>),
    Not(Box<Pred>),
    Field(Path, Op),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Eq(Value),
    Ne(Value),
    Cmp(Ordering, bool, Value),
    In(Vec<Value>),
    Nin(Vec<Value>),
    Exists(bool),
    Contains(Value),
}

impl Pred {
    pub fn parse(v: &Value, from: &str, schema: &Schema, at: &str) -> Result<Pred> {
        let obj = v.as_object().ok_or_else(|| {
            bad(
                at,
                &format!("a predicate is an object, got {}", type_name(v)),
            )
        })?;
        let mut all = Vec::with_capacity(obj.len());
        for (k, x) in obj {
            let here = format!("{at}.{k}");
            match k.as_str() {
                "$and" | "$or" => {
                    let items = x.as_array().ok_or_else(|| {
                        bad(
                            &here,
                            &format!("needs an array of predicates, got {}", type_name(x)),
                        )
                    })?;
                    let mut parts = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        parts.push(Pred::parse(item, from, schema, &format!("{here}[{i}]"))?);
                    }
                    all.push(if k == "$and" {
                        Pred::And(parts)
                    } else {
                        Pred::Or(parts)
                    });
                }
                "$not" => all.push(Pred::Not(Box::new(Pred::parse(x, from, schema, &here)?))),
                op if op.starts_with('$') => {
                    return Err(bad(
                        &here,
                        &format!(
                            "unknown operator `{op}` here; known: $and, $or, $not, or a field name"
                        ),
                    ))
                }
                field => {
                    let path = Path::parse(field, from, schema, &here)?;
                    parse_field(path, x, &here, &mut all)?;
                }
            }
        }
        Ok(if all.len() == 1 {
            all.pop().unwrap_or(Pred::And(Vec::new()))
        } else {
            Pred::And(all)
        })
    }

    /// Whether entity record `rec` matches.
    pub fn eval(&self, rec: &Row, cache: &Cache) -> bool {
        match self {
            Pred::And(ps) => ps.iter().all(|p| p.eval(rec, cache)),
            Pred::Or(ps) => ps.iter().any(|p| p.eval(rec, cache)),
            Pred::Not(p) => !p.eval(rec, cache),
            Pred::Field(path, op) => op.test(path.read(rec, cache).as_deref()),
        }
    }

    /// An equality that every match satisfies (a top-level conjunct), for the index.
    pub fn guard(&self) -> Option<(&Path, &Value)> {
        match self {
            Pred::Field(p, Op::Eq(v)) => Some((p, v)),
            Pred::And(ps) => ps.iter().find_map(Pred::guard),
            _ => None,
        }
    }
}

fn parse_field(path: Path, x: &Value, at: &str, out: &mut Vec<Pred>) -> Result<()> {
    let ops = match x {
        Value::Object(m) if m.keys().all(|k| k.starts_with('$')) && !m.is_empty() => m,
        Value::Object(_) => {
            return Err(bad(
                at,
                "an object value holds operators ($eq is written as a plain value)",
            ))
        }
        other => {
            out.push(Pred::Field(path, Op::Eq(scalar(other, at)?)));
            return Ok(());
        }
    };
    for (op, operand) in ops {
        let here = format!("{at}.{op}");
        let op = match op.as_str() {
            "$eq" => Op::Eq(scalar(operand, &here)?),
            "$ne" => Op::Ne(scalar(operand, &here)?),
            "$lt" => Op::Cmp(Ordering::Less, false, comparable(operand, &here)?),
            "$lte" => Op::Cmp(Ordering::Less, true, comparable(operand, &here)?),
            "$gt" => Op::Cmp(Ordering::Greater, false, comparable(operand, &here)?),
            "$gte" => Op::Cmp(Ordering::Greater, true, comparable(operand, &here)?),
            "$in" => Op::In(scalars(operand, &here)?),
            "$nin" => Op::Nin(scalars(operand, &here)?),
            "$exists" => Op::Exists(operand.as_bool().ok_or_else(|| {
                bad(&here, &format!("needs true or false, got {}", type_name(operand)))
            })?),
            "$contains" => match operand {
                Value::Null => return Err(bad(&here, "needs a string, number or boolean, got null")),
                v => Op::Contains(scalar(v, &here)?),
            },
            other => {
                return Err(bad(
                    &here,
                    &format!("unknown operator `{other}`; known: $eq $ne $lt $lte $gt $gte $in $nin $exists $contains"),
                ))
            }
        };
        out.push(Pred::Field(path.clone(), op));
    }
    Ok(())
}

/// An equality operand: a string, number, boolean or null.
fn scalar(v: &Value, at: &str) -> Result<Value> {
    match v {
        Value::Array(_) | Value::Object(_) => Err(bad(
            at,
            &format!(
                "equality is defined for strings, numbers, booleans and null, got {}",
                type_name(v)
            ),
        )),
        other => Ok(other.clone()),
    }
}

fn comparable(v: &Value, at: &str) -> Result<Value> {
    match v {
        Value::Number(_) | Value::String(_) => Ok(v.clone()),
        other => Err(bad(
            at,
            &format!(
                "comparisons are defined within numbers and within strings, got {}",
                type_name(other)
            ),
        )),
    }
}

fn scalars(v: &Value, at: &str) -> Result<Vec<Value>> {
    let items = v
        .as_array()
        .ok_or_else(|| bad(at, &format!("needs an array, got {}", type_name(v))))?;
    // A loop, not `collect` into a `Result`: that adapter is code of its own.
    let mut out = Vec::with_capacity(items.len());
    for x in items {
        out.push(scalar(x, at)?);
    }
    Ok(out)
}

/// JSON equality as the predicates define it: numbers by value, null equal to missing.
pub fn same(a: Option<&Value>, b: &Value) -> bool {
    match (a, b) {
        (None | Some(Value::Null), Value::Null) => true,
        (Some(Value::Number(x)), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Some(x), y) => x == y,
        (None, _) => false,
    }
}

impl Op {
    fn test(&self, v: Option<&Value>) -> bool {
        match self {
            Op::Eq(x) => same(v, x),
            Op::Ne(x) => !same(v, x),
            Op::Cmp(dir, or_eq, x) => {
                let comparable = matches!(
                    (v, x),
                    (Some(Value::Number(_)), Value::Number(_))
                        | (Some(Value::String(_)), Value::String(_))
                );
                let Some(v) = v.filter(|_| comparable) else {
                    return false;
                };
                let c = cmp_values(Some(v), Some(x));
                c == *dir || (*or_eq && c == Ordering::Equal)
            }
            Op::In(xs) => xs.iter().any(|x| same(v, x)),
            Op::Nin(xs) => !xs.iter().any(|x| same(v, x)),
            Op::Exists(want) => v.is_some_and(|x| !x.is_null()) == *want,
            Op::Contains(x) => match (v, x) {
                (Some(Value::Array(items)), x) => items.iter().any(|i| same(Some(i), x)),
                (Some(Value::String(s)), Value::String(sub)) => s.contains(sub.as_str()),
                _ => false,
            },
        }
    }
}
