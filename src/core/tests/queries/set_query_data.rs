//! setQueryData through the lifecycle: the query is successful and fresh, an error is cleared,
//! and identical fresh data notifies nobody.

use crate::core::tests::support::queries::*;

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
    let t = fetching(&mut s, "q", json!({ "retry": 0 }));
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

#[test]
fn set_queries_data_writes_each_query_through_its_own_shape_in_one_call() {
    let mut s = store();
    let opts = url_opts("todos", json!({ "shape": ["Todo"] }));
    loaded(
        &mut s,
        "todos",
        opts,
        json!([{ "id": 1, "title": "a" }]),
        T0,
    );
    put(
        &mut s,
        "one",
        json!({ "id": 1, "title": "a" }),
        json!("Todo"),
        T0,
    );
    let items = json!([
        ["todos", ["todos"], [{ "id": 1, "title": "b" }, { "id": 2, "title": "c" }]],
        ["one", ["one"], { "id": 1, "title": "b" }],
        ["new", ["new"], { "plain": true }]
    ]);
    let out = must(
        s.set_queries_data(&items.to_string(), T0 + 1.0),
        "set_queries_data",
    );
    // `one`'s result (a reference to Todo:1) is unchanged: it is told through the entity.
    assert_eq!(sorted(&out.states), ["new", "todos"]);
    assert!(out.changes.queries().any(|h| h == "one"));
    assert!(s.entity("Todo:2").is_some(), "normalized through ['Todo']");
    assert_eq!(read(&s, "one"), json!({ "id": 1, "title": "b" }));
    assert_eq!(read(&s, "new"), json!({ "plain": true }));
    assert_eq!(meta(&s, "new").status(), Status::Success);
    // One item that does not fit its shape: nothing is written.
    let bad = json!([["one", ["one"], { "id": 1, "title": "x" }], ["todos", ["todos"], { "no": "list" }]]);
    expect_err(s.set_queries_data(&bad.to_string(), T0 + 2.0), "SHAPE");
    assert_eq!(read(&s, "one")["title"], json!("b"));
}
