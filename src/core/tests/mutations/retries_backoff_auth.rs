//! Resending: server errors and timeouts retry with backoff up to `retry`, network errors requeue
//! without counting, reconnect resends at once, a 401 pauses the queue until flush.

use crate::core::retry;
use crate::core::tests::support::mutations::*;

#[test]
fn server_errors_are_retried_with_backoff_then_fail() {
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "retry": 2, "retryDelay": 100 }),
    );
    let s1 = mutate_sent(&mut s, "m1", desc, T0);

    let t1 = T0 + 10.0;
    let out = answer(&mut s, &s1, http(500, "oops"), t1);
    no_send(&out);
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    assert_eq!(
        task(&s, "1")["title"],
        "local",
        "the layer stays while retrying"
    );
    let due1 = t1 + retry::delay(1, 100.0, R, None);
    assert_eq!(out.wake_at, Some(due1));
    assert_eq!(sync(&s)["lastError"]["status"], 500);
    no_send(&s.tick(due1 - 1.0));
    let s2 = one_send(&s.tick(due1));
    assert!(s2.ticket > s1.ticket);
    assert_eq!(
        s2.header("Idempotency-Key"),
        Some("m1"),
        "the same key on every attempt"
    );
    assert_eq!(s2.body, s1.body);

    // The first attempt's late answer is dropped.
    let late = answer(&mut s, &s1, http(200, ""), due1 + 1.0);
    assert!(late.settled.is_empty());
    assert_eq!(status(&s, "m1").as_deref(), Some("inflight"));

    let t2 = due1 + 5.0;
    let out = answer(&mut s, &s2, http(503, ""), t2);
    let due2 = t2 + retry::delay(2, 100.0, R, None);
    assert_eq!(out.wake_at, Some(due2));
    no_send(&s.tick(due2 - 1.0));
    let s3 = one_send(&s.tick(due2));

    let out = answer(&mut s, &s3, http(500, "still"), due2 + 1.0);
    let e = settled_err(&out, "m1");
    assert_eq!((e.code.as_str(), e.status), ("HTTP", Some(500)));
    assert_eq!(task(&s, "1")["title"], "one");
    let m = listing(&s, "m1");
    assert_eq!(
        (m["status"].clone(), m["attempts"].clone()),
        (json!("failed"), json!(3))
    );
    assert_eq!(out.wake_at, None);
}

#[test]
fn retry_after_is_a_floor_for_the_resend() {
    let mut s = seeded();
    let desc = with(patch_title(1, "x"), json!({ "retryDelay": 100 }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    let out = answer(&mut s, &s1, http_retry_after(429, "5"), T0);
    assert_eq!(out.wake_at, Some(T0 + 5000.0));
    no_send(&s.tick(T0 + 4999.0));
    one_send(&s.tick(T0 + 5000.0));
}

#[test]
fn network_errors_requeue_without_counting_against_retry() {
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "retry": 0, "retryDelay": 100 }),
    );
    let mut sent = mutate_sent(&mut s, "m1", desc, T0);
    let mut now = T0;
    for attempt in 1..=3u32 {
        now += 10.0;
        let out = answer(&mut s, &sent, network(), now);
        no_send(&out);
        assert!(
            out.settled.is_empty(),
            "a network error is not final: {:?}",
            out.settled
        );
        assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
        assert_eq!(task(&s, "1")["title"], "local");
        assert_eq!(sync(&s)["lastError"]["code"], "NETWORK");
        let due = now + retry::delay(attempt, 100.0, R, None);
        assert_eq!(out.wake_at, Some(due));
        no_send(&s.tick(due - 1.0));
        let next = one_send(&s.tick(due));
        assert!(next.ticket > sent.ticket);
        assert_eq!(next.header("Idempotency-Key"), Some("m1"));
        sent = next;
        now = due;
    }
    let out = answer(&mut s, &sent, http(200, ""), now + 1.0);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn timeouts_count_against_retry() {
    let mut s = seeded();
    let desc = with(patch_title(1, "x"), json!({ "retry": 1, "retryDelay": 10 }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    let timeout = || Settle::Failed(ErrorInfo::new("TIMEOUT", "no answer within 30000 ms"));
    no_send(&answer(&mut s, &s1, timeout(), T0 + 1.0));
    let s2 = one_send(&s.tick(T0 + 1000.0));
    let out = answer(&mut s, &s2, timeout(), T0 + 1001.0);
    assert_eq!(settled_err(&out, "m1").code, "TIMEOUT");
    assert_eq!(task(&s, "1")["title"], "one");
}

#[test]
fn reconnecting_resends_at_once() {
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "retryDelay": 10_000 }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    answer(&mut s, &s1, network(), T0 + 1.0);
    let out = s.set_online(false, T0 + 2.0);
    no_send(&out);
    assert_eq!(sync(&s)["online"], false);
    no_send(&s.tick(T0 + 100_000.0));
    // Back online well before... and long after the backoff: sent at once either way.
    let s2 = one_send(&s.set_online(true, T0 + 100_001.0));
    assert_eq!(s2.id, "m1");
    assert!(s2.ticket > s1.ticket);
    answer(&mut s, &s2, network(), T0 + 100_002.0);
    s.set_online(false, T0 + 100_003.0);
    let s3 = one_send(&s.set_online(true, T0 + 100_004.0));
    assert_eq!(s3.id, "m1");

    // A mutation made offline waits for the network.
    let mut s = seeded();
    s.set_online(false, T0);
    let out = mutate(&mut s, "m1", patch_title(1, "offline"), T0 + 1.0);
    no_send(&out);
    assert_eq!(task(&s, "1")["title"], "offline");
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    no_send(&s.tick(T0 + 50_000.0));
    assert_eq!(one_send(&s.set_online(true, T0 + 50_001.0)).id, "m1");
}

#[test]
fn unauthorized_pauses_the_queue_until_flush() {
    let mut s = seeded();
    let s1 = mutate_sent(&mut s, "m1", patch_title(1, "a"), T0);
    let out = answer(&mut s, &s1, http(401, "{\"error\":\"expired\"}"), T0 + 1.0);
    no_send(&out);
    assert!(out.settled.is_empty(), "nothing settles: {:?}", out.settled);
    assert_eq!(task(&s, "1")["title"], "a", "nothing is rolled back");
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    let y = sync(&s);
    assert_eq!(y["lastError"]["code"], "AUTH");
    assert_eq!(y["lastError"]["status"], 401);
    assert_eq!(y["pending"], 1);

    no_send(&mutate(&mut s, "m2", patch_title(2, "b"), T0 + 2.0));
    assert_eq!(task(&s, "2")["title"], "b");
    no_send(&s.tick(T0 + 100_000.0));
    no_send(&s.set_online(false, T0 + 100_001.0));
    no_send(&s.set_online(true, T0 + 100_002.0));
    assert_eq!(task(&s, "1")["title"], "a");

    let out = s.flush(T0 + 100_003.0);
    let s1b = one_send(&out);
    assert_eq!(s1b.id, "m1", "the paused head goes first");
    assert!(s1b.ticket > s1.ticket);
    let out = answer(&mut s, &s1b, http(200, ""), T0 + 100_004.0);
    assert_eq!(one_send(&out).id, "m2");
}

#[test]
fn wake_at_is_not_in_the_past_while_offline() {
    let mut s = seeded();
    let desc = with(patch_title(1, "a"), json!({ "retryDelay": 100 }));
    let s1 = mutate_sent(&mut s, "m1", desc, T0);
    answer(&mut s, &s1, network(), T0 + 1.0);
    s.set_online(false, T0 + 2.0);
    let now = T0 + 10_000.0;
    let out = s.tick(now);
    no_send(&out);
    assert!(
        out.wake_at.is_none_or(|w| w > now),
        "tick at {now} asks to be called again at {:?}: the JS timer would spin until online",
        out.wake_at
    );
}

#[test]
fn wake_at_is_not_in_the_past_while_the_head_waits_behind_a_send() {
    let mut s = seeded();
    let manual = with(patch_title(1, "a"), json!({ "conflict": "manual" }));
    let s0 = mutate_sent(&mut s, "m0", manual, T0);
    let desc = with(patch_title(2, "b"), json!({ "retryDelay": 100 }));
    mutate(&mut s, "m1", desc, T0 + 1.0);
    let conflict = server_task("server", "n1", 2).to_string();
    let s1 = one_send(&answer(&mut s, &s0, http(409, &conflict), T0 + 2.0));
    assert_eq!(s1.id, "m1");
    answer(&mut s, &s1, network(), T0 + 3.0);
    // m0 (ahead of m1 in the queue) is resolved and sent while m1 waits for its backoff.
    let out = s
        .resolve_conflict("m0", "\"local\"", T0 + 4.0)
        .expect("resolve");
    assert_eq!(one_send(&out).id, "m0");
    let now = T0 + 10_000.0;
    let out = s.tick(now);
    no_send(&out);
    assert!(
        out.wake_at.is_none_or(|w| w > now),
        "tick at {now} asks to be called again at {:?}",
        out.wake_at
    );
}

#[test]
fn an_attempt_that_could_not_be_sent_for_auth_pauses_like_a_401() {
    // The app's `headers()` threw (issue 13.7): the wrapper reports the attempt as AUTH; the
    // mutation waits unsent until `flush()`, nothing rolls back.
    let mut s = seeded();
    let sent = mutate_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let e = ErrorInfo::new("AUTH", "headers() threw");
    let out = answer(&mut s, &sent, Settle::Failed(e), T0 + 1.0);
    no_send(&out);
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    assert_eq!(sync(&s)["lastError"]["code"], "AUTH");
    assert_eq!(task(&s, "1")["title"], "local");
    no_send(&s.tick(T0 + 60_000.0));
    let again = one_send(&s.flush(T0 + 60_001.0));
    assert_eq!(again.id, "m1");
}
