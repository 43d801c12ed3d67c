//! A 409 or 412 answer under each conflict policy: server-wins drops the change, client-wins
//! resends, merge resends unless the fields overlap, manual waits for a resolution.

use crate::core::tests::support::mutations::*;

#[test]
fn conflict_server_wins_drops_the_change_and_shows_the_server_version() {
    let current = server_task("server", "server note", 2);
    for policy in [None, Some("server-wins")] {
        let mut s = seeded();
        let mut desc = patch_title(1, "local");
        if let Some(p) = policy {
            desc = with(desc, json!({ "conflict": p }));
        }
        let sent = mutate_sent(&mut s, "m1", desc, T0);
        let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 1.0);
        no_send(&out);
        let e = settled_err(&out, "m1");
        assert_eq!(e.code, "CONFLICT");
        assert_eq!(
            e.body
                .as_deref()
                .map(|b| serde_json::from_str::<Value>(b).expect("JSON")),
            Some(current.clone())
        );
        assert_eq!(task(&s, "1"), current, "{policy:?}");
        assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
        assert!(!matches!(
            status(&s, "m1").as_deref(),
            Some("queued" | "inflight" | "conflict")
        ));
        assert_eq!(sync(&s)["pending"], 0);
    }
}

#[test]
fn conflict_client_wins_resends_with_the_server_version() {
    let current = server_task("server", "server note", 2);
    let (mut s, out) = conflict_case("client-wins", &current);
    assert!(out.settled.is_empty());
    let sent = one_send(&out);
    assert_eq!(sent.header("If-Match"), Some("\"2\""));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 2 })));
    assert_eq!(
        sent.header("Idempotency-Key"),
        Some("m1.1"),
        "a changed request gets a new key revision"
    );
    let t = task(&s, "1");
    assert_eq!(t["title"], "local");
    assert_eq!(
        (t["note"].clone(), t["version"].clone()),
        (json!("server note"), json!(2))
    );
    assert_eq!(listing(&s, "m1")["attempts"], 2);
    // A retry of the resent request keeps its key.
    no_send(&answer(&mut s, &sent, http(502, ""), T0 + 2.0));
    let again = one_send(&s.tick(T0 + 100_000.0));
    assert_eq!(again.header("Idempotency-Key"), Some("m1.1"));
    assert_eq!(again.header("If-Match"), Some("\"2\""));
    let out = answer(&mut s, &again, http(200, ""), T0 + 100_001.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn conflict_merge_without_overlap_resends_with_the_server_version() {
    // The server changed `note` only; the local change is to `title`.
    let current = server_task("one", "server note", 2);
    let (s, out) = conflict_case("merge", &current);
    let sent = one_send(&out);
    assert_eq!(sent.header("If-Match"), Some("\"2\""));
    assert_eq!(sent.body, Some(json!({ "title": "local", "version": 2 })));
    let t = task(&s, "1");
    assert_eq!(t["title"], "local");
    assert_eq!(t["note"], "server note");
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));
}

#[test]
fn conflict_merge_with_overlap_waits_for_a_resolution() {
    let current = server_task("server", "server note", 2);
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "conflict": "merge" }));
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    mutate(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    let out = answer(&mut s, &sent, http(409, &current.to_string()), T0 + 2.0);
    assert!(out.settled.is_empty());
    assert_eq!(
        one_send(&out).id,
        "m2",
        "a conflict does not block the queue"
    );
    let m = listing(&s, "m1");
    assert_eq!(m["status"], "conflict");
    assert_eq!(m["conflict"]["base"]["title"], "one");
    assert_eq!(m["conflict"]["local"]["title"], "local");
    assert_eq!(m["conflict"]["server"], current);
    let t = task(&s, "1");
    assert_eq!(t["title"], "local", "the local change stays visible");
    assert_eq!(t["note"], "server note");
    let y = sync(&s);
    assert_eq!(
        (y["conflicts"].clone(), y["pending"].clone()),
        (json!(1), json!(1))
    );
}

#[test]
fn conflict_manual_waits_for_a_resolution_even_without_overlap() {
    let current = server_task("one", "server note", 2);
    let (s, out) = conflict_case("manual", &current);
    no_send(&out);
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "m1").as_deref(), Some("conflict"));
    assert_eq!(listing(&s, "m1")["conflict"]["server"], current);
    assert_eq!(task(&s, "1")["title"], "local");
    let mut s = s;
    no_send(&s.tick(T0 + 100_000.0));
    assert_eq!(status(&s, "m1").as_deref(), Some("conflict"));
}

#[test]
fn a_conflict_answer_may_wrap_the_current_entity() {
    let current = server_task("server", "server note", 2);
    let (s, out) = conflict_case("server-wins", &json!({ "current": current }));
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1"), current);
    let (s, out) = conflict_case("client-wins", &json!({ "current": current }));
    assert_eq!(one_send(&out).header("If-Match"), Some("\"2\""));
    assert_eq!(task(&s, "1")["note"], "server note");
}

#[test]
fn a_precondition_failure_is_a_conflict() {
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "conflict": "client-wins" }),
    );
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    let current = server_task("server", "n1", 3).to_string();
    let out = answer(&mut s, &sent, http(412, &current), T0 + 1.0);
    assert_eq!(one_send(&out).header("If-Match"), Some("\"3\""));
}

#[test]
fn merge_of_a_relation_change_the_server_did_not_touch_is_resent() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "assignee": { "id": "u2", "name": "Bob" } })),
        json!({ "conflict": "merge" }),
    );
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    // The server changed the note only; the assignee is still u1.
    let out = answer(
        &mut s,
        &sent,
        http(409, &server_task("one", "server note", 2).to_string()),
        T0 + 1.0,
    );
    assert_eq!(
        status(&s, "m1").as_deref(),
        Some("inflight"),
        "{:?}",
        listing(&s, "m1")
    );
    assert_eq!(one_send(&out).header("If-Match"), Some("\"2\""));
    assert_eq!(task(&s, "1")["assignee"]["id"], "u2");
    assert_eq!(task(&s, "1")["note"], "server note");
}

#[test]
fn merge_of_a_relation_change_the_server_also_changed_is_a_conflict() {
    let mut s = seeded();
    let desc = with(
        patch_desc(1, json!({ "assignee": { "id": "u2", "name": "Bob" } })),
        json!({ "conflict": "merge" }),
    );
    let sent = mutate_sent(&mut s, "m1", desc, T0);
    let mut current = server_task("one", "n1", 2);
    current["assignee"] = json!({ "id": "u3", "name": "Cy" });
    no_send(&answer(
        &mut s,
        &sent,
        http(409, &current.to_string()),
        T0 + 1.0,
    ));
    assert_eq!(status(&s, "m1").as_deref(), Some("conflict"));
}
