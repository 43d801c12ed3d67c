//! Entity identity: `(type, id)` rendered as the key `"Type:id"`.
//!
//! Ids compare as strings, so `1` and `"1"` name the same entity (as Apollo's `Todo:1`).
//! Numbers are rendered the way JavaScript's `String(n)` does for integers, so a key built in
//! JS (`type + ':' + String(id)`) and one built here agree.

use serde_json::{Number, Value};

/// The largest integer a JS number holds exactly (2^53).
const JS_SAFE: f64 = 9_007_199_254_740_992.0;

/// The string form of an id, or `None` when the value cannot be an id (only strings and
/// finite numbers can).
pub fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(number_string(n)),
        _ => None,
    }
}

fn number_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    match n.as_f64() {
        // 1e3 and 1000.0 are the integer 1000 in JS.
        Some(f) if f.fract() == 0.0 && f.abs() < JS_SAFE => (f as i64).to_string(),
        _ => n.to_string(),
    }
}

/// `"Type:id"`.
pub fn entity_key(type_name: &str, id: &str) -> String {
    let mut k = String::with_capacity(type_name.len() + 1 + id.len());
    k.push_str(type_name);
    k.push(':');
    k.push_str(id);
    k
}

/// The type part of a key (type names never contain `:`; the schema rejects them).
pub fn type_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(t, _)| t)
}
