//! Query helpers: the lifecycle calls as the bindings make them, and readers of what came out
//! (Fetch and Abort actions, a query's meta and state).

pub use super::*;
pub use crate::core::query::state::{FetchStatus, QueryMeta, Status};

/// `{ url: '/<hash>', ...extra }`.
pub fn url_opts(hash: &str, extra: Value) -> Value {
    with(json!({ "url": format!("/{hash}") }), extra)
}

/// Observes query `[hash]`.
pub fn observe(s: &mut Store, hash: &str, opts: Value, now: f64) -> Output {
    observe_key(s, hash, json!([hash]), opts, now)
}

pub fn observe_key(s: &mut Store, hash: &str, key: Value, opts: Value, now: f64) -> Output {
    let r = s.observe(hash, &key.to_string(), &opts.to_string(), now);
    must(r, format_args!("observe({hash})"))
}

/// Observes `[hash]` with `url_opts(hash, extra)` at `T0`; returns the ticket of its fetch.
#[track_caller]
pub fn fetching(s: &mut Store, hash: &str, extra: Value) -> u64 {
    ticket(&observe(s, hash, url_opts(hash, extra), T0), hash)
}

pub fn fetch_query(s: &mut Store, hash: &str, opts: Value, now: f64) -> Output {
    let r = s.fetch(hash, &key_for(hash), &opts.to_string(), now);
    must(r, format_args!("fetch({hash})"))
}

pub fn invalidate(s: &mut Store, prefix: Value, now: f64) -> Output {
    let r = s.invalidate(&prefix.to_string(), now);
    must(r, format_args!("invalidate({prefix})"))
}

pub fn refetch(s: &mut Store, prefix: Value, now: f64) -> Output {
    let r = s.refetch(&prefix.to_string(), now);
    must(r, format_args!("refetch({prefix})"))
}

pub fn cancel(s: &mut Store, prefix: Value, now: f64) -> Output {
    let r = s.cancel(&prefix.to_string(), now);
    must(r, format_args!("cancel({prefix})"))
}

pub fn remove(s: &mut Store, prefix: Value, now: f64) -> Output {
    let r = s.remove(&prefix.to_string(), now);
    must(r, format_args!("remove({prefix})"))
}

pub fn settle(s: &mut Store, hash: &str, ticket: u64, result: Settle, now: f64) -> Output {
    s.settle(hash, ticket, result, now, R)
}

#[track_caller]
pub fn meta<'a>(s: &'a Store, hash: &str) -> &'a QueryMeta {
    s.meta(hash)
        .unwrap_or_else(|| panic!("query `{hash}` has no lifecycle"))
}

/// The state object the JS side would see.
pub fn state(s: &Store, hash: &str, now: f64) -> Value {
    serde_json::to_value(meta(s, hash).state(now)).expect("state serializes")
}

/// Every Fetch action as `(hash, ticket)`.
pub fn fetches(out: &Output) -> Vec<(String, u64)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Fetch { hash, ticket, .. } => Some((hash.clone(), *ticket)),
            _ => None,
        })
        .collect()
}

pub fn fetched_hashes(out: &Output) -> Vec<String> {
    let mut v: Vec<String> = fetches(out).into_iter().map(|(h, _)| h).collect();
    v.sort();
    v
}

/// Every Abort action as `(hash, ticket)`.
pub fn aborts(out: &Output) -> Vec<(String, u64)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Abort { hash, ticket } => Some((hash.clone(), *ticket)),
            _ => None,
        })
        .collect()
}

/// The ticket of the one Fetch action for `hash` in `out`.
#[track_caller]
pub fn ticket(out: &Output, hash: &str) -> u64 {
    let t: Vec<u64> = fetches(out)
        .into_iter()
        .filter(|(h, _)| h == hash)
        .map(|(_, t)| t)
        .collect();
    match t.as_slice() {
        [t] => *t,
        _ => panic!(
            "expected one Fetch of `{hash}`, got actions {:?}",
            out.actions
        ),
    }
}

#[track_caller]
pub fn no_fetch(out: &Output) {
    assert!(
        fetches(out).is_empty(),
        "unexpected Fetch actions: {:?}",
        out.actions
    );
}

/// Observes `[hash]` with `opts` at `now` and lands `data`; returns the ticket used.
pub fn loaded(s: &mut Store, hash: &str, opts: Value, data: Value, now: f64) -> u64 {
    let out = observe(s, hash, opts, now);
    let t = ticket(&out, hash);
    let out = settle(s, hash, t, ok(data), now);
    assert_eq!(
        meta(s, hash).status(),
        Status::Success,
        "{hash} loaded: {out:?}"
    );
    t
}

pub fn error_code(s: &Store, hash: &str) -> Option<String> {
    meta(s, hash).error().as_ref().map(|e| e.code.clone())
}
