//! The one message a write sends to JS: the records and query results that changed, and the
//! keys whose snapshots must be rebuilt. One JSON string per write (measured faster than
//! building JS objects field by field across the boundary; see README "Boundary transfer").
//!
//! `{ "e": [[key, record]...], "d": [key...], "q": [[hash, shape, result]...], "dq": [hash...] }`
//! - `e`: entities whose record changed (relation fields hold keys)
//! - `d`: entities whose record is unchanged but whose view changed (they reach an `e` entity)
//! - `q`: queries whose normalized result changed
//! - `dq`: queries whose result is unchanged but that show a changed entity
//!
//! Calls of the query engine add (see `output_json`):
//! - `s`: `[[hash, state]]` queries whose state changed (status, fetchStatus, error, ...)
//! - `rq` / `re`: removed queries / garbage-collected entities
//! - `a`: actions for the browser side: `["f", hash, ticket, url|null, timeout]` (fetch),
//!   `["x", hash, ticket]` (abort), `["r", hash, ticket, failureCount, error, wouldRetry]` (the
//!   app's retry function decides a failure: answer with `decideRetry`)
//! - `w`: when to call `tick` next (ms since the epoch), or null
//! - `lt`: `[[hash, total]]` live queries whose result was handed out, with their member count
//!   before the window (`state.total`)
//! - `pu`: after `applyPushes`: `[lastEventId | null, [[index, error]...]]` (refused messages)

use crate::core::cell::Cell;
use crate::core::key::decimal;
use crate::core::row::Row;
use serde::Serialize;
use serde_json::{Map, Value};

use super::output::{Action, ChangeSet, Output};
use super::query::state::StateOut;
use super::store::Store;

#[derive(Serialize)]
pub struct Batch<'a> {
    e: Vec<(&'a str, &'a Row)>,
    /// Written entities that are gone (an optimistic delete): JS drops them like `re`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    g: Vec<&'a str>,
    d: &'a [String],
    q: Vec<(&'a str, Value, &'a Value)>,
    dq: &'a [String],
}

/// The batch for a change set, borrowing the store's current records.
pub fn build<'a>(store: &'a Store, changes: &'a ChangeSet) -> Batch<'a> {
    let mut e = Vec::with_capacity(changes.written_entities.len());
    let mut g = Vec::new();
    for k in &changes.written_entities {
        match store.entity(k) {
            Some(r) => e.push((k.as_str(), r)),
            None => g.push(k.as_str()),
        }
    }
    Batch {
        e,
        g,
        d: &changes.dependent_entities,
        q: changes
            .written_queries
            .iter()
            .filter_map(|h| {
                store
                    .query(h)
                    .map(|q| (h.as_str(), q.shape.to_json(), &q.result))
            })
            .collect(),
        dq: &changes.dependent_queries,
    }
}

/// Serializes a change set against the store's current state.
/// `size_hint`: the length of the JSON that was written, if known; the batch is about as
/// long, and reserving it up front saves regrowing a multi-megabyte buffer.
pub fn to_json(store: &Store, changes: &ChangeSet, size_hint: usize) -> String {
    let mut out = buffer(size_hint);
    write_data(&mut out, &build(store, changes));
    out.push(b'}');
    text(out)
}

/// The batch's buffer: `size_hint` is the length of the text the call read, already freed
/// when this is allocated (see bindings/store_core.rs), so a buffer of that size fits where
/// the text was. A normalized batch is usually shorter than its response; a longer one grows.
fn buffer(size_hint: usize) -> Vec<u8> {
    Vec::with_capacity(size_hint.saturating_add(128))
}

fn text(out: Vec<u8>) -> String {
    // Only whole UTF-8 strings and ASCII are ever written; an empty batch is the fallback.
    String::from_utf8(out).unwrap_or_else(|_| EMPTY.to_owned())
}

const EMPTY: &str = r#"{"e":[],"d":[],"q":[],"dq":[]}"#;

/// `{"e":...,"g":...,"d":...,"q":...,"dq":...` (no closing brace): the same text serde_json
/// writes for `Batch`, written by hand. Records, keys and results are most of a large batch,
/// and serde_json's generic serializer (built at opt-level z) took about twice as long for them.
fn write_data(out: &mut Vec<u8>, b: &Batch) {
    out.extend_from_slice(b"{\"e\":");
    json_list(out, &b.e, |out, (k, rec)| {
        out.push(b'[');
        json_str(out, k);
        out.push(b',');
        json_row(out, rec);
        out.push(b']');
    });
    if !b.g.is_empty() {
        out.extend_from_slice(b",\"g\":");
        json_strs(out, b.g.iter().copied());
    }
    out.extend_from_slice(b",\"d\":");
    json_strs(out, b.d.iter().map(String::as_str));
    out.extend_from_slice(b",\"q\":");
    json_list(out, &b.q, |out, (h, shape, result)| {
        out.push(b'[');
        json_str(out, h);
        out.push(b',');
        json_value(out, shape);
        out.push(b',');
        json_value(out, result);
        out.push(b']');
    });
    out.extend_from_slice(b",\"dq\":");
    json_strs(out, b.dq.iter().map(String::as_str));
}

/// `[item,item,...]`, each item written by `item`.
fn json_list<T>(out: &mut Vec<u8>, items: &[T], item: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// A JSON string, escaped as serde_json escapes it.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0..=0x1f => 0,
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        if short == 0 {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn json_strs<'s>(out: &mut Vec<u8>, items: impl Iterator<Item = &'s str>) {
    out.push(b'[');
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, s);
    }
    out.push(b']');
}

pub(crate) fn json_object(out: &mut Vec<u8>, m: &Map<String, Value>) {
    json_fields(out, m.iter().map(|(k, v)| (k.as_str(), v)), json_value);
}

/// An entity record as a JSON object, in its field order.
pub(crate) fn json_row(out: &mut Vec<u8>, r: &Row) {
    json_fields(out, r.iter(), json_cell);
}

/// A cell as serde_json writes the `Value` it stands for.
fn json_cell(out: &mut Vec<u8>, c: &Cell) {
    match (c, c.as_str()) {
        (_, Some(s)) => json_str(out, s),
        (Cell::List(items), _) => json_list(out, items, json_cell),
        (Cell::Json(v), _) => json_value(out, v),
        (scalar, _) => json_value(out, &scalar.to_value()),
    }
}

fn json_fields<'a, V: 'a>(
    out: &mut Vec<u8>,
    fields: impl Iterator<Item = (&'a str, &'a V)>,
    value: fn(&mut Vec<u8>, &V),
) {
    out.push(b'{');
    for (i, (k, v)) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k);
        out.push(b':');
        value(out, v);
    }
    out.push(b'}');
}

/// A JSON value as serde_json writes it (floats are left to serde_json's own formatting).
pub(crate) fn json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => json_int(out, u, false),
            (None, Some(i)) => json_int(out, i.unsigned_abs(), i < 0),
            // Writing a number into a Vec cannot fail.
            _ => {
                let _ = serde_json::to_writer(&mut *out, n);
            }
        },
        Value::String(s) => json_str(out, s),
        Value::Array(items) => json_list(out, items, json_value),
        Value::Object(m) => json_object(out, m),
    }
}

fn json_int(out: &mut Vec<u8>, n: u64, negative: bool) {
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(decimal(n, &mut [0; 20]));
}

/// Appends `,"name":` and `value` as serde_json writes it.
fn field(out: &mut Vec<u8>, name: &str, value: &impl Serialize) {
    out.push(b',');
    json_str(out, name);
    out.push(b':');
    write(out, value);
}

/// `value` as serde_json writes it. Serializing these plain structures into a Vec cannot fail.
fn write(out: &mut Vec<u8>, value: &impl Serialize) {
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Serializes an engine `Output` (data changes, states, removals, actions, next wake-up).
pub fn output_json(store: &Store, out: &Output, size_hint: usize, now: f64) -> String {
    let s: Vec<(&str, StateOut)> = out
        .states
        .iter()
        .filter_map(|h| store.meta(h).map(|m| (h.as_str(), m.state(now))))
        .collect();
    let mut text_out = buffer(size_hint);
    write_data(&mut text_out, &build(store, &out.changes));
    field(&mut text_out, "s", &s);
    text_out.extend_from_slice(b",\"rq\":");
    json_strs(
        &mut text_out,
        out.removed_queries.iter().map(String::as_str),
    );
    text_out.extend_from_slice(b",\"re\":");
    json_strs(
        &mut text_out,
        out.removed_entities.iter().map(String::as_str),
    );
    // Actions and settled mutations are tuples, which serde_json writes as arrays: the same
    // text as building them as `Value`s first, without the copy.
    text_out.extend_from_slice(b",\"a\":");
    json_list(&mut text_out, &out.actions, |o, a| match a {
        Action::Fetch {
            hash,
            ticket,
            url,
            timeout,
        } => write(o, &("f", hash, ticket, url, timeout)),
        Action::Abort { hash, ticket } => write(o, &("x", hash, ticket)),
        Action::AskRetry {
            hash,
            ticket,
            failure_count,
            error,
            would_retry,
        } => write(o, &("r", hash, ticket, failure_count, error, would_retry)),
        Action::Send {
            id,
            ticket,
            method,
            url,
            headers,
            body,
            timeout,
        } => write(o, &("m", id, ticket, method, url, headers, body, timeout)),
    });
    field(&mut text_out, "w", &out.wake_at);
    text_out.extend_from_slice(b",\"ms\":");
    json_list(&mut text_out, &out.settled, |o, (id, r)| match r {
        Ok(v) => write(o, &(id, true, v)),
        Err(e) => write(o, &(id, false, e)),
    });
    if out.sync {
        // The list itself is read on demand (`StoreCore.mutationList`): re-sending it
        // with every batch made each mutate cost O(pending).
        text_out.extend_from_slice(b",\"y\":{\"state\":");
        write(&mut text_out, &store.sync_state());
        text_out.push(b'}');
    }
    if !out.outbox.is_empty() {
        field(&mut text_out, "ob", &out.outbox);
    }
    if out.persist {
        text_out.extend_from_slice(b",\"p\":true");
    }
    if let Some(p) = &out.pushes {
        field(&mut text_out, "pu", &(&p.event_id, &p.rejected));
    }
    if !out.live_totals.is_empty() {
        field(&mut text_out, "lt", &out.live_totals);
    }
    text_out.push(b'}');
    text(text_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_str_escapes_as_serde_json_does_at_every_position() {
        let specials = [
            '"', '\\', '\n', '\r', '\t', '\u{8}', '\u{c}', '\u{0}', '\u{1f}', '\u{7f}', 'é', '😀',
            ' ',
        ];
        for len in 0..20 {
            for at in 0..len.max(1) {
                for c in specials {
                    let s: String = (0..len).map(|i| if i == at { c } else { 'a' }).collect();
                    let mut out = Vec::new();
                    json_str(&mut out, &s);
                    assert_eq!(
                        String::from_utf8(out).ok(),
                        serde_json::to_string(&s).ok(),
                        "{s:?}"
                    );
                }
            }
        }
        // Every byte value below 0x80 in one string, and bytes with the high bit set.
        let all: String = (0u8..0x80).map(char::from).chain("ÿ€😀".chars()).collect();
        let mut out = Vec::new();
        json_str(&mut out, &all);
        assert_eq!(
            String::from_utf8(out).ok(),
            serde_json::to_string(&all).ok()
        );
    }
}
