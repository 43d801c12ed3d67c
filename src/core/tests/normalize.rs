//! Normalization: entities are split out of responses and stored once by `(type, id)`;
//! results keep `"Type:id"` keys at the positions the shape names.

use serde_json::json;

use super::*;

#[test]
fn entity_shape_stores_the_entity_and_keeps_its_key() {
    let mut s = store();
    let data = json!({ "id": 1, "title": "Buy milk", "done": false });
    set(&mut s, "todo", data.clone(), json!("Todo"));

    assert_eq!(s.query("todo").unwrap().result, json!("Todo:1"));
    assert_eq!(record(&s, "Todo:1"), data);
    assert_eq!(read(&s, "todo"), data);
    assert_eq!(s.entity_count(), 1);
}

#[test]
fn list_shape_normalizes_every_item() {
    let mut s = store();
    let data = json!([{ "id": 1, "title": "a" }, { "id": 2, "title": "b" }]);
    set(&mut s, "todos", data.clone(), json!(["Todo"]));

    assert_eq!(
        s.query("todos").unwrap().result,
        json!(["Todo:1", "Todo:2"])
    );
    assert_eq!(record(&s, "Todo:2"), json!({ "id": 2, "title": "b" }));
    assert_eq!(read(&s, "todos"), data);
    assert_eq!(s.entity_count(), 2);
}

#[test]
fn object_shape_normalizes_named_fields_and_keeps_the_rest() {
    let mut s = store();
    let data = json!({
        "items": [{ "id": 1, "title": "a" }, { "id": 2, "title": "b" }],
        "total": 2,
        "cursor": { "next": "abc", "id": 99 }
    });
    set(
        &mut s,
        "page",
        data.clone(),
        json!({ "items": ["Todo"], "total": null }),
    );

    assert_eq!(
        s.query("page").unwrap().result,
        json!({
            "items": ["Todo:1", "Todo:2"],
            "total": 2,
            "cursor": { "next": "abc", "id": 99 }
        })
    );
    assert_eq!(read(&s, "page"), data);
    // `cursor` has an `id` but the shape does not name it: it is plain data, not an entity.
    assert_eq!(s.entity_count(), 2);
}

#[test]
fn shapes_nest_lists_and_objects_to_any_depth() {
    let mut s = store();
    let data = json!({
        "sections": [
            { "title": "Today", "rows": [[{ "id": 1 }], [{ "id": 2 }, { "id": 3 }]] },
            { "title": "Later", "rows": [] }
        ],
        "featured": { "todo": { "id": 4 }, "by": { "id": "u1", "name": "Ann" } }
    });
    let shape = json!({
        "sections": [{ "rows": [["Todo"]] }],
        "featured": { "todo": "Todo", "by": "User" }
    });
    set(&mut s, "board", data.clone(), shape);

    assert_eq!(
        s.query("board").unwrap().result,
        json!({
            "sections": [
                { "title": "Today", "rows": [["Todo:1"], ["Todo:2", "Todo:3"]] },
                { "title": "Later", "rows": [] }
            ],
            "featured": { "todo": "Todo:4", "by": "User:u1" }
        })
    );
    assert_eq!(read(&s, "board"), data);
    assert_eq!(s.entity_count(), 5);
}

#[test]
fn nested_relations_are_normalized_at_every_depth() {
    let mut s = store();
    let ann = json!({ "id": "u1", "name": "Ann" });
    let bob = json!({ "id": "u2", "name": "Bob" });
    let data = json!({
        "id": 1,
        "title": "Write tests",
        "assignee": ann,
        "comments": [
            { "id": "c1", "text": "on it", "author": ann },
            { "id": "c2", "text": "thanks", "author": bob,
              "replies": [{ "id": "c3", "text": "np", "author": ann }] }
        ]
    });
    set(&mut s, "todo", data.clone(), json!("Todo"));

    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "title": "Write tests", "assignee": "User:u1",
                "comments": ["Comment:c1", "Comment:c2"] })
    );
    assert_eq!(
        record(&s, "Comment:c2"),
        json!({ "id": "c2", "text": "thanks", "author": "User:u2", "replies": ["Comment:c3"] })
    );
    assert_eq!(
        record(&s, "Comment:c3"),
        json!({ "id": "c3", "text": "np", "author": "User:u1" })
    );
    assert_eq!(record(&s, "User:u1"), ann);
    // Ann appears three times in the response but is stored once.
    assert_eq!(s.entity_count(), 6);
    assert_eq!(read(&s, "todo"), data);
}

#[test]
fn custom_id_field() {
    let mut s = store();
    let book = json!({ "isbn": "978-0131103627", "title": "K&R", "id": "not the id" });
    set(&mut s, "book", book.clone(), json!("Book"));

    assert_eq!(
        s.query("book").unwrap().result,
        json!("Book:978-0131103627")
    );
    assert_eq!(record(&s, "Book:978-0131103627"), book);
    assert_eq!(s.read_entity("Book", "978-0131103627"), Some(book));
    assert_eq!(s.read_entity("Book", "not the id"), None);
}

#[test]
fn self_referential_type_with_finite_data() {
    let mut s = store();
    let thread = json!({
        "id": "c1", "text": "root",
        "replies": [
            { "id": "c2", "text": "first", "replies": [{ "id": "c4", "text": "deep", "replies": [] }] },
            { "id": "c3", "text": "second" }
        ]
    });
    set(&mut s, "thread", thread.clone(), json!("Comment"));

    assert_eq!(
        record(&s, "Comment:c1"),
        json!({ "id": "c1", "text": "root", "replies": ["Comment:c2", "Comment:c3"] })
    );
    assert_eq!(
        record(&s, "Comment:c2"),
        json!({ "id": "c2", "text": "first", "replies": ["Comment:c4"] })
    );
    assert_eq!(
        record(&s, "Comment:c4"),
        json!({ "id": "c4", "text": "deep", "replies": [] })
    );
    assert_eq!(read(&s, "thread"), thread);
}

#[test]
fn fields_the_shape_does_not_name_are_plain_data() {
    let mut s = store();
    // `owner` looks like a User but is not a relation of Todo; `meta` holds entity-like data.
    let data = json!({
        "id": 1,
        "owner": { "id": "u9", "name": "Zed" },
        "meta": { "tags": [{ "id": 5 }], "assignee": "User:u1" }
    });
    set(&mut s, "todo", data.clone(), json!("Todo"));

    assert_eq!(record(&s, "Todo:1"), data);
    assert!(s.entity("User:u9").is_none());
    assert_eq!(s.entity_count(), 1);
    assert_eq!(read(&s, "todo"), data);

    // A plain (null) shape stores everything as it is, whatever it looks like.
    set(
        &mut s,
        "plain",
        json!([{ "id": 1, "title": "not an entity" }, "Todo:1"]),
        json!(null),
    );
    assert_eq!(
        read(&s, "plain"),
        json!([{ "id": 1, "title": "not an entity" }, "Todo:1"])
    );
    assert_eq!(record(&s, "Todo:1"), data);
}

#[test]
fn null_is_allowed_at_entity_and_list_positions() {
    let mut s = store();
    set(&mut s, "one", json!(null), json!("Todo"));
    assert_eq!(read(&s, "one"), json!(null));

    set(&mut s, "list", json!(null), json!(["Todo"]));
    assert_eq!(read(&s, "list"), json!(null));

    set(&mut s, "obj", json!(null), json!({ "items": ["Todo"] }));
    assert_eq!(read(&s, "obj"), json!(null));

    set(
        &mut s,
        "page",
        json!({ "items": null, "best": null }),
        json!({ "items": ["Todo"], "best": "Todo" }),
    );
    assert_eq!(read(&s, "page"), json!({ "items": null, "best": null }));

    // A null item at an entity position in a query list is kept as null.
    set(&mut s, "holes", json!([null, { "id": 1 }]), json!(["Todo"]));
    assert_eq!(read(&s, "holes"), json!([null, { "id": 1 }]));

    // Relations may be null too.
    let todo = json!({ "id": 2, "assignee": null, "comments": null });
    set(&mut s, "todo", todo.clone(), json!("Todo"));
    assert_eq!(record(&s, "Todo:2"), todo);
    assert_eq!(read(&s, "todo"), todo);
    assert_eq!(s.entity_count(), 2);
}

#[test]
fn null_items_in_a_relation_list_are_dropped() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "comments": [null, { "id": "c1" }, null, { "id": "c2" }] }),
        json!("Todo"),
    );
    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "comments": ["Comment:c1", "Comment:c2"] })
    );
    assert_eq!(
        read(&s, "todo"),
        json!({ "id": 1, "comments": [{ "id": "c1" }, { "id": "c2" }] })
    );
}

#[test]
fn an_entity_in_two_queries_is_stored_once_and_updates_reach_both() {
    let mut s = store();
    set(
        &mut s,
        "todos",
        json!([{ "id": 1, "title": "a" }, { "id": 2, "title": "b" }]),
        json!(["Todo"]),
    );
    set(
        &mut s,
        "todo1",
        json!({ "id": 1, "title": "a" }),
        json!("Todo"),
    );
    assert_eq!(s.entity_count(), 2);

    update(&mut s, "Todo", json!(1), json!({ "title": "A!" }));
    assert_eq!(
        read(&s, "todos"),
        json!([{ "id": 1, "title": "A!" }, { "id": 2, "title": "b" }])
    );
    assert_eq!(read(&s, "todo1"), json!({ "id": 1, "title": "A!" }));
}

#[test]
fn a_detail_write_shows_in_the_list_query_too() {
    let mut s = store();
    set(
        &mut s,
        "todos",
        json!([{ "id": 1, "title": "a" }]),
        json!(["Todo"]),
    );
    set(
        &mut s,
        "todo1",
        json!({ "id": 1, "title": "a", "body": "details" }),
        json!("Todo"),
    );
    assert_eq!(
        read(&s, "todos"),
        json!([{ "id": 1, "title": "a", "body": "details" }])
    );
}

#[test]
fn the_same_entity_twice_in_one_response_is_merged() {
    let mut s = store();
    set(
        &mut s,
        "todos",
        json!([{ "id": 1, "title": "a" }, { "id": 1, "done": true }]),
        json!(["Todo"]),
    );
    let merged = json!({ "id": 1, "title": "a", "done": true });
    assert_eq!(record(&s, "Todo:1"), merged);
    assert_eq!(read(&s, "todos"), json!([merged, merged]));
    assert_eq!(s.entity_count(), 1);
}

#[test]
fn later_partial_write_keeps_fields_it_does_not_carry() {
    let mut s = store();
    set(
        &mut s,
        "full",
        json!({ "id": 1, "title": "a", "done": false, "assignee": { "id": "u1", "name": "Ann" },
                "comments": [{ "id": "c1" }] }),
        json!("Todo"),
    );
    set(
        &mut s,
        "partial",
        json!({ "id": 1, "done": true }),
        json!("Todo"),
    );

    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "title": "a", "done": true, "assignee": "User:u1", "comments": ["Comment:c1"] })
    );
    assert_eq!(
        read(&s, "partial"),
        json!({ "id": 1, "title": "a", "done": true, "assignee": { "id": "u1", "name": "Ann" },
                "comments": [{ "id": "c1" }] })
    );

    // A nested partial entity merges too: the user keeps `name`.
    set(
        &mut s,
        "other",
        json!({ "id": 2, "assignee": { "id": "u1", "email": "ann@x" } }),
        json!("Todo"),
    );
    assert_eq!(
        record(&s, "User:u1"),
        json!({ "id": "u1", "name": "Ann", "email": "ann@x" })
    );
}

#[test]
fn a_write_may_set_fields_to_null_and_replace_relations() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a", "assignee": { "id": "u1" }, "comments": [{ "id": "c1" }] }),
        json!("Todo"),
    );
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": null, "assignee": null, "comments": [] }),
        json!("Todo"),
    );
    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "title": null, "assignee": null, "comments": [] })
    );
    // The entities that are no longer referenced stay cached.
    assert!(s.entity("User:u1").is_some());
    assert!(s.entity("Comment:c1").is_some());
}

// ---- ids ----

#[test]
fn number_and_string_ids_name_the_same_entity() {
    let mut s = store();
    set(&mut s, "a", json!({ "id": 1, "title": "a" }), json!("Todo"));
    set(
        &mut s,
        "b",
        json!({ "id": "1", "done": true }),
        json!("Todo"),
    );

    assert_eq!(s.entity_count(), 1);
    assert_eq!(s.query("b").unwrap().result, json!("Todo:1"));
    // The id keeps the JSON type it was first stored with.
    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "title": "a", "done": true })
    );
    assert_eq!(
        read(&s, "b"),
        json!({ "id": 1, "title": "a", "done": true })
    );
    assert_eq!(
        s.read_entity("Todo", "1"),
        Some(json!({ "id": 1, "title": "a", "done": true }))
    );
}

#[test]
fn a_string_id_stored_first_stays_a_string() {
    let mut s = store();
    set(
        &mut s,
        "a",
        json!({ "id": "7", "title": "a" }),
        json!("Todo"),
    );
    set(&mut s, "b", json!({ "id": 7, "title": "b" }), json!("Todo"));
    assert_eq!(record(&s, "Todo:7"), json!({ "id": "7", "title": "b" }));
    update(&mut s, "Todo", json!(7), json!({ "done": true }));
    assert_eq!(
        record(&s, "Todo:7"),
        json!({ "id": "7", "title": "b", "done": true })
    );
}

#[test]
fn exponent_and_float_forms_of_an_integer_id_give_the_integer_key() {
    let mut s = store();
    try_set(&mut s, "a", r#"{ "id": 1e3, "title": "a" }"#, r#""Todo""#).unwrap();
    assert_eq!(s.query("a").unwrap().result, json!("Todo:1000"));
    try_set(&mut s, "b", r#"{ "id": 1000, "done": true }"#, r#""Todo""#).unwrap();
    try_set(&mut s, "c", r#"{ "id": 1000.0, "x": 1 }"#, r#""Todo""#).unwrap();
    try_set(&mut s, "d", r#"{ "id": "1000", "y": 2 }"#, r#""Todo""#).unwrap();
    assert_eq!(s.entity_count(), 1);
    let rec = s.entity("Todo:1000").unwrap().to_map();
    assert_eq!(rec["title"], json!("a"));
    assert_eq!(rec["done"], json!(true));
    assert_eq!(rec["x"], json!(1));
    assert_eq!(rec["y"], json!(2));
}

#[test]
fn other_numeric_ids_render_like_javascript() {
    let mut s = store();
    try_set(
        &mut s,
        "l",
        r#"[{ "id": -3 }, { "id": 1.5 }, { "id": 0 }, { "id": -0.0 }]"#,
        r#"["Todo"]"#,
    )
    .unwrap();
    assert_eq!(
        s.query("l").unwrap().result,
        json!(["Todo:-3", "Todo:1.5", "Todo:0", "Todo:0"])
    );
}

#[test]
fn ids_with_colons_and_unicode_are_fine() {
    let mut s = store();
    set(
        &mut s,
        "a",
        json!([{ "id": "a:b" }, { "id": "ünï" }]),
        json!(["Todo"]),
    );
    assert_eq!(
        s.query("a").unwrap().result,
        json!(["Todo:a:b", "Todo:ünï"])
    );
    assert_eq!(s.read_entity("Todo", "a:b"), Some(json!({ "id": "a:b" })));
}

/// The one-pass reader (core/ingest.rs) against the two-step path, on one text.
fn one_pass(text: &str, shape: Value) -> Option<(Value, Vec<(String, String)>)> {
    let s = store();
    let shape = s.parse_shape(&shape.to_string()).unwrap();
    crate::core::cache::ingest::read(&s.config().schema, &shape, text).map(|n| {
        let entities = n
            .entities
            .into_iter()
            .map(|(k, m)| (k, m.into_value().to_string()))
            .collect();
        (n.result, entities)
    })
}

#[test]
fn the_one_pass_reader_folds_copies_of_an_entity_into_the_first() {
    let text = r#"[{"id":1,"assignee":{"id":"u1","name":"Ada"},"comments":[null,{"id":"c1","author":{"id":"u1","email":"a@x"}}]},
                   {"id":"1","title":"t","assignee":{"id":"u1","name":"Ada L\u00e9"}}]"#;
    let (result, entities) = one_pass(text, json!(["Todo"])).expect("read in one pass");
    assert_eq!(result, json!(["Todo:1", "Todo:1"]));
    assert_eq!(
        entities,
        vec![
            (
                "User:u1".to_owned(),
                r#"{"id":"u1","name":"Ada Lé","email":"a@x"}"#.to_owned()
            ),
            (
                "Comment:c1".to_owned(),
                r#"{"id":"c1","author":"User:u1"}"#.to_owned()
            ),
            (
                "Todo:1".to_owned(),
                r#"{"id":1,"assignee":"User:u1","comments":["Comment:c1"],"title":"t"}"#.to_owned()
            ),
        ]
    );
}

#[test]
fn the_one_pass_reader_leaves_unusual_text_to_the_two_step_path() {
    // Relations in another order than declared (assignee, comments), a repeated key, errors.
    assert!(one_pass(r#"{"id":1,"comments":[],"assignee":null}"#, json!("Todo")).is_none());
    assert!(one_pass(r#"{"id":1,"title":"a","title":"b"}"#, json!("Todo")).is_none());
    assert!(one_pass(r#"{"t":1,"t":2}"#, json!({ "t": "Todo" })).is_none());
    assert!(one_pass(r#"{"title":"no id"}"#, json!("Todo")).is_none());
    assert!(one_pass(r#"[{"id":1}"#, json!(["Todo"])).is_none());
    assert!(one_pass(r#"{"id":1} x"#, json!("Todo")).is_none());
    // The store still writes them exactly as before.
    let mut s = store();
    set(
        &mut s,
        "t",
        json!({ "id": 1, "comments": [{ "id": "c1" }], "assignee": { "id": "u1" } }),
        json!("Todo"),
    );
    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "comments": ["Comment:c1"], "assignee": "User:u1" })
    );
    assert_eq!(s.entity_count(), 3);
}
