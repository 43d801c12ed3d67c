//! The insert op: the item shows at the start or end of its lists (also lists that arrive later or
//! are refetched), inserts stack in queue order, and each rollback removes exactly its item.

use crate::core::tests::support::mutations::*;

#[test]
fn an_insert_appears_at_the_start_or_end_and_the_rollback_removes_it() {
    let mut s = seeded_with_page();
    let data = json!({ "id": "tmp-1", "title": "new", "done": false,
                       "assignee": { "id": "u9", "name": "Nine" } });
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"], "position": "end" }
    ]);
    let out = mutate(&mut s, "m1", insert_desc(data, into), T0);
    assert_eq!(
        sorted(&out.changes.written_queries),
        vec![PAGE.to_owned(), LIST.to_owned()]
    );
    assert!(out
        .changes
        .written_entities
        .contains(&"Task:tmp-1".to_owned()));
    assert!(out.changes.written_entities.contains(&"User:u9".to_owned()));
    assert_eq!(
        ids(&s, LIST),
        vec![json!("tmp-1"), json!(1), json!(2), json!(3)]
    );
    assert_eq!(
        ids(&s, PAGE),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    assert_eq!(read(&s, LIST)[0]["assignee"]["name"], "Nine");
    assert_eq!(read(&s, PAGE)["total"], 3);
    let sent = one_send(&out);
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str()),
        ("POST", "/tasks")
    );

    let out = answer(&mut s, &sent, http(422, ""), T0 + 1.0);
    assert_eq!(
        sorted(&out.changes.written_queries),
        vec![PAGE.to_owned(), LIST.to_owned()]
    );
    assert_eq!(read(&s, LIST), seed_tasks());
    assert_eq!(ids(&s, PAGE), vec![json!(1), json!(2), json!(3)]);
    assert_eq!(s.read_entity("Task", "tmp-1"), None);
    assert_eq!(s.read_entity("User", "u9"), None);
}

#[test]
fn an_insert_path_may_be_a_field_name_and_defaults_to_the_end() {
    let mut s = seeded_with_page();
    let into = json!([{ "hash": PAGE, "path": "items" }, { "hash": LIST }]);
    let out = mutate(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "n" }), into),
        T0,
    );
    assert_eq!(
        ids(&s, PAGE),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
    // A path that leads nowhere is skipped.
    mutate(
        &mut s,
        "m2",
        insert_desc(
            json!({ "id": "tmp-2", "title": "n" }),
            json!([{ "hash": PAGE, "path": ["nope"] }, { "hash": LIST, "path": ["x"] }]),
        ),
        T0,
    );
    assert_eq!(ids(&s, PAGE).len(), 4);
    assert_eq!(ids(&s, LIST).len(), 4);
    assert_eq!(task(&s, "tmp-2")["title"], "n");
    let sent = one_send(&out);
    answer(&mut s, &sent, http(200, ""), T0 + 1.0);
    assert_eq!(
        ids(&s, PAGE),
        vec![json!(1), json!(2), json!(3), json!("tmp-1")]
    );
}

#[test]
fn inserts_stack_in_queue_order_and_each_rolls_back_alone() {
    let mut s = seeded();
    let ins = |id: &str, pos: &str| {
        insert_desc(
            json!({ "id": id, "title": id }),
            json!([{ "hash": LIST, "position": pos }]),
        )
    };
    let s1 = mutate_sent(&mut s, "m1", ins("a", "start"), T0);
    mutate(&mut s, "m2", ins("b", "start"), T0);
    mutate(&mut s, "m3", ins("c", "end"), T0);
    assert_eq!(
        ids(&s, LIST),
        vec![
            json!("b"),
            json!("a"),
            json!(1),
            json!(2),
            json!(3),
            json!("c")
        ]
    );
    // m1 commits, m2 fails, m3 commits.
    let s2 = one_send(&answer(&mut s, &s1, http(201, ""), T0 + 1.0));
    assert_eq!(
        ids(&s, LIST),
        vec![
            json!("b"),
            json!("a"),
            json!(1),
            json!(2),
            json!(3),
            json!("c")
        ]
    );
    let s3 = one_send(&answer(&mut s, &s2, http(400, ""), T0 + 2.0));
    assert_eq!(
        ids(&s, LIST),
        vec![json!("a"), json!(1), json!(2), json!(3), json!("c")]
    );
    answer(&mut s, &s3, http(201, ""), T0 + 3.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!("a"), json!(1), json!(2), json!(3), json!("c")]
    );
    assert_eq!(s.read_entity("Task", "b"), None);
}

#[test]
fn a_refetch_during_a_pending_insert_keeps_the_item_on_the_new_server_list() {
    let mut s = seeded_with_page();
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"], "position": "end" }
    ]);
    let sent = mutate_sent(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "new" }), into),
        T0,
    );
    let server = json!([
        { "id": 3, "title": "three (server)", "version": 2 },
        { "id": 4, "title": "four", "version": 1 }
    ]);
    let out = put(&mut s, LIST, server.clone(), list_shape(), T0 + 1.0);
    assert!(out.changes.written_queries.contains(&LIST.to_owned()));
    assert_eq!(ids(&s, LIST), vec![json!("tmp-1"), json!(3), json!(4)]);
    assert_eq!(read(&s, LIST)[1]["title"], "three (server)");
    put(
        &mut s,
        PAGE,
        json!({ "items": server, "total": 2 }),
        page_shape(),
        T0 + 1.0,
    );
    assert_eq!(ids(&s, PAGE), vec![json!(3), json!(4), json!("tmp-1")]);
    assert_eq!(read(&s, PAGE)["total"], 2);

    // Committed: it stays until the server's own list replaces it.
    let out = answer(&mut s, &sent, http(201, ""), T0 + 2.0);
    assert!(out.changes.written_queries.is_empty(), "{:?}", out.changes);
    assert_eq!(ids(&s, LIST), vec![json!("tmp-1"), json!(3), json!(4)]);
    put(
        &mut s,
        LIST,
        json!([{ "id": 3, "title": "three (server)" }, { "id": 5, "title": "new" }]),
        list_shape(),
        T0 + 3.0,
    );
    assert_eq!(ids(&s, LIST), vec![json!(3), json!(5)]);
}

#[test]
fn a_rolled_back_insert_leaves_exactly_the_refetched_lists() {
    let mut s = seeded_with_page();
    let into = json!([
        { "hash": LIST, "position": "start" },
        { "hash": PAGE, "path": ["items"], "position": "start" }
    ]);
    let sent = mutate_sent(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "new" }), into),
        T0,
    );
    let server = json!([{ "id": 3, "title": "three (server)" }, { "id": 4, "title": "four" }]);
    put(&mut s, LIST, server.clone(), list_shape(), T0 + 1.0);
    put(
        &mut s,
        PAGE,
        json!({ "items": server, "total": 2 }),
        page_shape(),
        T0 + 1.0,
    );
    assert_eq!(ids(&s, PAGE), vec![json!("tmp-1"), json!(3), json!(4)]);
    let out = answer(&mut s, &sent, http(400, ""), T0 + 2.0);
    assert_eq!(
        sorted(&out.changes.written_queries),
        vec![PAGE.to_owned(), LIST.to_owned()]
    );
    assert_eq!(ids(&s, LIST), vec![json!(3), json!(4)]);
    assert_eq!(ids(&s, PAGE), vec![json!(3), json!(4)]);
    assert_eq!(read(&s, PAGE)["total"], 2);
    assert_eq!(s.read_entity("Task", "tmp-1"), None);
}

#[test]
fn an_insert_into_a_list_that_arrives_later_shows_on_it() {
    let mut s = new_store();
    let into = json!([{ "hash": LIST, "position": "start" }]);
    mutate_sent(
        &mut s,
        "m1",
        insert_desc(json!({ "id": "tmp-1", "title": "new" }), into),
        T0,
    );
    put(&mut s, LIST, seed_tasks(), list_shape(), T0 + 1.0);
    assert_eq!(
        ids(&s, LIST),
        vec![json!("tmp-1"), json!(1), json!(2), json!(3)],
        "visible = base + the pending layers"
    );
}

#[test]
fn removing_the_list_keeps_an_entity_a_pending_insert_shows() {
    let mut s = seeded();
    let out = mutate(
        &mut s,
        "m1",
        insert_desc(
            json!({ "id": "tmp-1", "title": "new" }),
            json!([{ "hash": LIST }]),
        ),
        T0 + 1.0,
    );
    let sent = one_send(&out);
    let removed = s.remove(r#"["tasks"]"#, T0 + 2.0).expect("remove");
    assert!(
        !removed.removed_entities.contains(&"Task:tmp-1".to_owned()),
        "the layered entity is not collected: {:?}",
        removed.removed_entities
    );
    assert!(s.read_entity("Task", "tmp-1").is_some());
    let done = answer(
        &mut s,
        &sent,
        http(201, r#"{"id":"t9","title":"new"}"#),
        T0 + 3.0,
    );
    assert!(
        settled(&done).iter().all(|(_, r)| r.is_ok()),
        "{:?}",
        settled(&done)
    );
}
