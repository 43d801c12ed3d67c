//! `Cell`: one field value of an entity record (a `Row`), 16 bytes on wasm32 where a
//! `serde_json::Value` is 48 (its object variant holds an `IndexMap` inline).
//!
//! Scalars are held inline; so are strings of up to `SHORT` bytes (14 on wasm32: a type name,
//! an entity key such as `User:42`, a status), which are the most frequent strings of a record
//! and would otherwise be an allocation each. Longer strings are boxed. Lists are boxed slices of
//! cells, so a list of relation keys (a task's comments) is one allocation, not a `Value` array
//! and a `String` per key; objects stay `Value`s, boxed. A cell converts to and from a `Value`
//! exactly: numbers keep serde_json's three kinds (`u64`, a negative `i64`, `f64`), so `1` and
//! `1.0` stay different values as they are in JSON text.

use std::borrow::Cow;

use serde_json::{Number, Value};

/// The longest string held in the cell itself: what fits beside the tag and a length byte in the
/// 16 bytes (24 natively) the other variants need.
pub const SHORT: usize = 2 * std::mem::size_of::<usize>() + 6;

/// A string of at most `SHORT` bytes, unused bytes zero. Every string that fits is stored so
/// (and only those), which keeps the derived equality right.
#[derive(Debug, Clone, PartialEq)]
pub struct Short {
    len: u8,
    bytes: [u8; SHORT],
}

impl Short {
    fn as_str(&self) -> &str {
        // Built from a `&str` cut at its end, so always UTF-8.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    /// A non-negative integer (serde_json's `PosInt`).
    Pos(u64),
    /// A negative integer (`NegInt`).
    Neg(i64),
    Float(f64),
    /// A string of at most `SHORT` bytes.
    Short(Short),
    /// A longer string.
    Str(Box<str>),
    /// A list (every JSON array is one: one form per value keeps the derived equality right).
    List(Box<[Cell]>),
    /// An object.
    Json(Box<Value>),
}

// The short strings must not make a cell bigger: 16 bytes on wasm32, 24 natively.
const _: () = assert!(std::mem::size_of::<Cell>() == 8 + 2 * std::mem::size_of::<usize>());

impl From<Value> for Cell {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(b),
            Value::Number(n) => number(&n),
            Value::String(s) if s.len() > SHORT => Cell::Str(s.into_boxed_str()),
            Value::String(s) => Cell::string(&s),
            Value::Array(items) => Cell::List(items.into_iter().map(Cell::from).collect()),
            v => Cell::Json(Box::new(v)),
        }
    }
}

fn number(n: &Number) -> Cell {
    match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => Cell::Pos(u),
        (None, Some(i), _) => Cell::Neg(i),
        (None, None, Some(f)) => Cell::Float(f),
        // Every serde_json number is one of the three.
        (None, None, None) => Cell::Null,
    }
}

impl Cell {
    /// A string cell: inline when it fits.
    pub fn string(s: &str) -> Cell {
        if s.len() > SHORT {
            return Cell::Str(s.into());
        }
        let mut bytes = [0; SHORT];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Cell::Short(Short {
            // At most SHORT (< 256).
            len: s.len() as u8,
            bytes,
        })
    }

    /// The cell as a `Value`; borrowed for objects, built for the rest.
    pub fn view(&self) -> Cow<'_, Value> {
        match self {
            Cell::Json(v) => Cow::Borrowed(v),
            c => Cow::Owned(c.to_value()),
        }
    }

    pub fn to_value(&self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(*b),
            Cell::Pos(u) => Value::Number((*u).into()),
            Cell::Neg(i) => Value::Number((*i).into()),
            Cell::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Cell::Short(s) => Value::String(s.as_str().to_owned()),
            Cell::Str(s) => Value::String(s.as_ref().to_owned()),
            Cell::List(items) => Value::Array(items.iter().map(Cell::to_value).collect()),
            Cell::Json(v) => (**v).clone(),
        }
    }

    pub fn into_value(self) -> Value {
        match self {
            Cell::Str(s) => Value::String(s.into_string()),
            Cell::List(items) => {
                Value::Array(items.into_vec().into_iter().map(Cell::into_value).collect())
            }
            Cell::Json(v) => *v,
            c => c.to_value(),
        }
    }

    /// Whether the cell holds `v` (as `Value`'s equality decides, without building one for
    /// strings, lists and objects).
    pub fn eq_value(&self, v: &Value) -> bool {
        match (self, v) {
            (Cell::Short(_) | Cell::Str(_), Value::String(t)) => self.as_str() == Some(t.as_str()),
            (Cell::Short(_) | Cell::Str(_), _) => false,
            (Cell::List(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_value(y))
            }
            (Cell::List(_), _) => false,
            (Cell::Json(a), b) => **a == *b,
            (c, b) => c.to_value() == *b,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Short(s) => Some(s.as_str()),
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Pos(u) => Some(*u as f64),
            Cell::Neg(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The items of a list cell.
    pub fn as_list(&self) -> Option<&[Cell]> {
        match self {
            Cell::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }

    /// The strings of the cell and, in a list or object, of its values (key rewrites).
    pub fn rewrite(&mut self, f: &mut impl FnMut(&mut Value)) {
        match self {
            Cell::Json(v) => f(v),
            Cell::Short(_) | Cell::Str(_) | Cell::List(_) => {
                let mut v = std::mem::replace(self, Cell::Null).into_value();
                f(&mut v);
                *self = Cell::from(v);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_cell_is_small_and_converts_back_exactly() {
        #[cfg(target_pointer_width = "32")]
        assert_eq!(std::mem::size_of::<Cell>(), 16);
        for v in [
            json!(null),
            json!(true),
            json!(0),
            json!(18446744073709551615u64),
            json!(-9223372036854775808i64),
            json!(1.0),
            json!(0.1),
            json!(-0.0),
            json!(1e300),
            json!("s"),
            json!(""),
            json!("fourteen bytes"),
            json!("fifteen bytes.."),
            json!("twenty-two bytes......"),
            json!("twenty-three bytes....."),
            json!("é12345678901"),
            json!([1, "a"]),
            json!([]),
            json!([[1.0, -2], {"k": [null, "fifteen bytes.."]}, "User:42"]),
            json!({"b": 1, "a": 2}),
        ] {
            let c = Cell::from(v.clone());
            assert!(c.eq_value(&v), "{v}");
            assert_eq!(c.to_value(), v);
            assert_eq!(c.to_value().to_string(), v.to_string());
            assert_eq!(c.clone().into_value(), v);
            assert_eq!(*c.view(), v);
        }
        assert_ne!(Cell::from(json!(1)), Cell::from(json!(1.0)));
        // Each string has one form, so equal strings are equal cells.
        for n in [0, SHORT - 1, SHORT, SHORT + 1, 40] {
            let s = "x".repeat(n);
            assert_eq!(Cell::from(json!(s)), Cell::string(&s));
            assert_eq!(Cell::string(&s).as_str(), Some(s.as_str()));
            assert_eq!(matches!(Cell::string(&s), Cell::Short(_)), n <= SHORT);
        }
        assert!(!Cell::from(json!(1)).eq_value(&json!(1.0)));
    }
}
