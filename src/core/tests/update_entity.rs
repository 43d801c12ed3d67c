//! `updateEntity(type, id, patch)`: merges a patch, creating the entity when it is not cached.

use serde_json::json;

use super::*;

#[test]
fn patch_merges_into_the_cached_entity() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a", "done": false }),
        json!("Todo"),
    );
    let cs = update(
        &mut s,
        "Todo",
        json!(1),
        json!({ "done": true, "note": "x" }),
    );

    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "title": "a", "done": true, "note": "x" })
    );
    assert_eq!(
        read(&s, "todo"),
        json!({ "id": 1, "title": "a", "done": true, "note": "x" })
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Todo:1"], "dependent_entities": [],
                "written_queries": [], "dependent_queries": ["todo"] })
    );
}

#[test]
fn an_uncached_entity_is_created_from_id_and_patch() {
    let mut s = store();
    let cs = update(&mut s, "Todo", json!(9), json!({ "title": "new" }));
    assert_eq!(record(&s, "Todo:9"), json!({ "id": 9, "title": "new" }));
    assert_eq!(
        s.read_entity("Todo", "9"),
        Some(json!({ "id": 9, "title": "new" }))
    );
    assert_eq!(cs.written_entities, vec!["Todo:9".to_owned()]);
    assert!(cs.dependent_queries.is_empty());

    // With a custom id field the id goes into that field; an `id` in the patch is plain data.
    update(
        &mut s,
        "Book",
        json!("isbn-1"),
        json!({ "title": "T", "id": 3 }),
    );
    assert_eq!(
        record(&s, "Book:isbn-1"),
        json!({ "isbn": "isbn-1", "title": "T", "id": 3 })
    );

    // An empty patch creates a bare entity.
    update(&mut s, "User", json!("u1"), json!({}));
    assert_eq!(record(&s, "User:u1"), json!({ "id": "u1" }));
}

#[test]
fn the_id_argument_may_be_a_number_or_a_string() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a" }),
        json!("Todo"),
    );
    update(&mut s, "Todo", json!("1"), json!({ "title": "b" }));
    // Same entity, and its id stays the number it was first stored as.
    assert_eq!(record(&s, "Todo:1"), json!({ "id": 1, "title": "b" }));
    assert_eq!(s.entity_count(), 1);
}

#[test]
fn a_patch_with_relation_fields_normalizes_the_nested_entities() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a" }),
        json!("Todo"),
    );
    let cs = update(
        &mut s,
        "Todo",
        json!(1),
        json!({
            "assignee": { "id": "u1", "name": "Ann" },
            "comments": [{ "id": "c1", "text": "hi", "author": { "id": "u2", "name": "Bob" } }]
        }),
    );

    assert_eq!(
        record(&s, "Todo:1"),
        json!({ "id": 1, "title": "a", "assignee": "User:u1", "comments": ["Comment:c1"] })
    );
    assert_eq!(record(&s, "User:u1"), json!({ "id": "u1", "name": "Ann" }));
    assert_eq!(
        record(&s, "Comment:c1"),
        json!({ "id": "c1", "text": "hi", "author": "User:u2" })
    );
    assert_eq!(
        read(&s, "todo"),
        json!({ "id": 1, "title": "a", "assignee": { "id": "u1", "name": "Ann" },
                "comments": [{ "id": "c1", "text": "hi", "author": { "id": "u2", "name": "Bob" } }] })
    );
    assert_eq!(
        summary(&cs),
        json!({ "written_entities": ["Comment:c1", "Todo:1", "User:u1", "User:u2"],
                "dependent_entities": [], "written_queries": [], "dependent_queries": ["todo"] })
    );
}

#[test]
fn a_patch_repeating_the_same_id_is_accepted() {
    let mut s = store();
    update(&mut s, "Todo", json!(1), json!({ "id": 1, "title": "a" }));
    update(&mut s, "Todo", json!(1), json!({ "id": "1", "title": "b" }));
    update(
        &mut s,
        "Book",
        json!("x"),
        json!({ "isbn": "x", "title": "c" }),
    );
    assert_eq!(record(&s, "Todo:1"), json!({ "id": 1, "title": "b" }));
    assert_eq!(record(&s, "Book:x"), json!({ "isbn": "x", "title": "c" }));
}

#[test]
fn a_patch_changing_the_id_is_invalid_and_writes_nothing() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a" }),
        json!("Todo"),
    );
    let e = expect_err(
        try_update(&mut s, "Todo", "1", r#"{ "id": 2, "title": "b" }"#),
        "INVALID_ARGUMENT",
    );
    assert!(e.to_string().contains("id"), "message: {e}");
    expect_err(
        try_update(&mut s, "Todo", "1", r#"{ "id": null }"#),
        "INVALID_ARGUMENT",
    );
    expect_err(
        try_update(&mut s, "Book", r#""x""#, r#"{ "isbn": "y" }"#),
        "INVALID_ARGUMENT",
    );

    assert_eq!(record(&s, "Todo:1"), json!({ "id": 1, "title": "a" }));
    assert!(s.entity("Todo:2").is_none());
    assert!(s.entity("Book:x").is_none());
    assert!(s.entity("Book:y").is_none());
}

#[test]
fn a_patch_with_the_same_values_reports_nothing() {
    let mut s = store();
    set(
        &mut s,
        "todo",
        json!({ "id": 1, "title": "a", "assignee": { "id": "u1" } }),
        json!("Todo"),
    );
    let cs = update(
        &mut s,
        "Todo",
        json!(1),
        json!({ "title": "a", "assignee": { "id": "u1" } }),
    );
    assert!(cs.is_empty(), "{cs:?}");
    assert_eq!(summary(&cs), summary(&ChangeSet::default()));
}
