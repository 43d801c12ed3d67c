//! A failed mutation: its layer goes at once (and only its layer), it stays listed, and it can be
//! retried (at the back of the queue) or discarded.

use crate::core::tests::support::mutations::*;

#[test]
fn a_client_error_drops_the_layer_at_once_and_lists_the_failure() {
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let out = answer(
        &mut s,
        &sent,
        http(422, "{\"error\":\"title taken\"}"),
        T0 + 1.0,
    );
    let e = settled_err(&out, "m1");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(422)));
    assert_eq!(e.body.as_deref(), Some("{\"error\":\"title taken\"}"));
    assert!(e.message.contains("PATCH /tasks/1"), "{}", e.message);
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(read(&s, LIST)[0]["title"], "one");
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "failed");
    assert_eq!(m["error"]["code"], "HTTP");
    assert_eq!(m["error"]["status"], 422);
    let y = sync(&s);
    assert_eq!(
        (y["failed"].clone(), y["pending"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(y["lastError"]["status"], 422);
    no_send(&s.tick(T0 + 100_000.0));
}

#[test]
fn retry_mutation_reapplies_the_layer_and_resends() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    answer(&mut s, &s1, http(422, ""), T0 + 1.0);
    // Meanwhile the server moved on: the retry is based on the new base.
    put(
        &mut s,
        LIST,
        json!([{ "id": 1, "title": "one", "version": 5 }]),
        list_shape(),
        T0 + 2.0,
    );
    expect_err(s.retry_mutation("nope", T0 + 3.0), "INVALID_ARGUMENT");
    let out = s.retry_mutation("m1", T0 + 3.0).expect("retry");
    assert_eq!(task(&s, "1")["title"], "local");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    let s2 = one_send(&out);
    assert!(s2.ticket > s1.ticket);
    assert_eq!(s2.header("Idempotency-Key"), Some("m1"));
    assert_eq!(s2.header("If-Match"), Some("\"5\""));
    assert_eq!(s2.body, Some(json!({ "title": "local", "version": 5 })));
    let m = listing(&s, "m1");
    assert_eq!(
        (m["status"].clone(), m["attempts"].clone()),
        (json!("inflight"), json!(2))
    );
    assert!(m.get("error").is_none(), "the error is cleared: {m}");
    expect_err(s.retry_mutation("m1", T0 + 4.0), "INVALID_ARGUMENT");
    let out = answer(&mut s, &s2, http(200, ""), T0 + 5.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert!(s.mutation_list().is_empty());
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn a_retried_mutation_goes_to_the_back_of_the_queue() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "a"), T0);
    mutate(&mut s, "m2", patch_title(1, "b"), T0 + 1.0);
    let out = answer(&mut s, &s1, http(400, ""), T0 + 2.0);
    let s2 = one_send(&out);
    assert_eq!(task(&s, "1")["title"], "b");
    let out = s.retry_mutation("m1", T0 + 3.0).expect("retry");
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "a", "the retried layer goes on top");
    let ids: Vec<Value> = s.mutation_list().iter().map(|m| m["id"].clone()).collect();
    assert_eq!(ids, vec![json!("m2"), json!("m1")]);
    let out = answer(&mut s, &s2, http(200, ""), T0 + 4.0);
    assert_eq!(one_send(&out).id, "m1");
}

#[test]
fn discard_removes_a_mutation_and_its_layer() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "a"), T0);
    mutate(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    expect_err(s.discard_mutation("m1", T0 + 2.0), "INVALID_ARGUMENT");
    expect_err(s.discard_mutation("nope", T0 + 2.0), "INVALID_ARGUMENT");

    // A queued one: its layer goes and it settles CANCELLED.
    let out = s.discard_mutation("m2", T0 + 2.0).expect("discard");
    assert_eq!(
        settled(&out),
        vec![("m2".to_owned(), Err("CANCELLED".to_owned()))]
    );
    assert_eq!(task(&s, "2")["title"], "two");
    assert!(out.changes.written_entities.contains(&"Task:2".to_owned()));
    assert_eq!(status(&s, "m2"), None);

    // A failed one: removed without a second settlement.
    answer(&mut s, &s1, http(400, ""), T0 + 3.0);
    let out = s.discard_mutation("m1", T0 + 4.0).expect("discard");
    assert!(out.settled.is_empty(), "{:?}", out.settled);
    assert!(s.mutation_list().is_empty());
    assert_eq!(task(&s, "1")["title"], "one");
}

#[test]
fn discarding_the_waiting_head_sends_the_next_at_once() {
    let mut s = seeded();
    let desc = with(patch_title(1, "a"), json!({ "retryDelay": 1000 }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    mutate(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    no_send(&answer(&mut s, &s1, http(503, ""), T0 + 2.0));
    let out = s.discard_mutation("m1", T0 + 3.0).expect("discard");
    assert_eq!(one_send(&out).id, "m2");
}

#[test]
fn failing_one_mutation_keeps_the_others_and_newer_server_data() {
    let mut s = seeded();
    let s1 = mutate_sent(
        &mut s,
        "m1",
        patch_desc(1, json!({ "title": "a", "note": "a" })),
        T0,
    );
    mutate(&mut s, "m2", patch_title(1, "b"), T0 + 1.0);
    mutate(
        &mut s,
        "m3",
        patch_desc(1, json!({ "done": true })),
        T0 + 2.0,
    );
    put(
        &mut s,
        LIST,
        json!([{ "id": 1, "title": "server", "note": "server", "done": false, "version": 2 }]),
        list_shape(),
        T0 + 3.0,
    );
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["note"].clone(), t["done"].clone()),
        (json!("b"), json!("a"), json!(true))
    );
    assert_eq!(t["version"], 2);
    // m1 fails: its note goes (to the server's), m2's title and m3's done stay.
    let s2 = one_send(&answer(&mut s, &s1, http(400, ""), T0 + 4.0));
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["note"].clone(), t["done"].clone()),
        (json!("b"), json!("server"), json!(true))
    );
    // m3 is discarded before m2 settles: m2's title stays.
    s.discard_mutation("m3", T0 + 5.0).expect("discard");
    assert_eq!(task(&s, "1")["done"], false);
    assert_eq!(task(&s, "1")["title"], "b");
    answer(&mut s, &s2, http(400, ""), T0 + 6.0);
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["note"].clone(), t["done"].clone()),
        (json!("server"), json!("server"), json!(false))
    );
    assert_eq!(t["assignee"]["name"], "Ann");
}
