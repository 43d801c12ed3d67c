//! The JSON batch one write sends to JS: `{ e, d, q, dq }`.

use serde_json::{json, Value};

use super::*;
use crate::core::batch::to_json;

fn batch(s: &Store, cs: &ChangeSet) -> Value {
    let text = to_json(s, cs, 0);
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("batch is not JSON ({e}): {text}"));
    let obj = v.as_object().expect("batch is an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["d", "dq", "e", "q"]);
    v
}

/// Sorts the top-level lists so assertions do not depend on touch order.
fn normalized(mut v: Value) -> Value {
    for k in ["e", "d", "q", "dq"] {
        let list = v[k].as_array_mut().expect("a list");
        list.sort_by_key(|x| x.to_string());
    }
    v
}

#[test]
fn a_query_write_carries_records_and_the_normalized_result() {
    let mut s = store();
    let cs = set(
        &mut s,
        "page",
        json!({ "items": [{ "id": 1, "title": "a", "assignee": { "id": "u1", "name": "Ann" } }], "total": 1 }),
        json!({ "items": ["Todo"], "total": null }),
    );
    assert_eq!(
        normalized(batch(&s, &cs)),
        json!({
            "e": [
                ["Todo:1", { "id": 1, "title": "a", "assignee": "User:u1" }],
                ["User:u1", { "id": "u1", "name": "Ann" }]
            ],
            "d": [],
            "q": [["page", { "items": ["Todo"], "total": null }, { "items": ["Todo:1"], "total": 1 }]],
            "dq": []
        })
    );
}

#[test]
fn an_entity_update_carries_the_record_and_dependents() {
    let mut s = store();
    set(
        &mut s,
        "todos",
        json!([{ "id": 1, "assignee": { "id": "u1" } }]),
        json!(["Todo"]),
    );
    set(&mut s, "other", json!([{ "id": 2 }]), json!(["Todo"]));
    let cs = update(&mut s, "User", json!("u1"), json!({ "name": "Ann" }));
    assert_eq!(
        normalized(batch(&s, &cs)),
        json!({
            "e": [["User:u1", { "id": "u1", "name": "Ann" }]],
            "d": ["Todo:1"],
            "q": [],
            "dq": ["todos"]
        })
    );
}

#[test]
fn an_empty_change_set_is_an_empty_batch() {
    let mut s = store();
    set(&mut s, "todo", json!({ "id": 1 }), json!("Todo"));
    let cs = set(&mut s, "todo", json!({ "id": 1 }), json!("Todo"));
    assert_eq!(
        batch(&s, &cs),
        json!({ "e": [], "d": [], "q": [], "dq": [] })
    );
    assert_eq!(
        batch(&s, &ChangeSet::default()),
        json!({ "e": [], "d": [], "q": [], "dq": [] })
    );
}

#[test]
fn awkward_strings_survive_the_round_trip() {
    let mut s = store();
    let title = "quote \" backslash \\ newline \n tab \t unicode ünï 😀 nul \u{0}";
    let cs = set(
        &mut s,
        "todo \"1\"",
        json!({ "id": "a\"b", "title": title }),
        json!("Todo"),
    );
    let v = batch(&s, &cs);
    assert_eq!(
        v["e"][0],
        json!(["Todo:a\"b", { "id": "a\"b", "title": title }])
    );
    assert_eq!(v["q"][0][0], json!("todo \"1\""));
}

#[test]
fn the_hand_written_batch_is_the_text_serde_json_writes() {
    let mut s = store();
    let data = json!([
        { "id": 1, "title": "quote \" backslash \\ slash / nl \n cr \r tab \t bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f}",
          "done": true, "n": -42, "big": 18446744073709551615u64, "neg": -9223372036854775808i64,
          "f": 1.5, "tiny": 1e-300, "huge": 1.7976931348623157e308, "negf": -0.0, "whole": 1e3,
          "nested": { "a": [null, false, [], {}], "ü": "é 🦀" },
          "assignee": { "id": "u\"1", "name": "Ann" } },
        { "id": "2", "comments": [{ "id": "c1", "author": { "id": "u\"1" } }] }
    ]);
    let cs = set(&mut s, "todos", data, json!(["Todo"]));
    let serde_text = serde_json::to_string(&crate::core::batch::build(&s, &cs)).unwrap();
    assert_eq!(to_json(&s, &cs, 0), serde_text);
    // With gone entities and dependents too.
    let cs = update(
        &mut s,
        "User",
        json!("u\"1"),
        json!({ "name": "Bo\u{2028}" }),
    );
    let serde_text = serde_json::to_string(&crate::core::batch::build(&s, &cs)).unwrap();
    assert_eq!(to_json(&s, &cs, 0), serde_text);
}
