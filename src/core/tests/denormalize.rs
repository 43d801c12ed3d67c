//! Reading back: entities expanded, cycles and over-deep chains cut with id-only stubs.

use serde_json::{json, Value};

use super::*;
use crate::core::cache::denormalize::MAX_ENTITY_DEPTH;

#[test]
fn unknown_queries_and_entities_read_as_none() {
    let s = store();
    assert_eq!(s.read_query("nope"), None);
    assert_eq!(s.read_entity("Todo", "1"), None);
    assert_eq!(s.read_entity("Nope", "1"), None);
    assert!(s.query("nope").is_none());
    assert!(s.entity("Todo:1").is_none());
}

#[test]
fn read_entity_expands_relations() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "assignee": { "id": "u1", "name": "Ann" }, "comments": [{ "id": "c1", "author": { "id": "u1" } }] }),
        json!("Todo"),
    );
    assert_eq!(
        s.read_entity("Todo", "1"),
        Some(json!({ "id": 1, "assignee": { "id": "u1", "name": "Ann" },
                     "comments": [{ "id": "c1", "author": { "id": "u1", "name": "Ann" } }] }))
    );
    assert_eq!(
        s.read_entity("Comment", "c1"),
        Some(json!({ "id": "c1", "author": { "id": "u1", "name": "Ann" } }))
    );
}

#[test]
fn a_cycle_is_cut_with_a_stub_holding_only_the_id() {
    let mut s = store();
    set(
        &mut s,
        "user",
        json!({ "id": "u1", "name": "Ann", "todos": [
            { "id": "t1", "title": "a", "assignee": { "id": "u1" } },
            { "id": "t2", "title": "b", "assignee": { "id": "u1" } }
        ] }),
        json!("User"),
    );
    assert_eq!(
        read(&s, "user"),
        json!({ "id": "u1", "name": "Ann", "todos": [
            { "id": "t1", "title": "a", "assignee": { "id": "u1" } },
            { "id": "t2", "title": "b", "assignee": { "id": "u1" } }
        ] })
    );
    assert_eq!(
        s.read_entity("Todo", "t1"),
        Some(json!({ "id": "t1", "title": "a", "assignee": {
            "id": "u1", "name": "Ann", "todos": [
                { "id": "t1" },
                { "id": "t2", "title": "b", "assignee": { "id": "u1" } }
            ] } }))
    );
}

#[test]
fn a_cycle_stub_uses_the_custom_id_field() {
    let mut s =
        store_with(json!({ "Person": { "id": "pid", "relations": { "friend": "Person" } } }));
    set(
        &mut s,
        "p",
        json!({ "pid": 1, "name": "A", "friend": { "pid": 2, "name": "B", "friend": { "pid": 1 } } }),
        json!("Person"),
    );
    assert_eq!(
        read(&s, "p"),
        json!({ "pid": 1, "name": "A", "friend": { "pid": 2, "name": "B", "friend": { "pid": 1 } } })
    );
    assert_eq!(
        s.read_entity("Person", "2"),
        Some(
            json!({ "pid": 2, "name": "B", "friend": { "pid": 1, "name": "A", "friend": { "pid": 2 } } })
        )
    );
}

#[test]
fn an_entity_reached_twice_off_the_path_is_expanded_both_times() {
    let mut s = store();
    let ann = json!({ "id": "u1", "name": "Ann" });
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "assignee": ann, "comments": [{ "id": "c1", "author": ann }, { "id": "c2", "author": ann }] }),
        json!("Todo"),
    );
    let v = read(&s, "todo");
    assert_eq!(v["assignee"], ann);
    assert_eq!(v["comments"][0]["author"], ann);
    assert_eq!(v["comments"][1]["author"], ann);
}

#[test]
fn plain_strings_that_look_like_keys_are_not_expanded() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "User:u1" }),
        json!("Todo"),
    );
    set(&mut s, "user", json!({ "id": "u1" }), json!("User"));
    set(
        &mut s,
        "plain",
        json!({ "ref": "Todo:1" }),
        json!({ "other": "Todo" }),
    );
    assert_eq!(read(&s, "todo"), json!({ "id": 1, "title": "User:u1" }));
    assert_eq!(read(&s, "plain"), json!({ "ref": "Todo:1" }));
}

/// Builds Node:0 -> Node:1 -> ... -> Node:`n` with one `update_entity` per link.
fn chain(s: &mut Store, n: usize) {
    for i in 0..n {
        update(
            s,
            "Node",
            json!(i),
            json!({ "name": format!("n{i}"), "next": { "id": i + 1 } }),
        );
    }
}

#[test]
fn a_long_chain_reads_without_overflow_and_is_stubbed_after_max_depth() {
    let mut s = store();
    chain(&mut s, 200);
    assert_eq!(s.entity_count(), 201);
    assert_eq!(
        record(&s, "Node:5"),
        json!({ "id": 5, "name": "n5", "next": "Node:6" })
    );

    set(&mut s, "head", json!({ "id": 0 }), json!("Node"));
    for v in [read(&s, "head"), s.read_entity("Node", "0").unwrap()] {
        let mut node = &v;
        for i in 0..MAX_ENTITY_DEPTH {
            assert_eq!(node["id"], json!(i));
            assert_eq!(
                node["name"],
                json!(format!("n{i}")),
                "node {i} should be expanded"
            );
            node = &node["next"];
        }
        assert_eq!(
            *node,
            json!({ "id": MAX_ENTITY_DEPTH }),
            "node {MAX_ENTITY_DEPTH} should be a stub"
        );
    }

    // Reading from the middle starts a fresh depth count.
    let mid = s.read_entity("Node", "150").unwrap();
    let mut node = &mid;
    for _ in 0..50 {
        node = &node["next"];
    }
    assert_eq!(
        *node,
        json!({ "id": 200 }),
        "the last node has no fields but its id"
    );
}

#[test]
fn a_change_at_the_end_of_a_long_chain_reports_every_node_before_it() {
    let mut s = store();
    chain(&mut s, 200);
    set(&mut s, "head", json!({ "id": 0 }), json!("Node"));
    set(&mut s, "tail", json!({ "id": 195 }), json!("Node"));
    let cs = update(&mut s, "Node", json!(199), json!({ "name": "last" }));
    assert_eq!(cs.written_entities, vec!["Node:199".to_owned()]);
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..199).map(|i| format!("Node:{i}")).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&cs.dependent_entities), expected);
    // Node 199 is past the depth limit when reading from the head, but it is reachable, so
    // the head query is still reported (conservatively).
    assert_eq!(sorted(&cs.dependent_queries), vec!["head", "tail"]);
    assert_eq!(
        read(&s, "tail")["next"]["next"]["next"]["next"]["name"],
        json!("last")
    );
}

#[test]
fn a_long_cycle_reads_without_overflow() {
    let mut s = store();
    chain(&mut s, 99);
    update(&mut s, "Node", json!(99), json!({ "next": { "id": 0 } }));
    let v = s.read_entity("Node", "10").unwrap();
    let mut node: &Value = &v;
    for _ in 0..MAX_ENTITY_DEPTH {
        node = &node["next"];
    }
    assert_eq!(*node, json!({ "id": (10 + MAX_ENTITY_DEPTH) % 100 }));
    let cs = update(&mut s, "Node", json!(0), json!({ "name": "zero" }));
    assert_eq!(cs.dependent_entities.len(), 99);
}

#[test]

fn a_densely_linked_graph_reads_in_bounded_size() {
    let mut s = store_with(json!({ "Person": { "relations": { "friends": ["Person"] } } }));
    let k = 9;
    for i in 0..k {
        let friends: Vec<Value> = (0..k)
            .filter(|j| *j != i)
            .map(|j| json!({ "id": j }))
            .collect();
        update(
            &mut s,
            "Person",
            json!(i),
            json!({ "name": format!("p{i}"), "friends": friends }),
        );
    }
    let size = s.read_entity("Person", "0").unwrap().to_string().len();
    // 9 people with 8 friends each: the normalized data is well under 1 KB.
    assert!(
        size < 100_000,
        "reading 9 mutual friends produced {size} bytes of JSON"
    );
}
