//! A failed fetch: which errors retry (on the same ticket, with backoff and Retry-After), which
//! are final at once, and that old data stays visible.

use crate::core::retry;
use crate::core::tests::support::queries::*;

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
    let t = fetching(&mut s, "todos", json!({ "retry": 3 }));
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
        let t = fetching(&mut s, "q", json!({ "retry": 1 }));
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
    let t = fetching(&mut s, "q", json!({ "retryDelay": 1000 }));
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
    let t = fetching(&mut s, "q", json!({ "retry": 3 }));
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
    let t = fetching(&mut s, "q", json!({ "retry": 2 }));
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
    let t = fetching(&mut s, "q", json!({ "retry": 1 }));
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
        let t = fetching(&mut s, "q", json!({ "retry": 3 }));
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
    let t = fetching(&mut s, "q", json!({ "retry": 0 }));
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
