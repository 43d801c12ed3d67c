//! A mutation's lifecycle: its layer shows at once, one request is sent at a time in queue
//! order, and success resolves with the body, commits the ops and invalidates what it names.

use crate::core::tests::support::mutations::*;
use crate::core::tests::support::queries::{observe_key, ticket};

#[test]
fn mutate_applies_the_layer_at_once_and_sends_one_request() {
    let mut s = seeded();
    let out = mutate(&mut s, "m1", patch_title(1, "local"), T0);
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);
    assert_eq!(out.changes.dependent_queries, vec![LIST.to_owned()]);
    assert_eq!(task(&s, "1")["title"], "local");
    assert_eq!(read(&s, LIST)[0]["title"], "local");
    assert_eq!(task(&s, "1")["note"], "n1", "other fields stay");
    assert!(out.sync);
    let sent = one_send(&out);
    assert_eq!(sent.id, "m1");
    assert_eq!(sent.method, "PATCH");
    assert_eq!(sent.url, "/tasks/1");
    assert_eq!(sent.header("Idempotency-Key"), Some("m1"));
    assert_eq!(sent.header("If-Match"), Some("\"1\""));
    assert_eq!(sent.header("Content-Type"), Some("application/json"));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 1 })));
    assert_eq!(sent.timeout, 30_000.0);
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "inflight");
    assert_eq!(m["attempts"], 1);
    assert_eq!(m["request"]["url"], "/tasks/1");
    let y = sync(&s);
    assert_eq!(
        (y["pending"].clone(), y["inflight"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn mutations_are_sent_one_at_a_time_in_order() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "a"), T0);
    let out = mutate(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    no_send(&out);
    assert_eq!(
        task(&s, "2")["title"],
        "b",
        "a queued mutation is visible at once"
    );
    let out = mutate(&mut s, "m3", patch_title(1, "c"), T0 + 2.0);
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "c", "later layers go on top");
    let statuses: Vec<Value> = s
        .mutation_list()
        .iter()
        .map(|m| m["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        vec![json!("inflight"), json!("queued"), json!("queued")]
    );
    no_send(&s.tick(T0 + 100_000.0));

    let out = answer(&mut s, &s1, http(204, ""), T0 + 3.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    let s2 = one_send(&out);
    assert_eq!(s2.id, "m2");
    assert!(s2.ticket > s1.ticket);
    let out = answer(&mut s, &s2, http(400, "no"), T0 + 4.0);
    assert_eq!(
        settled(&out),
        vec![("m2".to_owned(), Err("HTTP".to_owned()))]
    );
    let s3 = one_send(&out);
    assert_eq!(s3.id, "m3");
    let out = answer(&mut s, &s3, http(200, ""), T0 + 5.0);
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "c");
    assert_eq!(task(&s, "2")["title"], "two", "m2 failed and rolled back");
    assert_eq!(
        s.mutation_list().len(),
        1,
        "only the failed m2 stays listed"
    );
}

#[test]
fn success_resolves_with_the_parsed_body_and_commits_the_ops() {
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let out = answer(
        &mut s,
        &sent,
        ok(json!({ "ok": true, "n": [1, 2] })),
        T0 + 5.0,
    );
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Ok(json!({ "ok": true, "n": [1, 2] })))]
    );
    assert!(s.mutation_list().is_empty());
    let y = sync(&s);
    assert_eq!(y["pending"], 0);
    assert_eq!(y["lastSyncAt"], T0 + 5.0);
    assert_eq!(y["lastError"], Value::Null);
    assert!(
        out.changes.written_entities.is_empty(),
        "the visible state does not move"
    );
    assert_eq!(task(&s, "1")["title"], "local");

    // The ops are in the base now: a later mutation's rollback returns to them.
    let sent = mutate_sent(&mut s, "m2", patch_title(1, "again"), T0 + 6.0);
    assert_eq!(
        sent.header("If-Match"),
        Some("\"1\""),
        "no response: the base version stays"
    );
    answer(&mut s, &sent, http(422, ""), T0 + 7.0);
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn success_with_a_shape_writes_the_response_and_resolves_with_it_denormalized() {
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "shape": "Task" }));
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    let response = json!({ "id": 1, "title": "local (saved)", "version": 2,
                           "assignee": { "id": "u3", "name": "Cy" } });
    let out = answer(&mut s, &sent, ok(response), T0 + 1.0);
    let expected = json!({ "id": 1, "title": "local (saved)", "done": false, "note": "n1",
                           "version": 2, "assignee": { "id": "u3", "name": "Cy" } });
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(expected.clone()))]);
    assert_eq!(task(&s, "1"), expected);
    assert_eq!(
        s.read_entity("User", "u3"),
        Some(json!({ "id": "u3", "name": "Cy" }))
    );
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
}

#[test]
fn success_commits_the_ops_then_writes_the_response_under_later_layers() {
    let mut s = seeded();
    let desc = with(patch_title(1, "first"), json!({ "shape": "Task" }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    mutate(&mut s, "m2", patch_title(1, "second"), T0 + 1.0);
    // The server normalizes the title and bumps the version.
    let out = answer(
        &mut s,
        &s1,
        ok(json!({ "id": 1, "title": "First", "note": "server note", "version": 2 })),
        T0 + 2.0,
    );
    let s2 = one_send(&out);
    let t = task(&s, "1");
    assert_eq!(
        t["title"], "second",
        "m2's layer stays on top of the response"
    );
    assert_eq!(
        (t["note"].clone(), t["version"].clone()),
        (json!("server note"), json!(2))
    );
    // m2 fails: what shows is the response m1 got, not the state before m1.
    answer(&mut s, &s2, http(422, ""), T0 + 3.0);
    let t = task(&s, "1");
    assert_eq!(t["title"], "First");
    assert_eq!(t["note"], "server note");
    assert_eq!(t["version"], 2);
}

#[test]
fn invalidate_keys_mark_matching_queries_stale_after_success() {
    let mut s = seeded();
    put(&mut s, "other", json!([]), list_shape(), T0);
    // An observed detail query with a url: invalidation refetches it.
    let out = observe_key(
        &mut s,
        "detail",
        json!(["tasks", 1]),
        json!({ "url": "/tasks/1", "shape": "Task", "staleTime": 1e9 }),
        T0,
    );
    let fetch = ticket(&out, "detail");
    s.settle("detail", fetch, ok(seed_tasks()[0].clone()), T0, R);
    assert!(!s.meta("detail").expect("meta").is_stale(T0 + 1.0));

    let desc = with(
        patch_title(1, "local"),
        json!({ "invalidate": [["tasks"]] }),
    );
    let sent = mutate_sent(&mut s, "m1", desc, T0 + 1.0);
    assert!(
        !s.meta("detail").expect("meta").invalidated(),
        "nothing before success"
    );
    let out = answer(&mut s, &sent, http(204, ""), T0 + 2.0);
    assert!(s.meta(LIST).expect("meta").invalidated());
    assert!(s.meta("detail").expect("meta").invalidated());
    assert!(
        !s.meta("other").expect("meta").invalidated(),
        "['other'] does not match"
    );
    assert!(out.states.contains(&LIST.to_owned()));
    assert!(out.states.contains(&"detail".to_owned()));
    assert!(
        out.actions
            .iter()
            .any(|a| matches!(a, Action::Fetch { hash, .. } if hash == "detail")),
        "the active detail query refetches: {:?}",
        out.actions
    );

    // A failed mutation invalidates nothing.
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "invalidate": [["tasks"]] }),
    );
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    answer(&mut s, &sent, http(400, ""), T0 + 1.0);
    assert!(!s.meta(LIST).expect("meta").invalidated());
}
