//! `inspect()`: entities with the queries that show them (directly and through relations,
//! cycles included), and the optimistic layers of pending mutations.

use serde_json::json;

use super::{must, set, store};

#[test]
fn an_entity_is_shown_by_the_queries_that_reach_it() {
    let mut s = store();
    set(
        &mut s,
        "todos",
        json!([{ "id": 1, "assignee": { "id": "u1", "todos": [{ "id": 1 }] } }]),
        json!(["Todo"]),
    );
    set(&mut s, "me", json!({ "id": "u1" }), json!("User"));
    set(&mut s, "books", json!([{ "isbn": "b1" }]), json!(["Book"]));
    let mut shown = s.inspect();
    // In no order (the wrapper sorts): sorted here to compare.
    if let Some(list) = shown["entities"].as_array_mut() {
        for e in list.iter_mut() {
            if let Some(qs) = e[1].as_array_mut() {
                qs.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
        list.sort_by(|a, b| a[0].as_str().cmp(&b[0].as_str()));
    }
    assert_eq!(
        shown["entities"],
        json!([
            ["Book:b1", ["books"]],
            // the cycle Todo:1 <-> User:u1: each is shown by both queries
            ["Todo:1", ["me", "todos"]],
            ["User:u1", ["me", "todos"]]
        ])
    );
    assert_eq!(shown["layers"], json!([]));
}

#[test]
fn a_pending_mutation_lists_its_layer() {
    let mut s = store();
    set(
        &mut s,
        "todos",
        json!([{ "id": 1, "title": "a" }]),
        json!(["Todo"]),
    );
    let desc = json!({
        "request": { "method": "PATCH", "url": "/todos/1", "body": { "title": "b" } },
        "optimistic": [{ "op": "update", "type": "Todo", "id": 1, "patch": { "title": "b" } }]
    });
    must(s.mutate("m1", &desc.to_string(), 0.0), "mutate");
    let shown = s.inspect();
    assert_eq!(
        shown["layers"],
        json!([{ "id": "m1", "active": true, "writes": [["Todo:1", { "id": 1, "title": "b" }]], "inserts": [] }])
    );
}
