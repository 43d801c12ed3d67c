//! A record write that fails (quota): the mutation rolls back and is rejected, the stored failure
//! stays in step, and an insert's dependents fail with it.

use crate::core::sync::records;
use crate::core::tests::support::persist::*;

#[test]
fn a_quota_error_rolls_back_and_rejects_the_mutation() {
    let mut s = seeded();
    let out = mutate(&mut s, "m1", patch_title(1, "local"), T0);
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(task(&s, "1")["title"], "local");
    let out = s
        .persist_failed(
            "[\"m1\"]",
            "QUOTA",
            "the storage quota is exceeded",
            T0 + 1.0,
        )
        .expect("persist_failed");
    let out = done(&mut s, out);
    no_send(&out);
    assert!(
        ob(&out).is_empty(),
        "its record never reached storage: nothing to write"
    );
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("QUOTA".to_owned()))]
    );
    assert_eq!(
        out.settled[0].1.clone().err().map(|e| e.message),
        Some("the storage quota is exceeded".to_owned())
    );
    assert_eq!(task(&s, "1")["title"], "one", "rolled back");
    assert!(out.changes.written_entities.contains(&"Task:1".to_owned()));
    let m = listing(&s, "m1");
    assert_eq!(
        (m["status"].clone(), m["error"]["code"].clone()),
        (json!("failed"), json!("QUOTA"))
    );
    let y = sync(&s);
    assert_eq!(
        (y["pending"].clone(), y["failed"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(y["lastError"]["code"], "QUOTA");
    // A late `persisted` for it changes nothing; later mutations are not blocked.
    no_send(&persisted(&mut s, &["m1"], T0 + 2.0));
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    let sent = durable_sent(&mut s, "m2", patch_title(2, "b"), T0 + 3.0);
    assert_eq!(sent.id, "m2");
    // A failure report for a mutation that is not being saved changes nothing.
    let out = s
        .persist_failed("[\"m2\"]", "QUOTA", "late", T0 + 4.0)
        .expect("persist_failed");
    assert!(out.settled.is_empty());
    assert_eq!(status(&s, "m2").as_deref(), Some("inflight"));
    // Reading the outbox (another tab wrote to it) does not make m1 vanish from `failed`:
    // storage never had it, so nothing elsewhere settled or discarded it.
    let stored = Value::Array(vec![records::write(&s.queue().list()[1])]).to_string();
    assert_eq!(s.queue().list()[1].id, "m2");
    reconcile(&mut s, &stored, T0 + 4.5);
    assert_eq!(listing(&s, "m1")["error"]["code"], "QUOTA");
    // Once there is room, retry writes it again.
    let out = s.retry_mutation("m1", T0 + 5.0).expect("retry");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["v"], 1, "its first record");
    assert_eq!(task(&s, "1")["title"], "local");
}

#[test]
fn a_quota_error_on_a_retry_keeps_the_stored_failure_in_step() {
    let mut idb = Idb::default();
    let mut s = seeded();
    let out = mutate_durable(&mut s, "m1", patch_title(1, "local"), T0);
    idb.save(&mut s, &out);
    let sent = one_send(&out);
    let out = answer(&mut s, &sent, http(422, ""), T0 + 1.0);
    idb.save(&mut s, &out);
    assert_eq!(idb.outbox["m1"]["v"], 2);
    let out = s.retry_mutation("m1", T0 + 2.0).expect("retry");
    let out = done(&mut s, out);
    assert_eq!(rec(&out, "m1")["v"], 3);
    // That write fails: storage still holds the failed record (v2).
    let out = s
        .persist_failed("[\"m1\"]", "QUOTA", "full", T0 + 3.0)
        .expect("persist_failed");
    let out = done(&mut s, out);
    assert!(ob(&out).is_empty());
    assert_eq!(
        settled(&out),
        vec![("m1".to_owned(), Err("QUOTA".to_owned()))]
    );
    assert_eq!(task(&s, "1")["title"], "one");
    // Reconciling with it keeps m1 failed and listed; a later discard deletes the record.
    reconcile(&mut s, &idb.outbox_json(), T0 + 4.0);
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    assert_eq!(task(&s, "1")["title"], "one");
    let out = s.discard_mutation("m1", T0 + 5.0).expect("discard");
    let out = done(&mut s, out);
    assert_eq!(ob(&out), vec!["-m1"]);
}

#[test]
fn a_quota_error_on_an_insert_fails_its_dependents_and_writes_their_records() {
    let mut s = seeded();
    mutate(&mut s, "m1", insert_new_task(), T0);
    let out = mutate(
        &mut s,
        "m2",
        patch_desc("tmp-1", json!({ "done": true })),
        T0 + 1.0,
    );
    assert_eq!(ob(&out), vec!["m2"]);
    // m1's write fails; m2's write (a later transaction) may already have landed.
    let out = s
        .persist_failed("[\"m1\"]", "QUOTA", "full", T0 + 2.0)
        .expect("persist_failed");
    let out = done(&mut s, out);
    assert_eq!(
        settled(&out),
        vec![
            ("m1".to_owned(), Err("QUOTA".to_owned())),
            ("m2".to_owned(), Err("CONFLICT".to_owned()))
        ]
    );
    // m2's record must say failed, or a reload would replay it with the temporary id.
    assert_eq!(ob(&out), vec!["m2"]);
    assert_eq!(rec(&out, "m2")["status"], "failed");
    assert_eq!(ids(&s, LIST), vec![json!(1), json!(2), json!(3)]);
    // m2's own write then lands: it stays failed.
    no_send(&persisted(&mut s, &["m2"], T0 + 3.0));
    assert_eq!(status(&s, "m2").as_deref(), Some("failed"));
}

#[test]
fn a_failed_rewrite_of_a_later_state_is_written_again_and_reported() {
    // Issue 13.5: after a 400 the record's rewrite to `failed` fails; the core must neither
    // forget it (after a reload the mutation would come back queued and be sent again) nor
    // ask the failing storage again in the same breath.
    let mut s = seeded();
    let sent = durable_sent(&mut s, "m1", patch_title(1, "local"), T0);
    let out = answer(&mut s, &sent, http(400, ""), T0 + 1.0);
    assert_eq!(rec(&out, "m1")["status"], "failed");
    let out = s
        .persist_failed(
            "[\"m1\"]",
            "QUOTA",
            "the storage quota is exceeded",
            T0 + 2.0,
        )
        .expect("persist_failed");
    assert!(ob(&out).is_empty(), "not again at once: {:?}", ob(&out));
    assert!(out.sync, "the sync state reports it");
    assert_eq!(sync(&s)["lastError"]["code"], "QUOTA");
    assert_eq!(status(&s, "m1").as_deref(), Some("failed"));
    // The next call writes the record again, as it stands now.
    let out = s.tick(T0 + 3.0);
    assert_eq!(ob(&out), vec!["m1"]);
    assert_eq!(rec(&out, "m1")["status"], "failed");
    // A settled mutation's deletion that fails is written again too.
    let sent = durable_sent(&mut s, "m2", patch_title(2, "b"), T0 + 4.0);
    let out = answer(&mut s, &sent, ok(json!({})), T0 + 5.0);
    assert_eq!(ob(&out), vec!["-m2"]);
    s.persist_failed("[\"m2\"]", "QUOTA", "full", T0 + 6.0)
        .expect("persist_failed");
    assert_eq!(ob(&s.tick(T0 + 7.0)), vec!["-m2"]);
}
