//! A removed query that something observes starts again as a new query; `resetQueries`;
//! `initialData` and `initialDataUpdatedAt`.

use crate::core::tests::support::queries::*;

#[test]
fn removing_an_observed_query_starts_it_again_and_fetches() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"] }));
    loaded(&mut s, "todos", opts, json!([{ "id": 1 }]), T0);
    let out = remove(&mut s, json!(["todos"]), T0 + 1.0);
    // The JS side drops the old data and takes the new state in the same batch.
    assert_eq!(out.removed_queries, ["todos"]);
    assert_eq!(out.removed_entities, ["Todo:1"]);
    assert_eq!(out.states, ["todos"]);
    let m = meta(&s, "todos");
    assert_eq!(
        (m.status(), m.fetch_status()),
        (Status::Pending, FetchStatus::Fetching)
    );
    assert_eq!((m.observers(), m.data_updated_at()), (1, 0.0));
    assert!(s.query("todos").is_none());
    let t = ticket(&out, "todos");
    settle(&mut s, "todos", t, ok(json!([{ "id": 2 }])), T0 + 2.0);
    assert_eq!(read(&s, "todos"), json!([{ "id": 2 }]));
    // It is still observed: the last observer leaving starts the gc clock as before.
    s.unobserve("todos", T0 + 3.0);
    assert_eq!(meta(&s, "todos").inactive_since(), Some(T0 + 3.0));
}

#[test]
fn removing_an_observed_query_aborts_its_fetch_and_a_disabled_one_waits() {
    let mut s = store();
    let t = fetching(&mut s, "slow", json!({}));
    let out = remove(&mut s, json!(["slow"]), T0 + 1.0);
    assert_eq!(aborts(&out), [("slow".to_owned(), t)]);
    let t2 = ticket(&out, "slow");
    assert!(t2 > t);
    // The aborted answer is dropped; the new fetch's lands.
    assert!(settle(&mut s, "slow", t, ok(json!(1)), T0 + 2.0)
        .states
        .is_empty());
    settle(&mut s, "slow", t2, ok(json!(2)), T0 + 2.0);
    assert_eq!(read(&s, "slow"), json!(2));

    let off = url_opts("off", json!({ "enabled": false }));
    observe(&mut s, "off", off, T0);
    put(&mut s, "off", json!(1), json!(null), T0);
    let out = remove(&mut s, json!(["off"]), T0 + 3.0);
    no_fetch(&out);
    assert_eq!(meta(&s, "off").status(), Status::Pending);
}

#[test]
fn reset_goes_back_to_a_new_state_and_refetches_the_active_ones() {
    let mut s = store();
    loaded(&mut s, "a", url_opts("a", json!({})), json!(1), T0);
    loaded(&mut s, "b", url_opts("b", json!({})), json!(2), T0);
    s.unobserve("b", T0);
    let out = s.settle("a", 0, http(500, ""), T0, R); // an old ticket: dropped
    assert!(out.states.is_empty());
    let out = must(s.reset(&json!({}).to_string(), "[]", T0 + 1.0), "reset");
    assert_eq!(sorted(&out.removed_queries), ["a", "b"]);
    assert_eq!(fetched_hashes(&out), ["a"], "only the active one refetches");
    let b = meta(&s, "b");
    assert_eq!(
        (b.status(), b.fetch_status(), b.observers()),
        (Status::Pending, FetchStatus::Idle, 0)
    );
    assert!(s.query("b").is_none());
    assert_eq!(
        b.inactive_since(),
        Some(T0 + 1.0),
        "kept until gc, as a new query"
    );
}

#[test]
fn reset_writes_the_initial_data_the_wrapper_passes() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"], "staleTime": 1000 }));
    loaded(&mut s, "todos", opts, json!([{ "id": 1 }, { "id": 2 }]), T0);
    let initial = json!([["todos", [{ "id": 1, "title": "initial" }], T0 - 5000.0]]);
    let out = must(s.reset("[]", &initial.to_string(), T0 + 1.0), "reset");
    assert!(
        out.removed_queries.is_empty(),
        "the result was replaced, not dropped"
    );
    assert_eq!(out.removed_entities, ["Todo:2"]);
    assert_eq!(read(&s, "todos"), json!([{ "id": 1, "title": "initial" }]));
    let m = meta(&s, "todos");
    assert_eq!(
        (m.status(), m.data_updated_at()),
        (Status::Success, T0 - 5000.0)
    );
    assert_eq!(fetched_hashes(&out), ["todos"]);
    let bad = json!([["todos", { "id": 1 }, null]]).to_string();
    expect_err(s.reset("[]", &bad, T0 + 2.0), "SHAPE");
}

#[test]
fn initial_data_makes_a_new_query_successful_and_fresh_as_of_its_time() {
    let mut s = store();
    let opts = url_opts(
        "todo",
        json!({ "shape": "Todo", "staleTime": 1000, "initialData": { "id": 1, "title": "x" } }),
    );
    let out = observe(&mut s, "todo", opts.clone(), T0);
    no_fetch(&out);
    assert_eq!(meta(&s, "todo").status(), Status::Success);
    assert_eq!(meta(&s, "todo").data_updated_at(), T0);
    assert_eq!(read(&s, "todo"), json!({ "id": 1, "title": "x" }));
    assert!(s.entity("Todo:1").is_some(), "normalized like a response");
    // A second observer with other initial data changes nothing: the query exists.
    let other = with(opts, json!({ "initialData": { "id": 2 } }));
    observe(&mut s, "todo", other, T0 + 1.0);
    assert_eq!(read(&s, "todo"), json!({ "id": 1, "title": "x" }));

    // Older than staleTime: shown, and fetched at once.
    let old = url_opts(
        "old",
        json!({ "initialData": [1], "initialDataUpdatedAt": T0 - 2000.0, "staleTime": 1000 }),
    );
    let out = observe(&mut s, "old", old, T0);
    assert_eq!(fetched_hashes(&out), ["old"]);
    assert_eq!(meta(&s, "old").status(), Status::Success);
    assert_eq!(read(&s, "old"), json!([1]));
}

#[test]
fn initial_data_that_does_not_fit_is_refused_whole() {
    let mut s = store();
    let opts = url_opts(
        "todo",
        json!({ "shape": "Todo", "initialData": { "title": "no id" } }),
    );
    expect_err(
        s.observe("todo", &key_for("todo"), &opts.to_string(), T0),
        "SHAPE",
    );
    assert!(s.meta("todo").is_none() && s.query("todo").is_none());
    let opts = url_opts(
        "t",
        json!({ "initialData": 1, "initialDataUpdatedAt": "now" }),
    );
    expect_err(
        s.observe("t", &key_for("t"), &opts.to_string(), T0),
        "INVALID_ARGUMENT",
    );
    // fetchQuery takes it too: fresh initial data is the answer without a request.
    let opts = url_opts("f", json!({ "initialData": 7, "staleTime": 1000 }));
    no_fetch(&fetch_query(&mut s, "f", opts, T0));
    assert_eq!(read(&s, "f"), json!(7));
}
