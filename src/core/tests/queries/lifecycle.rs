//! The query lifecycle: a new observer fetches, later observers and fetchQuery join the fetch in
//! flight, fresh data is not refetched and stale data is revalidated while it stays visible.

use crate::core::tests::support::queries::*;

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
    let t = fetching(&mut s, "todos", json!({}));
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
    let t = fetching(&mut s, "todos", json!({}));
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
    let t = fetching(&mut s, "todos", json!({ "shape": ["Todo"] }));
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
