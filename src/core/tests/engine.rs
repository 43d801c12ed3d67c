//! The query lifecycle (engine.rs): observe, fetch, settle, retry, pause, reconnect, focus,
//! invalidate, cancel, remove, timers and gc. Time is the `now` argument and randomness the
//! `random` argument, so nothing here sleeps.

use serde_json::{json, Value};

use super::*;
use crate::core::batch::output_json;
use crate::core::query::key_has_prefix;
use crate::core::query::state::{FetchStatus, QueryMeta, Status};
use crate::core::retry;
use crate::core::ErrorInfo;
use crate::core::{Action, Output, Settle};

/// A realistic clock origin (ms); every test counts from here.
const T0: f64 = 1_000_000.0;
/// The `random` passed to `settle` unless a test says otherwise.
const R: f64 = 0.5;

// ---------------------------------------------------------------------------------------------
// helpers

/// `{ url: '/<hash>', ...extra }`.
fn url_opts(hash: &str, extra: Value) -> Value {
    let mut o = json!({ "url": format!("/{hash}") });
    if let (Some(m), Value::Object(x)) = (o.as_object_mut(), extra) {
        m.extend(x);
    }
    o
}

/// Observes query `[hash]`.
fn observe(s: &mut Store, hash: &str, opts: Value, now: f64) -> Output {
    observe_key(s, hash, json!([hash]), opts, now)
}

fn observe_key(s: &mut Store, hash: &str, key: Value, opts: Value, now: f64) -> Output {
    s.observe(hash, &key.to_string(), &opts.to_string(), now)
        .unwrap_or_else(|e| panic!("observe({hash}) failed: {e}"))
}

fn fetch_query(s: &mut Store, hash: &str, opts: Value, now: f64) -> Output {
    s.fetch(hash, &key_for(hash), &opts.to_string(), now)
        .unwrap_or_else(|e| panic!("fetch({hash}) failed: {e}"))
}

fn invalidate(s: &mut Store, prefix: Value, now: f64) -> Output {
    s.invalidate(&prefix.to_string(), now)
        .unwrap_or_else(|e| panic!("invalidate({prefix}) failed: {e}"))
}

fn refetch(s: &mut Store, prefix: Value, now: f64) -> Output {
    s.refetch(&prefix.to_string(), now)
        .unwrap_or_else(|e| panic!("refetch({prefix}) failed: {e}"))
}

fn cancel(s: &mut Store, prefix: Value, now: f64) -> Output {
    s.cancel(&prefix.to_string(), now)
        .unwrap_or_else(|e| panic!("cancel({prefix}) failed: {e}"))
}

fn remove(s: &mut Store, prefix: Value, now: f64) -> Output {
    s.remove(&prefix.to_string(), now)
        .unwrap_or_else(|e| panic!("remove({prefix}) failed: {e}"))
}

fn put(s: &mut Store, hash: &str, data: Value, shape: Value, now: f64) -> Output {
    s.set_query_data(
        hash,
        &key_for(hash),
        &data.to_string(),
        &shape.to_string(),
        now,
    )
    .unwrap_or_else(|e| panic!("set_query_data({hash}) failed: {e}"))
}

fn settle(s: &mut Store, hash: &str, ticket: u64, result: Settle, now: f64) -> Output {
    s.settle(hash, ticket, result, now, R)
}

#[track_caller]
fn meta<'a>(s: &'a Store, hash: &str) -> &'a QueryMeta {
    s.meta(hash)
        .unwrap_or_else(|| panic!("query `{hash}` has no lifecycle"))
}

/// The state object the JS side would see.
fn state(s: &Store, hash: &str, now: f64) -> Value {
    serde_json::to_value(meta(s, hash).state(now)).expect("state serializes")
}

/// Every Fetch action as `(hash, ticket)`.
fn fetches(out: &Output) -> Vec<(String, u64)> {
    out.actions
        .iter()
        .filter_map(|a| match a {
            Action::Fetch { hash, ticket, .. } => Some((hash.clone(), *ticket)),
            _ => None,
        })
        .collect()
}

fn fetched_hashes(out: &Output) -> Vec<String> {
    let mut v: Vec<String> = fetches(out).into_iter().map(|(h, _)| h).collect();
    v.sort();
    v
}

/// Every Abort action as `(hash, ticket)`.
fn aborts(out: &Output) -> Vec<(String, u64)> {
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
fn ticket(out: &Output, hash: &str) -> u64 {
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
fn no_fetch(out: &Output) {
    assert!(
        fetches(out).is_empty(),
        "unexpected Fetch actions: {:?}",
        out.actions
    );
}

fn ok(data: Value) -> Settle {
    Settle::Http {
        status: 200,
        body: data.to_string(),
        retry_after: None,
    }
}

fn http(status: u16, body: &str) -> Settle {
    Settle::Http {
        status,
        body: body.to_owned(),
        retry_after: None,
    }
}

fn http_retry_after(status: u16, retry_after: &str) -> Settle {
    Settle::Http {
        status,
        body: String::new(),
        retry_after: Some(retry_after.to_owned()),
    }
}

fn network() -> Settle {
    Settle::Failed(ErrorInfo::new("NETWORK", "the network request failed"))
}

/// Observes `[hash]` with `opts` at `now` and lands `data`; returns the ticket used.
fn loaded(s: &mut Store, hash: &str, opts: Value, data: Value, now: f64) -> u64 {
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

fn error_code(s: &Store, hash: &str) -> Option<String> {
    meta(s, hash).error().as_ref().map(|e| e.code.clone())
}

// ---------------------------------------------------------------------------------------------
// the state machine

#[test]
fn a_new_observed_query_is_pending_and_fetching() {
    let mut s = store();
    let out = observe(&mut s, "todos", url_opts("todos", json!({})), T0);
    assert_eq!(out.actions.len(), 1, "{:?}", out.actions);
    let t = ticket(&out, "todos");
    assert_ne!(t, 0);
    assert_eq!(
        out.actions[0],
        Action::Fetch {
            hash: "todos".to_owned(),
            ticket: t,
            url: Some("/todos".to_owned()),
            timeout: 30_000.0,
        }
    );
    assert!(out.states.contains(&"todos".to_owned()));
    let m = meta(&s, "todos");
    assert_eq!(m.status(), Status::Pending);
    assert_eq!(m.fetch_status(), FetchStatus::Fetching);
    assert_eq!(m.ticket(), t);
    assert_eq!(m.observers(), 1);
    assert_eq!(
        state(&s, "todos", T0),
        json!({
            "status": "pending",
            "fetchStatus": "fetching",
            "dataUpdatedAt": 0.0,
            "error": null,
            "errorUpdatedAt": 0.0,
            "isStale": true,
            "failureCount": 0
        })
    );
    assert!(s.read_query("todos").is_none());
}

#[test]
fn a_second_observer_joins_the_fetch_in_flight() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "todos", url_opts("todos", json!({})), T0),
        "todos",
    );
    let out = observe(&mut s, "todos", url_opts("todos", json!({})), T0 + 10.0);
    no_fetch(&out);
    assert!(aborts(&out).is_empty());
    let m = meta(&s, "todos");
    assert_eq!(m.observers(), 2);
    assert_eq!(m.ticket(), t);
    assert_eq!(m.fetch_status(), FetchStatus::Fetching);
}

#[test]
fn fetch_query_while_fetching_joins_the_fetch() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "todos", url_opts("todos", json!({})), T0),
        "todos",
    );
    for _ in 0..2 {
        let out = fetch_query(&mut s, "todos", url_opts("todos", json!({})), T0 + 5.0);
        no_fetch(&out);
        assert!(aborts(&out).is_empty());
        assert_eq!(meta(&s, "todos").ticket(), t);
    }
}

#[test]
fn a_successful_answer_lands() {
    let mut s = store();
    let t = ticket(
        &observe(
            &mut s,
            "todos",
            url_opts("todos", json!({ "shape": ["Todo"] })),
            T0,
        ),
        "todos",
    );
    let now = T0 + 120.0;
    let out = settle(
        &mut s,
        "todos",
        t,
        ok(json!([{ "id": 1, "title": "a" }])),
        now,
    );
    assert!(out.actions.is_empty());
    assert_eq!(out.states, ["todos"]);
    assert_eq!(out.changes.written_queries, ["todos"]);
    assert_eq!(out.changes.written_entities, ["Todo:1"]);
    let m = meta(&s, "todos");
    assert_eq!(m.status(), Status::Success);
    assert_eq!(m.fetch_status(), FetchStatus::Idle);
    assert_eq!(m.data_updated_at(), now);
    assert_eq!(m.failure_count(), 0);
    assert_eq!(m.error(), None);
    assert_eq!(m.ticket(), 0);
    assert_eq!(m.retry_at(), None);
    assert_eq!(read(&s, "todos"), json!([{ "id": 1, "title": "a" }]));
    assert_eq!(record(&s, "Todo:1"), json!({ "id": 1, "title": "a" }));
    // The same ticket cannot land twice.
    let again = settle(&mut s, "todos", t, ok(json!([{ "id": 2 }])), now + 1.0);
    assert!(again.states.is_empty() && again.changes.is_empty());
    assert_eq!(read(&s, "todos"), json!([{ "id": 1, "title": "a" }]));
}

#[test]
fn fresh_cached_data_is_not_refetched() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "staleTime": 10_000 }));
    loaded(&mut s, "todos", opts.clone(), json!([1]), T0);
    // Another observer while fresh: no fetch.
    let out = observe(&mut s, "todos", opts.clone(), T0 + 1000.0);
    no_fetch(&out);
    assert_eq!(meta(&s, "todos").observers(), 2);
    // All leave and one comes back, still fresh.
    s.unobserve("todos", T0 + 2000.0);
    s.unobserve("todos", T0 + 2000.0);
    let out = observe(&mut s, "todos", opts, T0 + 9_999.0);
    no_fetch(&out);
    assert_eq!(meta(&s, "todos").fetch_status(), FetchStatus::Idle);
    assert_eq!(state(&s, "todos", T0 + 9_999.0)["isStale"], json!(false));
}

#[test]
fn stale_data_is_revalidated_while_it_stays_visible() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "staleTime": 1000 }));
    loaded(&mut s, "todos", opts.clone(), json!(["old"]), T0);
    s.unobserve("todos", T0 + 10.0);
    let now = T0 + 1000.0; // staleTime passed
    let out = observe(&mut s, "todos", opts, now);
    let t = ticket(&out, "todos");
    let m = meta(&s, "todos");
    assert_eq!(
        m.status(),
        Status::Success,
        "stale-while-revalidate keeps success"
    );
    assert_eq!(m.fetch_status(), FetchStatus::Fetching);
    assert_eq!(m.data_updated_at(), T0);
    assert_eq!(read(&s, "todos"), json!(["old"]));
    settle(&mut s, "todos", t, ok(json!(["new"])), now + 50.0);
    assert_eq!(read(&s, "todos"), json!(["new"]));
    assert_eq!(meta(&s, "todos").data_updated_at(), now + 50.0);
}

#[test]
fn a_query_without_a_source_never_fetches() {
    let mut s = store();
    let out = observe(&mut s, "local", json!({}), T0);
    assert!(out.actions.is_empty());
    let m = meta(&s, "local");
    assert_eq!(
        (m.status(), m.fetch_status(), m.ticket()),
        (Status::Pending, FetchStatus::Idle, 0)
    );
    let mut now = T0;
    for step in 0..6 {
        now += 100_000.0;
        let out = match step {
            0 => s.tick(now),
            1 => s.focus(now),
            2 => invalidate(&mut s, json!(["local"]), now),
            3 => refetch(&mut s, json!(["local"]), now),
            4 => s.set_online(false, now),
            _ => s.set_online(true, now),
        };
        assert!(out.actions.is_empty(), "step {step}: {:?}", out.actions);
        assert_eq!(meta(&s, "local").fetch_status(), FetchStatus::Idle);
    }
    // fetchQuery without a source is an argument error.
    expect_err(
        s.fetch("local", &key_for("local"), "{}", now),
        "INVALID_ARGUMENT",
    );
}

#[test]
fn a_query_fn_source_fetches_without_a_url() {
    let mut s = store();
    let out = observe(
        &mut s,
        "fn",
        json!({ "queryFn": true, "shape": "Todo" }),
        T0,
    );
    assert_eq!(
        out.actions,
        [Action::Fetch {
            hash: "fn".to_owned(),
            ticket: meta(&s, "fn").ticket(),
            url: None,
            timeout: 30_000.0
        }]
    );
    let t = ticket(&out, "fn");
    s.settle_data("fn", t, &json!({ "id": 7 }).to_string(), T0 + 5.0, R);
    assert_eq!(meta(&s, "fn").status(), Status::Success);
    assert_eq!(read(&s, "fn"), json!({ "id": 7 }));
    assert!(s.entity("Todo:7").is_some());
}

#[test]
fn a_disabled_query_fetches_only_on_refetch() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "enabled": false }));
    let out = observe(&mut s, "todos", opts, T0);
    no_fetch(&out);
    assert_eq!(meta(&s, "todos").fetch_status(), FetchStatus::Idle);
    // Neither focus nor invalidation nor reconnect fetch it.
    no_fetch(&s.focus(T0 + 1.0));
    no_fetch(&invalidate(&mut s, json!(["todos"]), T0 + 2.0));
    s.set_online(false, T0 + 3.0);
    no_fetch(&s.set_online(true, T0 + 4.0));
    // refetch() is an explicit request.
    let out = refetch(&mut s, json!(["todos"]), T0 + 5.0);
    let t = ticket(&out, "todos");
    assert_eq!(meta(&s, "todos").fetch_status(), FetchStatus::Fetching);
    settle(&mut s, "todos", t, ok(json!([1])), T0 + 6.0);
    assert_eq!(meta(&s, "todos").status(), Status::Success);
}

#[test]
fn fetch_query_fetches_unless_fresh() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "staleTime": 5000 }));
    let t = ticket(&fetch_query(&mut s, "todos", opts.clone(), T0), "todos");
    assert_eq!(meta(&s, "todos").observers(), 0);
    settle(&mut s, "todos", t, ok(json!([1])), T0 + 10.0);
    no_fetch(&fetch_query(&mut s, "todos", opts.clone(), T0 + 100.0));
    // Fresh data is fetched again only on an explicit request (refetchQueries).
    let forced = refetch(&mut s, json!(["todos"]), T0 + 200.0);
    assert_ne!(ticket(&forced, "todos"), t);
    assert_eq!(meta(&s, "todos").status(), Status::Success);
}

// ---------------------------------------------------------------------------------------------
// errors and retries

#[test]
fn a_failed_refetch_keeps_the_old_data() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "retry": 0 }));
    loaded(&mut s, "todos", opts.clone(), json!(["old"]), T0);
    let t = ticket(&refetch(&mut s, json!(["todos"]), T0 + 100.0), "todos");
    let now = T0 + 200.0;
    let out = settle(&mut s, "todos", t, http(404, "not here"), now);
    assert_eq!(out.states, ["todos"]);
    assert!(out.actions.is_empty());
    let m = meta(&s, "todos");
    assert_eq!(m.status(), Status::Error);
    assert_eq!(m.fetch_status(), FetchStatus::Idle);
    assert_eq!(m.error_updated_at(), now);
    assert_eq!(m.data_updated_at(), T0, "dataUpdatedAt stays");
    let e = m.error().expect("error set");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(404)));
    assert_eq!(e.body.as_deref(), Some("not here"));
    assert_eq!(read(&s, "todos"), json!(["old"]));
}

#[test]
fn server_errors_retry_on_the_same_ticket_with_backoff() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "retry": 3, "retryDelay": 1000 }));
    let t = ticket(&observe(&mut s, "todos", opts, T0), "todos");
    let mut now = T0;
    for failure in 1..=3u32 {
        now += 100.0;
        let out = settle(&mut s, "todos", t, http(500, "boom"), now);
        assert!(out.actions.is_empty(), "no fetch before the delay");
        let m = meta(&s, "todos");
        assert_eq!(m.failure_count(), failure);
        assert_eq!(m.status(), Status::Pending);
        assert_eq!(m.fetch_status(), FetchStatus::Fetching);
        assert_eq!(m.error(), None);
        let expected = now + retry::delay(failure, 1000.0, R, None);
        assert_eq!(m.retry_at(), Some(expected));
        assert_eq!(out.wake_at, Some(expected));
        assert_eq!(state(&s, "todos", now)["failureCount"], json!(failure));
        // Not due yet.
        let early = s.tick(expected - 1.0);
        assert!(early.actions.is_empty(), "{:?}", early.actions);
        // Due: the same fetch is attempted again.
        now = expected;
        let out = s.tick(now);
        assert_eq!(fetches(&out), [("todos".to_owned(), t)]);
        assert_eq!(meta(&s, "todos").retry_at(), None);
        assert_eq!(meta(&s, "todos").fetch_status(), FetchStatus::Fetching);
    }
    now += 100.0;
    let out = settle(&mut s, "todos", t, http(500, "boom"), now);
    assert!(out.actions.is_empty());
    let m = meta(&s, "todos");
    assert_eq!(m.status(), Status::Error);
    assert_eq!(m.fetch_status(), FetchStatus::Idle);
    assert_eq!(m.failure_count(), 4);
    assert_eq!(m.retry_at(), None);
    assert_eq!(m.ticket(), 0);
    let e = m.error().expect("error set");
    assert_eq!(e.code, "HTTP");
    assert_eq!(e.status, Some(500));
    assert_eq!(e.body.as_deref(), Some("boom"));
    assert_eq!(m.error_updated_at(), now);
}

#[test]
fn retry_waits_follow_the_backoff_for_each_attempt() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "retry": 5, "retryDelay": 200 }));
    let t = ticket(&observe(&mut s, "todos", opts, T0), "todos");
    let mut now = T0;
    for (attempt, random) in [(1u32, 0.0), (2, 0.99), (3, 0.3), (4, 1.0), (5, 0.0)] {
        s.settle("todos", t, http(503, ""), now, random);
        let wait = meta(&s, "todos").retry_at().expect("retry scheduled") - now;
        let full = 200.0 * 2f64.powi(attempt as i32 - 1);
        assert!(
            wait >= full / 2.0 && wait <= full,
            "attempt {attempt}: {wait} not in [{}, {full}]",
            full / 2.0
        );
        now += wait;
        assert_eq!(ticket(&s.tick(now), "todos"), t);
    }
}

#[test]
fn not_found_is_final_at_once() {
    let mut s = store();
    let t = ticket(
        &observe(
            &mut s,
            "todos",
            url_opts("todos", json!({ "retry": 3 })),
            T0,
        ),
        "todos",
    );
    let out = settle(&mut s, "todos", t, http(404, ""), T0 + 1.0);
    assert!(out.actions.is_empty());
    let m = meta(&s, "todos");
    assert_eq!(
        (m.status(), m.fetch_status()),
        (Status::Error, FetchStatus::Idle)
    );
    assert_eq!(m.failure_count(), 1);
    assert_eq!(m.retry_at(), None);
    assert_eq!(error_code(&s, "todos").as_deref(), Some("HTTP"));
}

#[test]
fn request_timeout_and_too_many_requests_retry() {
    for status in [408u16, 429, 502, 503] {
        let mut s = store();
        let t = ticket(
            &observe(&mut s, "q", url_opts("q", json!({ "retry": 1 })), T0),
            "q",
        );
        settle(&mut s, "q", t, http(status, ""), T0 + 1.0);
        let m = meta(&s, "q");
        assert_eq!(m.failure_count(), 1, "{status}");
        assert_eq!(m.fetch_status(), FetchStatus::Fetching, "{status}");
        let at = m.retry_at().unwrap_or_else(|| panic!("{status} retries"));
        assert_eq!(ticket(&s.tick(at), "q"), t);
        settle(&mut s, "q", t, http(status, ""), at + 1.0);
        let m = meta(&s, "q");
        assert_eq!(m.status(), Status::Error, "{status}");
        assert_eq!(m.error().as_ref().and_then(|e| e.status), Some(status));
    }
}

#[test]
fn retry_after_is_a_floor_for_the_next_attempt() {
    let mut s = store();
    let t = ticket(
        &observe(
            &mut s,
            "q",
            url_opts("q", json!({ "retryDelay": 1000 })),
            T0,
        ),
        "q",
    );
    let now = T0 + 10.0;
    s.settle("q", t, http_retry_after(429, "5"), now, 0.0);
    let wait = meta(&s, "q").retry_at().expect("429 retries") - now;
    assert!(wait >= 5000.0, "Retry-After 5 waits {wait}");
    // An unreadable header falls back to the backoff.
    let later = now + wait;
    s.tick(later);
    s.settle("q", t, http_retry_after(503, "soon"), later, 0.0);
    assert_eq!(
        meta(&s, "q").retry_at(),
        Some(later + retry::delay(2, 1000.0, 0.0, None))
    );
}

#[test]
fn unauthorized_is_an_auth_error_without_retry() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 3 })), T0),
        "q",
    );
    settle(&mut s, "q", t, http(401, "who are you"), T0 + 1.0);
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status(), m.failure_count()),
        (Status::Error, FetchStatus::Idle, 1)
    );
    let e = m.error().expect("error set");
    assert_eq!(e.code, "AUTH");
    assert_eq!(e.status, Some(401));
    assert_eq!(e.body.as_deref(), Some("who are you"));
}

#[test]
fn network_errors_retry_while_online_then_fail() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 2 })), T0),
        "q",
    );
    let mut now = T0;
    for failure in 1..=2u32 {
        now += 10.0;
        settle(&mut s, "q", t, network(), now);
        let m = meta(&s, "q");
        assert_eq!(
            (m.failure_count(), m.fetch_status()),
            (failure, FetchStatus::Fetching)
        );
        now = m.retry_at().expect("network errors retry");
        assert_eq!(ticket(&s.tick(now), "q"), t);
    }
    settle(&mut s, "q", t, network(), now + 10.0);
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status(), m.failure_count()),
        (Status::Error, FetchStatus::Idle, 3)
    );
    assert_eq!(error_code(&s, "q").as_deref(), Some("NETWORK"));
}

#[test]
fn timeouts_retry() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 1 })), T0),
        "q",
    );
    settle(
        &mut s,
        "q",
        t,
        Settle::Failed(ErrorInfo::new("TIMEOUT", "slow")),
        T0 + 1.0,
    );
    assert!(meta(&s, "q").retry_at().is_some());
}

#[test]
fn a_body_that_is_not_json_is_a_parse_error_without_retry() {
    let mut s = store();
    let opts = url_opts("q", json!({ "retry": 3 }));
    loaded(&mut s, "q", opts, json!({ "v": 1 }), T0);
    let t = ticket(&refetch(&mut s, json!(["q"]), T0 + 10.0), "q");
    let out = settle(
        &mut s,
        "q",
        t,
        http(200, "<!doctype html><p>login"),
        T0 + 20.0,
    );
    assert!(out.actions.is_empty());
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status(), m.failure_count()),
        (Status::Error, FetchStatus::Idle, 1)
    );
    assert_eq!(error_code(&s, "q").as_deref(), Some("PARSE"));
    assert_eq!(read(&s, "q"), json!({ "v": 1 }), "old data kept");
}

#[test]
fn an_empty_success_body_is_a_parse_error() {
    for (status, body) in [(200u16, ""), (204, ""), (200, "  \n"), (201, "")] {
        let mut s = store();
        let t = ticket(
            &observe(&mut s, "q", url_opts("q", json!({ "retry": 3 })), T0),
            "q",
        );
        settle(&mut s, "q", t, http(status, body), T0 + 1.0);
        let m = meta(&s, "q");
        assert_eq!(m.status(), Status::Error, "{status} {body:?}");
        assert_eq!(m.retry_at(), None);
        assert_eq!(
            error_code(&s, "q").as_deref(),
            Some("PARSE"),
            "{status} {body:?}"
        );
    }
}

#[test]
fn data_that_does_not_fit_the_shape_is_a_shape_error_and_keeps_old_data() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"], "retry": 3 }));
    loaded(
        &mut s,
        "todos",
        opts,
        json!([{ "id": 1, "title": "a" }]),
        T0,
    );
    for (i, bad) in [
        json!({ "items": [] }),
        json!([{ "title": "no id" }]),
        json!([{ "id": 2 }, 5]),
    ]
    .into_iter()
    .enumerate()
    {
        let now = T0 + 100.0 * (i as f64 + 1.0);
        let t = ticket(&refetch(&mut s, json!(["todos"]), now), "todos");
        let out = settle(&mut s, "todos", t, ok(bad.clone()), now + 1.0);
        assert!(
            out.actions.is_empty() && out.changes.is_empty(),
            "{bad}: {out:?}"
        );
        let m = meta(&s, "todos");
        assert_eq!(
            (m.status(), m.fetch_status()),
            (Status::Error, FetchStatus::Idle),
            "{bad}"
        );
        assert_eq!(m.retry_at(), None);
        assert_eq!(error_code(&s, "todos").as_deref(), Some("SHAPE"), "{bad}");
        assert_eq!(read(&s, "todos"), json!([{ "id": 1, "title": "a" }]));
        assert!(
            s.entity("Todo:2").is_none(),
            "nothing of a bad answer is written"
        );
    }
}

#[test]
fn a_success_after_an_error_clears_it() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 0 })), T0),
        "q",
    );
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    assert_eq!(meta(&s, "q").status(), Status::Error);
    let t = ticket(&refetch(&mut s, json!(["q"]), T0 + 2.0), "q");
    // While refetching, the error stays visible with status error.
    assert_eq!(meta(&s, "q").status(), Status::Error);
    assert_eq!(meta(&s, "q").failure_count(), 0);
    settle(&mut s, "q", t, ok(json!(1)), T0 + 3.0);
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.error().as_ref(), m.failure_count()),
        (Status::Success, None, 0)
    );
}

// ---------------------------------------------------------------------------------------------
// offline

#[test]
fn observing_offline_pauses_until_online() {
    let mut s = store();
    s.set_online(false, T0);
    let out = observe(&mut s, "q", url_opts("q", json!({})), T0 + 1.0);
    no_fetch(&out);
    assert!(out.states.contains(&"q".to_owned()));
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status()),
        (Status::Pending, FetchStatus::Paused)
    );
    assert_ne!(m.ticket(), 0);
    assert_eq!(state(&s, "q", T0 + 1.0)["fetchStatus"], json!("paused"));
    // Time passing offline does not fetch.
    no_fetch(&s.tick(T0 + 60_000.0));
    let out = s.set_online(true, T0 + 60_001.0);
    let t = ticket(&out, "q");
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Fetching);
    assert_eq!(meta(&s, "q").ticket(), t);
    settle(&mut s, "q", t, ok(json!(1)), T0 + 60_002.0);
    assert_eq!(meta(&s, "q").status(), Status::Success);
}

#[test]
fn a_network_failure_offline_pauses_without_spending_a_retry() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 3 })), T0),
        "q",
    );
    s.set_online(false, T0 + 1.0);
    let out = settle(&mut s, "q", t, network(), T0 + 2.0);
    no_fetch(&out);
    let m = meta(&s, "q");
    assert_eq!(m.fetch_status(), FetchStatus::Paused);
    assert_eq!(m.failure_count(), 0);
    assert_eq!(m.retry_at(), None);
    assert_eq!(m.status(), Status::Pending);
    let out = s.set_online(true, T0 + 3.0);
    let t2 = ticket(&out, "q");
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Fetching);
    settle(&mut s, "q", t2, ok(json!(1)), T0 + 4.0);
    assert_eq!(meta(&s, "q").status(), Status::Success);
}

#[test]
fn a_retry_that_falls_due_offline_pauses() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 3 })), T0),
        "q",
    );
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    s.set_online(false, T0 + 2.0);
    let out = s.tick(at);
    no_fetch(&out);
    let m = meta(&s, "q");
    assert_eq!(
        (m.fetch_status(), m.retry_at()),
        (FetchStatus::Paused, None)
    );
    assert!(out.states.contains(&"q".to_owned()));
    let out = s.set_online(true, at + 10.0);
    assert_eq!(fetched_hashes(&out), ["q"]);
}

// ---------------------------------------------------------------------------------------------
// reconnect and focus

/// Four loaded queries: `stale` (active, stale), `fresh` (active, fresh), `off` (active,
/// stale, the option off) and `idle` (inactive, stale).
fn four_queries(option: &str) -> Store {
    let mut s = store();
    loaded(&mut s, "stale", url_opts("stale", json!({})), json!(1), T0);
    loaded(
        &mut s,
        "fresh",
        url_opts("fresh", json!({ "staleTime": "Infinity" })),
        json!(1),
        T0,
    );
    loaded(
        &mut s,
        "off",
        url_opts("off", json!({ option: false })),
        json!(1),
        T0,
    );
    loaded(&mut s, "idle", url_opts("idle", json!({})), json!(1), T0);
    s.unobserve("idle", T0);
    s
}

#[test]
fn reconnect_refetches_active_stale_queries() {
    let mut s = four_queries("refetchOnReconnect");
    // Already online: nothing.
    no_fetch(&s.set_online(true, T0 + 100.0));
    s.set_online(false, T0 + 200.0);
    let out = s.set_online(true, T0 + 300.0);
    assert_eq!(fetched_hashes(&out), ["stale"]);
    assert_eq!(meta(&s, "stale").status(), Status::Success);
    // Going offline again and back does not refetch what is already fetching.
    s.set_online(false, T0 + 400.0);
    no_fetch(&s.set_online(true, T0 + 500.0));
}

#[test]
fn focus_refetches_active_stale_queries() {
    let mut s = four_queries("refetchOnWindowFocus");
    let out = s.focus(T0 + 100.0);
    assert_eq!(fetched_hashes(&out), ["stale"]);
    no_fetch(&s.focus(T0 + 200.0));
}

#[test]
fn store_defaults_turn_focus_and_reconnect_off() {
    let mut s = Store::from_options_json(
        &json!({ "defaults": { "refetchOnWindowFocus": false, "refetchOnReconnect": false } })
            .to_string(),
    )
    .unwrap();
    loaded(&mut s, "q", url_opts("q", json!({})), json!(1), T0);
    no_fetch(&s.focus(T0 + 1.0));
    s.set_online(false, T0 + 2.0);
    no_fetch(&s.set_online(true, T0 + 3.0));
}

// ---------------------------------------------------------------------------------------------
// invalidation, cancel, remove

#[test]
fn key_prefixes_match_element_by_element() {
    let k = json!(["todos", { "page": 2 }, 1]);
    assert!(key_has_prefix(&k, &json!(["todos"])));
    assert!(key_has_prefix(&k, &json!(["todos", { "page": 2 }])));
    assert!(key_has_prefix(&k, &k));
    assert!(!key_has_prefix(&k, &json!(["todos", { "page": 3 }])));
    assert!(!key_has_prefix(&k, &json!(["todo"])));
    assert!(!key_has_prefix(&json!(["todos"]), &json!(["todos", 1])));
    assert!(!key_has_prefix(&json!(["todos"]), &json!("todos")));
}

/// `["todos"]`, `["todos",1]`, `["todos",{"page":2}]`, `["users"]` (staleTime Infinity, so
/// only invalidation makes them stale); `["todos",1]` inactive.
fn todo_family() -> Store {
    let mut s = store();
    let keys = [
        ("todos", json!(["todos"])),
        ("todo1", json!(["todos", 1])),
        ("page2", json!(["todos", { "page": 2 }])),
        ("users", json!(["users"])),
    ];
    for (h, k) in keys {
        let out = observe_key(
            &mut s,
            h,
            k,
            url_opts(h, json!({ "staleTime": "Infinity" })),
            T0,
        );
        settle(&mut s, h, ticket(&out, h), ok(json!([h])), T0);
    }
    s.unobserve("todo1", T0);
    s
}

#[test]
fn invalidate_marks_matching_queries_stale_and_refetches_the_active_ones() {
    let mut s = todo_family();
    let now = T0 + 100.0;
    for h in ["todos", "todo1", "page2", "users"] {
        assert_eq!(state(&s, h, now)["isStale"], json!(false), "{h}");
    }
    let out = invalidate(&mut s, json!(["todos"]), now);
    assert_eq!(sorted(&out.states), ["page2", "todo1", "todos"]);
    for h in ["todos", "todo1", "page2"] {
        assert_eq!(state(&s, h, now)["isStale"], json!(true), "{h}");
    }
    assert_eq!(state(&s, "users", now)["isStale"], json!(false));
    assert_eq!(fetched_hashes(&out), ["page2", "todos"]);
    assert_eq!(meta(&s, "todo1").fetch_status(), FetchStatus::Idle);
    // Data stays visible meanwhile.
    assert_eq!(read(&s, "todos"), json!(["todos"]));
    assert_eq!(meta(&s, "todos").status(), Status::Success);
    // The inactive one refetches when observed again.
    let out = observe_key(
        &mut s,
        "todo1",
        json!(["todos", 1]),
        url_opts("todo1", json!({ "staleTime": "Infinity" })),
        now + 1.0,
    );
    assert_eq!(fetched_hashes(&out), ["todo1"]);
}

#[test]
fn invalidate_matches_nested_prefixes_exactly() {
    let mut s = todo_family();
    let out = invalidate(&mut s, json!(["todos", { "page": 2 }]), T0 + 1.0);
    assert_eq!(out.states, ["page2"]);
    let out = invalidate(&mut s, json!(["todos", 1]), T0 + 2.0);
    assert_eq!(out.states, ["todo1"]);
    no_fetch(&out);
    let out = invalidate(&mut s, json!(["nothing"]), T0 + 3.0);
    assert!(out.states.is_empty() && out.actions.is_empty());
}

#[test]
fn invalidate_supersedes_a_fetch_under_way() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"] }));
    loaded(
        &mut s,
        "todos",
        opts,
        json!([{ "id": 1, "title": "v1" }]),
        T0,
    );
    let old = ticket(&refetch(&mut s, json!(["todos"]), T0 + 10.0), "todos");
    let out = invalidate(&mut s, json!(["todos"]), T0 + 20.0);
    assert_eq!(aborts(&out), [("todos".to_owned(), old)]);
    let new = ticket(&out, "todos");
    assert_ne!(new, old);
    assert_eq!(meta(&s, "todos").ticket(), new);
    // The superseded answer arrives later: ignored.
    let late = settle(
        &mut s,
        "todos",
        old,
        ok(json!([{ "id": 1, "title": "old answer" }])),
        T0 + 30.0,
    );
    assert!(late.changes.is_empty() && late.states.is_empty() && late.actions.is_empty());
    assert_eq!(read(&s, "todos"), json!([{ "id": 1, "title": "v1" }]));
    assert_eq!(meta(&s, "todos").fetch_status(), FetchStatus::Fetching);
    settle(
        &mut s,
        "todos",
        new,
        ok(json!([{ "id": 1, "title": "v2" }])),
        T0 + 40.0,
    );
    assert_eq!(read(&s, "todos"), json!([{ "id": 1, "title": "v2" }]));
    assert_eq!(state(&s, "todos", T0 + 40.0)["isStale"], json!(true));
}

#[test]
fn landing_clears_the_invalidation() {
    let mut s = store();
    let opts = url_opts("q", json!({ "staleTime": 10_000 }));
    loaded(&mut s, "q", opts, json!(1), T0);
    let t = ticket(&invalidate(&mut s, json!(["q"]), T0 + 1.0), "q");
    settle(&mut s, "q", t, ok(json!(2)), T0 + 2.0);
    assert_eq!(state(&s, "q", T0 + 3.0)["isStale"], json!(false));
}

#[test]
fn cancel_aborts_and_drops_the_late_answer() {
    let mut s = store();
    let t = ticket(&observe(&mut s, "q", url_opts("q", json!({})), T0), "q");
    let out = cancel(&mut s, json!(["q"]), T0 + 1.0);
    assert_eq!(
        out.actions,
        [Action::Abort {
            hash: "q".to_owned(),
            ticket: t
        }]
    );
    assert_eq!(out.states, ["q"]);
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status(), m.ticket()),
        (Status::Pending, FetchStatus::Idle, 0)
    );
    let late = settle(&mut s, "q", t, ok(json!(1)), T0 + 2.0);
    assert!(late.changes.is_empty() && late.states.is_empty());
    assert!(s.read_query("q").is_none());
    assert_eq!(meta(&s, "q").status(), Status::Pending);
    // Nothing left to cancel.
    assert!(cancel(&mut s, json!(["q"]), T0 + 3.0).actions.is_empty());
}

#[test]
fn cancel_keeps_the_data_there_was() {
    let mut s = store();
    loaded(&mut s, "q", url_opts("q", json!({})), json!("old"), T0);
    let t = ticket(&refetch(&mut s, json!(["q"]), T0 + 1.0), "q");
    cancel(&mut s, json!(["q"]), T0 + 2.0);
    settle(&mut s, "q", t, ok(json!("late")), T0 + 3.0);
    let m = meta(&s, "q");
    assert_eq!(
        (m.status(), m.fetch_status()),
        (Status::Success, FetchStatus::Idle)
    );
    assert_eq!(read(&s, "q"), json!("old"));
}

#[test]
fn cancel_stops_a_pending_retry() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 3 })), T0),
        "q",
    );
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    let out = cancel(&mut s, json!(["q"]), T0 + 2.0);
    assert_eq!(aborts(&out), [("q".to_owned(), t)]);
    let m = meta(&s, "q");
    assert_eq!(
        (m.fetch_status(), m.retry_at(), m.ticket()),
        (FetchStatus::Idle, None, 0)
    );
    no_fetch(&s.tick(at));
}

#[test]
fn remove_drops_the_query_and_the_entities_only_it_referenced() {
    let mut s = store();
    let list = url_opts("todos", json!({ "shape": ["Todo"] }));
    loaded(
        &mut s,
        "todos",
        list,
        json!([
            { "id": 1, "assignee": { "id": "u1" } },
            { "id": 2, "assignee": { "id": "u2" } }
        ]),
        T0,
    );
    let one = url_opts("todo1", json!({ "shape": "Todo" }));
    let out = observe_key(&mut s, "todo1", json!(["todo", 1]), one, T0);
    settle(
        &mut s,
        "todo1",
        ticket(&out, "todo1"),
        ok(json!({ "id": 1 })),
        T0,
    );
    assert_eq!(s.entity_count(), 4);

    let out = remove(&mut s, json!(["todos"]), T0 + 1.0);
    assert_eq!(out.removed_queries, ["todos"]);
    assert_eq!(sorted(&out.removed_entities), ["Todo:2", "User:u2"]);
    assert!(s.query("todos").is_none());
    assert!(s.meta("todos").is_none());
    assert!(s.read_query("todos").is_none());
    assert!(s.entity("Todo:2").is_none() && s.entity("User:u2").is_none());
    // Still referenced by `todo1` (directly, or through Todo:1's assignee).
    assert!(s.entity("Todo:1").is_some());
    assert!(s.entity("User:u1").is_some());
    assert_eq!(s.entity_count(), 2);
    assert_eq!(
        read(&s, "todo1"),
        json!({ "id": 1, "assignee": { "id": "u1" } })
    );
}

#[test]
fn remove_matches_by_prefix_and_aborts_fetches_in_flight() {
    let mut s = todo_family();
    let t = ticket(&refetch(&mut s, json!(["todos", 1]), T0 + 1.0), "todo1");
    let out = remove(&mut s, json!(["todos"]), T0 + 2.0);
    assert_eq!(sorted(&out.removed_queries), ["page2", "todo1", "todos"]);
    assert_eq!(aborts(&out), [("todo1".to_owned(), t)]);
    assert!(s.meta("users").is_some());
    // The aborted answer does not bring the query back.
    let late = settle(&mut s, "todo1", t, ok(json!(["late"])), T0 + 3.0);
    assert!(late.changes.is_empty() && late.states.is_empty());
    assert!(s.query("todo1").is_none() && s.meta("todo1").is_none());
}

#[test]
fn remove_finds_data_written_without_a_lifecycle() {
    let mut s = store();
    set(&mut s, "plain", json!({ "id": 1 }), json!("Todo"));
    assert!(s.meta("plain").is_none());
    let out = remove(&mut s, json!(["plain"]), T0);
    assert_eq!(out.removed_queries, ["plain"]);
    assert_eq!(out.removed_entities, ["Todo:1"]);
    assert!(s.query("plain").is_none());
}

// ---------------------------------------------------------------------------------------------
// timers: gc, refetchInterval, stale flip, wake_at

#[test]
fn an_unobserved_query_is_collected_after_gc_time() {
    let mut s = store();
    let opts = url_opts(
        "todos",
        json!({ "shape": ["Todo"], "gcTime": 10_000, "staleTime": "Infinity" }),
    );
    loaded(
        &mut s,
        "todos",
        opts,
        json!([{ "id": 1, "assignee": { "id": "u1" } }]),
        T0,
    );
    // Another query keeps User:u1.
    put(&mut s, "user", json!({ "id": "u1" }), json!("User"), T0);
    observe(&mut s, "user", json!({}), T0);
    let left = T0 + 500.0;
    let out = s.unobserve("todos", left);
    assert_eq!(out.wake_at, Some(left + 10_000.0));
    let out = s.tick(left + 9_999.0);
    assert!(out.removed_queries.is_empty());
    assert!(s.meta("todos").is_some());
    let out = s.tick(left + 10_000.0);
    assert_eq!(out.removed_queries, ["todos"]);
    assert_eq!(out.removed_entities, ["Todo:1"]);
    assert!(s.meta("todos").is_none() && s.query("todos").is_none());
    assert!(s.entity("Todo:1").is_none());
    assert!(s.entity("User:u1").is_some());
}

#[test]
fn observing_again_stops_the_gc_clock() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 1000, "staleTime": "Infinity" }));
    loaded(&mut s, "q", opts.clone(), json!(1), T0);
    s.unobserve("q", T0 + 1.0);
    observe(&mut s, "q", opts, T0 + 500.0);
    assert!(s.tick(T0 + 5_000.0).removed_queries.is_empty());
    let out = s.unobserve("q", T0 + 6_000.0);
    assert_eq!(out.wake_at, Some(T0 + 7_000.0));
}

#[test]
fn an_observed_query_is_never_collected() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 0, "staleTime": "Infinity" }));
    let out = observe(&mut s, "q", opts, T0);
    settle(&mut s, "q", ticket(&out, "q"), ok(json!(1)), T0);
    for dt in [0.0, 1.0, 1e6, 1e9] {
        let out = s.tick(T0 + dt);
        assert!(out.removed_queries.is_empty());
    }
    assert!(s.meta("q").is_some() && s.query("q").is_some());
}

#[test]
fn a_query_with_a_fetch_in_flight_is_not_collected() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 1000 }));
    let t = ticket(&fetch_query(&mut s, "q", opts.clone(), T0), "q");
    assert_eq!(meta(&s, "q").observers(), 0);
    let out = s.tick(T0 + 50_000.0);
    assert!(out.removed_queries.is_empty());
    assert_eq!(
        out.wake_at, None,
        "nothing to wake for while the fetch runs"
    );
    // Also not while a retry waits.
    settle(&mut s, "q", t, http(500, ""), T0 + 50_001.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    assert!(s.tick(at - 1.0).removed_queries.is_empty());
    s.tick(at);
    settle(&mut s, "q", t, ok(json!(1)), at + 10.0);
    assert_eq!(read(&s, "q"), json!(1));
}

#[test]
fn fetched_data_of_an_unobserved_query_lives_gc_time_after_it_lands() {
    let mut s = store();
    let opts = url_opts("q", json!({ "gcTime": 1000 }));
    let t = ticket(&fetch_query(&mut s, "q", opts, T0), "q");
    let landed = T0 + 5_000.0;
    let out = settle(&mut s, "q", t, ok(json!(1)), landed);
    assert!(
        out.wake_at.is_some_and(|w| w >= landed + 1000.0),
        "wake_at {:?} should be the gc at {}",
        out.wake_at,
        landed + 1000.0
    );
    let out = s.tick(landed + 1.0);
    assert!(
        out.removed_queries.is_empty(),
        "collected 1 ms after landing"
    );
}

#[test]
fn refetch_interval_fires_while_observed() {
    let mut s = store();
    let opts = url_opts(
        "q",
        json!({ "refetchInterval": 1000, "staleTime": "Infinity" }),
    );
    let out = observe(&mut s, "q", opts, T0);
    let t = ticket(&out, "q");
    assert!(
        out.wake_at.is_some_and(|w| w <= T0 + 1000.0),
        "{:?}",
        out.wake_at
    );
    let out = settle(&mut s, "q", t, ok(json!(1)), T0 + 100.0);
    let w = out.wake_at.expect("interval wake");
    assert!(w <= T0 + 100.0 + 1000.0, "{w}");
    no_fetch(&s.tick(w - 1.0));
    let out = s.tick(w);
    let t2 = ticket(&out, "q");
    assert_ne!(t2, t);
    // Next interval after this one.
    let out = settle(&mut s, "q", t2, ok(json!(2)), w + 10.0);
    assert!(out.wake_at.is_some_and(|x| x > w && x <= w + 10.0 + 1000.0));
    // Unobserved: no more interval fetches.
    let out = s.unobserve("q", w + 20.0);
    let gc = out.wake_at.expect("gc wake");
    assert_eq!(gc, w + 20.0 + 300_000.0);
    no_fetch(&s.tick(w + 5_000.0));
}

#[test]
fn a_disabled_query_does_not_fetch_on_its_interval() {
    let mut s = store();
    let opts = url_opts("q", json!({ "refetchInterval": 1000, "enabled": false }));
    let out = observe(&mut s, "q", opts, T0);
    no_fetch(&out);
    no_fetch(&s.tick(T0 + 1000.0));
    no_fetch(&s.tick(T0 + 2000.0));
}

#[test]
fn the_stale_flip_is_reported_once_when_due() {
    let mut s = store();
    let opts = url_opts("q", json!({ "staleTime": 5000 }));
    let out = observe(&mut s, "q", opts, T0);
    let t = T0 + 10.0;
    let out2 = settle(&mut s, "q", ticket(&out, "q"), ok(json!(1)), t);
    assert_eq!(out2.wake_at, Some(t + 5000.0));
    assert_eq!(state(&s, "q", t)["isStale"], json!(false));
    let early = s.tick(t + 4_999.0);
    assert!(early.states.is_empty());
    let out = s.tick(t + 5000.0);
    assert_eq!(out.states, ["q"]);
    assert_eq!(state(&s, "q", t + 5000.0)["isStale"], json!(true));
    no_fetch(&out);
    // Reported once.
    assert!(s.tick(t + 6000.0).states.is_empty());
}

#[test]
fn wake_at_is_the_earliest_due_moment() {
    // retry of `r` at T0 + 100 + delay(1, 1000, R) = T0 + 850.
    // stale flip of observed `st` at T0 + 2000; interval of observed `iv` at T0 + 3000;
    // gc of unobserved `gc` at T0 + 4000.
    let mut s = store();
    loaded(
        &mut s,
        "st",
        url_opts("st", json!({ "staleTime": 2000 })),
        json!(1),
        T0,
    );
    assert_eq!(s.next_wake(T0), Some(T0 + 2000.0));
    loaded(
        &mut s,
        "iv",
        url_opts(
            "iv",
            json!({ "refetchInterval": 3000, "staleTime": "Infinity" }),
        ),
        json!(1),
        T0,
    );
    loaded(
        &mut s,
        "gc",
        url_opts("gc", json!({ "gcTime": 4000, "staleTime": "Infinity" })),
        json!(1),
        T0,
    );
    s.unobserve("gc", T0);
    assert_eq!(s.next_wake(T0), Some(T0 + 2000.0));
    let t = ticket(
        &observe(
            &mut s,
            "r",
            url_opts("r", json!({ "retryDelay": 1000 })),
            T0,
        ),
        "r",
    );
    let out = settle(&mut s, "r", t, http(500, ""), T0 + 100.0);
    assert_eq!(out.wake_at, Some(T0 + 850.0));

    let out = s.tick(T0 + 850.0);
    assert_eq!(
        out.wake_at,
        Some(T0 + 2000.0),
        "retry went out; the stale flip is next"
    );
    let out = s.tick(T0 + 2000.0);
    assert_eq!(
        out.wake_at,
        Some(T0 + 3000.0),
        "stale flip reported; the interval is next"
    );
    let out = s.tick(T0 + 3000.0);
    assert_eq!(fetched_hashes(&out), ["iv"]);
    // The interval rescheduled itself at T0 + 6000; gc at T0 + 4000 comes first.
    assert_eq!(out.wake_at, Some(T0 + 4000.0));
    let out = s.tick(T0 + 4000.0);
    assert_eq!(out.removed_queries, ["gc"]);
    assert_eq!(out.wake_at, Some(T0 + 6000.0));
}

#[test]
fn unobserved_queries_wake_only_for_gc() {
    let mut s = store();
    let opts = url_opts(
        "q",
        json!({ "staleTime": 1000, "refetchInterval": 500, "gcTime": 9000 }),
    );
    loaded(&mut s, "q", opts, json!(1), T0);
    let out = s.unobserve("q", T0 + 10.0);
    assert_eq!(out.wake_at, Some(T0 + 9010.0));
}

#[test]
fn infinite_times_never_wake() {
    let mut s = store();
    let opts = url_opts(
        "q",
        json!({ "staleTime": "Infinity", "gcTime": "Infinity" }),
    );
    loaded(&mut s, "q", opts, json!(1), T0);
    assert_eq!(s.next_wake(T0), None);
    assert_eq!(s.unobserve("q", T0 + 1.0).wake_at, None);
    assert!(s.tick(T0 + 1e12).removed_queries.is_empty());
}

// ---------------------------------------------------------------------------------------------
// setQueryData

#[test]
fn set_query_data_marks_the_query_successful_and_fresh() {
    let mut s = store();
    observe(&mut s, "q", json!({ "staleTime": 10_000 }), T0);
    assert_eq!(meta(&s, "q").status(), Status::Pending);
    let out = put(&mut s, "q", json!({ "id": 1 }), json!("Todo"), T0 + 5.0);
    assert_eq!(out.states, ["q"]);
    assert_eq!(out.changes.written_queries, ["q"]);
    let m = meta(&s, "q");
    assert_eq!(m.status(), Status::Success);
    assert_eq!(m.data_updated_at(), T0 + 5.0);
    assert_eq!(state(&s, "q", T0 + 6.0)["isStale"], json!(false));
    assert_eq!(read(&s, "q"), json!({ "id": 1 }));
    // Invalidated, then set again: fresh again.
    invalidate(&mut s, json!(["q"]), T0 + 7.0);
    assert_eq!(state(&s, "q", T0 + 7.0)["isStale"], json!(true));
    put(
        &mut s,
        "q",
        json!({ "id": 1, "title": "x" }),
        json!("Todo"),
        T0 + 8.0,
    );
    assert_eq!(state(&s, "q", T0 + 8.0)["isStale"], json!(false));
}

#[test]
fn set_query_data_clears_an_error() {
    let mut s = store();
    let t = ticket(
        &observe(&mut s, "q", url_opts("q", json!({ "retry": 0 })), T0),
        "q",
    );
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    assert_eq!(meta(&s, "q").status(), Status::Error);
    put(&mut s, "q", json!(5), json!(null), T0 + 2.0);
    let m = meta(&s, "q");
    assert_eq!((m.status(), m.error().as_ref()), (Status::Success, None));
    assert_eq!(m.data_updated_at(), T0 + 2.0);
}

#[test]
fn set_query_data_creates_a_lifecycle_that_gc_collects() {
    let mut s = store();
    let out = put(&mut s, "q", json!(1), json!(null), T0);
    assert_eq!(meta(&s, "q").status(), Status::Success);
    assert_eq!(out.wake_at, Some(T0 + 300_000.0));
    assert_eq!(s.tick(T0 + 300_000.0).removed_queries, ["q"]);
}

#[test]
fn observing_data_set_before_shows_it_as_success() {
    let mut s = store();
    set(&mut s, "q", json!({ "id": 1 }), json!("Todo"));
    let out = observe(
        &mut s,
        "q",
        url_opts("q", json!({ "shape": "Todo", "staleTime": "Infinity" })),
        T0,
    );
    no_fetch(&out);
    assert_eq!(meta(&s, "q").status(), Status::Success);
}

#[test]
fn set_query_data_of_identical_data_still_marks_stale_data_fresh() {
    let mut s = store();
    let opts = url_opts("q", json!({ "staleTime": 1000 }));
    loaded(&mut s, "q", opts, json!({ "v": 1 }), T0);
    let now = T0 + 5000.0;
    assert_eq!(state(&s, "q", now)["isStale"], json!(true));
    let out = put(&mut s, "q", json!({ "v": 1 }), json!(null), now);
    assert_eq!(
        meta(&s, "q").data_updated_at(),
        now,
        "dataUpdatedAt is the put time"
    );
    assert_eq!(
        state(&s, "q", now)["isStale"],
        json!(false),
        "fresh after setQueryData"
    );
    assert_eq!(out.states, ["q"]);
}

#[test]
fn set_query_data_of_identical_fresh_data_notifies_nobody() {
    let mut s = store();
    let opts = url_opts("q", json!({ "staleTime": 10_000 }));
    loaded(&mut s, "q", opts, json!({ "v": 1 }), T0);
    let out = put(&mut s, "q", json!({ "v": 1 }), json!(null), T0 + 10.0);
    assert!(out.states.is_empty() && out.changes.is_empty(), "{out:?}");
    let out = put(&mut s, "q", json!({ "v": 2 }), json!(null), T0 + 20.0);
    assert_eq!(out.states, ["q"]);
    assert_eq!(meta(&s, "q").data_updated_at(), T0 + 20.0);
}

// ---------------------------------------------------------------------------------------------
// prefixes and first states

#[test]
fn an_empty_prefix_matches_every_query() {
    let mut s = todo_family();
    let out = invalidate(&mut s, json!([]), T0 + 1.0);
    assert_eq!(sorted(&out.states), ["page2", "todo1", "todos", "users"]);
    assert_eq!(fetched_hashes(&out), ["page2", "todos", "users"]);
    let out = cancel(&mut s, json!([]), T0 + 2.0);
    assert_eq!(aborts(&out).len(), 3);
    let out = refetch(&mut s, json!([]), T0 + 3.0);
    assert_eq!(fetched_hashes(&out), ["page2", "todo1", "todos", "users"]);
    let out = remove(&mut s, json!([]), T0 + 4.0);
    assert_eq!(
        sorted(&out.removed_queries),
        ["page2", "todo1", "todos", "users"]
    );
    assert_eq!(aborts(&out).len(), 4);
}

#[test]
fn a_prefix_must_be_an_array() {
    let mut s = todo_family();
    for bad in ["\"todos\"", "{}", "5", "null", "not json"] {
        expect_err(s.invalidate(bad, T0), "INVALID_ARGUMENT");
        expect_err(s.refetch(bad, T0), "INVALID_ARGUMENT");
        expect_err(s.cancel(bad, T0), "INVALID_ARGUMENT");
        expect_err(s.remove(bad, T0), "INVALID_ARGUMENT");
    }
    assert!(s.meta("todos").is_some());
}

#[test]
fn a_new_lifecycle_reports_its_first_state() {
    let mut s = store();
    let out = observe(&mut s, "local", json!({}), T0);
    assert_eq!(out.states, ["local"]);
    // Not on the next observe: nothing changed.
    let out = observe(&mut s, "local", json!({}), T0 + 1.0);
    assert!(out.states.is_empty());
    let out = fetch_query(&mut s, "f", url_opts("f", json!({})), T0);
    assert_eq!(out.states, ["f"]);
}

// ---------------------------------------------------------------------------------------------
// the batch sent to JS

#[test]
fn output_json_carries_states_actions_and_wake() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"], "timeout": 5000 }));
    let now = T0;
    let out = observe(&mut s, "todos", opts, now);
    let t = ticket(&out, "todos");
    let text = output_json(&s, &out, 0, now);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["a", "d", "dq", "e", "ms", "q", "re", "rq", "s", "w"]);
    assert_eq!(v["a"], json!([["f", "todos", t, "/todos", 5000.0]]));
    assert_eq!(v["s"][0][0], json!("todos"));
    assert_eq!(v["s"][0][1]["status"], json!("pending"));
    assert_eq!(v["s"][0][1]["fetchStatus"], json!("fetching"));
    assert_eq!(v["w"], json!(null));

    let out = settle(&mut s, "todos", t, ok(json!([{ "id": 1 }])), now + 1.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 100, now + 1.0)).unwrap();
    assert_eq!(v["e"], json!([["Todo:1", { "id": 1 }]]));
    assert_eq!(v["q"], json!([["todos", ["Todo"], ["Todo:1"]]]));
    assert_eq!(v["s"][0][1]["status"], json!("success"));
    assert_eq!(v["s"][0][1]["dataUpdatedAt"], json!(now + 1.0));
    assert_eq!(v["a"], json!([]));

    let t2 = ticket(&refetch(&mut s, json!(["todos"]), now + 2.0), "todos");
    let out = remove(&mut s, json!(["todos"]), now + 3.0);
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, now + 3.0)).unwrap();
    assert_eq!(v["a"], json!([["x", "todos", t2]]));
    assert_eq!(v["rq"], json!(["todos"]));
    assert_eq!(v["re"], json!(["Todo:1"]));
    // A removed query has no state to show.
    assert_eq!(v["s"], json!([]));
}

#[test]
fn output_json_renders_query_fn_fetches_with_a_null_url_and_errors() {
    let mut s = store();
    let out = observe(&mut s, "fn", json!({ "queryFn": true, "retry": 0 }), T0);
    let t = ticket(&out, "fn");
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0)).unwrap();
    assert_eq!(v["a"], json!([["f", "fn", t, null, 30_000.0]]));
    let out = s.settle(
        "fn",
        t,
        Settle::Failed(ErrorInfo::new("QUERY_FN", "rejected")),
        T0 + 1.0,
        R,
    );
    let v: Value = serde_json::from_str(&output_json(&s, &out, 0, T0 + 1.0)).unwrap();
    assert_eq!(v["s"][0][1]["status"], json!("error"));
    assert_eq!(
        v["s"][0][1]["error"],
        json!({ "code": "QUERY_FN", "message": "rejected" })
    );
    assert_eq!(v["s"][0][1]["errorUpdatedAt"], json!(T0 + 1.0));
}

// ---------------------------------------------------------------------------------------------
// options that differ between observers of one query (regressions: a read-only observer once
// replaced the url and shape of the query another observer fetches)

#[test]
fn an_observer_without_a_source_keeps_the_fetching_observers_shape() {
    let mut s = store();
    let t = ticket(
        &observe(
            &mut s,
            "todos",
            url_opts("todos", json!({ "shape": ["Todo"] })),
            T0,
        ),
        "todos",
    );
    // A second component only reads the query.
    observe(&mut s, "todos", json!({}), T0 + 1.0);
    settle(&mut s, "todos", t, ok(json!([{ "id": 1 }])), T0 + 2.0);
    assert!(
        s.entity("Todo:1").is_some(),
        "the answer is normalized with ['Todo']"
    );
    assert_eq!(
        s.query("todos").map(|q| q.result.clone()),
        Some(json!(["Todo:1"]))
    );
}

#[test]
fn a_paused_query_whose_source_was_dropped_does_not_stay_paused_without_a_ticket() {
    let mut s = store();
    s.set_online(false, T0);
    observe(&mut s, "q", url_opts("q", json!({})), T0 + 1.0);
    assert_eq!(meta(&s, "q").fetch_status(), FetchStatus::Paused);
    observe(&mut s, "q", json!({}), T0 + 2.0);
    s.set_online(true, T0 + 3.0);
    let m = meta(&s, "q");
    assert!(
        m.fetch_status() == FetchStatus::Idle || m.ticket() != 0,
        "fetchStatus {:?} with ticket {}",
        m.fetch_status(),
        m.ticket()
    );
    assert!(
        m.fetch_status() != FetchStatus::Paused,
        "paused while online"
    );
}

#[test]
fn a_retry_keeps_the_url_after_a_source_less_observer() {
    let mut s = store();
    let t = ticket(&observe(&mut s, "q", url_opts("q", json!({})), T0), "q");
    settle(&mut s, "q", t, http(500, ""), T0 + 1.0);
    let at = meta(&s, "q").retry_at().expect("retry scheduled");
    observe(&mut s, "q", json!({}), T0 + 2.0);
    let out = s.tick(at);
    assert_eq!(
        out.actions,
        [Action::Fetch {
            hash: "q".to_owned(),
            ticket: t,
            url: Some("/q".to_owned()),
            timeout: 30_000.0
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// randomized sequences: impossible states never appear

/// One query of the pool: hash, key, shape, and whether it has a url.
struct Spec {
    hash: &'static str,
    key: Value,
    shape: Value,
    source: bool,
    opts: Value,
}

fn pool(rng: &mut Rng) -> Vec<Spec> {
    let raw = [
        ("t", json!(["todos"]), json!(["Todo"]), true),
        ("t1", json!(["todos", 1]), json!("Todo"), true),
        (
            "tp",
            json!(["todos", { "page": 2 }]),
            json!({ "items": ["Todo"] }),
            true,
        ),
        ("u", json!(["users"]), json!(["User"]), true),
        ("u1", json!(["users", 1]), json!("User"), true),
        ("n", json!(["local"]), json!(null), false),
    ];
    raw.into_iter()
        .map(|(hash, key, shape, source)| {
            let mut opts = json!({
                "shape": shape,
                "staleTime": rng.pick(&[json!(0), json!(500), json!(5000), json!("Infinity")]).clone(),
                "gcTime": rng.pick(&[json!(0), json!(1000), json!(10_000), json!("Infinity")]).clone(),
                "retry": rng.below(4),
                "retryDelay": rng.pick(&[0, 100, 1000]).to_owned(),
                "refetchInterval": rng.pick(&[json!(null), json!(700), json!(3000)]).clone(),
                "enabled": rng.chance(85),
                "refetchOnWindowFocus": rng.chance(70),
                "refetchOnReconnect": rng.chance(70),
            });
            if source {
                opts["url"] = json!(format!("/{hash}"));
            }
            Spec { hash, key, shape, source, opts }
        })
        .collect()
}

/// Data that fits `shape`.
fn good_data(rng: &mut Rng, shape: &Value) -> Value {
    let todo = |rng: &mut Rng| {
        json!({ "id": rng.below(4) + 1, "title": *rng.pick(&["a", "b"]),
                "assignee": { "id": *rng.pick(&["u1", "u2"]) } })
    };
    match shape {
        Value::String(t) if t == "Todo" => todo(rng),
        Value::String(_) => json!({ "id": *rng.pick(&["u1", "u2"]), "todos": [todo(rng)] }),
        Value::Array(a) if a[0] == json!("Todo") => (0..rng.below(3)).map(|_| todo(rng)).collect(),
        Value::Array(_) => json!([{ "id": "u1", "todos": [todo(rng)] }]),
        Value::Object(_) => json!({ "items": [todo(rng)], "total": 1 }),
        _ => json!({ "n": rng.below(100) }),
    }
}

const RETRY_AFTERS: [&str; 3] = ["0", "1", "x"];
/// Success bodies that are not JSON data.
const UNREADABLE: [&str; 3] = ["", "<html>", "{"];

fn random_result(rng: &mut Rng, shape: &Value) -> Settle {
    match rng.below(14) {
        0..=4 => ok(good_data(rng, shape)),
        5 | 6 => http(500, "boom"),
        7 => http(404, ""),
        8 => http(401, ""),
        9 => http_retry_after(*rng.pick(&[408, 429, 503]), RETRY_AFTERS[rng.below(3)]),
        10 => network(),
        11 => Settle::Failed(ErrorInfo::new("TIMEOUT", "slow")),
        12 => http(*rng.pick(&[200, 204]), UNREADABLE[rng.below(3)]),
        _ => ok(rng
            .pick(&[
                json!(5),
                json!([5]),
                json!({ "items": 3 }),
                json!([{ "x": 1 }]),
            ])
            .clone()),
    }
}

/// A request the "browser" has in flight.
struct Flight {
    hash: String,
    ticket: u64,
    /// False once the engine aborted it (its answer may still arrive and must be ignored).
    live: bool,
}

struct Sim {
    s: Store,
    rng: Rng,
    specs: Vec<Spec>,
    flights: Vec<Flight>,
    observers: Vec<u32>,
    online: bool,
    now: f64,
    wake: Option<f64>,
    max_ticket: u64,
    log: Vec<String>,
}

impl Sim {
    fn fail(&self, msg: &str) -> ! {
        let tail: Vec<&String> = self.log.iter().rev().take(12).collect();
        panic!("{msg}\nlast steps (newest first):\n{tail:#?}");
    }

    fn check(&self, cond: bool, msg: impl FnOnce() -> String) {
        if !cond {
            self.fail(&msg());
        }
    }

    /// Applies the actions of an output to the simulated browser and checks it.
    fn absorb(&mut self, out: &Output) {
        for a in &out.actions {
            if matches!(a, Action::Send { .. }) {
                continue;
            }
            match a {
                Action::Abort { hash, ticket } => {
                    self.check(*ticket != 0, || format!("Abort of ticket 0 for {hash}"));
                    for f in &mut self.flights {
                        if &f.hash == hash && f.ticket == *ticket {
                            f.live = false;
                        }
                    }
                }
                Action::Fetch {
                    hash, ticket, url, ..
                } => {
                    self.check(*ticket != 0, || format!("Fetch with ticket 0 for {hash}"));
                    self.check(
                        !self.flights.iter().any(|f| f.live && &f.hash == hash),
                        || format!("a second live request for {hash} (ticket {ticket})"),
                    );
                    let spec = self.specs.iter().find(|s| s.hash == hash.as_str());
                    self.check(
                        spec.is_some_and(|s| {
                            s.source && url.as_deref() == Some(&*format!("/{hash}"))
                        }),
                        || format!("Fetch of {hash} with url {url:?}"),
                    );
                    self.max_ticket = self.max_ticket.max(*ticket);
                    self.flights.push(Flight {
                        hash: hash.clone(),
                        ticket: *ticket,
                        live: true,
                    });
                }
                _ => {}
            }
        }
        for h in &out.removed_queries {
            if let Some(i) = self.specs.iter().position(|s| s.hash == h.as_str()) {
                self.observers[i] = 0;
            }
        }
        self.check(out.wake_at == self.s.next_wake(self.now), || {
            format!(
                "wake_at {:?} != next_wake {:?}",
                out.wake_at,
                self.s.next_wake(self.now)
            )
        });
        self.check(out.wake_at.map_or(true, f64::is_finite), || {
            "non-finite wake_at".to_owned()
        });
        let text = output_json(&self.s, out, 0, self.now);
        self.check(serde_json::from_str::<Value>(&text).is_ok(), || {
            format!("bad batch {text}")
        });
        self.wake = out.wake_at;
    }

    /// The invariants every query satisfies after every step.
    fn invariants(&self) {
        for (i, spec) in self.specs.iter().enumerate() {
            let h = spec.hash;
            let Some(m) = self.s.meta(h) else {
                self.check(!self.flights.iter().any(|f| f.live && f.hash == h), || {
                    format!("{h}: a live request for a removed query")
                });
                continue;
            };
            let ctx = || format!("{h}: {m:?}");
            self.check(m.status() != Status::Error || m.error().is_some(), || {
                format!("status error without an error; {}", ctx())
            });
            self.check(m.status() == Status::Error || m.error().is_none(), || {
                format!("an error without status error; {}", ctx())
            });
            self.check(
                m.fetch_status() == FetchStatus::Idle || m.ticket() != 0,
                || format!("fetching/paused without a ticket; {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Idle || m.ticket() == 0,
                || format!("idle with a ticket (a late answer would land); {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Idle || m.retry_at().is_none(),
                || format!("idle with a retry scheduled; {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Paused || !self.online,
                || format!("paused while online; {}", ctx()),
            );
            self.check(
                m.fetch_status() != FetchStatus::Paused || m.retry_at().is_none(),
                || format!("paused with a retry scheduled; {}", ctx()),
            );
            let live = self
                .flights
                .iter()
                .filter(|f| f.live && f.hash == h)
                .collect::<Vec<_>>();
            self.check(live.len() <= 1, || {
                format!("several live requests; {}", ctx())
            });
            if let Some(f) = live.first() {
                self.check(
                    f.ticket == m.ticket()
                        && m.fetch_status() == FetchStatus::Fetching
                        && m.retry_at().is_none(),
                    || format!("live request {} does not match; {}", f.ticket, ctx()),
                );
            }
            if m.fetch_status() == FetchStatus::Fetching {
                // Either a request is out or a retry is scheduled: never stuck.
                self.check(live.len() == 1 || m.retry_at().is_some(), || {
                    format!("fetching with nothing in flight and no retry; {}", ctx())
                });
            }
            self.check(
                m.status() != Status::Success || self.s.query(h).is_some(),
                || format!("success without data; {}", ctx()),
            );
            self.check(m.status() != Status::Pending || !m.has_data(), || {
                format!("pending with data; {}", ctx())
            });
            self.check(m.observers() == self.observers[i], || {
                format!("observers {} expected {}", m.observers(), self.observers[i])
            });
            self.check((m.observers() == 0) == m.inactive_since().is_some(), || {
                format!("inactive_since disagrees with observers; {}", ctx())
            });
        }
    }

    fn step(&mut self) {
        // Time moves forward: by a random amount, or to the next wake-up.
        let before_tick_wake = self.wake;
        match (self.rng.below(3), self.wake) {
            (0, Some(w)) if w > self.now => self.now = w,
            _ => self.now += *self.rng.pick(&[0.0, 1.0, 50.0, 400.0, 1500.0, 6000.0]),
        }
        let now = self.now;
        let i = self.rng.below(self.specs.len());
        let (hash, key, shape) = {
            let sp = &self.specs[i];
            (sp.hash, sp.key.to_string(), sp.shape.clone())
        };
        let opts = self.specs[i].opts.to_string();
        let prefixes = [
            json!(["todos"]),
            json!(["todos", 1]),
            json!(["todos", { "page": 2 }]),
            json!(["users"]),
            json!(["local"]),
            json!(["nothing"]),
            json!([]),
        ];
        let prefix = self.rng.pick(&prefixes).to_string();
        let out = match self.rng.below(100) {
            0..=14 => {
                // Most observers pass the query's options; some only watch (no source), some
                // pass a different `enabled`.
                let opts = match self.rng.below(10) {
                    0 | 1 => json!({ "shape": shape }).to_string(),
                    2 => {
                        let mut o = self.specs[i].opts.clone();
                        o["enabled"] = json!(!o["enabled"].as_bool().unwrap_or(true));
                        o.to_string()
                    }
                    _ => opts,
                };
                self.log.push(format!("{now}: observe {hash} {opts}"));
                self.observers[i] += 1;
                self.s.observe(hash, &key, &opts, now).expect("observe")
            }
            15..=24 => {
                self.log.push(format!("{now}: unobserve {hash}"));
                self.observers[i] = self.observers[i].saturating_sub(1);
                self.s.unobserve(hash, now)
            }
            25..=49 => {
                if self.flights.is_empty() {
                    self.log.push(format!("{now}: tick (no flights)"));
                    self.s.tick(now)
                } else {
                    let f = self.flights.swap_remove(self.rng.below(self.flights.len()));
                    let spec_shape = self
                        .specs
                        .iter()
                        .find(|s| s.hash == f.hash)
                        .map(|s| s.shape.clone())
                        .unwrap_or(Value::Null);
                    let result = random_result(&mut self.rng, &spec_shape);
                    let random = self.rng.unit();
                    self.log.push(format!(
                        "{now}: settle {} #{} (live {}) {result:?}",
                        f.hash, f.ticket, f.live
                    ));
                    let meta_before = self.s.meta(&f.hash).cloned();
                    let data_before = self.s.read_query(&f.hash);
                    let out = self.s.settle(&f.hash, f.ticket, result, now, random);
                    if !f.live {
                        self.check(
                            out.actions.is_empty()
                                && out.states.is_empty()
                                && out.changes.is_empty()
                                && out.removed_queries.is_empty(),
                            || format!("an aborted request's answer had effects: {out:?}"),
                        );
                        self.check(
                            self.s.meta(&f.hash).cloned() == meta_before
                                && self.s.read_query(&f.hash) == data_before,
                            || "an aborted request's answer changed the query".to_owned(),
                        );
                    }
                    out
                }
            }
            50..=51 => {
                // An answer nobody asked for (a ticket never issued, or 0).
                let t = *self.rng.pick(&[0, self.max_ticket + 1000]);
                self.log.push(format!("{now}: bogus settle {hash} #{t}"));
                let before = self.s.meta(hash).cloned();
                let out = self
                    .s
                    .settle(hash, t, ok(good_data(&mut self.rng, &shape)), now, 0.5);
                self.check(self.s.meta(hash).cloned() == before, || {
                    "bogus ticket landed".to_owned()
                });
                out
            }
            52..=66 => {
                self.log.push(format!("{now}: tick"));
                let out = self.s.tick(now);
                // Nothing due before the announced wake-up is ever missed.
                if before_tick_wake.map_or(true, |w| now < w) {
                    self.check(
                        out.actions.is_empty() && out.removed_queries.is_empty(),
                        || format!("tick before wake_at {before_tick_wake:?} did work: {out:?}"),
                    );
                }
                out
            }
            67..=71 => {
                self.online = !self.online;
                self.log.push(format!("{now}: set_online {}", self.online));
                self.s.set_online(self.online, now)
            }
            72..=76 => {
                self.log.push(format!("{now}: focus"));
                self.s.focus(now)
            }
            77..=81 => {
                self.log.push(format!("{now}: invalidate {prefix}"));
                self.s.invalidate(&prefix, now).expect("invalidate")
            }
            82..=85 => {
                self.log.push(format!("{now}: refetch {prefix}"));
                self.s.refetch(&prefix, now).expect("refetch")
            }
            86..=89 => {
                self.log.push(format!("{now}: cancel {prefix}"));
                self.s.cancel(&prefix, now).expect("cancel")
            }
            90..=91 => {
                self.log.push(format!("{now}: remove {prefix}"));
                self.s.remove(&prefix, now).expect("remove")
            }
            92..=96 => {
                self.log.push(format!("{now}: fetch {hash}"));
                match self.s.fetch(hash, &key, &opts, now) {
                    Ok(out) => out,
                    Err(e) => {
                        self.check(!self.specs[i].source, || format!("fetch failed: {e}"));
                        return;
                    }
                }
            }
            _ => {
                let data = good_data(&mut self.rng, &shape);
                self.log.push(format!("{now}: put {hash} {data}"));
                let out = self
                    .s
                    .set_query_data(hash, &key, &data.to_string(), &shape.to_string(), now)
                    .expect("set_query_data");
                self.check(
                    self.s
                        .meta(hash)
                        .is_some_and(|m| m.status() == Status::Success),
                    || format!("not success after set_query_data: {:?}", self.s.meta(hash)),
                );
                out
            }
        };
        self.absorb(&out);
        self.invariants();
    }
}

#[test]
fn random_sequences_never_build_impossible_states() {
    for seed in 1..=300u64 {
        let mut rng = Rng::new(seed);
        let specs = pool(&mut rng);
        let n = specs.len();
        let mut sim = Sim {
            s: store(),
            rng,
            specs,
            flights: Vec::new(),
            observers: vec![0; n],
            online: true,
            now: T0,
            wake: None,
            max_ticket: 0,
            log: vec![format!("seed {seed}")],
        };
        for _ in 0..400 {
            sim.step();
        }
    }
}
