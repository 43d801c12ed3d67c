//! Temporary ids: an insert's answer names the real id, which replaces the temporary one in lists
//! and in the later mutations that name it; a failed insert fails them.

use crate::core::tests::support::mutations::*;

fn insert_with_shape(tmp: &str, into: Value) -> Value {
    with(
        insert_desc(json!({ "id": tmp, "title": "new" }), into),
        json!({ "shape": "Task" }),
    )
}

#[test]
fn an_insert_answered_with_the_real_id_keeps_its_place_and_later_edits_follow() {
    let mut s = seeded_with_page();
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"] }
    ]);
    let s1 = mutate_sent(&mut s, "m1", insert_with_shape("tmp-a", into), T0);
    let edit = json!({
        "request": { "method": "PATCH", "url": "/tasks/tmp-a", "body": { "title": "edited", "ref": "tmp-a" } },
        "optimistic": [{ "op": "update", "type": "Task", "id": "tmp-a", "patch": { "title": "edited" } }]
    });
    no_send(&mutate(&mut s, "m2", edit, T0 + 1.0));
    let out = answer(
        &mut s,
        &s1,
        ok(json!({ "id": 10, "title": "new", "version": 1 })),
        T0 + 2.0,
    );
    assert!(matches!(out.settled.as_slice(), [(id, Ok(v))] if id == "m1" && v["id"] == 10));
    assert_eq!(s.read_entity("Task", "tmp-a"), None);
    assert_eq!(ids(&s, LIST), vec![json!(10), json!(1), json!(2), json!(3)]);
    assert_eq!(ids(&s, PAGE), vec![json!(1), json!(2), json!(3), json!(10)]);
    let t = task(&s, "10");
    assert_eq!(
        (t["title"].clone(), t["version"].clone()),
        (json!("edited"), json!(1))
    );
    let s2 = one_send(&out);
    assert_eq!(s2.url, "/tasks/10");
    assert_eq!(s2.body, Some(json!({ "title": "edited", "ref": "10" })));
    // The later edit fails: exactly the server's entity under the real id.
    answer(&mut s, &s2, http(400, ""), T0 + 3.0);
    assert_eq!(
        task(&s, "10"),
        json!({ "id": 10, "title": "new", "version": 1 })
    );
    assert_eq!(ids(&s, LIST), vec![json!(10), json!(1), json!(2), json!(3)]);
    assert_eq!(s.read_entity("Task", "tmp-a"), None);
}

#[test]
fn a_failed_insert_fails_the_mutations_that_name_its_temporary_id() {
    let mut s = seeded();
    let s1 = mutate_sent(
        &mut s,
        "m1",
        insert_with_shape("tmp-a", json!([{ "hash": LIST }])),
        T0,
    );
    let edit = json!({
        "request": { "method": "PATCH", "url": "/tasks/tmp-a", "body": { "title": "edited" } },
        "optimistic": [{ "op": "update", "type": "Task", "id": "tmp-a", "patch": { "title": "edited" } }]
    });
    mutate(&mut s, "m2", edit, T0 + 1.0);
    mutate(&mut s, "m3", patch_title(1, "other"), T0 + 2.0);
    let out = answer(&mut s, &s1, http(422, ""), T0 + 3.0);
    let mut got = settled(&out);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![
            ("m1".to_owned(), Err("HTTP".to_owned())),
            ("m2".to_owned(), Err("CONFLICT".to_owned()))
        ]
    );
    assert_eq!(one_send(&out).id, "m3", "an unrelated mutation goes on");
    assert_eq!(s.read_entity("Task", "tmp-a"), None);
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(task(&s, "1")["title"], "other");
}

#[test]
fn a_list_that_already_holds_the_real_entity_shows_it_once_after_the_rename() {
    let mut s = seeded();
    let s1 = mutate_sent(
        &mut s,
        "m1",
        insert_with_shape("tmp-a", json!([{ "hash": LIST, "position": "start" }])),
        T0,
    );
    // The server created it and a refetch lands before the POST's answer.
    let mut server = seed_tasks();
    if let Some(a) = server.as_array_mut() {
        a.push(json!({ "id": 10, "title": "new", "version": 1 }));
    }
    put(&mut s, LIST, server, list_shape(), T0 + 1.0);
    answer(
        &mut s,
        &s1,
        ok(json!({ "id": 10, "title": "new", "version": 1 })),
        T0 + 2.0,
    );
    let tens = ids(&s, LIST).iter().filter(|id| **id == json!(10)).count();
    assert_eq!(tens, 1, "the list shows {:?}", ids(&s, LIST));
}

#[test]
fn a_response_naming_the_updated_entity_does_not_rename_the_inserted_one() {
    let mut s = seeded();
    let desc = json!({
        "request": { "method": "PATCH", "url": "/tasks/1", "body": { "title": "x" } },
        "optimistic": [
            { "op": "update", "type": "Task", "id": 1, "patch": { "title": "x" } },
            { "op": "insert", "type": "Task", "data": { "id": "tmp-a", "title": "new", "extra": "tmp only" },
              "into": [{ "hash": LIST }] }
        ],
        "shape": "Task"
    });
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    answer(&mut s, &sent, ok(server_task("x", "n1", 2)), T0 + 1.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-a")]
    );
    assert_eq!(
        s.read_entity("Task", "tmp-a").map(|t| t["title"].clone()),
        Some(json!("new"))
    );
    assert_eq!(
        task(&s, "1").get("extra"),
        None,
        "Task:1 took the new task's fields"
    );
}

// ---------------------------------------------------------------------------------------------
// Whole values only (issue 13, items 3 and 4)

/// A later mutation that names `tmp` (or things that only look like it) in its url and body.
fn later(url: &str, body: Value) -> Value {
    json!({ "request": { "method": "PATCH", "url": url, "body": body } })
}

#[test]
fn a_temporary_id_is_replaced_only_where_it_stands_whole() {
    let mut s = seeded();
    let s1 = mutate_sent(
        &mut s,
        "m1",
        insert_with_shape("tmp-1", json!([{ "hash": LIST }])),
        T0,
    );
    let body = json!({ "a": "xtmp-1", "b": "tmp-1", "c": ["tmp-1", "tmp-10"], "d": 1 });
    no_send(&mutate(
        &mut s,
        "m2",
        later("/v1/tasks/tmp-1?parent=tmp-1&x=tmp-10&tmp-1=y", body),
        T0 + 1.0,
    ));
    no_send(&mutate(
        &mut s,
        "m3",
        later("/v1/items/tmp-10", json!("tmp-1x")),
        T0 + 2.0,
    ));
    let out = answer(
        &mut s,
        &s1,
        ok(json!({ "id": 77, "title": "new" })),
        T0 + 3.0,
    );
    let s2 = one_send(&out);
    assert_eq!(s2.url, "/v1/tasks/77?parent=77&x=tmp-10&tmp-1=y");
    assert_eq!(
        s2.body,
        Some(json!({ "a": "xtmp-1", "b": "77", "c": ["77", "tmp-10"], "d": 1 }))
    );
    let out = answer(&mut s, &s2, ok(json!({})), T0 + 4.0);
    let s3 = one_send(&out);
    assert_eq!(
        s3.url, "/v1/items/tmp-10",
        "another id that starts the same is left alone"
    );
    assert_eq!(s3.body, Some(json!("tmp-1x")));
}

#[test]
fn an_empty_insert_id_is_refused() {
    let mut s = seeded();
    let desc = insert_with_shape("", json!([{ "hash": LIST }]));
    let e = expect_err(s.mutate("m1", &desc.to_string(), T0), "INVALID_ARGUMENT");
    assert!(e.to_string().contains("store.tempId()"), "{e}");
    assert!(s.queue().list().is_empty());
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
}

#[test]
fn an_id_of_the_apps_own_is_never_renamed() {
    let mut s = seeded();
    let s1 = mutate_sent(
        &mut s,
        "m1",
        insert_with_shape("1x", json!([{ "hash": LIST }])),
        T0,
    );
    no_send(&mutate(
        &mut s,
        "m2",
        later("/v1/items/1x0", json!({ "ref": "x1x" })),
        T0 + 1.0,
    ));
    let out = answer(
        &mut s,
        &s1,
        ok(json!({ "id": 77, "title": "new" })),
        T0 + 2.0,
    );
    let s2 = one_send(&out);
    assert_eq!(s2.url, "/v1/items/1x0");
    assert_eq!(s2.body, Some(json!({ "ref": "x1x" })));
    assert!(s.read_entity("Task", "1x").is_some(), "the app's id stays");
}

#[test]
fn a_temporary_id_names_one_insert() {
    let mut s = seeded();
    let s1 = mutate_sent(
        &mut s,
        "m1",
        insert_with_shape("tmp-a", json!([{ "hash": LIST }])),
        T0,
    );
    let again = insert_with_shape("tmp-a", json!([{ "hash": LIST }]));
    let e = expect_err(
        s.mutate("m2", &again.to_string(), T0 + 1.0),
        "INVALID_ARGUMENT",
    );
    assert!(e.to_string().contains("m1"), "{e}");
    // Two temp ids: two entities, each in its place, after answers 5 and 6.
    no_send(&mutate(
        &mut s,
        "m3",
        insert_with_shape("tmp-b", json!([{ "hash": LIST }])),
        T0 + 2.0,
    ));
    let out = answer(&mut s, &s1, ok(json!({ "id": 5, "title": "a" })), T0 + 3.0);
    let s3 = one_send(&out);
    answer(&mut s, &s3, ok(json!({ "id": 6, "title": "b" })), T0 + 4.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!(5), json!(6)]
    );
    assert_eq!(task(&s, "5")["title"], "a");
    assert_eq!(task(&s, "6")["title"], "b");
}
