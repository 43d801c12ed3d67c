//! Calls by key prefix: invalidate marks stale and refetches the active queries, cancel aborts,
//! remove drops the queries and the entities only they referenced.

use crate::core::query::filter::key_has_prefix;
use crate::core::tests::support::queries::*;

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
    let t = fetching(&mut s, "q", json!({}));
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
    let t = fetching(&mut s, "q", json!({ "retry": 3 }));
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
    s.unobserve("todos", T0);

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
    let bad_filters = [
        "\"todos\"",
        "5",
        "null",
        "not json",
        r#"{"queryKey":"todos"}"#,
        r#"{"queryKey":["todos"],"nope":1}"#,
    ];
    for bad in bad_filters {
        expect_err(s.invalidate(bad, T0), "INVALID_ARGUMENT");
        expect_err(s.refetch(bad, T0), "INVALID_ARGUMENT");
        expect_err(s.cancel(bad, T0), "INVALID_ARGUMENT");
        expect_err(s.remove(bad, T0), "INVALID_ARGUMENT");
    }
    assert!(s.meta("todos").is_some());
}
