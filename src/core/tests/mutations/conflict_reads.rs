//! A conflict answered without a body: the current entity is read first (a GET), and that read is
//! retried, paused by a 401, or fails the mutation.

use crate::core::tests::support::mutations::*;

#[test]
fn a_bodyless_conflict_reads_the_current_entity_first() {
    let current = server_task("server", "server note", 2);
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "conflict": "client-wins" }),
    );
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    let out = answer(&mut s, &s1, http(409, ""), T0 + 1.0);
    assert!(out.settled.is_empty());
    let get = one_send(&out);
    assert_eq!(get.id, "m1");
    assert_eq!(get.method, "GET");
    assert_eq!(get.url, "/tasks/1");
    assert_eq!(get.body, None);
    assert_eq!(get.header("If-Match"), None);
    assert_eq!(get.header("Idempotency-Key"), Some("m1"));
    assert!(get.ticket > s1.ticket);
    assert_eq!(task(&s, "1")["title"], "local");
    // The GET's answer drives the policy.
    let out = answer(&mut s, &get, ok(current.clone()), T0 + 2.0);
    let resend = one_send(&out);
    assert_eq!(resend.method, "PATCH");
    assert_eq!(resend.header("If-Match"), Some("\"2\""));
    assert_eq!(resend.body, Some(json!({ "title": "local", "version": 2 })));
    assert_eq!(task(&s, "1")["note"], "server note");

    // Server wins after the read.
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let get = one_send(&answer(&mut s, &s1, http(409, "  "), T0 + 1.0));
    assert_eq!(get.method, "GET");
    let out = answer(&mut s, &get, ok(json!({ "current": current })), T0 + 2.0);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1"), current);

    // The read fails: the mutation fails as a conflict and rolls back.
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    let out = answer(&mut s, &get, http(404, ""), T0 + 2.0);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));

    // A network error during the read: the read is retried, then the policy applies.
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "retryDelay": 10 }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    no_send(&answer(&mut s, &get, network(), T0 + 2.0));
    let get2 = one_send(&s.tick(T0 + 1000.0));
    assert_eq!(get2.method, "GET");
    let out = answer(&mut s, &get2, ok(current.clone()), T0 + 1001.0);
    assert_eq!(settled_err(&out, "m1").code, "CONFLICT");
}

#[test]
fn a_401_while_reading_the_current_entity_pauses_the_queue() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    let out = answer(&mut s, &get, http(401, ""), T0 + 2.0);
    assert!(out.settled.is_empty(), "{:?}", out.settled);
    assert_eq!(task(&s, "1")["title"], "local", "nothing is rolled back");
    assert_eq!(sync(&s)["lastError"]["code"], "AUTH");
    let again = one_send(&s.flush(T0 + 3.0));
    assert_eq!(again.method, "GET");
}

#[test]
fn a_server_error_while_reading_the_current_entity_is_retried() {
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "retry": 2, "retryDelay": 10 }),
    );
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    let get = one_send(&answer(&mut s, &s1, http(409, ""), T0 + 1.0));
    let out = answer(&mut s, &get, http(503, ""), T0 + 2.0);
    assert!(out.settled.is_empty(), "{:?}", out.settled);
    assert_eq!(task(&s, "1")["title"], "local");
    assert_eq!(one_send(&s.tick(T0 + 1000.0)).method, "GET");
}
