//! Bad input: every mistake is a typed error with a stable code, nothing is written, and the
//! store keeps working afterwards.

use serde_json::{json, Value};

use super::*;

const SEED: &str = "seed";

/// A store holding one query (`seed`: two todos assigned to u1).
fn seeded() -> Store {
    let mut s = store();
    set(&mut s, SEED, seed_data(), json!(["Todo"]));
    s
}

fn seed_data() -> Value {
    json!([{ "id": 1, "title": "a", "assignee": { "id": "u1", "name": "Ann" } }, { "id": 2, "title": "b" }])
}

/// The earlier data is intact, a following valid write succeeds, and change tracking works.
#[track_caller]
fn assert_still_works(s: &mut Store, entity_count: usize) {
    assert_eq!(read(s, SEED), seed_data());
    assert_eq!(
        s.entity_count(),
        entity_count,
        "a failed write must not add entities"
    );
    let cs = set(s, "after", json!({ "id": 2, "title": "B" }), json!("Todo"));
    assert_eq!(sorted(&cs.written_entities), vec!["Todo:2"]);
    assert_eq!(cs.written_queries, vec!["after".to_owned()]);
    assert_eq!(cs.dependent_queries, vec![SEED.to_owned()]);
    assert_eq!(read(s, "after"), json!({ "id": 2, "title": "B" }));
    let cs = update(s, "User", json!("u1"), json!({ "name": "Ann B." }));
    assert_eq!(cs.dependent_queries, vec![SEED.to_owned()]);
}

#[test]
fn query_key_must_be_a_non_empty_array() {
    for key in [
        "{}",
        "[]",
        "\"todos\"",
        "nope",
        "",
        "null",
        "5",
        "[\"unclosed\"",
    ] {
        let mut s = seeded();
        let e = expect_err(
            s.set_query_data("bad", key, r#"{"id": 9}"#, r#""Todo""#, 0.0),
            "INVALID_ARGUMENT",
        );
        assert!(
            e.to_string().contains("queryKey"),
            "message for {key:?}: {e}"
        );
        assert!(s.query("bad").is_none());
        assert!(s.entity("Todo:9").is_none());
        assert_still_works(&mut s, 3);
    }
}

#[test]
fn data_that_is_not_json_is_invalid_argument() {
    let mut s = seeded();
    let e = expect_err(
        try_set(&mut s, "bad", "{ id: 1 }", r#""Todo""#),
        "INVALID_ARGUMENT",
    );
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    expect_err(try_set(&mut s, "bad", "", r#""Todo""#), "INVALID_ARGUMENT");
    assert_still_works(&mut s, 3);
}

#[test]
fn data_not_an_object_where_the_shape_expects_an_entity_or_object() {
    for (data, shape) in [
        ("[{\"id\": 9}]", "\"Todo\""),
        ("\"Todo:1\"", "\"Todo\""),
        ("9", "\"Todo\""),
        ("true", "\"Todo\""),
        ("[]", "{\"items\": [\"Todo\"]}"),
        ("\"x\"", "{\"items\": [\"Todo\"]}"),
        ("{\"page\": 3}", "{\"page\": {\"items\": [\"Todo\"]}}"),
        ("[[{\"id\": 9}]]", "[\"Todo\"]"),
    ] {
        let mut s = seeded();
        let e = expect_err(try_set(&mut s, "bad", data, shape), "SHAPE");
        assert!(
            e.to_string().contains("expected"),
            "message for {data}: {e}"
        );
        assert!(s.query("bad").is_none());
        assert_still_works(&mut s, 3);
    }
}

#[test]
fn data_not_an_array_where_the_shape_expects_a_list() {
    for (data, shape) in [
        ("{\"id\": 9}", "[\"Todo\"]"),
        ("\"a\"", "[\"Todo\"]"),
        ("{\"items\": {\"id\": 9}}", "{\"items\": [\"Todo\"]}"),
        ("{\"items\": 3}", "{\"items\": [null]}"),
    ] {
        let mut s = seeded();
        let e = expect_err(try_set(&mut s, "bad", data, shape), "SHAPE");
        assert!(e.to_string().contains("a list"), "message for {data}: {e}");
        assert_still_works(&mut s, 3);
    }
}

#[test]
fn relation_fields_that_do_not_fit_the_schema() {
    for data in [
        r#"{"id": 9, "assignee": [{"id": "u1"}]}"#,
        r#"{"id": 9, "assignee": "User:u1"}"#,
        r#"{"id": 9, "assignee": "u1"}"#,
        r#"{"id": 9, "comments": {"id": "c1"}}"#,
        r#"{"id": 9, "comments": ["Comment:c1"]}"#,
        r#"{"id": 9, "comments": [[{"id": "c1"}]]}"#,
    ] {
        let mut s = seeded();
        expect_err(try_set(&mut s, "bad", data, "\"Todo\""), "SHAPE");
        assert!(s.entity("Todo:9").is_none());
        assert_still_works(&mut s, 3);
    }
}

#[test]
fn an_entity_needs_a_string_or_number_id() {
    for (data, shape) in [
        (r#"{"title": "no id"}"#, "\"Todo\""),
        (r#"{"id": {"n": 1}}"#, "\"Todo\""),
        (r#"{"id": true}"#, "\"Todo\""),
        (r#"{"id": null}"#, "\"Todo\""),
        (r#"{"id": [1]}"#, "\"Todo\""),
        (r#"{"id": "978", "title": "isbn is the id"}"#, "\"Book\""),
        (r#"{"id": 9, "assignee": {"name": "no id"}}"#, "\"Todo\""),
    ] {
        let mut s = seeded();
        let e = expect_err(try_set(&mut s, "bad", data, shape), "SHAPE");
        assert!(e.to_string().contains("id"), "message for {data}: {e}");
        assert_still_works(&mut s, 3);
    }
}

#[test]
fn error_messages_say_where_the_problem_is() {
    let mut s = store();
    let e = expect_err(
        try_set(
            &mut s,
            "bad",
            r#"{"items": [{"id": 1}, {"id": 2, "comments": [{"x": 1}]}]}"#,
            r#"{"items": ["Todo"]}"#,
        ),
        "SHAPE",
    );
    assert!(e.to_string().contains("data.items[1].comments[0]"), "{e}");
    let e = expect_err(
        try_set(&mut s, "bad", r#"{"items": {}}"#, r#"{"items": ["Todo"]}"#),
        "SHAPE",
    );
    assert!(e.to_string().contains("data.items"), "{e}");
}

#[test]
fn unknown_entity_type_in_a_shape() {
    for shape in [
        "\"Nope\"",
        "[\"Nope\"]",
        "{\"a\": {\"b\": [\"Nope\"]}}",
        "\"todo\"",
    ] {
        let mut s = seeded();
        let e = expect_err(try_set(&mut s, "bad", r#"{"id": 1}"#, shape), "SHAPE");
        assert!(
            e.to_string().contains("unknown entity type"),
            "message for {shape}: {e}"
        );
        // Even null data (which would need no entity) is refused with a bad shape.
        expect_err(try_set(&mut s, "bad", "null", shape), "SHAPE");
        assert!(s.query("bad").is_none());
        assert_still_works(&mut s, 3);
    }
}

#[test]
fn malformed_shapes() {
    for shape in [
        "[\"Todo\", \"User\"]",
        "[]",
        "[null, null]",
        "5",
        "true",
        "not json",
        "",
    ] {
        let mut s = seeded();
        expect_err(try_set(&mut s, "bad", "[]", shape), "SHAPE");
        assert!(s.query("bad").is_none());
        assert_still_works(&mut s, 3);
    }
    let mut s = seeded();
    let e = expect_err(
        try_set(&mut s, "bad", "[]", "[\"Todo\", \"Todo\"]"),
        "SHAPE",
    );
    assert!(e.to_string().contains("2 elements"), "{e}");
}

#[test]
fn relation_to_an_undeclared_type_is_refused_at_store_creation() {
    for entities in [
        json!({ "Todo": { "relations": { "assignee": "User" } } }),
        json!({ "Todo": { "relations": { "tags": ["Tag"] } } }),
        json!({ "Todo": { "relations": { "self": "todo" } } }),
    ] {
        let r = Store::from_options_json(&json!({ "entities": entities }).to_string());
        let e = expect_err(r, "INVALID_ARGUMENT");
        assert!(e.to_string().contains("unknown entity type"), "{e}");
    }
}

#[test]
fn prototype_named_keys_are_plain_data() {
    let mut s = store();
    let todo = json!({
        "id": 1,
        "__proto__": { "polluted": true },
        "constructor": "c",
        "prototype": [1, 2],
        "nested": { "__proto__": null, "constructor": { "prototype": {} } }
    });
    set(&mut s, "todo", todo.clone(), json!("Todo"));
    assert_eq!(record(&s, "Todo:1"), todo);
    assert_eq!(read(&s, "todo"), todo);

    let plain = json!({ "__proto__": { "x": 1 }, "constructor": 2, "prototype": 3 });
    set(&mut s, "plain", plain.clone(), json!(null));
    assert_eq!(read(&s, "plain"), plain);

    // Also as names in an object shape, and as ids.
    let page =
        json!({ "__proto__": [{ "id": "__proto__" }], "constructor": { "id": "constructor" } });
    set(
        &mut s,
        "page",
        page.clone(),
        json!({ "__proto__": ["Todo"], "constructor": "Todo" }),
    );
    assert_eq!(read(&s, "page"), page);
    assert_eq!(
        s.query("page").unwrap().result,
        json!({ "__proto__": ["Todo:__proto__"], "constructor": "Todo:constructor" })
    );

    update(&mut s, "Todo", json!(2), json!({ "__proto__": { "a": 1 } }));
    assert_eq!(
        record(&s, "Todo:2"),
        json!({ "id": 2, "__proto__": { "a": 1 } })
    );
}

fn deep_array(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

fn deep_object(n: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))
}

#[test]
fn data_nested_ten_thousand_levels_is_refused_without_overflow() {
    for data in [
        deep_array(10_000),
        deep_object(10_000),
        format!("{{\"id\": 1, \"x\": {}}}", deep_array(10_000)),
    ] {
        for shape in ["null", "\"Todo\"", "[\"Todo\"]"] {
            let mut s = seeded();
            let e = expect_err(try_set(&mut s, "bad", &data, shape), "INVALID_ARGUMENT");
            assert!(e.to_string().contains("nests deeper"), "{e}");
            assert_still_works(&mut s, 3);
        }
    }
}

#[test]
fn deep_nesting_elsewhere_is_refused_without_overflow() {
    let deep = deep_array(10_000);
    let mut s = seeded();
    let e = expect_err(
        s.set_query_data("bad", &deep, "null", "null", 0.0),
        "INVALID_ARGUMENT",
    );
    assert!(e.to_string().contains("nests deeper"), "{e}");
    let e = expect_err(try_set(&mut s, "bad", "null", &deep), "SHAPE");
    assert!(e.to_string().contains("nests deeper"), "{e}");
    let e = expect_err(
        try_update(&mut s, "Todo", "1", &format!("{{\"x\": {deep}}}")),
        "INVALID_ARGUMENT",
    );
    assert!(e.to_string().contains("nests deeper"), "{e}");
    expect_err(try_update(&mut s, "Todo", &deep, "{}"), "INVALID_ARGUMENT");
    let e = expect_err(
        Store::from_options_json(&format!("{{\"name\": {deep}}}")),
        "INVALID_ARGUMENT",
    );
    assert!(e.to_string().contains("nests deeper"), "{e}");
    assert_still_works(&mut s, 3);
}

#[test]
fn data_nested_just_under_the_limit_is_accepted() {
    let mut s = store();
    let data = format!("{{\"id\": 1, \"x\": {}}}", deep_array(100));
    try_set(&mut s, "deep", &data, "\"Todo\"").unwrap();
    let v = read(&s, "deep");
    let mut x = &v["x"];
    for _ in 0..99 {
        x = &x[0];
    }
    assert_eq!(*x, json!([]));
}

#[test]
fn a_failed_write_writes_nothing_at_all() {
    let mut s = store();
    let e = expect_err(
        try_set(
            &mut s,
            "todos",
            r#"[{"id": 1, "title": "a"}, {"id": 2, "title": "b"}, {"title": "no id"}]"#,
            r#"["Todo"]"#,
        ),
        "SHAPE",
    );
    assert!(e.to_string().contains("data[2]"), "{e}");
    assert!(s.entity("Todo:1").is_none());
    assert!(s.entity("Todo:2").is_none());
    assert_eq!(s.entity_count(), 0);
    assert!(s.query("todos").is_none());
    assert_eq!(s.read_query("todos"), None);
}

#[test]
fn a_failed_rewrite_keeps_the_old_result_and_entities() {
    let mut s = seeded();
    // The first item would change Todo:1 and the user, the second fails deep inside.
    expect_err(
        try_set(
            &mut s,
            SEED,
            r#"[{"id": 1, "title": "CHANGED", "assignee": {"id": "u1", "name": "CHANGED"}},
                {"id": 3, "comments": [{"id": "c1"}, {"id": "c2", "author": {"name": "no id"}}]}]"#,
            r#"["Todo"]"#,
        ),
        "SHAPE",
    );
    assert!(s.entity("Todo:3").is_none());
    assert!(s.entity("Comment:c1").is_none());
    assert_still_works(&mut s, 3);
}

#[test]
fn a_failed_update_entity_writes_nothing() {
    let mut s = seeded();
    // The patched entity itself must not be created or changed when a nested entity fails.
    expect_err(
        try_update(
            &mut s,
            "Todo",
            "1",
            r#"{"title": "CHANGED", "comments": [{"id": "c1"}, {"text": "no id"}]}"#,
        ),
        "SHAPE",
    );
    expect_err(
        try_update(&mut s, "Todo", "7", r#"{"assignee": {"name": "no id"}}"#),
        "SHAPE",
    );
    expect_err(
        try_update(&mut s, "Todo", "7", r#"{"assignee": 5}"#),
        "SHAPE",
    );
    assert!(s.entity("Todo:7").is_none());
    assert!(s.entity("Comment:c1").is_none());
    assert_still_works(&mut s, 3);
}

#[test]
fn update_entity_argument_errors() {
    let mut s = seeded();
    let e = expect_err(try_update(&mut s, "Nope", "1", "{}"), "INVALID_ARGUMENT");
    assert!(e.to_string().contains("unknown entity type"), "{e}");
    for id in ["true", "null", "{}", "[1]", "not json"] {
        expect_err(try_update(&mut s, "Todo", id, "{}"), "INVALID_ARGUMENT");
    }
    for patch in ["[]", "null", "\"title\"", "3", "{ title: 1 }"] {
        expect_err(try_update(&mut s, "Todo", "1", patch), "INVALID_ARGUMENT");
    }
    assert_still_works(&mut s, 3);
}
