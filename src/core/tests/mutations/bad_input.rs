//! Bad input: invalid descriptions are refused without a trace, and answers that cannot be read
//! settle cleanly.

use crate::core::tests::support::mutations::*;

#[test]
fn invalid_descriptions_are_refused_without_a_trace() {
    let update = |op: Value| json!({ "request": { "method": "PATCH", "url": "/tasks/1" }, "optimistic": [op] });
    let good_op = json!({ "op": "update", "type": "Task", "id": 1, "patch": { "title": "x" } });
    let cases: Vec<(&str, String)> = vec![
        ("unknown type", update(json!({ "op": "update", "type": "Nope", "id": 1, "patch": {} })).to_string()),
        ("no type", update(json!({ "op": "update", "id": 1, "patch": {} })).to_string()),
        ("missing id", update(json!({ "op": "update", "type": "Task", "patch": { "title": "x" } })).to_string()),
        ("null id", update(json!({ "op": "update", "type": "Task", "id": null, "patch": {} })).to_string()),
        ("object id", update(json!({ "op": "update", "type": "Task", "id": { "a": 1 }, "patch": {} })).to_string()),
        ("bool id", update(json!({ "op": "update", "type": "Task", "id": true, "patch": {} })).to_string()),
        ("delete without id", update(json!({ "op": "delete", "type": "Task" })).to_string()),
        ("patch a string", update(json!({ "op": "update", "type": "Task", "id": 1, "patch": "x" })).to_string()),
        ("patch a list", update(json!({ "op": "update", "type": "Task", "id": 1, "patch": [1] })).to_string()),
        ("patch missing", update(json!({ "op": "update", "type": "Task", "id": 1 })).to_string()),
        ("unknown op", update(json!({ "op": "upsert", "type": "Task", "id": 1, "patch": {} })).to_string()),
        ("no op", update(json!({ "type": "Task", "id": 1, "patch": {} })).to_string()),
        ("op not an object", update(json!("update")).to_string()),
        ("insert without data", update(json!({ "op": "insert", "type": "Task" })).to_string()),
        ("insert data a list", update(json!({ "op": "insert", "type": "Task", "data": [1] })).to_string()),
        ("into not a list", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": { "hash": LIST } })).to_string()),
        ("into without hash", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": [{ "position": "end" }] })).to_string()),
        ("bad position", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": [{ "hash": LIST, "position": "middle" }] })).to_string()),
        ("bad path", update(json!({ "op": "insert", "type": "Task", "data": { "id": "t" }, "into": [{ "hash": LIST, "path": 5 }] })).to_string()),
        ("valid op then a bad one", json!({ "request": { "url": "/tasks/1" }, "optimistic": [good_op, { "op": "bogus" }] }).to_string()),
        ("optimistic not a list", json!({ "request": { "url": "/tasks/1" }, "optimistic": good_op }).to_string()),
        ("unknown option", with(patch_title(1, "x"), json!({ "retries": 3 })).to_string()),
        ("bad conflict", with(patch_title(1, "x"), json!({ "conflict": "theirs" })).to_string()),
        ("bad retry", with(patch_title(1, "x"), json!({ "retry": -1 })).to_string()),
        ("bad retryDelay", with(patch_title(1, "x"), json!({ "retryDelay": "soon" })).to_string()),
        ("bad timeout", with(patch_title(1, "x"), json!({ "timeout": -5 })).to_string()),
        ("invalidate not a list", with(patch_title(1, "x"), json!({ "invalidate": "tasks" })).to_string()),
        ("invalidate entry not a key", with(patch_title(1, "x"), json!({ "invalidate": ["tasks"] })).to_string()),
        ("no request", json!({ "optimistic": [good_op] }).to_string()),
        ("request not an object", json!({ "request": "/tasks/1" }).to_string()),
        ("empty url", json!({ "request": { "url": "" } }).to_string()),
        ("bad method", json!({ "request": { "method": "FETCH", "url": "/x" } }).to_string()),
        ("unknown request field", json!({ "request": { "url": "/x", "query": 1 } }).to_string()),
        ("header not a string", json!({ "request": { "url": "/x", "headers": { "X-A": 1 } } }).to_string()),
        ("not an object", "[1]".to_owned()),
        ("not JSON", "{\"request\":".to_owned()),
    ];
    for (what, desc) in cases {
        let mut s = seeded();
        let before_list = read(&s, LIST);
        let before_count = s.entity_count();
        let e = expect_err(s.mutate("m1", &desc, T0), "INVALID_ARGUMENT");
        assert!(!e.to_string().is_empty(), "{what}");
        assert!(s.mutation_list().is_empty(), "{what}: listed");
        assert_eq!(read(&s, LIST), before_list, "{what}: visible state changed");
        assert_eq!(s.entity_count(), before_count, "{what}: entities added");
        assert_eq!(sync(&s)["pending"], 0, "{what}");
        // The id is free and the store works.
        let out = mutate(&mut s, "m1", patch_title(1, "ok"), T0 + 1.0);
        assert_eq!(one_send(&out).id, "m1", "{what}");
        assert_eq!(task(&s, "1")["title"], "ok", "{what}");
    }
}

#[test]
fn a_mutation_id_in_use_is_refused() {
    let mut s = seeded();
    mutate_sent(&mut s, "m1", patch_title(1, "a"), T0);
    expect_err(
        s.mutate("m1", &patch_title(2, "b").to_string(), T0),
        "INVALID_ARGUMENT",
    );
    assert_eq!(task(&s, "2")["title"], "two");
    assert_eq!(s.mutation_list().len(), 1);
}

#[test]
fn insert_data_without_an_id_is_refused_without_a_trace() {
    let mut s = seeded();
    let before = read(&s, LIST);
    let desc = insert_desc(json!({ "title": "no id" }), json!([{ "hash": LIST }]));
    let r = s.mutate("m1", &desc.to_string(), T0);
    assert!(r.is_err(), "{r:?}");
    assert!(s.mutation_list().is_empty());
    assert_eq!(read(&s, LIST), before);
    // A relation that is not an entity is refused the same way.
    let r = s.mutate(
        "m1",
        &patch_desc(1, json!({ "assignee": 5 })).to_string(),
        T0,
    );
    assert!(r.is_err(), "{r:?}");
    assert!(s.mutation_list().is_empty());
    assert_eq!(read(&s, LIST), before);
}

#[test]
fn a_server_error_page_fails_cleanly_after_retries() {
    let html = "<!doctype html><html><body><h1>500 Internal Server Error</h1></body></html>";
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "retry": 1, "retryDelay": 10, "shape": "Task" }),
    );
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    no_send(&answer(&mut s, &s1, http(500, html), T0 + 1.0));
    let s2 = one_send(&s.tick(T0 + 1000.0));
    let out = answer(&mut s, &s2, http(500, html), T0 + 1001.0);
    let e = settled_err(&out, "m1");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(500)));
    assert_eq!(e.body.as_deref(), Some(html));
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    let out = mutate(&mut s, "m2", patch_title(2, "b"), T0 + 1002.0);
    assert_eq!(one_send(&out).id, "m2");
}

#[test]
fn a_success_body_that_is_not_json_settles_parse_but_keeps_the_ops() {
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let out = answer(&mut s, &sent, http(200, "<html>saved</html>"), T0 + 1.0);
    assert_eq!(settled_err(&out, "m1").code, "PARSE");
    assert!(s.mutation_list().is_empty());
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn a_success_that_does_not_fit_the_shape_settles_shape_but_keeps_the_ops() {
    for body in [json!([1, 2]), json!({ "title": "no id" }), json!("ok")] {
        let mut s = seeded();
        let desc = with(patch_title(1, "local"), json!({ "shape": "Task" }));
        let sent = mutate_sent(&mut s, "m1", desc, T0);
        mutate(
            &mut s,
            "m2",
            patch_desc(1, json!({ "note": "later" })),
            T0 + 1.0,
        );
        let out = answer(&mut s, &sent, ok(body.clone()), T0 + 2.0);
        assert_eq!(settled_err(&out, "m1").code, "SHAPE", "{body}");
        assert_eq!(status(&s, "m1"), None, "{body}");
        let s2 = one_send(&out);
        assert_eq!(task(&s, "1")["title"], "local");
        // The ops are committed: m2's rollback keeps them.
        answer(&mut s, &s2, http(400, ""), T0 + 3.0);
        assert_eq!(task(&s, "1")["title"], "local", "{body}");
        assert_eq!(task(&s, "1")["note"], "n1", "{body}");
    }
}

#[test]
fn deleting_an_entity_that_is_not_cached_is_fine() {
    let mut s = seeded();
    let count = s.entity_count();
    let out = mutate(&mut s, "m1", delete_desc(99), T0);
    let sent = one_send(&out);
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("DELETE", "/tasks/99")
    );
    assert_eq!(sent.header("If-Match"), None);
    assert_eq!(s.read_entity("Task", "99"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    let out = answer(&mut s, &sent, http(404, ""), T0 + 1.0);
    assert_eq!(settled_err(&out, "m1").code, "HTTP");
    assert_eq!(
        s.read_entity("Task", "99"),
        None,
        "the rollback creates nothing"
    );
    assert_eq!(s.entity_count(), count);
    let sent = mutate_sent(&mut s, "m2", delete_desc(99), T0 + 2.0);
    let out = answer(&mut s, &sent, http(204, ""), T0 + 3.0);
    assert_eq!(settled(&out), vec![("m2".to_owned(), Ok(Value::Null))]);
    assert_eq!(s.read_entity("Task", "99"), None);
    assert_eq!(s.entity_count(), count);
}
