//! Retry and backoff with persistence on: network errors keep the mutation queued, server errors
//! retry up to `retry` (Retry-After a floor), a 401 pauses until flush; each rewrites the record.

use crate::core::retry;
use crate::core::tests::support::persist::*;

#[test]
fn network_errors_keep_the_mutation_queued_and_retry_with_backoff() {
    let mut s = seeded();
    let desc = with(patch_title(1, "local"), json!({ "retry": 0 }));
    let s1 = durable_sent(&mut s, "m1", desc, T0);
    let out = answer(&mut s, &s1, network(), T0 + 10.0);
    no_send(&out);
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["status"], "queued");
    assert!(
        out.settled.is_empty(),
        "a network error never fails a mutation"
    );
    let due = T0 + 10.0 + retry::delay(1, 1000.0, R, None);
    assert_eq!(out.wake_at, Some(due));
    assert_eq!(status(&s, "m1").as_deref(), Some("queued"));
    assert_eq!(
        task(&s, "1")["title"],
        "local",
        "the layer stays while offline"
    );
    assert_eq!(sync(&s)["lastError"]["code"], "NETWORK");
    no_send(&tick(&mut s, due - 1.0));
    let s2 = one_send(&tick(&mut s, due));
    assert_eq!((s2.key(), s2.header("If-Match")), ("m1", Some("\"1\"")));
    assert!(s2.ticket > s1.ticket);

    // Again: a longer wait; coming back online sends at once.
    let out = answer(&mut s, &s2, network(), T0 + 2_000.0);
    assert_eq!(
        out.wake_at,
        Some(T0 + 2_000.0 + retry::delay(2, 1000.0, R, None))
    );
    no_send(&online(&mut s, false, T0 + 2_001.0));
    assert_eq!(s.next_wake(T0 + 2_002.0), None);
    let s3 = one_send(&online(&mut s, true, T0 + 2_003.0));
    assert_eq!(s3.key(), "m1");
    assert_eq!(listing(&s, "m1")["attempts"], 3);
    let out = answer(&mut s, &s3, http(200, ""), T0 + 2_004.0);
    assert_eq!(ob(&out), vec!["-m1"]);
    assert_eq!(settled(&out), vec![("m1".to_owned(), Ok(Value::Null))]);
}

#[test]
fn server_errors_retry_up_to_retry_then_fail() {
    let mut s = seeded();
    let desc = with(
        patch_title(1, "local"),
        json!({ "retry": 2, "retryDelay": 100 }),
    );
    let mut sent = durable_sent(&mut s, "m1", desc, T0);
    let mut now = T0;
    for (n, code) in [(1, 503), (2, 500)] {
        now += 10.0;
        let out = answer(&mut s, &sent, http(code, "busy"), now);
        assert!(out.settled.is_empty());
        assert_eq!(ob(&out), vec!["m1"]);
        assert_eq!(rec(&out, "m1")["status"], "queued");
        let due = now + retry::delay(n, 100.0, R, None);
        assert_eq!(out.wake_at, Some(due));
        no_send(&tick(&mut s, due - 1.0));
        let next = one_send(&tick(&mut s, due));
        assert_eq!(next.key(), "m1", "retries keep the key");
        sent = next;
        now = due;
    }
    let out = answer(&mut s, &sent, http(502, "down"), now + 1.0);
    no_send(&out);
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("HTTP".to_owned()))]
    );
    let r = rec(&out, "m1");
    assert_eq!(
        (r["status"].clone(), r["error"]["status"].clone()),
        (json!("failed"), json!(502))
    );
    assert_eq!(task(&s, "1")["title"], "one");
    assert_eq!(listing(&s, "m1")["attempts"], 3);

    // Retry-After is a floor for the wait.
    let desc = with(
        patch_title(2, "b"),
        json!({ "retry": 1, "retryDelay": 100 }),
    );
    let sent = durable_sent(&mut s, "m2", desc, T0 + 10_000.0);
    let out = answer(&mut s, &sent, http_retry_after(429, "5"), T0 + 10_001.0);
    assert_eq!(out.wake_at, Some(T0 + 15_001.0));
    no_send(&tick(&mut s, T0 + 15_000.0));
    assert_eq!(one_send(&tick(&mut s, T0 + 15_001.0)).key(), "m2");
}

#[test]
fn a_401_pauses_the_persisted_queue_until_flush() {
    let mut s = seeded();
    let s1 = durable_sent(&mut s, "m1", patch_title(1, "local"), T0);
    mutate_durable(&mut s, "m2", patch_title(2, "b"), T0 + 1.0);
    let out = answer(&mut s, &s1, http(401, "expired"), T0 + 2.0);
    no_send(&out);
    assert!(out.settled.is_empty(), "nothing is rolled back");
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["status"], "queued");
    assert_eq!(sync(&s)["lastError"]["code"], "AUTH");
    assert_eq!(task(&s, "1")["title"], "local");
    assert_eq!(s.next_wake(T0 + 3.0), None);
    no_send(&tick(&mut s, T0 + 100_000.0));
    let out = s.flush(T0 + 100_001.0);
    let out = done(&mut s, out);
    let s2 = one_send(&out);
    assert_eq!((s2.id.as_str(), s2.key()), ("m1", "m1"));
}
