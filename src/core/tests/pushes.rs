//! Server pushes: written into the base under the layers, never back in time (versions; the
//! answer of a request sent before a push keeps the pushed fields), echoes of our own pending
//! writes held until they settle, bad messages refused whole.

use crate::core::tests::support::mutations::*;
use crate::core::tests::support::queries::{observe, settle, ticket, url_opts};

/// `applyPushes` of these messages.
fn push(s: &mut Store, msgs: &[Value], now: f64) -> Output {
    let texts: Vec<String> = msgs.iter().map(Value::to_string).collect();
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    s.apply_pushes(&texts, now)
}

fn upsert(entity: &str, data: Value) -> Value {
    json!({ "type": "upsert", "entity": entity, "data": data })
}

fn rejected(out: &Output) -> Vec<(usize, String)> {
    let p = out.pushes.as_ref().expect("a push report");
    p.rejected
        .iter()
        .map(|(i, e)| (*i, e.code.clone()))
        .collect()
}

/// A store with the task list and task 1's detail query (`t1`).
fn two_views() -> Store {
    let mut s = seeded();
    put(&mut s, "t1", seed_tasks()[0].clone(), json!("Task"), T0);
    s
}

#[test]
fn a_push_reaches_every_query_that_shows_the_entity() {
    let mut s = two_views();
    let out = push(
        &mut s,
        &[upsert(
            "Task",
            json!({ "id": 1, "title": "pushed", "version": 2 }),
        )],
        T0 + 1.0,
    );
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);
    let mut qs: Vec<&String> = out.changes.queries().collect();
    qs.sort();
    assert_eq!(qs, vec!["t1", "tasks"]);
    assert_eq!(task(&s, "1")["title"], "pushed");
    assert_eq!(task(&s, "1")["note"], "n1", "a partial push merges");
    assert!(rejected(&out).is_empty());

    // Relations are followed like a response's; a new entity no list shows is kept.
    push(
        &mut s,
        &[upsert(
            "Task",
            json!([{ "id": 9, "title": "new", "assignee": { "id": "u1", "name": "Ann B." } }]),
        )],
        T0 + 2.0,
    );
    assert_eq!(s.read_entity("User", "u1").expect("u1")["name"], "Ann B.");
    assert_eq!(task(&s, "9")["title"], "new");
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);

    // The same data again changes nothing and notifies nobody.
    let out = push(
        &mut s,
        &[upsert(
            "Task",
            json!({ "id": 1, "title": "pushed", "version": 2 }),
        )],
        T0 + 3.0,
    );
    assert!(out.changes.is_empty());
}

#[test]
fn a_push_goes_under_a_pending_layer_and_shows_when_it_rolls_back() {
    let mut s = two_views();
    let sent = mutate_sent(&mut s, "m1", patch_title(1, "mine"), T0);
    let out = push(
        &mut s,
        &[upsert(
            "Task",
            json!({ "id": 1, "title": "theirs", "note": "their note", "version": 2 }),
        )],
        T0 + 1.0,
    );
    let t = task(&s, "1");
    assert_eq!(t["title"], "mine", "the optimistic change stays visible");
    assert_eq!(t["note"], "their note", "the push's other fields show");
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);

    // The write fails for good: the user sees the pushed data, not the data from before.
    let out = answer(&mut s, &sent, http(422, "{}"), T0 + 2.0);
    assert_eq!(settled_err(&out, "m1").code, "HTTP");
    let t = task(&s, "1");
    assert_eq!(
        (t["title"].clone(), t["version"].clone()),
        (json!("theirs"), json!(2))
    );
}

#[test]
fn a_lower_version_never_overwrites_a_higher_one_from_any_source() {
    // A push is newer than the answer to a fetch in flight.
    let mut s = new_store();
    let out = observe(
        &mut s,
        LIST,
        url_opts(LIST, json!({ "shape": ["Task"] })),
        T0,
    );
    let t = ticket(&out, LIST);
    push(
        &mut s,
        &[upsert(
            "Task",
            json!({ "id": 1, "title": "v3", "version": 3 }),
        )],
        T0 + 1.0,
    );
    let old = json!([{ "id": 1, "title": "v2", "version": 2 }, { "id": 2, "title": "two", "version": 1 }]);
    settle(&mut s, LIST, t, ok(old), T0 + 2.0);
    assert_eq!(task(&s, "1")["title"], "v3");
    assert_eq!(
        task(&s, "2")["title"],
        "two",
        "the rest of the answer lands"
    );
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2)]);

    // A late push of an older version changes nothing.
    let out = push(
        &mut s,
        &[upsert(
            "Task",
            json!({ "id": 1, "title": "v1", "version": 1 }),
        )],
        T0 + 3.0,
    );
    assert!(out.changes.is_empty());
    assert_eq!(task(&s, "1")["title"], "v3");

    // Nor does setQueryData, nor another tab's older record.
    put(
        &mut s,
        "x",
        json!({ "id": 1, "title": "v2 again", "version": 2 }),
        json!("Task"),
        T0 + 4.0,
    );
    assert_eq!(task(&s, "1")["title"], "v3");
    let delta = json!({ "e": [["Task:1", { "id": 1, "title": "tab v2", "version": 2 }]], "q": [] });
    must(
        s.apply_cache(&delta.to_string(), false, T0 + 5.0),
        "apply_cache",
    );
    assert_eq!(task(&s, "1")["title"], "v3");
    // A newer one does.
    let delta = json!({ "e": [["Task:1", { "id": 1, "title": "tab v4", "version": 4 }]], "q": [] });
    must(
        s.apply_cache(&delta.to_string(), false, T0 + 6.0),
        "apply_cache",
    );
    assert_eq!(task(&s, "1")["title"], "tab v4");
    // Equal versions merge.
    push(
        &mut s,
        &[upsert(
            "Task",
            json!({ "id": 1, "done": true, "version": 4 }),
        )],
        T0 + 7.0,
    );
    assert_eq!(task(&s, "1")["done"], true);
}

/// Users carry no version: only request order vs push order applies.
#[test]
fn an_answer_to_a_request_sent_before_a_push_keeps_the_pushed_fields() {
    let mut s = new_store();
    let opts = url_opts("users", json!({ "shape": ["User"] }));
    let t = ticket(&observe(&mut s, "users", opts.clone(), T0), "users");
    push(
        &mut s,
        &[upsert("User", json!({ "id": "u1", "name": "pushed" }))],
        T0 + 1.0,
    );
    assert_eq!(
        s.cache().guard().holds(),
        (1, 1),
        "a stamp kept while the fetch is in flight"
    );
    let answer =
        json!([{ "id": "u1", "name": "old", "role": "dev" }, { "id": "u2", "name": "Bob" }]);
    settle(&mut s, "users", t, ok(answer.clone()), T0 + 2.0);
    let u1 = s.read_entity("User", "u1").expect("u1");
    assert_eq!(u1, json!({ "id": "u1", "name": "pushed", "role": "dev" }));
    assert_eq!(
        s.cache().guard().holds(),
        (0, 0),
        "nothing in flight: no stamps kept"
    );

    // A request sent after the push is newer: its answer wins.
    let out = crate::core::tests::support::queries::invalidate(&mut s, json!(["users"]), T0 + 3.0);
    let t = ticket(&out, "users");
    settle(&mut s, "users", t, ok(answer), T0 + 4.0);
    assert_eq!(s.read_entity("User", "u1").expect("u1")["name"], "old");
}

#[test]
fn a_pushed_delete_removes_the_entity_and_an_older_answer_does_not_bring_it_back() {
    let mut s = new_store();
    let opts = url_opts(LIST, json!({ "shape": ["Task"] }));
    let t = ticket(&observe(&mut s, LIST, opts, T0), LIST);
    settle(&mut s, LIST, t, ok(seed_tasks()), T0 + 1.0);
    put(
        &mut s,
        "t2",
        seed_tasks()[1].clone(),
        json!("Task"),
        T0 + 1.0,
    );
    let out = crate::core::tests::support::queries::invalidate(&mut s, json!([LIST]), T0 + 2.0);
    let t = ticket(&out, LIST);
    let out = push(
        &mut s,
        &[json!({ "type": "delete", "entity": "Task", "id": 2 })],
        T0 + 3.0,
    );
    assert!(s.entity("Task:2").is_none());
    assert!(out.changes.queries().any(|h| h == "t2"));
    assert!(out.changes.queries().any(|h| h == LIST));
    settle(&mut s, LIST, t, ok(seed_tasks()), T0 + 4.0);
    assert!(
        s.entity("Task:2").is_none(),
        "the older answer does not resurrect it"
    );
    assert_eq!(task(&s, "1")["title"], "one");
}

#[test]
fn our_own_write_answered_after_a_teammates_push_does_not_undo_it() {
    // Users have no version: we rename u1, a teammate then sets the role, its push arrives
    // before our answer (which predates it).
    let mut s = new_store();
    put(
        &mut s,
        "u",
        json!({ "id": "u1", "name": "Ann", "role": "dev" }),
        json!("User"),
        T0,
    );
    let desc = json!({
        "request": { "method": "PATCH", "url": "/users/u1", "body": { "name": "Ann B." } },
        "optimistic": [{ "op": "update", "type": "User", "id": "u1", "patch": { "name": "Ann B." } }],
        "shape": "User"
    });
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    push(
        &mut s,
        &[upsert(
            "User",
            json!({ "id": "u1", "name": "Ann C.", "role": "lead" }),
        )],
        T0 + 1.0,
    );
    let u = s.read_entity("User", "u1").expect("u1");
    assert_eq!(
        (u["name"].clone(), u["role"].clone()),
        (json!("Ann B."), json!("lead"))
    );
    answer(
        &mut s,
        &sent,
        ok(json!({ "id": "u1", "name": "Ann B.", "role": "dev" })),
        T0 + 2.0,
    );
    let u = s.read_entity("User", "u1").expect("u1");
    assert_eq!(
        u,
        json!({ "id": "u1", "name": "Ann C.", "role": "lead" }),
        "the later push stands"
    );
}

#[test]
fn an_echo_of_our_pending_write_applies_once_when_it_settles() {
    let mut s = two_views();
    let sent = mutate_sent(&mut s, "m1", patch_title(1, "mine"), T0);
    assert_eq!(sent.key(), "m1");
    let echo = json!({ "type": "upsert", "entity": "Task", "idempotencyKey": "m1",
                       "data": { "id": 1, "title": "mine", "version": 2, "updatedAt": 5 } });
    let out = push(&mut s, &[echo], T0 + 1.0);
    assert!(
        out.changes.is_empty(),
        "held: nothing moves while the write is pending"
    );
    let out = answer(&mut s, &sent, http(204, ""), T0 + 2.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(
        out.changes.written_entities,
        vec!["Task:1".to_owned()],
        "one change, at settle"
    );
    let t = task(&s, "1");
    assert_eq!(
        (
            t["title"].clone(),
            t["version"].clone(),
            t["updatedAt"].clone()
        ),
        (json!("mine"), json!(2), json!(5))
    );

    // An echo of a write that failed is still server truth: it applies when the write fails.
    let mut s = two_views();
    let sent = mutate_sent(&mut s, "m2", patch_title(1, "mine"), T0);
    let echo = json!({ "type": "upsert", "entity": "Task", "idempotencyKey": "m2",
                       "data": { "id": 1, "title": "server's", "version": 2 } });
    push(&mut s, &[echo], T0 + 1.0);
    answer(&mut s, &sent, http(422, ""), T0 + 2.0);
    assert_eq!(task(&s, "1")["title"], "server's");

    // Another client's key is not an echo.
    let mut s = two_views();
    mutate_sent(&mut s, "m3", patch_title(1, "mine"), T0);
    let other = json!({ "type": "upsert", "entity": "Task", "idempotencyKey": "zz",
                        "data": { "id": 1, "note": "theirs", "version": 2 } });
    let out = push(&mut s, &[other], T0 + 1.0);
    assert_eq!(out.changes.written_entities, vec!["Task:1".to_owned()]);
}

#[test]
fn an_invalidate_message_refetches_the_matching_active_queries() {
    let mut s = new_store();
    let t = ticket(
        &observe(
            &mut s,
            LIST,
            url_opts(LIST, json!({ "shape": ["Task"] })),
            T0,
        ),
        LIST,
    );
    settle(&mut s, LIST, t, ok(seed_tasks()), T0 + 1.0);
    let out = push(
        &mut s,
        &[json!({ "type": "invalidate", "queryKey": [LIST] })],
        T0 + 2.0,
    );
    assert!(ticket(&out, LIST) > t);
    let out = push(
        &mut s,
        &[json!({ "type": "invalidate", "queryKey": ["other"] })],
        T0 + 3.0,
    );
    assert!(out.actions.is_empty());
}

#[test]
fn bad_messages_apply_nothing_and_the_good_ones_still_apply() {
    let mut s = two_views();
    let before = task(&s, "1");
    let texts = [
        "not json".to_owned(),
        json!({ "type": "replace", "entity": "Task" }).to_string(),
        json!({ "type": "upsert", "entity": "Nope", "data": { "id": 1 } }).to_string(),
        json!({ "type": "upsert", "entity": "Task", "data": { "title": "no id" } }).to_string(),
        json!({ "type": "upsert", "entity": "Task", "data": { "id": 1 }, "extra": 1 }).to_string(),
        json!({ "type": "delete", "entity": "Task" }).to_string(),
        json!({ "type": "batch", "eventId": 7, "messages": [
            upsert("Task", json!({ "id": 1, "title": "half" })),
            { "type": "upsert", "entity": "Task", "data": 3 }
        ] })
        .to_string(),
        json!({ "type": "upsert", "entity": "Task", "eventId": "8", "data": { "id": 2, "title": "good" } })
            .to_string(),
        json!({ "eventId": "9" }).to_string(),
    ];
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let out = s.apply_pushes(&texts, T0 + 1.0);
    assert_eq!(
        rejected(&out),
        vec![
            (0, "PARSE".to_owned()),
            (1, "PARSE".to_owned()),
            (2, "SHAPE".to_owned()),
            (3, "SHAPE".to_owned()),
            (4, "PARSE".to_owned()),
            (5, "SHAPE".to_owned()),
            (6, "SHAPE".to_owned()),
            (8, "PARSE".to_owned()),
        ]
    );
    assert_eq!(
        task(&s, "1"),
        before,
        "nothing of a bad message applied (a batch is whole)"
    );
    assert_eq!(task(&s, "2")["title"], "good");
    let p = out.pushes.as_ref().expect("report");
    assert_eq!(
        p.event_id.as_deref(),
        Some("9"),
        "the resume point passes bad messages too"
    );
}

#[test]
fn a_batch_applies_in_one_call_and_the_batch_json_reports_it() {
    let mut s = two_views();
    let msg = json!({ "type": "batch", "eventId": "e5", "messages": [
        upsert("Task", json!({ "id": 1, "title": "a" })),
        upsert("Task", json!({ "id": 2, "title": "b" })),
        { "type": "delete", "entity": "Task", "id": 3 },
    ] });
    let out = push(&mut s, &[msg], T0 + 1.0);
    assert_eq!(out.changes.written_entities.len(), 3);
    let text = crate::core::batch::output_json(&s, &out, 0, T0 + 1.0);
    let b: Value = serde_json::from_str(&text).expect("batch JSON");
    assert_eq!(b["pu"], json!(["e5", []]));
}

#[test]
fn an_echo_of_an_insert_lands_once_under_the_real_id() {
    let mut s = seeded();
    let desc = with(
        insert_desc(
            json!({ "id": "tmp-a", "title": "new" }),
            json!([{ "hash": LIST }]),
        ),
        json!({ "shape": "Task" }),
    );
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    let echo = json!({ "type": "upsert", "entity": "Task", "idempotencyKey": "m1",
                       "data": { "id": 7, "title": "new", "version": 1, "createdAt": 9 } });
    let out = push(&mut s, &[echo], T0 + 1.0);
    assert!(out.changes.is_empty());
    assert!(
        s.entity("Task:7").is_none(),
        "no second copy beside the temporary one"
    );
    answer(
        &mut s,
        &sent,
        ok(json!({ "id": 7, "title": "new", "version": 1 })),
        T0 + 2.0,
    );
    assert_eq!(
        ids(&s, LIST),
        vec![json!(1), json!(2), json!(3), json!(7)],
        "once, in its place"
    );
    assert_eq!(task(&s, "7")["createdAt"], 9, "the echo's fields landed");
    assert!(s.entity("Task:tmp-a").is_none());
}
